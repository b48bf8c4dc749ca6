import ArgumentParser
import Foundation
import PatchAuditKit

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show what DLLs and EXEs say about themselves: version resource, hashes, PE checksum.",
        discussion: """
        Like sigcheck on Windows. Exit status 0 when every file was read as a PE image, 3 when \
        some could not be read or is not a PE image.

        Examples:
          patchaudit inspect /mnt/pc42/WINDOWS/SYSTEM/EMSMDB32.DLL
          patchaudit inspect --format json Fixtures/dlls/*.dll
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json }

    @Argument(help: ArgumentHelp("Files to inspect.", valueName: "file"))
    var files: [String]

    @Option(help: "Output format: table or json.")
    var format: Format = .table

    @Option(help: ArgumentHelp("Largest file read, in bytes.", valueName: "bytes"))
    var maxFileSize: Int64 = ScanLimits().maxFileSize

    func run() throws {
        let inspections = files.map { FileInspection.inspect(path: $0, maxSize: maxFileSize) }
        switch format {
        case .json:
            FileHandle.standardOutput.write(try JSONReport.pretty(InspectionReport(files: inspections)))
        case .table:
            FileHandle.standardOutput.write(Data(inspections.map(render).joined(separator: "\n").utf8))
        }
        if inspections.contains(where: { $0.error != nil }) { throw ExitCode(3) }
    }

    func render(_ file: FileInspection) -> String {
        var lines = [TerminalText.safe(file.path)]
        func add(_ label: String, _ value: String?) {
            let safeLabel = TerminalText.safe(label)
            let padded = safeLabel.count < 18 ? safeLabel.padding(toLength: 18, withPad: " ", startingAt: 0) : safeLabel + " "
            lines.append("  " + padded + TerminalText.safe(value ?? "-"))
        }
        if let error = file.error {
            add("Error:", error)
            return lines.joined(separator: "\n") + "\n"
        }
        add("File version:", file.fileVersion)
        add("Product version:", file.productVersion)
        add("Translations:", file.translations.isEmpty ? nil : file.translations.joined(separator: ", "))
        for (table, entries) in file.strings.sorted(by: { $0.key < $1.key }) {
            for (key, value) in entries.sorted(by: { $0.key < $1.key }) {
                add("\(key):", "\(value)\(file.strings.count > 1 ? " [\(table)]" : "")")
            }
        }
        add("Size:", file.size.map { "\($0) bytes" })
        add("PE checksum:", file.peChecksum.map { "stored \(Hex.word($0.stored)), computed \(Hex.word($0.computed))\($0.matches ? "" : " (MISMATCH)")" })
        add("Format:", file.format)
        add("SHA-256:", file.sha256)
        add("SHA-1:", file.sha1)
        add("MD5:", file.md5)
        for problem in file.integrityProblems { add("Problem:", problem) }
        for problem in file.versionProblems { add("Version problem:", problem) }
        for other in file.otherVersions {
            add("Also RT_VERSION:", "language \(other.resourceLanguage): \(other.fileVersion ?? "-")")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
