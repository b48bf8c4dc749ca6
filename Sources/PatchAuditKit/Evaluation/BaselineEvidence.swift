/// What the builds a manifest records (with digests) say about one file's bytes.
public struct BaselineEvidence: Sendable, Hashable, Codable {
    public enum Result: String, Sendable, Hashable, Codable {
        /// The bytes are a recorded build (see `label`).
        case matched
        /// The file claims a version the manifest records intact builds of (known-good, original or
        /// patched), and its bytes are none of them: altered or damaged after it was built,
        /// whatever its PE checksum says.
        case mismatch
        /// The manifest records builds of this file, but none of this version and none with these
        /// bytes: a build the baseline never saw. Where the version rules would pass it, the
        /// file is `review` (an altered file can claim a new version too).
        case unrecorded
    }

    public var result: Result
    /// The matched build's label.
    public var label: Manifest.Build.Label?
    /// The matched build's version, when recorded.
    public var version: String?
    /// Where the matched build was recorded.
    public var source: String?
    /// For a mismatch: the SHA-256 of each intact build recorded for the claimed version.
    public var expectedSHA256: [String]?
}

extension Evaluator {
    /// Compares a file's digests with the builds its rule records. Nil when the file was not
    /// read or the rule records no digests (then the version rules of domain.md alone decide).
    func baselineEvidence(for item: InventoryItem, rule: Manifest.FileRule) -> (BaselineEvidence, [Manifest.Build])? {
        guard let digests = item.digests else { return nil }
        let recorded = rule.builds.filter(\.hasDigests)
        guard !recorded.isEmpty else { return nil }
        // Prefer a build that also records SHA-256 (MD5 or SHA-1 alone can be forged).
        let matches = recorded.filter { $0.matches(digests) }.sorted { ($0.sha256 != nil ? 0 : 1) < ($1.sha256 != nil ? 0 : 1) }
        if let build = matches.first {
            return (BaselineEvidence(result: .matched, label: build.label, version: build.version?.description,
                                     source: build.source), [build])
        }
        if let version = item.fileVersion {
            // Known-good, original and patched all record intact bytes of that version.
            let trusted = recorded.filter { $0.version == version && $0.label != .damaged }
            if !trusted.isEmpty {
                return (BaselineEvidence(result: .mismatch, expectedSHA256: trusted.compactMap(\.sha256)), trusted)
            }
        }
        return (BaselineEvidence(result: .unrecorded), [])
    }
}
