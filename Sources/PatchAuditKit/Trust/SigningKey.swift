import Crypto
import Foundation

/// An Ed25519 key that signs manifests: kept by the admin, never shipped.
///
/// Stored as PEM, PKCS#8 `PRIVATE KEY` (RFC 8410: the 16-byte DER prefix
/// `302e020100300506032b657004220420` and the 32-byte seed), the form `openssl genpkey
/// -algorithm ed25519` writes and reads, so keys can be made and checked with openssl too.
public struct SigningKey: Sendable {
    let key: Curve25519.Signing.PrivateKey

    static let derPrefix: [UInt8] = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70,
                                     0x04, 0x22, 0x04, 0x20]

    /// A new random key.
    public init() { key = Curve25519.Signing.PrivateKey() }

    /// Reads a PEM `PRIVATE KEY` holding an Ed25519 seed.
    /// - Throws: ``KeyError`` when the text is not such a key.
    public init(pem: String) throws(KeyError) {
        if pem.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
            throw KeyError("is encrypted with a passphrase, which patchaudit does not ask for; write an unencrypted copy for signing (openssl pkey -in KEY -out PLAIN.key; chmod 600 PLAIN.key) and keep it offline")
        }
        if pem.contains("-----BEGIN PUBLIC KEY-----") {
            throw KeyError("is a public key; sign with the private one (the .key file keygen wrote)")
        }
        let der = try PEM.decode(pem, label: "PRIVATE KEY")
        guard der.count == Self.derPrefix.count + 32, Array(der.prefix(Self.derPrefix.count)) == Self.derPrefix else {
            throw KeyError("is not an Ed25519 private key (expected the 48-byte PKCS#8 form openssl genpkey -algorithm ed25519 writes)")
        }
        do {
            key = try Curve25519.Signing.PrivateKey(rawRepresentation: der.suffix(32))
        } catch {
            throw KeyError("holds an Ed25519 seed that cannot be used: \(error)")
        }
    }

    /// The PEM text to store (keep it private: `patchaudit manifest keygen` writes it mode 0600).
    public var pemRepresentation: String {
        PEM.encode(Self.derPrefix + Array(key.rawRepresentation), label: "PRIVATE KEY")
    }

    /// The public half, to give to everyone who verifies.
    public var publicKey: TrustedKey { TrustedKey(key.publicKey) }

    /// An Ed25519 signature of `message`.
    public func signature(for message: [UInt8]) throws -> [UInt8] {
        Array(try key.signature(for: message))
    }
}

/// An Ed25519 public key a scan trusts (`--trusted-key`).
///
/// Stored as PEM `PUBLIC KEY` (SubjectPublicKeyInfo, RFC 8410: the 12-byte DER prefix
/// `302a300506032b6570032100` and the 32-byte key), as `openssl pkey -pubout` writes it.
public struct TrustedKey: Sendable, Hashable {
    /// The 32-byte key.
    public let rawRepresentation: [UInt8]

    static let derPrefix: [UInt8] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]

    init(_ key: Curve25519.Signing.PublicKey) { rawRepresentation = Array(key.rawRepresentation) }

    /// Reads a PEM `PUBLIC KEY` holding an Ed25519 key.
    /// - Throws: ``KeyError`` when the text is not such a key (a private key given by mistake says so).
    public init(pem: String) throws(KeyError) {
        if pem.contains("-----BEGIN PRIVATE KEY-----") {
            throw KeyError("is a private key; give the public one (the .pub file keygen wrote, or `openssl pkey -pubout`)")
        }
        let der = try PEM.decode(pem, label: "PUBLIC KEY")
        guard der.count == Self.derPrefix.count + 32, Array(der.prefix(Self.derPrefix.count)) == Self.derPrefix else {
            throw KeyError("is not an Ed25519 public key (expected the 44-byte SubjectPublicKeyInfo form openssl pkey -pubout writes)")
        }
        rawRepresentation = Array(der.suffix(32))
    }

    /// The PEM text to hand out.
    public var pemRepresentation: String { PEM.encode(Self.derPrefix + rawRepresentation, label: "PUBLIC KEY") }

    /// `ed25519:` and the first 16 bytes of the SHA-256 of the 32-byte key, in hex: short enough
    /// to read aloud, long enough that no one can make a second key with the same print.
    public var fingerprint: String {
        "ed25519:" + SHA256.hash(data: rawRepresentation).prefix(16).map { Hex.padded($0, digits: 2) }.joined()
    }

    /// Whether `signature` is this key's Ed25519 signature of `message`.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: rawRepresentation) else { return false }
        return key.isValidSignature(signature, for: message)
    }
}

/// A key file that cannot be used.
public struct KeyError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The PEM text armour (RFC 7468): a BEGIN line, base64 lines, an END line.
enum PEM {
    static func decode(_ text: String, label: String) throws(KeyError) -> [UInt8] {
        let begin = "-----BEGIN \(label)-----", end = "-----END \(label)-----"
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let first = lines.firstIndex(of: begin), let last = lines.lastIndex(of: end), first < last else {
            throw KeyError("has no \(begin) ... \(end) block")
        }
        let body = lines[(first + 1)..<last].joined()
        guard body.count <= 4096, let data = Data(base64Encoded: body) else {
            throw KeyError("has a \(label) block that is not valid base64")
        }
        return Array(data)
    }

    static func encode(_ der: [UInt8], label: String) -> String {
        let base64 = Data(der).base64EncodedString()
        var lines = ["-----BEGIN \(label)-----"]
        var rest = Substring(base64)
        while !rest.isEmpty {
            lines.append(String(rest.prefix(64)))
            rest = rest.dropFirst(64)
        }
        lines.append("-----END \(label)-----")
        return lines.joined(separator: "\n") + "\n"
    }
}
