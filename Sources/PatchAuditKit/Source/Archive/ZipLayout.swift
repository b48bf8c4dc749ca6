/// Reads a zip's end-of-central-directory records and central directory (bounded) to catch
/// what libarchive does not refuse by itself:
/// - **overlapping entries**: David Fifield's zip bomb lets hundreds of central-directory
///   entries point into one shared compressed kernel, so a few kilobytes expand to gigabytes
///   (libarchive 3.6.2 expands a 6 KB one to 52 MB without complaint);
/// - **multi-volume parts**: an end record naming another disk, or a split-archive marker.
///
/// Structures: `end of central directory record` (0x06054b50), `zip64 end of central directory
/// locator` (0x07064b50) and `record` (0x06064b50), `central directory file header`
/// (0x02014b50) with the zip64 extended-information extra field (0x0001), per APPNOTE.TXT.
struct ZipLayout {
    /// Reads `count` bytes at `offset`, or nil when they are not there.
    typealias ReadAt = (_ offset: Int64, _ count: Int) -> [UInt8]?

    /// Above this size the central directory is not checked (a limit, reported as such):
    /// it is held in memory while checked. 32 MiB is about 300,000 entries.
    static let maxCentralDirectorySize: Int64 = 32 << 20

    enum Finding: Equatable {
        /// Nothing wrong (or not a zip layout we can check: libarchive decides then).
        case consistent(entries: Int)
        case overlapping(first: String, second: String)
        case multiVolume(String)
        case centralDirectoryTooLarge(Int64)
        /// The end record or the central directory is missing or cut short: libarchive would
        /// fall back to reading local headers and never notice.
        case truncated(String)
    }

    /// Checks a zip of `size` bytes. Never throws: anything it cannot read is left to libarchive.
    static func check(size: Int64, read: ReadAt) -> Finding {
        if let head = read(0, 4), head == [0x50, 0x4b, 0x07, 0x08] {
            return .multiVolume("it starts with the split-archive marker of a multi-volume zip's first part")
        }
        let tailLength = Int(min(size, 22 + 65_535))
        guard tailLength >= 22, let tail = read(size - Int64(tailLength), tailLength) else { return .consistent(entries: 0) }
        guard let end = tail.lastIndex(ofSignature: 0x0605_4b50, from: tail.count - 22) else {
            return .truncated("no end-of-central-directory record in the last \(tailLength) bytes: the file is cut short (or is not a complete zip)")
        }
        let disk = tail.u16(end + 4), diskWithDirectory = tail.u16(end + 6)
        if disk != 0 || diskWithDirectory != 0 {
            return .multiVolume("its end record says it is disk \(disk + 1) of a multi-volume set (the central directory is on disk \(diskWithDirectory + 1))")
        }
        var total = Int64(tail.u16(end + 10))
        var directorySize = Int64(tail.u32(end + 12))
        var directoryOffset = Int64(tail.u32(end + 16))
        if total == 0xffff || directorySize == 0xffff_ffff || directoryOffset == 0xffff_ffff {
            // zip64: the locator sits right before the end record.
            let locatorAt = size - Int64(tailLength) + Int64(end) - 20
            guard locatorAt >= 0, let locator = read(locatorAt, 20), locator.u32(0) == 0x0706_4b50 else { return .consistent(entries: 0) }
            if locator.u32(16) > 1 { return .multiVolume("its zip64 locator counts \(locator.u32(16)) disks") }
            let recordAt = Int64(bitPattern: locator.u64(8))
            guard recordAt >= 0, recordAt < size, let record = read(recordAt, 56), record.u32(0) == 0x0606_4b50 else { return .consistent(entries: 0) }
            total = Int64(bitPattern: record.u64(32))
            directorySize = Int64(bitPattern: record.u64(40))
            directoryOffset = Int64(bitPattern: record.u64(48))
        }
        guard directorySize >= 0, directoryOffset >= 0, total >= 0 else { return .consistent(entries: 0) }
        guard directorySize <= maxCentralDirectorySize else { return .centralDirectoryTooLarge(directorySize) }
        let (directoryEnd, overflow) = directoryOffset.addingReportingOverflow(directorySize)
        guard !overflow, directoryEnd <= size, let directory = read(directoryOffset, Int(directorySize)) else {
            return .truncated("the central directory (\(directorySize) bytes at offset \(directoryOffset)) lies beyond the file's \(size) bytes: the file is cut short")
        }

        struct Span { var start: Int64; var end: Int64; var name: String }
        var spans: [Span] = []
        var at = 0
        while at + 46 <= directory.count, directory.u32(at) == 0x0201_4b50 {
            let nameLength = Int(directory.u16(at + 28)), extraLength = Int(directory.u16(at + 30)),
                commentLength = Int(directory.u16(at + 32))
            var compressed = Int64(directory.u32(at + 20))
            let uncompressedIs64 = directory.u32(at + 24) == 0xffff_ffff
            var offset = Int64(directory.u32(at + 42))
            let next = at + 46 + nameLength + extraLength + commentLength
            guard next <= directory.count else { break }
            let name = String(decoding: directory[(at + 46)..<(at + 46 + nameLength)], as: UTF8.self)
            // zip64 extra field: the 8-byte values in order, only for the fields saturated above.
            var extra = at + 46 + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let id = directory.u16(extra), length = Int(directory.u16(extra + 2))
                guard extra + 4 + length <= extraEnd else { break }
                if id == 0x0001 {
                    var field = extra + 4
                    if uncompressedIs64 { field += 8 }
                    if compressed == 0xffff_ffff, field + 8 <= extra + 4 + length {
                        compressed = Int64(bitPattern: directory.u64(field)); field += 8
                    }
                    if offset == 0xffff_ffff, field + 8 <= extra + 4 + length {
                        offset = Int64(bitPattern: directory.u64(field))
                    }
                }
                extra += 4 + length
            }
            if compressed >= 0, offset >= 0 {
                let (end, overflow) = offset.addingReportingOverflow(30 + Int64(nameLength) + compressed)
                spans.append(Span(start: offset, end: overflow ? Int64.max : end, name: name))
            }
            at = next
        }
        if Int64(spans.count) < total {
            return .truncated("the central directory lists \(spans.count) of the \(total) entries its end record announces: it is cut short or corrupt")
        }
        spans.sort { $0.start < $1.start }
        for (first, second) in zip(spans, spans.dropFirst()) where first.end > second.start {
            return .overlapping(first: first.name, second: second.name)
        }
        return .consistent(entries: spans.count)
    }
}

extension Array where Element == UInt8 {
    func u16(_ at: Int) -> UInt16 {
        guard at >= 0, at + 2 <= count else { return 0 }
        return UInt16(self[at]) | UInt16(self[at + 1]) << 8
    }

    func u32(_ at: Int) -> UInt32 {
        guard at >= 0, at + 4 <= count else { return 0 }
        return UInt32(u16(at)) | UInt32(u16(at + 2)) << 16
    }

    func u64(_ at: Int) -> UInt64 {
        guard at >= 0, at + 8 <= count else { return 0 }
        return UInt64(u32(at)) | UInt64(u32(at + 4)) << 32
    }

    /// The last index at or before `from` where the little-endian `signature` starts.
    func lastIndex(ofSignature signature: UInt32, from: Int) -> Int? {
        var index = Swift.min(from, count - 4)
        while index >= 0 {
            if u32(index) == signature { return index }
            index -= 1
        }
        return nil
    }
}
