import ArgumentParser
import Foundation
import PatchAuditKit

/// `patchaudit manifest lint FILE...`: every problem in a manifest, before anyone trusts it.
struct ManifestLintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lint",
        abstract: "Check manifests: the JSON Schema's rules and what they mean.",
        discussion: """
        Lists every problem with the file, the JSON path, what is wrong and what to write \
        instead: unknown fields, malformed versions or digests, the same bytes under two labels \
        or with two versions, a patched version lower than an original one, a file rule without \
        a name. Errors make `scan` refuse the manifest; warnings do not.
        Exit status: 0 no errors (warnings allowed), 78 some error. Without FILE, the manifests \
        a scan would load are checked.
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @Argument(help: ArgumentHelp("Manifests to check (default: the shipped ones).", valueName: "file"))
    var files: [String] = []

    @Option(help: "Output format: text (one problem per line) or json.")
    var format: Format = .text

    struct Result: Encodable {
        var file: String
        var id: String?
        var sha256: String?
        var problems: [ManifestProblem]
    }

    func run() throws {
        var paths = files
        if paths.isEmpty {
            switch ShippedManifests.directory() {
            case .success(let directory):
                do { paths = try ShippedManifests.paths(in: directory) } catch {
                    throw failure("\(error)", status: ExitStatus.manifestRefused)
                }
            case .failure(let error):
                throw failure("\(error)", status: ExitStatus.manifestRefused)
            }
        }
        var results: [Result] = []
        for path in paths {
            do {
                let file = try ManifestLoader.readManifestFile(path)
                let checked = ManifestLoader.check(data: Data(file.bytes), file: path)
                results.append(Result(file: path, id: checked.manifest?.id, sha256: file.digests.sha256, problems: checked.problems))
            } catch {
                results.append(Result(file: path, id: nil, sha256: nil, problems: [ManifestProblem(.error, file: path, jsonPath: nil, message: error.message)]))
            }
        }
        switch format {
        case .json:
            FileHandle.standardOutput.write(try JSONReport.pretty(["manifests": results]))
        case .text:
            var out = ""
            for result in results {
                for problem in result.problems { out += TerminalText.safe(problem.description) + "\n" }
                let errors = result.problems.filter { $0.severity == .error }.count
                let warnings = result.problems.count - errors
                out += "\(TerminalText.safe(result.file)): \(errors == 0 ? "ok" : "refused"), \(errors) error(s), \(warnings) warning(s)\n"
            }
            FileHandle.standardOutput.write(Data(out.utf8))
        }
        if results.contains(where: { $0.problems.contains { $0.severity == .error } }) {
            throw ExitCode(ExitStatus.manifestRefused)
        }
    }
}
