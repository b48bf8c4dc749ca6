import Foundation
import Testing
@testable import PatchAuditKit

/// Fixtures/robustness (issue 8): nested archives read in place, streamed, re-read and copied;
/// files named like archives that are none; the zip end record that claimed disk 65535 and the
/// gzip header that made libarchive read on without end. Expectations: Fixtures/robustness/expected.json.
@Suite struct RobustnessFixtureTests {
    static let folder = FixtureSupport.fixtures.appendingPathComponent("robustness")

    struct Case: Decodable, Sendable, CustomStringConvertible {
        struct Variant: Decodable, Sendable {
            var args: [String]
            var verdict: String
            var limitsHit: [String]
        }
        var path: String
        var verdict: String
        var tree: String?
        var pathPrefix: String?
        var notAnArchive: [String]
        var problem: String?
        var limitsHit: [String]
        var withOptions: [Variant]?
        var description: String { path }
    }

    static let cases: [Case] = {
        guard let data = try? Data(contentsOf: folder.appendingPathComponent("expected.json")) else { return [] }
        return (try? JSONDecoder().decode([Case].self, from: data)) ?? []
    }()

    static func scan(_ name: String, limits: ScanLimits = ScanLimits()) throws -> TargetReport {
        try FixtureSupport.scanner(limits: limits).scan(target: folder.appendingPathComponent(name).path)
    }

    @Test func everyFixtureIsDescribed() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path)
            .filter { !$0.hasPrefix(".") && $0 != "expected.json" }
        #expect(Set(files) == Set(Self.cases.map(\.path)))
        #expect(Self.cases.count >= 15)
    }

    @Test(arguments: cases)
    func fixtureGetsItsVerdict(_ expected: Case) throws {
        let report = try Self.scan(expected.path)
        #expect(report.verdict.rawValue == expected.verdict)
        #expect(report.limitsHit.map(\.limit).sorted() == expected.limitsHit.sorted())
        let listed = report.skipped.filter { $0.kind == .notAnArchive }.map(\.path)
        #expect(listed.sorted() == expected.notAnArchive.sorted())
        if let problem = expected.problem {
            #expect(report.reasons.contains { $0.message.contains(problem) }, "a reason names \(problem)")
        }
        if let tree = expected.tree {
            // Read in place, streamed or re-read: the same statuses as the tree folder, under the prefix.
            let folder = try FixtureSupport.scanner().scan(target: FixtureSupport.trees.appendingPathComponent(tree).path)
            let prefix = expected.pathPrefix ?? ""
            var wanted: [String: String] = [:]
            for (path, status) in folder.statuses() { wanted[path.contains("/") ? prefix + path : path] = status }
            #expect(report.statuses() == wanted)
        }
    }

    @Test(arguments: cases.filter { $0.withOptions != nil })
    func limitsDecideTheCopyPath(_ expected: Case) throws {
        for variant in expected.withOptions ?? [] {
            var limits = ScanLimits()
            #expect(variant.args.count == 2 && variant.args[0] == "--max-nested-size")
            limits.maxNestedArchiveSize = Int64(variant.args[1]) ?? -1
            let report = try Self.scan(expected.path, limits: limits)
            #expect(report.verdict.rawValue == variant.verdict, "\(expected.path) \(variant.args)")
            #expect(report.limitsHit.map(\.limit).sorted() == variant.limitsHit.sorted())
        }
    }

    @Test func anEndRecordClaimingDisk65535IsNoCrash() throws {
        let report = try Self.scan("eocd-disk-65535.zip")
        #expect(report.verdict == .error)
        let zip64 = try Self.scan("zip64-saturated-eocd.zip")
        #expect(zip64.verdict == .upToDate)
    }

    @Test func aGzipHeaderWithoutEndIsRefusedNotRead() throws {
        let report = try Self.scan("gzip-long-name.tar.gz")
        #expect(report.verdict == .error)
        #expect(report.reasons.contains { $0.rule == "archive-refused" })
        #expect(!report.reasons.contains { $0.message.contains("truncated") })
    }

    @Test func maxDepthZeroOpensNothingButStillSniffs() throws {
        var limits = ScanLimits()
        limits.maxArchiveDepth = 0
        // Real nested archives are a limit (their contents went unchecked) ...
        let nested = try Self.scan("iso-stored-in-zip.zip", limits: limits)
        #expect(nested.verdict == .review)
        #expect(nested.limitsHit.map(\.limit) == ["max-depth"])
        #expect(nested.stats.matchedFiles == 0)
        // ... random bytes under archive names are not: they hold nothing to check.
        let random = try Self.scan("random-archive-names.zip", limits: limits)
        #expect(random.verdict == .upToDate)
        #expect(random.limitsHit.isEmpty)
    }
}
