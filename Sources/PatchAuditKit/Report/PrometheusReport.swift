import Foundation

/// `--format prometheus`: gauges for node_exporter's textfile collector, written at the end
/// of the run (and, with `--output`, under a temporary name renamed into place, so the
/// collector never reads half a file).
///
/// Labels take only values patchaudit defines (verdicts, file statuses, error rules), never
/// names from evidence: one series per target would grow without bound. Every verdict and
/// status is written, with 0 when none had it, so a dashboard's series never vanish.
final class PrometheusWriter: ReportWriter {
    let context: ReportContext
    private var installations: [Verdict: Int] = [:]
    private var files: [FileStatus: Int] = [:]

    init(_ context: ReportContext) { self.context = context }

    func begin() throws -> Data { Data() }

    func add(_ target: TargetReport) throws -> Data {
        for installation in target.installations { installations[installation.verdict, default: 0] += 1 }
        for (status, count) in target.fileCounts { files[status, default: 0] += count }
        return Data()
    }

    func finish(_ end: RunEnd) throws -> Data {
        let summary = end.summary
        var out = ""
        func gauge(_ name: String, _ help: String, _ samples: [(labels: String, value: String)]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) gauge\n"
            for sample in samples { out += "\(name)\(sample.labels) \(sample.value)\n" }
        }
        let verdicts = Verdict.allCases.sorted { $0.severity < $1.severity }
        gauge("patchaudit_targets", "Targets of the last run, by verdict.",
              verdicts.map { ("{verdict=\"\($0.rawValue)\"}", String(summary.verdicts[$0.rawValue] ?? 0)) })
        gauge("patchaudit_installations", "Installations found in the last run, by verdict.",
              verdicts.filter { $0 != .error }.map { ("{verdict=\"\($0.rawValue)\"}", String(installations[$0] ?? 0)) })
        gauge("patchaudit_files", "Files the patch concerns in the last run's installations, by status.",
              FileStatus.allCases.map { ("{status=\"\($0.rawValue)\"}", String(files[$0] ?? 0)) })
        if !summary.errors.isEmpty {
            gauge("patchaudit_target_errors", "Targets of the last run that could not be read, by cause.",
                  Self.causes(summary.errors).map { ("{cause=\"\(Self.label($0.key))\"}", String($0.value)) })
        }
        gauge("patchaudit_scan_duration_seconds", "How long the last run took.", [("", String(format: "%.3f", end.elapsed))])
        gauge("patchaudit_last_run_timestamp_seconds", "When the last run ended (Unix time).",
              [("", String(format: "%.3f", context.startedAt.timeIntervalSince1970 + end.elapsed))])
        return Data(out.utf8)
    }

    /// Error counts by cause, with the cause a label may take: a rule name as patchaudit spells
    /// them (lower-case letters, digits and `-`, at most 40), among the first ``maxCauses`` by
    /// name; anything else (a hand-edited or foreign line given to `merge`) counts as `other`,
    /// so the series stay few and their labels ours.
    static func causes(_ errors: [String: Int]) -> [(key: String, value: Int)] {
        var counted: [String: Int] = [:]
        for (cause, count) in errors.sorted(by: { $0.key < $1.key }) {
            let wellFormed = !cause.isEmpty && cause.utf8.count <= 40
                && cause.utf8.allSatisfy { (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2d }
            let known = wellFormed && (counted[cause] != nil || counted.count < maxCauses)
            counted[known ? cause : "other", default: 0] += count
        }
        return counted.sorted { $0.key < $1.key }
    }

    static let maxCauses = 32

    /// A label value as the exposition format wants it: backslash, double quote and line feed escaped.
    static func label(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
