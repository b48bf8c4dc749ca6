import Foundation
import Testing

/// What the second reading of the report formats and the store found, each kept fixed:
/// failed writes are never read as verdicts, a store is never another output, stores made by
/// several runs at once, `history` that only reads.
@Suite struct ReportEdgeTests {
    static let fixture = CLITests.root.appendingPathComponent("Fixtures/archives/zip/patch-needed-sr1.zip").path

    @Test func theStoreCannotBeTheOutputEvenBeforeEitherExists() throws {
        let folder = try TemporaryFolder()
        let both = folder.url.appendingPathComponent("x").path
        let run = try CLITests.run(["scan", Self.fixture, "--store", both, "--output", both, "--format", "ndjson"])
        #expect(run.status == 64, "\(run.stderr)")
        #expect(run.stderr.contains("also the --output file"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path).isEmpty, "nothing written")
    }

    /// 74, not 1 (patch-needed) or 0 (nothing got worse), when the results cannot be written.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/dev/full")))
    func failedWritesAreNeverVerdicts() throws {
        let folder = try TemporaryFolder()
        let ndjson = folder.url.appendingPathComponent("a.ndjson").path
        let store = folder.url.appendingPathComponent("a.sqlite").path
        _ = try CLITests.run(["scan", Self.fixture, "--format", "ndjson", "--output", ndjson, "--store", store, "-q"])
        for arguments in [["merge", ndjson, "--format", "csv", "--output", "/dev/full"],
                          ["merge", ndjson, "--format", "junit", "--output", "/dev/full"],
                          ["scan", Self.fixture, "--format", "html", "--output", "/dev/full"],
                          ["history", "--store", store],
                          ["diff", ndjson, ndjson]] {
            let process = Process()
            process.executableURL = CLITests.binary
            process.arguments = arguments
            process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: "/dev/full"))
            let errors = Pipe()
            process.standardError = errors
            try process.run()
            let said = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 74, "\(arguments.joined(separator: " ")): \(said)")
            #expect(said.contains("No space left on device"), "\(arguments.joined(separator: " ")): \(said)")
        }
    }

    /// Ten runs creating one new store at once all land (the first makes it a store while
    /// the others wait).
    @Test func runsCreatingOneStoreAtOnceAllLand() throws {
        let folder = try TemporaryFolder()
        let ndjson = folder.url.appendingPathComponent("a.ndjson").path
        _ = try CLITests.run(["scan", Self.fixture, "--format", "ndjson", "--output", ndjson, "-q"])
        let store = folder.url.appendingPathComponent("new.sqlite").path
        let processes = try (0..<10).map { _ -> Process in
            let process = Process()
            process.executableURL = CLITests.binary
            process.arguments = ["merge", ndjson, "--store", store, "--format", "ndjson", "--output", "/dev/null", "-q"]
            process.standardError = FileHandle.nullDevice
            try process.run()
            return process
        }
        for process in processes { process.waitUntilExit() }
        #expect(processes.map(\.terminationStatus) == Array(repeating: 1, count: 10))
        let history = try CLITests.run(["history", "--store", store, "--format", "json"])
        let runs = try #require(try JSONSerialization.jsonObject(with: history.stdout) as? [String: Any])["runs"] as? [Any]
        #expect(runs?.count == 10, "every run that said it was stored is in the store: \(history.text)")
    }

    /// `history` only reads: an empty file is not made a store, and a store it may only read
    /// is listed.
    @Test func historyOnlyReads() throws {
        let folder = try TemporaryFolder()
        let empty = folder.url.appendingPathComponent("empty.sqlite")
        try Data().write(to: empty)
        let refused = try CLITests.run(["history", "--store", empty.path])
        #expect(refused.status == 65, "\(refused.stderr)")
        #expect(try Data(contentsOf: empty).isEmpty)
        let store = folder.url.appendingPathComponent("a.sqlite").path
        _ = try CLITests.run(["scan", Self.fixture, "--store", store, "-q", "--format", "ndjson", "--output", "/dev/null"])
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: store)
        let listed = try CLITests.run(["history", "--store", store])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.text.contains("scan"))
    }

    /// A merged line may spell a rule any way: the table's summary line escapes it, and
    /// Prometheus counts it as `other`.
    @Test func foreignRuleNamesStayOutOfTerminalsAndLabels() throws {
        let folder = try TemporaryFolder()
        let ndjson = folder.url.appendingPathComponent("foreign.ndjson")
        var lines = ""
        for (index, rule) in ["\u{1b}]0;owned\u{7}", "Not A Rule", "archive-corrupt"].enumerated() {
            let target: [String: Any] = [
                "target": "/mnt/pc\(index)", "kind": "archive", "verdict": "error", "installations": [], "strayFiles": [],
                "skipped": [], "skippedCount": 0, "limitsHit": [], "stats": ["entries": 0, "directories": 0, "matchedFiles": 0],
                "reasons": [["rule": rule, "verdict": "error", "message": "bad"]], "manifests": [],
            ]
            lines += String(decoding: try JSONSerialization.data(withJSONObject: target), as: UTF8.self) + "\n"
        }
        try Data(lines.utf8).write(to: ndjson)
        let table = try CLITests.run(["merge", ndjson.path, "--format", "table", "-q"])
        #expect(!table.text.contains("\u{1b}"), "\(table.text)")
        let metrics = try CLITests.run(["merge", ndjson.path, "--format", "prometheus", "-q"])
        #expect(metrics.text.contains("patchaudit_target_errors{cause=\"other\"} 2\n"), "\(metrics.text)")
        #expect(metrics.text.contains("patchaudit_target_errors{cause=\"archive-corrupt\"} 1\n"))
    }
}
