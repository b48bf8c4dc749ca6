import Foundation
import Testing
@testable import PatchAuditKit

/// Ed25519 signatures of manifests: a real signature scheme (RFC 8032 vectors), and every
/// alteration refused with its cause.
@Suite struct ManifestSignatureTests {
    static func bytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            out.append(UInt8(hex[index..<next], radix: 16) ?? 0)
            index = next
        }
        return out
    }

    /// RFC 8032, section 7.1, TEST 1 (empty message), read through the PKCS#8 PEM form.
    @Test func rfc8032TestVectorThroughPEM() throws {
        let seed = Self.bytes("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
        let pem = PEM.encode(SigningKey.derPrefix + seed, label: "PRIVATE KEY")
        let key = try SigningKey(pem: pem)
        #expect(key.publicKey.rawRepresentation == Self.bytes("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"))
        let signature = try key.signature(for: [])
        #expect(signature == Self.bytes("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"))
        #expect(key.publicKey.isValidSignature(signature, for: []))
        #expect(!key.publicKey.isValidSignature(signature, for: [0]))
        #expect(key.pemRepresentation == pem)
    }

    @Test func publicKeyPEMRoundTripsAndRefusesAPrivateKey() throws {
        let key = SigningKey()
        let pub = try TrustedKey(pem: key.publicKey.pemRepresentation)
        #expect(pub == key.publicKey)
        #expect(pub.fingerprint.hasPrefix("ed25519:") && pub.fingerprint.count == 8 + 32)
        #expect { try TrustedKey(pem: key.pemRepresentation) } throws: { ($0 as? KeyError)?.message.contains("is a private key") == true }
        #expect(throws: KeyError.self) { try TrustedKey(pem: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n") }
        #expect(throws: KeyError.self) { try SigningKey(pem: "not a key") }
    }

    static let manifest = Array(#"{"formatVersion": 1, "id": "signed"}"#.utf8)

    @Test func aSignatureVerifiesWithItsKeyOnly() throws {
        let key = SigningKey(), other = SigningKey()
        let signature = try ManifestSignature(signing: Self.manifest, with: key)
        #expect(ManifestSignature.check(manifest: Self.manifest, signatureText: signature.text, trustedKeys: [other.publicKey, key.publicKey])
                == .verified(signer: key.publicKey.fingerprint))
        guard case .refused(let why) = ManifestSignature.check(manifest: Self.manifest, signatureText: signature.text, trustedKeys: [other.publicKey]) else {
            Issue.record("a signature by an untrusted key must be refused"); return
        }
        #expect(why.contains(key.publicKey.fingerprint) && why.contains("not a trusted key"))
    }

    /// One changed byte anywhere in the manifest is refused.
    @Test func everyChangedByteIsRefused() throws {
        let key = SigningKey()
        let signature = try ManifestSignature(signing: Self.manifest, with: key).text
        for index in Self.manifest.indices {
            var altered = Self.manifest
            altered[index] ^= 0x01
            let status = ManifestSignature.check(manifest: altered, signatureText: signature, trustedKeys: [key.publicKey])
            guard case .refused(let why) = status else { Issue.record("byte \(index): \(status)"); continue }
            #expect(why.contains("changed after it was signed"))
        }
    }

    /// A forger who also rewrites the digest line still fails: trust comes from the signature.
    @Test func rewritingTheDigestLineDoesNotHelp() throws {
        let key = SigningKey()
        var altered = Self.manifest
        altered[altered.count - 3] = UInt8(ascii: "X")
        var signature = try ManifestSignature(signing: Self.manifest, with: key)
        signature.manifestSHA256 = ManifestSignature.sha256(altered)
        guard case .refused(let why) = ManifestSignature.check(manifest: altered, signatureText: signature.text, trustedKeys: [key.publicKey]) else {
            Issue.record("an altered manifest with a rewritten digest line must be refused"); return
        }
        #expect(why.contains("does not verify"))
        // A valid signature whose digest line names other bytes: the .sig disagrees with itself.
        var inconsistent = try ManifestSignature(signing: Self.manifest, with: key)
        inconsistent.manifestSHA256 = String(repeating: "0", count: 64)
        guard case .refused(let reason) = ManifestSignature.check(manifest: Self.manifest, signatureText: inconsistent.text, trustedKeys: [key.publicKey]) else {
            Issue.record("a .sig that disagrees with itself must be refused"); return
        }
        #expect(reason.contains("inconsistent"))
        // A flipped signature bit, likewise.
        var flipped = try ManifestSignature(signing: Self.manifest, with: key)
        flipped.signature[10] ^= 0x80
        #expect(ManifestSignature.check(manifest: Self.manifest, signatureText: flipped.text, trustedKeys: [key.publicKey]) != .verified(signer: key.publicKey.fingerprint))
    }

    @Test func malformedSignatureFilesAreRefused() throws {
        let key = SigningKey()
        let good = try ManifestSignature(signing: Self.manifest, with: key).text
        let malformed = [
            "", "hello\n", good.replacingOccurrences(of: "signature: ", with: "sig: "),
            good.replacingOccurrences(of: "patchaudit manifest signature v1", with: "patchaudit manifest signature v2"),
            good.components(separatedBy: "\n").prefix(3).joined(separator: "\n"),
            good.replacingOccurrences(of: "signature: ", with: "signature: AAAA"),
        ]
        for text in malformed {
            let status = ManifestSignature.check(manifest: Self.manifest, signatureText: text, trustedKeys: [key.publicKey])
            guard case .refused = status else { Issue.record("\(text.debugDescription): \(status)"); continue }
        }
        // CRLF line ends (a file that passed through Windows) still verify.
        let crlf = good.replacingOccurrences(of: "\n", with: "\r\n")
        #expect(ManifestSignature.check(manifest: Self.manifest, signatureText: crlf, trustedKeys: [key.publicKey]) == .verified(signer: key.publicKey.fingerprint))
    }

    @Test func loaderAppliesTheTrustPolicy() throws {
        let directory = try FixtureSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("m.json").path
        let shipped = URL(fileURLWithPath: FixtureSupport.manifestDirectory).appendingPathComponent("outlook97-archive-patch.json")
        let bytes = try [UInt8](Data(contentsOf: shipped))
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let key = SigningKey()
        let required = ManifestTrust(trustedKeys: [key.publicKey], requireSigned: true)

        #expect { try ManifestLoader.load(path: path, trust: required) } throws: {
            ($0 as? ManifestError)?.message.contains("is not signed") == true
        }
        #expect(try ManifestLoader.load(path: path).signature == .unsigned)

        try Data(ManifestSignature(signing: bytes, with: key).text.utf8).write(to: URL(fileURLWithPath: path + ".sig"))
        let loaded = try ManifestLoader.load(path: path, trust: required)
        #expect(loaded.signature == .verified(signer: key.publicKey.fingerprint))
        #expect(ManifestUse(loaded).signer == key.publicKey.fingerprint)
        #expect(try ManifestLoader.load(path: path).signature == .notVerified)

        var altered = bytes
        altered[altered.count / 2] ^= 0x20
        try Data(altered).write(to: URL(fileURLWithPath: path))
        // Refused with a trusted key given, whether or not a signature is required.
        for trust in [required, ManifestTrust(trustedKeys: [key.publicKey])] {
            #expect { try ManifestLoader.load(path: path, trust: trust) } throws: {
                guard let error = $0 as? ManifestError else { return false }
                return error.file == path && error.message.contains("changed after it was signed")
            }
        }
    }
}
