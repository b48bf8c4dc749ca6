import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a scan worker (a process of the same binary, `patchaudit worker`) and its supervisor
/// say to each other: length-prefixed frames on the worker's standard input and output.
///
///     uint32 length (little endian, of type and payload) | uint8 type | payload
///
/// - ``FrameType/request`` (supervisor → worker): JSON ``WorkerRequest``.
/// - ``FrameType/report`` (worker → supervisor): JSON ``WorkerReply``.
/// - ``FrameType/note`` (worker → supervisor, written by the crash handler in C): int32 signal
///   number, then the raw bytes of the entry being read (see `crash_note.h`).
/// - ``FrameType/refusal`` (worker → supervisor): UTF-8 text; the worker could not start (a
///   manifest changed since the supervisor checked it).
public enum WorkerProtocol {
    public enum FrameType: UInt8, Sendable {
        case refusal = 1
        case report = 2
        case note = 3
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
public struct WorkerRequest: Sendable, Codable {
    /// The target's place in the run (reports come back with it).
    public var index: Int
    /// The target as the user gave it.
    public var target: String
}

/// A worker's answer for one target.
public struct WorkerReply: Sendable, Codable {
    public var index: Int
    public var report: TargetReport
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

    public init(manifests: [LoadedManifest], limits: ScanLimits, walkers: Int, memoryLimit: Int64, targetTimeout: Double) {
        self.manifests = manifests.map { ManifestReference(path: $0.path, sha256: $0.sha256, signature: $0.signature) }
        self.limits = limits
        self.walkers = walkers
        self.memoryLimit = memoryLimit
        self.targetTimeout = targetTimeout
        supervisor = getpid()
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
