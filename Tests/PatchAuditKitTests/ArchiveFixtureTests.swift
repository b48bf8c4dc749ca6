import Foundation
import Testing
@testable import PatchAuditKit

/// Every fixture install tree as each archive kind gives the report its folder gives, and every
/// broken or hostile archive ends with its classified verdict (Fixtures/archives/expected.json).
@Suite struct ArchiveFixtureTests {
    static let archives = FixtureSupport.fixtures.appendingPathComponent("archives")

    struct Expected: Decodable {
        struct Archive: Decodable, Sendable, CustomStringConvertible {
            var path: String
            var kind: String
            var tree: String
            var pathMap: [String: String]?
            var description: String { path }
        }
        struct Case: Decodable, Sendable, CustomStringConvertible {
            var path: String
            var verdict: String
            var problem: String?
            var entry: String?
            var description: String { path }
        }
        var archives: [Archive]
        var nested: [Case]
        var broken: [Case]
    }

    static let expected: Expected? = {
        guard let data = try? Data(contentsOf: archives.appendingPathComponent("expected.json")) else { return nil }
        return try? JSONDecoder().decode(Expected.self, from: data)
    }()

    static func treePath(_ tree: String) -> String {
        tree == "sample-install" ? FixtureSupport.fixtures.appendingPathComponent("sample-install").path
                                 : FixtureSupport.trees.appendingPathComponent(tree).path
    }

    @Test func everyKindIsCovered() throws {
        let expected = try #require(Self.expected)
        let kinds = Set(expected.archives.map(\.kind))
        for kind in ["zip", "stored-zip", "tar.gz", "tar.xz", "tar.bz2", "7z", "cab", "joliet-iso", "iso9660"] {
            #expect(kinds.contains(kind), "no fixture of kind \(kind)")
        }
        #expect(expected.archives.count >= 9 * FixtureSupport.expectedTrees.count)
    }

    @Test(arguments: expected?.archives ?? [])
    func archiveReportEqualsFolderReport(_ archive: Expected.Archive) throws {
        let scanner = try FixtureSupport.scanner()
        let folder = scanner.scan(target: Self.treePath(archive.tree))
        let packed = scanner.scan(target: Self.archives.appendingPathComponent(archive.path).path)
        #expect(packed.kind == .archive)
        #expect(packed.verdict == folder.verdict)
        if let pathMap = archive.pathMap {
            // Plain ISO 9660: 8.3 names. Same verdicts and statuses, at the mapped paths.
            let statuses = folder.statuses()
            let packedStatuses = packed.statuses()
            for (path, status) in statuses {
                let mapped = pathMap[path] ?? path
                #expect(packedStatuses[mapped] == status, "\(archive.path): \(path) → \(mapped)")
            }
            #expect(packed.installations.map(\.verdict) == folder.installations.map(\.verdict))
        } else {
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            #expect(try encoder.encode(packed.installations) == encoder.encode(folder.installations))
            #expect(try encoder.encode(packed.strayFiles) == encoder.encode(folder.strayFiles))
        }
    }

    @Test(arguments: (expected?.nested ?? []) + (expected?.broken ?? []))
    func brokenAndNestedArchivesAreClassified(_ expected: Expected.Case) throws {
        let report = try FixtureSupport.scanner().scan(target: Self.archives.appendingPathComponent(expected.path).path)
        #expect(report.verdict.rawValue == expected.verdict)
        #expect(report.verdict != .upToDate)
        if report.verdict == .error || report.verdict == .review {
            // A classified verdict always says why: a target reason, a limit, or an installation's.
            let said = !report.reasons.isEmpty || !report.limitsHit.isEmpty
                || report.installations.contains { $0.evaluations.contains { !$0.reasons.isEmpty } }
            #expect(said)
        }
        if let entry = expected.entry, report.verdict == .error {
            #expect(report.reasons.contains { $0.message.contains(entry) }, "the message names \(entry)")
        }
    }

    func scan(_ relative: String, limits: ScanLimits = ScanLimits()) throws -> TargetReport {
        try FixtureSupport.scanner(limits: limits).scan(target: Self.archives.appendingPathComponent(relative).path)
    }

    @Test func messagesNameTheProblem() throws {
        #expect(try scan("broken/random.bin").reasons.contains { $0.message.contains("not a recognised archive") })
        #expect(try scan("broken/multivolume.z01").reasons.contains { $0.message.contains("multi-volume") })
        #expect(try scan("broken/multivolume.zip").reasons.contains { $0.message.contains("multi-volume") })
        #expect(try scan("broken/overlap-bomb.zip").limitsHit.contains { $0.limit == "zip-overlap" })
        #expect(try scan("broken/ratio-bomb.zip").limitsHit.contains { $0.limit == "max-file-size" })
        #expect(try scan("broken/bad-crc.zip").reasons.contains { $0.rule == "archive-corrupt" && $0.message.contains("CRC") })
        #expect(try scan("nested/depth4.zip").limitsHit.contains { $0.limit == "max-depth" })
        let encrypted = try scan("broken/encrypted.zip")
        #expect(encrypted.statuses().values.contains("unreadable"))
        #expect(encrypted.reasons.contains { $0.rule == "archive-encrypted" })
    }

    @Test func theRatioGuardStopsAnEntryBeforeTheByteCap() throws {
        var limits = ScanLimits()
        limits.maxFileSize = 512 << 20
        let report = try scan("broken/ratio-bomb.zip", limits: limits)
        #expect(report.verdict == .review)
        #expect(report.limitsHit.contains { $0.limit == "max-compression-ratio" })
    }

    @Test func theTotalByteCapIsSharedAcrossNesting() throws {
        var limits = ScanLimits()
        limits.maxTotalBytes = 100_000
        let report = try scan("nested/zip-in-zip.zip", limits: limits)
        #expect(report.verdict == .review)
        #expect(report.limitsHit.contains { $0.limit == "max-total-bytes" })
    }

    @Test func nestedPathsShowTheChain() throws {
        let report = try scan("nested/zip-in-zip.zip")
        #expect(report.verdict == .patchNeeded)
        #expect(report.statuses()["setup/pc42.zip!WINDOWS/SYSTEM/EMSMDB32.DLL"] == "outdated")
        var limits = ScanLimits()
        limits.maxArchiveDepth = 0
        #expect(try scan("nested/zip-in-zip.zip", limits: limits).limitsHit.contains { $0.limit == "max-depth" })
    }

    @Test func evilNamesAreReportedAsTheyAre() throws {
        let report = try scan("broken/evil-names.zip")
        let paths = report.installations.flatMap { $0.evaluations.flatMap { $0.files.compactMap(\.path) } }
        #expect(paths.contains("/abs/WINDOWS/SYSTEM/EMSMDB32.DLL"))
        #expect(paths.contains("C:/WINDOWS/SYSTEM/EMSUI32.DLL"))
    }
}

/// Regression fixtures for what an adversarial review of the archive scanner found.
@Suite struct ArchiveHostileTests {
    func scan(_ name: String) throws -> TargetReport {
        try FixtureSupport.scanner().scan(target: ArchiveFixtureTests.archives.appendingPathComponent("../hostile-archives/\(name)").path)
    }

    @Test func anOverlapBombBehindAStubIsRefused() throws {
        let report = try scan("overlap-bomb-sfx.zip")
        #expect(report.verdict == .review)
        #expect(report.limitsHit.contains { $0.limit == "zip-overlap" })
        #expect(report.stats.matchedFiles == 0)
    }

    @Test func aSecondEndRecordInTheCommentIsAnError() throws {
        let report = try scan("fake-end-record.zip")
        #expect(report.verdict == .error)
        #expect(report.reasons.contains { $0.message.contains("end-of-central-directory records") })
    }

    @Test func aZipSymlinkIsNotReadAsTheFile() throws {
        let report = try scan("symlink.zip")
        #expect(report.verdict == .review)
        #expect(report.statuses().values.contains("unreadable"))
        #expect(!report.statuses().values.contains("damaged"))
    }

    @Test func aTarHardLinkGetsTheFactsOfItsTarget() throws {
        let report = try scan("hardlink.tar")
        #expect(report.verdict == .upToDate)
        #expect(!report.statuses().values.contains("unreadable"))
    }

    @Test func stubsSparseEntriesAndFullCountsReadLikeTheTree() throws {
        for name in ["sfx-unadjusted.zip", "sparse.tar", "entries-65535.zip"] {
            let report = try scan(name)
            #expect(report.verdict == .upToDate, "\(name)")
        }
        let sparse = try scan("sparse.tar")
        let emsuix = sparse.installations.flatMap { $0.evaluations.flatMap(\.files) }.first { $0.name == "emsuix32.dll" }
        #expect(emsuix?.size == 555_280)
        #expect(try scan("entries-65535.zip").stats.entries == 65_535)
    }

    @Test func aZeroBombInTheLastEntryMeetsTheByteLimits() throws {
        // 20 GB declared, above the 16 GiB default: stopped before libarchive inflates it.
        let report = try scan("zero-bomb-last-entry.tar.zst")
        #expect(report.verdict == .review)
        #expect(report.limitsHit.contains { $0.limit == "max-total-bytes" || $0.limit == "max-compression-ratio" })
    }

    // Issue 8, from the audit of input-driven arithmetic and loops (Fixtures/tools/hostile/audit8.py).

    @Test func aZip64SizeNearTheTopIsCorruptNotACrash() throws {
        let report = try scan("zip64-size-overflow.zip")
        #expect(report.verdict == .error)
        #expect(report.reasons.contains { $0.rule == "archive-corrupt" })
    }

    @Test func entriesWithoutNamesCountAgainstTheByteLimit() throws {
        var limits = ScanLimits()
        limits.maxTotalBytes = 10_000_000
        for name in ["empty-names.tar.gz", "empty-names-in-zip.zip"] {
            let report = try FixtureSupport.scanner(limits: limits)
                .scan(target: ArchiveFixtureTests.archives.appendingPathComponent("../hostile-archives/\(name)").path)
            #expect(report.verdict == .review, "\(name)")
            #expect(report.limitsHit.map(\.limit) == ["max-total-bytes"], "\(name)")
        }
    }

    @Test func pairingSystemAndOutlookFoldersIsBounded() throws {
        let report = try scan("installation-grid.zip")
        #expect(report.verdict == .review)
        #expect(report.limitsHit.map(\.limit) == ["max-judged-files"])
        let judged = report.installations.flatMap { $0.evaluations.filter { $0.manifest == "outlook97-archive-patch" }.flatMap(\.files) }
        #expect(judged.filter { $0.status != .missing }.count <= 10_000)
        #expect(!report.strayFiles.isEmpty)
    }

    @Test func aDeclaredSizeNoCompressedBytesCouldHoldIsABomb() throws {
        let report = try scan("declared-zeros.tar.gz")
        #expect(report.verdict == .review)
        #expect(report.limitsHit.map(\.limit) == ["max-compression-ratio"])
    }

    @Test func skippingAStreamedZipEntryWithoutSizesIsCounted() throws {
        // The nested zip's entry has a data descriptor: libarchive inflates it to get past it.
        let report = try scan("descriptor-zip-in-tgz.tar.gz")
        #expect(report.verdict == .review)
        #expect(report.limitsHit.contains { $0.limit == "max-compression-ratio" || $0.limit == "max-total-bytes" })
    }

    @Test func aLargeSkippedEntryMeetsTheRatioGuardAsItIsInflated() throws {
        let report = try scan("split-zeros.tar.gz")
        #expect(report.verdict == .review)
        let hit = try #require(report.limitsHit.first)
        #expect(hit.limit == "max-compression-ratio")
        // Stopped inside the first entry, not judged on the whole stream after inflating it.
        #expect(hit.detail.contains("data/zeros0.bin expands more than 1000:1"), "\(hit.detail)")
    }

    @Test func aNestedZipIsReadAsItsLocalHeaderSaysAndTheDisagreementIsAReview() throws {
        // The central directory says stored, the local header deflated (the bytes are deflated):
        // read in place as stored it looked like no archive, and its DLLs went unchecked.
        let report = try scan("stored-by-directory-only.zip")
        #expect(report.verdict == .review)
        #expect(report.reasons.contains { $0.rule == "zip-header-mismatch" && $0.found == "method 8" && $0.expected == "method 0" })
        #expect(report.skipped.allSatisfy { $0.kind != .notAnArchive })
        let statuses = report.statuses()
        #expect(statuses["backup/pc42.zip!WINDOWS/SYSTEM/EMSMDB32.DLL"] == "outdated", "\(statuses)")
    }

    @Test func aNestedZipWithABadCRCMakesTheTargetCorrupt() throws {
        // The nested reader stops at its own central directory; the rest of the entry is read
        // so that the container's CRC check runs.
        // An ISO image is re-read from the zip as its reader seeks: each pass's warnings count.
        for (name, nested) in [("nested-bad-crc.zip", "backup/pc42.zip"), ("nested-iso-bad-crc.zip", "cd/pc42.iso")] {
            let report = try scan(name)
            #expect(report.verdict == .error, "\(name)")
            #expect(report.reasons.contains { $0.rule == "archive-corrupt" && $0.message.contains(nested) && $0.message.contains("CRC") },
                    "\(report.reasons.map(\.message))")
        }
    }

    @Test func skippingInANestedZipCountsOnlyWhatLibarchiveReads() throws {
        // 32 MiB of zeros in a deflated zip inside a zip: libarchive passes over its compressed
        // bytes to skip it, so the 8 MiB limit is not reached (and no bomb is seen).
        var limits = ScanLimits()
        limits.maxTotalBytes = 8 << 20
        let report = try FixtureSupport.scanner(limits: limits)
            .scan(target: ArchiveFixtureTests.archives.appendingPathComponent("../hostile-archives/nested-zeros-in-zip.zip").path)
        #expect(report.limitsHit.isEmpty, "\(report.limitsHit)")
        #expect(report.verdict == .notApplicable)
    }

    @Test func skippingAnEntryWhoseLocalSizesLieIsCounted() throws {
        // Bit 3 set, compressed size 0, 1 byte claimed: libarchive inflates the 64 MiB to find its end.
        var limits = ScanLimits()
        limits.maxTotalBytes = 10_000_000
        let report = try FixtureSupport.scanner(limits: limits)
            .scan(target: ArchiveFixtureTests.archives.appendingPathComponent("../hostile-archives/descriptor-size-lies.zip").path)
        #expect(report.limitsHit.contains { $0.limit == "max-total-bytes" || $0.limit == "max-compression-ratio" }, "\(report.limitsHit)")
    }
}
