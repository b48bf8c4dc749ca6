import CCrashNote
import Foundation
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// The worker's side: a process of the same binary that scans targets one at a time for a
/// ``WorkerPool`` and answers each with its report. Whatever a target does to it (a crash in
/// libarchive, a loop, runaway memory) ends this process only; the supervisor reports that
/// target as `error` and starts another worker for the rest.
///
/// Before reading any target the worker limits itself: no core files (a crash must not write
/// into the working directory, which may be evidence), an address space of the memory limit
/// plus headroom (`RLIMIT_AS`), and per target a CPU-time budget (`RLIMIT_CPU`) derived from the
/// time limit. It installs the crash note (`crash_note.h`), so a fatal signal sends the
/// supervisor the entry being read before the process dies.
public enum WorkerService {
    /// Address space allowed beyond the memory limit: thread stacks and malloc arenas reserve
    /// far more than they touch (an idle worker maps about 250 MiB).
    static let addressSpaceHeadroom: Int64 = 2 << 30

    /// Runs a worker: requests from standard input, reports to standard output, until standard
    /// input ends. With `stdinIndex`, scans standard input itself as the one target (`-`), whose
    /// place in the run is that index, and exits. Returns the exit status.
    public static func run(setup: WorkerSetup, stdinIndex: Int?) -> Int32 {
        let output = FileDescriptor.standardOutput
        watchForOrphaning(supervisor: setup.supervisor ?? getppid())
        limitItself(setup)
        let manifests: [LoadedManifest]
        do {
            manifests = try loadManifests(setup.manifests)
        } catch {
            write(.refusal, Array(error.description.utf8), to: output)
            return 78
        }
        pa_crash_note_install(output.rawValue)
        let scanner = TargetScanner(configuration: ScanConfiguration(manifests: manifests, limits: setup.limits, jobs: 1, walkers: setup.walkers))
        // The same manifest records the supervisor puts on its own lines (same bytes, same state).
        let uses = manifests.map(ManifestUse.init)
        if let stdinIndex {
            return answer(WorkerRequest(index: stdinIndex, target: "-"), scanner: scanner, setup: setup, uses: uses, output: output) ? 0 : 74
        }
        var decoder = WorkerProtocol.FrameDecoder()
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            do {
                while let frame = try decoder.next() {
                    guard frame.type == .request, let request = WorkerRequest(payload: frame.payload) else {
                        return 65
                    }
                    guard answer(request, scanner: scanner, setup: setup, uses: uses, output: output) else { return 74 }
                }
            } catch {
                return 65
            }
            switch chunk.withUnsafeMutableBytes({ Syscalls.read(.standardInput, into: $0) }) {
            case .success(0), .failure: return 0
            case .success(let got): decoder.append(chunk[0..<got])
            }
        }
    }

    /// Scans one target and writes its report; false when the report could not be written.
    static func answer(_ request: WorkerRequest, scanner: TargetScanner, setup: WorkerSetup, uses: [ManifestUse],
                       output: FileDescriptor) -> Bool {
        allowCPU(seconds: setup.targetTimeout * Double(max(1, setup.walkers)))
        pa_crash_note_clear()
        #if DEBUG
        injectFault(for: request.target)
        #endif
        let report = scanner.scan(target: request.target)
        pa_crash_note_clear()
        if setup.renderLines, let line = try? JSONReport.line(report, manifests: uses), line.count < WorkerProtocol.maxFrameLength - 8,
           let position = Verdict.allCases.firstIndex(of: report.verdict) {
            var payload = withUnsafeBytes(of: UInt32(truncatingIfNeeded: request.index).littleEndian) { Array($0) }
            payload.append(UInt8(position))
            payload.append(contentsOf: line)
            return write(.line, payload, to: output)
        }
        guard let payload = try? JSONEncoder().encode(WorkerReply(index: request.index, report: report)) else { return false }
        if payload.count < WorkerProtocol.maxFrameLength { return write(.report, Array(payload), to: output) }
        // Bounded inputs keep reports far smaller; should one still outgrow a frame, say so.
        let tooLarge = TargetReport.failed(request.target, kind: report.kind, reason: Reason(rule: "report-too-large", verdict: .error,
            message: "\(request.target): its report would be \(payload.count) bytes, more than the \(WorkerProtocol.maxFrameLength) a worker sends; scan parts of it separately"))
        guard let small = try? JSONEncoder().encode(WorkerReply(index: request.index, report: tooLarge)) else { return false }
        return write(.report, Array(small), to: output)
    }

    /// Reads each manifest the supervisor checked and refuses one whose bytes changed since:
    /// the worker judges by exactly the bytes the supervisor verified (and whose signature it
    /// checked), without needing the keys.
    static func loadManifests(_ references: [WorkerSetup.ManifestReference]) throws(ManifestError) -> [LoadedManifest] {
        try references.map { reference throws(ManifestError) in
            let file = try ManifestLoader.readManifestFile(reference.path)
            guard file.digests.sha256 == reference.sha256 else {
                throw ManifestError(file: reference.path, jsonPath: nil,
                    message: "changed while the scan was starting (SHA-256 \(file.digests.sha256), verified as \(reference.sha256)); run the scan again")
            }
            let manifest = try ManifestLoader.parse(data: Data(file.bytes), file: reference.path, checkMeaning: false)
            return LoadedManifest(manifest: manifest, path: reference.path, sha256: reference.sha256, signature: reference.signature)
        }
    }

    /// Ends the worker when its supervisor is gone (killed, or crashed itself): nobody would
    /// read its report, and a target that loops must not keep a core busy for the rest of its
    /// time limit. The supervisor's death re-parents the worker, which a thread notices within
    /// a second. The supervisor names itself in the setup, so a worker whose supervisor died
    /// before the worker even started notices too.
    static func watchForOrphaning(supervisor: pid_t) {
        if getppid() != supervisor { _exit(70) }
        let thread = Thread {
            while true {
                sleep(1)
                if getppid() != supervisor { _exit(70) }
            }
        }
        thread.stackSize = 64 << 10
        thread.start()
    }

    /// No core files; the address space bounded.
    static func limitItself(_ setup: WorkerSetup) {
        var none = rlimit(rlim_cur: 0, rlim_max: 0)
        _ = setrlimit(Int32(RLIMIT_CORE.rawValue), &none)
        let (space, overflow) = setup.memoryLimit.addingReportingOverflow(addressSpaceHeadroom)
        // A build with AddressSanitizer or ThreadSanitizer reserves terabytes of shadow memory
        // at start: an address-space limit would make every later mapping fail. There the
        // supervisor's watch of the resident size is the memory limit.
        if !overflow, setup.memoryLimit > 0, mappedBytes().map({ $0 < space / 2 }) ?? true {
            var address = rlimit(rlim_cur: rlim_t(space), rlim_max: rlim_t(space))
            _ = setrlimit(Int32(RLIMIT_AS.rawValue), &address)
        }
    }

    /// The process's address space now (the first field of `/proc/self/statm`).
    static func mappedBytes() -> Int64? { WorkerSession.statmBytes("/proc/self/statm", field: 0) }

    /// Lets the next target use `seconds` of CPU time from now (`RLIMIT_CPU`, soft limit: the
    /// kernel sends SIGXCPU past it, and the crash note says so).
    static func allowCPU(seconds: Double) {
        // Each target gets at least `seconds` (between that and twice that): one getrusage per
        // target, the two prlimit calls only now and then. The wall-clock deadline, which the
        // supervisor keeps, comes first; this is the backstop should the supervisor miss it.
        if let granted = cpuGranted, cpuUsed() + seconds < granted { return }
        var usage = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0, seconds.isFinite, seconds > 0 else { return }
        let used = usage.ru_utime.tv_sec + usage.ru_stime.tv_sec + 1
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_CPU.rawValue), &limit) == 0 else { return }
        let wanted = rlim_t(used) + 2 * rlim_t(min(seconds.rounded(.up), 1e9))
        limit.rlim_cur = min(wanted, limit.rlim_max)
        if setrlimit(Int32(RLIMIT_CPU.rawValue), &limit) == 0 { cpuGranted = Double(limit.rlim_cur) }
    }

    /// The CPU-time limit last set (seconds since the worker started), nil before the first.
    nonisolated(unsafe) static var cpuGranted: Double?

    static func cpuUsed() -> Double {
        var usage = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return .infinity }
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    @discardableResult
    static func write(_ type: WorkerProtocol.FrameType, _ payload: [UInt8], to output: FileDescriptor) -> Bool {
        guard let frame = WorkerProtocol.frame(type, payload) else { return false }
        do {
            _ = try output.writeAll(frame)
            return true
        } catch {
            return false
        }
    }

    #if DEBUG
    /// Test builds only: `PATCHAUDIT_TEST_WORKER_FAULT=KIND:NAME` makes the worker misbehave
    /// on the target whose last path component is NAME, so tests can check that one bad target
    /// costs only itself. KIND: `segfault` (a real fault in C), `trap` (a Swift runtime trap),
    /// `spin` (a busy loop: time and CPU limits), `memory` (allocates until stopped), `exit`
    /// (leaves without a report). Release builds do not contain this code.
    static func injectFault(for target: String) {
        guard let spec = ProcessInfo.processInfo.environment["PATCHAUDIT_TEST_WORKER_FAULT"] else { return }
        for item in spec.split(separator: ",") {
            let parts = item.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, (target as NSString).lastPathComponent == String(parts[1]) else { continue }
            let note = Array("test fault in \(target)".utf8)
            pa_crash_note_set(note, note.count)
            switch parts[0] {
            case "segfault": pa_test_segfault()
            case "trap": preconditionFailure("test fault: a runtime trap while reading \(target)")
            case "spin": pa_test_spin()
            case "memory":
                var hoard: [[UInt8]] = []
                while true { hoard.append([UInt8](repeating: 1, count: 64 << 20)) }
            case "exit": exit(7)
            default: break
            }
        }
    }
    #endif
}
