import ArgumentParser
import Foundation
import PatchAuditKit
import SystemPackage

extension FailOn: ExpressibleByArgument {}
extension ReportFormat: ExpressibleByArgument {}

struct ScanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Scan folders (mounted images, copies of Program Files or \\Windows\\System) and archives.",
        discussion: """
        Each TARGET gets a verdict: up-to-date, patch-needed, blocked, not-applicable, review or error.
        Exit status: 0 all up-to-date or not-applicable, 1 some patch-needed, 2 some blocked or \
        review, 3 some error, 64 usage error, 65 the --store file is not a patchaudit store \
        (nothing scanned), 74 the results or the run's --store entry could not be written, \
        78 a manifest is invalid or not trusted (nothing scanned).

        Each target is read in a worker process of its own kind: a crash, a loop or runaway \
        memory while reading one target makes that target an error (the reason says why and \
        where) and the others are scanned as usual.

        Examples:
          patchaudit scan /mnt/pc42
          patchaudit scan /mnt/pc* --format ndjson --jobs 4 > fleet.ndjson
          patchaudit scan /mnt/pc* --manifest acme-ol97.json --require-signed --trusted-key acme-signing.pub
          patchaudit scan pc42.zip --format hashdeep > pc42.hashdeep
          patchaudit scan --targets fleet.txt --format html --output audit.html
          patchaudit scan --targets fleet.txt --format csv --output audit.csv
          patchaudit scan --targets fleet.txt --format junit --output patchaudit-junit.xml --fail-on review
          patchaudit scan --targets fleet.txt --format prometheus --output /var/lib/node_exporter/textfile/patchaudit.prom
          patchaudit scan --targets fleet.txt --format ndjson --output fleet.ndjson --resume
          patchaudit scan --targets fleet.txt --shard 3/16 --format ndjson --output shard-3.ndjson --resume
          patchaudit scan --targets fleet.txt --format ndjson --output monday.ndjson --store audit.sqlite
        """
    )

    @Argument(help: ArgumentHelp("Folders, archives and disk images to scan (- for an archive on standard input).", valueName: "target"))
    var targets: [String] = []

    @Option(name: .customLong("targets"), help: ArgumentHelp("Also scan the targets listed in this file, one per line (- for standard input; blank lines and # comments are ignored; repeatable).", valueName: "file"))
    var targetLists: [String] = []

    @Option(name: .customLong("targets0"), help: ArgumentHelp("Also scan the targets listed in this file, NUL-separated as find -print0 writes them (- for standard input; repeatable).", valueName: "file"))
    var targetLists0: [String] = []

    @Flag(help: "Resume an interrupted run: targets that already have a complete line in the --output file (ndjson, same manifests) are not scanned again, and new lines are appended.")
    var resume = false

    @Flag(help: "With --resume: scan the targets whose earlier result was error again.")
    var retryErrors = false

    @Option(help: ArgumentHelp("Scan only shard I of N (1-based): the targets whose name hashes to it. Without it, Slurm's SLURM_ARRAY_TASK_ID/_COUNT/_MIN, or Kubernetes' JOB_COMPLETION_INDEX with --shard-total, choose the shard.", valueName: "I/N"))
    var shard: String?

    @Option(help: ArgumentHelp("How many shards a Kubernetes Indexed Job's JOB_COMPLETION_INDEX counts from (the Job's completions).", valueName: "N"))
    var shardTotal: Int?

    @Flag(name: .shortAndLong, help: "No progress and no summary on standard error (warnings and errors still show).")
    var quiet = false

    @Flag(help: "Print a progress line to standard error every 10 s even when it is not a terminal (for the logs of batch jobs).")
    var progress = false

    @Option(name: .customLong("manifest"), help: ArgumentHelp("Manifest to use instead of the shipped ones (repeatable).", valueName: "file"))
    var manifests: [String] = []

    @Option(help: "Output format: table, json (one document), ndjson (one target per line), hashdeep (the files read, as a hashdeep known-file list), csv (a row per target), csv-files (a row per file), html (one page), junit (JUnit XML) or prometheus (node_exporter textfile).")
    var format: ReportFormat = .table

    @OptionGroup var trust: TrustOptions

    @Flag(help: "Refuse (exit 78, nothing scanned) any manifest not signed by a --trusted-key (giving --trusted-key already does; this flag makes a missing --trusted-key a usage error).")
    var requireSigned = false

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the results to this file instead of standard output.", valueName: "file"))
    var output: String?

    @Option(help: ArgumentHelp("Lowest verdict that makes the exit status non-zero: patch-needed, review, error or none.", valueName: "level"))
    var failOn: FailOn = .patchNeeded

    @Option(help: ArgumentHelp("Also add the run to this SQLite history store (created when missing; see `patchaudit history` and `patchaudit diff`, and the README's History store section).", valueName: "file"))
    var store: String?

    @Option(help: "Targets scanned at once.")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: ArgumentHelp("Largest file read, in bytes (a hit is reported and makes the target review).", valueName: "bytes"))
    var maxFileSize: Int64 = ScanLimits().maxFileSize

    @Option(help: ArgumentHelp("Directory entries looked at per target before the walk stops.", valueName: "count"))
    var maxEntries: Int = ScanLimits().maxEntries

    @Option(help: ArgumentHelp("Deepest folder nesting entered.", valueName: "levels"))
    var maxFolderDepth: Int = ScanLimits().maxFolderDepth

    @Option(help: ArgumentHelp("Levels of archives inside an archive target that are opened (0: none).", valueName: "levels"))
    var maxDepth: Int = ScanLimits().maxArchiveDepth

    @Option(help: ArgumentHelp("Decompressed bytes read per target, all nesting levels together.", valueName: "bytes"))
    var maxTotalBytes: Int64 = ScanLimits().maxTotalBytes

    @Option(help: ArgumentHelp("Largest nested 7-Zip or ISO image held in memory to read it (only one that arrives compressed in a stream that cannot be read twice, as in a .tar.gz; other nested archives are streamed).", valueName: "bytes"))
    var maxNestedSize: Int64 = ScanLimits().maxNestedArchiveSize

    @Option(help: ArgumentHelp("Longest one target may take (30s, 10m, 2h; a plain number is seconds); past it the target is stopped and reported as an error.", valueName: "duration"))
    var targetTimeout: TargetDuration = TargetDuration(seconds: 30 * 60)

    @Option(help: ArgumentHelp("Most resident memory one target may use, in bytes; past it the target is stopped and reported as an error.", valueName: "bytes"))
    var workerMemory: Int64 = 2 << 30

    @Option(help: ArgumentHelp("Digests computed for each file read: a comma list of sha256, sha1, md5. SHA-256 is always computed; --format hashdeep adds md5, and a manifest that records a build by SHA-1 or MD5 alone adds that one.", valueName: "list"))
    var digests: DigestSelection = .sha256

    @Flag(help: "List deleted files of disk images whose names the manifests watch, as stray copies marked deleted (read from whatever clusters remain; never part of a verdict).")
    var includeDeleted = false

    @Flag(help: ArgumentHelp("Read every target in this process, without worker processes: no crash isolation (for measurements and debugging).", visibility: .hidden))
    var inProcess = false

    @Flag(help: "Never colour the table (NO_COLOR in the environment does the same).")
    var noColor = false

    func validate() throws {
        if requireSigned && trust.trustedKeyPaths.isEmpty {
            throw ValidationError("--require-signed needs the signer's public key: add --trusted-key PUB")
        }
        if targets.filter({ $0 == "-" }).count > 1 {
            throw ValidationError("standard input (-) can be named only once")
        }
        if (targetLists + targetLists0).filter({ $0 == "-" }).count + (targets.contains("-") ? 1 : 0) > 1 {
            throw ValidationError("standard input (-) can be read only once: as a target or as one --targets list")
        }
        if targets.isEmpty && targetLists.isEmpty && targetLists0.isEmpty {
            throw ValidationError("name at least one target, or a list of them with --targets FILE")
        }
        if resume {
            guard output != nil, format == .ndjson else {
                throw ValidationError("--resume needs --format ndjson and --output FILE: that file is the journal it resumes from")
            }
            if store != nil {
                throw ValidationError("--store does not go with --resume yet (the store would lack the targets of the earlier attempts): resume without --store, then add the finished run with `patchaudit merge \(output ?? "OUTPUT") --store FILE --format ndjson --output /dev/null`")
            }
        } else if retryErrors {
            throw ValidationError("--retry-errors goes with --resume")
        }
        if quiet && progress { throw ValidationError("--quiet and --progress contradict each other; choose one") }
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
        guard maxFileSize >= 1 else { throw ValidationError("--max-file-size must be at least 1 byte") }
        guard maxEntries >= 1 else { throw ValidationError("--max-entries must be at least 1") }
        guard maxFolderDepth >= 0 else { throw ValidationError("--max-folder-depth must not be negative") }
        guard maxDepth >= 0 else { throw ValidationError("--max-depth must not be negative") }
        guard maxTotalBytes >= 1, maxNestedSize >= 0 else { throw ValidationError("--max-total-bytes must be positive and --max-nested-size not negative") }
        guard workerMemory >= 64 << 20 else { throw ValidationError("--worker-memory must be at least 64 MiB (67108864 bytes): a worker alone needs about 30 MiB") }
    }

    func run() async throws {
        do {
            try await scan()
        } catch let error as ExitCode {
            throw error
        } catch let error as ValidationError {
            throw error
        } catch {
            // Not 1-3: a script must never read a failed write as a verdict.
            standardError("patchaudit: could not write the results to \(output ?? "standard output"): \(describeWriteError(error))\n")
            throw ExitCode(74)
        }
    }

    func scan() async throws {
        prepareForScanning()
        let started = ContinuousClock.now
        let (all, run, shardNote) = try selectTargets()
        // Every target of the list, not only this shard's: another shard reads the others.
        if let output, let refusal = OutputFiles.refusal(for: output, targets: all, inputs: manifests + trust.trustedKeyPaths + targetLists + targetLists0) {
            throw failure("--output: \(refusal)", status: ExitStatus.usage, then: "Nothing was scanned.")
        }
        let startedAt = Date()
        let loaded: [LoadedManifest]
        let keys = try trust.keys()
        do {
            // A trusted key means every manifest must carry its signature: otherwise deleting a
            // .sig would be the way around a failing one.
            loaded = try ManifestSelection.load(explicit: manifests, trust: ManifestTrust(trustedKeys: keys, requireSigned: requireSigned || !keys.isEmpty))
        } catch {
            standardError("patchaudit: manifest refused: \(TerminalText.safe(error.description))\nNothing was scanned.\n")
            throw ExitCode(78)
        }
        // After the manifests: a run refused for them leaves no new store behind.
        let recorder = try store.map {
            try StoreOption.open($0, targets: all, inputs: manifests + trust.trustedKeyPaths + targetLists + targetLists0,
                                 output: output, then: "Nothing was scanned.")
        }
        var limits = ScanLimits()
        limits.maxFileSize = maxFileSize
        limits.maxEntries = maxEntries
        limits.maxFolderDepth = maxFolderDepth
        limits.includeDeleted = includeDeleted
        limits.maxArchiveDepth = maxDepth
        limits.maxTotalBytes = maxTotalBytes
        limits.maxNestedArchiveSize = maxNestedSize
        limits.digests = DigestSelection.forScan(requested: digests, format: format, manifests: loaded.map(\.manifest))
        guard let executable = ShippedManifests.executablePath() else {
            standardError("patchaudit: cannot find its own executable to start worker processes (is /proc mounted?)\n")
            throw ExitCode(74)
        }
        var setup = WorkerSetup(manifests: loaded, limits: limits, walkers: 2, memoryLimit: workerMemory,
                                targetTimeout: targetTimeout.seconds)
        // ndjson lines are written as each worker renders them (from the same model, with the
        // same manifests): the report is then encoded once, not decoded and encoded again here.
        setup.renderLines = format.takesRenderedLines
        var pool = WorkerPool(executable: executable, arguments: ["worker"], setup: setup, jobs: jobs)
        // A worker that dies while a request is being written to it must not end this
        // process with SIGPIPE: writes then fail with EPIPE, and the worker's death is reported.
        // (A closed standard output still ends patchaudit with SIGPIPE: OutputSink re-raises it.)
        signal(SIGPIPE, SIG_IGN)

        let uses = loaded.map(ManifestUse.init)
        var summary = RunSummary()
        summary.shard = shardNote?.shard.description
        if let shardNote, !quiet { note(shardNote.text) }
        let sink: OutputSink
        var pending = run
        if resume, let output {
            let journal: ResumeJournal
            (sink, journal) = try OutputSink.resuming(path: output, manifestDigests: uses.map(\.sha256), retryErrors: retryErrors)
            pending = run.filter { journal.done[ExactName($0)] == nil }
            for target in run {
                if let facts = journal.done[ExactName(target)] { summary.add(facts.verdict, cause: facts.cause, resumed: true) }
            }
            if !quiet { note("patchaudit: resuming \(output): \(journal.summary); \(pending.count) of \(run.count) targets left to scan") }
        } else {
            sink = try OutputSink(path: output, replacing: format.replacesOutput)
        }

        let stream = sink.reportStream(format: format, manifests: uses, noColor: noColor, failOn: failOn, recorder: recorder)
        let display = ProgressDisplay(mode: progressMode(resultsOnTerminal: sink.isTerminal), total: pending.count)
        pool.onStart = { display.started(index: $0, target: $1) }
        pool.onFinish = { display.finished(index: $0, verdict: $1) }
        let tally = Tally(summary)
        let emit: @Sendable (ScanResult) throws -> Void = { result in
            tally.add(result.verdict, cause: result.errorCause)
            switch result {
            case .line(_, let verdict, let bytes): try stream.add(line: bytes, verdict: verdict)
            case .report(let report): try stream.add(report)
            }
        }
        try stream.begin()
        display.begin()
        do {
            // The progress line is cleared before anything else is said, whatever ends the run.
            defer { display.end() }
            if inProcess {
                let scanner = TargetScanner(configuration: ScanConfiguration(manifests: loaded, limits: limits, jobs: jobs))
                let order = Counter()
                _ = try await scanner.scan(targets: pending) { report in
                    display.finished(index: order.next(), verdict: report.verdict)
                    try emit(.report(report))
                }
            } else {
                // A journal (--resume) gets each line as its target finishes: one slow target
                // must not keep every later result unwritten, and lost at a kill.
                _ = try await pool.scan(targets: pending, keepReports: false, ordered: !resume, emit: emit)
            }
        } catch let refused as WorkerPool.SetupRefused {
            standardError("patchaudit: manifest refused: \(TerminalText.safe(refused.description))\nThe scan stopped.\n")
            throw ExitCode(78)
        }
        summary = tally.summary
        try stream.finish(RunEnd(summary: summary, elapsed: (ContinuousClock.now - started).inSeconds))
        try sink.close()
        // A table on the terminal already ends with the summary line.
        if summary.targets > 1 && !quiet && !(format.endsWithSummary && sink.isTerminal) {
            note("patchaudit: " + summary.text(elapsed: (ContinuousClock.now - started).inSeconds))
        }
        let status = summary.exitStatus(failOn: failOn)
        if let recorder, let store {
            try StoreOption.commit(recorder, path: store, run: RunRecorder.Run(
                command: "scan", commandLine: StoreOption.commandLine, format: format.rawValue, failOn: failOn.rawValue,
                startedAt: startedAt, manifests: uses, summary: summary, exitStatus: status), output: output, format: format, quiet: quiet)
        }
        if status != 0 { throw ExitCode(status) }
    }

    /// The targets of this run: the positional ones, then each list's, each once (`all`); of
    /// them, the shard's when there is one (`run`, and the line that says so).
    ///
    /// Slurm's and Kubernetes' variables choose a shard only for a run over a target list
    /// (`--targets`, `--targets0`): an array task that names its own machine on the command
    /// line (`scan /nas/pc$SLURM_ARRAY_TASK_ID.E01`) scans it, as before shards existed.
    func selectTargets() throws -> (all: [String], run: [String], shard: ShardNote?) {
        if targets.contains("-") {
            // `--targets /dev/stdin -` would read standard input twice.
            var input = stat(), listed = stat()
            for path in targetLists + targetLists0 where fstat(STDIN_FILENO, &input) == 0 && stat(path, &listed) == 0
                && input.st_dev == listed.st_dev && input.st_ino == listed.st_ino {
                throw failure("--targets \(path) is standard input, which - also names as a target; read it once", status: ExitStatus.usage, then: "Nothing was scanned.")
            }
        }
        var list = TargetList()
        for target in targets { list.add(target) }
        do {
            for path in targetLists { try list.add(listAt: path, separator: .newline) }
            for path in targetLists0 { try list.add(listAt: path, separator: .nul) }
        } catch {
            throw failure(error.description, status: ExitStatus.usage, then: "Nothing was scanned.")
        }
        if list.targets.isEmpty {
            throw failure("the target lists name no target (only blank lines and comments)", status: ExitStatus.usage, then: "Nothing was scanned.")
        }
        if list.duplicates > 0 && !quiet {
            note("patchaudit: \(list.duplicates) target\(list.duplicates == 1 ? " was" : "s were") named more than once; each is scanned once")
        }
        let fromList = !(targetLists.isEmpty && targetLists0.isEmpty)
        let selected: (shard: Shard, origin: Shard.Origin)?
        do {
            selected = try Shard.select(flag: shard, shardTotal: shardTotal, environment: fromList ? ProcessInfo.processInfo.environment : [:])
        } catch {
            throw failure(error.description, status: ExitStatus.usage, then: "Nothing was scanned.")
        }
        guard let selected else { return (list.targets, list.targets, nil) }
        let mine = list.targets.filter(selected.shard.contains)
        return (list.targets, mine, ShardNote(shard: selected.shard, origin: selected.origin, taken: mine.count, of: list.targets.count))
    }

    /// Which shard ran, from where, and how many targets it took: said on standard error.
    struct ShardNote {
        var shard: Shard
        var origin: Shard.Origin
        var taken: Int
        var of: Int

        var text: String {
            let from = switch origin {
            case .flag: "--shard"
            case .slurm: "SLURM_ARRAY_TASK_ID"
            case .kubernetes: "JOB_COMPLETION_INDEX"
            }
            return "patchaudit: shard \(shard) (from \(from)): \(taken) of \(of) targets"
        }
    }

    func progressMode(resultsOnTerminal: Bool) -> ProgressDisplay.Mode {
        if quiet { return .off }
        let stderrIsTerminal = isatty(STDERR_FILENO) == 1
        // Results on the same terminal would be torn by a line redrawn between them.
        if stderrIsTerminal && !resultsOnTerminal { return .terminal }
        return progress ? .log : .off
    }

}

/// The run's summary as results arrive (from the emit callback, under WorkerPool's lock).
final class Tally: @unchecked Sendable {
    // @unchecked Sendable: `value` is touched with `lock` held.
    private let lock = NSLock()
    private var value: RunSummary

    init(_ summary: RunSummary) { value = summary }

    func add(_ verdict: Verdict, cause: String?) { lock.withLock { value.add(verdict, cause: cause) } }

    var summary: RunSummary { lock.withLock { value } }
}

/// The position of each result in the run: results are emitted in target order, one at a time.
final class Counter: @unchecked Sendable {
    // @unchecked Sendable: `count` is touched with `lock` held.
    private let lock = NSLock()
    private var count = 0

    func next() -> Int { lock.withLock { defer { count += 1 }; return count } }
}

/// What every command that scans sets up first: as many descriptors as the walker may use, and
/// TZ. libarchive turns every zip entry's DOS time into a time_t with mktime(); with TZ unset,
/// glibc stats /etc/localtime on each call (two syscalls per entry, about half the time of a
/// 60,000-entry zip). Reports carry no times, so UTC changes no output.
func prepareForScanning() {
    DirectoryWalker.raiseDescriptorLimit()
    // No core files, in the supervisor either (--in-process reads targets itself): a crash must
    // never write into the working directory, which may be the evidence.
    var none = rlimit(rlim_cur: 0, rlim_max: 0)
    _ = setrlimit(Int32(RLIMIT_CORE.rawValue), &none)
    if getenv("TZ") == nil { setenv("TZ", "UTC", 1) }
}

/// What went wrong while writing results, for people: an errno's text, or the error's own
/// description (which says what to do), never Foundation's "The operation could not be completed".
func describeWriteError(_ error: any Error) -> String {
    if let errno = error as? Errno { return errno.text }
    if error is CocoaError || type(of: error) is NSError.Type { return error.localizedDescription }
    return String(describing: error)
}

/// Where results go: standard output or the `--output` file.
///
/// A regular `--output` file is synced (fsync) at least every ``syncInterval`` while lines are
/// written and when it is closed, so that after a crash of the machine, not only of the
/// process, an ndjson journal lost at most the last few seconds (`--resume` scans those again).
final class OutputSink: @unchecked Sendable {
    // @unchecked Sendable: written only from the scan's emit callback, which WorkerPool.scan
    // calls under one lock (in target order, never two at once); closed once, after the scan.
    private let descriptor: FileDescriptor
    /// The `--output` file (nil for standard output, which is not ours to close).
    private var owned: OwnedDescriptor?
    let isTerminal: Bool
    /// Whether the output is a regular file (synced), not a pipe, FIFO or device.
    private let isRegular: Bool
    private var lastSync = ContinuousClock.now
    static let syncInterval: Duration = .seconds(2)

    /// The temporary file that ``close()`` renames over the `--output` path (`replacing`).
    private var pendingRename: (temporary: String, final: String)?

    /// - Parameter replacing: write a regular `--output` file under a temporary name beside it
    ///   and rename it into place when it is complete, so a reader (node_exporter's textfile
    ///   collector) never sees half of it and a failed run leaves the old one. A device or
    ///   FIFO is written through.
    init(path: String?, replacing: Bool = false) throws {
        guard let path else {
            descriptor = .standardOutput
            owned = nil
            isTerminal = isatty(STDOUT_FILENO) == 1
            isRegular = false
            return
        }
        var existing = stat()
        let exists = stat(path, &existing) == 0
        if replacing && (!exists || (existing.st_mode & S_IFMT) == S_IFREG) {
            guard !exists || existing.st_nlink <= 1 else {
                throw failure("--output \(path) has \(existing.st_nlink) hard links, and one of them could be a file of the evidence; write the results to a new file", status: ExitStatus.usage, then: "Nothing was scanned.")
            }
            let final = OutputFiles.realPath(path) ?? path
            let url = URL(fileURLWithPath: final)
            let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp").path
            switch Syscalls.create(path: temporary, flags: O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: 0o600) {
            case .failure(let error):
                throw failure("cannot write --output \(path) (through \(temporary)): \(error.text); check the folder is writable", status: ExitStatus.cannotWrite, then: "Nothing was scanned.")
            case .success(let file):
                // The mode a new file gets (or the old file's), so the collector can read it.
                _ = fchmod(file.raw.rawValue, exists ? existing.st_mode & 0o7777 : 0o644 & ~OutputFiles.umaskValue)
                descriptor = file.raw
                owned = consume file
            }
            pendingRename = (temporary, final)
            isTerminal = false
            isRegular = true
            return
        }
        let file = try Self.open(path, then: "Nothing was scanned.")
        if case .success(let status) = file.status(), (status.st_mode & S_IFMT) == S_IFREG {
            _ = ftruncate(file.raw.rawValue, 0)
            isRegular = true
        } else {
            isRegular = false
        }
        OutputFiles.clearNonBlocking(file.raw)
        descriptor = file.raw
        owned = consume file
        isTerminal = false
    }

    deinit {
        // A run that failed before close() leaves no temporary file behind.
        if let pendingRename { unlink(pendingRename.temporary) }
    }

    private init(appendingTo file: consuming OwnedDescriptor) {
        descriptor = file.raw
        owned = consume file
        isTerminal = false
        isRegular = true
    }

    /// Opens `path` for writing without truncating it: O_NONBLOCK, so a FIFO without a reader
    /// is an error (ENXIO), not a hang; a regular file with other names is refused.
    private static func open(_ path: String, flags: Int32 = O_WRONLY | O_CREAT | O_NONBLOCK, then: String) throws -> OwnedDescriptor {
        // open(2), not FileManager.createFile: that one writes a new file and renames it over
        // the path, which would replace a device such as /dev/stdout or a named pipe.
        switch Syscalls.create(path: path, flags: flags, mode: 0o644) {
        case .failure(let error):
            let reason = error == .noSuchAddressOrDevice ? "it is a FIFO with no reader" : error.text
            throw failure("cannot write --output \(path): \(reason)", status: ExitStatus.cannotWrite, then: then)
        case .success(let file):
            if case .success(let status) = file.status(), (status.st_mode & S_IFMT) == S_IFREG {
                // Results are written in place: a file with other names could be a file of the evidence.
                guard status.st_nlink <= 1 else {
                    throw failure("--output \(path) has \(status.st_nlink) hard links, and one of them could be a file of the evidence; write the results to a new file", status: ExitStatus.usage, then: then)
                }
            }
            return file
        }
    }

    /// `--resume`: reads the journal at `path` (a regular file, or none yet), leaves in it only
    /// the lines that stand (``ResumeJournal``), and returns a sink that appends after them.
    ///
    /// The journal is locked (`flock`, exclusive) for the whole run: a second run resuming the
    /// same file (a requeued task while the first still runs, two shards given one file) is
    /// refused instead of writing lines twice. Lines are dropped from the middle by copying the
    /// kept ones, line by line, to `.NAME.resume` beside it (locked too), syncing it, and
    /// renaming it over the journal: a kill during the rewrite leaves the old file or the new
    /// one, and a stale `.NAME.resume` is removed by the next run.
    static func resuming(path: String, manifestDigests: [String], retryErrors: Bool) throws -> (OutputSink, ResumeJournal) {
        let then = "Nothing was scanned."
        let file = try open(path, flags: O_RDWR | O_CREAT | O_NONBLOCK, then: then)
        guard case .success(let status) = file.status(), (status.st_mode & S_IFMT) == S_IFREG else {
            throw failure("--resume: --output \(path) is not a regular file, so it cannot be resumed from; name a file", status: ExitStatus.usage, then: then)
        }
        OutputFiles.clearNonBlocking(file.raw)
        try lock(file.raw, path: path, then: then)
        let journal: ResumeJournal
        do {
            journal = try ResumeJournal(descriptor: file.raw.rawValue, name: path, manifestDigests: manifestDigests, retryErrors: retryErrors)
        } catch {
            throw failure(error.description, status: ExitStatus.usage, then: then)
        }
        let url = URL(fileURLWithPath: OutputFiles.realPath(path) ?? path)
        let rewrite = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).resume").path
        var target = consume file
        if journal.needsRewrite {
            unlink(rewrite)
            let copy: OwnedDescriptor
            switch Syscalls.create(path: rewrite, flags: O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, mode: status.st_mode & 0o7777) {
            case .failure(let error):
                throw failure("--resume: lines must be dropped from \(path), which is done by writing the kept ones to \(rewrite), but that failed: \(error.text); make the folder writable, or resume without --retry-errors and with the same manifests", status: ExitStatus.cannotWrite, then: then)
            case .success(let created):
                copy = created
            }
            try lock(copy.raw, path: rewrite, then: then)
            for span in journal.kept {
                guard var line = NDJSONFile.line(at: span, in: target.raw.rawValue) else {
                    unlink(rewrite)
                    throw failure("--resume: \(path) changed while it was read; is another program writing it?", status: ExitStatus.cannotWrite, then: then)
                }
                line.append(0x0a)
                if case .failure(let error) = Syscalls.write(copy.raw, Data(line)) {
                    unlink(rewrite)
                    throw failure("--resume: cannot write \(rewrite): \(error.text)", status: ExitStatus.cannotWrite, then: then)
                }
            }
            _ = fchmod(copy.raw.rawValue, status.st_mode & 0o7777)
            guard fsync(copy.raw.rawValue) == 0, rename(rewrite, url.path) == 0 else {
                let reason = Errno(rawValue: errno).text
                unlink(rewrite)
                throw failure("--resume: cannot replace \(path) with the kept lines: \(reason)", status: ExitStatus.cannotWrite, then: then)
            }
            try? target.close()
            target = copy
        } else {
            unlink(rewrite)
            if journal.extent.torn > 0 {
                guard ftruncate(target.raw.rawValue, off_t(journal.extent.complete)) == 0, fsync(target.raw.rawValue) == 0 else {
                    throw failure("--resume: cannot cut the last, incomplete line off \(path): \(Errno(rawValue: errno).text)", status: ExitStatus.cannotWrite, then: then)
                }
            }
        }
        // Appends from here, on the descriptor that holds the lock.
        _ = fcntl(target.raw.rawValue, F_SETFL, fcntl(target.raw.rawValue, F_GETFL) | O_APPEND)
        return (OutputSink(appendingTo: target), journal)
    }

    /// Takes the journal's lock, or refuses: another run is resuming it.
    private static func lock(_ descriptor: FileDescriptor, path: String, then: String) throws {
        guard flock(descriptor.rawValue, LOCK_EX | LOCK_NB) == 0 else {
            if errno == EWOULDBLOCK {
                throw failure("--resume: another patchaudit run is writing \(path) (it holds the file's lock); wait for it to end, or give this run its own --output", status: ExitStatus.usage, then: then)
            }
            throw failure("--resume: cannot lock \(path): \(Errno(rawValue: errno).text)", status: ExitStatus.cannotWrite, then: then)
        }
    }

    /// The writer of `format` into this sink, as `scan` and `merge` make it: colour only on a
    /// terminal without NO_COLOR; the command line for hashdeep's header, JUnit and the HTML
    /// report; the start time, or SOURCE_DATE_EPOCH's when it is set (reproducible reports).
    func reportStream(format: ReportFormat, manifests: [ManifestUse], noColor: Bool, failOn: FailOn,
                      recorder: (any TargetRecorder)? = nil) -> ReportStream {
        let environment = ProcessInfo.processInfo.environment
        let command = CommandLine.arguments.map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
        let colour = !noColor && isTerminal && environment["NO_COLOR"].map(\.isEmpty) ?? true
        let epoch = environment["SOURCE_DATE_EPOCH"].flatMap(Int64.init).map { Date(timeIntervalSince1970: Double($0)) }
        let context = ReportContext(manifests: manifests, colour: colour, command: command,
                                    directory: FileManager.default.currentDirectoryPath, failOn: failOn,
                                    startedAt: epoch ?? Date())
        return ReportStream(format: format, context: context, recorder: recorder) { try self.write($0) }
    }

    func write(_ data: Data) throws {
        switch Syscalls.write(descriptor, data) {
        case .success:
            if isRegular, ContinuousClock.now - lastSync >= Self.syncInterval {
                _ = fsync(descriptor.rawValue)
                lastSync = .now
            }
        case .failure(.brokenPipe):
            // The reader is gone (`patchaudit scan ... | head`): end as Unix tools do, by SIGPIPE,
            // which the scan otherwise ignores for its workers' pipes.
            signal(SIGPIPE, SIG_DFL)
            raise(SIGPIPE)
            throw Errno.brokenPipe
        case .failure(let error):
            throw error
        }
    }

    func close() throws {
        guard let file = owned.take() else { return }
        if isRegular { _ = fsync(file.raw.rawValue) }
        try file.close()
        if let (temporary, final) = pendingRename {
            guard rename(temporary, final) == 0 else {
                throw failure("cannot put the results in place at \(final): \(Errno(rawValue: errno).text)", status: ExitStatus.cannotWrite)
            }
            pendingRename = nil
        }
    }
}

/// The manifests a command uses: the ones named with --manifest, else the shipped ones.
enum ManifestSelection {
    static func load(explicit: [String], trust: ManifestTrust = ManifestTrust()) throws(ManifestError) -> [LoadedManifest] {
        if !explicit.isEmpty { return try ManifestLoader.load(paths: explicit, trust: trust) }
        switch ShippedManifests.directory() {
        case .success(let directory):
            return try ManifestLoader.load(paths: try ShippedManifests.paths(in: directory), trust: trust)
        case .failure(let error):
            throw error
        }
    }
}

/// A time span on the command line: `90`, `90s`, `15m`, `2h`, `1.5h`.
struct TargetDuration: ExpressibleByArgument, Sendable {
    var seconds: Double

    init(seconds: Double) {
        self.seconds = seconds
    }

    init?(argument: String) {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        var text = argument.trimmingCharacters(in: .whitespaces).lowercased()
        var scale = 1.0
        for (suffix, factor) in units where text.hasSuffix(suffix) && Double(text.dropLast(suffix.count)) != nil {
            text.removeLast(suffix.count)
            scale = factor
            break
        }
        guard let value = Double(text), value.isFinite, value > 0, value * scale <= 366 * 86_400 else { return nil }
        seconds = value * scale
    }

    var defaultValueDescription: String { seconds.truncatingRemainder(dividingBy: 60) == 0 ? "\(Int(seconds / 60))m" : "\(seconds)s" }
}
