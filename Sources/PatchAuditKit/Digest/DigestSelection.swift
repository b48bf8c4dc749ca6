/// Which digests a scan computes for each file it reads: SHA-256 always (reports and recorded
/// builds are keyed on it), SHA-1 and MD5 only where something needs them, as hashdeep's `-c`.
///
/// MD5 and SHA-1 cost more CPU than inflating and SHA-256 together on a fleet of zips, so
/// `scan` computes them only when asked (`--digests`), when its output format shows them
/// (`hashdeep` lists carry MD5), or when a manifest records a build by them alone
/// (``needed(by:)``). `manifest build` and `inspect` keep all three.
public struct DigestSelection: OptionSet, Sendable, Hashable, Codable, CustomStringConvertible {
    public let rawValue: UInt8

    public init(rawValue: UInt8) {
        self.rawValue = rawValue | 1
    }

    public static let sha256 = DigestSelection(rawValue: 1)
    public static let sha1 = DigestSelection(rawValue: 2)
    public static let md5 = DigestSelection(rawValue: 4)
    /// SHA-256, SHA-1 and MD5: what `manifest build` records and `inspect` shows.
    public static let all: DigestSelection = [.sha256, .sha1, .md5]

    /// The names `--digests` takes, in the order they are listed.
    static let names: [(String, DigestSelection)] = [("sha256", .sha256), ("sha1", .sha1), ("md5", .md5)]

    /// Reads a comma-separated list of `sha256`, `sha1`, `md5` (any case, spaces around names
    /// ignored); SHA-256 is included whether listed or not.
    /// - Returns: nil when a name is none of these, or the list is empty.
    public init?(list: String) {
        var selection = DigestSelection.sha256
        let parts = list.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingASCIISpaces.lowercased() }
        guard !parts.isEmpty else { return nil }
        for part in parts {
            guard let (_, digest) = Self.names.first(where: { $0.0 == part }) else { return nil }
            selection.insert(digest)
        }
        self = selection
    }

    /// The digests the recorded builds of `manifests` need to be matched: SHA-1 (MD5) when
    /// some build records SHA-1 (MD5) but no SHA-256. A build that records SHA-256 is matched
    /// by it (``Manifest/Build/matches(_:)`` compares the digests both sides have).
    public static func needed(by manifests: [Manifest]) -> DigestSelection {
        var selection = DigestSelection.sha256
        for build in manifests.lazy.flatMap(\.files).flatMap(\.builds) where build.sha256 == nil {
            if build.sha1 != nil { selection.insert(.sha1) }
            if build.md5 != nil { selection.insert(.md5) }
        }
        return selection
    }

    /// The digests `scan` computes: SHA-256, those `requested` (`--digests`), those the output
    /// `format` shows (hashdeep lists: MD5), and those the manifests' recorded builds need.
    public static func forScan(requested: DigestSelection, format: ReportFormat, manifests: [Manifest]) -> DigestSelection {
        var selection = requested.union(needed(by: manifests))
        if format == .hashdeep { selection.insert(.md5) }
        return selection
    }

    /// `sha256,sha1,md5` (the ones selected, in that order).
    public var description: String {
        Self.names.filter { contains($0.1) }.map(\.0).joined(separator: ",")
    }

    // Encoded as the list of names (`["md5","sha256"]`), readable in a worker's setup.
    public init(from decoder: any Decoder) throws {
        let names = try decoder.singleValueContainer().decode([String].self)
        guard let selection = DigestSelection(list: names.joined(separator: ",")) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                debugDescription: "digests must be among sha256, sha1, md5: \(names)"))
        }
        self = selection
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Self.names.filter { contains($0.1) }.map(\.0))
    }
}

private extension Substring {
    var trimmingASCIISpaces: Substring {
        var text = self
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return text
    }
}
