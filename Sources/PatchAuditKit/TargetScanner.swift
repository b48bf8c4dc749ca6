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

    /// Scans one target synchronously, keeping its inventory: the source its bytes (or file
    /// type) call for reads it, and the verdict policy judges what it found.
    public func inventory(target: String) -> ScannedTarget {
        switch open(target) {
        case .failure(let failed):
            return ScannedTarget(report: failed.report, items: [])
        case .success(let facts):
            return ScannedTarget(report: policy.report(target: target, facts: facts), items: facts.items)
        }
    }

    var policy: TargetPolicy {
        TargetPolicy(manifests: configuration.manifests, limits: configuration.limits, matcher: matcher, locations: locations)
    }

    /// Opens the target the way its kind needs, and reads it with the source for that kind.
    func open(_ target: String) -> Result<SourceFacts, OpenFailure> {
        if target == "-" {
            // Redirected from a file (`scan - < pc42.zip`): the same checks as for a file.
            let input = FileDescriptor.standardInput
            var size: Int64?
            if case .success(let status) = Syscalls.status(of: input), (status.st_mode & S_IFMT) == S_IFREG,
               lseek(input.rawValue, 0, SEEK_CUR) == 0 {
                size = Int64(status.st_size)
            }
            return .success(ArchiveSource(matcher: matcher, limits: configuration.limits, file: input, size: size).read())
        }
        let status: stat
        switch Syscalls.status(ofPath: target) {
        case .success(let found): status = found
        case .failure(let error):
            let message = error == .noSuchFileOrDirectory
                ? "\(target) does not exist; check the path"
                : "\(target) could not be examined: \(error.text)"
            return .failure(OpenFailure(report: .failed(target, kind: .missing, reason: Reason(rule: "target-unreadable", verdict: .error, message: message))))
        }
        switch status.st_mode & S_IFMT {
        case S_IFDIR:
            switch openTarget(target, flags: O_RDONLY | O_DIRECTORY, kind: .directory) {
            case .failure(let failed): return .failure(failed)
            case .success(let root):
                return .success(DirectorySource(root: root, matcher: matcher, limits: configuration.limits, walkers: configuration.walkers,
                                                concurrentWalks: configuration.jobs).read())
            }
        case S_IFREG:
            switch openTarget(target, flags: O_RDONLY | O_NONBLOCK, kind: .archive) {
            case .failure(let failed): return .failure(failed)
            case .success(let opened):
                var size: Int64?
                if case .success(let status) = opened.status(), (status.st_mode & S_IFMT) == S_IFREG { size = Int64(status.st_size) }
                return .success(fileSource(target, file: opened.raw, size: size).read())
            }
        default:
            return .failure(OpenFailure(report: .failed(target, kind: .unsupported, reason: Reason(rule: "target-not-directory", verdict: .error,
                message: "\(target) is a \(RegularFileReader.fileTypeName(status.st_mode)), neither a directory, an archive nor a disk image; give a folder, an archive or an image file to scan"))))
        }
    }

    /// The source for a regular file, decided by its bytes: an archive; a self-extracting
    /// package (a PE program carrying a CAB in its `CABINET` resource or after its end: read as
    /// that archive); else a disk image; else the archive source, which says what the bytes
    /// are not (and libarchive still looks for an archive inside any other program).
    func fileSource(_ target: String, file: FileDescriptor, size: Int64?) -> any TargetSource {
        let archive = ArchiveSource(matcher: matcher, limits: configuration.limits, file: file, size: size)
        guard let size, size > 0 else { return archive }
        var head = [UInt8](repeating: 0, count: Int(min(Int64(ArchiveSniffer.sniffLength), size)))
        // The last 512 bytes: a fixed VHD's footer (a VMDK descriptor may be smaller than that).
        var tail = [UInt8](repeating: 0, count: size >= 512 ? 512 : 0)
        guard case .success(let got) = head.withUnsafeMutableBytes({ Syscalls.read(file, at: 0, into: $0) }) else { return archive }
        if !tail.isEmpty {
            guard case .success(512) = tail.withUnsafeMutableBytes({ Syscalls.read(file, at: size - 512, into: $0) }) else { return archive }
        }
        head.removeLast(head.count - got)
        if head.withUnsafeBytes({ ArchiveSniffer.kind(of: $0) }) != nil { return archive }
        if head.starts(with: [0x4d, 0x5a]), size <= configuration.limits.maxFileSize,
           let program = Self.readWhole(file, size: size) {
            // A program: a self-extracting package when it carries a cabinet (or a zip).
            var package = archive
            package.isProgram = true
            package.payload = SelfExtractingPackage.locate(program)
            return package
        }
        guard let kind = ImageSniffer.kind(head: Array(head.prefix(ImageSniffer.headLength)), tail: tail) else { return archive }
        return ImageSource(target: target, file: file, size: size, kind: kind, matcher: matcher, limits: configuration.limits)
    }

    /// The whole of a file of `size` bytes (the caller bounds it), or nil when it could not be read.
    static func readWhole(_ file: FileDescriptor, size: Int64) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: Int(size))
        var done = 0
        let complete = bytes.withUnsafeMutableBytes { buffer in
            while done < buffer.count {
                guard case .success(let got) = Syscalls.read(file, at: Int64(done), into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...])),
                      got > 0 else { return false }
                done += got
            }
            return true
        }
        return complete ? bytes : nil
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
}
