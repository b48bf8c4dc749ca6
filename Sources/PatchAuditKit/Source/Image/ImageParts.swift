import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// The files an image is made of, found and checked before any library opens them.
///
/// - Split raw: a target named `*.001` (any digits: `.001` to `.999`) is followed by `.002`,
///   `.003`... beside it, up to the first one missing.
/// - E01: `*.E01` is followed by `.E02` ... `.E99`, `.EAA` ... `.EZZ` (EnCase's naming), up to the
///   first one missing; libewf is given exactly these.
/// - VMDK: the extents a descriptor names (a separate descriptor file, or the one embedded in a
///   sparse VMDK) must be plain names in the descriptor's folder. A VMDK snapshot that needs a
///   parent, a differencing VHD and a QCOW2 image with a backing file are refused with what to
///   do (merge the chain with `qemu-img convert`).
///
/// Every part must be a regular file: no symbolic link (it could lead out of the folder the
/// user named), no FIFO or device (a read could block or never end).
enum ImageParts {
    struct Part {
        var path: String
    }

    /// At most this many segments or extents.
    static let maxParts = 1000

    static func find(target: String, kind: ImageSniffer.Kind, file: FileDescriptor, size: Int64) throws(SleuthKitError) -> [Part] {
        var parts = [Part(path: target)]
        switch kind {
        case .raw:
            if let base = suffixBase(target, pattern: { $0.count == 3 && $0.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }),
               let first = Int(String(decoding: target.utf8.suffix(3), as: UTF8.self)) {
                var number = first + 1
                while number <= 999, parts.count < maxParts {
                    let next = base + String(format3(number))
                    guard try exists(next) else { break }
                    parts.append(Part(path: next))
                    number += 1
                }
            }
        case .e01:
            // libewf finds the other segments by the first one's name when TSK hands it one
            // name: only a first segment named .E01 is scanned, with its segments listed here.
            guard target.uppercased().hasSuffix(".E01") else {
                throw refused("this is an EnCase image whose name does not end in .E01 (a later segment, or a renamed file); scan the first segment, named NAME.E01, with its .E02, .E03 ... beside it")
            }
            let base = String(target.dropLast(3))
            let letter = String(target.dropLast(2).suffix(1))
            for suffix in e01Suffixes(startingWith: letter) where parts.count < maxParts {
                let next = base + suffix
                guard try exists(next) else { break }
                parts.append(Part(path: next))
            }
        case .vmdk, .vmdkDescriptor:
            let descriptor = try vmdkDescriptor(file: file, size: size, kind: kind)
            try checkVMDK(descriptor, target: target)
        case .vhd:
            // The footer's disk type (big-endian at byte 60): 4 is a differencing disk.
            var footer = [UInt8](repeating: 0, count: 512)
            let offset = size >= 512 ? size - 512 : 0
            if case .success(512) = footer.withUnsafeMutableBytes({ Syscalls.read(file, at: offset, into: $0) }),
               footer.starts(with: Array("conectix".utf8)), footer[60...63].elementsEqual([0, 0, 0, 4]) {
                throw refused("it is a differencing VHD, which holds only the changes to a parent image; merge it with its parent first (qemu-img convert -O raw child.vhd whole.img) and scan the result")
            }
        case .qcow:
            var header = [UInt8](repeating: 0, count: 16)
            if case .success(16) = header.withUnsafeMutableBytes({ Syscalls.read(file, at: 0, into: $0) }),
               !header[8..<16].allSatisfy({ $0 == 0 }) {
                throw refused("the QCOW2 image names a backing file, so it holds only changes to another image; merge the chain first (qemu-img convert -O qcow2 top.qcow2 whole.qcow2) and scan the result")
            }
        case .vhdx:
            break
        }
        return parts
    }

    /// A raw segment after the first, opened read-only and checked.
    static func openSegment(_ path: String) throws(SleuthKitError) -> ImageSegment {
        switch Syscalls.open(path: path, flags: O_RDONLY | O_NONBLOCK | O_NOFOLLOW) {
        case .failure(let error):
            throw SleuthKitError(message: "the segment \(path) could not be opened: \(error.text)")
        case .success(let opened):
            guard case .success(let status) = opened.status(), status.st_mode & S_IFMT == S_IFREG else {
                throw refused("the segment \(path) is not a regular file")
            }
            return ImageSegment(owner: opened, size: Int64(status.st_size), name: path)
        }
    }

    /// Whether `path` exists; an error when it exists but is not a regular file.
    static func exists(_ path: String) throws(SleuthKitError) -> Bool {
        var status = stat()
        guard lstat(path, &status) == 0 else { return false }
        switch status.st_mode & S_IFMT {
        case S_IFREG: return true
        case S_IFLNK: throw refused("the image part \(path) is a symbolic link; links are not followed (they may lead out of the folder named): put the real file beside the first part")
        default: throw refused("the image part \(path) is not a regular file (a FIFO or device is never opened)")
        }
    }

    static func refused(_ detail: String) -> SleuthKitError {
        SleuthKitError(message: "refused: \(detail)")
    }

    /// The name without its last `.XXX` when that suffix passes `pattern`.
    static func suffixBase(_ name: String, pattern: (ArraySlice<UInt8>) -> Bool) -> String? {
        let bytes = Array(name.utf8)
        guard let dot = bytes.lastIndex(of: 0x2e), pattern(bytes[(dot + 1)...]) else { return nil }
        return String(decoding: bytes[...dot], as: UTF8.self)
    }

    static func format3(_ number: Int) -> String {
        let digits = String(number)
        return String(repeating: "0", count: max(0, 3 - digits.count)) + digits
    }

    /// E02 ... E99, then EAA ... EZZ: the segment suffixes after E01 (case as the first's).
    static func e01Suffixes(startingWith letter: String) -> [String] {
        let lower = letter == "e"
        var suffixes = (2...99).map { letter + format3($0).suffix(2) }
        for first in UInt8(ascii: "A")...UInt8(ascii: "Z") {
            for second in UInt8(ascii: "A")...UInt8(ascii: "Z") {
                let pair = String(decoding: [first, second], as: UTF8.self)
                suffixes.append(letter + (lower ? pair.lowercased() : pair))
            }
        }
        return suffixes
    }

    // MARK: - VMDK descriptors

    /// The descriptor text: the whole file (a descriptor file) or the embedded one of a sparse
    /// extent (its sector offset and count in the header); at most 64 KiB.
    static func vmdkDescriptor(file: FileDescriptor, size: Int64, kind: ImageSniffer.Kind) throws(SleuthKitError) -> String {
        var start: Int64 = 0
        var length = min(size, 64 << 10)
        if kind == .vmdk {
            var header = [UInt8](repeating: 0, count: 44)
            guard case .success(44) = header.withUnsafeMutableBytes({ Syscalls.read(file, at: 0, into: $0) }) else {
                throw SleuthKitError(message: "the VMDK header is cut short")
            }
            guard let offset = Int64(exactly: header.u64(28)), let sectors = Int64(exactly: header.u64(36)) else {
                throw SleuthKitError(message: "the VMDK header places its descriptor outside any file")
            }
            guard offset > 0, sectors > 0 else { return "" }    // a streamOptimized or plain extent: no embedded text
            guard offset < size / 512, sectors <= 128 else { throw SleuthKitError(message: "the VMDK header places its descriptor outside the file") }
            start = offset * 512
            length = min(sectors * 512, size - start)
        }
        var text = [UInt8](repeating: 0, count: Int(length))
        guard case .success(let got) = text.withUnsafeMutableBytes({ Syscalls.read(file, at: start, into: $0) }) else {
            throw SleuthKitError(message: "the VMDK descriptor could not be read")
        }
        return String(decoding: text.prefix(got).prefix { $0 != 0 }, as: UTF8.self)
    }

    /// Extents must be plain names of regular files beside the descriptor; no parent chain.
    static func checkVMDK(_ descriptor: String, target: String) throws(SleuthKitError) {
        let folder = target.contains("/") ? String(target[...target.lastIndex(of: "/")!]) : ""
        var extents = 0
        for rawLine in descriptor.split(whereSeparator: \.isNewline) {
            let line = rawLine.drop { $0 == " " || $0 == "\t" }
            if line.hasPrefix("parentFileNameHint") {
                throw refused("the VMDK is a snapshot that needs its parent image (\(line)); merge the chain first (qemu-img convert -O vmdk child.vmdk whole.vmdk) and scan the result")
            }
            guard ["RW ", "RDONLY ", "NOACCESS "].contains(where: { line.hasPrefix($0) }),
                  let open = line.firstIndex(of: "\""), let close = line[line.index(after: open)...].firstIndex(of: "\"") else { continue }
            let name = String(line[line.index(after: open)..<close])
            extents += 1
            guard extents <= maxParts else { throw refused("the VMDK descriptor names more than \(maxParts) extents") }
            guard !name.isEmpty, !name.contains("/"), !name.contains("\\"), name != "..", name != "." else {
                throw refused("the VMDK descriptor names the extent \"\(name)\", which is not a file beside it; only extents in the descriptor's own folder are read")
            }
            let path = folder + name
            guard try exists(path) else {
                throw SleuthKitError(message: "the extent \(name) that the VMDK descriptor names is missing beside it; copy all the image's files together")
            }
        }
    }
}
