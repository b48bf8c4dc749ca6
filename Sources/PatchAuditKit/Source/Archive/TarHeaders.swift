/// Finds where a tar entry's data starts in an uncompressed tar, so that a nested archive in it
/// can be read in place instead of streamed (an ISO image in a tar of a disk's files).
///
/// libarchive says where the entry's first header starts (`archive_read_header_position`);
/// the headers that belong to it are walked from there: POSIX pax headers (`x`, `g`), GNU long
/// names and links (`L`, `K`), Solaris ACLs (`A`), old pax (`X`), each followed by its own data
/// in 512-byte blocks, then the entry's ustar header, then its data. Every header's checksum must
/// add up, and at most ``maxHeaders`` are walked. The caller compares the bytes found there with
/// the ones libarchive streamed before trusting the result.
enum TarHeaders {
    /// Extension headers walked before giving up (libarchive accepts long chains; patchaudit
    /// only needs the shortcut for ordinary ones).
    static let maxHeaders = 16

    /// The stretch (relative to the tar) that holds the data of the entry whose first header
    /// starts at `header`, or nil when the headers are not as expected.
    static func dataStretch(in tar: FileRangeSource, header: Int64, size: Int64) -> FileStretch? {
        guard header >= 0, size >= 0 else { return nil }
        var at = header
        for _ in 0..<maxHeaders {
            guard let block = tar.bytes(at: at, count: 512),
                  block.withUnsafeBytes({ ArchiveSniffer.isTarHeader($0) }) else { return nil }
            let (dataStart, overflow) = at.addingReportingOverflow(512)
            guard !overflow else { return nil }
            switch block[156] {
            case UInt8(ascii: "x"), UInt8(ascii: "g"), UInt8(ascii: "L"), UInt8(ascii: "K"), UInt8(ascii: "A"), UInt8(ascii: "X"):
                guard let length = fieldSize(block), length <= Int64.max - 1024 else { return nil }
                let (next, nextOverflow) = dataStart.addingReportingOverflow((length + 511) / 512 * 512)
                guard !nextOverflow else { return nil }
                at = next
            case 0, UInt8(ascii: "0"), UInt8(ascii: "7"):
                let (end, endOverflow) = dataStart.addingReportingOverflow(size)
                guard !endOverflow, let length = tar.length, end <= length else { return nil }
                return FileStretch(start: dataStart, length: size)
            default:
                return nil
            }
        }
        return nil
    }

    /// The header's size field: octal digits, or GNU's base-256 form (top bit of the first byte).
    static func fieldSize(_ block: [UInt8]) -> Int64? {
        let field = block[124..<136]
        if let first = field.first, first & 0x80 != 0 {
            var value: Int64 = 0
            for (index, byte) in field.enumerated() {
                let digit = index == 0 ? Int64(byte & 0x7f) : Int64(byte)
                let (shifted, overflow) = value.multipliedReportingOverflow(by: 256)
                guard !overflow, shifted <= Int64.max - digit else { return nil }
                value = shifted + digit
            }
            return value
        }
        return ArchiveSniffer.octal(field)
    }
}
