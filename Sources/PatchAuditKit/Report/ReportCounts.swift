/// Counts every format gives the same way, so a spreadsheet, a dashboard and the HTML report
/// agree with each other and with json.
extension TargetReport {
    /// Evaluated files by status: each file of an installation once per status, whichever
    /// manifests judged it; evaluations whose patch does not apply (`not-applicable`) are left
    /// out, as their files are no finding. Stray copies are not counted.
    public var fileCounts: [FileStatus: Int] {
        var counts: [FileStatus: Int] = [:]
        for installation in installations {
            var seen = Set<String>()
            for evaluation in installation.evaluations where evaluation.verdict != .notApplicable {
                for file in evaluation.files where seen.insert("\(file.path ?? file.name)\u{0}\(file.status.rawValue)").inserted {
                    counts[file.status, default: 0] += 1
                }
            }
        }
        return counts
    }

    /// The reasons behind the target's verdict: its own, then its installations', each message once.
    public var verdictReasons: [Reason] {
        let evaluations = installations.flatMap(\.evaluations).filter { $0.verdict == verdict }
        var seen = Set<String>()
        return (reasons + evaluations.flatMap(\.reasons)).filter { $0.verdict == verdict && seen.insert($0.message).inserted }
    }

    /// The products found (release names, "unknown (8.3.0.9999)" for a build no release
    /// names), those of the evaluations that gave the verdict first, each once.
    public var productNames: [String] {
        let all = installations.flatMap(\.evaluations)
        // A manifest whose patch does not apply names the product as its neighbour sees it
        // ("Outlook 97" for the Outlook 98 patch): those only when no other names it.
        let applying = all.filter { $0.verdict != .notApplicable && $0.product != nil }
        let evaluations = applying.isEmpty ? all : applying
        var seen = Set<String>()
        return (evaluations.filter { $0.verdict == verdict } + evaluations).compactMap(\.product)
            .map { $0.name ?? "unknown (\($0.version))" }.filter { seen.insert($0).inserted }
    }

    /// The languages of the products found ("0409"), each once.
    public var productLanguages: [String] {
        var seen = Set<String>()
        return installations.flatMap(\.evaluations).compactMap(\.product?.language).filter { seen.insert($0).inserted }
    }
}
