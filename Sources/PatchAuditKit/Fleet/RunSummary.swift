import Foundation

/// What a run over many targets came to: counts per verdict, errors by cause, targets a
/// resume skipped. The json document carries it as `summary` (without times, so the document
/// stays byte-for-byte repeatable); people get ``text(elapsed:)`` on standard error.
public struct RunSummary: Sendable, Hashable, Codable {
    /// Targets in the run, skipped ones included.
    public var targets = 0
    /// Targets per verdict; every verdict is listed, with 0 when none had it.
    public var verdicts: [String: Int] = Dictionary(uniqueKeysWithValues: Verdict.allCases.map { ($0.rawValue, 0) })
    /// `error` targets by their first reason's rule (`target-timeout`, `archive-corrupt`, ...).
    public var errors: [String: Int] = [:]
    /// Targets taken from an earlier run's output by `--resume` (counted in `verdicts` too).
    public var resumed = 0
    /// The shard this run scanned (`2/8`), when it was one.
    public var shard: String?
    /// Targets named in the list but found in no input (`merge --targets`).
    public var missing = 0
    /// Targets two inputs gave different results for (`merge`).
    public var conflicting = 0

    public init() {}

    /// Counts one target.
    public mutating func add(_ verdict: Verdict, cause: String?, resumed: Bool = false) {
        targets += 1
        verdicts[verdict.rawValue, default: 0] += 1
        if verdict == .error { errors[cause ?? "unknown", default: 0] += 1 }
        if resumed { self.resumed += 1 }
    }

    /// The worst verdict counted (`not-applicable` when none was).
    public var worst: Verdict {
        Verdict.allCases.filter { (verdicts[$0.rawValue] ?? 0) > 0 }.max() ?? .notApplicable
    }

    /// The run's exit status: 3 when a merge found targets missing from every input or with
    /// different results (the report is incomplete), else the highest status `failOn` counts.
    public func exitStatus(failOn: FailOn) -> Int32 {
        missing > 0 || conflicting > 0 ? 3 : failOn.exitStatus(for: verdictsPresent)
    }

    /// The verdicts counted, as a list the exit status is computed from.
    public var verdictsPresent: [Verdict] {
        Verdict.allCases.filter { (verdicts[$0.rawValue] ?? 0) > 0 }
    }

    /// One line for people: "3000 targets in 12m 04s: 2100 up-to-date, 700 patch-needed, 50
    /// error (30 target-timeout, 20 archive-corrupt); 750 already done (--resume)".
    public func text(elapsed: Double?) -> String {
        let counts = Verdict.allCases.sorted { $0.severity > $1.severity }.compactMap { verdict -> String? in
            guard let count = verdicts[verdict.rawValue], count > 0 else { return nil }
            if verdict == .error && !errors.isEmpty {
                let causes = errors.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { "\($0.value) \($0.key)" }
                return "\(count) error (\(causes.joined(separator: ", ")))"
            }
            return "\(count) \(verdict.rawValue)"
        }
        var line = "\(targets) target\(targets == 1 ? "" : "s")"
        if let shard { line += " of shard \(shard)" }
        if let elapsed { line += " in \(Self.duration(elapsed))" }
        line += ": " + (counts.isEmpty ? "none" : counts.joined(separator: ", "))
        var extras: [String] = []
        if resumed > 0 { extras.append("\(resumed) already done in the output (--resume), not scanned again") }
        if missing > 0 { extras.append("\(missing) missing from every input") }
        if conflicting > 0 { extras.append("\(conflicting) with different results in two inputs") }
        if !extras.isEmpty { line += "; " + extras.joined(separator: "; ") }
        return line
    }

    /// 0.4s, 12s, 3m 05s, 2h 01m.
    public static func duration(_ seconds: Double) -> String {
        if seconds < 10 { return String(format: "%.1fs", seconds) }
        let whole = Int(seconds.rounded())
        if whole < 60 { return "\(whole)s" }
        if whole < 3600 { return String(format: "%dm %02ds", whole / 60, whole % 60) }
        return String(format: "%dh %02dm", whole / 3600, whole / 60 % 60)
    }
}
