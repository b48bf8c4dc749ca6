import Foundation
import Subprocess
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// Scans targets in worker processes of the same binary, so that whatever one target does to
/// the code reading it (a segfault in libarchive, a loop, runaway memory) costs that target
/// only: it becomes an `error` target whose reason names the cause, the worker is replaced,
/// and every other target is scanned and reported as usual.
///
/// The shape is Chromium's utility processes and PostgreSQL's backends: `jobs` long-lived
/// workers (spawned with swift-subprocess) take targets one at a time over a pipe and answer
/// each with its report (``WorkerProtocol``). The supervisor only schedules, watches and
/// writes: it never reads a byte of a target.
/// - **Time:** a target that takes longer than the time limit is stopped (the worker is asked
///   for its crash note with SIGUSR1, then killed).
/// - **Memory:** the supervisor reads each worker's resident memory (`/proc/PID/statm`) five
///   times a second and stops it above the limit; the worker's own address-space limit
///   catches an allocation that jumps past it between two looks.
/// - **CPU:** the worker gives each target a CPU-time budget (`RLIMIT_CPU`); past it the kernel
///   ends it with SIGXCPU.
/// - **Crashes:** a fatal signal first writes the entry being read (the crash note), so the
///   reason says where.
/// Standard input (`-`) is scanned by a worker of its own that reads the supervisor's standard
/// input directly. Reports come back in target order, each as soon as it and all before it
/// are done.
public struct WorkerPool: Sendable {
    /// The binary to run (this one) and the arguments that make it a worker.
    public var executable: String
    public var arguments: [String]
    public var setup: WorkerSetup
    /// Workers running at once.
    public var jobs: Int
    /// Told when a worker starts on a target (its index in the run and the target), for
    /// progress displays; called from any task.
    public var onStart: (@Sendable (Int, String) -> Void)?
    /// Told when a target's result arrives, before it is put in order (its index and verdict).
    public var onFinish: (@Sendable (Int, Verdict) -> Void)?

    public init(executable: String, arguments: [String], setup: WorkerSetup, jobs: Int) {
        self.executable = executable
        self.arguments = arguments
        self.setup = setup
        self.jobs = max(1, jobs)
    }

    /// A worker refused to start: a manifest changed between the supervisor's check and the
    /// worker's read. Nothing after it can be trusted, so the run stops (exit 78).
    public struct SetupRefused: Error, CustomStringConvertible {
        public var description: String
    }

    /// Scans `targets`, handing each report to `emit`: in target order, or with `ordered`
    /// false as each target finishes (a journal that must hold every finished target at once,
    /// whatever an earlier, slower one does). Returns every result, or with `keepReports`
    /// false none: a run over thousands of targets whose output is streamed keeps nothing of a
    /// target once `emit` has it.
    public func scan(targets: [String], keepReports: Bool = true, ordered: Bool = true,
                     emit: @escaping @Sendable (ScanResult) throws -> Void) async throws -> [ScanResult] {
        let queue = TargetQueue(targets)
        let order = InOrder(count: targets.count, keep: keepReports, ordered: ordered, arrived: onFinish, emit: emit)
        let slots = min(jobs, max(1, targets.count))
        try await withThrowingTaskGroup(of: Void.self) { workers in
            for _ in 0..<slots {
                workers.addTask { try await self.runSlot(queue: queue) { try order.deliver($0.0, $0.1) } }
            }
            try await workers.waitForAll()
        }
        return try order.finish { index in
            .report(.failed(targets[index], kind: Self.kind(of: targets[index]), reason: Reason(rule: "worker-failed", verdict: .error,
                message: "\(targets[index]): no worker answered for it; this is a fault in patchaudit's supervisor, not a finding about the copy: scan it again, and please report it")))
        }
    }

    /// Results handed on in target order (each as soon as it and all before it are there) or,
    /// not `ordered`, as they arrive; by whichever slot delivers (under the lock, so emits
    /// never overlap).
    ///
    /// `@unchecked Sendable`: `results`, `arrivedAt`, `next` and `failure` are only touched
    /// with `lock` held.
    final class InOrder: @unchecked Sendable {
        private let lock = NSLock()
        private var results: [ScanResult?]
        /// Which targets have a result (emitted or waiting).
        private var arrivedAt: [Bool]
        private var next = 0
        private var failure: (any Error)?
        private let emit: @Sendable (ScanResult) throws -> Void
        private let arrived: (@Sendable (Int, Verdict) -> Void)?
        private let keep: Bool
        private let ordered: Bool

        init(count: Int, keep: Bool, ordered: Bool = true, arrived: (@Sendable (Int, Verdict) -> Void)? = nil,
             emit: @escaping @Sendable (ScanResult) throws -> Void) {
            results = Array(repeating: nil, count: count)
            arrivedAt = Array(repeating: false, count: count)
            self.keep = keep
            self.ordered = ordered
            self.arrived = arrived
            self.emit = emit
        }

        /// Records the result of target `index` (a second one for the same target is ignored)
        /// and emits what is ready; an emit that fails stops the run.
        func deliver(_ index: Int, _ result: ScanResult) throws {
            try lock.withLock {
                if let failure { throw failure }
                guard arrivedAt.indices.contains(index), !arrivedAt[index] else { return }
                arrivedAt[index] = true
                arrived?(index, result.verdict)
                guard ordered else {
                    try emitNow(result)
                    if keep { results[index] = result }
                    return
                }
                results[index] = result
                while next < results.count, let ready = results[next] {
                    try emitNow(ready)
                    results[next] = keep ? ready : nil
                    next += 1
                }
            }
        }

        /// Emits one result (with `lock` held); an emit that fails stops the run.
        private func emitNow(_ result: ScanResult) throws {
            do {
                try emit(result)
            } catch {
                failure = error
                throw error
            }
        }

        /// All results in order (with `keep`). A target no worker answered for (which the
        /// slots never leave unless something in them is wrong) gets `missing`'s result
        /// rather than vanishing.
        func finish(missing: (Int) -> ScanResult) throws -> [ScanResult] {
            try lock.withLock {
                if let failure { throw failure }
                for index in arrivedAt.indices where !arrivedAt[index] {
                    arrivedAt[index] = true
                    let result = missing(index)
                    arrived?(index, result.verdict)
                    if ordered { results[index] = result } else {
                        try emitNow(result)
                        if keep { results[index] = result }
                    }
                }
                while ordered && next < results.count, let ready = results[next] {
                    try emitNow(ready)
                    results[next] = keep ? ready : nil
                    next += 1
                }
                return keep ? results.compactMap { $0 } : []
            }
        }
    }

    // MARK: - Slots

    /// Requests a worker holds at once: the one it is on and the next, so it never waits for
    /// the supervisor between two targets.
    static let requestsInFlight = 2

    /// The longest request sent (a target name of up to 16 KiB): two fit a pipe's 64 KiB.
    static let maxRequestBytes = 16 << 10

    /// One slot: a worker at a time, replaced when it dies, until no target is left.
    func runSlot(queue: TargetQueue, deliver: @escaping @Sendable ((Int, ScanResult)) throws -> Void) async throws {
        // Targets a dead worker was given but never started: the next worker takes them first.
        var carried: [TargetQueue.Item] = []
        while true {
            try Task.checkCancellation()
            let first: TargetQueue.Item
            if !carried.isEmpty {
                first = carried.removeFirst()
            } else if let next = await queue.take() {
                first = next
            } else {
                return
            }
            if first.target == "-" {
                onStart?(first.index, first.target)
                try deliver((first.index, try await scanStandardInput(first)))
                continue
            }
            carried = try await runWorker(first: first, carried: carried, queue: queue, deliver: deliver)
        }
    }

    /// Starts a worker and feeds it `first`, then `carried`, then targets from the queue, until
    /// there are none or it dies. Returns the targets it was given but never started.
    func runWorker(first: TargetQueue.Item, carried: [TargetQueue.Item], queue: TargetQueue,
                   deliver: @escaping @Sendable ((Int, ScanResult)) throws -> Void) async throws -> [TargetQueue.Item] {
        do {
            return try await runStartedWorker(first: first, carried: carried, queue: queue, deliver: deliver)
        } catch let error as SubprocessError where [.spawnFailed, .executableNotFound, .failedToMonitorProcess].contains(error.code) {
            // No worker could be started for this target (too many processes, no memory, the
            // binary gone): it is said for this target, and the next one tries again.
            try deliver((first.index, .report(.failed(first.target, kind: Self.kind(of: first.target), reason: Reason(rule: "worker-failed", verdict: .error,
                message: "\(first.target) was not scanned: no worker process could be started (\(error)); check the system's process and memory limits and scan it again",
                found: "\(error.code)")))))
            return carried
        }
    }

    func runStartedWorker(first: TargetQueue.Item, carried: [TargetQueue.Item], queue: TargetQueue,
                          deliver: @escaping @Sendable ((Int, ScanResult)) throws -> Void) async throws -> [TargetQueue.Item] {
        let execution = try await Subprocess.run(
            .path(FilePath(executable)), arguments: Arguments(arguments + ["--setup", try setup.encoded()]),
            environment: workerEnvironment, input: .inputWriter, output: .sequence, error: .sequence
        ) { execution -> SessionEnd in
            let session = WorkerSession(pid: execution.processIdentifier.value, memoryLimit: setup.memoryLimit)
            session.start(output: execution.standardOutput, errors: execution.standardError)
            let signal: WorkerSession.Signaller = { try? execution.send(signal: $0) }
            var waiting = carried
            /// The next target for this worker (standard input is scanned by a worker of its own,
            /// on the spot); nil when there is none.
            func nextTarget() async throws -> TargetQueue.Item? {
                while true {
                    let item: TargetQueue.Item? = waiting.isEmpty ? await queue.take() : waiting.removeFirst()
                    guard let item, item.target == "-" else { return item }
                    onStart?(item.index, item.target)
                    try deliver((item.index, try await scanStandardInput(item)))
                }
            }
            enum Sent { case sent, answeredHere, workerGone }
            /// Sends a request (a name too long for any frame is answered here instead).
            func send(_ item: TargetQueue.Item) async throws -> Sent {
                let request = WorkerRequest(index: item.index, target: item.target).payload
                // A request always fits the pipe's buffer, so writing the next one while the
                // worker is busy (before its time limit is armed) never blocks.
                guard request.count <= Self.maxRequestBytes, let frame = WorkerProtocol.frame(.request, request) else {
                    try deliver((item.index, .report(.failed(item.target, kind: .unsupported, reason: Reason(rule: "target-unreadable", verdict: .error,
                        message: "a target name of \(item.target.utf8.count) bytes is longer than any path the system opens (PATH_MAX is 4096); it was not read")))))
                    return .answeredHere
                }
                do {
                    _ = try await execution.standardInputWriter.write(frame)
                    return .sent
                } catch {
                    return .workerGone
                }
            }
            var inFlight: [TargetQueue.Item] = []
            do {
                var next: TargetQueue.Item? = first
                while true {
                    try Task.checkCancellation()
                    // Keep the worker supplied: the target it is on and the one after. The next
                    // target is taken from the queue only when it is sent: a worker stuck on a slow
                    // target holds one more at most, and the other workers take the rest.
                    while inFlight.count < Self.requestsInFlight {
                        if next == nil { next = try await nextTarget() }
                        guard let item = next else { break }
                        switch try await send(item) {
                        case .sent: inFlight.append(item)
                        case .answeredHere: break
                        case .workerGone:
                            // The worker is gone before it got this target: not this target's
                            // doing. The one it was on (if any) is reported when it ended.
                            guard let head = inFlight.first else {
                                _ = await session.kill(WorkerSession.Ending(), signal: signal)
                                await session.finish()
                                return SessionEnd(unstarted: [item])
                            }
                            let ending: WorkerSession.Ending
                            switch try await session.awaitReport(for: head, timeout: setup.targetTimeout, signal: signal) {
                            case .report(let report):
                                try deliver((head.index, report))
                                inFlight.removeFirst()
                                _ = await session.kill(WorkerSession.Ending(), signal: signal)
                                await session.finish()
                                return SessionEnd(unstarted: inFlight + [item])
                            case .ended(let ended):
                                ending = ended
                            }
                            let errors = await session.errorTail()
                            await session.finish()
                            return SessionEnd(failed: head, ending: ending, errors: errors, unstarted: Array(inFlight.dropFirst()) + [item])
                        }
                        next = nil
                    }
                    guard let current = inFlight.first else { break }
                    onStart?(current.index, current.target)
                    switch try await session.awaitReport(for: current, timeout: setup.targetTimeout, signal: signal) {
                    case .report(let report):
                        try deliver((current.index, report))
                        inFlight.removeFirst()
                    case .ended(let ending):
                        let errors = await session.errorTail()
                        await session.finish()
                        // The target it was on failed; the one after it never started.
                        let unstarted = Array(inFlight.dropFirst()) + (next.map { [$0] } ?? [])
                        return SessionEnd(failed: current, ending: ending, errors: errors, unstarted: unstarted)
                    }
                }
                try? await execution.standardInputWriter.finish()
                await session.awaitClose()
                await session.finish()
                return SessionEnd()
            } catch {
                _ = await session.kill(WorkerSession.Ending(), signal: signal)
                await session.finish()
                throw error
            }
        }
        let end = execution.closureResult
        if let failed = end.failed {
            try deliver((failed.index, .report(failureReport(for: failed.target, ending: end.ending, status: execution.terminationStatus, errors: end.errors))))
        }
        return end.unstarted
    }

    /// Scans standard input in a worker whose standard input is this process's own.
    func scanStandardInput(_ item: TargetQueue.Item) async throws -> ScanResult {
        let execution = try await Subprocess.run(
            .path(FilePath(executable)), arguments: Arguments(arguments + ["--setup", try setup.encoded(), "--stdin-index", String(item.index)]),
            environment: workerEnvironment, input: .fileDescriptor(.standardInput, closeAfterSpawningProcess: false),
            output: .sequence, error: .sequence
        ) { execution -> (ScanResult?, WorkerSession.Ending, String) in
            let session = WorkerSession(pid: execution.processIdentifier.value, memoryLimit: setup.memoryLimit)
            session.start(output: execution.standardOutput, errors: execution.standardError)
            let signal: WorkerSession.Signaller = { try? execution.send(signal: $0) }
            do {
                switch try await session.awaitReport(for: item, timeout: setup.targetTimeout, signal: signal) {
                case .report(let report):
                    await session.awaitClose()
                    await session.finish()
                    return (report, WorkerSession.Ending(), "")
                case .ended(let ending):
                    let errors = await session.errorTail()
                    await session.finish()
                    return (nil, ending, errors)
                }
            } catch {
                _ = await session.kill(WorkerSession.Ending(), signal: signal)
                await session.finish()
                throw error
            }
        }
        let (report, ending, errors) = execution.closureResult
        return report ?? .report(failureReport(for: item.target, ending: ending, status: execution.terminationStatus, errors: errors))
    }

    /// The environment of a worker: this one's, with Swift's backtracer off unless the user
    /// asked for it (a crash should end the worker at once; the crash note says where).
    var workerEnvironment: Environment {
        ProcessInfo.processInfo.environment["SWIFT_BACKTRACE"] == nil ? .inherit.updating(["SWIFT_BACKTRACE": "enable=no"]) : .inherit
    }

    /// How one worker session ended.
    struct SessionEnd: Sendable {
        /// The target the worker was on when it died or was stopped.
        var failed: TargetQueue.Item?
        var ending = WorkerSession.Ending()
        var errors = ""
        /// Targets the worker was given (or about to be) but never started: the next worker's.
        var unstarted: [TargetQueue.Item] = []
    }

    // MARK: - Failure reports

    /// The `error` report of a target whose worker died or was stopped.
    func failureReport(for target: String, ending: WorkerSession.Ending, status: TerminationStatus, errors: String) -> TargetReport {
        let place = ending.note.map { $0.isEmpty ? "" : " while reading \(ScanPath(bytes: $0).display)" } ?? ""
        let lastWords = TerminationText.lastWords(errors)
        let said = lastWords.map { "; the worker's last message: \(TerminationText.quote($0))" } ?? ""
        let signal: Int32? = if case .signaled(let number) = status { number } else { nil }
        // Swift's runtime says "Could not allocate memory", its arrays "failed to allocate", C
        // "Cannot allocate memory" (ENOMEM) or "out of memory".
        let lowered = errors.lowercased()
        let allocationFailed = ["could not allocate", "cannot allocate memory", "failed to allocate", "out of memory"].contains { lowered.contains($0) }
        var limit: LimitHit?
        let reason: Reason
        if let broken = ending.protocolError {
            reason = Reason(rule: "worker-failed", verdict: .error,
                message: "\(target): the worker process reading it broke the protocol (\(broken)) and was stopped\(place)\(said); no other target was affected; this is a bug in patchaudit: please report it",
                found: broken)
        } else if ending.stoppedFor == .time {
            let text = TerminationText.duration(setup.targetTimeout)
            limit = LimitHit(limit: "target-timeout", value: Int64(setup.targetTimeout.rounded(.up)),
                             detail: "reading \(target) took longer than \(text)\(place)")
            reason = Reason(rule: "target-timeout", verdict: .error,
                message: "\(target): reading it took longer than the time limit of \(text) (--target-timeout)\(place), so it was stopped; a copy this slow is either very large (scan it alone with a higher --target-timeout) or holds something that makes the reader loop",
                found: "stopped after \(text)", expected: "within \(text)")
        } else if ending.stoppedFor == .memory || (signal != nil && allocationFailed) {
            let mebibytes = setup.memoryLimit >> 20
            limit = LimitHit(limit: "worker-memory", value: setup.memoryLimit,
                             detail: "reading \(target) needed more than \(mebibytes) MiB of memory\(place)")
            reason = Reason(rule: "worker-memory-limit", verdict: .error,
                message: "\(target): reading it needed more than the memory limit of \(mebibytes) MiB (--worker-memory)\(place), so it was stopped; raise --worker-memory to read it, or get a copy that is not damaged",
                found: ending.residentBytes.map { "\($0 >> 20) MiB resident" } ?? "allocation failed", expected: "at most \(mebibytes) MiB")
        } else if signal == SIGXCPU {
            let seconds = Int64((setup.targetTimeout * Double(max(1, setup.walkers))).rounded(.up))
            limit = LimitHit(limit: "target-cpu-time", value: seconds, detail: "reading \(target) used more than \(seconds) s of CPU time\(place)")
            reason = Reason(rule: "worker-cpu-limit", verdict: .error,
                message: "\(target): reading it used more than its CPU-time budget of at least \(seconds) s (which follows from --target-timeout)\(place), so it was stopped; the copy may hold something that makes the reader loop",
                found: "SIGXCPU", expected: "at most \(seconds) s of CPU")
        } else if let signal {
            reason = Reason(rule: "worker-crashed", verdict: .error,
                message: "\(target): the worker process reading it crashed with \(TerminationText.signalName(signal))\(place)\(said). This is a bug in patchaudit or in a library it uses (libarchive), not a finding about the copy, and no other target was affected; please report it, with the file if you can share it",
                found: TerminationText.signalName(signal))
        } else {
            let code: String = if case .exited(let value) = status { "\(value)" } else { "\(status)" }
            reason = Reason(rule: "worker-failed", verdict: .error,
                message: "\(target): the worker process reading it ended (exit status \(code)) without a report\(place)\(said); no other target was affected; scan it again, and report it if it happens again",
                found: "exit status \(code)")
        }
        var report = TargetReport.failed(target, kind: Self.kind(of: target), reason: reason)
        if let limit { report.limitsHit = [limit] }
        return report
    }

    /// Whether a target names a folder or a file, from its metadata alone (the supervisor
    /// never reads a target).
    static func kind(of target: String) -> TargetReport.Kind {
        if target == "-" { return .archive }
        guard case .success(let status) = Syscalls.status(ofPath: target) else { return .missing }
        return status.st_mode & S_IFMT == S_IFDIR ? .directory : .archive
    }
}

/// The targets of a run, handed out one at a time to whichever worker is free.
actor TargetQueue {
    struct Item: Sendable {
        var index: Int
        var target: String
    }

    private let targets: [String]
    private var next = 0

    init(_ targets: [String]) {
        self.targets = targets
    }

    func take() -> Item? {
        guard next < targets.count else { return nil }
        defer { next += 1 }
        return Item(index: next, target: targets[next])
    }
}

/// Words for signals, durations and quoted worker messages.
enum TerminationText {
    static func signalName(_ signal: Int32) -> String {
        let names: [Int32: String] = [SIGSEGV: "SIGSEGV (segmentation fault)", SIGBUS: "SIGBUS (bus error)",
                                      SIGILL: "SIGILL (illegal instruction: a runtime check failed)",
                                      SIGTRAP: "SIGTRAP (a runtime check failed)", SIGABRT: "SIGABRT (abort)",
                                      SIGFPE: "SIGFPE (arithmetic fault)", SIGKILL: "SIGKILL (killed)",
                                      SIGTERM: "SIGTERM (terminated)", SIGXCPU: "SIGXCPU (CPU time limit)"]
        return names[signal] ?? "signal \(signal)"
    }

    static func duration(_ seconds: Double) -> String {
        if seconds >= 3600, seconds.truncatingRemainder(dividingBy: 3600) == 0 { return "\(Int(seconds / 3600))h" }
        if seconds >= 60, seconds.truncatingRemainder(dividingBy: 60) == 0 { return "\(Int(seconds / 60))m" }
        if seconds == seconds.rounded() { return "\(Int(seconds))s" }
        return String(format: "%.1fs", seconds)
    }

    /// What a dying worker said last: the Swift runtime's "Fatal error: ..." line when there
    /// is one (without the source location before it), else its last line that is not part of
    /// a stack trace.
    static func lastWords(_ errors: String) -> String? {
        let lines = errors.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if let fatal = lines.last(where: { $0.contains("Fatal error") }), let range = fatal.range(of: "Fatal error") {
            return String(fatal[range.lowerBound...])
        }
        return lines.last { line in
            !line.hasPrefix("Current stack trace") && !(line.first?.isNumber ?? false) && !line.contains("Backtrace")
        }
    }

    /// A worker's stderr line, bounded and made safe for every output format.
    static func quote(_ line: String) -> String {
        let trimmed = line.count > 300 ? String(line.prefix(300)) + "..." : line
        return "\"" + TerminalText.safe(trimmed) + "\""
    }
}
