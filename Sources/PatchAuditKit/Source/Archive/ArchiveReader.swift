internal import CLibArchive
#if canImport(Glibc)
import Glibc
#endif

/// One libarchive read handle (`struct archive *`), owned: created in `init`, freed in
/// `deinit` and nowhere else. Not Sendable: each scan opens its own.
///
/// Only the formats and filters users bring are enabled: zip, tar (ustar, pax, GNU),
/// 7-Zip, CAB and ISO 9660 (with Joliet and Rock Ridge); gzip, bzip2, xz/lzma and zstd.
/// Every return code is checked: `ARCHIVE_WARN` leaves the entry usable and is passed on as
/// a warning, `ARCHIVE_FAILED` loses this entry, `ARCHIVE_FATAL` ends the archive.
final class ArchiveReader {
    private let handle: OpaquePointer
    /// Bytes an in-memory archive reads from: one owned copy, freed with the handle.
    private var memory: UnsafeMutableRawBufferPointer?

    /// The header of one entry, copied out of libarchive's `archive_entry`.
    struct Entry {
        /// The name as stored, raw bytes (CAB and some zips use backslashes).
        var name: [UInt8]
        /// Declared size, when the format records one.
        var size: Int64?
        var isDirectory: Bool
        var isRegularFile: Bool
        var isSymbolicLink: Bool
        /// Hard links in tar name another entry; their own data is empty.
        var isHardLink: Bool
        /// The entry a hard link names (raw bytes).
        var hardLinkTarget: [UInt8]?
        /// A sparse entry (tar): its data comes in blocks with holes between them.
        var isSparse: Bool
        var isEncrypted: Bool
        /// Set when libarchive returned ARCHIVE_WARN for this header.
        var warning: String?
    }

    private init(handle: OpaquePointer) {
        self.handle = handle
    }

    deinit {
        archive_read_free(handle)
        memory?.deallocate()
    }

    /// A reader with patchaudit's formats and filters enabled; with `zipEntryOnly`, only
    /// libarchive's streaming zip reader (for one entry cut out of a zip by its central
    /// directory: local header, data, data descriptor).
    static func make(zipEntryOnly: Bool = false) throws(ArchiveError) -> ArchiveReader {
        guard let handle = archive_read_new() else {
            throw ArchiveError(.io, "libarchive could not allocate a reader (out of memory)")
        }
        let reader = ArchiveReader(handle: handle)
        let enable: [(OpaquePointer) -> Int32] = zipEntryOnly ? [archive_read_support_format_zip_streamable] : [
            archive_read_support_format_zip, archive_read_support_format_tar,
            archive_read_support_format_gnutar, archive_read_support_format_7zip,
            archive_read_support_format_cab, archive_read_support_format_iso9660,
            archive_read_support_filter_gzip, archive_read_support_filter_bzip2,
            archive_read_support_filter_xz, archive_read_support_filter_lzma,
            archive_read_support_filter_zstd,
        ]
        for function in enable {
            let status = function(handle)
            // WARN here means "using an external program": still usable.
            if status != PA_ARCHIVE_OK && status != PA_ARCHIVE_WARN {
                throw ArchiveError(.io, "libarchive could not enable a format: \(reader.errorText)")
            }
        }
        return reader
    }

    /// Opens an open file descriptor (not closed here). Regular files can seek, which lets
    /// the zip reader use the central directory and 7-Zip and ISO readers work at all.
    /// Size of what the reader reads from (file or memory), when known: the ratio guard's
    /// fallback where libarchive's own byte counter does not move (7-Zip, memory).
    private(set) var sourceSize: Int64?

    func open(descriptor: Int32) throws(ArchiveError) {
        var status = stat()
        if fstat(descriptor, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG { sourceSize = Int64(status.st_size) }
        try check(archive_read_open_fd(handle, descriptor, 1 << 16), entry: nil)
    }

    /// Opens bytes held in memory (a nested archive). The reader keeps its own copy until it is
    /// freed, so the caller should hand the array over (`consume`) rather than keep it.
    func open(bytes: consuming [UInt8]) throws(ArchiveError) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, bytes.count), alignment: 16)
        bytes.withUnsafeBytes { source in
            if let base = source.baseAddress { buffer.baseAddress?.copyMemory(from: base, byteCount: source.count) }
        }
        memory = buffer
        sourceSize = Int64(bytes.count)
        try check(archive_read_open_memory(handle, buffer.baseAddress, bytes.count), entry: nil)
    }

    /// Whether the stream passes through a decompression filter (gzip, xz, ...): then skipping
    /// an entry costs as much as reading it.
    var isCompressedStream: Bool { archive_filter_count(handle) > 1 }

    /// Whether the format is 7-Zip, whose solid blocks are decompressed to skip an entry.
    var isSevenZip: Bool {
        archive_format(handle) & PA_ARCHIVE_FORMAT_BASE_MASK == PA_ARCHIVE_FORMAT_7ZIP
    }

    /// The next entry's header, or nil at the end of the archive.
    func nextEntry() throws(ArchiveError) -> Entry? {
        var pointer: OpaquePointer?
        let status = archive_read_next_header(handle, &pointer)
        if status == PA_ARCHIVE_EOF { return nil }
        var warning: String?
        if status == PA_ARCHIVE_WARN {
            warning = errorText
        } else if status != PA_ARCHIVE_OK {
            try check(status, entry: nil)
        }
        guard let entry = pointer else {
            throw ArchiveError(.fatal, "libarchive returned no entry header")
        }
        var name: [UInt8] = []
        if let raw = archive_entry_pathname(entry) {
            name = Array(UnsafeBufferPointer(start: UnsafeRawPointer(raw).assumingMemoryBound(to: UInt8.self), count: strlen(raw)))
        } else if let utf8 = archive_entry_pathname_utf8(entry) {
            name = Array(UnsafeBufferPointer(start: UnsafeRawPointer(utf8).assumingMemoryBound(to: UInt8.self), count: strlen(utf8)))
        }
        let type = UInt32(archive_entry_filetype(entry)) & PA_AE_IFMT
        return Entry(
            name: name,
            size: archive_entry_size_is_set(entry) != 0 ? Int64(archive_entry_size(entry)) : nil,
            isDirectory: type == PA_AE_IFDIR,
            isRegularFile: type == PA_AE_IFREG || type == 0,
            isSymbolicLink: type == PA_AE_IFLNK,
            isHardLink: archive_entry_hardlink(entry) != nil,
            hardLinkTarget: archive_entry_hardlink(entry).map {
                Array(UnsafeBufferPointer(start: UnsafeRawPointer($0).assumingMemoryBound(to: UInt8.self), count: strlen($0)))
            },
            isSparse: archive_entry_sparse_count(entry) > 0,
            isEncrypted: archive_entry_is_encrypted(entry) != 0,
            warning: warning)
    }

    /// ARCHIVE_WARN messages met while reading the current entry's data (a bad CRC, a wrong
    /// size): the bytes came through, but they are not what the archive recorded.
    private(set) var dataWarnings: [String] = []

    /// The next block of the current entry's data (valid until the next call) and its offset in
    /// the entry (sparse entries have holes between blocks), or nil at its end.
    func nextBlock(entry: String) throws(ArchiveError) -> (bytes: UnsafeRawBufferPointer, offset: Int64)? {
        var buffer: UnsafeRawPointer?
        var size = 0
        var offset: la_int64_t = 0
        let status = archive_read_data_block(handle, &buffer, &size, &offset)
        if status == PA_ARCHIVE_WARN {
            dataWarnings.append(errorText.trimmingTrailingWhitespace)
        } else if status == PA_ARCHIVE_EOF {
            return nil
        } else if status != PA_ARCHIVE_OK {
            try check(status, entry: entry)
        }
        return (UnsafeRawBufferPointer(start: buffer, count: size), Int64(offset))
    }

    /// Forgets the warnings of the previous entry's data.
    func clearDataWarnings() { dataWarnings.removeAll() }

    /// Whether libarchive has seen encrypted entries (`archive_read_has_encrypted_entries`).
    var hasEncryptedEntries: Bool { archive_read_has_encrypted_entries(handle) > 0 }

    /// Bytes read from the source so far (`archive_filter_bytes(a, -1)`): compressed.
    var rawBytesRead: Int64 { Int64(archive_filter_bytes(handle, -1)) }
    /// Bytes of the uncompressed stream so far (`archive_filter_bytes(a, 0)`).
    var streamBytes: Int64 { Int64(archive_filter_bytes(handle, 0)) }

    /// libarchive's name for the format it detected ("ZIP 2.0 (deflation)", "GNU tar format").
    var formatName: String {
        guard let name = archive_format_name(handle) else { return "unknown" }
        return String(decoding: UnsafeBufferPointer(start: UnsafeRawPointer(name).assumingMemoryBound(to: UInt8.self), count: strlen(name)), as: UTF8.self)
    }

    /// Whether the detected format stores CAB/DOS-style backslash separators.
    var usesBackslashes: Bool {
        let base = archive_format(handle) & PA_ARCHIVE_FORMAT_BASE_MASK
        return base == PA_ARCHIVE_FORMAT_CAB || base == PA_ARCHIVE_FORMAT_ZIP
    }

    /// `archive_error_string`, which may be NULL.
    var errorText: String {
        guard let text = archive_error_string(handle) else { return "libarchive gave no message" }
        return String(decoding: UnsafeBufferPointer(start: UnsafeRawPointer(text).assumingMemoryBound(to: UInt8.self), count: strlen(text)), as: UTF8.self)
    }

    /// Maps a return code that is not OK/WARN to an ``ArchiveError``.
    private func check(_ status: Int32, entry: String?) throws(ArchiveError) {
        if status == PA_ARCHIVE_OK || status == PA_ARCHIVE_WARN { return }
        let message = errorText
        let lowered = message.lowercased()
        if lowered.contains("unrecognized archive format") {
            throw ArchiveError(.notAnArchive, message, entry: entry)
        }
        if lowered.contains("encrypt") || lowered.contains("passphrase") {
            throw ArchiveError(.encrypted, message, entry: entry)
        }
        if lowered.contains("multivolume") || lowered.contains("multi-volume") || lowered.contains("split") {
            throw ArchiveError(.multiVolume, message, entry: entry)
        }
        throw ArchiveError(status == PA_ARCHIVE_FAILED || status == PA_ARCHIVE_RETRY ? .entryFailed : .fatal, message, entry: entry)
    }
}

extension String {
    var trimmingTrailingWhitespace: String {
        var text = self
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return text
    }
}

/// Runs `body` with the thread's character-type locale set to C.UTF-8, so libarchive's
/// name conversions keep UTF-8 names intact, then restores the thread's locale.
func withUTF8Locale<T>(_ body: () throws -> T) rethrows -> T {
    guard let utf8 = pa_utf8_locale() else { return try body() }
    let previous = uselocale(utf8)
    defer {
        uselocale(previous)
        freelocale(utf8)
    }
    return try body()
}
