internal import CLibArchive

/// Decides from the first bytes what a stream is, before anything else reads it.
///
/// Two uses:
/// - A file inside an archive that is *named* like an archive (`.cab`, `.iso`, `.zip`, ...) is
///   opened only when its bytes say it is one. A disk's Temporary Internet Files and setup
///   folders hold many `.cab` names over random bytes; those have no contents to check.
/// - The compression of a stream (gzip, bzip2, xz, lzma, zstd) is read here, and the one
///   matching filter is given to libarchive (`archive_read_append_filter`), instead of letting
///   libarchive bid filter after filter: libarchive 3.6.2 loops on a gzip stream that inflates
///   to another gzip header with an endless file-name field. One compression layer is read, as
///   tar writes them; a stream compressed twice over is not a recognised archive.
///
/// Magic numbers: zip `PK\x03\x04` (also `PK\x05\x06`, an empty zip, and `PK\x07\x08`, a
/// spanned zip's marker), CAB `MSCF`, 7-Zip `7z\xBC\xAF\x27\x1C`, ISO 9660 `CD001` at byte
/// 0x8001 (the first volume descriptor, sector 16), tar `ustar` at byte 257 or a v7 header whose
/// checksum adds up, gzip `1F 8B 08`, bzip2 `BZh1`-`BZh9` and a block or end marker, xz
/// `FD 37 7A 58 5A 00`, zstd `28 B5 2F FD`, lzma-alone properties `5D` with a sane dictionary.
enum ArchiveSniffer {
    enum Kind: Equatable, CustomStringConvertible {
        case zip, cab, sevenZip, iso9660, tar
        case compressed(Compression)

        /// Formats whose readers need to seek (their directory is at the end, or scattered).
        var needsSeeking: Bool { self == .sevenZip || self == .iso9660 }

        var description: String {
            switch self {
            case .zip: "zip"
            case .cab: "CAB"
            case .sevenZip: "7-Zip"
            case .iso9660: "ISO 9660"
            case .tar: "tar"
            case .compressed(let compression): "\(compression)-compressed"
            }
        }
    }

    enum Compression: CustomStringConvertible {
        case gzip, bzip2, xz, lzma, zstd

        var filterCode: Int32 {
            switch self {
            case .gzip: PA_ARCHIVE_FILTER_GZIP
            case .bzip2: PA_ARCHIVE_FILTER_BZIP2
            case .xz: PA_ARCHIVE_FILTER_XZ
            case .lzma: PA_ARCHIVE_FILTER_LZMA
            case .zstd: PA_ARCHIVE_FILTER_ZSTD
            }
        }

        var description: String {
            switch self {
            case .gzip: "gzip"
            case .bzip2: "bzip2"
            case .xz: "xz"
            case .lzma: "lzma"
            case .zstd: "zstd"
            }
        }
    }

    /// Bytes needed to tell every kind apart (the ISO 9660 volume descriptor's `CD001` ends here).
    static let sniffLength = 0x8006

    /// What the bytes are, or nil when they are no archive format patchaudit reads.
    static func kind(of head: UnsafeRawBufferPointer) -> Kind? {
        if let compression = compression(of: head) { return .compressed(compression) }
        if starts(head, with: [0x50, 0x4b, 0x03, 0x04]) || starts(head, with: [0x50, 0x4b, 0x05, 0x06])
            || starts(head, with: [0x50, 0x4b, 0x07, 0x08]) { return .zip }
        if starts(head, with: [0x4d, 0x53, 0x43, 0x46, 0, 0, 0, 0]) { return .cab }
        if starts(head, with: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]) { return .sevenZip }
        if isTarHeader(head) { return .tar }
        if head.count >= 0x8006, matches(head, at: 0x8001, [0x43, 0x44, 0x30, 0x30, 0x31]) { return .iso9660 }
        return nil
    }

    /// The compression of a stream, or nil for none of those patchaudit reads (the magic numbers
    /// libarchive's own filter bidders look for).
    static func compression(of head: UnsafeRawBufferPointer) -> Compression? {
        if starts(head, with: [0x1f, 0x8b, 0x08]) { return .gzip }
        if starts(head, with: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]) { return .xz }
        if starts(head, with: [0x28, 0xb5, 0x2f, 0xfd]) { return .zstd }
        // A zstd skippable frame (magic 0x184D2A50 to 0x184D2A5F) may come first.
        if head.count >= 4, head[0] & 0xf0 == 0x50, matches(head, at: 1, [0x2a, 0x4d, 0x18]) { return .zstd }
        if head.count >= 10, starts(head, with: [0x42, 0x5a, 0x68]), (0x31...0x39).contains(head[3]),
           matches(head, at: 4, [0x31, 0x41, 0x59, 0x26, 0x53, 0x59]) || matches(head, at: 4, [0x17, 0x72, 0x45, 0x38, 0x50, 0x90]) {
            return .bzip2
        }
        if isLZMAAloneHeader(head) { return .lzma }
        return nil
    }

    /// Longest gzip file name or comment patchaudit accepts (real ones are a few dozen bytes).
    static let maxGzipField = 32 << 10
    /// Bytes to peek at to check a gzip header: the fixed part, the largest extra field, and
    /// both text fields at their longest.
    static let gzipHeaderPeek = 10 + 2 + 65_535 + 2 * (maxGzipField + 1) + 2

    /// Why a gzip header (RFC 1952) is refused before libarchive reads it, or nil when it is fine
    /// or simply cut short (libarchive then says so). `atEnd`: `head` is the whole stream.
    static func gzipHeaderProblem(_ head: UnsafeRawBufferPointer, atEnd: Bool) -> String? {
        guard head.count >= 10 else { return nil }
        let flags = head[3]
        if flags & 0xe0 != 0 { return "its gzip header sets reserved flag bits (0x\(String(flags, radix: 16))): it is not a gzip stream any tool writes" }
        var at = 10
        if flags & 0x04 != 0 {
            guard at + 2 <= head.count else { return nil }
            at += 2 + (Int(head[at]) | Int(head[at + 1]) << 8)
        }
        for (bit, field) in [(UInt8(0x08), "file name"), (0x10, "comment")] where flags & bit != 0 {
            let limit = min(head.count, at + maxGzipField + 1)
            while at < limit && head[at] != 0 { at += 1 }
            if at >= head.count && atEnd { return nil }
            if at >= limit {
                return "its gzip header's \(field) field runs on past \(maxGzipField) bytes, which no gzip tool writes (libarchive 3.6.2 reads such fields without bound)"
            }
            at += 1
        }
        return nil
    }

    /// A tar header: POSIX/GNU `ustar` magic, or a v7 header whose checksum adds up.
    static func isTarHeader(_ head: UnsafeRawBufferPointer) -> Bool {
        guard head.count >= 512 else { return false }
        if matches(head, at: 257, [0x75, 0x73, 0x74, 0x61, 0x72]) { return true }
        guard head[0] != 0, let recorded = octal(head, 148, 8) else { return false }
        var sum = 0
        for index in 0..<512 { sum += (148..<156).contains(index) ? 0x20 : Int(head[index]) }
        return sum == recorded
    }

    /// The lzma-alone header as libarchive 3.6.2's own bidder checks it (`lzma_bidder_bid`):
    /// a properties byte of at most 224, and a dictionary of 2^12 to 2^27 bytes, or (XZ Utils
    /// shrinking it to fit memory) 3 to 63 MiB in whole MiB when the properties are the usual
    /// 0x5D/0x5E and the size is unknown (-1).
    static func isLZMAAloneHeader(_ head: UnsafeRawBufferPointer) -> Bool {
        guard head.count >= 14, head[0] <= (4 * 5 + 4) * 9 + 8 else { return false }
        let dictionary = UInt32(head[1]) | UInt32(head[2]) << 8 | UInt32(head[3]) << 16 | UInt32(head[4]) << 24
        var size: UInt64 = 0
        for index in (5..<13).reversed() { size = size << 8 | UInt64(head[index]) }
        if dictionary.nonzeroBitCount == 1 && (1 << 12 ... 1 << 27).contains(dictionary) { return true }
        let usual = (head[0] == 0x5d || head[0] == 0x5e) && size == UInt64.max
        return usual && (0x0030_0000...0x03f0_0000).contains(dictionary) && dictionary & 0xf_ffff == 0
    }

    /// An octal number field (leading spaces, then digits up to a NUL or space), or nil.
    static func octal(_ head: UnsafeRawBufferPointer, _ at: Int, _ length: Int) -> Int? {
        octal(head[at..<(at + length)]).map(Int.init)
    }

    /// The same for any bytes (a tar header's 8- or 12-byte fields: at most 12 digits, so the
    /// value stays far below Int64.max).
    static func octal(_ field: some Collection<UInt8>) -> Int64? {
        var value: Int64 = 0, digits = 0
        for byte in field {
            if byte == 0x20 && digits == 0 { continue }
            if byte == 0 || byte == 0x20 { break }
            guard (0x30...0x37).contains(byte), digits < 21 else { return nil }
            value = value * 8 + Int64(byte - 0x30)
            digits += 1
        }
        return digits > 0 ? value : nil
    }

    static func starts(_ head: UnsafeRawBufferPointer, with magic: [UInt8]) -> Bool {
        matches(head, at: 0, magic)
    }

    static func matches(_ head: UnsafeRawBufferPointer, at offset: Int, _ magic: [UInt8]) -> Bool {
        guard offset >= 0, head.count - offset >= magic.count else { return false }
        for (index, byte) in magic.enumerated() where head[offset + index] != byte { return false }
        return true
    }
}
