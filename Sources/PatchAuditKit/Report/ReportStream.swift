import Foundation

/// Writes a run's results through one ``ReportWriter`` as they come, target by target,
/// keeping nothing of a target once it is written: `scan` and `merge` both write through it.
/// Calls may come from several threads; the writer sees them one at a time, in order.
public final class ReportStream: @unchecked Sendable {
    // @unchecked Sendable: `writer` is used, and `write` called, only with `lock` held.
    private let lock = NSLock()
    public let format: ReportFormat
    private let writer: any ReportWriter
    private let write: @Sendable (Data) throws -> Void
    /// Also given each target (`--store`), after it is written.
    private let recorder: (any TargetRecorder)?

    public init(format: ReportFormat, context: ReportContext, recorder: (any TargetRecorder)? = nil,
                write: @escaping @Sendable (Data) throws -> Void) {
        self.format = format
        self.writer = format.writer(context)
        self.recorder = recorder
        self.write = write
    }

    /// What comes before the first target.
    public func begin() throws {
        try lock.withLock { try emit(try writer.begin()) }
    }

    /// Writes one target from its report.
    public func add(_ report: TargetReport) throws {
        try lock.withLock {
            try emit(try writer.add(report))
            recorder?.record(report)
        }
    }

    /// Writes one target from its ndjson line (a worker's rendering, a merged file's line):
    /// as it is for ndjson, decoded into the report model first for the other formats.
    public func add(line: [UInt8], verdict: Verdict) throws {
        guard format.takesRenderedLines else {
            return try add(try JSONDecoder().decode(TargetReport.self, from: Data(line)))
        }
        var bytes = Data(line)
        if line.last != 0x0a { bytes.append(0x0a) }
        try lock.withLock {
            try emit(bytes)
            recorder?.record(line: line.last == 0x0a ? Array(line.dropLast()) : line)
        }
    }

    /// What comes after the last target (the summary, the totals).
    public func finish(_ end: RunEnd) throws {
        try lock.withLock { try writer.finish(end) { try emit($0) } }
    }

    private func emit(_ data: Data) throws {
        if !data.isEmpty { try write(data) }
    }
}

/// A second consumer of each target a ``ReportStream`` writes (the history store's
/// ``RunRecorder``): it sees every target, in the order written. It cannot fail the report:
/// it keeps its own failure and says it at the end.
public protocol TargetRecorder: AnyObject, Sendable {
    /// One target from the model.
    func record(_ report: TargetReport)
    /// One target from its ndjson line, as written.
    func record(line: [UInt8])
}
