/// What one source found in one target: facts, never verdicts. The verdict policy
/// (``TargetPolicy`` in `Evaluation/`) turns them into reasons; the sources only say what they
/// read, what was wrong with it, and which limits they met.
public struct SourceFacts: Sendable {
    public var kind: TargetReport.Kind
    /// The matched files as read, sorted by path.
    public var items: [InventoryItem] = []
    public var summary = SourceSummary()
    public var problems: [SourceProblem] = []
    /// The container format ("ZIP 2.0 (deflation)", "E01 image, MBR"), when there is one.
    public var format: String?
    /// The volumes of a disk image, in partition-table order.
    public var volumes: [VolumeFact]?
    /// The bytes came from a stream of unknown size (standard input from a pipe).
    public var sizeUnknown = false

    public init(kind: TargetReport.Kind) {
        self.kind = kind
    }
}

/// A kind of target: given what the bytes (or the file type) say, it reads the target and
/// reports facts. Adding a kind of source is adding one type (``DirectorySource``,
/// ``ArchiveSource``, ``ImageSource``).
protocol TargetSource: ~Copyable {
    /// Reads the target, all of it or up to a limit; never throws: what failed is a fact.
    consuming func read() -> SourceFacts
}

/// Something wrong a source met, as a typed value; the verdict it leads to is policy's.
public enum SourceProblem: Sendable, Hashable {
    /// The bytes are not what the container recorded (bad CRC, a directory that is cut short).
    case corrupt(String)
    /// The container could not be read (any further); `lastEntry`: the last header read.
    case unreadable(ArchiveError, lastEntry: String?)
    /// A nested archive whose contents were not checked: `problem` says why.
    case nestedArchiveUnreadable(path: String, problem: String, found: String? = nil)
    /// Something in the container is encrypted: `description` says what was not read.
    case encrypted(description: String, path: String?)
    /// An entry header that could not be read (the entry was lost).
    case entryHeaderFailed(container: String?, message: String)
    /// libarchive warned about an entry's header.
    case entryWarning(path: String, warning: String)
    /// A zip's local header and central directory disagree on how to read an entry.
    case zipHeaderMismatch(path: String, found: String, expected: String)
    /// A zip's local header names an entry otherwise than its central directory.
    case zipNameMismatch(path: String, localName: String)
    /// A disk image that could not be opened or read (`detail` says what was read and what was wrong).
    case imageUnreadable(detail: String)
    /// A disk image (or a part of one) refused before reading: an extent outside its folder, a FIFO.
    case imageRefused(detail: String)
    /// A volume whose file system could not be read (or only partly).
    case volumeUnreadable(volume: String, detail: String)
    /// The partition table is damaged, or lists nothing that could be read.
    case partitionTableDamaged(detail: String)
}

/// One volume of a disk image: a partition, or the whole image when it has no partition table.
public struct VolumeFact: Sendable, Hashable, Codable {
    /// The name paths start with: `p1` (MBR primary 1), `p5` (first logical drive), `p1` (GPT
    /// entry 1); empty for a bare volume (a floppy, a partition image).
    public var name: String
    /// Byte offset in the image and length.
    public var start: Int64
    public var length: Int64
    /// What the partition table says (`Win95 FAT32 (0x0c)`), or `no partition table`.
    public var description: String
    /// The file system found (`fat12`, `fat16`, `fat32`, `ntfs`, `ext2`...), when one was.
    public var fileSystem: String?
    /// `scanned`, `skipped` (another kind of file system, or none), `unreadable`, `unallocated`
    /// (space outside any partition: not scanned; a deleted partition may lie there).
    public var state: State
    /// Why it was skipped or could not be read.
    public var detail: String?

    public enum State: String, Sendable, Hashable, Codable { case scanned, skipped, unreadable, unallocated }
}
