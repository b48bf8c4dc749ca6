import ArgumentParser
import Foundation
import PatchAuditKit
import SystemPackage

struct DiffCommand: ParsableCommand {
    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json, csv }

    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "What changed per target between two runs: of a history store, or two ndjson result files.",
        discussion: """
        With --store, RUN_A and RUN_B are run ids (`patchaudit history` lists them); without them \
        the last two runs are compared. Without --store, the two arguments are ndjson result files \
        of `patchaudit scan --format ndjson`.

        Each target in both runs is newly damaged (a file not damaged before is damaged now), newly \
        patched (patch-needed, blocked or review before, up-to-date now), verdict changed (any \
        other change), or unchanged (counted, not listed); targets of one run only are new \
        targets or targets gone. Targets are matched by name as given, byte for byte.

        Exit status: 0 nothing got worse, 1 some target got worse (a file newly damaged, or a \
        verdict whose scan exit status is higher than before: up-to-date to patch-needed, \
        patch-needed to review, anything to error), 64 usage error or no such run, 65 an input \
        is not patchaudit's (a line of a file, a store), 66 an input does not exist, 74 an \
        input cannot be read. New and gone targets alone do not count as worse.

        Examples:
          patchaudit diff --store audit.sqlite
          patchaudit diff --store audit.sqlite 12 15 --format csv > changes.csv
          patchaudit diff monday.ndjson tuesday.ndjson --format json
        """
    )

    @Option(help: ArgumentHelp("The history store whose runs are compared.", valueName: "file"))
    var store: String?

    @Argument(help: ArgumentHelp("With --store: two run ids (default: the last two runs). Without: two ndjson result files.", valueName: "run-or-file"))
    var runs: [String] = []

    @Option(help: "Output format: table, json or csv.")
    var format: Format = .table

    func validate() throws {
        if store != nil {
            guard runs.isEmpty || runs.count == 2 else { throw ValidationError("give two run ids, or none for the last two runs") }
            for run in runs where Int64(run) == nil {
                throw ValidationError("\(run) is not a run id: with --store, name runs by the numbers `patchaudit history` lists")
            }
        } else if runs.count != 2 {
            throw ValidationError("name two ndjson result files, or use --store FILE to compare runs of a history store")
        }
    }

    func run() throws {
        let diff = try store.map(compareRuns) ?? compareFiles(runs[0], runs[1])
        let data: Data
        switch format {
        case .table: data = Data(StoreReport.table(diff).utf8)
        case .json: data = try StoreReport.json(diff)
        case .csv: data = try StoreReport.csv(diff)
        }
        writeStandardOutput(data, what: "the diff")
        if diff.gotWorse { throw ExitCode(1) }
    }

    func compareRuns(_ path: String) throws -> RunDiff {
        do {
            let store = try AuditStore(path: path, create: false)
            let (first, second) = try runs.count == 2 ? (Int64(runs[0]) ?? 0, Int64(runs[1]) ?? 0) : store.lastTwoRuns()
            let old = try store.facts(run: first), new = try store.facts(run: second)
            let infoA = try store.run(first), infoB = try store.run(second)
            return RunDiff(from: RunDiff.Side(run: first, source: path, startedAt: infoA.startedAt, targets: old.targets.count), old,
                           to: RunDiff.Side(run: second, source: path, startedAt: infoB.startedAt, targets: new.targets.count), new)
        } catch {
            throw failure(error.description, status: StoreOption.status(error))
        }
    }

    func compareFiles(_ first: String, _ second: String) throws -> RunDiff {
        func read(_ path: String) throws -> RunFacts {
            // O_NONBLOCK: a FIFO nobody writes is refused below, not waited for.
            let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
            guard descriptor >= 0 else {
                let reason = String(cString: strerror(errno))
                throw failure("cannot read \(path): \(reason); check the path", status: errno == ENOENT ? ExitStatus.noInput : ExitStatus.cannotWrite)
            }
            defer { close(descriptor) }
            var status = stat()
            guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
                throw failure("\(path) is not a regular file; diff reads NDJSON result files (save a stream to a file first)", status: ExitStatus.noInput)
            }
            _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) & ~O_NONBLOCK)
            do {
                let (facts, torn) = try RunFacts.read(ndjson: descriptor, name: path)
                if torn > 0 { note("patchaudit: \(path) ends with a line cut short (\(torn) bytes, a run killed while writing it); it was left out") }
                if facts.duplicates > 0 { note("patchaudit: \(path) names \(facts.duplicates) target\(facts.duplicates == 1 ? "" : "s") more than once; the later line counts") }
                return facts
            } catch {
                throw failure(error.description, status: ExitStatus.dataError)
            }
        }
        let old = try read(first), new = try read(second)
        return RunDiff(from: RunDiff.Side(run: nil, source: first, startedAt: nil, targets: old.targets.count), old,
                       to: RunDiff.Side(run: nil, source: second, startedAt: nil, targets: new.targets.count), new)
    }
}
