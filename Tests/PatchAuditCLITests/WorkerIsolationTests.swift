import Foundation
import Testing

/// One bad target costs only itself (issue 8): the debug build's fault hook
/// (`PATCHAUDIT_TEST_WORKER_FAULT=KIND:NAME`, compiled into test builds only) makes the worker
/// crash, loop, hoard memory or leave on the target named NAME; that target is an `error` whose
/// reason says why and where, and every other target is reported as it is without the fault,
/// in every format, with exit status 3.
@Suite struct WorkerIsolationTests {
    static let good = [CLITests.trees.appendingPathComponent("patch-needed-sr1").path,
                       CLIArchiveTests.archives.appendingPathComponent("zip/up-to-date-sr1.zip").path,
                       CLIArchiveTests.archives.appendingPathComponent("tar.gz/review-unknown-build.tar.gz").path]

    /// A copy of a good archive under a name of its own, in a fresh folder (removed by the caller).
    static func badTarget(named name: String) throws -> (folder: URL, path: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("patchaudit-fault-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent(name)
        try FileManager.default.copyItem(at: CLIArchiveTests.archives.appendingPathComponent("zip/patch-needed-sr1.zip"), to: path)
        return (folder, path.path)
    }

    static func lines(_ run: CLITests.Run) throws -> [[String: Any]] {
        try run.text.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
    }

    static func rules(_ target: [String: Any]) -> [String] {
        (target["reasons"] as? [[String: Any]] ?? []).compactMap { $0["rule"] as? String }
    }

    static func message(_ target: [String: Any]) -> String {
        (target["reasons"] as? [[String: Any]] ?? []).compactMap { $0["message"] as? String }.joined(separator: " | ")
    }

    struct Fault: Sendable, CustomStringConvertible {
        var kind: String
        var rule: String
        var says: String
        var options: [String] = []
        var description: String { kind }
    }

    static let faults = [
        Fault(kind: "segfault", rule: "worker-crashed", says: "SIGSEGV"),
        Fault(kind: "trap", rule: "worker-crashed", says: "Fatal error: test fault"),
        Fault(kind: "spin", rule: "target-timeout", says: "time limit of 2s", options: ["--target-timeout", "2s"]),
        Fault(kind: "memory", rule: "worker-memory-limit", says: "memory limit of 256 MiB", options: ["--worker-memory", "268435456"]),
        Fault(kind: "exit", rule: "worker-failed", says: "exit status 7"),
    ]

    @Test(arguments: faults)
    func aFaultyTargetIsAnErrorAndTheOthersAreUntouched(_ fault: Fault) throws {
        let (folder, bad) = try Self.badTarget(named: "bad-\(fault.kind).zip")
        defer { try? FileManager.default.removeItem(at: folder) }
        let targets = [Self.good[0], bad, Self.good[1], Self.good[2]]
        let clean = try Self.lines(CLITests.run(["scan"] + targets + ["--format", "ndjson", "--jobs", "2"]))
        let run = try CLITests.run(["scan"] + targets + ["--format", "ndjson", "--jobs", "2"] + fault.options,
                                   environment: ["PATCHAUDIT_TEST_WORKER_FAULT": "\(fault.kind):bad-\(fault.kind).zip"])
        #expect(run.status == 3)
        let faulty = try Self.lines(run)
        #expect(faulty.map { $0["target"] as? String } == targets)
        #expect(faulty[1]["verdict"] as? String == "error")
        #expect(Self.rules(faulty[1]) == [fault.rule])
        #expect(Self.message(faulty[1]).contains(fault.says), "\(Self.message(faulty[1]))")
        #expect(Self.message(faulty[1]).contains(bad))
        // The others: exactly what a run without the fault says about them.
        for index in [0, 2, 3] {
            var expected = clean[index], got = faulty[index]
            expected.removeValue(forKey: "manifests")
            got.removeValue(forKey: "manifests")
            #expect(NSDictionary(dictionary: got).isEqual(to: expected), "\(targets[index])")
        }
    }

    @Test func theCrashNoteNamesTheEntryBeingRead() throws {
        let target = CLIArchiveTests.archives.appendingPathComponent("zip/patch-needed-sr1.zip").path
        let run = try CLITests.run(["scan", target, "--format", "json"],
                                   environment: ["PATCHAUDIT_TEST_WORKER_FAULT": "segfault-entry:EMSMDB32.DLL"])
        #expect(run.status == 3)
        let report = try #require((try run.json()["targets"] as? [[String: Any]])?.first)
        #expect(Self.rules(report) == ["worker-crashed"])
        #expect(Self.message(report).contains("while reading WINDOWS/SYSTEM/EMSMDB32.DLL"), "\(Self.message(report))")
    }

    @Test func allFormatsReportTheCrashAndTheRest() throws {
        let (folder, bad) = try Self.badTarget(named: "bad.zip")
        defer { try? FileManager.default.removeItem(at: folder) }
        let environment = ["PATCHAUDIT_TEST_WORKER_FAULT": "segfault:bad.zip", "NO_COLOR": "1"]
        let json = try CLITests.run(["scan", Self.good[0], bad, Self.good[1], "--format", "json"], environment: environment)
        #expect(json.status == 3)
        let targets = try #require(try json.json()["targets"] as? [[String: Any]])
        #expect(targets.map { $0["verdict"] as? String } == ["patch-needed", "error", "up-to-date"])
        #expect(try json.json()["verdict"] as? String == "error")
        let table = try CLITests.run(["scan", Self.good[0], bad, Self.good[1]], environment: environment)
        #expect(table.status == 3)
        #expect(table.text.contains("\(bad)  ERROR"))
        #expect(table.text.contains("SIGSEGV"))
        #expect(table.text.contains("3 targets: 1 error (1 worker-crashed), 1 patch-needed, 1 up-to-date"))
    }

    @Test func standardInputHasAWorkerOfItsOwn() throws {
        let run = try CLITests.run(["scan", Self.good[0], "-", "--format", "ndjson"], environment: ["PATCHAUDIT_TEST_WORKER_FAULT": "segfault:-"],
                                   stdin: CLIArchiveTests.archives.appendingPathComponent("zip/patch-needed-sr1.zip").path)
        #expect(run.status == 3)
        #expect(try run.lines().map { $0["verdict"] as? String } == ["patch-needed", "error"])
    }

    @Test func standardInputAfterAnotherTargetKeepsItsPlace() throws {
        // The worker of standard input answers for the target's index in the run, not for the first.
        let run = try CLITests.run(["scan", Self.good[1], "-", "--format", "ndjson"],
                                   stdin: CLIArchiveTests.archives.appendingPathComponent("zip/patch-needed-sr1.zip").path)
        #expect(run.status == 1)
        let lines = try run.lines()
        #expect(lines.map { $0["verdict"] as? String } == ["up-to-date", "patch-needed"])
        #expect(lines.map { $0["target"] as? String } == [Self.good[1], "-"])
    }

    @Test func aTargetNameLongerThanAnyPathIsAnErrorOfItsOwn() throws {
        // Answered by the scan itself: a request that large is never written to a worker.
        let long = "/" + String(repeating: "x", count: 20_000)
        let run = try CLITests.run(["scan", Self.good[1], long, "--format", "ndjson"])
        #expect(run.status == 3)
        let lines = try run.lines()
        #expect(lines.map { $0["verdict"] as? String } == ["up-to-date", "error"])
        let reasons = try #require(lines.last?["reasons"] as? [[String: Any]])
        #expect((reasons.first?["message"] as? String)?.contains("longer than any path the system opens") == true)
    }

    @Test func aChangedManifestStopsTheRunWith78() throws {
        // The supervisor checks the manifest, then the worker reads it again: bytes that changed in
        // between are refused. Simulated by a setup whose recorded digest is wrong.
        let setup = #"{"limits":{"maxArchiveDepth":3,"maxCompressionRatio":1000,"maxEntries":100,"maxFileSize":1000,"maxFolderDepth":4,"maxListedSkipped":10,"maxMatchedBytes":1000,"maxMatchedFiles":10,"maxNestedArchiveSize":1000,"maxTotalBytes":1000},"manifests":[{"path":"\#(CLITests.root.appendingPathComponent("Manifests/outlook97-archive-patch.json").path)","sha256":"00","signature":{"unsigned":{}}}],"memoryLimit":1073741824,"targetTimeout":60,"walkers":1}"#
        let run = try CLITests.run(["worker", "--setup", setup])
        #expect(run.status == 78)
        #expect(run.text.contains("changed while the scan was starting"))
    }

    @Test func durationsAndLimitsAreChecked() throws {
        #expect(try CLITests.run(["scan", Self.good[0], "--target-timeout", "soon"]).status == 64)
        #expect(try CLITests.run(["scan", Self.good[0], "--target-timeout", "0"]).status == 64)
        #expect(try CLITests.run(["scan", Self.good[0], "--worker-memory", "1000"]).status == 64)
        #expect(try CLITests.run(["scan", Self.good[0], "--target-timeout", "1.5h", "--format", "json"]).status == 1)
    }

    /// Processes whose command line mentions `text` (from /proc).
    static func processes(mentioning text: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            guard let line = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline")) else { return false }
            return String(decoding: line, as: UTF8.self).contains(text)
        }
    }

    @Test func workersDoNotOutliveTheirSupervisor() throws {
        let (folder, bad) = try Self.badTarget(named: "orphan-\(UUID().uuidString).zip")
        defer { try? FileManager.default.removeItem(at: folder) }
        let process = Process()
        process.executableURL = CLITests.binary
        process.arguments = ["scan", bad, "--format", "json"]
        process.environment = ProcessInfo.processInfo.environment.merging(["PATCHAUDIT_TEST_WORKER_FAULT": "spin:\((bad as NSString).lastPathComponent)"]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // The worker takes the target and spins; then its supervisor is killed outright.
        var waited = 0
        while Self.processes(mentioning: "worker").filter({ Self.parent(of: $0) == process.processIdentifier }).isEmpty && waited < 100 {
            usleep(100_000)
            waited += 1
        }
        let workers = Self.processes(mentioning: "worker").filter { Self.parent(of: $0) == process.processIdentifier }
        #expect(!workers.isEmpty, "a worker was started")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        var alive = workers
        for _ in 0..<50 where !alive.isEmpty {
            usleep(100_000)
            alive = alive.filter { kill($0, 0) == 0 && Self.isRunning($0) }
        }
        #expect(alive.isEmpty, "workers \(alive) outlived their supervisor")
    }

    static func parent(of pid: Int32) -> Int32? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 1 ? Int32(fields[1]) : nil
    }

    /// Not a zombie waiting for its (new) parent to collect it.
    static func isRunning(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(after: close)...].split(separator: " ").first != "Z"
    }
}
