/// A failure reading an archive, with libarchive's own message.
public struct ArchiveError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure, mapped from libarchive's return codes and messages.
    public enum Code: String, Sendable, Hashable, Codable {
        /// The bytes are no archive format patchaudit reads.
        case notAnArchive
        /// ARCHIVE_FATAL: the archive cannot be read any further (truncated, corrupt).
        case fatal
        /// ARCHIVE_FAILED: this entry is lost, the next may still be read.
        case entryFailed
        /// The entry (or the archive's headers) is encrypted.
        case encrypted
        /// One part of a multi-volume (split) set.
        case multiVolume
        /// A zip whose entries overlap: the zip-bomb construction.
        case overlappingEntries
        /// The operating system could not read the file.
        case io
        /// A check was skipped because a limit was reached (reported, the scan goes on).
        case limit
        /// The bytes break a bound patchaudit keeps before handing them to libarchive (a gzip
        /// header whose file name runs on for more than 32 KiB): not read, as a damaged or
        /// hostile file.
        case refused
    }

    public var code: Code
    /// libarchive's message (`archive_error_string`), or ours where it gives none.
    public var message: String
    /// The entry being read, when there was one.
    public var entry: String?

    public init(_ code: Code, _ message: String, entry: String? = nil) {
        self.code = code
        self.message = message
        self.entry = entry
    }

    public var description: String {
        guard let entry else { return message }
        return "\(message) (at entry \(entry))"
    }
}
