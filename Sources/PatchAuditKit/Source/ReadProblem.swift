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
        /// An archive entry that is encrypted: its bytes cannot be read without the password.
        case encrypted
        /// An archive entry whose data expands beyond the compression-ratio guard: a limit.
        case compressionRatio
    }

    public var kind: Kind
    /// What was read and what was wrong, for people.
    public var detail: String

    public init(_ kind: Kind, _ detail: String) {
        self.kind = kind
        self.detail = detail
    }

    /// Whether this problem is a scan limit being hit (which the report must name as such).
    public var isLimit: Bool { limitName != nil }

    /// The option that names the limit this problem hit, if it is one.
    public var limitName: String? {
        switch kind {
        case .tooLarge: "max-file-size"
        case .compressionRatio: "max-compression-ratio"
        default: nil
        }
    }

    public var description: String { detail }

    /// What went wrong for a small file the user named (a manifest, a signature, a key), where
    /// scan's advice to raise `--max-file-size` does not apply: `limit` names the file's cap.
    public func detail(forFileOfAtMost limit: Int, kind name: String) -> String {
        kind == .tooLarge ? "it is larger than a \(name) can be (at most \(limit) bytes); check that this is the right file" : detail
    }
}
