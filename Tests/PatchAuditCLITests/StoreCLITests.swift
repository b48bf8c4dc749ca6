import Foundation
import Testing

/// The history store end to end: `scan --store`, `merge --store`, `history`, `diff`, a run
/// killed at any moment, two runs writing one store at once. The store is read back with the
/// sqlite3 shell, as a user would (`make test` installs it; see ``ExternalTool``).
@Suite(.enabled(if: ExternalTool.available("sqlite3"))) struct StoreCLITests {
    static let zips = CLITests.root.appendingPathComponent("Fixtures/archives/zip")

    static func zip(_ name: String) -> String { zips.appendingPathComponent(name + ".zip").path }

    static func link(_ name: String, to fixture: String, in folder: URL) throws -> String {
        let path = folder.appendingPathComponent(name).path
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: zip(fixture))
        return path
    }

    static func sqlite(_ store: String, _ sql: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try ExternalTool.path("sqlite3"))
        process.arguments = [store, sql]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Every run has as many target rows as it says, and the database is sound.
    static func expectConsistent(_ store: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(try sqlite(store, "PRAGMA integrity_check") == "ok", sourceLocation: sourceLocation)
        #expect(try sqlite(store, "PRAGMA foreign_key_check") == "", sourceLocation: sourceLocation)
        let mismatched = try sqlite(store, "SELECT count(*) FROM runs r WHERE r.targets != (SELECT count(*) FROM targets t WHERE t.run_id = r.id)")
        #expect(mismatched == "0", sourceLocation: sourceLocation)
    }

    /// Two runs over links re-pointed between them, then `diff` of the store and of the ndjson
    /// files: every class appears, both diffs agree, and the store agrees with the json report.
    @Test func twoRunsIntoOneStoreThenADiff() throws {
        let folder = try FleetCLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = folder.appendingPathComponent("audit.sqlite").path
        let pc1 = try Self.link("pc1.zip", to: "patch-needed-sr1", in: folder)      // -> up-to-date: newly patched
        let pc2 = try Self.link("pc2.zip", to: "up-to-date-sr1", in: folder)        // -> flipped bytes: newly damaged
        let pc3 = try Self.link("pc3.zip", to: "up-to-date-sr1", in: folder)        // -> blocked: verdict changed
        let pc4 = try Self.link("pc4.zip", to: "up-to-date-sr1", in: folder)        // unchanged
        let pc5 = try Self.link("pc5.zip", to: "review-system-only", in: folder)    // gone
        let first = folder.appendingPathComponent("first.ndjson").path
        let run1 = try CLITests.run(["scan", pc1, pc2, pc3, pc4, pc5, "--format", "ndjson", "--output", first, "--store", store])
        #expect(run1.status == 2, "\(run1.stderr)")
        #expect(run1.stderr.contains("run 1 stored in \(store) (5 targets, written in "))

        _ = try Self.link("pc1.zip", to: "up-to-date-sr1", in: folder)
        _ = try Self.link("pc2.zip", to: "patch-needed-flipped", in: folder)
        _ = try Self.link("pc3.zip", to: "blocked-outlook80", in: folder)
        let pc6 = try Self.link("pc6.zip", to: "no-outlook", in: folder)
        let second = folder.appendingPathComponent("second.json").path
        let run2 = try CLITests.run(["scan", pc1, pc2, pc3, pc4, pc6, "--format", "json", "--output", second, "--store", store])
        #expect(run2.status == 2, "\(run2.stderr)")
        try Self.expectConsistent(store)

        // The store holds what the json report says: targets per verdict, files per status.
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: second))) as? [String: Any])
        let targets = try #require(report["targets"] as? [[String: Any]])
        var verdicts: [String: Int] = [:], statuses: [String: Int] = [:]
        for target in targets {
            verdicts[target["verdict"] as? String ?? "?", default: 0] += 1
            for installation in target["installations"] as? [[String: Any]] ?? [] {
                for evaluation in installation["evaluations"] as? [[String: Any]] ?? [] {
                    for file in evaluation["files"] as? [[String: Any]] ?? [] { statuses[file["status"] as? String ?? "?", default: 0] += 1 }
                }
            }
            for file in target["strayFiles"] as? [[String: Any]] ?? [] { statuses["stray " + (file["status"] as? String ?? "?"), default: 0] += 1 }
        }
        func counts(_ sql: String) throws -> [String: Int] {
            var result: [String: Int] = [:]
            for line in try Self.sqlite(store, sql).split(separator: "\n") {
                let parts = line.split(separator: "|")
                result[String(parts[0])] = Int(parts[1])
            }
            return result
        }
        #expect(try counts("SELECT verdict, count(*) FROM targets WHERE run_id = 2 GROUP BY verdict") == verdicts)
        #expect(try counts("""
            SELECT CASE f.stray WHEN 1 THEN 'stray ' ELSE '' END || f.status, count(*) FROM files f JOIN targets t ON t.id = f.target_id
            WHERE t.run_id = 2 GROUP BY 1
            """) == statuses)
        let worst = try #require(report["verdict"] as? String)
        #expect(try Self.sqlite(store, "SELECT worst_verdict, targets, command, format FROM runs WHERE id = 2") == "\(worst)|5|scan|json")

        // history lists both runs with their counts.
        let history = try CLITests.run(["history", "--store", store, "--format", "json"])
        #expect(history.status == 0)
        let runs = try #require(try history.json()["runs"] as? [[String: Any]])
        #expect(runs.map { $0["id"] as? Int } == [1, 2])
        #expect(runs.map { $0["targets"] as? Int } == [5, 5])
        #expect((runs[1]["verdicts"] as? [String: Int]) == verdicts.merging(["up-to-date": 0, "patch-needed": 0, "blocked": 0, "not-applicable": 0, "review": 0, "error": 0]) { a, _ in a })
        let table = try CLITests.run(["history", "--store", store])
        #expect(table.text.hasPrefix("RUN  STARTED (UTC)"))
        #expect(table.text.split(separator: "\n").count == 3)

        // diff of the store's last two runs.
        let diff = try CLITests.run(["diff", "--store", store, "--format", "json"])
        #expect(diff.status == 1, "a file newly damaged is worse: \(diff.stderr)")
        let changes = try diff.json()
        func targetsOf(_ key: String) -> [String] { (changes[key] as? [[String: Any]])?.compactMap { $0["target"] as? String } ?? [] }
        #expect(targetsOf("newlyPatched") == [pc1])
        #expect(targetsOf("newlyDamaged") == [pc2])
        #expect(targetsOf("verdictChanged") == [pc3])
        #expect(targetsOf("newTargets") == [pc6])
        #expect(targetsOf("targetsGone") == [pc5])
        #expect(changes["unchanged"] as? Int == 1)
        let damaged = (changes["newlyDamaged"] as? [[String: Any]])?.first?["damaged"] as? [String]
        #expect(damaged?.isEmpty == false)
        let changed = (changes["verdictChanged"] as? [[String: Any]])?.first
        #expect(changed?["from"] as? String == "up-to-date" && changed?["to"] as? String == "blocked")
        #expect(try CLITests.run(["diff", "--store", store, "1", "2", "--format", "json"]).stdout == diff.stdout)

        // The same diff from the ndjson files: run 2 again as ndjson (same links, same results).
        let secondLines = folder.appendingPathComponent("second.ndjson").path
        _ = try CLITests.run(["scan", pc1, pc2, pc3, pc4, pc6, "--format", "ndjson", "--output", secondLines, "-q"])
        let fromFiles = try CLITests.run(["diff", first, secondLines, "--format", "json"])
        #expect(fromFiles.status == 1)
        var a = try fromFiles.json(), b = changes
        for key in ["from", "to"] { a.removeValue(forKey: key); b.removeValue(forKey: key) }
        #expect(NSDictionary(dictionary: a).isEqual(to: b))

        // The table and CSV say the same.
        let text = try CLITests.run(["diff", "--store", store]).text
        #expect(text.contains("newly patched (1):\n  \(pc1)  patch-needed -> up-to-date"))
        #expect(text.contains("unchanged: 1 target"))
        let csv = try CLITests.run(["diff", "--store", store, "--format", "csv"]).text
        #expect(csv.hasPrefix("change,target,from,to,damaged\r\n"))
        #expect(csv.contains("target-gone,\(pc5),review,,\r\n"))
        #expect(csv.components(separatedBy: "\r\n").count == 7)
        // Reversed, nothing got worse: exit 0.
        #expect(try CLITests.run(["diff", "--store", store, "2", "1"]).status == 1, "pc3 blocked -> up-to-date is better, but pc1 up-to-date -> patch-needed is worse")
        #expect(try CLITests.run(["diff", "--store", store, "1", "1"]).status == 0)
        #expect(try CLITests.run(["diff", "--store", store, "1", "9"]).status == 64)
    }

    @Test func storesThatCannotBeUsedAreRefusedBeforeAnythingIsScanned() throws {
        let folder = try FleetCLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let notes = folder.appendingPathComponent("notes.txt")
        try Data("hello\n".utf8).write(to: notes)
        let target = Self.zip("up-to-date-sr1")
        let refused = try CLITests.run(["scan", target, "--store", notes.path])
        #expect(refused.status == 65)
        #expect(refused.stderr.contains("not a patchaudit store") && refused.stderr.contains("Nothing was scanned."))
        #expect(refused.stdout.isEmpty)
        #expect(try Data(contentsOf: notes) == Data("hello\n".utf8))

        // Inside a scanned folder: refused.
        let tree = folder.appendingPathComponent("tree")
        try FileManager.default.copyItem(at: CLITests.trees.appendingPathComponent("up-to-date-sr1"), to: tree)
        let inside = try CLITests.run(["scan", tree.path, "--store", tree.appendingPathComponent("audit.sqlite").path])
        #expect(inside.status == 64)
        #expect(inside.stderr.contains("scanned target"))
        #expect(!FileManager.default.fileExists(atPath: tree.appendingPathComponent("audit.sqlite").path))

        #expect(try CLITests.run(["history", "--store", folder.appendingPathComponent("none.sqlite").path]).status == 66)
        #expect(try CLITests.run(["diff", "a.ndjson"]).status == 64)
        let empty = folder.appendingPathComponent("one.sqlite").path
        #expect(try CLITests.run(["scan", target, "--store", empty, "-q"]).status == 0)
        let one = try CLITests.run(["diff", "--store", empty])
        #expect(one.status == 64)
        #expect(one.stderr.contains("has 1 run; diff needs two"))
    }

    /// Waits until `process`'s standard error says `text`, or it ends; returns what it said.
    static func waitFor(_ text: String, on pipe: Pipe) -> String {
        var said = Data()
        while !String(decoding: said, as: UTF8.self).contains(text) {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            said.append(chunk)
        }
        return String(decoding: said, as: UTF8.self)
    }

    /// A store write that fails after the scan (another run holds the store longer than this
    /// one waits): the report stays written, exit 74, what to do said, and it works.
    @Test func aStoreThatCannotBeWrittenAtTheEndFailsWith74AndKeepsTheReport() throws {
        let folder = try FleetCLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = folder.appendingPathComponent("audit.sqlite").path
        let holder = Process()
        holder.executableURL = CLITests.binary
        holder.arguments = ["scan", Self.zip("patch-needed-sr1"), "--store", store, "--format", "json", "--output", "/dev/null"]
        holder.environment = ProcessInfo.processInfo.environment.merging(["PATCHAUDIT_TEST_STORE_PAUSE": "10"]) { $1 }
        let err = Pipe()
        holder.standardOutput = FileHandle.nullDevice
        holder.standardError = err
        try holder.run()
        #expect(Self.waitFor("before the store's COMMIT", on: err).contains("before the store's COMMIT"))

        let output = folder.appendingPathComponent("out.ndjson").path
        let run = try CLITests.run(["scan", Self.zip("up-to-date-sr1"), "--store", store, "--format", "ndjson", "--output", output],
                                   environment: ["PATCHAUDIT_STORE_BUSY_TIMEOUT": "0.5"])
        holder.waitUntilExit()
        #expect(run.status == 74, "\(run.stderr)")
        #expect(run.stderr.contains("another process held it locked"))
        #expect(run.stderr.contains("the store is as it was"))
        #expect(run.stderr.contains("patchaudit merge \(output) --store \(store)"))
        #expect(try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n").count == 1)
        #expect(holder.terminationStatus == 1)
        #expect(try Self.sqlite(store, "SELECT id, command, targets FROM runs") == "1|scan|1")
        // The advice works.
        let merged = try CLITests.run(["merge", output, "--store", store, "--format", "ndjson", "--output", "/dev/null"])
        #expect(merged.status == 0, "\(merged.stderr)")
        #expect(try Self.sqlite(store, "SELECT command, targets, worst_verdict FROM runs WHERE id = 2") == "merge|1|up-to-date")
        try Self.expectConsistent(store)
    }

    /// SIGKILL at random moments of a run with --store, and while its final transaction is
    /// open: the store stays sound, every run in it is whole, the earlier runs intact.
    @Test func aKilledRunLeavesTheStoreConsistent() throws {
        let folder = try FleetCLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = folder.appendingPathComponent("audit.sqlite").path
        var targets: [String] = []
        for index in 0..<300 {
            targets.append(try Self.link("pc\(index).zip", to: index % 3 == 0 ? "patch-needed-sr1" : "up-to-date-sr1", in: folder))
        }
        let list = try FleetCLITests.writeList(targets, in: folder)
        let whole = try CLITests.run(["scan", "--targets", list, "--format", "ndjson", "--output", "/dev/null", "--store", store, "-q"])
        #expect(whole.status == 1)
        let firstRun = try Self.sqlite(store, "SELECT verdict, count(*) FROM targets WHERE run_id = 1 GROUP BY verdict")
        #expect(firstRun == "patch-needed|100\nup-to-date|200")

        func start(_ environment: [String: String] = [:], quiet: Bool = true) throws -> (Process, Pipe) {
            let process = Process()
            process.executableURL = CLITests.binary
            process.arguments = ["scan", "--targets", list, "--format", "ndjson", "--output", "/dev/null", "--store", store] + (quiet ? ["-q"] : [])
            var env = ProcessInfo.processInfo.environment
            for (key, value) in environment { env[key] = value }
            process.environment = env
            let err = Pipe()
            process.standardOutput = FileHandle.nullDevice
            process.standardError = err
            try process.run()
            return (process, err)
        }
        func runs() throws -> Int { Int(try Self.sqlite(store, "SELECT count(*) FROM runs")) ?? -1 }
        // At random moments of the scan (300 targets take seconds).
        var generator = SystemRandomNumberGenerator()
        var interrupted = 0
        for _ in 0..<4 {
            let before = try runs()
            let (process, _) = try start()
            usleep(UInt32.random(in: 50_000...1_500_000, using: &generator))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            try Self.expectConsistent(store)
            if try runs() == before { interrupted += 1 }
        }
        #expect(interrupted >= 2, "only \(interrupted) kills landed before the end of the run: the test proved little")
        // Inside the final transaction: every row copied, COMMIT not yet written. The run must
        // not be in the store afterwards.
        for _ in 0..<2 {
            let before = try runs()
            let (process, err) = try start(["PATCHAUDIT_TEST_STORE_PAUSE": "30"])
            #expect(Self.waitFor("before the store's COMMIT", on: err).contains("before the store's COMMIT"))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            try Self.expectConsistent(store)
            #expect(try runs() == before)
        }
        // Right after the scan's summary line, while the run is copied in and committed (about
        // 0.1 s for these 300 targets): the run landed whole, or not at all.
        for _ in 0..<3 {
            let before = try runs()
            let (process, err) = try start(quiet: false)
            #expect(Self.waitFor("300 targets in", on: err).contains("300 targets in"))
            usleep(UInt32.random(in: 0...80_000, using: &generator))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            try Self.expectConsistent(store)
            #expect([before, before + 1].contains(try runs()))
        }
        // Whatever landed is whole; run 1 is as it was; a new run still lands after the kills.
        #expect(try Self.sqlite(store, "SELECT verdict, count(*) FROM targets WHERE run_id = 1 GROUP BY verdict") == firstRun)
        let before = try runs()
        let last = try CLITests.run(["scan", "--targets", list, "--format", "ndjson", "--output", "/dev/null", "--store", store])
        #expect(last.status == 1)
        #expect(try runs() == before + 1)
        try Self.expectConsistent(store)
        let counts = try Self.sqlite(store, "SELECT DISTINCT targets FROM runs")
        #expect(counts == "300")
        #expect(try CLITests.run(["diff", "--store", store]).status == 0)
    }

    /// Two scans writing the same store at once both land: the second finishes its scan and
    /// commits while the first holds the store's write lock (paused inside its transaction), so
    /// it gathers its targets meanwhile and waits for the lock (busy timeout), then lands.
    @Test func twoScansWritingOneStoreAtOnceBothLand() throws {
        let folder = try FleetCLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = folder.appendingPathComponent("audit.sqlite").path
        var listA: [String] = [], listB: [String] = []
        for index in 0..<40 {
            listA.append(try Self.link("a\(index).zip", to: "patch-needed-sr1", in: folder))
        }
        for index in 0..<5 {
            listB.append(try Self.link("b\(index).zip", to: "up-to-date-sr1", in: folder))
        }
        let fileA = try FleetCLITests.writeList(listA, in: folder, name: "a.txt")
        let fileB = try FleetCLITests.writeList(listB + [Self.zip("blocked-german")], in: folder, name: "b.txt")
        let first = Process()
        first.executableURL = CLITests.binary
        first.arguments = ["scan", "--targets", fileA, "--format", "ndjson", "--output", "/dev/null", "--store", store, "-q"]
        var environment = ProcessInfo.processInfo.environment
        environment["PATCHAUDIT_TEST_STORE_PAUSE"] = "4"
        first.environment = environment
        let err = Pipe()
        first.standardOutput = FileHandle.nullDevice
        first.standardError = err
        try first.run()
        #expect(Self.waitFor("before the store's COMMIT", on: err).contains("before the store's COMMIT"))
        // The first run holds the write lock now; the second scans and commits meanwhile.
        let second = try CLITests.run(["scan", "--targets", fileB, "--format", "ndjson", "--output", "/dev/null", "--store", store])
        first.waitUntilExit()
        #expect(first.terminationStatus == 1)
        #expect(second.status == 2, "\(second.stderr)")
        try Self.expectConsistent(store)
        let history = try CLITests.run(["history", "--store", store, "--format", "json"])
        let runs = try #require(try history.json()["runs"] as? [[String: Any]])
        // The first to commit is the first run, which had the lock.
        #expect(runs.map { $0["targets"] as? Int } == [40, 6])
        #expect((runs.first?["verdicts"] as? [String: Int])?["patch-needed"] == 40)
        #expect((runs.last?["verdicts"] as? [String: Int])?["up-to-date"] == 5)
        #expect((runs.last?["verdicts"] as? [String: Int])?["blocked"] == 1)
    }
}
