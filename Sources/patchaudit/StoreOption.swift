import ArgumentParser
import Foundation
import PatchAuditKit

/// `--store FILE` of `scan` and `merge`: the history store the run is added to.
enum StoreOption {
    /// The exit status for a store that cannot be used: its content (65) or reading/writing it (74).
    static func status(_ problem: AuditStore.Problem) -> Int32 {
        switch problem.code {
        case .notAStore, .newerSchema: ExitStatus.dataError
        case .missing: ExitStatus.noInput
        case .noSuchRun: ExitStatus.usage
        case .unusable: ExitStatus.cannotWrite
        }
    }

    /// Opens the store for a run and starts recording, before anything is scanned or merged;
    /// refuses a store that is a target, lies inside one, or is an input or the output.
    static func open(_ path: String, targets: [String], inputs: [String], output: String?, then: String) throws -> RunRecorder {
        if let output, let store = OutputFiles.resolve(path), OutputFiles.resolve(output) == store {
            throw failure("--store \(path) is also the --output file; give the store a file of its own (audit.sqlite)", status: ExitStatus.usage, then: then)
        }
        if let refusal = OutputFiles.refusal(for: path, targets: targets, inputs: inputs + (output.map { [$0] } ?? [])) {
            throw failure("--store: \(refusal)", status: ExitStatus.usage, then: then)
        }
        do {
            return try AuditStore(path: path, create: true, busyTimeout: busyTimeout).recorder()
        } catch {
            throw failure("--store: \(error.description)", status: status(error), then: then)
        }
    }

    /// Adds the run; a failure is said with what to do, and ends in exit status 74 (the report
    /// itself is written already).
    /// - Parameter merged: the run is a `merge`, which can simply be run again.
    static func commit(_ recorder: RunRecorder, path: String, run: RunRecorder.Run, output: String?, format: ReportFormat, quiet: Bool,
                       merged: Bool = false) throws {
        // Test hook (StoreCLITests): hold the transaction open, every row copied, before COMMIT,
        // so a test can kill the run there or start another writer.
        var pause: (@Sendable () -> Void)?
        if let seconds = ProcessInfo.processInfo.environment["PATCHAUDIT_TEST_STORE_PAUSE"].flatMap(Double.init), seconds > 0, seconds < 600 {
            pause = {
                standardError("patchaudit: test: pausing \(seconds) s before the store's COMMIT\n")
                usleep(UInt32(seconds * 1_000_000))
            }
        }
        do {
            let started = ContinuousClock.now
            let id = try recorder.commit(run, pause: pause)
            if !quiet {
                let seconds = String(format: "%.2f", (ContinuousClock.now - started).inSeconds)
                note("patchaudit: run \(id) stored in \(path) (\(recorder.count) target\(recorder.count == 1 ? "" : "s"), written in \(seconds) s)")
            }
        } catch {
            var todo = "The report itself was written; the store is as it was before this run."
            if merged {
                todo += " To store this run, fix the cause and run the same merge again: its inputs are unchanged."
            } else if let output, format == .ndjson {
                todo += " To store this run, fix the cause and run: patchaudit merge \(output) --store \(path) --format ndjson --output /dev/null"
            } else {
                todo += " To store such a run, fix the cause and scan again with --store (or keep --format ndjson --output FILE and add it later with patchaudit merge FILE --store \(path))."
            }
            throw failure("--store: \(error.description)", status: ExitStatus.cannotWrite, then: todo)
        }
    }

    /// How long a run waits for another run's write: PATCHAUDIT_STORE_BUSY_TIMEOUT (seconds, up
    /// to a day), else 60 s.
    static var busyTimeout: TimeInterval {
        guard let text = ProcessInfo.processInfo.environment["PATCHAUDIT_STORE_BUSY_TIMEOUT"], let seconds = Double(text),
              seconds.isFinite, seconds >= 0, seconds <= 86_400 else { return AuditStore.defaultBusyTimeout }
        return seconds
    }

    /// The command line as a shell would take it.
    static var commandLine: String {
        CommandLine.arguments.map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
    }
}
