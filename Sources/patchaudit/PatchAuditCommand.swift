import ArgumentParser
import PatchAuditKit

/// The `patchaudit` command: parses arguments and hands over to PatchAuditKit.
@main
struct PatchAuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "patchaudit",
        abstract: "Audit offline copies of Windows machines for the Outlook 97 Archive Patch (arch97en.exe).",
        discussion: """
        Reads a mounted disk image or a copy of Program Files / \\Windows\\System, finds the \
        Exchange provider files (Ems*.dll) and the other files the patch replaces, reads their \
        version resources and hashes, and says per installation whether the patch is needed.

        Examples:
          patchaudit scan /mnt/pc42
          patchaudit scan /mnt/pc42 /mnt/pc43 --format ndjson --output fleet.ndjson
          patchaudit scan /mnt/pc42 --format json | jq '.targets[].verdict'
          patchaudit scan /mnt/pc* --store audit.sqlite && patchaudit diff --store audit.sqlite
          patchaudit history --store audit.sqlite
          patchaudit inspect /mnt/pc42/WINDOWS/SYSTEM/EMSMDB32.DLL
          patchaudit manifest build --from /mnt/known-good --id acme-ol97 --output acme-ol97.json

        Shell completions: patchaudit --generate-completion-script bash|zsh|fish
        """,
        version: PatchAudit.version,
        subcommands: [ScanCommand.self, MergeCommand.self, HistoryCommand.self, DiffCommand.self, InspectCommand.self, ManifestCommand.self, WorkerCommand.self]
    )
}
