/// What the admin does about a verdict (domain.md, "What to do, per verdict"): every report
/// ends an evaluation's and a target's reasons with it, in every format.
///
/// The sentences are built from the manifest (the patch's file, its first KB reference, the
/// product and its releases), so a manifest for another patch gets its own advice. A `review`
/// says which kind of look the reasons ask for; a `review` that also needs the patch says so.
public enum WhatToDo {
    /// For one installation judged against `manifest`.
    public static func evaluation(verdict: Verdict, reasons: [Reason], files: [FileFinding], manifest: Manifest) -> String {
        let patch = patchName(manifest)
        let rules = Set(reasons.map(\.rule))
        switch verdict {
        case .upToDate:
            return "Nothing; \(manifest.patch.file) is already applied."
        case .patchNeeded:
            return "Install \(patch), on this machine; it replaces the damaged or old files listed."
        case .blocked:
            if rules.contains("prerequisite-missing") {
                let first = manifest.product.releases.sorted { $0.version < $1.version }.first { $0.prerequisiteMissing == nil }
                let release = first.map { "\($0.name) or later" } ?? "a later release"
                return "Update to \(release) first (\(manifest.patch.file) will not install on this release), then install \(patch)."
            }
            if rules.contains("language-mismatch") {
                let languages = manifest.patch.languages.map { hex4($0) }.joined(separator: ", ")
                return "Get the patch for this installation's language: \(manifest.patch.file) is for language \(languages) only."
            }
            return "Do first what the reasons ask, then install \(patch)."
        case .notApplicable:
            return "Nothing for \(manifest.patch.file): it is for \(manifest.product.name) only, and \(manifest.product.name) is not installed here."
        case .review:
            var looks = reviewLooks(rules: rules)
            let patchedFiles = Set(manifest.files.filter(\.installedByPatch).map(\.name))
            if files.contains(where: { $0.status == .damaged && !patchedFiles.contains($0.name) }) || rules.contains("file-damaged-not-replaced") {
                looks.insert("reinstall Outlook for the damaged file the patch does not replace", at: 0)
            }
            var text = "A person must look at the reasons: " + (looks.isEmpty ? "compare the copy with a known-good machine" : looks.joined(separator: "; "))
            if reasons.contains(where: { $0.verdict == .patchNeeded }) { text += "; \(patch) is needed as well" }
            return text + "."
        case .error:
            return errorAdvice
        }
    }

    /// For a whole target: its own reasons' advice when they decide the verdict (errors,
    /// limits), else the advice of the installations that gave the verdict, each once.
    public static func target(_ report: TargetReport) -> String {
        if report.verdict == .error { return errorAdvice }
        let own = report.reasons.filter { $0.verdict == report.verdict }
        let fromInstallations = report.installations.flatMap(\.evaluations).filter { $0.verdict == report.verdict }
            .map { $0.whatToDo ?? "" }.filter { !$0.isEmpty }
        if !own.isEmpty || fromInstallations.isEmpty {
            switch report.verdict {
            case .review:
                let looks = reviewLooks(rules: Set(own.map(\.rule)))
                return "A person must look at the reasons: " + (looks.isEmpty ? "check the copy" : looks.joined(separator: "; ")) + "."
            case .notApplicable:
                return "Nothing; no installation of the product was found in this copy."
            case .upToDate:
                return "Nothing."
            default:
                if let first = fromInstallations.first { return first }
                return "Do what the reasons ask."
            }
        }
        var seen = Set<String>()
        return fromInstallations.filter { seen.insert($0).inserted }.joined(separator: " ")
    }

    static let errorAdvice = "Fix access to the copy (path, permission, a complete archive or image) and scan again."

    /// "the Outlook 97 Archive Patch, arch97en.exe (KB214747)".
    static func patchName(_ manifest: Manifest) -> String {
        var title = manifest.title
        let suffix = " (\(manifest.patch.file))"
        if title.hasSuffix(suffix) { title.removeLast(suffix.count) }
        let kb = manifest.references.lazy.compactMap { $0.split(separator: " ").first }.first { $0.hasPrefix("KB") }
        return "the \(title), \(manifest.patch.file)" + (kb.map { " (\($0))" } ?? "")
    }

    /// The kinds of look a `review`'s rules ask for, in a fixed order.
    static func reviewLooks(rules: Set<String>) -> [String] {
        var looks: [String] = []
        if !rules.isDisjoint(with: ["file-missing", "file-unreadable", "no-system-folder", "no-outlook-folder", "stray-only", "directory-unreadable", "volume-unreadable", "partition-table-damaged"]) {
            looks.append("check the copy, since a file or folder is missing or unreadable")
        }
        if rules.contains("limit-hit") {
            looks.append("scan again with a higher limit (the reason names it)")
        }
        if !rules.isDisjoint(with: ["unknown-build", "product-unknown", "product-unknown-version", "language-unknown", "copies-disagree", "file-no-version", "baseline-unrecorded", "baseline-inconsistent"]) {
            looks.append("compare the builds found with a known-good machine")
        }
        if !rules.isDisjoint(with: ["archive-encrypted", "archive-warning", "archive-entry-failed", "nested-archive-unreadable", "zip-header-mismatch", "zip-name-mismatch", "multi-volume", "archive-needs-seeking"]) {
            looks.append("open the archive by hand, or scan an unpacked copy")
        }
        return looks
    }
}
