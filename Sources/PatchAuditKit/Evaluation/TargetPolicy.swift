/// The verdict policy for a whole target: what each fact a source found means (``SourceProblem``
/// → a ``Reason`` with its rule, verdict and what to do), how limits, unreadable folders and
/// volumes weigh, and the target's verdict from its installations. The one place these rules
/// live; every kind of source (folder, archive, disk image) goes through it.
struct TargetPolicy {
    let manifests: [LoadedManifest]
    let limits: ScanLimits
    let matcher: NameMatcher
    let locations: [String: Manifest.Location]

    /// Builds a target's report from what its source found.
    func report(target: String, facts: SourceFacts) -> TargetReport {
        // Deleted entries of a disk image are not installed files: never in an installation.
        let live = facts.items.filter { !$0.deleted }
        let deleted = facts.items.filter(\.deleted)
        let layout = InstallationGrouper.group(live, locations: locations)
        let evaluators = manifests.map { Evaluator(manifest: $0.manifest) }
        var installations: [InstallationReport] = []
        for installation in layout.installations {
            let evaluations = evaluators.map { $0.evaluate(installation) }
            installations.append(InstallationReport(
                id: installation.id,
                windowsFolder: installation.windowsFolder.map(\.display),
                systemFolder: installation.systemFolder.map { $0.isRoot ? "." : $0.display },
                outlookFolders: installation.outlookFolders.map { $0.isRoot ? "." : $0.display },
                verdict: evaluations.map(\.verdict).max() ?? .notApplicable,
                evaluations: evaluations))
        }
        installations.sort { $0.id < $1.id }

        var reasons = facts.problems.map { reason(for: $0, target: target, stdinUnsized: target == "-" && facts.sizeUnknown) }
        var limitsHit = facts.summary.limitsHit
        if let grouping = layout.limitHit { limitsHit.append(grouping) }
        for item in facts.items {
            if let problem = item.readProblem, let limit = problem.limitName {
                let value = limit == "max-file-size" ? limits.maxFileSize : limits.maxCompressionRatio
                limitsHit.append(LimitHit(limit: limit, value: value, detail: problem.detail))
            }
        }
        for hit in limitsHit {
            reasons.append(Reason(rule: "limit-hit", verdict: .review,
                message: "\(hit.detail); the result may be incomplete", found: hit.limit, expected: "within \(hit.value)"))
        }
        for directory in facts.summary.unreadableDirectories {
            reasons.append(Reason(rule: "directory-unreadable", verdict: .review,
                message: "\(directory.path): \(directory.detail ?? "could not be read"); files in it may be missing from the result",
                path: directory.path))
        }
        let stray = (layout.stray + deleted).sorted { $0.path < $1.path }.map(Self.strayFinding)
        let liveStray = stray.filter { !$0.deleted }
        var verdict = installations.map(\.verdict).max() ?? .notApplicable
        if let worst = reasons.map(\.verdict).max(), worst > verdict { verdict = worst }
        if installations.isEmpty && liveStray.isEmpty && reasons.isEmpty {
            let names = matcher.names.joined(separator: ", ")
            let volumes = facts.volumes.map { volumes in
                let scanned = volumes.filter { $0.state == .scanned }.count
                return " on \(scanned) volume\(scanned == 1 ? "" : "s") read"
            } ?? ""
            reasons.append(Reason(rule: "no-installation", verdict: .notApplicable,
                message: "no file named \(names) was found in \(facts.summary.entriesVisited) entries\(volumes)\(deleted.isEmpty ? "" : " (\(deleted.count) deleted file(s) of those names are listed as stray copies: they are not installed)")",
                found: "no matched files"))
        } else if installations.isEmpty && !liveStray.isEmpty {
            // Files the patch concerns, but in folders that name no installation (a copy of
            // \Windows\System saved as "pc42-system/"): never "nothing found".
            reasons.append(Reason(rule: "stray-only", verdict: .review,
                message: "\(liveStray.count) matched file(s) lie in no Windows system folder (SYSTEM, SYSTEM32) or Outlook folder, so no installation could be judged; a person must check the copy (see the stray copies)",
                found: liveStray.compactMap(\.path).prefix(5).joined(separator: ", ")))
            verdict = max(verdict, .review)
        }
        let summary = facts.summary
        var report = TargetReport(target: target, kind: facts.kind, verdict: verdict, reasons: reasons, installations: installations,
                                  strayFiles: stray, skipped: summary.skipped + summary.unreadableDirectories,
                                  skippedCount: summary.skippedCount + summary.unreadableDirectories.count,
                                  limitsHit: limitsHit,
                                  stats: .init(entries: summary.entriesVisited, directories: summary.directoriesVisited, matchedFiles: facts.items.count))
        report.format = facts.format
        report.volumes = facts.volumes
        report.whatToDo = WhatToDo.target(report)
        return report
    }

    /// What one problem means for the target.
    func reason(for problem: SourceProblem, target: String, stdinUnsized: Bool) -> Reason {
        switch problem {
        case .corrupt(let detail):
            return Reason(rule: "archive-corrupt", verdict: .error,
                message: "\(target) is corrupt: \(detail); get a fresh copy", found: detail)
        case .unreadable(let failure, let lastEntry):
            return reason(forFailure: failure, lastEntry: lastEntry, target: target, stdinUnsized: stdinUnsized)
        case .nestedArchiveUnreadable(let path, let problem, let found):
            return Reason(rule: "nested-archive-unreadable", verdict: .review,
                message: "\(problem); its contents were not checked", found: found, path: path)
        case .encrypted(let description, let path):
            return Reason(rule: "archive-encrypted", verdict: .review, message: description, found: "encrypted", path: path)
        case .entryHeaderFailed(let container, let message):
            return Reason(rule: "archive-entry-failed", verdict: .review,
                message: "an entry header\(container.map { " in \($0)" } ?? "") could not be read (\(message)); the entry was lost",
                found: message)
        case .entryWarning(let path, let warning):
            return Reason(rule: "archive-warning", verdict: .review,
                message: "\(path): libarchive warned: \(warning)", found: warning, path: path)
        case .zipHeaderMismatch(let path, let found, let expected):
            return Reason(rule: "zip-header-mismatch", verdict: .review,
                message: "\(path): its local header says \(found), the central directory \(expected); it is read as the local header says (as extracting tools do), but a zip whose two directories disagree was made to mislead: a person must look",
                found: found, expected: expected, path: path)
        case .zipNameMismatch(let path, let localName):
            return Reason(rule: "zip-name-mismatch", verdict: .review,
                message: "\(path): the local header names it \(localName); a zip whose two directories disagree was made to mislead: a person must look",
                found: localName, expected: path, path: path)
        case .imageUnreadable(let detail):
            return Reason(rule: "image-unreadable", verdict: .error,
                message: "\(target) could not be read as a disk image: \(detail); get a complete copy of the image (all its segments) and scan again",
                found: detail)
        case .imageRefused(let detail):
            return Reason(rule: "image-refused", verdict: .error,
                message: "\(target) was not read: \(detail)", found: detail)
        case .partitionTableDamaged(let detail):
            return Reason(rule: "partition-table-damaged", verdict: .review,
                message: "\(target): \(detail); volumes may be missing from the result (check the image with mmls, or scan a fresh copy)",
                found: detail)
        case .volumeUnreadable(let volume, let detail):
            return Reason(rule: "volume-unreadable", verdict: .review,
                message: "\(volume.isEmpty ? "the image's volume" : "volume \(volume)") could not be read: \(detail); files on it may be missing from the result (check the image with mmls and fsstat, or scan a fresh copy)",
                found: detail, path: volume.isEmpty ? nil : volume)
        }
    }

    /// An archive that could not be read (any further): which failure it was says what to do.
    func reason(forFailure failure: ArchiveError, lastEntry: String?, target: String, stdinUnsized: Bool) -> Reason {
        switch failure.code {
        case .overlappingEntries:
            // The archive source records this as the `zip-overlap` limit; said here too if not.
            return Reason(rule: "archive-refused", verdict: .review, message: "\(target): \(failure.message)", found: failure.message)
        case .encrypted:
            return Reason(rule: "archive-encrypted", verdict: .review,
                message: "\(target) is encrypted (\(failure.message)); its entries cannot be read without the password", found: "encrypted")
        case .notAnArchive:
            let split = target.lowercased().range(of: #"\.(z[0-9]{2}|[0-9]{3})$"#, options: .regularExpression) != nil
            return Reason(rule: "not-an-archive", verdict: .error,
                message: split
                    ? "\(target) looks like one part of a multi-volume set and is not readable on its own; join the parts (cat or zip -s 0) and scan the whole archive"
                    : target == "-"
                    ? "the bytes on standard input are not a recognised archive (patchaudit reads zip, tar, 7z, CAB and ISO 9660 there; a disk image must be given as a file): \(failure.message)"
                    : "\(target) is not a recognised archive, disk image or directory (patchaudit reads zip, tar, 7z, CAB and ISO 9660, plain or compressed with gzip, bzip2, xz or zstd; raw, E01, VHD, VHDX, VMDK and QCOW2 disk images with FAT or NTFS volumes; and self-extracting packages): \(failure.message)",
                found: failure.message)
        case .multiVolume:
            return Reason(rule: "multi-volume", verdict: .error, message: "\(target): \(failure.message)", found: failure.message)
        case .refused:
            return Reason(rule: "archive-refused", verdict: .error,
                message: "\(target) was not read: \(failure.message); the file is damaged or made to stall readers: get a fresh copy",
                found: failure.message)
        case _ where stdinUnsized && failure.message.contains("seek"):
            return Reason(rule: "archive-needs-seeking", verdict: .error,
                message: "the archive on standard input needs seeking (7-Zip and ISO 9660 do: their directories are not at the start); save it to a file and scan the file",
                found: failure.message)
        case .fatal, .entryFailed, .io, .limit:
            let place = failure.entry.map { "while reading \($0)" } ?? lastEntry.map { "after entry \($0)" } ?? "before the first entry"
            return Reason(rule: "archive-unreadable", verdict: .error,
                message: "\(target) could not be read \(place): \(failure.message); the archive is truncated or corrupt: get a fresh copy",
                found: failure.message, path: failure.entry ?? lastEntry)
        }
    }

    /// A stray copy: only facts about the file itself, no patch rule.
    static func strayFinding(_ item: InventoryItem) -> FileFinding {
        var finding: FileFinding
        if let problem = item.readProblem {
            finding = FileFinding(item: item, status: .unreadable, expected: nil, reason: problem.detail)
        } else if !item.damage.isEmpty {
            finding = FileFinding(item: item, status: .damaged, expected: nil, reason: item.damage.joined(separator: "; "))
        } else if item.fileVersion == nil {
            finding = FileFinding(item: item, status: .unknown, expected: nil, reason: "no version resource")
        } else {
            finding = FileFinding(item: item, status: .ok, expected: nil,
                                  reason: "a copy outside any installation (backup or setup folder); not part of a verdict")
        }
        if item.deleted {
            finding.deleted = true
            finding.notes.insert("a deleted entry (--include-deleted): not an installed file; its bytes were read from whatever clusters remain and may belong to another file", at: 0)
        }
        return finding
    }
}
