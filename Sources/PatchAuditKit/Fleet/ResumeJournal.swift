/// `--resume`: the NDJSON output of an earlier run of the same scan is its journal.
///
/// A run writes each target's line whole, as the target finishes, and syncs the file every
/// few seconds; a run killed at any moment (SIGKILL, a lost node) leaves complete lines and
/// at most one line cut short at the end. Resuming reads the file and plans:
/// - a target with a complete line judged against the same manifests (the same set of
///   SHA-256 digests) is done: skipped, its verdict counted in the summary and the exit status
///   as if scanned now;
/// - `error` lines are done too, unless `--retry-errors`: then they are dropped and scanned
///   again; so are `merge`'s placeholders (rules `not-scanned`, `merge-conflict`) always;
/// - a line for other manifests is dropped and its target scanned again (the manifests changed);
/// - a second line for a target already seen is dropped (the first stands);
/// - the line cut short is cut off (only bytes that begin as a line does, `{"`);
/// - lines for targets this run does not list stay in the file, but are not counted.
/// The file then holds only lines that stand, and the run appends. A complete line that is not
/// a patchaudit target object means the file is not a journal: nothing is changed, and the run
/// is refused (exit 64), so `--resume` never eats a file it did not write.
public struct ResumeJournal: Sendable {
    /// Targets already done: their facts, by target.
    public private(set) var done: [ExactName: NDJSONFile.Facts] = [:]
    /// The lines that stand, in file order.
    public private(set) var kept: [NDJSONFile.Span] = []
    public private(set) var extent = NDJSONFile.Extent(complete: 0, torn: 0)
    /// Lines dropped, by why.
    public private(set) var droppedForManifests = 0
    public private(set) var droppedErrors = 0
    public private(set) var droppedDuplicates = 0

    /// Reads the journal in `descriptor` (opened for reading and writing by the caller).
    public init(descriptor: Int32, name: String, manifestDigests: [String], retryErrors: Bool) throws(NDJSONFile.Problem) {
        let wanted = manifestDigests.sorted()
        var lineNumber = 0
        var done: [ExactName: NDJSONFile.Facts] = [:]
        var kept: [NDJSONFile.Span] = []
        var droppedForManifests = 0, droppedErrors = 0, droppedDuplicates = 0
        extent = try NDJSONFile.forEachLine(in: descriptor, name: name) { span, line throws(NDJSONFile.Problem) in
            lineNumber += 1
            guard let facts = NDJSONFile.Facts(line: line) else {
                throw NDJSONFile.Problem("\(name), line \(lineNumber): not a patchaudit target object; --resume appends only to a file that `patchaudit scan --format ndjson` wrote (nothing was changed; name a new --output file, or drop --resume to start over)")
            }
            if done[ExactName(facts.target)] != nil {
                droppedDuplicates += 1
            } else if facts.manifestDigests != wanted {
                droppedForManifests += 1
            } else if facts.verdict == .error && (retryErrors || Self.placeholders.contains(facts.cause ?? "")) {
                droppedErrors += 1
            } else {
                done[ExactName(facts.target)] = facts
                kept.append(span)
            }
        }
        // The tail after the last newline is a line cut short only if it begins as every line
        // does; anything else means the file is not a journal.
        if extent.torn > 0, !Self.startsLikeALine(descriptor: descriptor, at: extent.complete, length: extent.torn) {
            throw NDJSONFile.Problem("\(name) ends with \(extent.torn) bytes that are not the start of a patchaudit line; --resume appends only to a file that `patchaudit scan --format ndjson` wrote (nothing was changed; name a new --output file, or drop --resume to start over)")
        }
        self.done = done
        self.kept = kept
        self.droppedForManifests = droppedForManifests
        self.droppedErrors = droppedErrors
        self.droppedDuplicates = droppedDuplicates
    }

    /// Error lines that are no result of a scan (`merge` writes them for targets it has no, or
    /// two different, results for): always scanned again.
    static let placeholders: Set<String> = ["not-scanned", "merge-conflict"]

    /// Whether the `length` bytes at `offset` begin as a JSON object with a key does (`{"`).
    static func startsLikeALine(descriptor: Int32, at offset: Int64, length: Int64) -> Bool {
        let opening = Array("{\"".utf8)
        let count = Int(min(length, Int64(opening.count)))
        guard let head = NDJSONFile.line(at: NDJSONFile.Span(offset: offset, length: count), in: descriptor) else { return false }
        return head == Array(opening.prefix(count))
    }

    /// Whether the file must be rewritten (lines dropped from its middle), rather than only
    /// cut after its last complete line.
    public var needsRewrite: Bool { droppedForManifests + droppedErrors + droppedDuplicates > 0 }

    /// What resuming will do, for the line on standard error.
    public var summary: String {
        var parts = ["\(done.count) target\(done.count == 1 ? "" : "s") already done"]
        if droppedErrors > 0 { parts.append("\(droppedErrors) error line\(droppedErrors == 1 ? "" : "s") to scan again (--retry-errors)") }
        if droppedForManifests > 0 { parts.append("\(droppedForManifests) line\(droppedForManifests == 1 ? "" : "s") judged against other manifests to scan again") }
        if droppedDuplicates > 0 { parts.append("\(droppedDuplicates) repeated line\(droppedDuplicates == 1 ? "" : "s") dropped") }
        if extent.torn > 0 { parts.append("a last line cut short (\(extent.torn) bytes) removed") }
        return parts.joined(separator: ", ")
    }
}
