/// Matched zip entries read in place: the entry's bytes are read from the target file by the
/// central directory's offsets and inflated with libdeflate (``ZipInflater``), straight into
/// the buffer the digests and the PE reader then read. On a fleet of zips this is most of the
/// CPU a scan spends (issue 10, part 9): libdeflate inflates about twice as fast as zlib behind
/// libarchive, and nothing is copied block by block on the way.
///
/// Only the plain case is read here: a stored or deflated entry, not encrypted, whose local
/// header agrees with its central-directory entry (method, flags, name, and without a data
/// descriptor its CRC-32 and sizes), whose extra fields are well formed and of kinds that change
/// nothing about how libarchive reads it, and whose bytes, once read, are exactly what both
/// headers (and the data descriptor) record: the stream ends where the compressed size says,
/// gives the uncompressed size, and has the CRC-32. Anything else (a corrupt stream, a wrong
/// CRC, a size that lies, a header cut short, zip64, names in another character set) is handed
/// to libarchive's streaming reader exactly as before, so every damaged entry gets the findings
/// it always got (`ZIP bad CRC`, `ZIP compressed data is wrong size`, a name mismatch, ...).
extension ArchiveWalk {
    /// Extra-field kinds libarchive 3.6.2 reads past or only takes times and owners from: an
    /// entry carrying any other (zip64 sizes 0x0001, Info-ZIP Unicode path 0x7075, AES 0x9901,
    /// PKWARE Unix 0x000d, ...) is left to libarchive.
    static let inertExtraFields: Set<UInt16> = [0x000a, 0x5455, 0x5855, 0x7855, 0x7875, 0xcafe]

    /// Largest entry read in place: below the ratio guard's 16 MiB, so the guard, which looks
    /// at an entry's output only past that, judges the same entries it always did.
    static let maxInPlaceSize: Int64 = 16 << 20

    /// Reads a matched entry of the zip at `zip` in place, with the byte limits counted as
    /// libarchive's reading counts them.
    /// - Returns: the bytes and their digests (or the limit that stopped them); nil when the
    ///   entry is not the plain case, or its bytes are not what its headers record: then
    ///   libarchive reads it, as it read every entry before.
    func readInPlace(_ entry: ZipLayout.Entry, in zip: FileStretch, path: ScanPath) -> Result<FileBytes, ReadProblem>? {
        let compressed = entry.compressedSize, size = entry.uncompressedSize
        let descriptor = entry.flags & 0x0008 != 0
        // Bit 0: encrypted; bit 6: strong encryption.
        guard entry.method == 8 || (entry.method == 0 && !descriptor && compressed == size),
              entry.flags & 0x0041 == 0, compressed >= 0, size >= 0, entry.localHeaderOffset >= 0,
              size <= min(limits.maxFileSize, Self.maxInPlaceSize), compressed <= limits.maxFileSize else { return nil }
        // Deflate yields at most 258 bytes per 2 bits or so (about 1032:1): a larger claim is a
        // lie, met by libarchive's reader as the bytes come, with nothing reserved for it here.
        let (bound, boundOverflow) = compressed.multipliedReportingOverflow(by: 1032)
        guard boundOverflow || size <= bound + 1024 else { return nil }
        // The shared total as `count` keeps it: an entry that would pass it is read as before.
        let (total, totalOverflow) = outcome.totalBytes.addingReportingOverflow(size)
        guard !totalOverflow, total <= limits.maxTotalBytes else { return nil }

        // The local header (30 bytes, name, extra) and where the data starts.
        guard let header = zipBytes(zip, at: entry.localHeaderOffset, count: 30), header.u32(0) == 0x0403_4b50,
              header.u16(8) == entry.method, header.u16(6) & 0x0049 == entry.flags & 0x0049 else { return nil }
        let nameLength = Int(header.u16(26)), extraLength = Int(header.u16(28))
        guard nameLength == entry.name.count, entry.name.allSatisfy({ $0 < 0x80 }),
              let variable = zipBytes(zip, at: entry.localHeaderOffset + 30, count: nameLength + extraLength),
              variable[..<nameLength].elementsEqual(entry.name),
              Self.extraFieldsAreInert(variable[nameLength...]) else { return nil }
        if !descriptor {
            guard header.u32(14) == entry.crc32, Int64(header.u32(18)) == compressed, Int64(header.u32(22)) == size else { return nil }
        }
        let (dataStart, startOverflow) = entry.localHeaderOffset.addingReportingOverflow(Int64(30 + nameLength + extraLength))
        guard !startOverflow else { return nil }
        let (dataEnd, endOverflow) = dataStart.addingReportingOverflow(compressed)
        guard !endOverflow, dataEnd <= zip.length else { return nil }

        if zipInflater == nil { zipInflater = ZipInflater.make() }
        guard let inflater = zipInflater else { return nil }
        // Inflated (or read, when stored) straight into the buffer the digests and PE reader use.
        var crc: UInt32 = 0
        var complete = false
        let bytes = [UInt8](unsafeUninitializedCapacity: Int(max(1, size))) { buffer, initialized in
            let output = UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(buffer)[0..<Int(size)])
            if entry.method == 0 {
                guard readZip(zip, at: dataStart, into: output) else { return }
            } else {
                let input = inflater.inputBuffer(count: Int(compressed))
                guard readZip(zip, at: dataStart, into: input),
                      inflater.inflate(UnsafeRawBufferPointer(input), into: output) == .inflated(consumed: Int(compressed), produced: Int(size)) else { return }
            }
            crc = ZipInflater.crc32(UnsafeRawBufferPointer(output))
            initialized = Int(size)
            complete = true
        }
        guard complete, crc == entry.crc32 else { return nil }
        if descriptor {
            // Read as libarchive reads it after the stream: an optional signature, then the
            // CRC-32 and 32-bit sizes.
            guard let record = zipBytes(zip, at: dataEnd, count: Int(min(16, zip.length - dataEnd))), record.count >= 12 else { return nil }
            let at = record.u32(0) == 0x0807_4b50 ? 4 : 0
            guard record.count >= at + 12, record.u32(at) == crc, Int64(record.u32(at + 4)) == compressed,
                  record.u32(at + 8) == UInt32(truncatingIfNeeded: size) else { return nil }
        }
        var state = RatioGuard(compressedBytes: compressed)
        if let problem = count(size, at: path, guard: &state) { return .failure(problem) }
        return .success(FileBytes(bytes: bytes, digests: FileDigests(of: bytes, selection: limits.digests)))
    }

    /// Whether the extra fields tile their space exactly and are all of inert kinds.
    static func extraFieldsAreInert(_ extra: ArraySlice<UInt8>) -> Bool {
        var at = extra.startIndex
        while at < extra.endIndex {
            guard extra.endIndex - at >= 4 else { return false }
            let id = UInt16(extra[at]) | UInt16(extra[at + 1]) << 8
            let length = Int(extra[at + 2]) | Int(extra[at + 3]) << 8
            guard inertExtraFields.contains(id), extra.endIndex - at - 4 >= length else { return false }
            at += 4 + length
        }
        return true
    }

    /// `count` bytes at `offset` of the zip at `zip`, or nil when they are not all there.
    func zipBytes(_ zip: FileStretch, at offset: Int64, count: Int) -> [UInt8]? {
        guard count >= 0 else { return nil }
        var bytes = [UInt8](repeating: 0, count: count)
        let complete = bytes.withUnsafeMutableBytes { readZip(zip, at: offset, into: $0) }
        return complete ? bytes : nil
    }

    /// Fills `buffer` from `offset` of the zip at `zip`; false when the bytes are not all there
    /// (outside the zip, the file cut short, a read error: libarchive then says which).
    func readZip(_ zip: FileStretch, at offset: Int64, into buffer: UnsafeMutableRawBufferPointer) -> Bool {
        let (end, overflow) = offset.addingReportingOverflow(Int64(buffer.count))
        guard offset >= 0, !overflow, end <= zip.length else { return false }
        var done = 0
        while done < buffer.count {
            let (absolute, absoluteOverflow) = zip.start.addingReportingOverflow(offset + Int64(done))
            guard !absoluteOverflow,
                  case .success(let got) = file.read(at: absolute, into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...])),
                  got > 0 else { return false }
            done += got
        }
        return true
    }
}
