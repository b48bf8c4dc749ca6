import Foundation
import Testing
@testable import PatchAuditKit

/// The worker protocol on its own (the processes are tested end to end in WorkerIsolationTests):
/// frames split anywhere still decode, broken frames are refused, and every report survives the
/// trip from worker to supervisor unchanged.
@Suite struct WorkerProtocolTests {
    @Test func framesDecodeHoweverTheBytesArrive() throws {
        let payloads: [[UInt8]] = [Array("first".utf8), [], Array(repeating: 0x41, count: 70_000), Array("last".utf8)]
        let stream = payloads.flatMap { WorkerProtocol.frame(.report, $0) ?? [] }
        for chunkSize in [1, 2, 5, 4096, stream.count] {
            var decoder = WorkerProtocol.FrameDecoder()
            var got: [[UInt8]] = []
            var at = 0
            while at < stream.count {
                decoder.append(stream[at..<min(stream.count, at + chunkSize)])
                at += chunkSize
                while let frame = try decoder.next() {
                    #expect(frame.type == .report)
                    got.append(frame.payload)
                }
            }
            #expect(got == payloads, "chunks of \(chunkSize)")
        }
    }

    @Test func requestsSurviveTheTrip() {
        for request in [WorkerRequest(index: 0, target: "-"), WorkerRequest(index: 70_000, target: "/mnt/Büro\npc 42.zip"),
                        WorkerRequest(index: 3, target: "")] {
            #expect(WorkerRequest(payload: request.payload) == request)
        }
        #expect(WorkerRequest(payload: [1, 2, 3]) == nil)
    }

    @Test func brokenFramesAreRefused() {
        var unknown = WorkerProtocol.FrameDecoder()
        unknown.append([2, 0, 0, 0, 99, 0])
        #expect(throws: WorkerProtocol.FrameDecoder.Malformed.self) { try unknown.next() }
        var empty = WorkerProtocol.FrameDecoder()
        empty.append([0, 0, 0, 0, 2])
        #expect(throws: WorkerProtocol.FrameDecoder.Malformed.self) { try empty.next() }
        var huge = WorkerProtocol.FrameDecoder()
        huge.append([0xff, 0xff, 0xff, 0x7f, 2])
        #expect(throws: WorkerProtocol.FrameDecoder.Malformed.self) { try huge.next() }
        #expect(WorkerProtocol.frame(.report, [UInt8](repeating: 0, count: WorkerProtocol.maxFrameLength)) == nil)
    }

    /// Every fixture tree and archive: the report the supervisor decodes is the one the worker made.
    @Test func reportsSurviveTheTrip() throws {
        let scanner = try FixtureSupport.scanner()
        var targets = FixtureSupport.expectedTrees.map(\.path)
        let archives = FixtureSupport.fixtures.appendingPathComponent("archives")
        for folder in ["zip", "nested", "broken"] {
            let names = try FileManager.default.contentsOfDirectory(atPath: archives.appendingPathComponent(folder).path).sorted()
            targets += names.map { archives.appendingPathComponent(folder).appendingPathComponent($0).path }
        }
        #expect(targets.count > 50)
        for target in targets {
            let report = scanner.scan(target: target)
            let data = try JSONEncoder().encode(WorkerReply(index: 7, report: report))
            let back = try JSONDecoder().decode(WorkerReply.self, from: data)
            #expect(back.index == 7)
            #expect(back.report == report, "\(target)")
        }
    }

    @Test func aSetupSurvivesTheCommandLine() throws {
        var limits = ScanLimits()
        limits.maxNestedArchives = 17
        let setup = WorkerSetup(manifests: try FixtureSupport.shippedManifests(), limits: limits, walkers: 3,
                                memoryLimit: 1 << 30, targetTimeout: 12.5)
        #expect(try WorkerSetup.decode(try setup.encoded()) == setup)
        // Limits a newer supervisor does not send keep their defaults.
        let old = try JSONDecoder().decode(ScanLimits.self, from: Data(#"{"maxFileSize": 5}"#.utf8))
        #expect(old.maxFileSize == 5)
        #expect(old.maxNestedArchives == ScanLimits().maxNestedArchives)
    }

    @Test func aWorkerThatCannotStartMakesItsTargetsErrors() async throws {
        let pool = WorkerPool(executable: "/nonexistent/patchaudit", arguments: ["worker"],
                              setup: WorkerSetup(manifests: try FixtureSupport.shippedManifests(), limits: ScanLimits(), walkers: 1,
                                                 memoryLimit: 1 << 30, targetTimeout: 60),
                              jobs: 2)
        let targets = [FixtureSupport.trees.appendingPathComponent("up-to-date-sr1").path, "/nonexistent/pc42.zip", "/tmp"]
        let results = try await pool.scan(targets: targets) { _ in }
        #expect(results.map(\.target) == targets)
        let reports = results.compactMap { result -> TargetReport? in
            if case .report(let report) = result { return report }
            return nil
        }
        #expect(reports.count == targets.count)
        for report in reports {
            #expect(report.verdict == .error)
            #expect(report.reasons.first?.rule == "worker-failed")
            #expect(report.reasons.first?.message.contains("no worker process could be started") == true)
        }
        #expect(reports[0].kind == .directory)
        #expect(reports[1].kind == .missing)
    }

    /// Results are emitted in target order as they complete; a run that writes its output as it
    /// goes keeps only verdicts; a target nobody answered for becomes an error, not a gap.
    @Test func resultsComeInOrderAndNoTargetGoesMissing() throws {
        let emitted = Emitted()
        let order = WorkerPool.InOrder(count: 4, keep: false) { emitted.add($0) }
        func report(_ name: String, _ verdict: Verdict) -> ScanResult {
            var report = TargetReport.failed(name, kind: .archive, reason: Reason(rule: "x", verdict: verdict, message: name))
            report.verdict = verdict
            return .report(report)
        }
        try order.deliver(1, report("b", .patchNeeded))
        #expect(emitted.targets.isEmpty)
        try order.deliver(0, report("a", .upToDate))
        #expect(emitted.targets == ["a", "b"])
        try order.deliver(3, report("d", .review))
        let results = try order.finish { index in report("missing \(index)", .error) }
        #expect(emitted.targets == ["a", "b", "missing 2", "d"])
        // Nothing of a target is kept once it is emitted (a fleet's memory stays flat).
        #expect(results.isEmpty)
        let kept = WorkerPool.InOrder(count: 2, keep: true) { emitted.add($0) }
        try kept.deliver(1, report("f", .review))
        try kept.deliver(0, report("e", .upToDate))
        #expect(try kept.finish { index in report("missing \(index)", .error) }.map(\.verdict) == [.upToDate, .review])
    }

    final class Emitted: @unchecked Sendable {
        // Written by InOrder's emit, which runs under its lock; read after the calls return.
        private(set) var targets: [String] = []
        func add(_ result: ScanResult) { targets.append(result.target) }
    }
}
