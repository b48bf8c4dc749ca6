/// What a source (folder walk or archive stream) saw besides the matched files: counts,
/// entries it did not read, and the limits it hit.
public struct SourceSummary: Sendable, Hashable {
    public var entriesVisited = 0
    public var directoriesVisited = 0
    public var skipped: [SkippedEntry] = []
    public var skippedCount = 0
    public var unreadableDirectories: [SkippedEntry] = []
    public var limitsHit: [LimitHit] = []
    public init() {}
}
