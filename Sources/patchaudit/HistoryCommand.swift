import ArgumentParser
import Foundation
import PatchAuditKit
import SystemPackage

struct HistoryCommand: ParsableCommand {
    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json }

    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List the runs of a history store: when, which command, how many targets, how many per verdict.",
        discussion: """
        Runs are added by `patchaudit scan ... --store FILE` and `patchaudit merge ... --store FILE`, \
        one row per run, oldest first. The counts per verdict are counted from each run's stored \
        targets. The README ("History store") describes the tables, for sqlite3 or Datasette.
        Exit status: 0 listed, 64 usage error, 65 not a patchaudit store (or a later version's), \
        66 no such store, 74 the store cannot be read.

        Examples:
          patchaudit history --store audit.sqlite
          patchaudit history --store audit.sqlite --format json | jq '.runs[-1].verdicts'
        """
    )

    @Option(help: ArgumentHelp("The history store to read.", valueName: "file"))
    var store: String

    @Option(help: "Output format: table or json.")
    var format: Format = .table

    func run() throws {
        let runs: [RunInfo]
        do {
            runs = try AuditStore(path: store, create: false).history()
        } catch {
            throw failure(error.description, status: StoreOption.status(error))
        }
        let data: Data
        switch format {
        case .table: data = Data(StoreReport.table(runs).utf8)
        case .json: data = try StoreReport.json(runs)
        }
        writeStandardOutput(data, what: "the runs")
    }
}
