import Foundation

/// What ``RunDiff`` keeps of a run: per target, its verdict and the paths of its damaged
/// files (evaluated files only; stray copies are no part of a verdict). Nothing else, so memory
/// grows with the number of targets, not with their reports.
public struct RunFacts: Sendable {
    public struct Target: Sendable, Hashable {
        public var verdict: Verdict
        public var damaged: Set<String>
    }

    public private(set) var targets: [ExactName: Target] = [:]
    /// Targets met again in the same run (the later one counts).
    public private(set) var duplicates = 0

    public init() {}

    /// Adds a target; a target added before is replaced.
    public mutating func add(target: String, verdict: Verdict, damaged: Set<String>) {
        if targets.updateValue(Target(verdict: verdict, damaged: damaged), forKey: ExactName(target)) != nil { duplicates += 1 }
    }

    mutating func addDamaged(_ path: String, to target: String) {
        targets[ExactName(target)]?.damaged.insert(path)
    }

    /// The fields of a result line that a diff reads (the rest is skipped by the decoder).
    private struct Line: Decodable {
        struct Installation: Decodable { var evaluations: [Evaluation] }
        struct Evaluation: Decodable { var files: [File] }
        struct File: Decodable {
            var name: String
            var path: String?
            var status: String
        }
        var target: String
        var verdict: Verdict
        var kind: String
        var installations: [Installation]?
    }

    /// The facts of an NDJSON result file (`scan --format ndjson`), read line by line. A last
    /// line cut short (a run killed while writing it) is left out.
    /// - Throws: ``NDJSONFile/Problem`` for a line that is not a patchaudit target object.
    public static func read(ndjson descriptor: Int32, name: String) throws(NDJSONFile.Problem) -> (facts: RunFacts, torn: Int64) {
        var facts = RunFacts()
        var number = 0
        let extent = try NDJSONFile.forEachLine(in: descriptor, name: name) { _, line throws(NDJSONFile.Problem) in
            number += 1
            guard let decoded = try? JSONDecoder().decode(Line.self, from: Data(line)) else {
                throw NDJSONFile.Problem("\(name), line \(number): not a patchaudit target object; diff reads the output of `patchaudit scan --format ndjson`")
            }
            var damaged: Set<String> = []
            for installation in decoded.installations ?? [] {
                for evaluation in installation.evaluations {
                    for file in evaluation.files where file.status == FileStatus.damaged.rawValue { damaged.insert(file.path ?? file.name) }
                }
            }
            facts.add(target: decoded.target, verdict: decoded.verdict, damaged: damaged)
        }
        return (facts, extent.torn)
    }
}

/// What changed per target between two runs (two runs of the store, or two NDJSON result
/// files: the same logic for both).
///
/// Each target present in both runs falls in one class, the first that holds:
/// - `newlyDamaged`: a file that was not damaged before is damaged now;
/// - `newlyPatched`: it was patch-needed, blocked or review and is up-to-date now;
/// - `verdictChanged`: any other change of verdict (from, to);
/// - unchanged: counted, not listed.
/// Targets of only one run are `newTargets` or `targetsGone`. Lists are sorted by target (bytes).
public struct RunDiff: Sendable, Hashable, Codable {
    /// One run of the comparison.
    public struct Side: Sendable, Hashable, Codable {
        /// The store's run id, or nil for a file.
        public var run: Int64?
        /// The file, or the store.
        public var source: String
        /// When the run started (store runs).
        public var startedAt: String?
        public var targets: Int

        public init(run: Int64?, source: String, startedAt: String?, targets: Int) {
            self.run = run
            self.source = source
            self.startedAt = startedAt
            self.targets = targets
        }
    }

    /// One target that changed.
    public struct Change: Sendable, Hashable, Codable {
        public var target: String
        /// Its verdict in the first run (nil for a new target).
        public var from: Verdict?
        /// Its verdict in the second run (nil for a target gone).
        public var to: Verdict?
        /// Files damaged now that were not before (newly damaged only), sorted.
        public var damaged: [String]?
    }

    public var from: Side
    public var to: Side
    public var newlyPatched: [Change] = []
    public var newlyDamaged: [Change] = []
    public var verdictChanged: [Change] = []
    public var newTargets: [Change] = []
    public var targetsGone: [Change] = []
    /// Targets in both runs with nothing changed.
    public var unchanged = 0

    /// Compares `old` (run `from`) with `new` (run `to`).
    public init(from: Side, _ old: RunFacts, to: Side, _ new: RunFacts) {
        self.from = from
        self.to = to
        for (name, now) in new.targets {
            guard let before = old.targets[name] else {
                newTargets.append(Change(target: name.text, from: nil, to: now.verdict))
                continue
            }
            let damaged = now.damaged.subtracting(before.damaged)
            if !damaged.isEmpty {
                newlyDamaged.append(Change(target: name.text, from: before.verdict, to: now.verdict,
                                           damaged: damaged.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }))
            } else if now.verdict == .upToDate && [.patchNeeded, .blocked, .review].contains(before.verdict) {
                newlyPatched.append(Change(target: name.text, from: before.verdict, to: now.verdict))
            } else if now.verdict != before.verdict {
                verdictChanged.append(Change(target: name.text, from: before.verdict, to: now.verdict))
            } else {
                unchanged += 1
            }
        }
        for (name, before) in old.targets where new.targets[name] == nil {
            targetsGone.append(Change(target: name.text, from: before.verdict, to: nil))
        }
        let order: (Change, Change) -> Bool = { $0.target.utf8.lexicographicallyPrecedes($1.target.utf8) }
        newlyPatched.sort(by: order)
        newlyDamaged.sort(by: order)
        verdictChanged.sort(by: order)
        newTargets.sort(by: order)
        targetsGone.sort(by: order)
    }

    /// Whether some target got worse: a file newly damaged, or a verdict whose exit status is
    /// higher than before (up-to-date to patch-needed, patch-needed to review, anything to error).
    public var gotWorse: Bool {
        !newlyDamaged.isEmpty || verdictChanged.contains { ($0.to?.exitStatus ?? 0) > ($0.from?.exitStatus ?? 0) }
    }

    /// The classes in the order they are shown, with their names in the table and the CSV.
    var sections: [(title: String, change: String, items: [Change])] {
        [("newly damaged", "newly-damaged", newlyDamaged), ("newly patched", "newly-patched", newlyPatched),
         ("verdict changed", "verdict-changed", verdictChanged), ("new targets", "new-target", newTargets),
         ("targets gone", "target-gone", targetsGone)]
    }
}
