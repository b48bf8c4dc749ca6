import Crypto
import Foundation
import Testing
@testable import PatchAuditKit

/// Disk images (Fixtures/images, made without mounting by Fixtures/tools/images/make-images.sh):
/// each gives the report its folder twin gives, with every path under the volume it lies on,
/// in every container and partition layout; hostile images end classified; nothing is written.
@Suite struct ImageFixtureTests {
    static let images = FixtureSupport.fixtures.appendingPathComponent("images")

    struct Expected: Decodable {
        struct Twin: Decodable, Sendable {
            var tree: String
            var pathPrefix: String
        }
        struct Image: Decodable, Sendable, CustomStringConvertible {
            var path: String
            var container: String?
            var layout: String?
            var filesystem: String?
            var tree: String?
            var pathPrefix: String?
            var trees: [Twin]?
            var deleted: [String]?
            var skippedVolumes: [[String: String]]?
            var description: String { path }
            var twins: [Twin] { trees ?? tree.map { [Twin(tree: $0, pathPrefix: pathPrefix ?? "")] } ?? [] }
        }
        struct Hostile: Decodable, Sendable, CustomStringConvertible {
            var path: String
            var description: String { path }
        }
        struct Name: Decodable, Sendable {
            var path: String
            var tree: String
            var file: String
            var name: String
        }
        var images: [Image]
        var hostile: [Hostile]?
        var names: [Name]?
    }

    static let expected: Expected? = {
        guard let data = try? Data(contentsOf: images.appendingPathComponent("expected.json")) else { return nil }
        return try? JSONDecoder().decode(Expected.self, from: data)
    }()

    static func scan(_ relative: String, limits: ScanLimits = ScanLimits()) throws -> TargetReport {
        try FixtureSupport.scanner(limits: limits).scan(target: images.appendingPathComponent(relative).path)
    }

    @Test func everyContainerAndLayoutIsCovered() throws {
        let expected = try #require(Self.expected)
        let paths = Set(expected.images.map(\.path))
        for name in ["floppy-fat12.img", "bare-fat16.img", "mbr-fat32.img", "mbr-extended.img", "gpt-fat16.img", "mbr-ntfs.img",
                     "deleted-fat16.img", "deleted-ntfs.img", "containers/pc42-fixed.vhd", "containers/pc42-dynamic.vhd",
                     "containers/pc42.vhdx", "containers/pc42.vmdk", "containers/pc42-stream.vmdk", "containers/pc42-flat.vmdk",
                     "containers/pc42-split.vmdk", "containers/pc42.qcow2", "containers/pc42.E01", "containers/pc42-split.E01",
                     "containers/pc42.raw.001"] {
            #expect(paths.contains(name), "no fixture \(name)")
        }
    }

    @Test(arguments: expected?.images ?? [])
    func imageReportEqualsItsFolderTwins(_ image: Expected.Image) throws {
        let scanner = try FixtureSupport.scanner()
        let report = scanner.scan(target: Self.images.appendingPathComponent(image.path).path)
        #expect(report.kind == .image)
        #expect(report.volumes?.isEmpty == false)
        var statuses: [String: String] = [:]
        var verdicts: [Verdict] = []
        for twin in image.twins {
            let folder = scanner.scan(target: ArchiveFixtureTests.treePath(twin.tree))
            for (path, status) in folder.statuses() { statuses[twin.pathPrefix + path] = status }
            verdicts.append(folder.verdict)
            verdicts += folder.installations.map(\.verdict)
        }
        #expect(report.verdict == verdicts.max() ?? .notApplicable, "\(image.path)")
        #expect(report.statuses() == statuses, "\(image.path)")
        // Deleted entries are not installed files: never in an installation, not listed by default.
        #expect(!report.strayFiles.contains { $0.deleted })
        for skipped in image.skippedVolumes ?? [] {
            let volume = report.volumes?.first { $0.name == skipped["volume"] }
            #expect(volume?.state == .skipped, "\(image.path): \(skipped)")
            #expect(volume?.fileSystem == skipped["type"])
        }
    }

    /// A file known by its 8.3 name only (on NTFS a DOS name set apart from the Win32 name;
    /// TSK's listing leaves it out, the file's record holds it) is matched, at its long path.
    @Test func aFileIsMatchedByIts83Name() throws {
        let names = try #require(Self.expected?.names)
        #expect(!names.isEmpty)
        for expected in names {
            let report = try Self.scan(expected.path)
            let folder = try FixtureSupport.scanner().scan(target: ArchiveFixtureTests.treePath(expected.tree))
            #expect(report.verdict == folder.verdict)
            let files = report.installations.flatMap { $0.evaluations.flatMap(\.files) }
            #expect(files.contains { $0.path == expected.file && $0.name == expected.name && $0.status == .patched })
        }
    }

    @Test func pathsNameTheVolumeAndLogicalDrivesCountFromFive() throws {
        let report = try Self.scan("mbr-extended.img")
        #expect(report.installations.map(\.id) == ["p1/WINDOWS/SYSTEM", "p5/WINDOWS/SYSTEM"])
        let names = report.volumes?.filter { $0.state != .unallocated }.map(\.name)
        #expect(names?.starts(with: ["p1", "p5"]) == true)
        #expect(report.format == "raw image, MBR partition table")
        let bare = try Self.scan("floppy-fat12.img")
        #expect(bare.volumes?.map(\.name) == [""])
        #expect(!bare.statuses().isEmpty)
        #expect(!bare.statuses().keys.contains { $0.hasPrefix("p1/") || $0.hasPrefix("/") })
    }

    @Test func deletedFilesAreListedOnlyWhenAskedAndNeverJudged() throws {
        for name in ["deleted-fat16.img", "deleted-ntfs.img"] {
            let plain = try Self.scan(name)
            var limits = ScanLimits()
            limits.includeDeleted = true
            let listed = try Self.scan(name, limits: limits)
            #expect(listed.verdict == plain.verdict, "\(name)")
            #expect(listed.statuses() == plain.statuses(), "\(name)")
            let deleted = listed.strayFiles.filter(\.deleted)
            #expect(!deleted.isEmpty, "\(name): the deleted DLL is listed")
            #expect(deleted.allSatisfy { $0.notes.first?.contains("deleted") == true })
            #expect(plain.strayFiles.filter(\.deleted).isEmpty)
        }
    }

    @Test func anotherFileSystemIsListedAsSkipped() throws {
        let report = try Self.scan("mbr-fat16-ext2.img")
        let ext = try #require(report.volumes?.first { $0.name == "p2" })
        #expect(ext.state == .skipped)
        #expect(ext.fileSystem?.hasPrefix("ext") == true)
        #expect(report.skipped.contains { $0.kind == .volume && $0.path == "p2" })
    }

    /// Every hostile image ends classified, never up-to-date, and says why.
    @Test(arguments: expected?.hostile ?? [])
    func hostileImagesAreClassified(_ hostile: Expected.Hostile) throws {
        let report = try Self.scan(hostile.path)
        #expect(report.verdict != .upToDate, "\(hostile.path)")
        if report.verdict == .error || report.verdict == .review {
            // A classified verdict always says why: a target reason, a limit, or an installation's.
            let said = !report.reasons.isEmpty || !report.limitsHit.isEmpty
                || report.installations.contains { $0.evaluations.contains { !$0.reasons.isEmpty } }
            #expect(said, "\(hostile.path)")
        }
    }

    @Test func aDirectoryLoopIsReportedAndNotFollowed() throws {
        let report = try Self.scan("hostile/fat-dir-loop.img")
        #expect(report.verdict == .review)
        #expect(report.reasons.contains { $0.rule == "volume-unreadable" && $0.message.contains("already read") })
    }

    // Found by the second reader of the image reader: each once trapped or gave a silent verdict.

    @Test func aPartitionEndingFarPastTheImageIsReviewNotATrap() throws {
        let report = try Self.scan("hostile/gpt-huge-partition.img")
        #expect(report.verdict == .review)
        #expect(report.reasons.contains { $0.rule == "volume-unreadable" && $0.message.contains("past the end of the image") })
    }

    @Test func aBrokenExtendedChainIsReported() throws {
        let report = try Self.scan("hostile/ebr-broken.img")
        #expect(report.verdict == .review)
        #expect(report.reasons.contains { $0.rule == "partition-table-damaged" && $0.message.contains("55 AA") })
        #expect(report.installations.map(\.id).contains("p1/WINDOWS/SYSTEM"))
    }

    @Test func aVMDKHeaderPointingNowhereIsAnError() throws {
        let report = try Self.scan("hostile/vmdk-descriptor-overflow.vmdk")
        #expect(report.verdict == .error)
        #expect(report.reasons.contains { $0.rule == "image-unreadable" })
    }

    @Test func aCorruptArchiveOnAVolumeMakesTheImageCorrupt() throws {
        let report = try Self.scan("hostile/zip-bad-crc-on-fat.img")
        #expect(report.verdict == .error)
        #expect(report.reasons.contains { $0.rule == "archive-corrupt" && $0.message.contains("BACKUP.ZIP!") })
    }

    @Test func logicalDrivesAreNumberedByTheChainNotByTheirPlaceOnTheDisk() throws {
        let report = try Self.scan("hostile/ebr-chain-out-of-order.img")
        #expect(report.installations.map(\.id) == ["p1/WINDOWS/SYSTEM", "p6/WINDOWS/SYSTEM"])
        let p6 = try #require(report.volumes?.first { $0.name == "p6" })
        #expect(p6.start == Int64(4327) * 512)
        #expect(report.verdict == .patchNeeded)
    }

    @Test func aPartitionOfAnotherTypeIsSkippedAndAnEmptyWindowsOneIsReview() throws {
        let bootManager = try Self.scan("hostile/boot-manager-partition.img")
        #expect(bootManager.verdict == .patchNeeded)
        #expect(bootManager.volumes?.first { $0.name == "p2" }?.state == .skipped)
        #expect(bootManager.skipped.contains { $0.kind == .volume && $0.path == "p2" })
        let empty = try Self.scan("hostile/empty-fat32-partition.img")
        #expect(empty.verdict == .review)
        #expect(empty.volumes?.first { $0.name == "p2" }?.state == .unreadable)
        #expect(empty.reasons.contains { $0.rule == "volume-unreadable" && $0.path == "p2" })
    }

    @Test func aVolumeWithoutAReadableFileSystemIsNeverNothingFound() throws {
        // gpt-fat16.img with its volume's boot sector zeroed: the GPT says basic data, nothing opens.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("patchaudit-gpt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var bytes = [UInt8](try Data(contentsOf: Self.images.appendingPathComponent("gpt-fat16.img")))
        for index in (2048 * 512)..<(2048 * 512 + 512) { bytes[index] = 0 }
        let image = folder.appendingPathComponent("blank.img")
        try Data(bytes).write(to: image)
        let report = try FixtureSupport.scanner().scan(target: image.path)
        #expect(report.verdict == .review)
        #expect(report.volumes?.first { $0.name == "p1" }?.state == .unreadable)
    }

    @Test func theFolderDepthLimitIsNamed() throws {
        let report = try Self.scan("hostile/fat-deep.img")
        #expect(report.limitsHit.contains { $0.limit == "max-folder-depth" })
        #expect(report.verdict == .review)
    }

    @Test func garbageAndTruncatedImagesAreErrors() throws {
        #expect(try Self.scan("hostile/garbage.img").verdict == .error)
        for name in ["hostile/truncated.E01", "hostile/truncated.vhd"] {
            let report = try Self.scan(name)
            #expect(report.verdict == .error || report.verdict == .review, "\(name)")
            #expect(report.verdict != .patchNeeded || !report.reasons.isEmpty)
        }
    }

    @Test func aHugeSparseImageWithNothingInItIsReadQuickly() throws {
        // 64 GiB apparent size, all holes but an MBR that claims one FAT32 partition.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("patchaudit-sparse-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let image = folder.appendingPathComponent("huge.img")
        #expect(FileManager.default.createFile(atPath: image.path, contents: nil))
        let handle = try FileHandle(forWritingTo: image)
        var mbr = [UInt8](repeating: 0, count: 512)
        mbr[446 + 4] = 0x0c
        mbr.replaceSubrange((446 + 8)..<(446 + 16), with: [63, 0, 0, 0, 0xc1, 0xff, 0xff, 0x07])
        mbr[510] = 0x55
        mbr[511] = 0xaa
        try handle.write(contentsOf: Data(mbr))
        try handle.truncate(atOffset: 64 << 30)
        try handle.close()
        let report = try FixtureSupport.scanner().scan(target: image.path)
        #expect(report.kind == .image)
        #expect(report.verdict == .review)
        #expect(report.reasons.contains { $0.rule == "volume-unreadable" })
    }

    /// Read-only, provably: every image fixture has the same bytes and timestamps after a scan.
    @Test func scanningLeavesEveryImageAsItWas() throws {
        let files = try #require(FileManager.default.enumerator(at: Self.images, includingPropertiesForKeys: nil))
            .compactMap { $0 as? URL }.filter { !$0.hasDirectoryPath && $0.lastPathComponent != "expected.json" && $0.pathExtension != "md" }
        #expect(files.count >= 20)
        func state(_ url: URL) throws -> (String, Date?, Date?) {
            let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
            let digest = SHA256.hash(data: try Data(contentsOf: url)).map { String(format: "%02x", $0) }.joined()
            var status = stat()
            stat(url.path, &status)
            let changed = Date(timeIntervalSince1970: TimeInterval(status.st_ctim.tv_sec) + TimeInterval(status.st_ctim.tv_nsec) / 1e9)
            return (digest, attributes[.modificationDate] as? Date, changed)
        }
        let before = try files.map(state)
        let scanner = try FixtureSupport.scanner()
        for file in files { _ = scanner.scan(target: file.path) }
        let after = try files.map(state)
        for (index, file) in files.enumerated() {
            #expect(before[index].0 == after[index].0, "\(file.lastPathComponent) changed")
            #expect(before[index].1 == after[index].1, "\(file.lastPathComponent) mtime changed")
            #expect(before[index].2 == after[index].2, "\(file.lastPathComponent) ctime changed")
        }
    }

    @Test func refusedPartsAreNamed() throws {
        // A split raw image whose second segment is a symbolic link: refused, not followed.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("patchaudit-parts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let containers = Self.images.appendingPathComponent("containers")
        try FileManager.default.copyItem(at: containers.appendingPathComponent("pc42.raw.001"), to: folder.appendingPathComponent("pc.raw.001"))
        try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent("pc.raw.002"),
                                                   withDestinationURL: containers.appendingPathComponent("pc42.raw.002"))
        let report = try FixtureSupport.scanner().scan(target: folder.appendingPathComponent("pc.raw.001").path)
        #expect(report.verdict == .error)
        #expect(report.reasons.contains { $0.rule == "image-refused" && $0.message.contains("symbolic link") })
    }
}
