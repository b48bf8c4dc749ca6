import Foundation

/// `patchaudit merge`: NDJSON results of shards or resumed runs, read back as one run.
///
/// A first pass indexes every input (where each target's line lies, its verdict and manifests;
/// nothing else is kept), a second writes the targets in order, reading each line again:
/// memory grows with the number of targets, not with the size of their reports.
/// - **Order:** the target list's (`--targets`), as the single run over that list would have
///   written them; without a list, the order in which targets first appear in the inputs.
/// - **Duplicates:** a target in several inputs with the same result (byte for byte, or the
///   same report) is written once. With different results it is not resolved silently: it is
///   written as an `error` target (rule `merge-conflict`) whose reason names each input, line
///   and verdict, and it is listed.
/// - **Completeness** (with a list): a listed target in no input is written as an `error`
///   target (rule `not-scanned`) and listed; a target of the inputs that the list does not
///   name is left out and counted.
/// - A line cut short at the end of an input (a shard that was killed) is ignored, and said.
public struct ResultMerge {
    /// One input file, open for reading.
    public struct Input {
        public var name: String
        public var descriptor: Int32
        public init(name: String, descriptor: Int32) {
            self.name = name
            self.descriptor = descriptor
        }
    }

    struct Occurrence {
        var input: Int
        var line: Int
        var span: NDJSONFile.Span
        var facts: NDJSONFile.Facts
    }

    let inputs: [Input]
    private var occurrences: [ExactName: [Occurrence]] = [:]
    /// Targets in the order they first appear.
    private(set) var firstSeen: [String] = []
    /// The manifests of the inputs, each once (by SHA-256), in the order they first appear.
    public private(set) var manifests: [ManifestUse] = []
    /// The distinct manifest sets the inputs were judged against.
    public private(set) var manifestSets: Set<[String]> = []
    /// Inputs whose last line was cut short, and how many bytes.
    public private(set) var torn: [(input: String, bytes: Int64)] = []

    /// Indexes `inputs`; a complete line that is not a patchaudit target object is refused.
    public init(inputs: [Input]) throws(NDJSONFile.Problem) {
        self.inputs = inputs
        for (number, input) in inputs.enumerated() {
            var lineNumber = 0
            var newSets: [(NDJSONFile.Span)] = []
            let extent = try NDJSONFile.forEachLine(in: input.descriptor, name: input.name) { span, line throws(NDJSONFile.Problem) in
                lineNumber += 1
                guard let facts = NDJSONFile.Facts(line: line) else {
                    throw NDJSONFile.Problem("\(input.name), line \(lineNumber): not a patchaudit target object; merge reads the output of `patchaudit scan --format ndjson`")
                }
                let key = ExactName(facts.target)
                if occurrences[key] == nil { firstSeen.append(facts.target) }
                occurrences[key, default: []].append(Occurrence(input: number, line: lineNumber, span: span, facts: facts))
                if manifestSets.insert(facts.manifestDigests).inserted { newSets.append(span) }
            }
            if extent.torn > 0 { torn.append((input.name, extent.torn)) }
            for span in newSets {
                struct Named: Decodable { var manifests: [ManifestUse]? }
                guard let bytes = NDJSONFile.line(at: span, in: input.descriptor),
                      let named = try? JSONDecoder().decode(Named.self, from: Data(bytes)) else { continue }
                for use in named.manifests ?? [] where !manifests.contains(where: { $0.sha256 == use.sha256 }) {
                    manifests.append(use)
                }
            }
        }
    }

    /// What a merge came to, besides what it wrote.
    public struct Outcome {
        public var summary = RunSummary()
        /// Listed targets no input has.
        public var missing: [String] = []
        /// Targets with different results, each with what every input said.
        public var conflicts: [String] = []
        /// Targets of the inputs the list does not name.
        public var unlisted = 0
    }

    /// Writes every target to `stream` (begun and finished by the caller), in `list`'s order when
    /// there is one.
    public func write(to stream: ReportStream, list: [String]?) throws -> Outcome {
        var outcome = Outcome()
        let order = list ?? firstSeen
        if let list {
            let listed = Set(list.map(ExactName.init))
            outcome.unlisted = firstSeen.count(where: { !listed.contains(ExactName($0)) })
        }
        for target in order {
            guard let found = occurrences[ExactName(target)], let first = found.first else {
                outcome.missing.append(target)
                let report = TargetReport.failed(target, kind: .missing, reason: Reason(rule: "not-scanned", verdict: .error,
                    message: "\(target) is in the target list but in none of the merged results: its shard did not finish, or its file was not given to merge; scan it (patchaudit scan --targets LIST --shard I/N --resume --output SHARD.ndjson) and merge again",
                    found: "no result", expected: "a result in one of the inputs"))
                try stream.add(report)
                outcome.summary.add(.error, cause: "not-scanned")
                continue
            }
            let firstLine = try line(first)
            var differing: [Occurrence] = []
            var firstReport: TargetReport?
            for other in found.dropFirst() {
                let otherLine = try line(other)
                if otherLine == firstLine { continue }
                firstReport = try firstReport ?? decode(firstLine, at: first)
                if try decode(otherLine, at: other) != firstReport { differing.append(other) }
            }
            if differing.isEmpty {
                try stream.add(line: firstLine, verdict: first.facts.verdict)
                outcome.summary.add(first.facts.verdict, cause: first.facts.cause)
                continue
            }
            let said = ([first] + differing).map { "\(inputs[$0.input].name) line \($0.line) says \($0.facts.verdict.rawValue)" }
            outcome.conflicts.append("\(target): \(said.joined(separator: "; "))")
            let kind = firstReport?.kind ?? .unsupported
            try stream.add(TargetReport.failed(target, kind: kind, reason: Reason(rule: "merge-conflict", verdict: .error,
                message: "\(target) has different results in the merged inputs (\(said.joined(separator: "; "))): the copy changed between scans, or the runs used other manifests or limits; scan it again and merge the new result in place of the old ones",
                found: Set(([first] + differing).map(\.facts.verdict.rawValue)).sorted().joined(separator: ", "), expected: "one result")))
            outcome.summary.add(.error, cause: "merge-conflict")
        }
        outcome.summary.missing = outcome.missing.count
        outcome.summary.conflicting = outcome.conflicts.count
        return outcome
    }

    private func line(_ occurrence: Occurrence) throws(NDJSONFile.Problem) -> [UInt8] {
        guard let bytes = NDJSONFile.line(at: occurrence.span, in: inputs[occurrence.input].descriptor) else {
            throw NDJSONFile.Problem("\(inputs[occurrence.input].name) changed while it was merged (line \(occurrence.line) is gone); merge again once the runs writing it have ended")
        }
        return bytes
    }

    private func decode(_ bytes: [UInt8], at occurrence: Occurrence) throws(NDJSONFile.Problem) -> TargetReport {
        do {
            return try JSONDecoder().decode(TargetReport.self, from: Data(bytes))
        } catch {
            throw NDJSONFile.Problem("\(inputs[occurrence.input].name), line \(occurrence.line): a target object patchaudit cannot read back (\(error)); was it written by another version?")
        }
    }
}
