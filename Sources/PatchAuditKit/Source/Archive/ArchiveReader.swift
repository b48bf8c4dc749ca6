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
    /// Where the bytes come from; retained as long as the handle, whose callbacks use it.
    private var source: ArchiveByteSource?
    /// Whether only libarchive's streaming zip reader is enabled (one entry cut out of a zip).
    private let zipEntryOnly: Bool

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

    private init(handle: OpaquePointer, zipEntryOnly: Bool) {
        self.handle = handle
        self.zipEntryOnly = zipEntryOnly
    }

    deinit {
        archive_read_free(handle)
    }

    /// A reader with patchaudit's formats enabled; with `zipEntryOnly`, only libarchive's
    /// streaming zip reader (for one entry cut out of a zip by its central directory: local
    /// header, data, data descriptor). No filter is enabled for bidding: ``open(_:)`` appends
    /// the one the bytes call for.
    static func make(zipEntryOnly: Bool = false) throws(ArchiveError) -> ArchiveReader {
        guard let handle = archive_read_new() else {
            throw ArchiveError(.io, "libarchive could not allocate a reader (out of memory)")
        }
        let reader = ArchiveReader(handle: handle, zipEntryOnly: zipEntryOnly)
        let enable: [(OpaquePointer) -> Int32] = zipEntryOnly ? [archive_read_support_format_zip_streamable] : [
            archive_read_support_format_zip, archive_read_support_format_tar,
            archive_read_support_format_gnutar, archive_read_support_format_7zip,
            archive_read_support_format_cab, archive_read_support_format_iso9660,
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

    /// Size of what the reader reads from (file, stretch of a file, memory), when known: the
    /// ratio guard's fallback where libarchive's own byte counter does not move (7-Zip, memory).
    var sourceSize: Int64? { source?.size }

    /// Opens `source` (kept until the reader is freed). Its first bytes decide the one
    /// decompression filter, if any (``ArchiveSniffer``); a gzip header that libarchive 3.6.2
    /// would read without end is refused here.
    func open(_ source: ArchiveByteSource) throws(ArchiveError) {
        self.source = source
        if !zipEntryOnly {
            guard let head = source.peek(ArchiveSniffer.gzipHeaderPeek) else {
                throw source.failure ?? ArchiveError(.io, "the archive could not be read")
            }
            if let compression = ArchiveSniffer.compression(of: head) {
                if compression == .gzip,
                   let problem = ArchiveSniffer.gzipHeaderProblem(head, atEnd: head.count < ArchiveSniffer.gzipHeaderPeek) {
                    throw ArchiveError(.refused, problem)
                }
                let status = archive_read_append_filter(handle, compression.filterCode)
                if status != PA_ARCHIVE_OK && status != PA_ARCHIVE_WARN {
                    throw ArchiveError(.io, "libarchive could not set up the \(compression) filter: \(errorText)")
                }
            }
        }
        let client = Unmanaged.passUnretained(source).toOpaque()
        var status = archive_read_set_callback_data(handle, client)
        if status == PA_ARCHIVE_OK { status = archive_read_set_read_callback(handle, readCallback) }
        if status == PA_ARCHIVE_OK { status = archive_read_set_skip_callback(handle, skipCallback) }
        if status == PA_ARCHIVE_OK && source.isSeekable { status = archive_read_set_seek_callback(handle, seekCallback) }
        if status != PA_ARCHIVE_OK {
            throw ArchiveError(.io, "libarchive could not take the read callbacks: \(errorText)")
        }
        do throws(ArchiveError) {
            try check(archive_read_open1(handle), entry: nil)
        } catch where error.code == .notAnArchive && source.failure == nil && archive_filter_count(handle) > 1 {
            let filter = String(cString: archive_filter_name(handle, 0))
            throw ArchiveError(.notAnArchive, "it is \(filter)-compressed, but what it holds is no archive format patchaudit reads (a single compressed file, or one compressed twice over; libarchive: \(error.message))")
        } catch {
            throw source.failure ?? error
        }
    }

    /// Whether the stream passes through a decompression filter (gzip, xz, ...): then skipping
    /// an entry costs as much as reading it.
    var isCompressedStream: Bool { archive_filter_count(handle) > 1 }

    /// Whether the format is tar (any variant): its entries' data lie in the stream as they are.
    var isTar: Bool {
        archive_format(handle) & PA_ARCHIVE_FORMAT_BASE_MASK == PA_ARCHIVE_FORMAT_TAR
    }

    /// Where the current entry's first header starts in the (decompressed) stream
    /// (`archive_read_header_position`).
    var headerPosition: Int64 { Int64(archive_read_header_position(handle)) }

    /// Whether the format is zip (read by its local headers).
    var isZip: Bool {
        archive_format(handle) & PA_ARCHIVE_FORMAT_BASE_MASK == PA_ARCHIVE_FORMAT_ZIP
    }

    /// Whether skipping an entry means decompressing it: 7-Zip solid blocks, and CAB folders
    /// (MSZIP/LZX streams that run across entries).
    var skipsByDecompressing: Bool {
        let base = archive_format(handle) & PA_ARCHIVE_FORMAT_BASE_MASK
        return base == PA_ARCHIVE_FORMAT_7ZIP || base == PA_ARCHIVE_FORMAT_CAB
    }

    /// Whether skipping this entry means decompressing it: always for ``skipsByDecompressing``
    /// formats, and for a zip entry read by its local header without sizes (a data descriptor
    /// follows the data: only inflating finds its end).
    func skipsByDecompressing(_ entry: Entry) -> Bool {
        if skipsByDecompressing { return true }
        return entry.size == nil && isZip
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
            if let failure = source?.failure { throw failure }
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
            if let failure = source?.failure { throw failure }
            try check(status, entry: entry)
        }
        guard size >= 0, offset >= 0 else {
            throw ArchiveError(.fatal, "libarchive returned a data block at offset \(offset) of \(size) bytes", entry: entry)
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

/// The read callback (`archive_read_callback`): the next chunk of the reader's source.
private func readCallback(_ archive: OpaquePointer?, _ client: UnsafeMutableRawPointer?,
                          _ buffer: UnsafeMutablePointer<UnsafeRawPointer?>?) -> la_ssize_t {
    guard let client, let buffer else { return -1 }
    let source = Unmanaged<ArchiveByteSource>.fromOpaque(client).takeUnretainedValue()
    guard let chunk = source.next() else {
        let message = source.failure?.message ?? "the archive could not be read"
        pa_set_error(archive, EIO, message)
        return -1
    }
    // libarchive takes a non-NULL pointer even for an empty chunk (the end).
    buffer.pointee = chunk.baseAddress.map { UnsafeRawPointer($0) } ?? UnsafeRawPointer(bitPattern: 1)
    return la_ssize_t(chunk.count)
}

/// The skip callback (`archive_skip_callback`): bytes passed over without reading, 0 for none.
private func skipCallback(_ archive: OpaquePointer?, _ client: UnsafeMutableRawPointer?, _ request: la_int64_t) -> la_int64_t {
    guard let client else { return 0 }
    return la_int64_t(Unmanaged<ArchiveByteSource>.fromOpaque(client).takeUnretainedValue().skip(Int64(request)))
}

/// The seek callback (`archive_seek_callback`): the new position, or ARCHIVE_FATAL.
private func seekCallback(_ archive: OpaquePointer?, _ client: UnsafeMutableRawPointer?, _ offset: la_int64_t,
                          _ whence: Int32) -> la_int64_t {
    guard let client else { return la_int64_t(PA_ARCHIVE_FATAL) }
    let position = Unmanaged<ArchiveByteSource>.fromOpaque(client).takeUnretainedValue().seek(Int64(offset), whence: whence)
    return position < 0 ? la_int64_t(PA_ARCHIVE_FATAL) : la_int64_t(position)
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
