import ArgumentParser
import Foundation
import PatchAuditKit

struct MergeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge the ndjson results of shards or resumed runs into one report, as if one run had written it.",
        discussion: """
        Reads the files `patchaudit scan --format ndjson` wrote (one per shard, say) and writes \
        them in any format, with the summary and the exit status that --fail-on gives. A target \
        found in two inputs with different results is reported (an error target, rule \
        merge-conflict), never resolved silently.

        With --targets, the output follows the list's order and the merge checks completeness: \
        listed targets in no input are listed on standard error, written as error targets (rule \
        not-scanned), and make the exit status 3 whatever --fail-on says; so do conflicts.

        Examples:
          patchaudit merge results/shard-*.ndjson --targets targets.txt --format json --output fleet.json
          patchaudit merge monday.ndjson tuesday.ndjson --format table
          patchaudit merge fleet.ndjson --store audit.sqlite --format ndjson --output /dev/null
        """
    )

    @Argument(help: ArgumentHelp("NDJSON result files of `patchaudit scan --format ndjson`.", valueName: "file"))
    var inputs: [String]

    @Option(name: .customLong("targets"), help: ArgumentHelp("The target list the runs were given (one per line, # comments): the output follows its order, and targets missing from every input are reported.", valueName: "file"))
    var targetList: String?

    @Option(name: .customLong("targets0"), help: ArgumentHelp("The same, NUL-separated.", valueName: "file"))
    var targetList0: String?

    @Option(help: "Output format: table, json, ndjson, hashdeep, csv, csv-files, html, junit or prometheus (as scan writes them).")
    var format: ReportFormat = .table

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the results to this file instead of standard output.", valueName: "file"))
    var output: String?

    @Option(help: ArgumentHelp("Lowest verdict that makes the exit status non-zero: patch-needed, review, error or none.", valueName: "level"))
    var failOn: FailOn = .patchNeeded

    @Option(help: ArgumentHelp("Also add the merged run to this SQLite history store (created when missing; see `patchaudit history` and `patchaudit diff`).", valueName: "file"))
    var store: String?

    @Flag(name: .shortAndLong, help: "No summary on standard error.")
    var quiet = false

    @Flag(help: "Never colour the table (NO_COLOR in the environment does the same).")
    var noColor = false

    func validate() throws {
        if targetList != nil && targetList0 != nil { throw ValidationError("give --targets or --targets0, not both") }
        if inputs.contains("-") { throw ValidationError("merge reads each input twice, so it needs files: save standard input to a file first") }
        if let output, let refusal = OutputFiles.refusal(for: output, targets: [], inputs: inputs + [targetList, targetList0].compactMap { $0 }) {
            throw ValidationError("--output: \(refusal)")
        }
    }

    func run() async throws {
        let startedAt = Date()
        let recorder = try store.map {
            try StoreOption.open($0, targets: [], inputs: inputs + [targetList, targetList0].compactMap { $0 }, output: output,
                                 then: "Nothing was merged.")
        }
        var list: [String]?
        if let path = targetList ?? targetList0 {
            var targets = TargetList()
            do {
                try targets.add(listAt: path, separator: targetList0 != nil ? .nul : .newline)
            } catch {
                throw failure(error.description, status: ExitStatus.usage, then: "Nothing was merged.")
            }
            list = targets.targets
        }
        var opened: [ResultMerge.Input] = []
        defer { for input in opened { close(input.descriptor) } }
        for path in inputs {
            let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
            guard descriptor >= 0 else {
                throw failure("cannot read \(path): \(String(cString: strerror(errno))); check the path", status: ExitStatus.noInput, then: "Nothing was merged.")
            }
            opened.append(ResultMerge.Input(name: path, descriptor: descriptor))
            var status = stat()
            guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
                throw failure("\(path) is not a regular file; merge reads each input twice, so save it to a file first", status: ExitStatus.noInput, then: "Nothing was merged.")
            }
        }
        let merge: ResultMerge
        do {
            merge = try ResultMerge(inputs: opened)
        } catch {
            throw failure(error.description, status: ExitStatus.dataError, then: "Nothing was merged.")
        }
        for (input, bytes) in merge.torn where !quiet {
            note("patchaudit: \(input) ends with a line cut short (\(bytes) bytes, a run killed while writing it); it was left out")
        }
        if merge.manifestSets.count > 1 {
            note("patchaudit: warning: the inputs were judged against \(merge.manifestSets.count) different sets of manifests; the report lists them all")
        }
        let sink = try OutputSink(path: output, replacing: format.replacesOutput)
        let stream = sink.reportStream(format: format, manifests: merge.manifests, noColor: noColor, failOn: failOn, recorder: recorder)
        let outcome: ResultMerge.Outcome
        do {
            try stream.begin()
            outcome = try merge.write(to: stream, list: list)
            try stream.finish(RunEnd(summary: outcome.summary))
            try sink.close()
        } catch let problem as NDJSONFile.Problem {
            throw failure(problem.description, status: ExitStatus.dataError, then: "The merged output is incomplete.")
        } catch let error as DecodingError {
            throw failure("an input line could not be read back as a report (\(error)); was it written by another version of patchaudit?", status: ExitStatus.dataError, then: "The merged output is incomplete.")
        } catch let exit as ExitCode {
            throw exit
        } catch {
            // Not 1-3: a script must never read a failed write as a verdict.
            throw failure("could not write the merged results to \(output ?? "standard output"): \(describeWriteError(error))", status: ExitStatus.cannotWrite,
                          then: "The merged output is incomplete.")
        }
        for (label, items) in [("missing from every input", outcome.missing), ("with different results", outcome.conflicts)] where !items.isEmpty {
            note("patchaudit: \(items.count) target\(items.count == 1 ? "" : "s") \(label):")
            for item in items.prefix(50) { note("  \(item)") }
            if items.count > 50 { note("  ... and \(items.count - 50) more (the report lists them all)") }
        }
        if outcome.unlisted > 0 {
            note("patchaudit: \(outcome.unlisted) target\(outcome.unlisted == 1 ? "" : "s") of the inputs are not in the list and were left out")
        }
        if !quiet { note("patchaudit: merged \(inputs.count) file\(inputs.count == 1 ? "" : "s"): " + outcome.summary.text(elapsed: nil)) }
        let status = outcome.summary.exitStatus(failOn: failOn)
        if let recorder, let store {
            try StoreOption.commit(recorder, path: store, run: RunRecorder.Run(
                command: "merge", commandLine: StoreOption.commandLine, format: format.rawValue, failOn: failOn.rawValue,
                startedAt: startedAt, manifests: merge.manifests, summary: outcome.summary, exitStatus: status),
                output: output, format: format, quiet: quiet, merged: true)
        }
        if status != 0 { throw ExitCode(status) }
    }
}
