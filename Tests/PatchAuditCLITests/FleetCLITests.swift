import Foundation
import Testing

/// Fleet runs end to end: target lists, resume after SIGKILL, shards from Slurm's and
/// Kubernetes' variables, merge, progress and the summary.
@Suite struct FleetCLITests {
    static let fixtures = CLITests.root.appendingPathComponent("Fixtures")

    /// About a hundred targets of every kind: folders, archives of each format, disk images,
    /// and two that are errors (a missing path, a broken archive).
    static let fleet: [String] = {
        let manager = FileManager.default
        func files(_ folder: String) -> [String] {
            let url = fixtures.appendingPathComponent(folder)
            return ((try? manager.contentsOfDirectory(atPath: url.path)) ?? []).sorted()
                .map { url.appendingPathComponent($0).path }
                .filter { path in
                    var isDirectory: ObjCBool = false
                    return manager.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
                }
        }
        let trees = files("trees") + ((try? manager.contentsOfDirectory(atPath: fixtures.appendingPathComponent("trees").path)) ?? []).sorted()
            .map { fixtures.appendingPathComponent("trees/\($0)").path }
        let archives = ["zip", "tar.gz", "7z", "cab", "iso9660", "stored-zip"].flatMap { files("archives/\($0)") }
        let images = files("images").filter { $0.hasSuffix(".img") }
        return trees + archives + images + [fixtures.appendingPathComponent("archives/broken").path, "/nonexistent/pc-gone.zip"]
    }()

    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func writeList(_ targets: [String], in folder: URL, name: String = "targets.txt") throws -> String {
        let path = folder.appendingPathComponent(name).path
        try Data((["# the fleet, one target per line", ""] + targets).joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func sortedLines(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init).sorted()
    }

    // MARK: - Target lists

    @Test func aListFromAFileFromStandardInputAndNULSeparatedGivesTheSameRun() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let targets = Array(Self.fleet.prefix(12))
        let positional = try CLITests.run(["scan"] + targets + ["--format", "ndjson", "-q"])
        let expected = try positional.lines().map { $0["target"] as? String }
        #expect(expected == targets)

        // CRLF, blank lines, comments and a duplicate; one target given on the command line too.
        let crlf = "# fleet\r\n\r\n" + targets.dropFirst().map { $0 + "\r\n" }.joined() + targets[3] + "\r\n"
        let listPath = folder.appendingPathComponent("list.txt").path
        try Data(crlf.utf8).write(to: URL(fileURLWithPath: listPath))
        let fromFile = try CLITests.run(["scan", targets[0], "--targets", listPath, "--format", "ndjson", "-q"])
        #expect(fromFile.status == positional.status)
        #expect(fromFile.stdout == positional.stdout)

        let fromStdin = try CLITests.run(["scan", targets[0], "--targets", "-", "--format", "ndjson", "-q"], stdin: listPath)
        #expect(fromStdin.stdout == positional.stdout)

        let nulPath = folder.appendingPathComponent("list0").path
        try Data(targets.dropFirst().map { $0 + "\0" }.joined().utf8).write(to: URL(fileURLWithPath: nulPath))
        let fromNul = try CLITests.run(["scan", targets[0], "--targets0", nulPath, "--format", "ndjson", "-q"])
        #expect(fromNul.stdout == positional.stdout)
    }

    @Test func badListsAreUsageErrors() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let comments = try Self.writeList([], in: folder)
        let empty = try CLITests.run(["scan", "--targets", comments])
        #expect(empty.status == 64)
        #expect(empty.stderr.contains("name no target"))
        let binary = folder.appendingPathComponent("binary.txt")
        try Data([0x2f, 0x6d, 0xff, 0x0a]).write(to: binary)
        let notUTF8 = try CLITests.run(["scan", "--targets", binary.path])
        #expect(notUTF8.status == 64)
        #expect(notUTF8.stderr.contains("line 1: the target is not valid UTF-8"))
        #expect(try CLITests.run(["scan", "--targets", "/nonexistent/list.txt"]).status == 64)
        #expect(try CLITests.run(["scan"]).status == 64)
        #expect(try CLITests.run(["scan", "-", "--targets", "-"]).status == 64)
    }

    // MARK: - Resume

    /// Killed with SIGKILL at random moments and resumed each time, the run ends with exactly
    /// the lines of a run never interrupted.
    @Test func aRunKilledAtRandomAndResumedEndsWithTheUninterruptedResults() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let list = try Self.writeList(Self.fleet, in: folder)
        let reference = folder.appendingPathComponent("reference.ndjson").path
        let whole = try CLITests.run(["scan", "--targets", list, "--format", "ndjson", "--output", reference, "--jobs", "2", "-q"])
        #expect(whole.status == 3)
        let expected = try Self.sortedLines(reference)
        #expect(expected.count == Self.fleet.count)

        let journal = folder.appendingPathComponent("journal.ndjson").path
        var generator = SystemRandomNumberGenerator()
        // Killed 4 to 8 times at random moments, then left to finish.
        let kills = Int.random(in: 4...8, using: &generator)
        var interrupted = 0, finished = false, attempts = 0
        while !finished && attempts <= kills {
            attempts += 1
            let process = Process()
            process.executableURL = CLITests.binary
            process.arguments = ["scan", "--targets", list, "--format", "ndjson", "--output", journal, "--resume", "--jobs", "2", "-q"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            if attempts <= kills {
                // Between 50 ms and 1.5 s: early kills land while workers start, later ones mid-line.
                usleep(UInt32.random(in: 50_000...1_500_000, using: &generator))
                if process.isRunning {
                    kill(process.processIdentifier, SIGKILL)
                    process.waitUntilExit()
                    let done = (try? Self.sortedLines(journal).count) ?? 0
                    if done < expected.count { interrupted += 1 }
                    continue
                }
            }
            process.waitUntilExit()
            #expect(process.terminationStatus == 3)
            finished = true
        }
        #expect(finished, "the run never finished in \(attempts) attempts")
        #expect(interrupted >= 2, "only \(interrupted) kills landed before the end: the test proved little")
        #expect(try Self.sortedLines(journal) == expected)

        // Resuming a finished run scans nothing and ends with the same status and file.
        let again = try CLITests.run(["scan", "--targets", list, "--format", "ndjson", "--output", journal, "--resume", "--jobs", "2"])
        #expect(again.status == 3)
        #expect(again.stderr.contains("\(Self.fleet.count) targets already done; 0 of \(Self.fleet.count) targets left to scan"))
        #expect(try Self.sortedLines(journal) == expected)
    }

    @Test func resumeCutsATornLineRetriesErrorsOnRequestAndRefusesOtherFiles() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let appearing = folder.appendingPathComponent("late").path
        let targets = [Self.fleet[0], Self.fleet[1], appearing]
        let list = try Self.writeList(targets, in: folder)
        let journal = folder.appendingPathComponent("out.ndjson").path
        let first = try CLITests.run(["scan", "--targets", list, "--format", "ndjson", "-o", journal, "--resume"])
        #expect(first.status == 3, "the third target does not exist yet")
        // A torn last line, as a kill in the middle of a write leaves.
        let handle = try #require(FileHandle(forWritingAtPath: journal))
        handle.seekToEndOfFile()
        handle.write(Data("{\"target\":\"\(Self.fleet[2])\",\"verd".utf8))
        try handle.close()
        try FileManager.default.copyItem(atPath: CLITests.trees.appendingPathComponent("up-to-date-sr1").path, toPath: appearing)

        let kept = try CLITests.run(["scan", "--targets", list, "--format", "ndjson", "-o", journal, "--resume"])
        #expect(kept.status == 3, "an error line stands without --retry-errors")
        #expect(kept.stderr.contains("a last line cut short"))
        #expect(try Self.sortedLines(journal).count == 3)

        let retried = try CLITests.run(["scan", "--targets", list, "--format", "ndjson", "-o", journal, "--resume", "--retry-errors"])
        #expect(retried.status == 2)
        let lines = try Self.sortedLines(journal)
        #expect(lines.count == 3)
        let reference = try CLITests.run(["scan"] + targets + ["--format", "ndjson", "-q"])
        #expect(lines == reference.text.split(separator: "\n").map(String.init).sorted())

        // A file that is not a journal is never touched.
        let document = folder.appendingPathComponent("report.json").path
        try Data("{\n  \"targets\" : []\n}\n".utf8).write(to: URL(fileURLWithPath: document))
        let refused = try CLITests.run(["scan", "--targets", list, "--format", "ndjson", "-o", document, "--resume"])
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("not a patchaudit target object"))
        #expect(try String(contentsOfFile: document, encoding: .utf8) == "{\n  \"targets\" : []\n}\n")
        #expect(try CLITests.run(["scan", Self.fleet[0], "--resume", "--format", "json", "-o", document]).status == 64)
        #expect(try CLITests.run(["scan", Self.fleet[0], "--retry-errors"]).status == 64)
    }

    // MARK: - Shards and merge

    @Test func fourSlurmShardsMergedAreTheSingleRun() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let list = try Self.writeList(Self.fleet, in: folder)
        let single = try CLITests.run(["scan", "--targets", list, "--format", "json", "-q"])
        var shardFiles: [String] = []
        var taken = 0
        for task in 3...6 {
            let file = folder.appendingPathComponent("shard-\(task).ndjson").path
            let run = try CLITests.run(["scan", "--targets", list, "--format", "ndjson", "-o", file, "--fail-on", "none"],
                                       environment: ["SLURM_ARRAY_TASK_ID": "\(task)", "SLURM_ARRAY_TASK_MIN": "3", "SLURM_ARRAY_TASK_COUNT": "4"])
            #expect(run.status == 0)
            let said = try #require(run.stderr.split(separator: "\n").first { $0.contains("shard \(task - 2)/4 (from SLURM_ARRAY_TASK_ID)") })
            let count = try Self.sortedLines(file).count
            #expect(said.hasSuffix(": \(count) of \(Self.fleet.count) targets"))
            #expect(count > 0 && count < Self.fleet.count)
            taken += count
            shardFiles.append(file)
        }
        #expect(taken == Self.fleet.count)
        let merged = try CLITests.run(["merge"] + shardFiles.reversed() + ["--targets", list, "--format", "json"])
        #expect(merged.status == single.status)
        #expect(merged.stdout == single.stdout, "the merged document is the single run's, byte for byte")

        // A shard missing: its targets are listed and the status is 3, whatever --fail-on says.
        let partial = try CLITests.run(["merge"] + shardFiles.dropLast() + ["--targets", list, "--format", "json", "--fail-on", "none"])
        #expect(partial.status == 3)
        #expect(partial.stderr.contains("missing from every input"))
        let targets = try #require(try partial.json()["targets"] as? [[String: Any]])
        let missing = targets.filter { (($0["reasons"] as? [[String: Any]])?.first?["rule"] as? String) == "not-scanned" }
        #expect(missing.count == (try Self.sortedLines(shardFiles[3]).count))
        #expect((try partial.json()["summary"] as? [String: Any])?["missing"] as? Int == missing.count)
    }

    @Test func kubernetesIndexedJobsNeedTheShardTotalAndCoverEveryTarget() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let list = try Self.writeList(Array(Self.fleet.prefix(30)), in: folder)
        var all: [String] = []
        for index in 0..<3 {
            let run = try CLITests.run(["scan", "--targets", list, "--format", "ndjson", "--shard-total", "3", "--fail-on", "none"],
                                       environment: ["JOB_COMPLETION_INDEX": "\(index)"])
            #expect(run.status == 0)
            #expect(run.stderr.contains("shard \(index + 1)/3 (from JOB_COMPLETION_INDEX)"))
            all += try run.lines().compactMap { $0["target"] as? String }
        }
        #expect(all.sorted() == Array(Self.fleet.prefix(30)).sorted())
        let without = try CLITests.run(["scan", "--targets", list], environment: ["JOB_COMPLETION_INDEX": "1"])
        #expect(without.status == 64)
        #expect(without.stderr.contains("--shard-total"))
    }

    @Test func mergeReportsConflictsInsteadOfChoosing() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let copy = folder.appendingPathComponent("pc42").path
        try FileManager.default.copyItem(atPath: CLITests.trees.appendingPathComponent("patch-needed-sr1").path, toPath: copy)
        let monday = folder.appendingPathComponent("monday.ndjson").path
        #expect(try CLITests.run(["scan", copy, Self.fleet[0], "--format", "ndjson", "-o", monday]).status != 64)
        // The copy changes (patched) and is scanned again into another file.
        try FileManager.default.removeItem(atPath: copy)
        try FileManager.default.copyItem(atPath: CLITests.trees.appendingPathComponent("up-to-date-sr1").path, toPath: copy)
        let tuesday = folder.appendingPathComponent("tuesday.ndjson").path
        #expect(try CLITests.run(["scan", copy, Self.fleet[0], "--format", "ndjson", "-o", tuesday]).status != 64)
        let merged = try CLITests.run(["merge", monday, tuesday, "--format", "ndjson", "--fail-on", "none"])
        #expect(merged.status == 3)
        let lines = try merged.lines()
        #expect(lines.count == 2, "one line per target")
        let conflict = try #require(lines.first { $0["target"] as? String == copy })
        #expect(conflict["verdict"] as? String == "error")
        let reason = try #require((conflict["reasons"] as? [[String: Any]])?.first)
        #expect(reason["rule"] as? String == "merge-conflict")
        #expect((reason["message"] as? String)?.contains("monday.ndjson line 1 says patch-needed; \(tuesday) line 1 says up-to-date") == true)
        #expect(merged.stderr.contains("1 target with different results"))
        // The same result twice is one target, no conflict.
        let same = try CLITests.run(["merge", tuesday, tuesday, "--format", "json"])
        #expect(same.status == 0)
        #expect((try same.json()["targets"] as? [Any])?.count == 2)
    }

    // MARK: - Progress and summary

    @Test func progressShowsOnATerminalAndNeverInAPipe() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let targets = Array(Self.fleet.prefix(8))
        let output = folder.appendingPathComponent("out.ndjson").path
        let command = ([CLITests.binary.path, "scan"] + targets + ["--format", "ndjson", "-o", output]).map { "'\($0)'" }.joined(separator: " ")
        // script(1) gives the command a pseudo-terminal as standard error, as an admin's shell would.
        let terminal = try CLITests.run(["-qefc", command, "/dev/null"], executable: "/usr/bin/script")
        #expect(terminal.text.contains("[8/8 100%]"), "\(terminal.text)")
        #expect(terminal.text.contains("\r\u{1b}[2K"))
        #expect(terminal.text.contains("patchaudit: 8 targets in "))

        let piped = try CLITests.run(["scan"] + targets + ["--format", "ndjson", "-o", output])
        #expect(!piped.stderr.contains("[8/8"))
        #expect(!piped.stderr.contains("\u{1b}"))
        #expect(piped.stderr.contains("patchaudit: 8 targets in "), "the summary is for pipes too")
        let quiet = try CLITests.run(["scan"] + targets + ["--format", "ndjson", "-o", output, "-q"])
        #expect(quiet.stderr.isEmpty)
        let logged = try CLITests.run(["scan"] + targets + ["--format", "ndjson", "-o", output, "--progress"])
        #expect(logged.stderr.contains("patchaudit: 0/8 done (0%)"))
        #expect(!logged.stderr.contains("\u{1b}"))
    }

    @Test func theSummaryCountsVerdictsAndErrorsByCause() throws {
        let targets = Array(Self.fleet.prefix(6)) + ["/nonexistent/a.zip", "/nonexistent/b.zip"]
        let run = try CLITests.run(["scan"] + targets + ["--format", "json"])
        let document = try run.json()
        let summary = try #require(document["summary"] as? [String: Any])
        let reports = try #require(document["targets"] as? [[String: Any]])
        #expect(summary["targets"] as? Int == targets.count)
        let verdicts = try #require(summary["verdicts"] as? [String: Int])
        for verdict in ["up-to-date", "patch-needed", "blocked", "not-applicable", "review", "error"] {
            #expect(verdicts[verdict] == reports.filter { $0["verdict"] as? String == verdict }.count, "\(verdict)")
        }
        let rule = try #require(((reports.last?["reasons"] as? [[String: Any]])?.first)?["rule"] as? String)
        #expect(summary["errors"] as? [String: Int] == [rule: 2])
        #expect(run.stderr.contains("2 error (2 \(rule))"))
        let single = try CLITests.run(["scan", targets[0], "--format", "json"])
        #expect(!single.stderr.contains("targets in"), "one target needs no summary line")
    }

    @Test func aTargetPastItsTimeoutIsAnErrorAndTheFleetGoesOn() throws {
        let (folder, bad) = try WorkerIsolationTests.badTarget(named: "bad-spin.zip")
        defer { try? FileManager.default.removeItem(at: folder) }
        let list = try Self.writeList([Self.fleet[0], bad, Self.fleet[1]], in: folder)
        let run = try CLITests.run(["scan", "--targets", list, "--format", "json", "--target-timeout", "2s"],
                                   environment: ["PATCHAUDIT_TEST_WORKER_FAULT": "spin:bad-spin.zip"])
        #expect(run.status == 3)
        let summary = try #require(try run.json()["summary"] as? [String: Any])
        #expect(summary["errors"] as? [String: Int] == ["target-timeout": 1])
        #expect((try run.json()["targets"] as? [Any])?.count == 3)
    }

    // MARK: - What a second reader broke

    @Test func shardVariablesApplyToListRunsOnly() throws {
        // The older pattern: each array task names its own machine.
        let environment = ["SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "1", "JOB_COMPLETION_INDEX": "3"]
        let run = try CLITests.run(["scan", Self.fleet[0], "--format", "json"], environment: environment)
        #expect((try run.json()["targets"] as? [Any])?.count == 1)
        #expect(!run.stderr.contains("shard"))
    }

    /// A journal's lines come as targets finish: a slow target does not hold the others back,
    /// and a second run resuming the same file is refused while the first holds it.
    @Test func aJournalGetsEachLineAsItsTargetFinishesAndIsLocked() throws {
        let (folder, bad) = try WorkerIsolationTests.badTarget(named: "bad-spin.zip")
        defer { try? FileManager.default.removeItem(at: folder) }
        let others = Array(Self.fleet.prefix(6))
        let list = try Self.writeList([bad] + others, in: folder)
        let journal = folder.appendingPathComponent("journal.ndjson").path
        let process = Process()
        process.executableURL = CLITests.binary
        process.arguments = ["scan", "--targets", list, "--format", "ndjson", "--output", journal, "--resume", "--target-timeout", "20s", "--jobs", "2", "-q"]
        var environment = ProcessInfo.processInfo.environment
        environment["PATCHAUDIT_TEST_WORKER_FAULT"] = "spin:bad-spin.zip"
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        var written = 0
        // The spinning target's worker holds the target sent after it (two requests in flight);
        // every other target is scanned by the other worker and written as it finishes.
        for _ in 0..<150 where written < others.count - 1 {
            usleep(100_000)
            written = (try? Self.sortedLines(journal).count) ?? 0
        }
        #expect(process.isRunning, "the first target spins for 20 s")
        #expect(written == others.count - 1, "the other targets' lines are written while the first still runs")
        let second = try CLITests.run(["scan", "--targets", list, "--format", "ndjson", "--output", journal, "--resume"])
        #expect(second.status == 64)
        #expect(second.stderr.contains("another patchaudit run is writing"))
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        // Resumed, only the spinning target is left.
        let resumed = try CLITests.run(["scan", "--targets", list, "--format", "ndjson", "--output", journal, "--resume", "--target-timeout", "2s"],
                                       environment: ["PATCHAUDIT_TEST_WORKER_FAULT": "spin:bad-spin.zip"])
        #expect(resumed.stderr.contains("5 targets already done; 2 of 7 targets left to scan"))
        #expect(try Self.sortedLines(journal).count == 7)
    }

    @Test func aClosedStandardErrorDoesNotStopTheScan() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("out.ndjson").path
        let process = Process()
        process.executableURL = CLITests.binary
        process.arguments = ["scan"] + Self.fleet.prefix(8) + ["--format", "ndjson", "-o", output, "--progress", "--fail-on", "none"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try errors.fileHandleForReading.close()
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
        #expect(try Self.sortedLines(output).count == 8)
    }
}
