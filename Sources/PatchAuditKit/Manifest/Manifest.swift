/// A manifest: what one patch installs, for which product, and the builds known of its files.
///
/// The on-disk format (version 1) is JSON, described by `Manifests/manifest.schema.json`;
/// ``ManifestLoader`` reads and validates it. Every fact in a shipped manifest comes from a
/// Microsoft KB article named in ``references``.
public struct Manifest: Sendable, Hashable, Codable {
    /// The format version this build of patchaudit reads.
    public static let formatVersion = 1

    public var id: String
    public var title: String
    /// What the manifest is for, in a sentence or two.
    public var description: String?
    /// The `$schema` reference, kept so a rewritten manifest still points editors at the schema.
    public var schema: String?
    public var references: [String]
    public var patch: Patch
    public var product: Product
    public var files: [FileRule]

    public init(id: String, title: String, description: String? = nil, schema: String? = nil, references: [String],
                patch: Patch, product: Product, files: [FileRule]) {
        self.id = id
        self.title = title
        self.description = description
        self.schema = schema
        self.references = references
        self.patch = patch
        self.product = product
        self.files = files
    }

    /// The patch itself.
    public struct Patch: Sendable, Hashable, Codable {
        /// The installer's file name, e.g. `arch97en.exe`.
        public var file: String
        /// Languages (Windows LANGIDs) the patch fits; empty means any.
        public var languages: [UInt16]
        /// Whether the patch can be removed once installed (arch97en.exe cannot).
        public var uninstallable: Bool?
        public var note: String?

        public init(file: String, languages: [UInt16], uninstallable: Bool? = nil, note: String? = nil) {
            self.file = file
            self.languages = languages
            self.uninstallable = uninstallable
            self.note = note
        }
    }

    /// The product the patch is for, and how to recognise it and its neighbours.
    public struct Product: Sendable, Hashable, Codable {
        public var name: String
        /// Versions at or above `from` and below `below` belong to this product.
        public var family: VersionRange
        /// The known releases; a version in the family that is none of them is an unknown build.
        public var releases: [Release]
        /// Products that share the files but that this patch is not for.
        public var otherProducts: [OtherProduct]
    }

    /// A half-open version range.
    public struct VersionRange: Sendable, Hashable, Codable {
        public var from: FileVersion
        public var below: FileVersion
        public func contains(_ version: FileVersion) -> Bool { version >= from && version < below }
    }

    /// One release of the product, identified by the Outlook.exe / Outllib.dll version.
    public struct Release: Sendable, Hashable, Codable {
        public var version: FileVersion
        public var name: String
        public var shippedWith: String?
        /// When set, the patch does not install on this release: the text says what is needed first.
        public var prerequisiteMissing: String?
    }

    /// A neighbouring product (the patch is not-applicable to it).
    public struct OtherProduct: Sendable, Hashable, Codable {
        public var name: String
        public var family: VersionRange
    }

    /// Where a file lives in an installation.
    public enum Location: String, Sendable, Hashable, Codable {
        /// The Windows system folder (`\Windows\System`, `\Winnt\System32`).
        case system
        /// The Outlook program folder (beside Outlook.exe).
        case outlook
        /// Either: looked for in both.
        case any
    }

    /// What the manifest says about one file.
    public struct FileRule: Sendable, Hashable, Codable {
        /// Lower-case file name.
        public var name: String
        /// The name this file has on Windows NT, when it differs (`omipstnt.dll` for `omipst9.dll`).
        public var nameOnNT: String?
        public var location: Location
        /// Whether the patch installs (replaces) this file.
        public var installedByPatch: Bool
        /// The version the patch brings; files below it are `outdated`.
        public var patchedVersion: FileVersion?
        /// Whether this file's version names the product release (Outlook.exe, Outllib.dll).
        public var identifiesProduct: Bool
        /// When true, absence is not reported as `missing`.
        public var optional: Bool
        /// Known builds (version, size, label, where the fact comes from).
        public var builds: [Build]
        public var note: String?

        public init(name: String, nameOnNT: String? = nil, location: Location, installedByPatch: Bool = false,
                    patchedVersion: FileVersion? = nil, identifiesProduct: Bool = false, optional: Bool = false,
                    builds: [Build] = [], note: String? = nil) {
            self.name = name
            self.nameOnNT = nameOnNT
            self.location = location
            self.installedByPatch = installedByPatch
            self.patchedVersion = patchedVersion
            self.identifiesProduct = identifiesProduct
            self.optional = optional
            self.builds = builds
            self.note = note
        }
    }

    /// A known build of a file: a fact from a KB article (version and size), or a file recorded
    /// from an admin's own machine (`patchaudit manifest build`) or hash list (`import-hashdeep`),
    /// which also carries its digests.
    public struct Build: Sendable, Hashable, Codable {
        /// What a build is known to be.
        public enum Label: String, Sendable, Hashable, Codable, CaseIterable {
            /// Recorded from a machine the admin trusts: these bytes are intact.
            case knownGood = "known-good"
            /// A build as shipped before the patch: intact, but the patch replaces it.
            case original
            /// Bytes known to be damaged.
            case damaged
            /// The build the patch installs.
            case patched
        }
        /// The binary FileVersion; nil only for a build imported from a hash list, which has none.
        public var version: FileVersion?
        public var size: Int64?
        public var label: Label
        /// Lower-case hex digests of the file's bytes, when recorded.
        public var sha256: String?
        public var sha1: String?
        public var md5: String?
        /// Where the fact comes from (a KB article, or "recorded from TARGET: PATH").
        public var source: String?

        public init(version: FileVersion?, size: Int64? = nil, label: Label, sha256: String? = nil, sha1: String? = nil,
                    md5: String? = nil, source: String? = nil) {
            self.version = version
            self.size = size
            self.label = label
            self.sha256 = sha256
            self.sha1 = sha1
            self.md5 = md5
            self.source = source
        }

        /// Whether any digest is recorded.
        public var hasDigests: Bool { sha256 != nil || sha1 != nil || md5 != nil }

        /// Whether these are the same bytes as `digests`: every digest both sides have agrees,
        /// and they have at least one in common.
        public func matches(_ digests: FileDigests) -> Bool {
            sameBytes(sha256: digests.sha256, sha1: digests.sha1, md5: digests.md5) == true
        }

        /// Whether two builds record the same bytes: true when every digest both record agrees,
        /// false when one disagrees, nil when they record no digest in common.
        public func sameBytes(as other: Build) -> Bool? {
            sameBytes(sha256: other.sha256, sha1: other.sha1, md5: other.md5)
        }

        /// Whether two builds share some digest but disagree on another (one of them is wrong).
        public func contradicts(_ other: Build) -> Bool {
            let pairs = [(sha256, other.sha256), (sha1, other.sha1), (md5, other.md5)].filter { $0.0 != nil && $0.1 != nil }
            return pairs.contains { $0.0 == $0.1 } && pairs.contains { $0.0 != $0.1 }
        }

        func sameBytes(sha256: String?, sha1: String?, md5: String?) -> Bool? {
            var common = 0
            for (mine, theirs) in [(self.sha256, sha256), (self.sha1, sha1), (self.md5, md5)] {
                guard let mine, let theirs else { continue }
                if mine != theirs { return false }
                common += 1
            }
            return common > 0 ? true : nil
        }
    }

    /// The rule for a (lower-case) file name, matching `nameOnNT` too.
    public func rule(named name: String) -> FileRule? {
        files.first { $0.name == name || $0.nameOnNT == name }
    }

    /// Every file name this manifest looks for.
    public var fileNames: [String] {
        files.flatMap { [$0.name] + ($0.nameOnNT.map { [$0] } ?? []) }
    }
}
