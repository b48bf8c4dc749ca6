import Foundation

/// Renders what `history` and `diff` show: a table for people (target names escaped with
/// ``TerminalText/safe(_:)``), JSON for scripts, and for diff CSV (RFC 4180).
public enum StoreReport {
    /// The verdicts in the order of the columns: worst first.
    static let columns: [Verdict] = Verdict.allCases.sorted { $0.severity > $1.severity }

    /// `history --format table`: one line per run (not-applicable headed N/A, to keep it narrow).
    public static func table(_ runs: [RunInfo]) -> String {
        let header = ["RUN", "STARTED (UTC)", "COMMAND", "TARGETS"] + columns.map { $0 == .notApplicable ? "N/A" : $0.rawValue.uppercased() }
        var rows = [header]
        for run in runs {
            rows.append(["\(run.id)", run.startedAt, TerminalText.safe(run.command), "\(run.targets)"]
                        + columns.map { "\(run.verdicts[$0.rawValue] ?? 0)" })
        }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        var text = ""
        for row in rows {
            let cells = row.enumerated().map { column, cell in
                // Numbers to the right, words to the left.
                column == 0 || column >= 3 ? String(repeating: " ", count: widths[column] - cell.count) + cell
                                           : cell + String(repeating: " ", count: widths[column] - cell.count)
            }
            text += cells.joined(separator: "  ").trimmingTrailingSpaces() + "\n"
        }
        if runs.isEmpty { text += "(no runs yet: `patchaudit scan ... --store FILE` adds one)\n" }
        return text
    }

    /// `history --format json`: `{"runs": [...]}`, keys sorted.
    public static func json(_ runs: [RunInfo]) throws -> Data {
        struct Document: Encodable { var runs: [RunInfo] }
        return try JSONReport.pretty(Document(runs: runs))
    }

    /// `diff --format json`.
    public static func json(_ diff: RunDiff) throws -> Data {
        try JSONReport.pretty(diff)
    }

    /// `diff --format table`: the two runs, then each class with its targets; unchanged counted.
    public static func table(_ diff: RunDiff) -> String {
        func side(_ side: RunDiff.Side) -> String {
            let name = side.run.map { "run \($0)" } ?? TerminalText.safe(side.source)
            let when = side.startedAt.map { ", \($0)" } ?? ""
            return "\(name) (\(side.targets) target\(side.targets == 1 ? "" : "s")\(when))"
        }
        var text = "from \(side(diff.from))\n  to \(side(diff.to))\n"
        for section in diff.sections where !section.items.isEmpty {
            text += "\n\(section.title) (\(section.items.count)):\n"
            for change in section.items {
                var line = "  " + TerminalText.safe(change.target) + "  "
                switch (change.from, change.to) {
                case (let from?, let to?): line += "\(from.rawValue) -> \(to.rawValue)"
                case (nil, let to?): line += to.rawValue
                case (let from?, nil): line += "was \(from.rawValue)"
                case (nil, nil): break
                }
                if let damaged = change.damaged, !damaged.isEmpty {
                    line += "; damaged: " + damaged.map(TerminalText.safe).joined(separator: ", ")
                }
                text += line + "\n"
            }
        }
        text += "\nunchanged: \(diff.unchanged) target\(diff.unchanged == 1 ? "" : "s")\n"
        return text
    }

    /// `diff --format csv`: `change,target,from,to,damaged`, one row per changed target,
    /// damaged paths joined by `; `; written as the report's CSV is (``CSVCell``: RFC 4180,
    /// CRLF, formulas neutralised).
    public static func csv(_ diff: RunDiff) throws -> Data {
        var rows = [["change", "target", "from", "to", "damaged"]]
        for section in diff.sections {
            for change in section.items {
                rows.append([section.change, change.target, change.from?.rawValue ?? "", change.to?.rawValue ?? "",
                             (change.damaged ?? []).joined(separator: "; ")])
            }
        }
        return try CSVCell.rows(rows)
    }
}

private extension String {
    func trimmingTrailingSpaces() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
