import Foundation
import SystemPackage
import Testing
@testable import PatchAuditKit

/// Matched zip entries read in place with libdeflate (issue 10, part 9): the plain case gives
/// the bytes libarchive gives, and everything else is left to libarchive, so each damaged or
/// unusual zip gets the result it always got. Fixtures: Fixtures/zip-in-place
/// (Fixtures/tools/zip-in-place.py says what each one holds).
@Suite struct ZipInPlaceTests {
    static let folder = FixtureSupport.fixtures.appendingPathComponent("zip-in-place")
    static let victim = "WINDOWS/SYSTEM/EMSMDB32.DLL"

    /// Scans `name` with the archive source, reading matched entries in place or not.
    static func outcome(_ name: String, inPlace: Bool, limits: ScanLimits = ScanLimits()) throws -> ArchiveSource.Outcome {
        let path = folder.appendingPathComponent(name).path
        let file = try FileDescriptor.open(path, .readOnly)
        defer { try? file.close() }
        let size = try file.seek(offset: 0, from: .end)
        let scanner = try FixtureSupport.scanner(limits: limits)
        var source = ArchiveSource(matcher: scanner.matcher, limits: limits, file: file, size: size)
        source.readsZipEntriesInPlace = inPlace
        return source.scan()
    }

    /// Both ways, required to agree on everything the report is made from.
    static func bothWays(_ name: String, limits: ScanLimits = ScanLimits()) throws -> (inPlace: ArchiveSource.Outcome, libarchive: ArchiveSource.Outcome) {
        let inPlace = try outcome(name, inPlace: true, limits: limits)
        let libarchive = try outcome(name, inPlace: false, limits: limits)
        #expect(libarchive.entriesReadInPlace == 0)
        #expect(inPlace.items == libarchive.items, "\(name): items")
        #expect(inPlace.problems == libarchive.problems, "\(name): problems")
        #expect(inPlace.corruption == libarchive.corruption, "\(name): corruption")
        #expect(inPlace.failure == libarchive.failure, "\(name): failure")
        #expect(inPlace.summary == libarchive.summary, "\(name): summary")
        #expect(inPlace.totalBytes == libarchive.totalBytes, "\(name): bytes counted")
        #expect(inPlace.stopped == libarchive.stopped && inPlace.format == libarchive.format, "\(name)")
        return (inPlace, libarchive)
    }

    static func report(_ name: String) throws -> TargetReport {
        try FixtureSupport.scanner().scan(target: folder.appendingPathComponent(name).path)
    }

    /// The tree's own bytes, by path: what every reading must give.
    static func treeDigests() throws -> [String: FileDigests] {
        let tree = FixtureSupport.trees.appendingPathComponent("up-to-date-sr1")
        var digests: [String: FileDigests] = [:]
        for path in ["Program Files/Microsoft Office/Office/OUTLLIB.DLL", "Program Files/Microsoft Office/Office/OUTLOOK.EXE",
                     "WINDOWS/SYSTEM/EMSABP32.DLL", "WINDOWS/SYSTEM/EMSMDB32.DLL", "WINDOWS/SYSTEM/EMSUI32.DLL",
                     "WINDOWS/SYSTEM/EMSUIX32.DLL", "WINDOWS/SYSTEM/MSPST32.DLL"] {
            digests[path] = FileDigests(of: try [UInt8](Data(contentsOf: tree.appendingPathComponent(path))))
        }
        return digests
    }

    @Test(arguments: ["deflated.zip", "stored.zip", "extras.zip", "descriptor.zip", "descriptor-nosig.zip"])
    func plainEntriesAreReadInPlaceWithTheTreesBytes(name: String) throws {
        let (inPlace, _) = try Self.bothWays(name)
        #expect(inPlace.entriesReadInPlace == 7)
        let expected = try Self.treeDigests()
        #expect(inPlace.items.count == 7)
        for item in inPlace.items {
            #expect(item.digests == expected[item.path.display], "\(item.path.display)")
            #expect(item.readProblem == nil && item.image != nil)
        }
        #expect(inPlace.corruption.isEmpty && inPlace.problems.isEmpty)
        #expect(try Self.report(name).verdict == .upToDate)
    }

    /// The committed zips of every tree (Info-ZIP, deflated and stored) give what libarchive gives.
    @Test(arguments: ["zip", "stored-zip"])
    func everyTreeZipReadsAsBefore(kind: String) throws {
        let archives = FixtureSupport.fixtures.appendingPathComponent("archives").appendingPathComponent(kind)
        let names = try FileManager.default.contentsOfDirectory(atPath: archives.path).filter { $0.hasSuffix(".zip") }.sorted()
        #expect(names.count > 20)
        for name in names {
            let (inPlace, _) = try Self.bothWays("../archives/\(kind)/\(name)")
            #expect(inPlace.entriesReadInPlace == inPlace.items.count, "\(name): every entry in place")
        }
    }

    /// Entries the in-place reader does not take: libarchive reads them as before, and every
    /// other entry of the zip is still read in place.
    @Test(arguments: [
        ("unicode-path.zip", Verdict.upToDate), ("zip64-extra.zip", .upToDate), ("central-crc.zip", .upToDate),
        ("bad-extra.zip", .error), ("corrupt-stream.zip", .error), ("corrupt-middle.zip", .error),
        ("bad-crc.zip", .error), ("size-bigger.zip", .error), ("size-smaller.zip", .error),
        ("local-cut.zip", .error), ("local-name.zip", .review), ("local-method.zip", .error),
        ("descriptor-bad-crc.zip", .error), ("descriptor-size.zip", .error), ("stored-flipped.zip", .error),
        ("stored-size.zip", .error),
    ])
    func otherEntriesAreLeftToLibarchive(name: String, verdict: Verdict) throws {
        let (inPlace, _) = try Self.bothWays(name)
        #expect(inPlace.entriesReadInPlace == 6, "\(name): all but the victim")
        let report = try Self.report(name)
        #expect(report.verdict == verdict, "\(name): \(report.reasons.map(\.message))")
        if verdict == .error {
            #expect(report.reasons.contains { $0.rule == "archive-corrupt" && $0.message.contains(Self.victim) }, "\(name)")
        }
    }

    @Test func aWrongCRCIsTheCorruptionLibarchiveReports() throws {
        for name in ["bad-crc.zip", "descriptor-bad-crc.zip", "stored-flipped.zip"] {
            let (inPlace, _) = try Self.bothWays(name)
            #expect(inPlace.corruption.contains { $0.contains(Self.victim) && $0.contains("ZIP bad CRC") }, "\(name): \(inPlace.corruption)")
        }
        // The corrupt stream: libarchive's inflate error, the entry not read.
        let stream = try Self.bothWays("corrupt-stream.zip").inPlace
        #expect(stream.corruption.contains { $0.contains(Self.victim) })
        #expect(!stream.items.contains { $0.path.display == Self.victim && $0.digests != nil })
    }

    /// A size of 4 GB declared in a 7 KB zip: refused by --max-file-size without reading; with
    /// the limit raised past it, nothing of that size is reserved (the in-place reader only takes
    /// entries of at most 16 MiB) and libarchive finds the lie as the bytes come.
    @Test func aDeclaredSizeOf4GBAllocatesNothingOfThatSize() throws {
        let (refused, _) = try Self.bothWays("size-4g.zip")
        #expect(refused.items.first { $0.path.display == Self.victim }?.readProblem?.kind == .tooLarge)
        var limits = ScanLimits()
        limits.maxFileSize = 1 << 40
        let (raised, _) = try Self.bothWays("size-4g.zip", limits: limits)
        #expect(raised.entriesReadInPlace == 6)
        #expect(raised.corruption.contains { $0.contains(Self.victim) && $0.contains("wrong size") }, "\(raised.corruption)")
    }

    /// The byte limits count entries read in place as they count libarchive's.
    @Test func limitsCountEntriesReadInPlace() throws {
        var limits = ScanLimits()
        limits.maxTotalBytes = 10_000
        let (total, _) = try Self.bothWays("deflated.zip", limits: limits)
        #expect(total.summary.limitsHit.contains { $0.limit == "max-total-bytes" })
        limits = ScanLimits()
        limits.maxMatchedFiles = 3
        let (matched, _) = try Self.bothWays("deflated.zip", limits: limits)
        #expect(matched.items.count == 3 && matched.summary.limitsHit.contains { $0.limit == "max-matched-files" })
        limits = ScanLimits()
        limits.maxMatchedBytes = 500_000
        let (bytes, _) = try Self.bothWays("deflated.zip", limits: limits)
        #expect(bytes.summary.limitsHit.contains { $0.limit == "max-matched-bytes" })
        limits = ScanLimits()
        limits.maxFileSize = 4000
        let (size, _) = try Self.bothWays("deflated.zip", limits: limits)
        #expect(size.items.first { $0.path.display == "WINDOWS/SYSTEM/EMSUIX32.DLL" }?.readProblem?.kind == .tooLarge)
        #expect(size.entriesReadInPlace == 6)
    }

    /// A zip stored inside a zip is read through its central directory in place too.
    @Test func aStoredNestedZipIsReadInPlace() throws {
        let (inPlace, _) = try Self.bothWays("../robustness/zip-stored-in-zip.zip")
        #expect(inPlace.entriesReadInPlace > 0 && inPlace.entriesReadInPlace == inPlace.items.count)
    }

    @Test func extraFieldsMustTileTheirSpace() {
        #expect(ArchiveWalk.extraFieldsAreInert([][...]))
        #expect(ArchiveWalk.extraFieldsAreInert([0x55, 0x54, 0x01, 0x00, 0x07][...]))
        #expect(!ArchiveWalk.extraFieldsAreInert([0x55, 0x54, 0x02, 0x00, 0x07][...]), "overruns")
        #expect(!ArchiveWalk.extraFieldsAreInert([0x55, 0x54, 0x00][...]), "a cut header")
        #expect(!ArchiveWalk.extraFieldsAreInert([0x01, 0x00, 0x00, 0x00][...]), "zip64 changes the sizes")
        #expect(!ArchiveWalk.extraFieldsAreInert([0x75, 0x70, 0x00, 0x00][...]), "a Unicode path changes the name")
    }
}
