/// A folder target (a mounted image, a copy of a disk): walked by ``DirectoryWalker``.
struct DirectorySource: TargetSource, ~Copyable {
    let root: OwnedDescriptor
    let matcher: NameMatcher
    let limits: ScanLimits
    let walkers: Int
    let concurrentWalks: Int

    consuming func read() -> SourceFacts {
        let walker = DirectoryWalker(matcher: matcher, limits: limits, workers: walkers, concurrentWalks: concurrentWalks)
        let (found, summary) = walker.walk(root: root) { match in
            InventoryItem(name: match.name, path: match.path, content: match.content)
        }
        var facts = SourceFacts(kind: .directory)
        // The threads' order must never show in a report.
        facts.items = found.sorted { $0.path < $1.path }
        facts.summary = summary
        return facts
    }
}
