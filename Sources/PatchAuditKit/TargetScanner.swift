import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// Everything a scan needs, built by the CLI (or any other caller) from its options.
public struct ScanConfiguration: Sendable {
    public var manifests: [LoadedManifest]
    public var limits: ScanLimits
    /// Targets scanned at once.
    public var jobs: Int
    /// Threads walking one directory target.
    public var walkers: Int

    public init(manifests: [LoadedManifest], limits: ScanLimits = ScanLimits(), jobs: Int = 2, walkers: Int = 2) {
        self.manifests = manifests
        self.limits = limits
        self.jobs = max(1, jobs)
        self.walkers = max(1, walkers)
    }
}

/// Runs the pipeline for each target: source → inventory → installations → evaluation → report.
public struct TargetScanner: Sendable {
    public let configuration: ScanConfiguration
    let matcher: NameMatcher
    let locations: [String: Manifest.Location]

    public init(configuration: ScanConfiguration) {
        self.configuration = configuration
        var locations: [String: Manifest.Location] = [:]
        for loaded in configuration.manifests {
            for rule in loaded.manifest.files {
                for name in [rule.name] + (rule.nameOnNT.map { [$0] } ?? []) where locations[name] == nil {
                    locations[name] = rule.location
                }
            }
        }
        self.locations = locations
        matcher = NameMatcher(names: locations.keys)
    }

    /// Scans the targets, at most `configuration.jobs` at a time, and hands each report to
    /// `emit` in the order the targets were given, as soon as it and all before it are done.
    public func scan(targets: [String], emit: @Sendable (TargetReport) throws -> Void) async throws -> [TargetReport] {
        var results = [TargetReport?](repeating: nil, count: targets.count)
        var nextToEmit = 0
        try await withThrowingTaskGroup(of: (Int, TargetReport).self) { group in
            var nextToStart = 0
            func startNext() {
                guard nextToStart < targets.count else { return }
                let index = nextToStart
                let target = targets[index]
                group.addTask { (index, self.scan(target: target)) }
                nextToStart += 1
            }
            for _ in 0..<min(configuration.jobs, targets.count) { startNext() }
            while let (index, report) = try await group.next() {
                results[index] = report
                while nextToEmit < results.count, let ready = results[nextToEmit] {
                    try emit(ready)
                    nextToEmit += 1
                }
                startNext()
            }
        }
        return results.compactMap { $0 }
    }

    /// Scans one target synchronously.
    public func scan(target: String) -> TargetReport { inventory(target: target).report }

    /// A target's report and the inventory it was made from (what `manifest build` records).
    public struct ScannedTarget: Sendable {
        public var report: TargetReport
        /// The matched files as read, sorted by path.
        public var items: [InventoryItem]
    }

    /// Scans one target synchronously, keeping its inventory.
    public func inventory(target: String) -> ScannedTarget {
        if target == "-" { return scanArchive(target) }
        let status: stat
        switch Syscalls.status(ofPath: target) {
        case .success(let found): status = found
        case .failure(let error):
            let message = error == .noSuchFileOrDirectory
                ? "\(target) does not exist; check the path (a mounted image must be mounted first)"
                : "\(target) could not be examined: \(error.text)"
            return ScannedTarget(report: .failed(target, kind: .missing, reason: Reason(rule: "target-unreadable", verdict: .error, message: message)), items: [])
        }
        switch status.st_mode & S_IFMT {
        case S_IFDIR:
            return scanDirectory(target)
        case S_IFREG:
            return scanArchive(target)
        default:
            return ScannedTarget(report: .failed(target, kind: .unsupported, reason: Reason(rule: "target-not-directory", verdict: .error,
                message: "\(target) is a \(RegularFileReader.fileTypeName(status.st_mode)), neither a directory nor an archive file; give a folder (a mounted image) or an archive to scan")), items: [])
        }
    }

    /// Scans an archive file, or standard input for `-`; the kind is decided by the bytes.
    func scanArchive(_ target: String) -> ScannedTarget {
        if target == "-" {
            // Redirected from a file (`scan - < pc42.zip`): the same checks as for a file.
            let input = FileDescriptor.standardInput
            var size: Int64?
            if case .success(let status) = Syscalls.status(of: input), (status.st_mode & S_IFMT) == S_IFREG,
               lseek(input.rawValue, 0, SEEK_CUR) == 0 {
                size = Int64(status.st_size)
            }
            return scanArchive(target, file: input, size: size)
        }
        switch openTarget(target, flags: O_RDONLY | O_NONBLOCK, kind: .archive) {
        case .failure(let failed):
            return ScannedTarget(report: failed.report, items: [])
        case .success(let opened):
            var size: Int64?
            if case .success(let status) = opened.status(), (status.st_mode & S_IFMT) == S_IFREG { size = Int64(status.st_size) }
            return scanArchive(target, file: opened.raw, size: size)
        }
    }

    /// Scans the archive open at `file` (borrowed: the caller keeps it open).
    func scanArchive(_ target: String, file: FileDescriptor, size: Int64?) -> ScannedTarget {
        let source = ArchiveSource(matcher: matcher, limits: configuration.limits)
        let outcome = source.scan(file: file, size: size)
        var reasons = outcome.reviews
        var summary = outcome.summary
        for corrupt in outcome.corruption {
            reasons.append(Reason(rule: "archive-corrupt", verdict: .error,
                message: "\(target) is corrupt: \(corrupt); get a fresh copy",
                found: corrupt))
        }
        if let failure = outcome.failure {
            switch failure.code {
            case .overlappingEntries:
                summary.limitsHit.append(LimitHit(limit: "zip-overlap", value: 0, detail: failure.message))
            case .encrypted:
                reasons.append(Reason(rule: "archive-encrypted", verdict: .review,
                    message: "\(target) is encrypted (\(failure.message)); its entries cannot be read without the password", found: "encrypted"))
            case .notAnArchive:
                let split = target.lowercased().range(of: #"\.(z[0-9]{2}|[0-9]{3})$"#, options: .regularExpression) != nil
                reasons.append(Reason(rule: "not-an-archive", verdict: .error,
                    message: split
                        ? "\(target) looks like one part of a multi-volume set and is not readable on its own; join the parts (cat or zip -s 0) and scan the whole archive"
                        : "\(target) is not a recognised archive and not a directory (patchaudit reads zip, tar, 7z, CAB and ISO 9660, plain or compressed with gzip, bzip2, xz or zstd): \(failure.message)",
                    found: failure.message))
            case .multiVolume:
                reasons.append(Reason(rule: "multi-volume", verdict: .error, message: "\(target): \(failure.message)", found: failure.message))
            case .refused:
                reasons.append(Reason(rule: "archive-refused", verdict: .error,
                    message: "\(target) was not read: \(failure.message); the file is damaged or made to stall readers: get a fresh copy",
                    found: failure.message))
            case _ where target == "-" && size == nil && failure.message.contains("seek"):
                reasons.append(Reason(rule: "archive-needs-seeking", verdict: .error,
                    message: "the archive on standard input needs seeking (7-Zip and ISO 9660 do: their directories are not at the start); save it to a file and scan the file",
                    found: failure.message))
            case .fatal, .entryFailed, .io, .limit:
                let place = failure.entry.map { "while reading \($0)" } ?? outcome.lastEntry.map { "after entry \($0)" } ?? "before the first entry"
                reasons.append(Reason(rule: "archive-unreadable", verdict: .error,
                    message: "\(target) could not be read \(place): \(failure.message); the archive is truncated or corrupt: get a fresh copy",
                    found: failure.message, path: failure.entry ?? outcome.lastEntry))
            }
        }
        let items = outcome.items.sorted { $0.path < $1.path }
        var report = report(target: target, kind: .archive, items: items, summary: summary, extraReasons: reasons)
        report.format = outcome.format.isEmpty ? nil : outcome.format
        return ScannedTarget(report: report, items: items)
    }

    /// A target that could not be opened, as the report that says so.
    struct OpenFailure: Error {
        var report: TargetReport
    }

    /// Opens the target the user named (links in its own path are followed: it was named).
    func openTarget(_ target: String, flags: Int32, kind: TargetReport.Kind) -> Result<OwnedDescriptor, OpenFailure> {
        Syscalls.open(path: target, flags: flags).mapError { error in
            OpenFailure(report: .failed(target, kind: kind, reason: Reason(rule: "target-unreadable", verdict: .error,
                message: "\(target) could not be opened: \(error.text); run as a user who can read it")))
        }
    }

    func scanDirectory(_ target: String) -> ScannedTarget {
        switch openTarget(target, flags: O_RDONLY | O_DIRECTORY, kind: .directory) {
        case .success(let root): return scanDirectory(target, root: root)
        case .failure(let failed): return ScannedTarget(report: failed.report, items: [])
        }
    }

    func scanDirectory(_ target: String, root: consuming OwnedDescriptor) -> ScannedTarget {
        let walker = DirectoryWalker(matcher: matcher, limits: configuration.limits, workers: configuration.walkers,
                                     concurrentWalks: configuration.jobs)
        let (found, summary) = walker.walk(root: root) { match in
            InventoryItem(name: match.name, path: match.path, content: match.content)
        }
        // The threads' order must never show in a report.
        let items = found.sorted { $0.path < $1.path }
        return ScannedTarget(report: report(target: target, kind: .directory, items: items, summary: summary), items: items)
    }

    /// Builds a target's report from its inventory: the part shared by every kind of source.
    public func report(target: String, kind: TargetReport.Kind, items: [InventoryItem], summary: SourceSummary,
                       extraReasons: [Reason] = []) -> TargetReport {
        let layout = InstallationGrouper.group(items, locations: locations)
        let evaluators = configuration.manifests.map { Evaluator(manifest: $0.manifest) }
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

        var reasons = extraReasons
        var limitsHit = summary.limitsHit
        if let grouping = layout.limitHit { limitsHit.append(grouping) }
        for item in items {
            if let problem = item.readProblem, let limit = problem.limitName {
                let value = limit == "max-file-size" ? configuration.limits.maxFileSize : configuration.limits.maxCompressionRatio
                limitsHit.append(LimitHit(limit: limit, value: value, detail: problem.detail))
            }
        }
        for hit in limitsHit {
            reasons.append(Reason(rule: "limit-hit", verdict: .review,
                message: "\(hit.detail); the result may be incomplete", found: hit.limit, expected: "within \(hit.value)"))
        }
        for directory in summary.unreadableDirectories {
            reasons.append(Reason(rule: "directory-unreadable", verdict: .review,
                message: "\(directory.path): \(directory.detail ?? "could not be read"); files in it may be missing from the result",
                path: directory.path))
        }
        let stray = layout.stray.map(Self.strayFinding)
        var verdict = installations.map(\.verdict).max() ?? .notApplicable
        if let worst = reasons.map(\.verdict).max(), worst > verdict { verdict = worst }
        if installations.isEmpty && stray.isEmpty && reasons.isEmpty {
            let names = matcher.names.joined(separator: ", ")
            reasons.append(Reason(rule: "no-installation", verdict: .notApplicable,
                message: "no file named \(names) was found in \(summary.entriesVisited) entries",
                found: "no matched files"))
        } else if installations.isEmpty && !stray.isEmpty {
            // Files the patch concerns, but in folders that name no installation (a copy of
            // \Windows\System saved as "pc42-system/"): never "nothing found".
            reasons.append(Reason(rule: "stray-only", verdict: .review,
                message: "\(stray.count) matched file(s) lie in no Windows system folder (SYSTEM, SYSTEM32) or Outlook folder, so no installation could be judged; a person must check the copy (see the stray copies)",
                found: stray.compactMap(\.path).prefix(5).joined(separator: ", ")))
            verdict = max(verdict, .review)
        }
        return TargetReport(target: target, kind: kind, verdict: verdict, reasons: reasons, installations: installations,
                            strayFiles: stray, skipped: summary.skipped + summary.unreadableDirectories,
                            skippedCount: summary.skippedCount + summary.unreadableDirectories.count,
                            limitsHit: limitsHit,
                            stats: .init(entries: summary.entriesVisited, directories: summary.directoriesVisited, matchedFiles: items.count))
    }

    /// A stray copy: only facts about the file itself, no patch rule.
    static func strayFinding(_ item: InventoryItem) -> FileFinding {
        if let problem = item.readProblem {
            return FileFinding(item: item, status: .unreadable, expected: nil, reason: problem.detail)
        }
        let damage = item.damage
        if !damage.isEmpty {
            return FileFinding(item: item, status: .damaged, expected: nil, reason: damage.joined(separator: "; "))
        }
        if item.fileVersion == nil {
            return FileFinding(item: item, status: .unknown, expected: nil, reason: "no version resource")
        }
        return FileFinding(item: item, status: .ok, expected: nil,
                           reason: "a copy outside any installation (backup or setup folder); not part of a verdict")
    }
}
