import ArgumentParser
import Foundation
import PatchAuditKit
import SystemPackage

/// `patchaudit manifest ...`: make manifests from known-good machines and hash lists, check
/// them, sign them, and see which ones a scan would use.
struct ManifestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "manifest",
        abstract: "Build, check, sign and verify manifests (baselines from known-good machines).",
        discussion: """
        The admin's workflow:
          patchaudit manifest build --from /mnt/known-good --id acme-ol97 --output acme-ol97.json
          patchaudit manifest lint acme-ol97.json
          patchaudit manifest keygen acme-signing          # once: acme-signing.key, acme-signing.pub
          patchaudit manifest sign --key acme-signing.key acme-ol97.json
          patchaudit scan /mnt/pc* --manifest acme-ol97.json --require-signed --trusted-key acme-signing.pub

        Exit status: 0 done, 2 some files were not recorded (build, import-hashdeep), \
        3 the target could not be read (build), 64 usage error, 65 a malformed hashdeep list, \
        66 a hashdeep list that cannot be opened, 74 a file could not be written, \
        78 a manifest is invalid or not trusted.
        """,
        subcommands: [ManifestBuildCommand.self, ManifestImportHashdeepCommand.self, ManifestLintCommand.self,
                      ManifestKeygenCommand.self, ManifestSignCommand.self, ManifestVerifyCommand.self,
                      ManifestListCommand.self]
    )
}

/// Exit statuses shared by the manifest commands (domain.md, "Exit status").
enum ExitStatus {
    static let someNotRecorded: Int32 = 2
    static let targetUnreadable: Int32 = 3
    static let usage: Int32 = 64
    /// A hash list that is not well formed (sysexits EX_DATAERR).
    static let dataError: Int32 = 65
    /// A hash list that cannot be opened (sysexits EX_NOINPUT).
    static let noInput: Int32 = 66
    static let cannotWrite: Int32 = 74
    static let manifestRefused: Int32 = 78
}

/// Prints `patchaudit: message` on standard error and returns the exit status to throw.
/// Messages quote manifests, signatures and lists, which are untrusted: control characters,
/// newlines included, are escaped so they can neither drive the terminal nor fake a line.
/// - Parameter then: a second line of the tool's own (what was not done).
func failure(_ message: String, status: Int32, then: String? = nil) -> ExitCode {
    standardError("patchaudit: \(TerminalText.safe(message))\n\(then.map { "\($0)\n" } ?? "")")
    return ExitCode(status)
}

/// A line on standard error (summaries, warnings): results go to standard output or a file.
func note(_ message: String) {
    standardError("\(TerminalText.safe(message))\n")
}

/// `--trusted-key PUB` (repeatable): the public keys whose signatures a command accepts.
struct TrustOptions: ParsableArguments {
    @Option(name: .customLong("trusted-key"), help: ArgumentHelp("Public key (PEM) whose manifest signatures are trusted (repeatable).", valueName: "pub"))
    var trustedKeyPaths: [String] = []

    /// Reads the keys; a key file that cannot be used is a usage error (64): nothing is done.
    func keys() throws -> [TrustedKey] {
        var keys: [TrustedKey] = []
        for path in trustedKeyPaths {
            let text = try KeyFiles.read(path, what: "trusted key", status: ExitStatus.usage)
            do {
                keys.append(try TrustedKey(pem: text))
            } catch {
                throw failure("--trusted-key \(path) \(error.message); nothing was done", status: ExitStatus.usage)
            }
        }
        return keys
    }
}

/// Reading the small files the manifest commands handle.
enum KeyFiles {
    /// The text of a key file (at most 16 KiB, a regular file).
    static func read(_ path: String, what: String, status: Int32) throws -> String {
        switch RegularFileReader.read(name: path, displayPath: path, maxSize: 16_384, followLinks: true) {
        case .failure(let problem):
            throw failure("\(what) \(path) could not be read: \(problem.detail(forFileOfAtMost: 16_384, kind: "key file"))", status: status)
        case .success(let file):
            return String(decoding: file.bytes, as: UTF8.self)
        }
    }
}

/// Writes to standard error, ignoring failure: a closed or full standard error (`2>&1 | head`)
/// must not stop a scan (FileHandle's write traps on EPIPE).
func standardError(_ text: String) {
    _ = Syscalls.write(.standardError, Data(text.utf8))
}

/// Writes a command's whole result to standard output; a failed write ends the command with
/// exit status 74 (never 0 or 1, which scripts read as answers), and a closed pipe as Unix
/// tools end, by SIGPIPE.
func writeStandardOutput(_ data: Data, what: String) {
    do {
        // OutputSink ends the process by SIGPIPE when the reader is gone, as results do.
        try OutputSink(path: nil).write(data)
    } catch {
        standardError("patchaudit: could not write \(what) to standard output: \(describeWriteError(error))\n")
        exit(ExitStatus.cannotWrite)
    }
}
