#if canImport(Glibc)
import Glibc
#endif

/// What one file says about itself, as `sigcheck` shows it (`patchaudit inspect`).
public struct FileInspection: Sendable, Hashable, Codable {
    public var path: String
    public var size: Int64?
    public var sha256: String?
    public var sha1: String?
    public var md5: String?
    /// Binary file version (`VS_FIXEDFILEINFO.dwFileVersionMS/LS`), "a.b.c.d", or nil.
    public var fileVersion: String?
    /// Binary product version (`dwProductVersionMS/LS`), or nil.
    public var productVersion: String?
    /// VarFileInfo\Translation, each "040904e4" (language then code page).
    public var translations: [String]
    /// StringFileInfo tables by key ("040904e4"), each key to value (first value wins on duplicates).
    public var strings: [String: [String: String]]
    public var peChecksum: PEChecksum?
    /// `pe32` or `pe32Plus`.
    public var format: String?
    /// Language id of the RT_VERSION entry shown ("0409").
    public var resourceLanguage: String?
    /// The other RT_VERSION entries (several languages), by language and file version.
    public var otherVersions: [OtherVersion]
    /// Truncation, checksum mismatch and other integrity findings.
    public var integrityProblems: [String]
    public var versionProblems: [String]
    /// Why the file could not be read or is not a PE image; nil when it was.
    public var error: String?

    /// An additional RT_VERSION entry.
    public struct OtherVersion: Sendable, Hashable, Codable {
        public var resourceLanguage: String
        public var fileVersion: String?
        public var translations: [String]
    }

    /// Reads and inspects the file at `path` (a link is not followed, a FIFO is not opened).
    public static func inspect(path: String, maxSize: Int64 = ScanLimits().maxFileSize) -> FileInspection {
        var inspection = FileInspection(path: path, translations: [], strings: [:], otherVersions: [],
                                        integrityProblems: [], versionProblems: [])
        switch RegularFileReader.read(name: path, displayPath: path, maxSize: maxSize, followLinks: true) {
        case .failure(let problem):
            inspection.error = problem.detail
        case .success(let file):
            inspection.size = file.size
            inspection.sha256 = file.digests.sha256
            inspection.sha1 = file.digests.sha1
            inspection.md5 = file.digests.md5
            do {
                inspection.fill(from: try PEReader.read(file.bytes))
            } catch {
                inspection.error = "not a PE image: \(error)"
            }
        }
        return inspection
    }

    mutating func fill(from image: PEImageInfo) {
        peChecksum = image.checksum
        format = image.format.rawValue
        integrityProblems = image.integrityProblems.map(\.description)
        versionProblems = image.versionProblems
        if let version = image.version {
            fileVersion = version.fixed?.fileVersion.description
            productVersion = version.fixed?.productVersion.description
            translations = version.translations.map(\.hex)
            resourceLanguage = hex4(version.resourceLanguage)
            for table in version.stringTables {
                var entries = strings[table.key] ?? [:]
                for entry in table.entries where entries[entry.key] == nil { entries[entry.key] = entry.value }
                strings[table.key] = entries
            }
        }
        otherVersions = image.otherVersions.map {
            OtherVersion(resourceLanguage: hex4($0.resourceLanguage), fileVersion: $0.fixed?.fileVersion.description,
                         translations: $0.translations.map(\.hex))
        }
    }

    /// Writes `fileVersion` and `productVersion` as null when absent (a contract with scripts).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(path, forKey: .path)
        try container.encode(size, forKey: .size)
        try container.encode(sha256, forKey: .sha256)
        try container.encode(sha1, forKey: .sha1)
        try container.encode(md5, forKey: .md5)
        try container.encode(fileVersion, forKey: .fileVersion)
        try container.encode(productVersion, forKey: .productVersion)
        try container.encode(translations, forKey: .translations)
        try container.encode(strings, forKey: .strings)
        try container.encode(peChecksum, forKey: .peChecksum)
        try container.encodeIfPresent(format, forKey: .format)
        try container.encodeIfPresent(resourceLanguage, forKey: .resourceLanguage)
        if !otherVersions.isEmpty { try container.encode(otherVersions, forKey: .otherVersions) }
        try container.encode(integrityProblems, forKey: .integrityProblems)
        if !versionProblems.isEmpty { try container.encode(versionProblems, forKey: .versionProblems) }
        try container.encodeIfPresent(error, forKey: .error)
    }
}

/// The document `inspect --format json` prints.
public struct InspectionReport: Sendable, Hashable, Codable {
    public var files: [FileInspection]
    public init(files: [FileInspection]) { self.files = files }
}
