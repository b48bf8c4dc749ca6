import ArgumentParser
import Foundation
import PatchAuditKit

/// `patchaudit manifest build --from TARGET`: a baseline from a known-good machine.
struct ManifestBuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Record the builds of a known-good machine (a folder or an archive) in a manifest.",
        discussion: """
        Scans TARGET like `scan` does and records each file of its installations that the \
        manifest watches: name, version, size, SHA-256, SHA-1, MD5, the label and where it was \
        read. Files that are unreadable, not intact PE images or without a version are not \
        recorded as known-good or original (they are listed, and the exit status is 2); stray \
        copies outside an installation are never recorded. The same build twice is one entry.

        Examples:
          patchaudit manifest build --from /mnt/known-good --id acme-ol97 --output acme-ol97.json
          patchaudit manifest build --from pc17-good.zip --into acme-ol97.json
          patchaudit manifest build --from /mnt/pc-broken --label damaged --into acme-ol97.json
        """
    )

    @Option(help: ArgumentHelp("The known-good copy: a folder (mounted image) or an archive.", valueName: "target"))
    var from: String

    @OptionGroup var destination: ManifestDestination

    func validate() throws {
        if let written = destination.output ?? destination.into,
           let refusal = OutputFiles.refusal(for: written, targets: [from], inputs: destination.base.map { [$0] } ?? []) {
            throw ValidationError(refusal)
        }
    }

    func run() throws {
        prepareForScanning()
        let start = try destination.startingManifest(source: from)
        let manifest = start.manifest
        let loaded = LoadedManifest(manifest: manifest, path: start.file, sha256: "")
        let scanned = TargetScanner(configuration: ScanConfiguration(manifests: [loaded], jobs: 1)).inventory(target: from)
        let report = scanned.report
        if report.verdict == .error {
            let why = report.reasons.filter { $0.verdict == .error }.map(\.message).joined(separator: "; ")
            throw failure("\(why)", status: ExitStatus.targetUnreadable, then: "Nothing was recorded.")
        }
        let stray = Set(report.strayFiles.compactMap(\.path))
        let (candidates, skipped) = ManifestBaseline.candidates(items: scanned.items, stray: stray, manifest: manifest,
                                                                label: destination.label, target: from)
        guard !candidates.isEmpty else {
            for entry in skipped { note("not recorded: \(entry)") }
            throw failure("\(from): no file could be recorded (\(report.stats.matchedFiles) matched of \(report.stats.entries) entries; the manifest watches \(manifest.fileNames.joined(separator: ", "))).", status: ExitStatus.someNotRecorded, then: "Nothing was written.")
        }
        try destination.record(candidates, into: start) { outcome, destination in
            "recorded \(outcome.added.count) build(s) as \(self.destination.label.rawValue) from \(from)\(outcome.alreadyRecorded.isEmpty ? "" : " (\(outcome.alreadyRecorded.count) already recorded)") into \(destination)"
        }
        for entry in skipped { note("not recorded: \(entry)") }
        for hit in report.limitsHit { note("limit hit: \(hit.detail); the copy may hold more files than were recorded") }
        for reason in report.reasons where reason.rule == "directory-unreadable" { note("not read: \(reason.message)") }
        if !skipped.isEmpty || !report.limitsHit.isEmpty || report.reasons.contains(where: { $0.rule == "directory-unreadable" }) {
            throw ExitCode(ExitStatus.someNotRecorded)
        }
    }
}
