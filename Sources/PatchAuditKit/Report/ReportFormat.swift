import Foundation

/// The output formats of `scan` and `merge`; each has its ``ReportWriter``.
public enum ReportFormat: String, Sendable, CaseIterable {
    /// For people: one block per target.
    case table
    /// One document with every target.
    case json
    /// One target object per line, written as each target finishes.
    case ndjson
    /// The inventory as a hashdeep known-file list (``HashdeepReport``).
    case hashdeep
    /// One row per target, for spreadsheets (``CSVTargetsWriter``).
    case csv
    /// One row per evaluated file (``CSVFilesWriter``).
    case csvFiles = "csv-files"
    /// JUnit XML for CI dashboards (``JUnitWriter``).
    case junit
    /// Gauges for node_exporter's textfile collector (``PrometheusWriter``).
    case prometheus
    /// One self-contained web page for people: a chart of the verdicts, a table of targets
    /// that sorts and filters, and each target's findings (``HTMLWriter``).
    case html

    /// Written under a temporary name and renamed into place when complete (a textfile
    /// collector must never read half a file).
    public var replacesOutput: Bool { self == .prometheus }

    /// Written from the ndjson line a worker renders, as it is (the others decode it into the
    /// report model first).
    public var takesRenderedLines: Bool { self == .ndjson }

    /// Ends with the run's summary line (the table), so none is said again on a terminal.
    public var endsWithSummary: Bool { self == .table }
}

/// JSON rendering of the report model: sorted keys, no timestamps, byte-for-byte repeatable.
public enum JSONReport {
    static func encoder(pretty: Bool) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
                                          : [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// The whole report as one object (`--format json`), with a trailing newline.
    public static func document(_ report: ScanReport) throws -> Data {
        var data = try encoder(pretty: true).encode(report)
        data.append(0x0a)
        return data
    }

    /// One target as a single line (`--format ndjson`), with its newline. With `manifests`,
    /// the line also names the manifests it was judged against (id, SHA-256, signer), so each
    /// line stands on its own as evidence.
    public static func line(_ target: TargetReport, manifests: [ManifestUse]? = nil) throws -> Data {
        var data = try encoder(pretty: false).encode(TargetLine(target: target, manifests: manifests))
        data.append(0x0a)
        return data
    }

    /// A target object with a `manifests` key added.
    struct TargetLine: Encodable {
        var target: TargetReport
        var manifests: [ManifestUse]?

        enum Keys: String, CodingKey { case manifests }

        func encode(to encoder: any Encoder) throws {
            try target.encode(to: encoder)
            if let manifests {
                var container = encoder.container(keyedBy: Keys.self)
                try container.encode(manifests, forKey: .manifests)
            }
        }
    }

    /// Any encodable value, pretty, sorted (used by `inspect --format json`).
    public static func pretty(_ value: some Encodable) throws -> Data {
        var data = try encoder(pretty: true).encode(value)
        data.append(0x0a)
        return data
    }
}
