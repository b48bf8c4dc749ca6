import Foundation

/// Writes a run's results in one format as they come, target by target, keeping nothing of a
/// target once it is written: `scan` and `merge` both write through it.
///
/// - table: the manifests, a block per target, a summary line when there are several;
/// - ndjson: one line per target (a worker's own rendering, or `merge`'s input line, as it is);
/// - json: one document, streamed: `manifests`, then `targets` one by one, then `summary`,
///   `tool` and `verdict`, which are known only at the end. Keys inside each object are sorted;
///   the top level's order is that one (JSON objects are unordered; the bytes stay repeatable).
/// - hashdeep: the header, then each target's rows.
public final class ReportStream: @unchecked Sendable {
    // @unchecked Sendable: `written` and `worst` change only with `lock` held, in every method
    // that writes; the rest is set once in init.
    private let lock = NSLock()
    public let format: ReportFormat
    private let manifests: [ManifestUse]
    private let table: TableReport
    private let write: @Sendable (Data) throws -> Void
    private var written = 0
    private var worst: Verdict?

    /// - Parameters:
    ///   - hashdeepCommand: the command line and folder hashdeep's header names.
    public init(format: ReportFormat, manifests: [ManifestUse], colour: Bool = false,
                hashdeepCommand: (directory: String, command: String)? = nil, write: @escaping @Sendable (Data) throws -> Void) {
        self.format = format
        self.manifests = manifests
        self.table = TableReport(colour: colour)
        self.write = write
        self.hashdeepCommand = hashdeepCommand
    }

    private let hashdeepCommand: (directory: String, command: String)?

    /// What comes before the first target.
    public func begin() throws {
        try lock.withLock { try writeBegin() }
    }

    private func writeBegin() throws {
        switch format {
        case .table:
            try write(Data(table.renderManifests(manifests).utf8))
        case .json:
            var head = Data("{\n  \"manifests\" : ".utf8)
            head.append(Self.indented(try JSONReport.encoder(pretty: true).encode(manifests), by: 2))
            head.append(Data(",\n  \"targets\" : [".utf8))
            try write(head)
        case .hashdeep:
            let (directory, command) = hashdeepCommand ?? (FileManager.default.currentDirectoryPath, "patchaudit")
            try write(Data(HashdeepReport.header(invokedFrom: directory, command: command).utf8))
        case .ndjson:
            break
        }
    }

    /// Writes one target from its report.
    public func add(_ report: TargetReport) throws {
        try lock.withLock { try render(report) }
    }

    private func render(_ report: TargetReport) throws {
        note(report.verdict)
        switch format {
        case .table: try write(Data(table.render(report).utf8))
        case .ndjson: try write(try JSONReport.line(report, manifests: manifests))
        case .hashdeep: try write(Data(HashdeepReport.rows(report).utf8))
        case .json:
            var item = Data((written == 1 ? "\n    " : ",\n    ").utf8)
            item.append(Self.indented(try JSONReport.encoder(pretty: true).encode(report), by: 4))
            try write(item)
        }
    }

    /// Writes one target from its ndjson line (a worker's rendering, a merged file's line);
    /// other formats than ndjson decode it into the report model first.
    public func add(line: [UInt8], verdict: Verdict) throws {
        guard format == .ndjson else {
            return try add(try JSONDecoder().decode(TargetReport.self, from: Data(line)))
        }
        var bytes = Data(line)
        if line.last != 0x0a { bytes.append(0x0a) }
        try lock.withLock {
            note(verdict)
            try write(bytes)
        }
    }

    /// What comes after the last target: the summary (json, and a line for table).
    public func finish(_ summary: RunSummary) throws {
        try lock.withLock { try writeFinish(summary) }
    }

    private func writeFinish(_ summary: RunSummary) throws {
        switch format {
        case .table:
            if summary.targets > 1 { try write(Data((summary.text(elapsed: nil) + "\n").utf8)) }
        case .json:
            let encoder = JSONReport.encoder(pretty: true)
            var tail = Data((written == 0 ? "]" : "\n  ]").utf8)
            tail.append(Data(",\n  \"summary\" : ".utf8))
            tail.append(Self.indented(try encoder.encode(summary), by: 2))
            tail.append(Data(",\n  \"tool\" : ".utf8))
            tail.append(Self.indented(try encoder.encode(ToolInfo()), by: 2))
            tail.append(Data(",\n  \"verdict\" : ".utf8))
            tail.append(try encoder.encode(worst ?? .notApplicable))
            tail.append(Data("\n}\n".utf8))
            try write(tail)
        case .ndjson, .hashdeep:
            break
        }
    }

    private func note(_ verdict: Verdict) {
        written += 1
        worst = max(worst ?? verdict, verdict)
    }

    /// Pretty JSON shifted right by `spaces` on every line but the first (JSON strings hold no
    /// raw newline, so every newline is between tokens).
    static func indented(_ json: Data, by spaces: Int) -> Data {
        let pad = [UInt8](repeating: 0x20, count: spaces)
        var out = Data()
        out.reserveCapacity(json.count + json.count / 8)
        for (index, byte) in json.enumerated() {
            out.append(byte)
            // No padding on an empty line (Foundation writes an empty array as "[\n\n]").
            if byte == 0x0a, index + 1 < json.count, json[json.startIndex + index + 1] != 0x0a { out.append(contentsOf: pad) }
        }
        return out
    }
}
