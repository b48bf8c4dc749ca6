import Foundation
import Subprocess
#if canImport(Glibc)
import Glibc
#endif

/// The supervisor's view of one running worker: its frames as they arrive, its standard error
/// (the last 8 KiB, for the reason of a crash), its resident memory, and the one target in
/// flight with its time limit. Events from the readers and timers meet in one mailbox, which
/// ``awaitReport(for:timeout:signal:)`` takes them from in order.
///
/// `@unchecked Sendable`: the mutable state (`events`, `waiter`, `errors`, `tasks`, `serial`)
/// is only touched with `lock` held; the tasks it starts only call ``post(_:)`` and the
/// lock-protected appenders.
final class WorkerSession: @unchecked Sendable {
    typealias Signaller = @Sendable (Subprocess.Signal) -> Void

    enum StopReason: Sendable, Equatable { case time, memory }

    /// How a worker's target ended without a report.
    struct Ending: Sendable {
        var stoppedFor: StopReason?
        /// The crash note: the entry being read (empty: none yet).
        var note: [UInt8]?
        var residentBytes: Int64?
        /// The frames broke the protocol (what was wrong).
        var protocolError: String?
    }

    enum Outcome: Sendable {
        case report(ScanResult)
        case ended(Ending)
    }

    enum Event: Sendable {
        case frame(WorkerProtocol.FrameType, [UInt8])
        case closed
        case malformed(String)
        case timeout(Int)
        case memory(Int64)
        case cancelled
    }

    let pid: pid_t
    let memoryLimit: Int64
    private let lock = NSLock()
    private var events: [Event] = []
    private var waiter: CheckedContinuation<Event, Never>?
    private var errors: [UInt8] = []
    private var readers: [Task<Void, Never>] = []
    private var watcher: Task<Void, Never>?
    private var serial = 0
    /// The worker's output has closed (the `closed` event was taken).
    private var isClosed = false

    static let keptErrorBytes = 8 << 10

    init(pid: pid_t, memoryLimit: Int64) {
        self.pid = pid
        self.memoryLimit = memoryLimit
    }

    /// Starts reading the worker's standard output (frames) and error, and watching its memory.
    func start(output: SubprocessOutputSequence, errors errorOutput: SubprocessOutputSequence) {
        let frames = Task { [self] in
            var decoder = WorkerProtocol.FrameDecoder()
            do {
                for try await buffer in output {
                    buffer.withUnsafeBytes { decoder.append($0) }
                    while let frame = try decoder.next() { post(.frame(frame.type, frame.payload)) }
                }
            } catch let error as WorkerProtocol.FrameDecoder.Malformed {
                post(.malformed(error.description))
            } catch {}
            post(.closed)
        }
        let stderr = Task { [self] in
            do {
                for try await buffer in errorOutput { buffer.withUnsafeBytes { keepError($0) } }
            } catch {}
        }
        lock.withLock { readers = [frames, stderr] }
        // One watch five times a second for the target in flight: its time limit and the
        // worker's memory (a timer per target would cost a task per target).
        let watch = Task { [self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(200))
                let (due, which) = lock.withLock { (deadline, serial) }
                if let due, ContinuousClock.now >= due { post(.timeout(which)) }
                if memoryLimit > 0, let resident = Self.residentBytes(of: pid), resident > memoryLimit { post(.memory(resident)) }
            }
        }
        lock.withLock { watcher = watch }
    }

    /// When the target in flight runs out of time (nil: none in flight, or no limit).
    private var deadline: ContinuousClock.Instant?

    /// Waits for the readers to end (the worker has closed its output: it exited or was
    /// killed) and stops the memory watch.
    func finish() async {
        let (tasks, watch) = lock.withLock { (readers, watcher) }
        watch?.cancel()
        for task in tasks { await task.value }
        await watch?.value
    }

    /// The worker's standard error as it ended (waits for the worker to close it).
    func errorTail() async -> String {
        let tasks = lock.withLock { readers }
        if tasks.count == 2 { await tasks[1].value }
        return lock.withLock { String(decoding: errors, as: UTF8.self) }
    }

    /// Waits for the report of `item`, or for the worker to end without one: dead (a crash), or
    /// stopped here for time or memory.
    func awaitReport(for item: TargetQueue.Item, timeout: Double, signal: @escaping Signaller) async throws -> Outcome {
        let mine = lock.withLock {
            serial += 1
            deadline = timeout.isFinite && timeout > 0 ? ContinuousClock.now.advanced(by: .seconds(timeout)) : nil
            return serial
        }
        defer { lock.withLock { deadline = nil } }
        var ending = Ending()
        while true {
            switch await next() {
            case .frame(.report, let payload):
                let reply: WorkerReply
                do {
                    reply = try JSONDecoder().decode(WorkerReply.self, from: Data(payload))
                } catch {
                    ending.protocolError = "a report that does not decode: \(error)"
                    return .ended(await kill(ending, signal: signal))
                }
                guard reply.index == item.index else {
                    ending.protocolError = "a report for target \(reply.index), not for target \(item.index)"
                    return .ended(await kill(ending, signal: signal))
                }
                return .report(.report(reply.report))
            case .frame(.line, let payload):
                // uint32 index, uint8 verdict, the line.
                guard payload.count > 5, let verdict = Verdict.allCases.indices.contains(Int(payload[4])) ? Verdict.allCases[Int(payload[4])] : nil else {
                    ending.protocolError = "a line frame of \(payload.count) bytes"
                    return .ended(await kill(ending, signal: signal))
                }
                let index = Int(payload[0]) | Int(payload[1]) << 8 | Int(payload[2]) << 16 | Int(payload[3]) << 24
                guard index == item.index & 0xffff_ffff else {
                    ending.protocolError = "a line for target \(index), not for target \(item.index)"
                    return .ended(await kill(ending, signal: signal))
                }
                return .report(.line(target: item.target, verdict: verdict, bytes: Array(payload[5...])))
            case .frame(.note, let payload):
                ending.note = Array(payload.dropFirst(4))
            case .frame(.refusal, let payload):
                _ = await kill(ending, signal: signal)
                throw WorkerPool.SetupRefused(description: String(decoding: payload, as: UTF8.self))
            case .frame(.request, _):
                ending.protocolError = "a request frame from the worker"
                return .ended(await kill(ending, signal: signal))
            case .timeout(let which):
                guard which == mine else { continue }
                ending.stoppedFor = .time
                return .ended(await stop(ending, signal: signal))
            case .memory(let resident):
                ending.stoppedFor = .memory
                ending.residentBytes = resident
                return .ended(await stop(ending, signal: signal))
            case .closed:
                return .ended(ending)
            case .malformed(let what):
                ending.protocolError = what
                return .ended(await kill(ending, signal: signal))
            case .cancelled:
                _ = await kill(ending, signal: signal)
                throw CancellationError()
            }
        }
    }

    /// Waits until the worker has closed its output (after its standard input was closed).
    func awaitClose() async {
        while !lock.withLock({ isClosed }) {
            _ = await next()
        }
    }

    /// Asks the worker for its crash note (SIGUSR1), gives it a moment, then kills it.
    func stop(_ ending: Ending, signal: @escaping Signaller) async -> Ending {
        var ending = ending
        if lock.withLock({ isClosed }) { return ending }
        signal(.userDefinedOne)
        // The target's deadline is off while the worker gets its moment (the watch would
        // otherwise end the moment early), and the moment's timer posts only if it ran out.
        let grace = lock.withLock { serial += 1; deadline = nil; return serial }
        let timer = Task { [self] in
            do {
                try await Task.sleep(for: .milliseconds(300))
                post(.timeout(grace))
            } catch {}
        }
        defer { timer.cancel() }
        waiting: while true {
            switch await next() {
            case .frame(.note, let payload):
                ending.note = Array(payload.dropFirst(4))
                break waiting
            case .timeout(let which) where which == grace: break waiting
            case .closed: return ending
            default: continue
            }
        }
        return await kill(ending, signal: signal)
    }

    /// Kills the worker and waits for its output to close.
    func kill(_ ending: Ending, signal: Signaller) async -> Ending {
        var ending = ending
        if lock.withLock({ isClosed }) { return ending }
        signal(.kill)
        while true {
            switch await next() {
            case .closed: return ending
            case .frame(.note, let payload): ending.note = Array(payload.dropFirst(4))
            default: continue
            }
        }
    }

    // MARK: - The mailbox

    func post(_ event: Event) {
        lock.lock()
        if let waiting = waiter {
            waiter = nil
            if case .closed = event { isClosed = true }
            lock.unlock()
            waiting.resume(returning: event)
        } else {
            events.append(event)
            lock.unlock()
        }
    }

    func next() async -> Event {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                lock.lock()
                if events.isEmpty {
                    waiter = continuation
                    lock.unlock()
                } else {
                    let event = events.removeFirst()
                    if case .closed = event { isClosed = true }
                    lock.unlock()
                    continuation.resume(returning: event)
                }
            }
        } onCancel: {
            post(.cancelled)
        }
    }

    private func keepError(_ bytes: UnsafeRawBufferPointer) {
        lock.withLock {
            errors.append(contentsOf: bytes)
            if errors.count > Self.keptErrorBytes { errors.removeFirst(errors.count - Self.keptErrorBytes) }
        }
    }

    /// Resident memory of a process (`/proc/PID/statm`, second field, in pages).
    static func residentBytes(of pid: pid_t) -> Int64? { statmBytes("/proc/\(pid)/statm", field: 1) }

    /// One field of a `/proc/PID/statm` file (0: address space, 1: resident), in bytes.
    static func statmBytes(_ path: String, field: Int) -> Int64? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > field, let pages = Int64(fields[field]) else { return nil }
        return pages.multipliedReportingOverflow(by: Int64(sysconf(Int32(_SC_PAGESIZE)))).partialValue
    }
}
