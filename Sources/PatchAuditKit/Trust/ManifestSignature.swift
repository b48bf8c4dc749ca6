import Crypto
import Foundation

/// A detached Ed25519 signature of a manifest file, stored beside it as `<manifest>.sig`.
///
/// What is signed is the manifest file's exact bytes, after the context line
/// `patchaudit manifest signature v1` and a newline, so a signature made for a manifest can never
/// pass for a signature of anything else the same key signs. The `.sig` file is four text lines:
///
///     patchaudit manifest signature v1
///     key: ed25519:<fingerprint of the signing key>
///     manifest-sha256: <SHA-256 of the manifest file>
///     signature: <base64 of the 64-byte Ed25519 signature>
///
/// The key and digest lines only make refusals precise ("the manifest changed after it was
/// signed", "signed by a key you do not trust"); trust comes from the signature alone.
/// It can be checked without patchaudit (README, "Signing manifests"):
/// `openssl pkeyutl -verify -pubin -inkey KEY.pub -rawin -in MESSAGE -sigfile SIG.bin`.
public struct ManifestSignature: Sendable, Hashable {
    /// The first line of a `.sig` file, and the context that prefixes the signed bytes.
    public static let header = "patchaudit manifest signature v1"
    /// A `.sig` file is four short lines; anything larger is refused unread.
    public static let maxFileSize = 4096

    public var keyFingerprint: String
    public var manifestSHA256: String
    public var signature: [UInt8]

    /// The bytes an Ed25519 signature covers for a manifest file's bytes.
    public static func signedMessage(for manifest: [UInt8]) -> [UInt8] {
        Array((header + "\n").utf8) + manifest
    }

    /// Where the signature of the manifest at `path` lives.
    public static func path(for manifestPath: String) -> String { manifestPath + ".sig" }

    /// Signs a manifest file's bytes.
    public init(signing manifest: [UInt8], with key: SigningKey) throws {
        keyFingerprint = key.publicKey.fingerprint
        manifestSHA256 = Self.sha256(manifest)
        signature = try key.signature(for: Self.signedMessage(for: manifest))
    }

    /// Parses a `.sig` file's text.
    /// - Throws: ``KeyError`` naming the line that is wrong.
    public init(text: String) throws(KeyError) {
        // "\r\n" is one Character in Swift: split on both, so a file that passed through Windows reads the same.
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        let meaningful = lines.last == "" ? lines.dropLast() : lines[...]
        guard meaningful.count == 4, meaningful.first == Substring(Self.header) else {
            throw KeyError("is not a patchaudit manifest signature (expected 4 lines starting with \"\(Self.header)\")")
        }
        func value(_ index: Int, _ name: String) throws(KeyError) -> String {
            let line = meaningful[meaningful.startIndex + index]
            guard line.hasPrefix(name + ": ") else { throw KeyError("line \(index + 1) should start with \"\(name): \"") }
            return String(line.dropFirst(name.count + 2))
        }
        keyFingerprint = try value(1, "key")
        manifestSHA256 = try value(2, "manifest-sha256")
        // Both lines are quoted in messages: hold them to their exact form.
        let isLowerHex = { (text: Substring) in text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) } }
        guard keyFingerprint.hasPrefix("ed25519:"), keyFingerprint.utf8.count == 8 + 32, isLowerHex(keyFingerprint.dropFirst(8)) else {
            throw KeyError("line 2 should be \"key: ed25519:\" and 32 lower-case hex digits")
        }
        guard manifestSHA256.utf8.count == 64, isLowerHex(Substring(manifestSHA256)) else {
            throw KeyError("line 3 should be \"manifest-sha256: \" and 64 lower-case hex digits")
        }
        let encoded = try value(3, "signature")
        guard let raw = Data(base64Encoded: encoded), raw.count == 64 else {
            throw KeyError("line 4 does not hold a base64 Ed25519 signature of 64 bytes")
        }
        signature = Array(raw)
    }

    /// The `.sig` file's text.
    public var text: String {
        """
        \(Self.header)
        key: \(keyFingerprint)
        manifest-sha256: \(manifestSHA256)
        signature: \(Data(signature).base64EncodedString())

        """
    }

    /// Checks `manifest`'s bytes against the signature text found beside it (nil when there is none).
    public static func check(manifest: [UInt8], signatureText: String?, trustedKeys: [TrustedKey]) -> SignatureStatus {
        guard let signatureText else { return .unsigned }
        guard !trustedKeys.isEmpty else { return .notVerified }
        let parsed: ManifestSignature
        do {
            parsed = try ManifestSignature(text: signatureText)
        } catch {
            return .refused("its signature file \(error.message)")
        }
        guard let key = trustedKeys.first(where: { $0.fingerprint == parsed.keyFingerprint }) else {
            let trusted = trustedKeys.map(\.fingerprint).joined(separator: ", ")
            return .refused("it is signed by \(parsed.keyFingerprint), which is not a trusted key (trusted: \(trusted))")
        }
        guard key.isValidSignature(parsed.signature, for: signedMessage(for: manifest)) else {
            // Only now does the digest line help: it tells a changed manifest from a changed signature.
            let actual = sha256(manifest)
            if parsed.manifestSHA256 != actual {
                return .refused("the manifest changed after it was signed (signed SHA-256 \(parsed.manifestSHA256), now \(actual))")
            }
            return .refused("its signature does not verify with \(key.fingerprint): the signature file was altered, or the manifest was changed and its digest line with it")
        }
        guard parsed.manifestSHA256 == sha256(manifest) else {
            return .refused("its signature file is inconsistent: the signature verifies but its manifest-sha256 line names other bytes; sign the manifest again")
        }
        return .verified(signer: key.fingerprint)
    }

    static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { Hex.padded($0, digits: 2) }.joined()
    }
}

/// What the signature beside a manifest says about it.
public enum SignatureStatus: Sendable, Hashable, Codable {
    /// A trusted key signed exactly these bytes.
    case verified(signer: String)
    /// There is no `.sig` file.
    case unsigned
    /// A `.sig` file is there, but no trusted key was given to check it with.
    case notVerified
    /// A `.sig` file is there and fails: why, for people.
    case refused(String)

    /// The key fingerprint reports record, or "unsigned" when no trusted key vouched for the bytes.
    public var signer: String {
        if case .verified(let signer) = self { return signer }
        return "unsigned"
    }

    /// One word for reports: verified, unsigned, not-verified or refused.
    public var state: String {
        switch self {
        case .verified: "verified"
        case .unsigned: "unsigned"
        case .notVerified: "not-verified"
        case .refused: "refused"
        }
    }
}

/// Which manifests a command accepts: the keys it trusts, and whether a signature is required.
public struct ManifestTrust: Sendable, Hashable {
    public var trustedKeys: [TrustedKey]
    /// When true, a manifest no trusted key signed is refused before anything is scanned.
    public var requireSigned: Bool

    public init(trustedKeys: [TrustedKey] = [], requireSigned: Bool = false) {
        self.trustedKeys = trustedKeys
        self.requireSigned = requireSigned
    }
}
