/// The bounds every scan keeps, whatever the input. Hitting one is reported by name
/// (``LimitHit``) and makes the target `review`, never `up-to-date`.
public struct ScanLimits: Sendable, Hashable, Codable {
    /// Largest file read, in bytes. A DLL of the Outlook 97 era is under 2 MiB.
    public var maxFileSize: Int64 = 64 << 20
    /// Directory entries looked at per target before the walk stops.
    public var maxEntries: Int = 20_000_000
    /// Directory nesting followed beneath the target's root (`--max-folder-depth`).
    public var maxFolderDepth: Int = 64
    /// Levels of archives inside the target archive that are opened (`--max-depth`): with 3,
    /// `a.zip!b.zip!c.zip!d.zip!EMSMDB32.DLL` (3 levels inside `a.zip`) is read, one more is not.
    /// 0 opens no nested archive.
    public var maxArchiveDepth: Int = 3
    /// Decompressed bytes per target, across all nesting levels (`--max-total-bytes`).
    public var maxTotalBytes: Int64 = 16 << 30
    /// Decompressed-to-compressed ratio above which a stream is treated as a bomb, once it
    /// has produced more than 16 MiB (deflate's own maximum is about 1032:1).
    public var maxCompressionRatio: Int64 = 1000
    /// Largest nested archive opened; it is held in memory while it is read (`--max-nested-size`).
    public var maxNestedArchiveSize: Int64 = 64 << 20
    /// Matched files read per target.
    public var maxMatchedFiles: Int = 10_000
    /// Entries named like archives looked into per target (their first bytes sniffed and, when
    /// they are archives, opened), all nesting levels together.
    public var maxNestedArchives: Int = 10_000
    /// Bytes of matched files read per archive target, all together: the files of interest are
    /// DLLs under 2 MiB, so a target that holds a gigabyte of them is hostile (overlapping
    /// entries that escape the zip check, many copies of one large file).
    public var maxMatchedBytes: Int64 = 1 << 30
    /// Skipped entries (links, FIFOs, devices) listed by path per target; the rest are counted.
    public var maxListedSkipped: Int = 100
    /// Not a bound but a choice of what is read, kept here so it travels with the limits to the
    /// workers: deleted entries of disk images whose names match are read and listed as stray
    /// copies marked deleted (`--include-deleted`). Without it they are not read at all.
    public var includeDeleted = false
    /// Not a bound either: the digests computed for each file read (``DigestSelection``), kept
    /// here so the choice travels to the workers. SHA-256 always; all three unless the caller
    /// narrows it (`scan` does, by `--digests`, its format and its manifests).
    public var digests = DigestSelection.all

    public init() {}

    enum CodingKeys: String, CodingKey {
        case maxFileSize, maxEntries, maxFolderDepth, maxArchiveDepth, maxTotalBytes, maxCompressionRatio,
             maxNestedArchiveSize, maxMatchedFiles, maxNestedArchives, maxMatchedBytes, maxListedSkipped, includeDeleted, digests
    }

    /// Reads limits written by ``encode(to:)``; a limit that is absent keeps its default.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = ScanLimits()
        maxFileSize = try container.decodeIfPresent(Int64.self, forKey: .maxFileSize) ?? defaults.maxFileSize
        maxEntries = try container.decodeIfPresent(Int.self, forKey: .maxEntries) ?? defaults.maxEntries
        maxFolderDepth = try container.decodeIfPresent(Int.self, forKey: .maxFolderDepth) ?? defaults.maxFolderDepth
        maxArchiveDepth = try container.decodeIfPresent(Int.self, forKey: .maxArchiveDepth) ?? defaults.maxArchiveDepth
        maxTotalBytes = try container.decodeIfPresent(Int64.self, forKey: .maxTotalBytes) ?? defaults.maxTotalBytes
        maxCompressionRatio = try container.decodeIfPresent(Int64.self, forKey: .maxCompressionRatio) ?? defaults.maxCompressionRatio
        maxNestedArchiveSize = try container.decodeIfPresent(Int64.self, forKey: .maxNestedArchiveSize) ?? defaults.maxNestedArchiveSize
        maxMatchedFiles = try container.decodeIfPresent(Int.self, forKey: .maxMatchedFiles) ?? defaults.maxMatchedFiles
        maxNestedArchives = try container.decodeIfPresent(Int.self, forKey: .maxNestedArchives) ?? defaults.maxNestedArchives
        maxMatchedBytes = try container.decodeIfPresent(Int64.self, forKey: .maxMatchedBytes) ?? defaults.maxMatchedBytes
        maxListedSkipped = try container.decodeIfPresent(Int.self, forKey: .maxListedSkipped) ?? defaults.maxListedSkipped
        includeDeleted = try container.decodeIfPresent(Bool.self, forKey: .includeDeleted) ?? defaults.includeDeleted
        digests = try container.decodeIfPresent(DigestSelection.self, forKey: .digests) ?? defaults.digests
    }
}

/// One limit that was reached while scanning a target.
public struct LimitHit: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The limit's name as the option that raises it: `max-file-size`, `max-entries`, ...
    public var limit: String
    /// The value in force.
    public var value: Int64
    /// Where and what: "stopped after 20000000 entries", "WINDOWS/SYSTEM/EMSMDB32.DLL is 80 MiB".
    public var detail: String

    public var description: String { "limit \(limit)=\(value) hit: \(detail)" }
}
