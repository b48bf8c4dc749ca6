import ArgumentParser
import PatchAuditKit

/// `patchaudit worker`: the scanning side of `scan`, started by `scan` itself (one process per
/// job), never by people. It reads requests on standard input and writes reports on standard
/// output (PatchAuditKit's WorkerProtocol); hidden from --help.
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Scan targets for a supervising `patchaudit scan` (internal).",
        shouldDisplay: false
    )

    @Option(help: "The supervisor's setup (JSON).")
    var setup: String

    @Option(help: "Scan standard input as the one target (-), the run's target at this index, and exit.")
    var stdinIndex: Int?

    func run() throws {
        prepareForScanning()
        let decoded: WorkerSetup
        do {
            decoded = try WorkerSetup.decode(setup)
        } catch {
            throw ValidationError("--setup is not a worker setup: \(error)")
        }
        let status = WorkerService.run(setup: decoded, stdinIndex: stdinIndex)
        if status != 0 { throw ExitCode(status) }
    }
}
