import Foundation
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// Entry points for the libFuzzer targets in `Fuzz/` (one per parser of untrusted bytes).
/// Each takes arbitrary bytes and runs the parser as a scan would, including what the report
/// then does with the result, so that a crash, hang or sanitizer finding anywhere on that path
/// shows. SPI: not part of the library's API.
@_spi(Fuzzing) public enum FuzzEntryPoints {
    /// The PE reader (headers, section table, resource tree, VS_VERSIONINFO, checksum) and what
    /// the inventory and `inspect` take from it.
    public static func peReader(_ data: UnsafeRawBufferPointer) {
        let bytes = [UInt8](data)
        let item = InventoryItem(name: "emsmdb32.dll", path: ScanPath("WINDOWS/SYSTEM/EMSMDB32.DLL"),
                                 content: .success(FileBytes(bytes: bytes, digests: FileDigests(of: bytes))))
        _ = (item.fileVersion, item.fileVersionString, item.language, item.damage)
        if let image = item.image {
            var inspection = FileInspection(path: "fuzz", translations: [], strings: [:], otherVersions: [],
                                            integrityProblems: [], versionProblems: [])
            inspection.fill(from: image)
            _ = try? JSONEncoder().encode(inspection)
        }
    }

    /// The zip end records and central directory (``ZipLayout``), over the bytes as a file.
    public static func zipDirectory(_ data: UnsafeRawBufferPointer) {
        let bytes = [UInt8](data)
        let finding = ZipLayout.check(size: Int64(bytes.count), read: { offset, count in
            guard offset >= 0, count >= 0, offset <= Int64(bytes.count) - Int64(count) else { return nil }
            return Array(bytes[Int(offset)..<(Int(offset) + count)])
        }, wants: { name in name.last != 0x2f })
        if case .consistent(let catalog) = finding {
            for entry in catalog.wanted { _ = (entry.name.count, entry.localHeaderOffset, entry.compressedSize) }
        }
    }

    /// The strict JSON parser and the manifest reader and lint on top of it.
    public static func manifest(_ data: UnsafeRawBufferPointer) {
        let checked = ManifestLoader.check(data: Data(data), file: "fuzz.json")
        for problem in checked.problems { _ = problem.description }
        if let manifest = checked.manifest {
            _ = ManifestLint.uncoveredFiles(in: manifest)
            _ = Evaluator(manifest: manifest)
        }
    }

    /// The hashdeep list reader, fed in uneven pieces as it is from a file.
    public static func hashdeep(_ data: UnsafeRawBufferPointer) {
        let bytes = [UInt8](data)
        _ = try? HashdeepList.parse(bytes, file: "fuzz.hashdeep", keep: ["emsmdb32.dll", "outllib.dll"])
        _ = try? HashdeepList.parse(bytes, file: "fuzz.hashdeep", keep: nil)
    }

    /// The key readers (PEM PKCS#8 private keys, SPKI public keys) and the `.sig` reader, and a
    /// signature check with whatever they accept.
    public static func trust(_ data: UnsafeRawBufferPointer) {
        let text = String(decoding: data, as: UTF8.self)
        let trusted = try? TrustedKey(pem: text)
        _ = try? SigningKey(pem: text)
        _ = try? ManifestSignature(text: text)
        _ = ManifestSignature.check(manifest: [UInt8](data), signatureText: text, trustedKeys: trusted.map { [$0] } ?? [])
    }

    /// The archive source over libarchive: the bytes as an archive target (through an in-memory
    /// file, so zip directories, stretches, nested archives and every byte source run as for a
    /// file on disk), with limits small enough to keep each run short.
    public static func archive(_ data: UnsafeRawBufferPointer) {
        guard let file = scratch(holding: data) else { return }
        var limits = ScanLimits()
        limits.maxTotalBytes = 64 << 20
        limits.maxFileSize = 4 << 20
        limits.maxNestedArchiveSize = 4 << 20
        limits.maxEntries = 10_000
        let source = ArchiveSource(matcher: NameMatcher(names: ["emsmdb32.dll", "outllib.dll", "outlook.exe"]), limits: limits,
                                   file: file, size: Int64(data.count))
        let facts = source.read()
        for item in facts.items { _ = (item.fileVersion, item.damage) }
        _ = facts.problems.count
    }

    /// The disk-image reader over The Sleuth Kit: the bytes as a raw disk image (partition
    /// tables, FAT and NTFS walks, file reads, archives on volumes), with deleted entries read
    /// too and limits small enough to keep each run short. Bytes the sniffer calls no image are
    /// still handed to TSK as raw, so its parsers see every input.
    public static func image(_ data: UnsafeRawBufferPointer) {
        guard let file = scratch(holding: data) else { return }
        var limits = ScanLimits()
        limits.maxTotalBytes = 64 << 20
        limits.maxFileSize = 4 << 20
        limits.maxEntries = 100_000
        limits.includeDeleted = true
        // Containers other than raw are opened by path through libewf/libvhdi/libvmdk/libqcow
        // (their own projects fuzz them); what they hand TSK is raw bytes, as here.
        let source = ImageSource(target: "fuzz.img", file: file, size: Int64(data.count), kind: .raw,
                                 matcher: NameMatcher(names: ["emsmdb32.dll", "outllib.dll", "outlook.exe"]), limits: limits)
        let facts = source.read()
        for item in facts.items { _ = (item.fileVersion, item.damage) }
        _ = (facts.problems.count, facts.volumes?.count)
        // The container headers patchaudit reads itself before any library opens the image
        // (a VMDK's embedded descriptor, a VHD footer, a QCOW2 backing-file field).
        for kind in [ImageSniffer.Kind.vmdk, .vmdkDescriptor, .vhd, .qcow] {
            _ = try? ImageParts.find(target: "fuzz-image", kind: kind, file: file, size: Int64(data.count))
        }
    }

    /// One unnamed file in the temporary folder (`O_TMPFILE`: it has no name and is gone when
    /// the process ends), rewritten for each input: the archive source reads files by offset.
    /// The file is opened once and kept for the life of the fuzzing process (its owner is this
    /// static box, never released).
    static let scratchFile = ScratchFile()
    static var scratchDescriptor: FileDescriptor? { scratchFile.descriptor }

    /// The scratch file, rewritten to hold exactly `data`; nil when that failed.
    static func scratch(holding data: UnsafeRawBufferPointer) -> FileDescriptor? {
        guard let file = scratchDescriptor, (try? file.resize(to: 0)) != nil,
              (try? file.writeAll(toAbsoluteOffset: 0, data)) == data.count else { return nil }
        return file
    }

    final class ScratchFile: Sendable {
        /// Keeps the descriptor open (and closes it, should the box ever go).
        let owner: OwnedDescriptor?
        let descriptor: FileDescriptor?

        init() {
            // O_TMPFILE is __O_TMPFILE | O_DIRECTORY on Linux; Glibc does not export it to Swift.
            let temporaryFile: Int32 = 0o20_000_000 | O_DIRECTORY
            let folder = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
            switch Syscalls.open(path: folder, flags: temporaryFile | O_RDWR) {
            case .success(let file):
                descriptor = file.raw
                owner = consume file
            case .failure:
                descriptor = nil
                owner = nil
            }
        }
    }
}
