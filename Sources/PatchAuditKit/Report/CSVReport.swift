import CSV
import Foundation

/// `--format csv`: one row per target, for a service desk's spreadsheet.
///
/// Columns: target, verdict, kind, Outlook release, language, installations, outdated,
/// damaged, missing (files, over all installations), reasons (the first three, ` | ` between),
/// what to do. RFC 4180: a header row, CRLF line ends, fields quoted where needed (CSV.swift);
/// every text cell is neutralised against formula injection (``CSVCell``).
final class CSVTargetsWriter: ReportWriter {
    static let header = ["target", "verdict", "kind", "outlook_release", "language", "installations",
                         "outdated", "damaged", "missing", "reasons", "what_to_do"]

    init(_ context: ReportContext) {}

    func begin() throws -> Data { try CSVCell.row(Self.header) }

    func add(_ target: TargetReport) throws -> Data {
        let counts = target.fileCounts
        return try CSVCell.row([
            target.target, target.verdict.rawValue, target.kind.rawValue,
            target.productNames.joined(separator: "; "), target.productLanguages.joined(separator: "; "),
            String(target.installations.count),
            String(counts[.outdated] ?? 0), String(counts[.damaged] ?? 0), String(counts[.missing] ?? 0),
            target.verdictReasons.prefix(3).map(\.message).joined(separator: " | "),
            target.advice,
        ])
    }

    func finish(_ end: RunEnd) throws -> Data { Data() }
}

/// `--format csv-files`: one row per evaluated file (each installation and manifest), then
/// the stray copies (no installation, no manifest).
///
/// Columns: target, installation, manifest, file, path, status, version, expected, size, sha256.
final class CSVFilesWriter: ReportWriter {
    static let header = ["target", "installation", "manifest", "file", "path", "status", "version", "expected", "size", "sha256"]

    init(_ context: ReportContext) {}

    func begin() throws -> Data { try CSVCell.row(Self.header) }

    func add(_ target: TargetReport) throws -> Data {
        var rows: [[String]] = []
        for installation in target.installations {
            for evaluation in installation.evaluations {
                for file in evaluation.files {
                    rows.append(Self.cells(target.target, installation.id, evaluation.manifest, file))
                }
            }
        }
        for file in target.strayFiles {
            rows.append(Self.cells(target.target, "", "", file))
        }
        return try CSVCell.rows(rows)
    }

    func finish(_ end: RunEnd) throws -> Data { Data() }

    static func cells(_ target: String, _ installation: String, _ manifest: String, _ file: FileFinding) -> [String] {
        [target, installation, manifest, file.name, file.path ?? "", file.status.rawValue, file.version ?? "",
         file.expected ?? "", file.size.map(String.init) ?? "", file.sha256 ?? ""]
    }
}

/// CSV cells for spreadsheets, safe against formula injection (CWE-1236, OWASP's advice): a
/// cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with `'`,
/// so Excel, LibreOffice and Google Sheets show it as text instead of evaluating it. The
/// value is otherwise unchanged; quoting (commas, quotes, line breaks) is CSV.swift's.
public enum CSVCell {
    static let triggers: Set<Unicode.Scalar> = ["=", "+", "-", "@", "\t", "\r"]

    /// `value`, neutralised when a spreadsheet would read it as a formula.
    public static func neutralised(_ value: String) -> String {
        guard let first = value.unicodeScalars.first, triggers.contains(first) else { return value }
        return "'" + value
    }

    /// One CSV record with its CRLF.
    static func row(_ cells: [String]) throws -> Data { try rows([cells]) }

    /// CSV records, each ended by CRLF (RFC 4180); empty for none.
    static func rows(_ rows: [[String]]) throws -> Data {
        guard !rows.isEmpty else { return Data() }
        let stream = OutputStream(toMemory: ())
        let writer = try CSVWriter(stream: stream, newline: .crlf)
        for row in rows { try writer.write(row: row.map(neutralised)) }
        writer.stream.close()
        guard var data = stream.property(forKey: .dataWrittenToMemoryStreamKey) as? Data else {
            throw CSVError.cannotWriteStream
        }
        data.append(contentsOf: [0x0d, 0x0a])
        return data
    }
}
