import ArgumentParser
import Foundation
import PatchAuditKit

/// `patchaudit manifest list`: the manifests a scan would load, from where, and whether to trust them.
struct ManifestListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Show the manifests a scan would load: id, file, SHA-256, signature.",
        discussion: """
        With --manifest, those files (as `scan --manifest` would use them); otherwise the \
        shipped ones and the folder they were found in. With --trusted-key, signatures are \
        verified. Exit status 0, or 78 when a manifest is invalid or its signature fails.

        Examples:
          patchaudit manifest list
          patchaudit manifest list --manifest acme-ol97.json --trusted-key acme-signing.pub
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json }

    @Option(name: .customLong("manifest"), help: ArgumentHelp("Manifest files, as given to scan (repeatable).", valueName: "file"))
    var manifests: [String] = []

    @OptionGroup var trust: TrustOptions

    @Option(help: "Output format: table or json.")
    var format: Format = .table

    struct Entry: Encodable {
        var path: String
        var origin: String
        var id: String?
        var title: String?
        var sha256: String?
        var signature: String
        var signer: String
        var recordedBuilds: Int?
        var problem: String?
    }

    func run() throws {
        let keys = try trust.keys()
        let paths: [String]
        let origin: String
        if manifests.isEmpty {
            switch ShippedManifests.directory() {
            case .success(let directory):
                origin = ProcessInfo.processInfo.environment["PATCHAUDIT_MANIFEST_DIR"].map { _ in "shipped (PATCHAUDIT_MANIFEST_DIR)" } ?? "shipped"
                do { paths = try ShippedManifests.paths(in: directory) } catch {
                    throw failure("\(error)", status: ExitStatus.manifestRefused)
                }
            case .failure(let error):
                throw failure("\(error)", status: ExitStatus.manifestRefused)
            }
        } else {
            origin = "--manifest"
            paths = manifests
        }
        var entries: [Entry] = []
        for path in paths {
            do {
                // As scan would: with a trusted key, every manifest must be signed by one.
                let loaded = try ManifestLoader.load(path: path, trust: ManifestTrust(trustedKeys: keys, requireSigned: !keys.isEmpty))
                entries.append(Entry(path: path, origin: origin, id: loaded.manifest.id, title: loaded.manifest.title,
                                     sha256: loaded.sha256, signature: loaded.signature.state, signer: loaded.signature.signer,
                                     recordedBuilds: loaded.manifest.files.reduce(0) { $0 + $1.builds.filter(\.hasDigests).count }))
            } catch {
                // The signature's own state, whatever else was wrong.
                let file = try? ManifestLoader.readManifestFile(path)
                let signatureText = try? ManifestLoader.readSignatureFile(for: path)
                let state = file.map { ManifestSignature.check(manifest: $0.bytes, signatureText: signatureText ?? nil, trustedKeys: keys).state } ?? "unknown"
                entries.append(Entry(path: path, origin: origin, sha256: file?.digests.sha256, signature: state, signer: "unsigned",
                                     problem: error.description))
            }
        }
        switch format {
        case .json:
            FileHandle.standardOutput.write(try JSONReport.pretty(["manifests": entries]))
        case .table:
            var out = ""
            for entry in entries {
                out += TerminalText.safe("\(entry.id ?? "(invalid)")  \(entry.path)  [\(entry.origin)]") + "\n"
                out += "  sha256 \(entry.sha256 ?? "-")\n"
                let signature = switch entry.signature {
                case "verified": "verified, signed by \(entry.signer)"
                case "not-verified": "has a signature, not verified (give --trusted-key)"
                case "refused": "present, and it fails (see below)"
                default: entry.signature
                }
                out += "  signature: \(signature)\n"
                if let builds = entry.recordedBuilds { out += "  builds with digests: \(builds)\n" }
                if let problem = entry.problem { out += TerminalText.safe("  refused: \(problem)") + "\n" }
            }
            FileHandle.standardOutput.write(Data(out.utf8))
        }
        if entries.contains(where: { $0.problem != nil }) { throw ExitCode(ExitStatus.manifestRefused) }
    }
}
