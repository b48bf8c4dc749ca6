/// The one report model every output format renders (table, JSON, NDJSON).
///
/// Field names are a contract with fleet scripts (domain.md, "The interface that scripts rely on"):
/// a target has `target` and `verdict`; evaluated files have `name`, `path`, `status`, `version`,
/// `size`, `sha256`. Everything is sorted; nothing depends on time or the order of directory entries.
public struct ScanReport: Sendable, Hashable, Codable {
    public var tool: ToolInfo
    public var manifests: [ManifestUse]
    public var targets: [TargetReport]
    /// The worst target verdict.
    public var verdict: Verdict

    public init(manifests: [ManifestUse], targets: [TargetReport]) {
        self.tool = ToolInfo()
        self.manifests = manifests
        self.targets = targets
        self.verdict = targets.map(\.verdict).max() ?? .notApplicable
    }
}

/// Name and version of the program that wrote a report.
public struct ToolInfo: Sendable, Hashable, Codable {
    public var name = "patchaudit"
    public var version = PatchAudit.version
    public init() {}
}

/// A manifest a scan used, so a report says what it was judged against.
public struct ManifestUse: Sendable, Hashable, Codable {
    public var id: String
    public var title: String
    public var path: String
    public var sha256: String
    /// Key fingerprint of the trusted key whose signature was verified, or "unsigned".
    public var signer: String
    /// `verified`, `unsigned` (no .sig file), or `not-verified` (a .sig file, but no --trusted-key to check it).
    public var signature: String

    public init(_ loaded: LoadedManifest) {
        id = loaded.manifest.id
        title = loaded.manifest.title
        path = loaded.path
        sha256 = loaded.sha256
        signer = loaded.signature.signer
        signature = loaded.signature.state
    }
}

/// What one target (a directory, later an archive) gave.
public struct TargetReport: Sendable, Hashable, Codable {
    /// What kind of thing the target turned out to be.
    public enum Kind: String, Sendable, Hashable, Codable { case directory, archive, image, missing, unsupported }

    /// The target as given on the command line.
    public var target: String
    public var kind: Kind
    public var verdict: Verdict
    /// Target-level reasons: errors, limits hit, folders that could not be read.
    public var reasons: [Reason]
    public var installations: [InstallationReport]
    /// Matched files that belong to no installation (backups, setup folders); never part of a verdict.
    public var strayFiles: [FileFinding]
    /// Links, FIFOs, devices and unreadable folders seen (listed up to a limit) and how many in all.
    public var skipped: [SkippedEntry]
    public var skippedCount: Int
    public var limitsHit: [LimitHit]
    public var stats: Stats
    /// For an archive: the format libarchive detected ("ZIP 2.0 (deflation)", "GNU tar format");
    /// for a disk image: its container and partition table ("E01, MBR").
    public var format: String?
    /// For a disk image: each volume (partition), whether it was read, and why not.
    public var volumes: [VolumeFact]?
    /// What the admin does about this target (``WhatToDo/target(_:)``); nil only in reports of
    /// versions before it was written (see ``advice``).
    public var whatToDo: String?

    /// ``whatToDo``, or the same advice computed now for a report that lacks it.
    public var advice: String { whatToDo ?? WhatToDo.target(self) }

    /// Counts of what the walk looked at.
    public struct Stats: Sendable, Hashable, Codable {
        public var entries: Int
        public var directories: Int
        public var matchedFiles: Int
        public init(entries: Int = 0, directories: Int = 0, matchedFiles: Int = 0) {
            self.entries = entries
            self.directories = directories
            self.matchedFiles = matchedFiles
        }
    }

    /// A target that could not be read at all.
    public static func failed(_ target: String, kind: Kind, reason: Reason) -> TargetReport {
        TargetReport(target: target, kind: kind, verdict: .error, reasons: [reason], installations: [],
                     strayFiles: [], skipped: [], skippedCount: 0, limitsHit: [], stats: Stats(), format: nil,
                     whatToDo: WhatToDo.errorAdvice)
    }
}

/// One installation's results, one evaluation per manifest.
public struct InstallationReport: Sendable, Hashable, Codable {
    /// The system folder, else the Outlook folder ("." for the target's root).
    public var id: String
    public var windowsFolder: String?
    public var systemFolder: String?
    public var outlookFolders: [String]
    /// The worst of the evaluations' verdicts.
    public var verdict: Verdict
    public var evaluations: [Evaluation]
}

/// One installation judged against one manifest.
public struct Evaluation: Sendable, Hashable, Codable {
    /// The manifest's id (`outlook97-archive-patch`).
    public var manifest: String
    public var verdict: Verdict
    public var product: ProductFinding?
    public var reasons: [Reason]
    public var files: [FileFinding]
    /// What the admin does about this verdict (``WhatToDo``); nil only in reports of
    /// versions before it was written (readers then use ``WhatToDo/evaluation(verdict:reasons:files:manifest:)``).
    public var whatToDo: String?
}

/// What the Outlook files say the installed product is.
public struct ProductFinding: Sendable, Hashable, Codable {
    /// Product and release name (`Outlook 97 8.02`), or nil when the version is unknown.
    public var name: String?
    /// The version that identified it ("8.2.0.4212").
    public var version: String
    /// The file that told (`Program Files/Microsoft Office/Office/OUTLOOK.EXE`).
    public var source: String
    /// The language of that file (`0409`), when it has a translation.
    public var language: String?
}

/// One evaluated file.
public struct FileFinding: Sendable, Hashable, Codable {
    /// Lower-case file name.
    public var name: String
    /// Path inside the target; for a missing file, where it was expected.
    public var path: String?
    public var status: FileStatus
    /// Binary FileVersion (`VS_FIXEDFILEINFO`), "a.b.c.d", or nil.
    public var version: String?
    /// The StringFileInfo FileVersion text (may disagree with `version`; decisions use `version`).
    public var versionString: String?
    public var productVersion: String?
    /// The version the patch brings, when it installs this file.
    public var expected: String?
    public var size: Int64?
    public var sha256: String?
    public var sha1: String?
    public var md5: String?
    /// VarFileInfo translations, "040904e4" style.
    public var translations: [String]?
    public var peChecksum: PEChecksum?
    /// Why the status is what it is, for people.
    public var reason: String?
    /// What the manifest's recorded builds (digests from a baseline) say about these bytes;
    /// nil when the manifest records no digests for this file.
    public var baseline: BaselineEvidence?
    /// Other observations (a version string that disagrees, a size unlike the recorded build).
    public var notes: [String]
    /// A deleted entry of a disk image (listed with `--include-deleted`, as a stray copy only).
    public var deleted = false

    /// A finding for a file that was read (or failed to be).
    public init(item: InventoryItem, status: FileStatus, expected: FileVersion?, reason: String?, notes: [String] = []) {
        name = item.name
        path = item.path.display
        self.status = status
        version = item.fileVersion?.description
        versionString = item.fileVersionString
        productVersion = item.image?.version?.fixed?.productVersion.description
        self.expected = expected?.description
        size = item.size
        sha256 = item.digests?.sha256
        sha1 = item.digests?.sha1
        md5 = item.digests?.md5
        translations = item.image?.version.map { $0.translations.map(\.hex) }
        peChecksum = item.image?.checksum
        self.reason = reason
        self.notes = notes
        // Several RT_VERSION entries: the chosen one is reported above, the others stay visible.
        for other in item.image?.otherVersions ?? [] {
            self.notes.append("another RT_VERSION entry, language \(hex4(other.resourceLanguage)), says \(other.fixed?.fileVersion.description ?? "no version"); the reported one was chosen by language (neutral, then 0409, then lowest)")
        }
    }

    /// A finding for a file that is not there.
    public init(missing name: String, expectedAt path: String?, expected: FileVersion?, reason: String) {
        self.name = name
        self.path = path
        status = .missing
        self.expected = expected?.description
        self.reason = reason
        notes = []
    }
}

extension FileFinding {
    enum CodingKeys: String, CodingKey {
        case name, path, status, version, versionString, productVersion, expected, size, sha256, sha1, md5,
             translations, peChecksum, reason, baseline, notes, deleted
    }

    /// Writes every contract field, with `null` where there is no value, so scripts can rely on the keys.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(path, forKey: .path)
        try container.encode(status, forKey: .status)
        try container.encode(version, forKey: .version)
        try container.encodeIfPresent(versionString, forKey: .versionString)
        try container.encodeIfPresent(productVersion, forKey: .productVersion)
        try container.encodeIfPresent(expected, forKey: .expected)
        try container.encode(size, forKey: .size)
        try container.encode(sha256, forKey: .sha256)
        try container.encodeIfPresent(sha1, forKey: .sha1)
        try container.encodeIfPresent(md5, forKey: .md5)
        try container.encodeIfPresent(translations, forKey: .translations)
        try container.encodeIfPresent(peChecksum, forKey: .peChecksum)
        try container.encodeIfPresent(reason, forKey: .reason)
        try container.encodeIfPresent(baseline, forKey: .baseline)
        if !notes.isEmpty { try container.encode(notes, forKey: .notes) }
        if deleted { try container.encode(true, forKey: .deleted) }
    }

    /// Reads what ``encode(to:)`` writes (a worker's report travels to the supervisor as JSON):
    /// absent `notes` are none.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        path = try container.decodeIfPresent(String.self, forKey: .path)
        status = try container.decode(FileStatus.self, forKey: .status)
        version = try container.decodeIfPresent(String.self, forKey: .version)
        versionString = try container.decodeIfPresent(String.self, forKey: .versionString)
        productVersion = try container.decodeIfPresent(String.self, forKey: .productVersion)
        expected = try container.decodeIfPresent(String.self, forKey: .expected)
        size = try container.decodeIfPresent(Int64.self, forKey: .size)
        sha256 = try container.decodeIfPresent(String.self, forKey: .sha256)
        sha1 = try container.decodeIfPresent(String.self, forKey: .sha1)
        md5 = try container.decodeIfPresent(String.self, forKey: .md5)
        translations = try container.decodeIfPresent([String].self, forKey: .translations)
        peChecksum = try container.decodeIfPresent(PEChecksum.self, forKey: .peChecksum)
        reason = try container.decodeIfPresent(String.self, forKey: .reason)
        baseline = try container.decodeIfPresent(BaselineEvidence.self, forKey: .baseline)
        notes = try container.decodeIfPresent([String].self, forKey: .notes) ?? []
        deleted = try container.decodeIfPresent(Bool.self, forKey: .deleted) ?? false
    }
}

extension InstallationReport {
    /// Writes `windowsFolder` and `systemFolder` as null when the copy lacks them.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(windowsFolder, forKey: .windowsFolder)
        try container.encode(systemFolder, forKey: .systemFolder)
        try container.encode(outlookFolders, forKey: .outlookFolders)
        try container.encode(verdict, forKey: .verdict)
        try container.encode(evaluations, forKey: .evaluations)
    }
}
