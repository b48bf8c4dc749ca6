import Crypto

/// The digests reports carry for a file read, as lower-case hex: SHA-256 always, SHA-1 and MD5
/// when the scan computed them (``DigestSelection``).
public struct FileDigests: Sendable, Hashable, Codable {
    public var sha256: String
    public var sha1: String?
    public var md5: String?

    public init(sha256: String, sha1: String? = nil, md5: String? = nil) {
        self.sha256 = sha256
        self.sha1 = sha1
        self.md5 = md5
    }

    /// Digests of bytes already in memory (fed through the same streaming accumulator):
    /// SHA-256 and whatever else `selection` names.
    public init(of bytes: [UInt8], selection: DigestSelection = .all) {
        var accumulator = DigestAccumulator(selection: selection)
        bytes.withUnsafeBytes { accumulator.update($0) }
        self = accumulator.finalize()
    }

    /// Digests of bytes already in memory.
    public init(of bytes: UnsafeRawBufferPointer, selection: DigestSelection = .all) {
        var accumulator = DigestAccumulator(selection: selection)
        accumulator.update(bytes)
        self = accumulator.finalize()
    }
}

/// Feeds one stream of bytes to SHA-256 and the selected SHA-1 and MD5 at once, so a file is
/// read a single time. A digest not selected costs nothing.
public struct DigestAccumulator: Sendable {
    private var sha256 = SHA256()
    private var sha1: Insecure.SHA1?
    private var md5: Insecure.MD5?

    /// - Parameter selection: SHA-1 and MD5 are computed only when it names them; SHA-256 always.
    public init(selection: DigestSelection = .all) {
        if selection.contains(.sha1) { sha1 = Insecure.SHA1() }
        if selection.contains(.md5) { md5 = Insecure.MD5() }
    }

    /// Adds the next chunk of the stream.
    public mutating func update(_ chunk: UnsafeRawBufferPointer) {
        sha256.update(bufferPointer: chunk)
        sha1?.update(bufferPointer: chunk)
        md5?.update(bufferPointer: chunk)
    }

    /// Ends the stream and returns the digests computed.
    public func finalize() -> FileDigests {
        FileDigests(sha256: Self.hex(sha256.finalize()),
                    sha1: sha1.map { Self.hex($0.finalize()) },
                    md5: md5.map { Self.hex($0.finalize()) })
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
