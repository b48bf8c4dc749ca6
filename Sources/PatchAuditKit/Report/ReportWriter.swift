import Foundation

/// One output format: what comes before the first target, each target, and what comes after
/// the last. A writer returns bytes and writes nothing itself, so the same writer serves
/// `scan`, `merge`, a file, a pipe and a golden-file test; ``ReportStream`` does the writing
/// and keeps the calls in order. Each format has its type in `Report/`, chosen by
/// ``ReportFormat/writer(_:)``.
///
/// A writer renders the one report model (``TargetReport``): it may keep what it needs for
/// `finish` (counts, or rendered rows of a format whose header needs totals), never the reports.
public protocol ReportWriter: AnyObject {
    /// What comes before the first target.
    func begin() throws -> Data
    /// One target.
    func add(_ target: TargetReport) throws -> Data
    /// What comes after the last target.
    func finish(_ end: RunEnd) throws -> Data
    /// The same, handed to `emit` in parts: a writer that kept its targets' parts out of
    /// memory (``ReportSpool``) gives them back this way. By default, ``finish(_:)`` in one part.
    func finish(_ end: RunEnd, emit: (Data) throws -> Void) throws
}

extension ReportWriter {
    public func finish(_ end: RunEnd, emit: (Data) throws -> Void) throws {
        try emit(try finish(end))
    }
}

/// What a writer knows about the run besides its targets.
public struct ReportContext: Sendable {
    /// The manifests the targets were judged against.
    public var manifests: [ManifestUse]
    /// ANSI colour in the table (a terminal without NO_COLOR).
    public var colour = false
    /// The command line, as a shell would take it (hashdeep's header, the HTML report, JUnit).
    public var command = "patchaudit"
    /// The folder it ran in (hashdeep's header).
    public var directory = "/"
    /// Which verdicts count as failures (JUnit's `failure`, the HTML report's marks).
    public var failOn: FailOn = .patchNeeded
    /// When the run started (the HTML report's date, Prometheus' last run time).
    public var startedAt = Date(timeIntervalSince1970: 0)

    public init(manifests: [ManifestUse], colour: Bool = false, command: String = "patchaudit", directory: String = "/",
                failOn: FailOn = .patchNeeded, startedAt: Date = Date(timeIntervalSince1970: 0)) {
        self.manifests = manifests
        self.colour = colour
        self.command = command
        self.directory = directory
        self.failOn = failOn
        self.startedAt = startedAt
    }
}

/// How a run ended: its summary and how long it took.
public struct RunEnd: Sendable {
    public var summary: RunSummary
    /// Seconds from start to the last target (Prometheus' scan duration); 0 for `merge`.
    public var elapsed: Double

    public init(summary: RunSummary, elapsed: Double = 0) {
        self.summary = summary
        self.elapsed = elapsed
    }
}

/// Which verdicts make a run fail: the exit status, JUnit's failures.
public enum FailOn: String, Sendable, CaseIterable {
    /// patch-needed (1), blocked or review (2), error (3): the default.
    case patchNeeded = "patch-needed"
    /// Only blocked, review (2) and error (3).
    case review
    /// Only error (3).
    case error
    /// Never.
    case none

    /// The lowest exit status that counts.
    var threshold: Int32 {
        switch self {
        case .patchNeeded: 1
        case .review: 2
        case .error: 3
        case .none: 99
        }
    }

    /// Whether `verdict` counts as a failure.
    public func fails(_ verdict: Verdict) -> Bool { verdict.exitStatus >= threshold }

    /// The exit status of a run whose targets had `verdicts`: the highest that counts, else 0.
    public func exitStatus(for verdicts: [Verdict]) -> Int32 {
        verdicts.map(\.exitStatus).filter { $0 >= threshold }.max() ?? 0
    }
}

extension ReportFormat {
    /// The writer of this format.
    public func writer(_ context: ReportContext) -> any ReportWriter {
        switch self {
        case .table: TableWriter(context)
        case .json: JSONWriter(context)
        case .ndjson: NDJSONWriter(context)
        case .hashdeep: HashdeepWriter(context)
        case .csv: CSVTargetsWriter(context)
        case .csvFiles: CSVFilesWriter(context)
        case .junit: JUnitWriter(context)
        case .prometheus: PrometheusWriter(context)
        case .html: HTMLWriter(context)
        }
    }
}

/// `--format table`: the manifests, a block per target, a summary line when there are several.
final class TableWriter: ReportWriter {
    let context: ReportContext
    let table: TableReport

    init(_ context: ReportContext) {
        self.context = context
        table = TableReport(colour: context.colour)
    }

    func begin() throws -> Data { Data(table.renderManifests(context.manifests).utf8) }
    func add(_ target: TargetReport) throws -> Data { Data(table.render(target).utf8) }
    func finish(_ end: RunEnd) throws -> Data {
        // Error causes are rule names from the reports, which a merged file may spell any way.
        end.summary.targets > 1 ? Data((TerminalText.safe(end.summary.text(elapsed: nil)) + "\n").utf8) : Data()
    }
}

/// `--format ndjson`: one line per target, naming the manifests it was judged against.
final class NDJSONWriter: ReportWriter {
    let context: ReportContext
    init(_ context: ReportContext) { self.context = context }
    func begin() throws -> Data { Data() }
    func add(_ target: TargetReport) throws -> Data { try JSONReport.line(target, manifests: context.manifests) }
    func finish(_ end: RunEnd) throws -> Data { Data() }
}

/// `--format hashdeep`: the header naming the command line, then each target's rows.
final class HashdeepWriter: ReportWriter {
    let context: ReportContext
    init(_ context: ReportContext) { self.context = context }
    func begin() throws -> Data { Data(HashdeepReport.header(invokedFrom: context.directory, command: context.command).utf8) }
    func add(_ target: TargetReport) throws -> Data { Data(HashdeepReport.rows(target).utf8) }
    func finish(_ end: RunEnd) throws -> Data { Data() }
}

/// `--format json`: one document, streamed: `manifests`, then `targets` one by one, then
/// `summary`, `tool` and `verdict`, which are known only at the end. Keys inside each object
/// are sorted; the top level's order is that one (JSON objects are unordered; the bytes stay
/// repeatable).
final class JSONWriter: ReportWriter {
    let context: ReportContext
    private var written = 0
    private var worst: Verdict?

    init(_ context: ReportContext) { self.context = context }

    func begin() throws -> Data {
        var head = Data("{\n  \"manifests\" : ".utf8)
        head.append(Self.indented(try JSONReport.encoder(pretty: true).encode(context.manifests), by: 2))
        head.append(Data(",\n  \"targets\" : [".utf8))
        return head
    }

    func add(_ target: TargetReport) throws -> Data {
        written += 1
        worst = max(worst ?? target.verdict, target.verdict)
        var item = Data((written == 1 ? "\n    " : ",\n    ").utf8)
        item.append(Self.indented(try JSONReport.encoder(pretty: true).encode(target), by: 4))
        return item
    }

    func finish(_ end: RunEnd) throws -> Data {
        let encoder = JSONReport.encoder(pretty: true)
        var tail = Data((written == 0 ? "]" : "\n  ]").utf8)
        tail.append(Data(",\n  \"summary\" : ".utf8))
        tail.append(Self.indented(try encoder.encode(end.summary), by: 2))
        tail.append(Data(",\n  \"tool\" : ".utf8))
        tail.append(Self.indented(try encoder.encode(ToolInfo()), by: 2))
        tail.append(Data(",\n  \"verdict\" : ".utf8))
        tail.append(try encoder.encode(worst ?? .notApplicable))
        tail.append(Data("\n}\n".utf8))
        return tail
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
