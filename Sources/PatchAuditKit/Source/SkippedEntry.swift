/// An entry the scan saw but did not read: a link, FIFO, device or socket (under a name no
/// manifest matches; matched names become `unreadable` files instead), a directory it could
/// not open, or a file inside an archive that is named like an archive but is none
/// (`notAnArchive`: nothing inside to check, no verdict changes), or a volume of a disk image
/// that holds another kind of file system (`volume`: ext, HFS; not scanned).
public struct SkippedEntry: Sendable, Hashable, Codable, Comparable {
    public enum Kind: String, Sendable, Hashable, Codable {
        case symbolicLink, fifo, device, socket, unreadableDirectory, notAnArchive, volume
    }
    public var path: String
    public var kind: Kind
    public var detail: String?

    public static func < (lhs: SkippedEntry, rhs: SkippedEntry) -> Bool {
        (lhs.path, lhs.kind.rawValue) < (rhs.path, rhs.kind.rawValue)
    }
}
