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
    public var references: [String]
    public var patch: Patch
    public var product: Product
    public var files: [FileRule]

    /// The patch itself.
    public struct Patch: Sendable, Hashable, Codable {
        /// The installer's file name, e.g. `arch97en.exe`.
        public var file: String
        /// Languages (Windows LANGIDs) the patch fits; empty means any.
        public var languages: [UInt16]
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
    }

    /// A known build of a file.
    public struct Build: Sendable, Hashable, Codable {
        public enum Label: String, Sendable, Hashable, Codable, CaseIterable {
            case knownGood = "known-good", original, damaged, patched
        }
        public var version: FileVersion
        public var size: Int64?
        public var label: Label
        public var source: String?
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
