/// Why a matched file could not be read. The file is then `unreadable`, never `missing`.
public struct ReadProblem: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    /// The closed set of reasons.
    public enum Kind: String, Sendable, Hashable, Codable {
        /// A FIFO, device, socket or directory under a matched name: never opened.
        case notRegularFile
        /// A symbolic link: never followed (it could point out of the scanned root or loop).
        case symbolicLink
        /// The operating system refused access (EACCES, EPERM).
        case permissionDenied
        /// A read failed (EIO and the like) or the file vanished during the scan.
        case ioError
        /// Larger than the per-file cap (`--max-file-size`): a limit, reported as such.
        case tooLarge
    }

    public var kind: Kind
    /// What was read and what was wrong, for people.
    public var detail: String

    public init(_ kind: Kind, _ detail: String) {
        self.kind = kind
        self.detail = detail
    }

    /// Whether this problem is a scan limit being hit (which the report must name as such).
    public var isLimit: Bool { kind == .tooLarge }

    public var description: String { detail }
}
