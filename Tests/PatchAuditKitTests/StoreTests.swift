import CSV
import Foundation
import Testing
@testable import PatchAuditKit

/// The history store: its schema, the refusals, a run recorded and read back, and the diff.
@Suite struct StoreTests {
    static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func file(_ name: String, status: FileStatus, path: String? = nil) -> FileFinding {
        var finding = FileFinding(missing: name, expectedAt: path ?? "WINDOWS/SYSTEM/\(name.uppercased())", expected: nil, reason: "test")
        finding.status = status
        return finding
    }

    static func report(_ target: String, _ verdict: Verdict, files: [FileFinding] = [], stray: [FileFinding] = []) -> TargetReport {
        let evaluation = Evaluation(manifest: "outlook97-archive-patch", verdict: verdict, product: nil,
                                    reasons: [Reason(rule: "test-rule", verdict: verdict, message: "because", path: "x")],
                                    files: files, whatToDo: nil)
        let installation = InstallationReport(id: "WINDOWS/SYSTEM", windowsFolder: "WINDOWS", systemFolder: "WINDOWS/SYSTEM",
                                              outlookFolders: ["Program Files/Microsoft Office/Office"], verdict: verdict,
                                              evaluations: [evaluation])
        return TargetReport(target: target, kind: .archive, verdict: verdict, reasons: [], installations: [installation],
                            strayFiles: stray, skipped: [], skippedCount: 0, limitsHit: [], stats: .init(), format: "ZIP",
                            whatToDo: nil)
    }

    static func run(_ reports: [TargetReport]) -> RunRecorder.Run {
        var summary = RunSummary()
        for report in reports { summary.add(report.verdict, cause: nil) }
        return RunRecorder.Run(command: "scan", commandLine: "patchaudit scan", format: "json", failOn: "patch-needed",
                               startedAt: Date(timeIntervalSince1970: 1_800_000_000), manifests: [], summary: summary, exitStatus: 1)
    }

    @discardableResult
    static func record(_ reports: [TargetReport], in store: AuditStore) throws -> Int64 {
        let recorder = try store.recorder()
        for report in reports { recorder.record(report) }
        return try recorder.commit(run(reports))
    }

    @Test func aNewStoreGetsTheSchemaAndReopensWithItsRuns() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("audit.sqlite").path
        let store = try AuditStore(path: path, create: true)
        let tables = try store.queue.read { try String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") }
        #expect(tables == ["evaluations", "files", "grdb_migrations", "installations", "reasons", "run_manifests", "runs", "targets"])
        let indexes = try store.queue.read { try String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'targets'") }
        #expect(Set(indexes).isSuperset(of: ["targets_by_run", "targets_by_name"]))
        #expect(try store.queue.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal")
        let first = try Self.record([Self.report("/mnt/pc1", .patchNeeded, files: [Self.file("emsmdb32.dll", status: .outdated)])], in: store)

        let reopened = try AuditStore(path: path, create: false)
        let runs = try reopened.history()
        #expect(runs.map(\.id) == [first])
        #expect(runs.first?.verdicts["patch-needed"] == 1)
        #expect(runs.first?.startedAt == "2027-01-15T08:00:00Z")
        #expect(try reopened.queue.read { try Int.fetchOne($0, sql: "PRAGMA foreign_keys") } == 1)
        #expect(try reopened.queue.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM files") } == 1)
    }

    @Test func aFileOfAnotherKindIsRefusedAndLeftAsItWas() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let text = folder.appendingPathComponent("notes.txt")
        let bytes = Data(String(repeating: "not a database\n", count: 100).utf8)
        try bytes.write(to: text)
        #expect { try AuditStore(path: text.path, create: true) } throws: { ($0 as? AuditStore.Problem)?.code == .notAStore }
        #expect(try Data(contentsOf: text) == bytes)

        // Another program's SQLite database.
        let other = folder.appendingPathComponent("other.sqlite").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [other, "CREATE TABLE contacts (name TEXT); INSERT INTO contacts VALUES ('x');"]
        try process.run()
        process.waitUntilExit()
        let before = try Data(contentsOf: URL(fileURLWithPath: other))
        #expect { try AuditStore(path: other, create: true) } throws: { error in
            let problem = error as? AuditStore.Problem
            return problem?.code == .notAStore && problem?.description.contains("another program") == true
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: other)) == before)
        #expect(!FileManager.default.fileExists(atPath: other + "-wal"))

        #expect { try AuditStore(path: folder.appendingPathComponent("none.sqlite").path, create: false) } throws: {
            ($0 as? AuditStore.Problem)?.code == .missing
        }
    }

    @Test func aStoreOfALaterSchemaIsRefused() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("audit.sqlite").path
        let store = try AuditStore(path: path, create: true)
        try Self.record([Self.report("/mnt/pc1", .upToDate)], in: store)
        try store.queue.write { try $0.execute(sql: "INSERT INTO grdb_migrations VALUES ('v99-from-the-future')") }
        #expect { try AuditStore(path: path, create: true) } throws: { error in
            let problem = error as? AuditStore.Problem
            return problem?.code == .newerSchema && problem?.description.contains("later patchaudit") == true
        }
    }

    @Test func aRunIsStoredWholeWithEveryRow() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try AuditStore(path: folder.appendingPathComponent("audit.sqlite").path, create: true)
        let reports = [
            Self.report("/mnt/a", .patchNeeded, files: [Self.file("emsmdb32.dll", status: .damaged), Self.file("mspst32.dll", status: .outdated)],
                        stray: [Self.file("emsui32.dll", status: .ok, path: "BACKUP/EMSUI32.DLL")]),
            Self.report("/mnt/b", .upToDate, files: [Self.file("emsmdb32.dll", status: .patched)]),
        ]
        let id = try Self.record(reports, in: store)
        let counts = try store.queue.read { db in
            try ["targets", "installations", "evaluations", "files", "reasons"].map {
                try Int.fetchOne(db, sql: "SELECT count(*) FROM \($0)") ?? -1
            }
        }
        #expect(counts == [2, 2, 2, 4, 2])
        let stray = try store.queue.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM files WHERE stray = 1 AND evaluation_id IS NULL") }
        #expect(stray == 1)
        let pending = try store.queue.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM temp.pending_targets") }
        #expect(pending == 0)
        let facts = try store.facts(run: id)
        #expect(facts.targets[ExactName("/mnt/a")] == RunFacts.Target(verdict: .patchNeeded, damaged: ["WINDOWS/SYSTEM/EMSMDB32.DLL"]))
        #expect(facts.targets[ExactName("/mnt/b")]?.damaged == [])
        // A second run gets ids after the first's, its rows their own.
        let second = try Self.record(reports, in: store)
        #expect(second > id)
        #expect(try store.facts(run: second).targets.count == 2)
        #expect(try store.queue.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM files") } == 8)
        #expect(try store.queue.read { try Int.fetchOne($0, sql: "PRAGMA foreign_key_check") } == nil)
    }

    @Test func theDiffSortsEachTargetIntoOneClass() {
        var old = RunFacts(), new = RunFacts()
        old.add(target: "patched", verdict: .patchNeeded, damaged: [])
        new.add(target: "patched", verdict: .upToDate, damaged: [])
        old.add(target: "damaged", verdict: .patchNeeded, damaged: ["a"])
        new.add(target: "damaged", verdict: .patchNeeded, damaged: ["a", "b"])
        old.add(target: "changed", verdict: .upToDate, damaged: [])
        new.add(target: "changed", verdict: .review, damaged: [])
        old.add(target: "error-fixed", verdict: .error, damaged: [])
        new.add(target: "error-fixed", verdict: .upToDate, damaged: [])
        old.add(target: "same", verdict: .blocked, damaged: ["x"])
        new.add(target: "same", verdict: .blocked, damaged: ["x"])
        old.add(target: "gone", verdict: .review, damaged: [])
        new.add(target: "new", verdict: .notApplicable, damaged: [])
        let side = RunDiff.Side(run: nil, source: "x", startedAt: nil, targets: 0)
        let diff = RunDiff(from: side, old, to: side, new)
        #expect(diff.newlyPatched.map(\.target) == ["patched"])
        #expect(diff.newlyDamaged.map(\.target) == ["damaged"])
        #expect(diff.newlyDamaged.first?.damaged == ["b"])
        #expect(diff.verdictChanged.map(\.target) == ["changed", "error-fixed"])
        #expect(diff.newTargets.map(\.target) == ["new"])
        #expect(diff.targetsGone.map(\.target) == ["gone"])
        #expect(diff.unchanged == 1)
        #expect(diff.gotWorse)

        var better = RunFacts()
        better.add(target: "patched", verdict: .upToDate, damaged: [])
        var worse = RunFacts()
        worse.add(target: "patched", verdict: .patchNeeded, damaged: [])
        #expect(!RunDiff(from: side, worse, to: side, better).gotWorse)
        #expect(RunDiff(from: side, better, to: side, worse).gotWorse)
    }

    /// The diff's CSV is the report's: quoted where needed, formulas neutralised, read back whole.
    @Test func theDiffCSVQuotesAndNeutralises() throws {
        var old = RunFacts(), new = RunFacts()
        old.add(target: "=HYPERLINK(\"x\"),pc", verdict: .patchNeeded, damaged: [])
        new.add(target: "=HYPERLINK(\"x\"),pc", verdict: .review, damaged: ["-a.dll", "line\nbreak.dll"])
        let side = RunDiff.Side(run: nil, source: "a", startedAt: nil, targets: 1)
        let text = String(decoding: try StoreReport.csv(RunDiff(from: side, old, to: side, new)), as: UTF8.self)
        #expect(text.hasPrefix("change,target,from,to,damaged\r\n"))
        let reader = try CSVReader(string: text, hasHeaderRow: true)
        let row = try #require(reader.next())
        #expect(row[1] == "'=HYPERLINK(\"x\"),pc")
        #expect(row[4] == "'-a.dll; line\nbreak.dll")
        #expect(reader.next() == nil)
    }

    @Test func theTableEscapesControlCharactersInNames() {
        var old = RunFacts(), new = RunFacts()
        old.add(target: "/mnt/\u{1b}]0;owned\u{7}", verdict: .patchNeeded, damaged: [])
        new.add(target: "/mnt/\u{1b}]0;owned\u{7}", verdict: .review, damaged: ["\u{1b}[2J.dll"])
        let side = RunDiff.Side(run: nil, source: "a\u{1b}", startedAt: nil, targets: 1)
        let table = StoreReport.table(RunDiff(from: side, old, to: side, new))
        #expect(!table.contains("\u{1b}"))
        #expect(table.contains("\\u{1b}[2J.dll"))
    }
}
