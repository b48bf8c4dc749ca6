/// Reads a zip's end-of-central-directory records and its central directory, in bounded
/// chunks, to do what libarchive does not:
/// - catch **overlapping entries**: David Fifield's zip bomb lets hundreds of central-directory
///   entries point into one shared compressed kernel, so a few kilobytes expand to gigabytes
///   (libarchive 3.6.2 expands a 6 KB one to 52 MB without complaint);
/// - catch **multi-volume parts** and a **cut central directory** (libarchive would fall back
///   to reading local headers and never notice);
/// - list the entries from the central directory alone, so that only the wanted ones (matched
///   names, nested archives) are then handed to libarchive: a 60,000-entry zip is not read
///   local header by local header.
///
/// Memory: the directory is read in 1 MiB chunks; per entry only its span (16 bytes, for the
/// overlap check) is kept, and names only for wanted entries.
///
/// Structures: `end of central directory record` (0x06054b50), `zip64 end of central directory
/// locator` (0x07064b50) and `record` (0x06064b50), `central directory file header`
/// (0x02014b50) with the zip64 extended-information extra field (0x0001), per APPNOTE.TXT.
struct ZipLayout {
    /// Reads `count` bytes at `offset`, or nil when they are not all there.
    typealias ReadAt = (_ offset: Int64, _ count: Int) -> [UInt8]?

    /// Directories above this size are not read (a limit, reported as such): 1.4 million
    /// entries at the least (46 bytes each without a name), more than any disk of the era held.
    /// The overlap check keeps 16 bytes per entry, so memory stays within about 22 MiB.
    static let maxCentralDirectorySize: Int64 = 64 << 20

    /// Name bytes kept for the wanted entries, all together.
    static let maxWantedNameBytes = 16 << 20

    /// One entry as the central directory describes it.
    struct Entry {
        /// The name as stored (raw bytes).
        var name: [UInt8]
        var localHeaderOffset: Int64
        var compressedSize: Int64
        var uncompressedSize: Int64
        /// General-purpose flags: bit 0 encrypted, bit 3 sizes in a data descriptor.
        var flags: UInt16
        /// Compression method: 0 stored, 8 deflated, ...
        var method: UInt16
        /// The CRC-32 of the uncompressed bytes, as the central directory records it.
        var crc32: UInt32 = 0
        /// A Unix symbolic link (made on Unix, mode S_IFLNK in the external attributes).
        var isSymbolicLink: Bool
    }

    /// What the central directory says.
    struct Catalog {
        var entryCount = 0
        var directoryCount = 0
        /// The entries `wants` accepted, in directory order (at most `maxWanted`).
        var wanted: [Entry] = []
        /// More entries were wanted than `maxWanted`: those after were not kept.
        var wantedCut = false
    }

    enum Finding {
        case consistent(Catalog)
        /// No end record at all: probably not a zip (libarchive decides).
        case notZip
        case overlapping(String)
        case multiVolume(String)
        case centralDirectoryTooLarge(Int64)
        case truncated(String)
    }

    /// Checks a zip of `size` bytes and lists the entries whose raw name `wants` accepts.
    static func check(size: Int64, read: ReadAt, maxWanted: Int = .max, wants: ([UInt8]) -> Bool = { _ in false }) -> Finding {
        if let head = read(0, 4), head == [0x50, 0x4b, 0x07, 0x08] {
            return .multiVolume("it starts with the split-archive marker of a multi-volume zip's first part")
        }
        let tailLength = Int(min(size, 22 + 65_535))
        guard tailLength >= 22, let tail = read(size - Int64(tailLength), tailLength) else { return .notZip }
        // The real end record's comment runs exactly to the end of the file. A second record
        // that also does (one hidden in the comment) makes the zip ambiguous: refused.
        var candidates: [Int] = []
        var from = tail.count - 22
        while let found = tail.lastIndex(ofSignature: 0x0605_4b50, from: from) {
            if found + 22 + Int(tail.u16(found + 20)) == tail.count { candidates.append(found) }
            from = found - 1
        }
        guard let end = candidates.first else {
            if tail.lastIndex(ofSignature: 0x0605_4b50, from: tail.count - 22) != nil {
                return .truncated("its end-of-central-directory record's comment length does not reach the end of the file")
            }
            return .notZip
        }
        if candidates.count > 1 {
            return .truncated("it holds \(candidates.count) end-of-central-directory records that each fit the end of the file (one hidden in the comment): a zip made to show different contents to different tools")
        }
        // Disk numbers count from 0. All values are widened to Int64 before any arithmetic:
        // a record may claim disk 65535 (0xFFFF, "see the zip64 record").
        var disk = Int64(tail.u16(end + 4)), diskWithDirectory = Int64(tail.u16(end + 6))
        var total = Int64(tail.u16(end + 10))
        var directorySize = Int64(tail.u32(end + 12))
        var directoryOffset = Int64(tail.u32(end + 16))
        let locatorAt = size - Int64(tailLength) + Int64(end) - 20
        let locator = locatorAt >= 0 ? read(locatorAt, 20) : nil
        let hasLocator = locator?.u32(0) == 0x0706_4b50
        // A field saturated at its maximum means "see the zip64 record" (APPNOTE 4.4.1.4).
        let saturated = directorySize == 0xffff_ffff || directoryOffset == 0xffff_ffff || disk == 0xffff || diskWithDirectory == 0xffff
        // 65,535 entries fill the 16-bit count without making a zip64: only a locator (or a
        // saturated field) says zip64.
        if saturated || (total == 0xffff && hasLocator) {
            // zip64: the locator sits right before the end record.
            guard let locator, hasLocator else {
                return .truncated("its end record defers to a zip64 end-of-central-directory record, but the zip64 locator is missing")
            }
            if locator.u32(16) > 1 { return .multiVolume("its zip64 locator counts \(locator.u32(16)) disks") }
            let recordAt = Int64(bitPattern: locator.u64(8))
            guard recordAt >= 0, recordAt < size, let record = read(recordAt, 56), record.u32(0) == 0x0606_4b50 else {
                return .truncated("the zip64 end-of-central-directory record is missing")
            }
            disk = Int64(record.u32(16))
            diskWithDirectory = Int64(record.u32(20))
            total = Int64(bitPattern: record.u64(32))
            directorySize = Int64(bitPattern: record.u64(40))
            directoryOffset = Int64(bitPattern: record.u64(48))
        }
        if disk != 0 || diskWithDirectory != 0 {
            return .multiVolume("its end record says it is disk \(disk + 1) of a multi-volume set (the central directory is on disk \(diskWithDirectory + 1))")
        }
        guard directorySize >= 0, directoryOffset >= 0, total >= 0 else { return .truncated("the end record holds negative sizes") }
        // A self-extracting stub before the zip (offsets not adjusted): the directory ends where
        // the end records begin, so the difference is the stub's length; every offset shifts by it.
        let endRecordsStart = size - Int64(tailLength) + Int64(end) - (hasLocator ? 20 + 56 : 0)
        var shift: Int64 = 0
        let (expected, expectedOverflow) = endRecordsStart.subtractingReportingOverflow(directorySize)
        if !expectedOverflow, expected > directoryOffset, read(expected, 4)?.u32(0) == 0x0201_4b50,
           read(directoryOffset, 4)?.u32(0) != 0x0201_4b50 {
            shift = expected - directoryOffset
            directoryOffset = expected
        }
        guard directorySize <= maxCentralDirectorySize else { return .centralDirectoryTooLarge(directorySize) }
        let (directoryEnd, overflow) = directoryOffset.addingReportingOverflow(directorySize)
        guard !overflow, directoryEnd <= size else {
            return .truncated("the central directory (\(directorySize) bytes at offset \(directoryOffset)) lies beyond the file's \(size) bytes: the file is cut short")
        }

        var catalog = Catalog()
        var wantedNameBytes = 0
        var spans: [(start: Int64, end: Int64)] = []
        var chunk: [UInt8] = []
        var chunkStart = directoryOffset
        var position = directoryOffset
        /// Makes `[position, position + count)` available in `chunk`; false when it is not there.
        func ensure(_ count: Int) -> Bool {
            let have = chunkStart + Int64(chunk.count) - position
            if position >= chunkStart && have >= Int64(count) { return true }
            let want = Int(min(directoryEnd - position, Int64(max(count, 1 << 20))))
            guard want >= count, let bytes = read(position, want) else { return false }
            chunk = bytes
            chunkStart = position
            return true
        }
        while position < directoryEnd {
            guard ensure(46) else { break }
            var at = Int(position - chunkStart)
            guard chunk.u32(at) == 0x0201_4b50 else { break }
            let nameLength = Int(chunk.u16(at + 28)), extraLength = Int(chunk.u16(at + 30)),
                commentLength = Int(chunk.u16(at + 32))
            let recordLength = 46 + nameLength + extraLength + commentLength
            guard ensure(recordLength) else { break }
            at = Int(position - chunkStart)
            let flags = chunk.u16(at + 8), method = chunk.u16(at + 10)
            let madeOnUnix = chunk.u16(at + 4) >> 8 == 3
            let isLink = madeOnUnix && (chunk.u32(at + 38) >> 16) & 0o170000 == 0o120000
            var compressed = Int64(chunk.u32(at + 20))
            var uncompressed = Int64(chunk.u32(at + 24))
            var offset = Int64(chunk.u32(at + 42))
            // zip64 extra field: the 8-byte values in order, only for the fields saturated above.
            var extra = at + 46 + nameLength
            let extraEnd = extra + extraLength
            let uncompressedIs64 = uncompressed == 0xffff_ffff, compressedIs64 = compressed == 0xffff_ffff,
                offsetIs64 = offset == 0xffff_ffff
            while extra + 4 <= extraEnd {
                let id = chunk.u16(extra), length = Int(chunk.u16(extra + 2))
                guard extra + 4 + length <= extraEnd else { break }
                if id == 0x0001 {
                    var field = extra + 4
                    let fieldEnd = extra + 4 + length
                    if uncompressedIs64, field + 8 <= fieldEnd { uncompressed = Int64(bitPattern: chunk.u64(field)); field += 8 }
                    if compressedIs64, field + 8 <= fieldEnd { compressed = Int64(bitPattern: chunk.u64(field)); field += 8 }
                    if offsetIs64, field + 8 <= fieldEnd { offset = Int64(bitPattern: chunk.u64(field)) }
                }
                extra += 4 + length
            }
            offset = offset.addingReportingOverflow(shift).partialValue
            let nameRange = (at + 46)..<(at + 46 + nameLength)
            catalog.entryCount += 1
            if nameLength > 0 && chunk[nameRange.upperBound - 1] == 0x2f {
                catalog.directoryCount += 1
            } else if !catalog.wantedCut && wants(Array(chunk[nameRange])) {
                // Bounded in count and in name bytes; past either bound an entry is still counted
                // and checked for overlap, but not kept.
                if catalog.wanted.count < maxWanted && wantedNameBytes + nameLength <= maxWantedNameBytes {
                    wantedNameBytes += nameLength
                    catalog.wanted.append(Entry(name: Array(chunk[nameRange]), localHeaderOffset: offset,
                                                compressedSize: compressed, uncompressedSize: uncompressed, flags: flags,
                                                method: method, crc32: chunk.u32(at + 16), isSymbolicLink: isLink))
                } else {
                    catalog.wantedCut = true
                }
            }
            if compressed >= 0, offset >= 0 {
                // `compressed` may come from a zip64 field near Int64.max: every step checked.
                let (withHeader, headerOverflow) = compressed.addingReportingOverflow(30 + Int64(nameLength))
                let (end, overflow) = offset.addingReportingOverflow(withHeader)
                spans.append((offset, overflow || headerOverflow ? Int64.max : end))
            }
            position += Int64(recordLength)
        }
        if Int64(catalog.entryCount) < total {
            return .truncated("the central directory lists \(catalog.entryCount) of the \(total) entries its end record announces: it is cut short or corrupt")
        }
        spans.sort { $0.start < $1.start }
        for (first, second) in zip(spans, spans.dropFirst()) where first.end > second.start {
            return .overlapping("the entries at offsets \(first.start) and \(second.start) share bytes")
        }
        if let last = spans.last, last.end > directoryOffset {
            return .truncated("the entry at offset \(last.start) claims data running into the central directory at \(directoryOffset)")
        }
        return .consistent(catalog)
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
