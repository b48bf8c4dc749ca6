import Foundation
import PatchAuditKit

/// Progress on standard error while targets are scanned.
/// - `.terminal`: one line redrawn in place at most four times a second (only when standard
///   error is a terminal that the results do not go to);
/// - `.log`: a plain line every 10 s (`--progress` when standard error is not a terminal);
/// - `.off`: nothing (`-q`, a pipe, or results on the same terminal).
final class ProgressDisplay: @unchecked Sendable {
    // @unchecked Sendable: every field but `mode` and `start` is touched with `lock` held.
    enum Mode {
        case off, terminal, log
    }

    let mode: Mode
    private let lock = NSLock()
    private var line: ProgressLine
    private var inFlight: [Int: (target: String, since: ContinuousClock.Instant)] = [:]
    private let start = ContinuousClock.now
    private var ticker: Task<Void, Never>?
    private var drawn = false

    init(mode: Mode, total: Int) {
        self.mode = mode
        line = ProgressLine(total: total)
    }

    /// Starts redrawing (draws once at once).
    func begin() {
        guard mode != .off else { return }
        draw()
        let interval: Duration = mode == .terminal ? .milliseconds(250) : .seconds(10)
        ticker = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                if Task.isCancelled { return }
                self?.draw()
            }
        }
    }

    func started(index: Int, target: String) {
        guard mode != .off else { return }
        lock.withLock { if inFlight[index] == nil { inFlight[index] = (target, .now) } }
    }

    func finished(index: Int, verdict: Verdict) {
        lock.withLock {
            inFlight[index] = nil
            line.done += 1
            line.counts[verdict, default: 0] += 1
        }
    }

    /// Draws the final state and leaves the line (terminal: clears it, so the summary is read alone).
    func end() {
        ticker?.cancel()
        guard mode != .off else { return }
        if mode == .terminal {
            draw()
            lock.withLock { if drawn { standardError("\r\u{1b}[2K") } }
        }
    }

    private func draw() {
        lock.withLock {
            let now = ContinuousClock.now
            line.elapsed = (now - start).inSeconds
            line.slowest = inFlight.values.min { $0.since < $1.since }.map { ($0.target, (now - $0.since).inSeconds) }
            switch mode {
            case .terminal:
                standardError("\r\u{1b}[2K\(line.terminal(width: Self.terminalWidth() - 1))")
                drawn = true
            case .log:
                standardError("\(line.plain)\n")
            case .off:
                break
            }
        }
    }


    private static func terminalWidth() -> Int {
        var size = winsize()
        if ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 20 { return Int(size.ws_col) }
        return 80
    }
}

extension Duration {
    /// The span in seconds, for people (progress, the summary's elapsed time).
    var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
