import ArgumentParser
import Foundation
import PatchAuditKit
import SystemPackage

/// Which verdicts make `scan` exit non-zero.
enum FailOn: String, ExpressibleByArgument, CaseIterable {
    /// patch-needed (1), blocked or review (2), error (3): the default.
    case patchNeeded = "patch-needed"
    /// Only blocked, review (2) and error (3).
    case review
    /// Only error (3).
    case error
    /// Always 0.
    case none

    func exitStatus(for verdicts: [Verdict]) -> Int32 {
        let threshold: Int32 = switch self {
        case .patchNeeded: 1
        case .review: 2
        case .error: 3
        case .none: 99
        }
        return verdicts.map(\.exitStatus).filter { $0 >= threshold }.max() ?? 0
    }
}

extension ReportFormat: ExpressibleByArgument {}

struct ScanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Scan folders (mounted images, copies of Program Files or \\Windows\\System) and archives.",
        discussion: """
        Each TARGET gets a verdict: up-to-date, patch-needed, blocked, not-applicable, review or error.
        Exit status: 0 all up-to-date or not-applicable, 1 some patch-needed, 2 some blocked or \
        review, 3 some error, 64 usage error, 74 the results could not be written, \
        78 a manifest is invalid or not trusted (nothing scanned).

        Each target is read in a worker process of its own kind: a crash, a loop or runaway \
        memory while reading one target makes that target an error (the reason says why and \
        where) and the others are scanned as usual.

        Examples:
          patchaudit scan /mnt/pc42
          patchaudit scan /mnt/pc* --format ndjson --jobs 4 > fleet.ndjson
          patchaudit scan /mnt/pc* --manifest acme-ol97.json --require-signed --trusted-key acme-signing.pub
          patchaudit scan pc42.zip --format hashdeep > pc42.hashdeep
        """
    )

    @Argument(help: ArgumentHelp("Folders and archive files to scan (- for an archive on standard input).", valueName: "target"))
    var targets: [String]

    @Option(name: .customLong("manifest"), help: ArgumentHelp("Manifest to use instead of the shipped ones (repeatable).", valueName: "file"))
    var manifests: [String] = []

    @Option(help: "Output format: table, json (one document), ndjson (one target per line) or hashdeep (the files read, as a hashdeep known-file list).")
    var format: ReportFormat = .table

    @OptionGroup var trust: TrustOptions

    @Flag(help: "Refuse (exit 78, nothing scanned) any manifest not signed by a --trusted-key (giving --trusted-key already does; this flag makes a missing --trusted-key a usage error).")
    var requireSigned = false

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the results to this file instead of standard output.", valueName: "file"))
    var output: String?

    @Option(help: ArgumentHelp("Lowest verdict that makes the exit status non-zero: patch-needed, review, error or none.", valueName: "level"))
    var failOn: FailOn = .patchNeeded

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
        if let output, let refusal = OutputFiles.refusal(for: output, targets: targets, inputs: manifests + trust.trustedKeyPaths) {
            throw ValidationError("--output: \(refusal)")
        }
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
            FileHandle.standardError.write(Data("patchaudit: could not write the results: \(error.localizedDescription)\n".utf8))
            throw ExitCode(74)
        }
    }

    func scan() async throws {
        prepareForScanning()
        let loaded: [LoadedManifest]
        let keys = try trust.keys()
        do {
            // A trusted key means every manifest must carry its signature: otherwise deleting a
            // .sig would be the way around a failing one.
            loaded = try ManifestSelection.load(explicit: manifests, trust: ManifestTrust(trustedKeys: keys, requireSigned: requireSigned || !keys.isEmpty))
        } catch {
            FileHandle.standardError.write(Data("patchaudit: manifest refused: \(TerminalText.safe(error.description))\nNothing was scanned.\n".utf8))
            throw ExitCode(78)
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
            FileHandle.standardError.write(Data("patchaudit: cannot find its own executable to start worker processes (is /proc mounted?)\n".utf8))
            throw ExitCode(74)
        }
        var setup = WorkerSetup(manifests: loaded, limits: limits, walkers: 2, memoryLimit: workerMemory,
                                targetTimeout: targetTimeout.seconds)
        // ndjson lines are written as each worker renders them (from the same model, with the
        // same manifests): the report is then encoded once, not decoded and encoded again here.
        setup.renderLines = format == .ndjson
        let pool = WorkerPool(executable: executable, arguments: ["worker"], setup: setup, jobs: jobs)
        // A worker that dies while a request is being written to it must not end this
        // process with SIGPIPE: writes then fail with EPIPE, and the worker's death is reported.
        // (A closed standard output still ends patchaudit with SIGPIPE: OutputSink re-raises it.)
        signal(SIGPIPE, SIG_IGN)

        let sink = try OutputSink(path: output)
        let table = TableReport(colour: !noColor && sink.isTerminal && ProcessInfo.processInfo.environment["NO_COLOR"].map(\.isEmpty) ?? true)
        let format = self.format
        let progress = Progress(total: targets.count, enabled: isatty(STDERR_FILENO) == 1 && !(format == .table && sink.isTerminal))
        let uses = loaded.map(ManifestUse.init)
        if format == .table { try sink.write(Data(table.renderManifests(uses).utf8)) }
        if format == .hashdeep {
            let command = CommandLine.arguments.map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
            try sink.write(Data(HashdeepReport.header(invokedFrom: FileManager.default.currentDirectoryPath, command: command).utf8))
        }
        let results: [ScanResult]
        do {
            let emit: @Sendable (ScanResult) throws -> Void = { result in
                progress.finished(target: result.target, verdict: result.verdict)
                switch (format, result) {
                case (.ndjson, .line(_, _, let bytes)): try sink.write(Data(bytes))
                case (.ndjson, .report(let report)): try sink.write(JSONReport.line(report, manifests: uses))
                case (.table, .report(let report)): try sink.write(Data(table.render(report).utf8))
                case (.hashdeep, .report(let report)): try sink.write(Data(HashdeepReport.rows(report).utf8))
                case (.json, _), (.table, .line), (.hashdeep, .line): break
                }
            }
            if inProcess {
                let scanner = TargetScanner(configuration: ScanConfiguration(manifests: loaded, limits: limits, jobs: jobs))
                results = try await scanner.scan(targets: targets) { try emit(.report($0)) }.map { .report($0) }
            } else {
                results = try await pool.scan(targets: targets, keepReports: format == .json, emit: emit)
            }
        } catch let refused as WorkerPool.SetupRefused {
            FileHandle.standardError.write(Data("patchaudit: manifest refused: \(TerminalText.safe(refused.description))\nThe scan stopped.\n".utf8))
            throw ExitCode(78)
        }
        if format == .json {
            let reports = results.compactMap { result -> TargetReport? in
                if case .report(let report) = result { return report }
                return nil
            }
            try sink.write(JSONReport.document(ScanReport(manifests: uses, targets: reports)))
        }
        if format == .table && results.count > 1 {
            try sink.write(Data(summaryLine(results.map(\.verdict)).utf8))
        }
        progress.end()
        try sink.close()
        let status = failOn.exitStatus(for: results.map(\.verdict))
        if status != 0 { throw ExitCode(status) }
    }

    func summaryLine(_ verdicts: [Verdict]) -> String {
        var counts: [Verdict: Int] = [:]
        for verdict in verdicts { counts[verdict, default: 0] += 1 }
        let parts = Verdict.allCases.sorted { $0.severity > $1.severity }.compactMap { verdict in
            counts[verdict].map { "\($0) \(verdict.rawValue)" }
        }
        return "\(verdicts.count) targets: \(parts.joined(separator: ", "))\n"
    }
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

/// Where results go: standard output or the `--output` file.
final class OutputSink: @unchecked Sendable {
    // @unchecked Sendable: written only from the scan's emit callback, which WorkerPool.scan
    // calls under one lock (in target order, never two at once); closed once, after the scan.
    private let descriptor: FileDescriptor
    /// The `--output` file (nil for standard output, which is not ours to close).
    private var owned: OwnedDescriptor?
    let isTerminal: Bool

    init(path: String?) throws {
        guard let path else {
            descriptor = .standardOutput
            owned = nil
            isTerminal = isatty(STDOUT_FILENO) == 1
            return
        }
        // open(2), not FileManager.createFile: that one writes a new file and renames it over
        // the path, which would replace a device such as /dev/stdout or a named pipe.
        // O_NONBLOCK: a FIFO without a reader is an error (ENXIO), not a hang; cleared after.
        // No O_TRUNC: the file is checked first, then emptied.
        switch Syscalls.create(path: path, flags: O_WRONLY | O_CREAT | O_NONBLOCK, mode: 0o644) {
        case .failure(let error):
            let reason = error == .noSuchAddressOrDevice ? "it is a FIFO with no reader" : error.text
            throw failure("cannot write --output \(path): \(reason)", status: ExitStatus.cannotWrite, then: "Nothing was scanned.")
        case .success(let file):
            if case .success(let status) = file.status(), (status.st_mode & S_IFMT) == S_IFREG {
                // Results are written in place: a file with other names could be a file of the evidence.
                guard status.st_nlink <= 1 else {
                    throw failure("--output \(path) has \(status.st_nlink) hard links, and one of them could be a file of the evidence; write the results to a new file", status: ExitStatus.usage, then: "Nothing was scanned.")
                }
                _ = ftruncate(file.raw.rawValue, 0)
            }
            OutputFiles.clearNonBlocking(file.raw)
            descriptor = file.raw
            owned = consume file
            isTerminal = false
        }
    }

    func write(_ data: Data) throws {
        switch Syscalls.write(descriptor, data) {
        case .success: return
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

    func close() throws { try owned.take()?.close() }
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

/// "[3/120] /mnt/pc42: patch-needed" on standard error, only when it is a terminal and the
/// results do not go to that same terminal.
final class Progress: @unchecked Sendable {
    // @unchecked Sendable: `done` is touched only from the scan's emit callback, which
    // WorkerPool.scan calls under one lock (in target order, never two at once).
    private var done = 0
    private let total: Int
    private let enabled: Bool

    init(total: Int, enabled: Bool) {
        self.total = total
        self.enabled = enabled
    }

    func finished(target: String, verdict: Verdict) {
        done += 1
        guard enabled else { return }
        // The target is evidence-side text (a file name): escaped like every other place that shows it.
        FileHandle.standardError.write(Data("\u{1b}[2K\r[\(done)/\(total)] \(TerminalText.safe(target)): \(verdict.rawValue)".utf8))
    }

    func end() {
        if enabled && done > 0 { FileHandle.standardError.write(Data("\n".utf8)) }
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
