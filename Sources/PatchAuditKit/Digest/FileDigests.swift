import Crypto

/// The three digests reports carry for every file read: SHA-256, SHA-1 and MD5, as lower-case hex.
public struct FileDigests: Sendable, Hashable, Codable {
    public var sha256: String
    public var sha1: String
    public var md5: String

    public init(sha256: String, sha1: String, md5: String) {
        self.sha256 = sha256
        self.sha1 = sha1
        self.md5 = md5
    }

    /// Digests of bytes already in memory (fed through the same streaming accumulator).
    public init(of bytes: [UInt8]) {
        var accumulator = DigestAccumulator()
        bytes.withUnsafeBytes { accumulator.update($0) }
        self = accumulator.finalize()
    }
}

/// Feeds one stream of bytes to SHA-256, SHA-1 and MD5 at once, so a file is read a single time.
public struct DigestAccumulator: Sendable {
    private var sha256 = SHA256()
    private var sha1 = Insecure.SHA1()
    private var md5 = Insecure.MD5()

    public init() {}

    /// Adds the next chunk of the stream.
    public mutating func update(_ chunk: UnsafeRawBufferPointer) {
        sha256.update(bufferPointer: chunk)
        sha1.update(bufferPointer: chunk)
        md5.update(bufferPointer: chunk)
    }

    /// Ends the stream and returns the three digests.
    public func finalize() -> FileDigests {
        FileDigests(sha256: Self.hex(sha256.finalize()),
                    sha1: Self.hex(sha1.finalize()),
                    md5: Self.hex(md5.finalize()))
    }

    private static let digits = Array("0123456789abcdef".utf8)

    static func hex(_ digest: some Sequence<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
