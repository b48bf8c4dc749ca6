import ArgumentParser
import Foundation
import PatchAuditKit

/// `patchaudit manifest import-hashdeep LIST`: builds from a hashdeep known-file list.
struct ManifestImportHashdeepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-hashdeep",
        abstract: "Record the rows of a hashdeep known-file list as builds of a manifest.",
        discussion: """
        Reads a list written by hashdeep 4 (`%%%% HASHDEEP-1.0`, columns size,md5[,sha1],sha256,filename) \
        and records each row whose file name the manifest watches, with its size and digests. \
        A hash list has no versions: a file matching an imported known-good digest is intact, \
        but one matching none of them cannot be called damaged (record the machine itself with \
        `manifest build` for that). Any malformed line refuses the whole list.

        Examples:
          hashdeep -c md5,sha256 -r /mnt/known-good > known.hashdeep
          patchaudit manifest import-hashdeep known.hashdeep --into acme-ol97.json
          patchaudit manifest import-hashdeep known.hashdeep --id acme-ol97 --output acme-ol97.json
        """
    )

    @Argument(help: ArgumentHelp("The hashdeep list.", valueName: "list"))
    var list: String

    @OptionGroup var destination: ManifestDestination

    func validate() throws {
        if let written = destination.output ?? destination.into,
           let refusal = OutputFiles.refusal(for: written, targets: [], inputs: [list] + (destination.base.map { [$0] } ?? [])) {
            throw ValidationError(refusal)
        }
    }

    func run() throws {
        let start = try destination.startingManifest(source: list)
        let manifest = start.manifest
        let parsed: HashdeepList
        do {
            parsed = try HashdeepList.read(path: list, keep: Set(manifest.fileNames))
        } catch {
            throw failure("hashdeep list \(error)", status: error.kind == .unreadable ? ExitStatus.noInput : ExitStatus.dataError, then: "Nothing was written.")
        }
        let candidates = ManifestBaseline.candidates(hashdeep: parsed, manifest: manifest, label: destination.label, listName: list)
        guard !candidates.isEmpty else {
            throw failure("\(list): none of its \(parsed.rowCount) rows names a file the manifest watches (\(manifest.fileNames.joined(separator: ", "))).", status: ExitStatus.someNotRecorded, then: "Nothing was written.")
        }
        try destination.record(candidates, into: start) { outcome, destination in
            "imported \(outcome.added.count) build(s) as \(self.destination.label.rawValue) from \(list) (\(parsed.rowCount) rows, \(candidates.count) for watched files\(outcome.alreadyRecorded.isEmpty ? "" : ", \(outcome.alreadyRecorded.count) already recorded")) into \(destination)"
        }
    }
}
