/// The meaning checks of a manifest whose structure is valid: what JSON Schema cannot say.
///
/// Errors (the manifest is refused by `scan` and `lint` exits 78):
/// - the same bytes (a digest in common) recorded under two labels, with two versions or two sizes;
/// - two builds that share one digest but disagree on another (one of them is mistyped);
/// - a build labelled `original` at or above the patch's version, or one labelled `patched`
///   below it: the patched version would be lower than an original one.
///
/// Warnings (the manifest is used):
/// - the same build listed twice;
/// - a build with only MD5 or SHA-1 (both can be forged; record SHA-256);
/// - the same bytes recorded for two different files;
/// - a `patched` build for a file the patch does not install;
/// - a build without a version (imported from a hash list): a file that matches none of its
///   digests cannot be called damaged, only reported;
/// - a baseline (a manifest with digests) that records none for a file the patch installs:
///   copies of that file are judged by version alone.
public enum ManifestLint {
    /// Other files a digest is compared with, at most: one set of bytes recorded under more
    /// names than this is warned about for the first ones only (the lint stays linear).
    static let maxRulesPerDigest = 16

    public static func problems(in manifest: Manifest, file: String) -> [ManifestProblem] {
        var problems: [ManifestProblem] = []
        func add(_ severity: ManifestProblem.Severity, _ path: String, _ message: String) {
            problems.append(ManifestProblem(severity, file: file, jsonPath: path, message: message))
        }
        for index in uncoveredFiles(in: manifest) {
            add(.warning, "$.files[\(index)]", "records digests for other files but none for \(manifest.files[index].name), which the patch installs: an altered copy of it would be judged by its version alone; record it from a known-good copy (patchaudit manifest build --into)")
        }
        // Builds of earlier rules by digest (first build per rule, at most `maxRulesPerDigest`
        // rules each): one lookup per build, never a loop over every earlier rule.
        var acrossRules: [String: [(rule: Int, build: Int)]] = [:]
        for (ruleIndex, rule) in manifest.files.enumerated() {
            let rulePath = "$.files[\(ruleIndex)]"
            var seen = DigestIndex()
            for (index, build) in rule.builds.enumerated() {
                let path = "\(rulePath).builds[\(index)]"
                if let patched = rule.patchedVersion, let version = build.version {
                    if build.label == .original && version >= patched {
                        add(.error, "\(path).version", "an original build \(version) is not older than the patch's \(patched) (\(rulePath).patchedVersion): the patched version would be lower than an original one; correct patchedVersion, or label this build \"known-good\" or \"patched\"")
                    }
                    if build.label == .patched && version < patched {
                        add(.error, "\(path).version", "a build labelled \"patched\" is \(version), below the patch's \(patched); label it \"original\" or \"known-good\", or correct patchedVersion")
                    }
                }
                if build.label == .patched && !rule.installedByPatch {
                    add(.warning, "\(path).label", "\(rule.name) is not installed by the patch, so no build of it is \"patched\"; write \"known-good\"")
                }
                if build.hasDigests && build.sha256 == nil {
                    add(.warning, path, "records only \([build.sha1 == nil ? nil : "SHA-1", build.md5 == nil ? nil : "MD5"].compactMap { $0 }.joined(separator: " and ")), which can be forged; add \"sha256\" (sha256sum prints it)")
                }
                if build.hasDigests && build.version == nil {
                    add(.warning, path, "has no version (imported from a hash list?): a file matching none of its digests cannot be called damaged; record the build with `patchaudit manifest build` to add its version")
                }
                // Earlier builds sharing a digest, found through an index (a manifest may hold
                // thousands of builds; pairwise comparison would be quadratic).
                for earlierIndex in seen.earlier(sharingDigestWith: build) {
                    let earlier = rule.builds[earlierIndex]
                    let earlierPath = "\(rulePath).builds[\(earlierIndex)]"
                    if build.contradicts(earlier) {
                        add(.error, path, "shares a digest with \(earlierPath) but another of its digests differs; one of the two is mistyped: copy the digests again from the file")
                        continue
                    }
                    guard build.sameBytes(as: earlier) == true else { continue }
                    if build.label != earlier.label {
                        add(.error, "\(path).label", "the same bytes are recorded as \"\(earlier.label.rawValue)\" at \(earlierPath) and as \"\(build.label.rawValue)\" here; one file cannot be both: keep the entry that is right and delete the other")
                    } else if let version = build.version, let earlierVersion = earlier.version, version != earlierVersion {
                        add(.error, "\(path).version", "the same bytes are recorded as version \(earlierVersion) at \(earlierPath) and as \(version) here; one build has one version: run `patchaudit inspect` on the file and keep the version it reports")
                    } else if let size = build.size, let earlierSize = earlier.size, size != earlierSize {
                        add(.error, "\(path).size", "the same bytes are recorded with \(earlierSize) bytes at \(earlierPath) and \(size) bytes here; a digest fixes the size: correct the wrong one")
                    } else {
                        add(.warning, path, "repeats \(earlierPath) (same bytes, same label); delete one of them")
                    }
                    break
                }
                seen.add(build, at: index)
            }
            // The same bytes recorded for another file: a warning, once per other file.
            var recorded: [String: [(rule: Int, build: Int)]] = [:]
            for (index, build) in rule.builds.enumerated() where build.hasDigests {
                let keys = DigestIndex.keys(of: build)
                var warned = Set<Int>()
                for key in keys {
                    for other in acrossRules[key] ?? [] where !warned.contains(other.rule)
                        && manifest.files[other.rule].builds[other.build].sameBytes(as: build) == true {
                        warned.insert(other.rule)
                        add(.warning, "\(rulePath).builds[\(index)]", "the same bytes are also recorded for \(manifest.files[other.rule].name) at $.files[\(other.rule)].builds[\(other.build)]; check the file was recorded under its own name")
                    }
                }
                for key in keys where !(recorded[key]?.contains { $0.rule == ruleIndex } ?? false) {
                    recorded[key, default: []].append((ruleIndex, index))
                }
            }
            for (key, places) in recorded where (acrossRules[key]?.count ?? 0) < Self.maxRulesPerDigest {
                acrossRules[key, default: []].append(contentsOf: places.prefix(Self.maxRulesPerDigest - (acrossRules[key]?.count ?? 0)))
            }
        }
        return problems
    }
}

extension ManifestLint {
    /// In a baseline (a manifest recording digests), the indices of the file rules the patch
    /// installs that have no digests: copies of those are judged by version alone.
    public static func uncoveredFiles(in manifest: Manifest) -> [Int] {
        guard manifest.files.contains(where: { $0.builds.contains(where: \.hasDigests) }) else { return [] }
        return manifest.files.indices.filter { manifest.files[$0].installedByPatch && !manifest.files[$0].optional && !manifest.files[$0].builds.contains(where: \.hasDigests) }
    }
}

/// Builds indexed by each digest they record, to find the ones that share a digest quickly.
struct DigestIndex {
    private var bySHA256: [String: Int] = [:]
    private var bySHA1: [String: Int] = [:]
    private var byMD5: [String: Int] = [:]

    /// Indices of earlier builds that share at least one digest with `build`, lowest first.
    func earlier(sharingDigestWith build: Manifest.Build) -> [Int] {
        Set([build.sha256.flatMap { bySHA256[$0] }, build.sha1.flatMap { bySHA1[$0] }, build.md5.flatMap { byMD5[$0] }]
            .compactMap { $0 }).sorted()
    }

    /// The build's digests as lookup keys ("sha256:...", "sha1:...", "md5:...").
    static func keys(of build: Manifest.Build) -> [String] {
        [build.sha256.map { "sha256:" + $0 }, build.sha1.map { "sha1:" + $0 }, build.md5.map { "md5:" + $0 }].compactMap { $0 }
    }

    /// Records `build` at `index`, keeping the first index seen for each digest.
    mutating func add(_ build: Manifest.Build, at index: Int) {
        if let digest = build.sha256, bySHA256[digest] == nil { bySHA256[digest] = index }
        if let digest = build.sha1, bySHA1[digest] == nil { bySHA1[digest] = index }
        if let digest = build.md5, byMD5[digest] == nil { byMD5[digest] = index }
    }
}
