import Foundation
import Testing
@testable import PatchAuditKit

/// Target lists, shards, the NDJSON journal and the streamed report (issue: fleet audits).
@Suite struct FleetTests {
    // MARK: - Target lists

    @Test func newlineListsSkipBlanksAndCommentsTolerateCRLFAndDropDuplicates() throws {
        var list = TargetList()
        list.add("/mnt/pc1")
        let text = "# fleet of 2026-12\r\n/mnt/pc2\r\n\n   \n  # indented comment\n/mnt/pc1\n /mnt/with leading space\n/mnt/pc3 \n/mnt/pc2"
        try list.add(list: Array(text.utf8), separator: .newline, name: "list")
        #expect(list.targets == ["/mnt/pc1", "/mnt/pc2", " /mnt/with leading space", "/mnt/pc3 "])
        #expect(list.duplicates == 2)
    }

    @Test func nulListsKeepEveryByteOfANameAndHaveNoComments() throws {
        var list = TargetList()
        let bytes = Array("#not a comment\0a\nb\0\0c\r\0".utf8)
        try list.add(list: bytes, separator: .nul, name: "list")
        #expect(list.targets == ["#not a comment", "a\nb", "c\r"])
    }

    @Test func aListLineThatIsNotUTF8IsRefusedWithItsNumber() {
        var list = TargetList()
        #expect(throws: TargetList.Problem.self) { try list.add(list: Array("ok\n".utf8) + [0x66, 0xff, 0x0a], separator: .newline, name: "list") }
        do {
            try list.add(list: Array("ok\n".utf8) + [0x66, 0xff, 0x0a], separator: .newline, name: "the list x")
        } catch {
            #expect(error.description.contains("the list x, line 2"))
        }
        #expect(throws: TargetList.Problem.self) { try list.add(list: Array("a\0b\n".utf8), separator: .newline, name: "list") }
    }

    @Test func aListThatIsAFolderOrMissingIsRefused() {
        var list = TargetList()
        #expect(throws: TargetList.Problem.self) { try list.add(listAt: NSTemporaryDirectory(), separator: .newline) }
        #expect(throws: TargetList.Problem.self) { try list.add(listAt: "/nonexistent/list.txt", separator: .newline) }
    }

    // MARK: - Shards

    @Test func shardsPartitionTheTargetsAndDependOnTheNameAlone() {
        let targets = (1...3000).map { "/nas/images/pc\($0).E01" }
        let shards = (1...4).compactMap { Shard(index: $0, total: 4) }
        let taken = shards.map { shard in targets.filter(shard.contains) }
        #expect(taken.map(\.count).reduce(0, +) == targets.count)
        #expect(Set(taken.flatMap { $0 }).count == targets.count)
        for part in taken { #expect((650...850).contains(part.count), "\(part.count) of 3000 in one of 4 shards") }
        // Reordering or growing the list moves nothing.
        let grown = targets.reversed() + (3001...3500).map { "/nas/images/pc\($0).E01" }
        #expect(Set(grown.filter(shards[1].contains)).isSuperset(of: taken[1]))
    }

    @Test func oneMoreShardMovesAboutItsShareOnly() {
        let targets = (1...4000).map { "target-\($0)" }
        let moved = targets.filter { Shard.bucket(of: $0, buckets: 8) != Shard.bucket(of: $0, buckets: 9) }.count
        // Jump hash: about 1/9 move (mod N would move about 8/9).
        #expect((300...600).contains(moved), "\(moved) of 4000 moved")
        for target in targets where Shard.bucket(of: target, buckets: 8) != Shard.bucket(of: target, buckets: 9) {
            #expect(Shard.bucket(of: target, buckets: 9) == 8)
        }
    }

    @Test func theBucketOfATargetIsPinned() {
        // A target's shard must never change between versions: resumed shards rely on it.
        // The values were computed independently (Python: hashlib.sha256, the paper's jump hash).
        let buckets = [1, 2, 3, 4, 5, 6, 16, 100, 1000].map { Shard.bucket(of: "/nas/pc42.E01", buckets: $0) }
        #expect(buckets == [0, 0, 0, 0, 0, 5, 14, 54, 995])
    }

    @Test func shardsComeFromTheFlagSlurmOrKubernetes() throws {
        #expect(try Shard.select(flag: "2/8", shardTotal: nil, environment: ["SLURM_ARRAY_TASK_ID": "5"])?.shard == Shard(index: 2, total: 8))
        let slurm = try Shard.select(flag: nil, shardTotal: nil, environment: ["SLURM_ARRAY_TASK_ID": "7", "SLURM_ARRAY_TASK_MIN": "5", "SLURM_ARRAY_TASK_COUNT": "4"])
        #expect(slurm?.shard == Shard(index: 3, total: 4))
        #expect(slurm?.origin == .slurm)
        let zeroBased = try Shard.select(flag: nil, shardTotal: nil, environment: ["SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_COUNT": "16"])
        #expect(zeroBased?.shard == Shard(index: 1, total: 16))
        let kubernetes = try Shard.select(flag: nil, shardTotal: 10, environment: ["JOB_COMPLETION_INDEX": "9"])
        #expect(kubernetes?.shard == Shard(index: 10, total: 10))
        #expect(try Shard.select(flag: nil, shardTotal: nil, environment: [:]) == nil)
        for (flag, total, environment) in [("0/4", nil, [:]), ("5/4", nil, [:]), ("x", nil, [:]),
                                           (nil, nil, ["JOB_COMPLETION_INDEX": "3"]), (nil, 3, ["JOB_COMPLETION_INDEX": "3"]),
                                           (nil, 4, [:]),
                                           (nil, nil, ["SLURM_ARRAY_TASK_ID": "9", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "5"]),
                                           (nil, nil, ["SLURM_ARRAY_TASK_ID": "1"])] as [(String?, Int?, [String: String])] {
            #expect(throws: Shard.Problem.self, "\(String(describing: flag)) \(String(describing: total)) \(environment)") {
                try Shard.select(flag: flag, shardTotal: total, environment: environment)
            }
        }
    }

    // MARK: - NDJSON files and the journal

    static func file(_ bytes: [UInt8]) throws -> (URL, Int32) {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-\(UUID().uuidString).ndjson")
        try Data(bytes).write(to: url)
        let descriptor = open(url.path, O_RDONLY)
        try #require(descriptor >= 0)
        return (url, descriptor)
    }

    static func line(_ target: String, _ verdict: Verdict, manifests: [String] = ["aa"], rule: String? = nil, padding: Int = 0) -> String {
        let reasons = rule.map { "[{\"rule\":\"\($0)\",\"verdict\":\"error\",\"message\":\"m\"}]" } ?? "[]"
        let uses = manifests.map { "{\"sha256\":\"\($0)\"}" }.joined(separator: ",")
        return "{\"kind\":\"directory\",\"manifests\":[\(uses)],\"pad\":\"\(String(repeating: "x", count: padding))\",\"reasons\":\(reasons),\"target\":\"\(target)\",\"verdict\":\"\(verdict.rawValue)\"}\n"
    }

    @Test func linesAreFoundAcrossChunksAndATornLastLineIsMeasured() throws {
        // A line longer than the 1 MiB read chunk, and a last line cut short.
        let text = Self.line("a", .upToDate) + Self.line("b", .review, padding: 1_500_000) + Self.line("c", .patchNeeded) + "{\"target\":\"d\",\"verd"
        let (url, descriptor) = try Self.file(Array(text.utf8))
        defer { close(descriptor); try? FileManager.default.removeItem(at: url) }
        var seen: [(NDJSONFile.Span, String)] = []
        let extent = try NDJSONFile.forEachLine(in: descriptor, name: "x") { span, line in
            seen.append((span, NDJSONFile.Facts(line: line)?.target ?? "?"))
        }
        #expect(seen.map(\.1) == ["a", "b", "c"])
        #expect(extent.torn == Int64("{\"target\":\"d\",\"verd".utf8.count))
        #expect(extent.complete + extent.torn == Int64(text.utf8.count))
        for (span, target) in seen {
            let bytes = try #require(NDJSONFile.line(at: span, in: descriptor))
            #expect(NDJSONFile.Facts(line: bytes)?.target == target)
            #expect(bytes.last == UInt8(ascii: "}"))
        }
    }

    @Test func theJournalKeepsWhatStandsAndDropsWhatMustBeScannedAgain() throws {
        let text = Self.line("a", .upToDate) + Self.line("b", .error, rule: "target-timeout") + Self.line("c", .review, manifests: ["bb"])
            + Self.line("a", .patchNeeded) + Self.line("d", .patchNeeded, manifests: ["aa", "cc"]) + "{\"tar"
        let (url, descriptor) = try Self.file(Array(text.utf8))
        defer { close(descriptor); try? FileManager.default.removeItem(at: url) }
        let plain = try ResumeJournal(descriptor: descriptor, name: "j", manifestDigests: ["aa"], retryErrors: false)
        #expect(Set(plain.done.keys.map(\.text)) == ["a", "b"])
        #expect(plain.done[ExactName("a")]?.verdict == .upToDate, "the first line of a target stands")
        #expect(plain.done[ExactName("b")]?.cause == "target-timeout")
        #expect(plain.droppedForManifests == 2)
        #expect(plain.droppedDuplicates == 1)
        #expect(plain.extent.torn == 5)
        #expect(plain.needsRewrite)
        let retry = try ResumeJournal(descriptor: descriptor, name: "j", manifestDigests: ["aa"], retryErrors: true)
        #expect(Set(retry.done.keys.map(\.text)) == ["a"])
        #expect(retry.droppedErrors == 1)
        let other = try ResumeJournal(descriptor: descriptor, name: "j", manifestDigests: ["cc", "aa"], retryErrors: true)
        #expect(Set(other.done.keys.map(\.text)) == ["d"], "manifests are compared as a set")
    }

    @Test func aFileThatIsNotAJournalIsRefused() throws {
        let (url, descriptor) = try Self.file(Array("{\n  \"manifests\" : [\n".utf8))
        defer { close(descriptor); try? FileManager.default.removeItem(at: url) }
        #expect(throws: NDJSONFile.Problem.self) { try ResumeJournal(descriptor: descriptor, name: "j", manifestDigests: [], retryErrors: false) }
    }

    // MARK: - Summary, progress, the streamed document

    @Test func theSummaryCountsVerdictsAndErrorCauses() {
        var summary = RunSummary()
        summary.add(.upToDate, cause: nil)
        summary.add(.error, cause: "target-timeout")
        summary.add(.error, cause: "target-timeout", resumed: true)
        summary.add(.error, cause: "archive-corrupt")
        summary.add(.patchNeeded, cause: nil)
        #expect(summary.targets == 5)
        #expect(summary.verdicts["error"] == 3 && summary.verdicts["blocked"] == 0)
        #expect(summary.errors == ["target-timeout": 2, "archive-corrupt": 1])
        #expect(summary.worst == .error)
        #expect(summary.text(elapsed: 754) == "5 targets in 12m 34s: 3 error (2 target-timeout, 1 archive-corrupt), 1 patch-needed, 1 up-to-date; 1 already done in the output (--resume), not scanned again")
    }

    @Test func theProgressLineFitsItsTerminalAndEscapesNames() {
        var line = ProgressLine(total: 3000)
        line.done = 1234
        line.counts = [.upToDate: 1100, .patchNeeded: 130, .error: 4]
        line.elapsed = 100
        line.slowest = ("/nas/images/very/long/path/to/the/slow/one/pc42\u{1b}]0;owned\u{7}.E01", 72)
        let text = line.terminal(width: 150)
        #expect(text.hasPrefix("[1234/3000 41%] 1100 up-to-date, 130 patch-needed, 4 error | 12.3/s | ETA 2m 23s | slowest: …"))
        #expect(text.hasSuffix(".E01 1m 12s"))
        #expect(text.count == 150)
        #expect(!text.contains("\u{1b}"))
        // Too narrow for the slowest target: left out, and the line is cut to the width.
        #expect(line.terminal(width: 100) == "[1234/3000 41%] 1100 up-to-date, 130 patch-needed, 4 error | 12.3/s | ETA 2m 23s")
        #expect(line.terminal(width: 30).count == 30)
        #expect(line.plain.contains("patchaudit: 1234/3000 done (41%)"))
        #expect(line.plain.contains("\\u{1b}]0;owned"))
    }

    @Test func theStreamedDocumentIsTheDocumentWithASummary() throws {
        let reports = [TargetReport.failed("/mnt/a", kind: .missing, reason: Reason(rule: "target-missing", verdict: .error, message: "gone")),
                       TargetReport.failed("/mnt/\"b\"\n", kind: .directory, reason: Reason(rule: "x", verdict: .error, message: "m"))]
        let uses: [ManifestUse] = []
        final class Sink: @unchecked Sendable { var data = Data() }
        let sink = Sink()
        let stream = ReportStream(format: .json, context: ReportContext(manifests: uses)) { sink.data.append($0) }
        try stream.begin()
        var summary = RunSummary()
        for report in reports {
            try stream.add(report)
            summary.add(report.verdict, cause: report.reasons.first?.rule)
        }
        try stream.finish(RunEnd(summary: summary))
        var streamed = try #require(try JSONSerialization.jsonObject(with: sink.data) as? [String: Any])
        let summaryObject = try #require(streamed.removeValue(forKey: "summary") as? [String: Any])
        #expect(summaryObject["targets"] as? Int == 2)
        let whole = try #require(try JSONSerialization.jsonObject(with: JSONReport.document(ScanReport(manifests: uses, targets: reports))) as? [String: Any])
        #expect(NSDictionary(dictionary: streamed).isEqual(to: whole))
        // No target at all is still a document.
        let empty = Sink()
        let none = ReportStream(format: .json, context: ReportContext(manifests: uses)) { empty.data.append($0) }
        try none.begin()
        try none.finish(RunEnd(summary: RunSummary()))
        let object = try #require(try JSONSerialization.jsonObject(with: empty.data) as? [String: Any])
        #expect((object["targets"] as? [Any])?.isEmpty == true)
        #expect(object["verdict"] as? String == "not-applicable")
    }

    // MARK: - What a second reader broke

    @Test func namesEqualOnlyAsUnicodeAreTwoTargets() throws {
        var list = TargetList()
        let composed = "/mnt/caf\u{e9}.zip", decomposed = "/mnt/cafe\u{301}.zip"
        #expect(composed == decomposed, "Swift calls them equal")
        list.add(composed)
        try list.add(list: Array("\(decomposed)\n\(composed)\n".utf8), separator: .newline, name: "list")
        #expect(list.targets.map { Array($0.utf8) } == [Array(composed.utf8), Array(decomposed.utf8)])
        #expect(list.duplicates == 1)
        #expect(ExactName(composed) != ExactName(decomposed))
    }

    @Test func listsFromWindowsAndStandardInputNames() throws {
        var list = TargetList()
        try list.add(list: [0xef, 0xbb, 0xbf] + Array("C:/images/pc1.E01\r\n".utf8), separator: .newline, name: "list")
        #expect(list.targets == ["C:/images/pc1.E01"])
        #expect(throws: TargetList.Problem.self) { try list.add(list: [0xff, 0xfe, 0x61, 0x00, 0x0a, 0x00], separator: .newline, name: "list") }
        #expect(throws: TargetList.Problem.self) { try list.add(list: Array("a\n-\n".utf8), separator: .newline, name: "list") }
        try list.add(list: Array("./-\n".utf8), separator: .newline, name: "list")
        #expect(list.targets.last == "./-")
    }

    @Test func hostileShardVariablesAreRefusedNotTrapped() {
        let hostile: [[String: String]] = [
            ["SLURM_ARRAY_TASK_ID": "-9223372036854775808", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "9223372036854775807"],
            ["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "9223372036854775807"],
            ["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "8", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "15", "SLURM_ARRAY_TASK_STEP": "2"],
            ["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "8", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "15"],
            ["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "8", "SLURM_ARRAY_TASK_MIN": "abc"],
            ["SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_COUNT": "0", "SLURM_ARRAY_TASK_MIN": "0"],
            ["JOB_COMPLETION_INDEX": "9223372036854775807"],
            ["JOB_COMPLETION_INDEX": "-1"],
        ]
        for environment in hostile {
            #expect(throws: Shard.Problem.self, "\(environment)") { try Shard.select(flag: nil, shardTotal: 4, environment: environment) }
        }
        #expect(throws: Shard.Problem.self) { try Shard.select(flag: "1/4", shardTotal: 4, environment: [:]) }
        // A plain array 1-8 with its MAX and STEP set, as Slurm sets them.
        let plain = ["SLURM_ARRAY_TASK_ID": "8", "SLURM_ARRAY_TASK_COUNT": "8", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "8", "SLURM_ARRAY_TASK_STEP": "1"]
        #expect((try? Shard.select(flag: nil, shardTotal: nil, environment: plain))??.shard == Shard(index: 8, total: 8))
    }

    @Test func aJournalNeverEatsAFileItDidNotWrite() throws {
        for text in ["precious data without newline", Self.line("a", .upToDate) + "garbage after", "{\"target\":\"x\",\"verdict\":\"up-to-date\"}\n"] {
            let (url, descriptor) = try Self.file(Array(text.utf8))
            defer { close(descriptor); try? FileManager.default.removeItem(at: url) }
            #expect(throws: NDJSONFile.Problem.self, "\(text)") { try ResumeJournal(descriptor: descriptor, name: "j", manifestDigests: ["aa"], retryErrors: false) }
        }
        // One byte of a line, or two: a line cut short, cut off.
        for tail in ["{", "{\"ta"] {
            let (url, descriptor) = try Self.file(Array((Self.line("a", .upToDate) + tail).utf8))
            defer { close(descriptor); try? FileManager.default.removeItem(at: url) }
            let journal = try ResumeJournal(descriptor: descriptor, name: "j", manifestDigests: ["aa"], retryErrors: false)
            #expect(journal.extent.torn == Int64(tail.utf8.count))
        }
    }

    @Test func mergePlaceholdersAreNeverDone() throws {
        let text = Self.line("a", .error, rule: "not-scanned") + Self.line("b", .error, rule: "merge-conflict") + Self.line("c", .error, rule: "target-timeout")
        let (url, descriptor) = try Self.file(Array(text.utf8))
        defer { close(descriptor); try? FileManager.default.removeItem(at: url) }
        let journal = try ResumeJournal(descriptor: descriptor, name: "j", manifestDigests: ["aa"], retryErrors: false)
        #expect(Set(journal.done.keys.map(\.text)) == ["c"])
    }

    @Test func unorderedDeliveryEmitsAsResultsArrive() throws {
        final class Seen: @unchecked Sendable { var targets: [String] = []; var arrived: [Int] = [] }
        let seen = Seen()
        let order = WorkerPool.InOrder(count: 3, keep: false, ordered: false, arrived: { index, _ in seen.arrived.append(index) }) { seen.targets.append($0.target) }
        func report(_ name: String) -> ScanResult { .report(.failed(name, kind: .archive, reason: Reason(rule: "x", verdict: .error, message: name))) }
        try order.deliver(2, report("c"))
        #expect(seen.targets == ["c"], "a later target is written at once")
        try order.deliver(2, report("c again"))
        try order.deliver(0, report("a"))
        _ = try order.finish { report("missing \($0)") }
        #expect(seen.targets == ["c", "a", "missing 1"])
        #expect(seen.arrived == [2, 0, 1])
    }
}
