import ArgumentParser
import Foundation
import PatchAuditKit

/// `patchaudit manifest keygen NAME`: an Ed25519 key pair for signing manifests.
struct ManifestKeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Make an Ed25519 key pair: NAME.key (private, mode 0600) and NAME.pub.",
        discussion: """
        Both are PEM files openssl reads too (PKCS#8 and SubjectPublicKeyInfo). Keep NAME.key \
        off the machines you scan; give NAME.pub to every scan (--trusted-key NAME.pub). An \
        existing file is never overwritten.

        Example:
          patchaudit manifest keygen acme-signing
        """
    )

    @Argument(help: ArgumentHelp("Name of the key files to write (NAME.key, NAME.pub).", valueName: "name"))
    var name: String

    func run() throws {
        let key = SigningKey()
        let privatePath = name + ".key", publicPath = name + ".pub"
        for path in [privatePath, publicPath] {
            var status = stat()
            if lstat(path, &status) == 0 {
                throw failure("\(path) already exists; a key is never overwritten: choose another name or delete it first", status: ExitStatus.usage)
            }
        }
        try OutputFiles.writeNew(Data(key.pemRepresentation.utf8), to: privatePath, mode: 0o600)
        do {
            try OutputFiles.writeNew(Data(key.publicKey.pemRepresentation.utf8), to: publicPath, mode: 0o644)
        } catch {
            // Never leave half a pair behind.
            unlink(privatePath)
            throw error
        }
        print("wrote \(privatePath) (private: keep it off the machines you scan) and \(publicPath) (pass it to scans: --trusted-key \(publicPath))")
        print("fingerprint \(key.publicKey.fingerprint)")
    }
}

/// `patchaudit manifest sign --key KEY FILE...`: a detached signature beside each manifest.
struct ManifestSignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Sign manifests: writes FILE.sig beside each one.",
        discussion: """
        A manifest with a lint error is not signed (exit 78). Signing again after a change \
        replaces FILE.sig.

        Example:
          patchaudit manifest sign --key acme-signing.key acme-ol97.json
        """
    )

    @Option(help: ArgumentHelp("The private key (from `manifest keygen`, or `openssl genpkey -algorithm ed25519`).", valueName: "key"))
    var key: String

    @Argument(help: ArgumentHelp("Manifests to sign.", valueName: "file"))
    var files: [String]

    func run() throws {
        let text = try KeyFiles.read(key, what: "private key", status: ExitStatus.usage)
        let signingKey: SigningKey
        do {
            signingKey = try SigningKey(pem: text)
        } catch {
            throw failure("private key \(key) \(error.message)", status: ExitStatus.usage)
        }
        var status = stat()
        if stat(key, &status) == 0 && (status.st_mode & 0o077) != 0 {
            throw failure("private key \(key) can be read by other users (mode \(String(status.st_mode & 0o777, radix: 8))); run chmod 600 \(key) first", status: ExitStatus.usage)
        }
        // Each manifest on its own: one that cannot be signed does not stop the others.
        var refused = 0
        for path in files {
            let file: FileBytes
            do { file = try ManifestLoader.readManifestFile(path) } catch {
                note("patchaudit: \(error)")
                refused += 1
                continue
            }
            let checked = ManifestLoader.check(data: Data(file.bytes), file: path)
            if !checked.errors.isEmpty {
                for problem in checked.errors { note(problem.description) }
                note("patchaudit: \(path) has \(checked.errors.count) error(s) and was not signed; fix them (patchaudit manifest lint \(path)) and sign again")
                refused += 1
                continue
            }
            let signature = try ManifestSignature(signing: file.bytes, with: signingKey)
            try OutputFiles.write(Data(signature.text.utf8), to: ManifestSignature.path(for: path), regularOnly: true)
            print("\(ManifestSignature.path(for: path)): signed \(path) (SHA-256 \(signature.manifestSHA256)) with \(signature.keyFingerprint)")
        }
        if refused > 0 {
            throw failure("\(refused) of \(files.count) manifest(s) not signed", status: ExitStatus.manifestRefused)
        }
    }
}

/// `patchaudit manifest verify --trusted-key PUB FILE...`: is each manifest signed by a trusted key?
struct ManifestVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check that manifests are signed by a trusted key and unchanged since.",
        discussion: """
        Exit status 0 when every manifest verifies and passes lint, 78 otherwise (the message \
        says why: unsigned, altered, signed by another key, or invalid).

        Example:
          patchaudit manifest verify --trusted-key acme-signing.pub acme-ol97.json
        """
    )

    @OptionGroup var trust: TrustOptions

    @Argument(help: ArgumentHelp("Manifests to verify.", valueName: "file"))
    var files: [String]

    func validate() throws {
        guard !trust.trustedKeyPaths.isEmpty else { throw ValidationError("give the signer's public key with --trusted-key PUB") }
    }

    func run() throws {
        let keys = try trust.keys()
        var refused = false
        for path in files {
            do {
                let loaded = try ManifestLoader.load(path: path, trust: ManifestTrust(trustedKeys: keys, requireSigned: true))
                print("\(path): verified, signed by \(loaded.signature.signer) (id \(loaded.manifest.id), SHA-256 \(loaded.sha256))")
            } catch {
                refused = true
                note("patchaudit: \(TerminalText.safe(error.description))")
            }
        }
        if refused { throw ExitCode(ExitStatus.manifestRefused) }
    }
}
