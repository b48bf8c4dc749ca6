/// Turns files read from a known-good machine (or rows of a hash list) into builds of a
/// manifest: `patchaudit manifest build` and `patchaudit manifest import-hashdeep`.
///
/// Rules:
/// - Only files of an installation are recorded; a stray copy (backup, setup folder) is skipped,
///   since nothing says it is what the machine runs.
/// - A file that cannot be read, is not an intact PE image, or has no version is never recorded
///   as `known-good` or `original`: a baseline must not vouch for damage. With the label
///   `damaged`, any readable file is recorded.
/// - The same bytes twice (two installations, or a second run) are one entry; an entry that
///   lacked a version or size gets it from the new record.
/// - The same bytes under another label, or digests that contradict a recorded build, refuse
///   the whole change: the result must pass ``ManifestLint``.
public enum ManifestBaseline {
    /// A build to record for the file rule named `ruleName`.
    public struct Candidate: Sendable, Hashable {
        public var ruleName: String
        public var build: Manifest.Build
        /// Where it was found, for messages.
        public var path: String
    }

    /// A file that was not recorded, and why.
    public struct Skipped: Sendable, Hashable, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "\(path): \(reason)" }
    }

    /// What recording changed.
    public struct Outcome: Sendable {
        public var manifest: Manifest
        /// Builds added.
        public var added: [Candidate]
        /// Candidates that were already recorded (the same bytes under the same label).
        public var alreadyRecorded: [Candidate]
    }

    /// The builds to record from a scanned target's inventory.
    /// - Parameters:
    ///   - items: the matched files, as read.
    ///   - stray: paths of files that lie in no installation (from the target's report).
    ///   - label: what the admin says these files are.
    ///   - target: the target as given, for each build's `source`.
    public static func candidates(items: [InventoryItem], stray: Set<String>, manifest: Manifest,
                                  label: Manifest.Build.Label, target: String) -> (candidates: [Candidate], skipped: [Skipped]) {
        var candidates: [Candidate] = []
        var skipped: [Skipped] = []
        for item in items {
            let path = item.path.display
            guard let rule = manifest.rule(named: item.name) else { continue }
            if stray.contains(path) {
                skipped.append(Skipped(path: path, reason: "lies in no installation (a backup or setup copy?), so nothing says it is what the machine runs; not recorded"))
                continue
            }
            guard let digests = item.digests, let size = item.size else {
                skipped.append(Skipped(path: path, reason: "could not be read (\(item.readProblem?.detail ?? "no bytes")); not recorded"))
                continue
            }
            if label != .damaged {
                let damage = item.damage
                if !damage.isEmpty {
                    skipped.append(Skipped(path: path, reason: "the PE checks found \(damage.joined(separator: "; ")); a \(label.rawValue) baseline must not vouch for it: check the copy, or record it with --label damaged"))
                    continue
                }
                if item.fileVersion == nil {
                    skipped.append(Skipped(path: path, reason: "has no readable version resource; a \(label.rawValue) build needs its version: check the copy, or record it with --label damaged"))
                    continue
                }
            }
            let build = Manifest.Build(version: item.fileVersion, size: size, label: label, sha256: digests.sha256,
                                       sha1: digests.sha1, md5: digests.md5, source: "recorded from \(target): \(path)")
            candidates.append(Candidate(ruleName: rule.name, build: build, path: path))
        }
        return (candidates, skipped)
    }

    /// The builds to record from a hashdeep list's rows: each row whose file name (the part
    /// after the last `/` or `\`, in any case) is a file the manifest has a rule for.
    public static func candidates(hashdeep list: HashdeepList, manifest: Manifest, label: Manifest.Build.Label,
                                  listName: String) -> [Candidate] {
        list.rows.compactMap { row in
            guard let rule = manifest.rule(named: row.baseName) else { return nil }
            let build = Manifest.Build(version: nil, size: row.size, label: label, sha256: row.sha256, sha1: row.sha1,
                                       md5: row.md5, source: "hashdeep list \(listName), line \(row.line): \(row.fileName)")
            return Candidate(ruleName: rule.name, build: build, path: row.fileName)
        }
    }

    /// Adds the candidates to `manifest`.
    /// - Throws: ``ManifestError`` naming the conflicting entry when a candidate's bytes are
    ///   recorded under another label or its digests contradict a recorded build, or when the
    ///   result would not pass lint.
    public static func record(_ candidates: [Candidate], into manifest: Manifest, file: String) throws(ManifestError) -> Outcome {
        var manifest = manifest
        var added: [Candidate] = []
        var already: [Candidate] = []
        // Builds indexed by digest per rule: thousands of rows against thousands of builds
        // must not be compared pairwise.
        var indices: [Int: DigestIndex] = [:]
        for candidate in candidates {
            guard let ruleIndex = manifest.files.firstIndex(where: { $0.name == candidate.ruleName }) else { continue }
            if indices[ruleIndex] == nil {
                var index = DigestIndex()
                for (position, build) in manifest.files[ruleIndex].builds.enumerated() { index.add(build, at: position) }
                indices[ruleIndex] = index
            }
            let builds = manifest.files[ruleIndex].builds
            let path = "$.files[\(ruleIndex)].builds"
            let sharing = indices[ruleIndex]?.earlier(sharingDigestWith: candidate.build) ?? []
            if let index = sharing.first(where: { builds[$0].contradicts(candidate.build) }) {
                throw ManifestError(file: file, jsonPath: "\(path)[\(index)]",
                    message: "shares a digest with \(candidate.path) but another digest differs; one of them is wrong: check the entry against the file before recording")
            }
            if let index = sharing.first(where: { builds[$0].sameBytes(as: candidate.build) == true }) {
                let existing = builds[index]
                guard existing.label == candidate.build.label else {
                    throw ManifestError(file: file, jsonPath: "\(path)[\(index)].label",
                        message: "\(candidate.path) has the bytes already recorded as \"\(existing.label.rawValue)\" here (\(existing.source ?? "no source")), and a file cannot also be \"\(candidate.build.label.rawValue)\"; remove that entry or record with the label it has")
                }
                if let recorded = existing.version, let version = candidate.build.version, recorded != version {
                    throw ManifestError(file: file, jsonPath: "\(path)[\(index)].version",
                        message: "\(candidate.path) is version \(version), but the same bytes are recorded here as \(recorded); correct that entry")
                }
                var merged = existing
                merged.version = existing.version ?? candidate.build.version
                merged.size = existing.size ?? candidate.build.size
                merged.sha256 = existing.sha256 ?? candidate.build.sha256
                merged.sha1 = existing.sha1 ?? candidate.build.sha1
                merged.md5 = existing.md5 ?? candidate.build.md5
                manifest.files[ruleIndex].builds[index] = merged
                indices[ruleIndex]?.add(merged, at: index)
                already.append(candidate)
                continue
            }
            manifest.files[ruleIndex].builds.append(candidate.build)
            indices[ruleIndex]?.add(candidate.build, at: builds.count)
            added.append(candidate)
        }
        if let error = ManifestLint.problems(in: manifest, file: file).first(where: { $0.severity == .error }) {
            throw error.asError
        }
        return Outcome(manifest: manifest, added: added, alreadyRecorded: already)
    }
}
