/// What ``PEReader`` learned from one PE image: headers, checksum, integrity and version resource.
public struct PEImageInfo: Sendable, Hashable, Codable {
    /// PE32 or PE32+, from `IMAGE_OPTIONAL_HEADER.Magic`.
    public var format: PEFormat
    /// `IMAGE_FILE_HEADER.Machine` (0x14c i386, 0x8664 AMD64, 0x184 Alpha...).
    public var machine: UInt16
    /// `IMAGE_FILE_HEADER.Characteristics` (`IMAGE_FILE_*` flags).
    public var characteristics: UInt16
    /// Whether `IMAGE_FILE_DLL` (0x2000) is set in ``characteristics``.
    public var isDLL: Bool
    /// Stored and computed image checksum.
    public var checksum: PEChecksum
    /// Non-fatal damage found: truncation, checksum mismatch, malformed resource tree. Empty = intact.
    public var integrityProblems: [PEIntegrityProblem]
    /// The chosen `RT_VERSION` resource (see ``PEReader/read(_:)`` for the rule); nil when the
    /// image has none, or none could be read (then ``versionProblems`` says why).
    public var version: VersionInfo?
    /// The other `RT_VERSION` entries (other languages or ids), in the order of the choice rule.
    public var otherVersions: [VersionInfo]
    /// Why a present `RT_VERSION` resource could not be (fully) read, one sentence each.
    public var versionProblems: [String]
    /// `IMAGE_FILE_HEADER.TimeDateStamp`: link time, seconds since 1970 UTC (0 or a hash in
    /// reproducible builds).
    public var timeDateStamp: UInt32
    /// The section table, in file order.
    public var sections: [PESection]
    /// Size of the file image in bytes.
    public var fileSize: Int

    /// Creates an image description; ``PEReader/read(_:)`` is the usual source.
    public init(format: PEFormat, machine: UInt16, characteristics: UInt16, isDLL: Bool,
                checksum: PEChecksum, integrityProblems: [PEIntegrityProblem] = [],
                version: VersionInfo? = nil, otherVersions: [VersionInfo] = [],
                versionProblems: [String] = [], timeDateStamp: UInt32 = 0,
                sections: [PESection] = [], fileSize: Int = 0) {
        self.format = format
        self.machine = machine
        self.characteristics = characteristics
        self.isDLL = isDLL
        self.checksum = checksum
        self.integrityProblems = integrityProblems
        self.version = version
        self.otherVersions = otherVersions
        self.versionProblems = versionProblems
        self.timeDateStamp = timeDateStamp
        self.sections = sections
        self.fileSize = fileSize
    }

    /// Whether no integrity problem was found (no truncation, checksum mismatch or malformed resource).
    public var isIntact: Bool { integrityProblems.isEmpty }
}
