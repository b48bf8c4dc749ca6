/// Judges one installation against one manifest: product, language, then each file.
///
/// The verdict is the first of these that holds (domain.md): `not-applicable`, `blocked`,
/// `review`, `patch-needed`, `up-to-date`. Every reason found is kept, so a `review` that also
/// needs the patch says so.
///
/// Decisions taken where domain.md leaves room (also in the README):
/// - The release is read from `Outlook.exe`; where it is absent, `Outllib.dll` stands in, and an
///   `Outllib.dll` at the patch's own version counts as "patched, release not known".
/// - A version inside the product's family that is no known release is an unknown build (`review`).
/// - A version in no family the manifest knows (neither the product nor its neighbours) is `review`.
/// - A damaged file the patch installs makes `patch-needed` (the patch replaces it); a damaged
///   file it does not install (Emsuix32.dll) makes `review` (reinstall Outlook instead).
/// - Files not found where the patch installs them are `missing` (`review`); files whose folder
///   the copy lacks altogether are named in one reason instead of a `missing` row each.
/// - In a `not-applicable` evaluation, version statuses are reported as `ok` (the patch's
///   versions do not apply), while `damaged` and `unreadable` stay: they are facts about the file.
public struct Evaluator: Sendable {
    public let manifest: Manifest

    public init(manifest: Manifest) { self.manifest = manifest }

    /// Evaluates `installation`; pure, no I/O.
    public func evaluate(_ installation: Installation) -> Evaluation {
        var reasons: [Reason] = []
        let product = identifyProduct(installation, reasons: &reasons)
        var findings: [FileFinding] = []
        var missingFolderFiles: [String] = []

        for rule in manifest.files {
            let folders = self.folders(for: rule, in: installation)
            if folders.isEmpty {
                if rule.installedByPatch && !rule.optional && rule.location != .any {
                    missingFolderFiles.append(rule.name)
                    findings.append(FileFinding(missing: rule.name, expectedAt: nil, expected: rule.patchedVersion,
                        reason: "the copy holds no \(rule.location == .system ? "Windows system" : "Outlook") folder"))
                }
                continue
            }
            let names = Set([rule.name] + (rule.nameOnNT.map { [$0] } ?? []))
            let copies = installation.files.filter { names.contains($0.name) && folders.contains($0.path.parent) }
            if copies.isEmpty {
                guard rule.installedByPatch && !rule.optional else { continue }
                let expectedName = installation.isWindowsNT && rule.location == .system ? (rule.nameOnNT ?? rule.name) : rule.name
                let folder = folders[0]
                let path = folder.appending(Array(expectedName.utf8)).display
                findings.append(FileFinding(missing: expectedName, expectedAt: path, expected: rule.patchedVersion,
                    reason: "not found in \(folder.isRoot ? "the target's root" : folder.display)"))
                reasons.append(Reason(rule: "file-missing", verdict: .review,
                    message: "\(expectedName) is missing from \(folder.isRoot ? "the target's root" : folder.display); the patch installs it, so a person must check the copy",
                    found: "absent", expected: rule.patchedVersion.map { ">= \($0)" }, path: path))
                continue
            }
            for item in copies {
                findings.append(judge(item, rule: rule, reasons: &reasons))
            }
            let versions = Set(copies.compactMap(\.fileVersion))
            if versions.count > 1 {
                reasons.append(Reason(rule: "copies-disagree", verdict: .review,
                    message: "the copies of \(rule.name) in this installation have different versions; a person must decide which one Outlook uses",
                    found: versions.sorted().map(\.description).joined(separator: ", ")))
            }
        }
        // A copy without an Outlook folder already has the product reason (no-outlook-folder).
        if !missingFolderFiles.isEmpty && installation.systemFolder == nil {
            reasons.append(Reason(rule: "no-system-folder", verdict: .review,
                message: "the copy holds no Windows system folder (\\Windows\\System or \\Winnt\\System32), so \(missingFolderFiles.joined(separator: ", ")) could not be checked; scan a copy that includes it",
                found: "absent", expected: missingFolderFiles.joined(separator: ", ")))
        }

        let verdict = Self.verdict(from: reasons)
        if verdict == .notApplicable {
            reasons = reasons.filter { $0.verdict == .notApplicable }
            findings = findings.compactMap { finding in
                var finding = finding
                switch finding.status {
                case .patched, .outdated, .unknown:
                    finding.status = .ok
                    finding.expected = nil
                    finding.reason = "the patch does not apply to this installation"
                case .missing:
                    return nil
                default: break
                }
                return finding
            }
        }
        if verdict == .upToDate {
            reasons.append(Reason(rule: "all-patched", verdict: .upToDate,
                message: "every file \(manifest.patch.file) installs is at or above its version and intact"))
        }
        let files = findings.sorted { ($0.path ?? $0.name, $0.name) < ($1.path ?? $1.name, $1.name) }
        return Evaluation(manifest: manifest.id, verdict: verdict, product: product,
                          reasons: reasons.sorted { $0.verdict.precedence < $1.verdict.precedence },
                          files: files,
                          whatToDo: WhatToDo.evaluation(verdict: verdict, reasons: reasons, files: files, manifest: manifest))
    }

    /// The verdict: the first category (in domain.md's order) that has a reason.
    static func verdict(from reasons: [Reason]) -> Verdict {
        let held = Set(reasons.map(\.verdict))
        for candidate in [Verdict.notApplicable, .blocked, .review, .patchNeeded] where held.contains(candidate) {
            return candidate
        }
        return .upToDate
    }

    /// The folders of `installation` where `rule`'s file belongs.
    func folders(for rule: Manifest.FileRule, in installation: Installation) -> [ScanPath] {
        switch rule.location {
        case .system: return installation.systemFolder.map { [$0] } ?? []
        case .outlook: return installation.outlookFolders
        case .any: return (installation.systemFolder.map { [$0] } ?? []) + installation.outlookFolders
        }
    }

    /// Status and reasons for one present file.
    func judge(_ item: InventoryItem, rule: Manifest.FileRule, reasons: inout [Reason]) -> FileFinding {
        let path = item.path.display
        var notes: [String] = []
        if let text = item.fileVersionString, let binary = item.fileVersion, let parsed = FileVersion(leadingVersionIn: text),
           !parsed.sameNumbers(as: binary) {
            notes.append("the FileVersion string says \"\(text)\" but the binary version is \(binary); the binary one decides")
        }
        if let version = item.fileVersion, let size = item.size {
            for build in rule.builds where build.version == version && !build.hasDigests {
                if let known = build.size, known != size {
                    notes.append("\(size) bytes, unlike the \(known) bytes recorded for \(version) (\(build.source ?? build.label.rawValue))")
                }
            }
        }
        if let problem = item.readProblem {
            reasons.append(Reason(rule: problem.isLimit ? "limit-hit" : "file-unreadable", verdict: .review,
                message: "\(item.name) could not be read: \(problem.detail)", found: problem.kind.rawValue, path: path))
            return FileFinding(item: item, status: .unreadable, expected: rule.patchedVersion, reason: problem.detail, notes: notes)
        }
        // The builds the manifest records with digests come first: they know these exact bytes.
        let baseline = baselineEvidence(for: item, rule: rule)
        var bytesVouchedFor = false
        if let (evidence, builds) = baseline {
            func finding(_ status: FileStatus, _ reason: String) -> FileFinding {
                var finding = FileFinding(item: item, status: status, expected: rule.patchedVersion, reason: reason, notes: notes)
                finding.baseline = evidence
                return finding
            }
            let recordedFrom = { (build: Manifest.Build) in build.source.map { " (\($0))" } ?? "" }
            switch (evidence.result, evidence.label) {
            case (.matched, .damaged?):
                let summary = "its bytes are a build \(manifest.id) records as damaged\(recordedFrom(builds[0]))"
                damaged(item, rule: rule, summary: summary, ruleID: "recorded-damaged", found: item.digests?.sha256,
                        expected: "bytes not recorded as damaged", message: "\(item.name): \(summary)", reasons: &reasons)
                return finding(.damaged, summary)
            case (.matched, .original?) where rule.installedByPatch:
                let claimed = builds[0].version.map { " \($0)" } ?? ""
                let summary = "its bytes are the original build\(claimed) \(manifest.id) records\(recordedFrom(builds[0])); \(manifest.patch.file) replaces it"
                reasons.append(Reason(rule: "recorded-original", verdict: .patchNeeded, message: "\(item.name): \(summary)",
                    found: item.digests?.sha256, expected: rule.patchedVersion.map { ">= \($0)" }, path: path))
                return finding(.outdated, summary)
            case (.matched, _?):
                // The `baseline` field of the finding says which build; no note is needed.
                bytesVouchedFor = true
                if let recorded = builds[0].version, let version = item.fileVersion, recorded != version {
                    reasons.append(Reason(rule: "baseline-inconsistent", verdict: .review,
                        message: "\(item.name) says it is \(version) but \(manifest.id) records these bytes as \(recorded); the manifest is wrong: rebuild it from the known-good copy",
                        found: version.description, expected: recorded.description, path: path))
                }
            case (.mismatch, _):
                let claimed = item.fileVersion?.description ?? "?"
                let labels = Set(builds.map(\.label.rawValue)).sorted().joined(separator: " or ")
                let expected = builds.map { build in (build.sha256 ?? build.sha1 ?? build.md5 ?? "?") + recordedFrom(build) }.joined(separator: "; ")
                let summary = "claims \(claimed), but its SHA-256 \(item.digests?.sha256 ?? "?") is none of the \(labels) \(claimed) builds \(manifest.id) records: \(expected)"
                damaged(item, rule: rule, summary: summary, ruleID: "baseline-mismatch", found: item.digests?.sha256,
                        expected: builds.compactMap { $0.sha256 ?? $0.sha1 ?? $0.md5 }.joined(separator: " or "),
                        message: "\(item.name) \(summary). It was altered or damaged after it was built, whatever its PE checksum says", reasons: &reasons)
                return finding(.damaged, summary)
            case (.unrecorded, _), (.matched, nil):
                let versions = Set(rule.builds.filter(\.hasDigests).compactMap(\.version)).sorted().map(\.description)
                notes.append("its SHA-256 is none of the \(rule.builds.filter(\.hasDigests).count) builds of \(rule.name) recorded in \(manifest.id)" +
                             (versions.isEmpty ? " (a hash list, without versions)" : " (versions \(versions.joined(separator: ", ")))"))
            }
        }
        let damage = item.damage
        if !damage.isEmpty && !bytesVouchedFor {
            let summary = damage.joined(separator: "; ")
            damaged(item, rule: rule, summary: summary, ruleID: "file-damaged", reasons: &reasons)
            var finding = FileFinding(item: item, status: .damaged, expected: rule.patchedVersion, reason: summary, notes: notes)
            finding.baseline = baseline?.0
            return finding
        } else if !damage.isEmpty {
            notes.append("the PE checks found \(damage.joined(separator: "; ")), but the manifest records these exact bytes, so the file is as it was recorded")
        }
        guard let version = item.fileVersion else {
            let why = item.image?.versionProblems.first ?? "the file has no version resource (RT_VERSION)"
            reasons.append(Reason(rule: "file-no-version", verdict: .review,
                message: "\(item.name) is a PE image but its version cannot be read (\(why)); compare it with a known-good copy",
                found: "no version", expected: rule.patchedVersion.map { ">= \($0)" }, path: path))
            return finish(FileFinding(item: item, status: .unknown, expected: rule.patchedVersion, reason: why, notes: notes), baseline?.0, rule: rule, reasons: &reasons)
        }
        guard rule.installedByPatch, let patched = rule.patchedVersion else {
            return finish(FileFinding(item: item, status: .ok, expected: nil, reason: nil, notes: notes), baseline?.0, rule: rule, reasons: &reasons)
        }
        if version >= patched {
            return finish(FileFinding(item: item, status: .patched, expected: patched,
                                            reason: "\(version) is at or above the patch's \(patched)", notes: notes), baseline?.0, rule: rule, reasons: &reasons)
        }
        reasons.append(Reason(rule: "file-outdated", verdict: .patchNeeded,
            message: "\(item.name) is \(version), older than the \(patched) that \(manifest.patch.file) installs",
            found: version.description, expected: ">= \(patched)", path: path))
        return finish(FileFinding(item: item, status: .outdated, expected: patched,
                                        reason: "\(version) is older than the patch's \(patched)", notes: notes), baseline?.0, rule: rule, reasons: &reasons)
    }

    /// Attaches the baseline evidence to a finding of the version rules. Bytes the baseline
    /// never saw are never a silent pass: where the version rules would let the file pass
    /// (`patched`, `ok`, `unknown`), a person must look (`baseline-unrecorded`, review).
    func finish(_ finding: FileFinding, _ evidence: BaselineEvidence?, rule: Manifest.FileRule, reasons: inout [Reason]) -> FileFinding {
        var finding = finding
        finding.baseline = evidence
        if evidence?.result == .unrecorded, [.patched, .ok, .unknown].contains(finding.status) {
            reasons.append(Reason(rule: "baseline-unrecorded", verdict: .review,
                message: "\(finding.name) is \(finding.version ?? "of no readable version"), but its bytes are none of the builds of \(rule.name) recorded in \(manifest.id); a file altered after it was built can claim any version, so a person must check it; if it is genuine, record it from a known-good copy (patchaudit manifest build --into)",
                found: finding.sha256, expected: "a recorded build", path: finding.path))
        }
        return finding
    }

    /// The reason for a damaged file: the patch replaces it (`patch-needed`), or it does not
    /// (`review`: reinstall instead).
    func damaged(_ item: InventoryItem, rule: Manifest.FileRule, summary: String, ruleID: String, found: String? = nil,
                 expected: String = "an intact PE image", message: String? = nil, reasons: inout [Reason]) {
        let path = item.path.display
        let said = message ?? "\(item.name) is damaged (\(summary))"
        if rule.installedByPatch {
            reasons.append(Reason(rule: ruleID, verdict: .patchNeeded,
                message: "\(said); \(manifest.patch.file) replaces it",
                found: found ?? summary, expected: expected, path: path))
        } else {
            reasons.append(Reason(rule: ruleID == "file-damaged" ? "file-damaged-not-replaced" : ruleID, verdict: .review,
                message: "\(said), and \(manifest.patch.file) does not replace it\(rule.note.map { ": \($0)" } ?? "")",
                found: found ?? summary, expected: expected, path: path))
        }
    }
}

extension Verdict {
    /// domain.md's order for an installation: the first that holds wins.
    var precedence: Int {
        switch self {
        case .error: 0
        case .notApplicable: 1
        case .blocked: 2
        case .review: 3
        case .patchNeeded: 4
        case .upToDate: 5
        }
    }
}

extension FileVersion {
    /// Whether two versions agree once zero parts are dropped: Microsoft's FileVersion strings
    /// often leave out a zero part ("8.02.4212" for 8.2.0.4212), so only a difference in the
    /// non-zero numbers counts as a string that disagrees with the binary version.
    func sameNumbers(as other: FileVersion) -> Bool {
        parts.filter { $0 != 0 } == other.parts.filter { $0 != 0 }
    }

    /// Parses the version at the start of a FileVersion string such as "5.5.2502.0 (SP1)"
    /// or "8.04.00.6419"; nil when it does not start with one.
    init?(leadingVersionIn text: String) {
        let prefix = text.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        let trimmed = prefix.hasSuffix(".") ? prefix.dropLast() : prefix
        guard !trimmed.isEmpty else { return nil }
        self.init(trimmed)
    }
}
