import Dispatch
import Foundation
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// Walks a directory tree with `openat`/`fdopendir`/`readdir`, read-only, and hands each
/// entry whose name a ``NameMatcher`` accepts to a `transform` together with its bytes.
///
/// Safety rules, each one deliberate:
/// - Symbolic links are never followed (`O_NOFOLLOW`, and `d_type`/`fstatat(AT_SYMLINK_NOFOLLOW)`
///   decide before anything is opened), so link loops and links out of the root are harmless;
///   they are listed as ``SkippedEntry``. Every folder is opened relative to its parent's
///   descriptor, never by a path that could be re-resolved.
/// - Only regular files are opened, with `O_NONBLOCK` and checked by `fstat` afterwards: a FIFO
///   named `EMSMDB32.DLL` is reported `unreadable`, never waited on.
/// - Directories and files are opened with `O_NOATIME` where permitted: the scan leaves even
///   access times as they were. Nothing is ever written.
/// - Depth, entry count and matched-file count are bounded (``ScanLimits``); a hit is recorded.
/// - Names are bytes; non-UTF-8 names are kept (``ScanPath``).
///
/// Speed: `workers` threads share a queue of open folder descriptors (at most
/// `maxQueuedFolders` queued; beyond that a worker walks the folder itself, depth first), so
/// open descriptors stay below `maxQueuedFolders + workers × maxFolderDepth`, sized from
/// `RLIMIT_NOFILE`. Results are sorted afterwards, so the order
/// of `readdir` and of the threads never shows in a report.
public struct DirectoryWalker: Sendable {
    /// One matched entry: where, which name, and either its bytes or why they could not be read.
    public struct Match {
        public var path: ScanPath
        public var name: String
        public var content: Result<FileBytes, ReadProblem>
    }

    public let matcher: NameMatcher
    public let limits: ScanLimits
    /// Threads walking one tree.
    public let workers: Int
    /// Open folder descriptors waiting in the shared queue, at most.
    public let maxQueuedFolders: Int

    /// - Parameters:
    ///   - workers: threads walking this tree.
    ///   - concurrentWalks: trees walked at the same time in this process; with the
    ///     descriptor limit (`RLIMIT_NOFILE`) it sizes the queue so that all walks together
    ///     stay below the limit.
    public init(matcher: NameMatcher, limits: ScanLimits, workers: Int = 2, concurrentWalks: Int = 1) {
        self.matcher = matcher
        self.limits = limits
        self.workers = max(1, workers)
        let budget = (Self.descriptorLimit() - 64) / max(1, concurrentWalks)
        maxQueuedFolders = max(0, min(256, budget - self.workers * (limits.maxFolderDepth + 2)))
    }

    /// The soft limit on open descriptors (`RLIMIT_NOFILE`), at most 1<<20.
    static func descriptorLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        return Int(min(limit.rlim_cur, 1 << 20))
    }

    /// Raises the soft descriptor limit to the hard one (what long-running scanners do), so
    /// that wide trees and several targets at once do not run out of descriptors.
    public static func raiseDescriptorLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = min(limit.rlim_max, 1 << 20)
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }

    // d_type values (dirent.h); Swift does not import the DT_* enum reliably.
    static let typeUnknown: UInt8 = 0, typeFIFO: UInt8 = 1, typeCharacter: UInt8 = 2,
               typeDirectory: UInt8 = 4, typeBlock: UInt8 = 6, typeRegular: UInt8 = 8,
               typeLink: UInt8 = 10, typeSocket: UInt8 = 12

    /// A folder to list: an open descriptor, its path, its depth. Held by the shared queue
    /// (under its lock) or by the one worker that took it, never by two threads at once.
    final class Job: @unchecked Sendable {
        /// Taken (and so closed) by whoever lists the folder; closed with the job otherwise.
        var descriptor: OwnedDescriptor?
        let path: ScanPath
        let depth: Int

        init(descriptor: consuming OwnedDescriptor, path: ScanPath, depth: Int) {
            self.descriptor = consume descriptor
            self.path = path
            self.depth = depth
        }
    }

    /// Walks the tree under the open directory `root` (which the walker takes over and closes).
    /// `transform` runs on the worker threads, once per match.
    public func walk<T: Sendable>(root: consuming OwnedDescriptor, transform: @escaping @Sendable (Match) -> T) -> (results: [T], summary: SourceSummary) {
        let shared = SharedWalkState<T>(root: Job(descriptor: root, path: .root, depth: 0), limits: limits,
                                         maxQueued: maxQueuedFolders)
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            var worker = Worker<T>(walker: self, shared: shared, transform: transform)
            worker.run()
        }
        return shared.finish()
    }

    /// One thread's walk: takes folders from the shared queue, lists them, and keeps its own
    /// results until the end.
    struct Worker<T: Sendable> {
        let walker: DirectoryWalker
        let shared: SharedWalkState<T>
        let transform: @Sendable (Match) -> T
        var local = SourceSummary()
        var results: [T] = []
        var pendingEntries = 0
        /// Entries counted locally before the shared total is updated (small limits stay exact).
        let entryBatch: Int

        init(walker: DirectoryWalker, shared: SharedWalkState<T>, transform: @escaping @Sendable (Match) -> T) {
            self.walker = walker
            self.shared = shared
            self.transform = transform
            entryBatch = min(4096, max(1, walker.limits.maxEntries / 64))
        }

        mutating func run() {
            while let job = shared.take() {
                list(job)
                shared.done()
            }
            shared.merge(local: local, results: results, entries: pendingEntries)
        }

        /// Lists one folder (and closes its descriptor); subfolders go to the shared queue or,
        /// when it is full, are listed right away.
        mutating func list(_ job: Job) {
            guard let descriptor = job.descriptor.take(), !shared.isStopped else { return }
            let stream: DirectoryStream
            switch descriptor.directoryStream() {
            case .success(let opened): stream = opened
            case .failure(let error):
                local.unreadableDirectories.append(SkippedEntry(path: job.path.isRoot ? "." : job.path.display,
                    kind: .unreadableDirectory, detail: "could not list the directory: \(error.text)"))
                return
            }
            local.directoriesVisited += 1
            let directory = stream.descriptor
            while true {
                let entry: UnsafeMutablePointer<dirent>
                switch stream.next() {
                case .success(let next?): entry = next
                case .success(nil): return
                case .failure(let error):
                    local.unreadableDirectories.append(SkippedEntry(path: job.path.isRoot ? "." : job.path.display,
                        kind: .unreadableDirectory, detail: "listing stopped early: \(error.text)"))
                    return
                }
                pendingEntries += 1
                if pendingEntries >= entryBatch {
                    if !shared.count(entries: pendingEntries) { pendingEntries = 0; return }
                    pendingEntries = 0
                }
                let type = entry.pointee.d_type
                let keepGoing = withUnsafePointer(to: &entry.pointee.d_name) { tuple in
                    tuple.withMemoryRebound(to: UInt8.self, capacity: 256) { name in
                        handle(name: name, type: type, in: job, directory: directory)
                    }
                }
                if !keepGoing { return }
            }
        }

        /// Handles one directory entry; false stops the walk.
        mutating func handle(name: UnsafePointer<UInt8>, type reported: UInt8, in job: Job, directory: FileDescriptor) -> Bool {
            let cName = UnsafeRawPointer(name).assumingMemoryBound(to: CChar.self)
            let length = strlen(cName)
            if name[0] == 0x2e && (length == 1 || (length == 2 && name[1] == 0x2e)) { return true }
            var type = reported
            if type == DirectoryWalker.typeUnknown, case .success(let status) = Syscalls.status(of: cName, relativeTo: directory) {
                type = DirectoryWalker.dType(status.st_mode)
            }
            let matched = walker.matcher.match(name, count: length)
            if type == DirectoryWalker.typeDirectory {
                // A folder named like a watched file is reported (below) and still walked.
                descend(into: cName, name: name, length: length, of: job, directory: directory)
                if matched == nil { return true }
            }
            if type == DirectoryWalker.typeRegular && matched == nil { return true }
            let path = job.path.appending(UnsafeBufferPointer(start: name, count: length))
            guard let matched else {
                record(skip: path, type: type)
                return true
            }
            guard shared.countMatch(path: path) else { return false }
            let content: Result<FileBytes, ReadProblem>
            switch type {
            case DirectoryWalker.typeRegular, DirectoryWalker.typeUnknown:
                content = RegularFileReader.read(directory: directory, name: cName,
                                                 displayPath: path.display, maxSize: walker.limits.maxFileSize,
                                                 digests: walker.limits.digests)
            case DirectoryWalker.typeLink:
                content = .failure(ReadProblem(.symbolicLink,
                    "\(path.display) is a symbolic link; links are never followed, so its target was not read"))
            default:
                content = .failure(ReadProblem(.notRegularFile,
                    "\(path.display) is a \(DirectoryWalker.typeName(type)), not a regular file: it was not opened for reading"))
            }
            results.append(transform(Match(path: path, name: matched, content: content)))
            return true
        }

        mutating func descend(into cName: UnsafePointer<CChar>, name: UnsafePointer<UInt8>, length: Int, of job: Job, directory: FileDescriptor) {
            let path = job.path.appending(UnsafeBufferPointer(start: name, count: length))
            guard job.depth + 1 <= walker.limits.maxFolderDepth else {
                shared.hitDepthLimit(path: path)
                return
            }
            switch Syscalls.open(cName, relativeTo: directory, flags: O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK) {
            case .failure(let error):
                local.unreadableDirectories.append(SkippedEntry(path: path.display, kind: .unreadableDirectory,
                    detail: "could not open the directory: \(error.text); files in it were not looked at"))
            case .success(let descriptor):
                let child = Job(descriptor: descriptor, path: path, depth: job.depth + 1)
                // A full queue: walk it here, depth first (open folders stay bounded by the depth limit).
                if !shared.offer(child) { list(child) }
            }
        }

        mutating func record(skip path: ScanPath, type: UInt8) {
            let kind: SkippedEntry.Kind
            switch type {
            case DirectoryWalker.typeLink: kind = .symbolicLink
            case DirectoryWalker.typeFIFO: kind = .fifo
            case DirectoryWalker.typeSocket: kind = .socket
            case DirectoryWalker.typeCharacter, DirectoryWalker.typeBlock: kind = .device
            default: return
            }
            local.skippedCount += 1
            // Keep many more than are listed, so the sorted first ones do not depend on thread timing.
            if local.skipped.count < walker.limits.maxListedSkipped * 100 {
                local.skipped.append(SkippedEntry(path: path.display, kind: kind, detail: nil))
            }
        }
    }

    static func dType(_ mode: mode_t) -> UInt8 {
        switch mode & S_IFMT {
        case S_IFDIR: return typeDirectory
        case S_IFREG: return typeRegular
        case S_IFLNK: return typeLink
        case S_IFIFO: return typeFIFO
        case S_IFSOCK: return typeSocket
        case S_IFCHR: return typeCharacter
        case S_IFBLK: return typeBlock
        default: return typeUnknown
        }
    }

    static func typeName(_ type: UInt8) -> String {
        switch type {
        case typeFIFO: return "FIFO"
        case typeCharacter: return "character device"
        case typeBlock: return "block device"
        case typeSocket: return "socket"
        case typeDirectory: return "directory"
        default: return "special file"
        }
    }
}

/// The state the walk's threads share: the folder queue, the counters behind the limits, and
/// the merged results.
///
/// `@unchecked Sendable`: every stored property is read and written only while `condition`
/// is locked (each method takes the lock for its whole body), so no two threads touch them at once.
final class SharedWalkState<T: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [DirectoryWalker.Job]
    private var active = 0
    private var stopped = false
    private var entries = 0
    private var matches = 0
    private let limits: ScanLimits
    private let maxQueued: Int
    private var summary = SourceSummary()
    private var results: [T] = []

    init(root: DirectoryWalker.Job, limits: ScanLimits, maxQueued: Int) {
        queue = [root]
        self.limits = limits
        self.maxQueued = maxQueued
    }

    /// The next folder to list, waiting while other workers may still add some; nil when the walk is over.
    func take() -> DirectoryWalker.Job? {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty && active > 0 && !stopped { condition.wait() }
        if stopped {
            // Dropping the jobs closes their descriptors.
            queue.removeAll()
        }
        guard let job = queue.popLast() else {
            condition.broadcast()
            return nil
        }
        active += 1
        return job
    }

    /// Marks the folder taken by ``take()`` (and everything walked from it locally) as done.
    func done() {
        condition.lock()
        active -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// Queues a folder for any worker; false when the queue is full (the caller walks it).
    func offer(_ job: DirectoryWalker.Job) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard queue.count < maxQueued, !stopped else { return false }
        queue.append(job)
        condition.signal()
        return true
    }

    var isStopped: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopped
    }

    /// Adds a batch of entries to the total; false (and the walk stops) past `maxEntries`.
    func count(entries batch: Int) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        entries += batch
        guard entries <= limits.maxEntries else {
            stop(LimitHit(limit: "max-entries", value: Int64(limits.maxEntries),
                detail: "the walk stopped after \(limits.maxEntries) directory entries; files beyond were not looked at"))
            return false
        }
        return !stopped
    }

    /// Counts one matched file; false (and the walk stops) past `maxMatchedFiles`.
    func countMatch(path: ScanPath) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        matches += 1
        guard matches <= limits.maxMatchedFiles else {
            stop(LimitHit(limit: "max-matched-files", value: Int64(limits.maxMatchedFiles),
                detail: "more than \(limits.maxMatchedFiles) files matched; the walk stopped at \(path.display)"))
            return false
        }
        return !stopped
    }

    func hitDepthLimit(path: ScanPath) {
        condition.lock()
        defer { condition.unlock() }
        if !summary.limitsHit.contains(where: { $0.limit == "max-folder-depth" }) {
            summary.limitsHit.append(LimitHit(limit: "max-folder-depth", value: Int64(limits.maxFolderDepth),
                detail: "folders deeper than \(limits.maxFolderDepth) levels (first: \(path.display)) were not entered"))
        }
    }

    /// Called with the lock held.
    private func stop(_ hit: LimitHit) {
        if !summary.limitsHit.contains(where: { $0.limit == hit.limit }) { summary.limitsHit.append(hit) }
        stopped = true
        condition.broadcast()
    }

    /// Adds one worker's findings.
    func merge(local: SourceSummary, results more: [T], entries batch: Int) {
        condition.lock()
        defer { condition.unlock() }
        if entries + batch > limits.maxEntries && !stopped {
            stop(LimitHit(limit: "max-entries", value: Int64(limits.maxEntries),
                detail: "the walk stopped after \(limits.maxEntries) directory entries; files beyond were not looked at"))
        }
        entries += batch
        summary.directoriesVisited += local.directoriesVisited
        summary.skipped += local.skipped
        summary.skippedCount += local.skippedCount
        summary.unreadableDirectories += local.unreadableDirectories
        results += more
    }

    /// The merged, sorted outcome once every worker has returned.
    func finish() -> (results: [T], summary: SourceSummary) {
        condition.lock()
        defer { condition.unlock() }
        var final = summary
        final.entriesVisited = min(entries, limits.maxEntries)
        final.skipped.sort()
        final.skipped = Array(final.skipped.prefix(limits.maxListedSkipped))
        final.unreadableDirectories.sort()
        final.limitsHit.sort { $0.limit < $1.limit }
        return (results, final)
    }
}
