import Foundation

/// The state of a run's progress, and the line that shows it on standard error.
///
/// Terminal form (redrawn in place, cut to the terminal's width):
///
///     [1234/3000 41%] 1100 up-to-date, 80 patch-needed, 3 error | 12.3/s | ETA 2m 24s | slowest: pc42.E01 1m 12s
///
/// Plain form (`--progress` into a log, one line every 10 s):
///
///     patchaudit: 1234/3000 done (41%): 1100 up-to-date, 80 patch-needed, 3 error; 12.3 targets/s; ETA 2m 24s; slowest in flight: pc42.E01 (1m 12s)
public struct ProgressLine: Sendable {
    /// Targets this run scans (not those a resume skipped).
    public var total: Int
    public var done = 0
    public var counts: [Verdict: Int] = [:]
    /// Seconds since the run started.
    public var elapsed: Double = 0
    /// The target in flight the longest, and for how long.
    public var slowest: (target: String, seconds: Double)?

    public init(total: Int) {
        self.total = total
    }

    public var rate: Double? {
        guard done > 0, elapsed > 0 else { return nil }
        return Double(done) / elapsed
    }

    /// Seconds left at the rate so far.
    public var eta: Double? {
        guard let rate, rate > 0 else { return nil }
        return Double(total - done) / rate
    }

    private var countsText: String {
        Verdict.allCases.sorted { $0.severity < $1.severity }.compactMap { verdict in
            counts[verdict].flatMap { $0 > 0 ? "\($0) \(verdict.rawValue)" : nil }
        }.joined(separator: ", ")
    }

    private var percent: Int { total == 0 ? 100 : done * 100 / total }

    /// The line for a terminal, at most `width` columns (the target is shortened first).
    public func terminal(width: Int) -> String {
        var parts = ["[\(done)/\(total) \(percent)%]" + (countsText.isEmpty ? "" : " " + countsText)]
        if let rate { parts.append(String(format: "%.1f/s", rate)) }
        if let eta, done < total { parts.append("ETA " + RunSummary.duration(eta)) }
        var line = parts.joined(separator: " | ")
        if let slowest, slowest.seconds >= 1 {
            let time = " " + RunSummary.duration(slowest.seconds)
            let room = width - line.count - " | slowest: ".count - time.count
            if room >= 12 {
                line += " | slowest: " + Self.shortened(TerminalText.safe(slowest.target), to: room) + time
            }
        }
        return line.count > width ? String(line.prefix(max(0, width))) : line
    }

    /// The line for a log.
    public var plain: String {
        var line = "patchaudit: \(done)/\(total) done (\(percent)%)"
        if !countsText.isEmpty { line += ": " + countsText }
        if let rate { line += String(format: "; %.1f targets/s", rate) }
        if let eta, done < total { line += "; ETA " + RunSummary.duration(eta) }
        if let slowest { line += "; slowest in flight: \(TerminalText.safe(slowest.target)) (\(RunSummary.duration(slowest.seconds)))" }
        return line
    }

    /// `…` and the end of a long name (the file name is the telling part).
    static func shortened(_ text: String, to width: Int) -> String {
        guard text.count > width else { return text }
        return "…" + String(text.suffix(max(0, width - 1)))
    }
}
