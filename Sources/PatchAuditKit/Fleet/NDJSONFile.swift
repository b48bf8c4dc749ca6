import Foundation

/// Reads NDJSON result files (`scan --format ndjson` output) line by line, in bounded chunks:
/// what `--resume` and `merge` need from each line, and where the line lies, never the whole
/// file in memory.
public enum NDJSONFile {
    /// Longest line accepted: a worker's report frame can be no longer.
    public static let maxLineBytes = WorkerProtocol.maxFrameLength

    /// A file that cannot be used as results: which file, where, and what to do.
    public struct Problem: Error, Sendable, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// What a run needs from one line: the target, its verdict, the manifests it was judged
    /// against, and why it is an error (the first reason's rule).
    public struct Facts: Sendable, Hashable {
        public var target: String
        public var verdict: Verdict
        /// The SHA-256 of each manifest, sorted (empty for a line that names none).
        public var manifestDigests: [String]
        /// For an `error` target: its first reason's rule (`target-timeout`, `archive-corrupt`).
        public var cause: String?

        public init(target: String, verdict: Verdict, manifestDigests: [String], cause: String?) {
            self.target = target
            self.verdict = verdict
            self.manifestDigests = manifestDigests
            self.cause = cause
        }

        /// The facts of one line, or nil when it is not a target object as `scan --format
        /// ndjson` writes it (with `target`, `verdict`, `kind` and `manifests`).
        /// The fields of a line that ``Facts`` reads (the rest is skipped by the decoder).
        private struct Line: Decodable {
            struct Manifest: Decodable { var sha256: String }
            struct Rule: Decodable { var rule: String }
            var target: String
            var verdict: Verdict
            var kind: String
            var manifests: [Manifest]
            var reasons: [Rule]?
        }

        public init?(line: some Collection<UInt8>) {
            guard let decoded = try? JSONDecoder().decode(Line.self, from: Data(line)) else { return nil }
            target = decoded.target
            verdict = decoded.verdict
            manifestDigests = decoded.manifests.map(\.sha256).sorted()
            cause = decoded.verdict == .error ? decoded.reasons?.first?.rule : nil
        }
    }

    /// Where a line lies in its file (the newline not counted).
    public struct Span: Sendable, Hashable {
        public var offset: Int64
        public var length: Int
    }

    /// What a pass over a file found besides its lines.
    public struct Extent: Sendable, Hashable {
        /// Bytes up to and including the last newline.
        public var complete: Int64
        /// Bytes after it: a line cut short (a run killed while writing it).
        public var torn: Int64
    }

    /// Calls `body` with every complete line (without its newline) and where it lies; returns
    /// the file's extent. Reads 1 MiB at a time from the start of `descriptor`.
    public static func forEachLine(in descriptor: Int32, name: String,
                                   _ body: (Span, ArraySlice<UInt8>) throws(Problem) -> Void) throws(Problem) -> Extent {
        var pending: [UInt8] = []
        var pendingStart: Int64 = 0
        var offset: Int64 = 0
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = chunk.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, off_t(offset)) }
            if count < 0 {
                if errno == EINTR { continue }
                throw Problem("\(name): reading it failed at byte \(offset): \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            var lineStart = 0
            for index in 0..<count where chunk[index] == 0x0a {
                let length = pending.count + index - lineStart
                let span = Span(offset: pending.isEmpty ? offset + Int64(lineStart) : pendingStart, length: length)
                if pending.isEmpty {
                    try body(span, chunk[lineStart..<index])
                } else {
                    pending.append(contentsOf: chunk[lineStart..<index])
                    try body(span, pending[...])
                    pending.removeAll(keepingCapacity: false)
                }
                lineStart = index + 1
            }
            if lineStart < count {
                if pending.isEmpty { pendingStart = offset + Int64(lineStart) }
                guard pending.count + count - lineStart <= maxLineBytes else {
                    throw Problem("\(name): the line at byte \(pendingStart) is longer than \(maxLineBytes >> 20) MiB, more than any report patchaudit writes; this is not a patchaudit NDJSON file")
                }
                pending.append(contentsOf: chunk[lineStart..<count])
            }
            offset += Int64(count)
        }
        return Extent(complete: offset - Int64(pending.count), torn: Int64(pending.count))
    }

    /// The bytes of one line found before (nil when the file changed under us).
    public static func line(at span: Span, in descriptor: Int32) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: span.length)
        var done = 0
        while done < span.length {
            let count = bytes.withUnsafeMutableBytes { buffer in
                pread(descriptor, buffer.baseAddress.map { $0 + done }, span.length - done, off_t(span.offset) + off_t(done))
            }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return nil }
            done += count
        }
        return bytes
    }
}
