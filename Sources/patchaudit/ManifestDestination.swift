import ArgumentParser
import Foundation
import PatchAuditKit

extension Manifest.Build.Label: ExpressibleByArgument {}

/// Where recorded builds go, shared by `manifest build` and `manifest import-hashdeep`: a new
/// manifest made from a base (stdout or `--output`), or an existing one (`--into`, rewritten in place).
struct ManifestDestination: ParsableArguments {
    @Option(help: ArgumentHelp("What the files are: known-good, original or damaged.", valueName: "label"))
    var label: Manifest.Build.Label = .knownGood

    @Option(help: ArgumentHelp("Add the builds to this manifest, rewriting it in place (its signature must then be renewed).", valueName: "file"))
    var into: String?

    @Option(help: ArgumentHelp("The manifest whose rules the new one copies: a file, or the id of a shipped manifest (default: outlook97-archive-patch).", valueName: "manifest"))
    var base: String?

    @Option(help: ArgumentHelp("Id of the new manifest (default: the base's id + \"-baseline\").", valueName: "id"))
    var id: String?

    @Option(help: ArgumentHelp("Title of the new manifest.", valueName: "text"))
    var title: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the new manifest here instead of standard output.", valueName: "file"))
    var output: String?

    func validate() throws {
        if into != nil && (output != nil || base != nil || id != nil || title != nil) {
            throw ValidationError("--into adds builds to that manifest in place and keeps its id and title; it cannot be combined with --output, --base, --id or --title")
        }
        if label == .patched {
            throw ValidationError("--label patched is not recorded from a machine: record the patched files as known-good (the version rules then say they are patched)")
        }
    }

    /// The manifest the builds are added to, the name used in messages and, for `--into`, the
    /// SHA-256 of the bytes read (so a change that adds nothing leaves the file alone).
    struct Start {
        var manifest: Manifest
        var file: String
        var intoSHA256: String?
    }

    /// Loads the `--into` manifest, or makes a new one from the base.
    func startingManifest(source: String) throws -> Start {
        if let into {
            do {
                let loaded = try ManifestLoader.load(path: into)
                return Start(manifest: loaded.manifest, file: into, intoSHA256: loaded.sha256)
            } catch {
                throw failure("\(error)", status: ExitStatus.manifestRefused, then: "Nothing was written.")
            }
        }
        var manifest: Manifest
        do {
            if let base, base.contains("/") || base.hasSuffix(".json") {
                manifest = try ManifestLoader.load(path: base).manifest
            } else {
                let wanted = base ?? "outlook97-archive-patch"
                let shipped = try ManifestSelection.load(explicit: [])
                guard let found = shipped.first(where: { $0.manifest.id == wanted }) else {
                    throw failure("no shipped manifest has the id \(wanted) (shipped: \(shipped.map(\.manifest.id).joined(separator: ", "))); give --base FILE", status: ExitStatus.usage)
                }
                manifest = found.manifest
            }
        } catch let error as ManifestError {
            throw failure("base manifest refused: \(error)", status: ExitStatus.manifestRefused, then: "Nothing was written.")
        }
        let baseTitle = manifest.title
        manifest.id = id ?? manifest.id + "-baseline"
        manifest.title = title ?? "\(baseTitle), with builds recorded from \(source)"
        // The shipped manifests point at the schema beside them; a new file elsewhere would not find it.
        manifest.schema = nil
        return Start(manifest: manifest, file: output ?? "(new manifest)", intoSHA256: nil)
    }

    /// Records the candidates, writes the manifest where it belongs and says what happened:
    /// the part `manifest build` and `manifest import-hashdeep` share.
    /// - Parameter summary: the line for stderr, given the outcome and where it went.
    func record(_ candidates: [ManifestBaseline.Candidate], into start: Start,
                summary: (ManifestBaseline.Outcome, String) -> String) throws {
        let outcome: ManifestBaseline.Outcome
        do {
            outcome = try ManifestBaseline.record(candidates, into: start.manifest, file: start.file)
        } catch {
            throw failure("\(error)", status: ExitStatus.manifestRefused, then: "Nothing was written.")
        }
        try write(outcome, start: start)
        note(summary(outcome, into ?? output ?? "standard output"))
        for index in ManifestLint.uncoveredFiles(in: outcome.manifest) {
            note("warning: no build of \(outcome.manifest.files[index].name) is recorded; an altered copy of it would be judged by its version alone: record it from a known-good copy (--into)")
        }
    }

    /// Validates the new manifest and writes it to `--into`, `--output` or standard output.
    func write(_ outcome: ManifestBaseline.Outcome, start: Start) throws {
        // What is written must load again: a bad --id, too many builds or bytes refuse it here.
        let text: String
        do {
            text = try ManifestWriter.loadableJSON(outcome.manifest, file: start.file)
        } catch {
            throw failure("\(error)", status: id != nil && error.jsonPath == "$.id" ? ExitStatus.usage : ExitStatus.manifestRefused, then: "Nothing was written.")
        }
        let data = Data(text.utf8)
        if let into {
            // Nothing new: leave the file (and its signature) as they are.
            if FileDigests(of: Array(data)).sha256 == start.intoSHA256 { return }
            try OutputFiles.write(data, to: into)
            if FileManager.default.fileExists(atPath: ManifestSignature.path(for: into)) {
                note("warning: \(ManifestSignature.path(for: into)) no longer matches \(into); sign it again: patchaudit manifest sign --key KEY \(into)")
            }
        } else if let output {
            try OutputFiles.write(data, to: output)
        } else {
            do { try FileHandle.standardOutput.write(contentsOf: data) } catch {
                throw failure("could not write the manifest: \(error.localizedDescription)", status: ExitStatus.cannotWrite)
            }
        }
    }
}
