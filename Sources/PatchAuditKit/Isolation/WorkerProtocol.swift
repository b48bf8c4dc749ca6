import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a scan worker (a process of the same binary, `patchaudit worker`) and its supervisor
/// say to each other: length-prefixed frames on the worker's standard input and output.
///
///     uint32 length (little endian, of type and payload) | uint8 type | payload
///
/// - ``FrameType/request`` (supervisor → worker): ``WorkerRequest``: uint32 index, then the
///   target as UTF-8.
/// - ``FrameType/report`` (worker → supervisor): JSON ``WorkerReply``.
/// - ``FrameType/line`` (worker → supervisor): the report rendered as its ndjson line, for runs
///   whose output is ndjson (``WorkerSetup/renderLines``): the supervisor writes it as it is,
///   and neither decodes nor encodes the report again.
/// - ``FrameType/note`` (worker → supervisor, written by the crash handler in C): int32 signal
///   number, then the raw bytes of the entry being read (see `crash_note.h`).
/// - ``FrameType/refusal`` (worker → supervisor): UTF-8 text; the worker could not start (a
///   manifest changed since the supervisor checked it).
public enum WorkerProtocol {
    public enum FrameType: UInt8, Sendable {
        case refusal = 1
        case report = 2
        case note = 3
        /// A report the worker rendered as its ndjson line: uint32 index, uint8 verdict (its
        /// position in `Verdict.allCases`), then the line as `JSONReport.line` writes it.
        case line = 4
        case request = 5
    }

    /// Largest frame either side accepts. A report of 10,000 matched files with their reasons
    /// stays far below; anything larger is a broken worker, not a report.
    public static let maxFrameLength = 256 << 20

    /// One frame's bytes, or nil when the payload is longer than a frame may be.
    public static func frame(_ type: FrameType, _ payload: [UInt8]) -> [UInt8]? {
        guard payload.count < maxFrameLength else { return nil }
        let length = UInt32(payload.count + 1)
        var bytes = [UInt8(length & 0xff), UInt8(length >> 8 & 0xff), UInt8(length >> 16 & 0xff), UInt8(length >> 24 & 0xff), type.rawValue]
        bytes.append(contentsOf: payload)
        return bytes
    }

    /// Splits a byte stream into frames as it arrives.
    public struct FrameDecoder: Sendable {
        private var buffer: [UInt8] = []
        private var start = 0

        public init() {}

        /// A frame the stream broke the rules with (unknown type, too long).
        public struct Malformed: Error, Sendable, CustomStringConvertible {
            public var description: String
        }

        public mutating func append(_ bytes: some Sequence<UInt8>) {
            if start > 0 && start == buffer.count {
                buffer.removeAll(keepingCapacity: true)
                start = 0
            }
            buffer.append(contentsOf: bytes)
        }

        /// The next whole frame, or nil until more bytes arrive.
        public mutating func next() throws(Malformed) -> (type: FrameType, payload: [UInt8])? {
            guard buffer.count - start >= 5 else { return nil }
            let length = Int(buffer[start]) | Int(buffer[start + 1]) << 8 | Int(buffer[start + 2]) << 16 | Int(buffer[start + 3]) << 24
            guard length >= 1, length <= maxFrameLength else {
                throw Malformed(description: "a frame of \(length) bytes")
            }
            guard buffer.count - start - 4 >= length else { return nil }
            guard let type = FrameType(rawValue: buffer[start + 4]) else {
                throw Malformed(description: "a frame of unknown type \(buffer[start + 4])")
            }
            let payload = Array(buffer[(start + 5)..<(start + 4 + length)])
            start += 4 + length
            if start > 1 << 20 {
                buffer.removeFirst(start)
                start = 0
            }
            return (type, payload)
        }
    }
}

/// One target for a worker to scan.
public struct WorkerRequest: Sendable, Hashable {
    /// The target's place in the run (reports come back with it).
    public var index: Int
    /// The target as the user gave it.
    public var target: String

    public init(index: Int, target: String) {
        self.index = index
        self.target = target
    }

    /// The frame payload: uint32 index (little endian), the target's UTF-8.
    public var payload: [UInt8] {
        withUnsafeBytes(of: UInt32(truncatingIfNeeded: index).littleEndian) { Array($0) } + Array(target.utf8)
    }

    /// Reads a payload, or nil when it is too short to hold an index.
    public init?(payload: [UInt8]) {
        guard payload.count >= 4 else { return nil }
        index = Int(payload[0]) | Int(payload[1]) << 8 | Int(payload[2]) << 16 | Int(payload[3]) << 24
        target = String(decoding: payload[4...], as: UTF8.self)
    }
}

/// A worker's answer for one target.
public struct WorkerReply: Sendable, Codable {
    public var index: Int
    public var report: TargetReport
}

/// One target's result as a scan hands it on: the report model, or (a worker that rendered it)
/// the report's ndjson line with the facts a run needs from it.
public enum ScanResult: Sendable {
    case report(TargetReport)
    /// `JSONReport.line(report, manifests:)`'s bytes, made by the worker from the same model.
    case line(target: String, verdict: Verdict, bytes: [UInt8])

    public var verdict: Verdict {
        switch self {
        case .report(let report): report.verdict
        case .line(_, let verdict, _): verdict
        }
    }

    public var target: String {
        switch self {
        case .report(let report): report.target
        case .line(let target, _, _): target
        }
    }

    /// For an `error` target, why: its first reason's rule (`target-timeout`, `worker-crashed`,
    /// `archive-corrupt`); nil for other verdicts.
    public var errorCause: String? {
        guard verdict == .error else { return nil }
        switch self {
        case .report(let report): return report.reasons.first?.rule
        case .line(_, _, let bytes): return NDJSONFile.Facts(line: bytes)?.cause
        }
    }
}

/// Everything a worker needs besides its requests, passed on its command line: manifests by
/// path with the SHA-256 the supervisor verified (a worker refuses a file whose bytes changed
/// since), their signature state, and the limits.
public struct WorkerSetup: Sendable, Codable, Hashable {
    public struct ManifestReference: Sendable, Codable, Hashable {
        public var path: String
        public var sha256: String
        public var signature: SignatureStatus
    }

    public var manifests: [ManifestReference]
    public var limits: ScanLimits
    public var walkers: Int
    /// Resident memory one worker may use, in bytes (its address space gets this plus headroom).
    public var memoryLimit: Int64
    /// Wall-clock time one target may take (the CPU limit is derived from it).
    public var targetTimeout: Double
    /// The supervisor's process id: a worker whose parent is no longer this one is orphaned.
    public var supervisor: Int32?
    /// Send each report as its ndjson line (with the manifests), not as the model.
    public var renderLines = false

    public init(manifests: [LoadedManifest], limits: ScanLimits, walkers: Int, memoryLimit: Int64, targetTimeout: Double) {
        self.manifests = manifests.map { ManifestReference(path: $0.path, sha256: $0.sha256, signature: $0.signature) }
        self.limits = limits
        self.walkers = walkers
        self.memoryLimit = memoryLimit
        self.targetTimeout = targetTimeout
        supervisor = getpid()
    }

    enum CodingKeys: String, CodingKey {
        case manifests, limits, walkers, memoryLimit, targetTimeout, supervisor, renderLines
    }

    /// Reads a setup; fields a setup may leave out (`supervisor`, `renderLines`) get their defaults.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        manifests = try container.decode([ManifestReference].self, forKey: .manifests)
        limits = try container.decode(ScanLimits.self, forKey: .limits)
        walkers = try container.decode(Int.self, forKey: .walkers)
        memoryLimit = try container.decode(Int64.self, forKey: .memoryLimit)
        targetTimeout = try container.decode(Double.self, forKey: .targetTimeout)
        supervisor = try container.decodeIfPresent(Int32.self, forKey: .supervisor)
        renderLines = try container.decodeIfPresent(Bool.self, forKey: .renderLines) ?? false
    }

    /// The setup as one command-line argument (compact JSON).
    public func encoded() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    public static func decode(_ text: String) throws -> WorkerSetup {
        try JSONDecoder().decode(WorkerSetup.self, from: Data(text.utf8))
    }
}
