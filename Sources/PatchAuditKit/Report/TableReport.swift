/// The human rendering of a target report: fits an 80-column terminal, colour optional.
public struct TableReport: Sendable {
    /// Whether to use ANSI colours (only on a terminal, and never with NO_COLOR set).
    public var colour: Bool

    public init(colour: Bool) { self.colour = colour }

    /// The text for one target, ending with a blank line.
    public func render(_ target: TargetReport) -> String {
        var out = ""
        out += "\(bold(safe(target.target)))  \(paint(target.verdict))\n"
        for reason in target.reasons {
            out += wrap("- \(safe(reason.message))", indent: 2)
        }
        if target.kind == .directory {
            out += dim("  \(target.stats.entries) entries, \(target.stats.directories) folders, \(target.stats.matchedFiles) matched files") + "\n"
        }
        if let volumes = target.volumes {
            // A disk image: its container and table, then each volume (unallocated gaps counted).
            if let format = target.format { out += wrap(dim(safe(format)), indent: 2) }
            for volume in volumes where volume.state != .unallocated {
                let name = volume.name.isEmpty ? "volume" : volume.name
                var line = "\(name): \(volume.fileSystem ?? volume.description), \(volume.state.rawValue)"
                if volume.state != .scanned, let detail = volume.detail { line += " (\(detail))" }
                out += wrap(dim(safe(line)), indent: 2)
            }
            let gaps = volumes.filter { $0.state == .unallocated }.count
            if gaps > 0 { out += wrap(dim("\(gaps) unallocated stretch(es) outside the partitions: not scanned"), indent: 2) }
        }
        for installation in target.installations {
            out += "\n"
            var where_ = installation.systemFolder.map { "system \(safe($0))" } ?? "no system folder"
            where_ += installation.outlookFolders.isEmpty ? ", no Outlook folder" : ", Outlook \(safe(installation.outlookFolders.joined(separator: "; ")))"
            out += wrap("Installation \(safe(installation.id))  \(paint(installation.verdict))", indent: 2)
            out += wrap(dim(where_), indent: 4)
            for evaluation in installation.evaluations {
                out += wrap("\(safe(evaluation.manifest)): \(paint(evaluation.verdict))", indent: 4)
                if let product = evaluation.product {
                    var line = "\(product.name ?? "unknown product") (\(product.version)"
                    if let language = product.language { line += ", language \(language)" }
                    out += wrap(dim(safe(line + ") from \(product.source)")), indent: 6)
                }
                if evaluation.verdict == .notApplicable {
                    for reason in evaluation.reasons { out += wrap("- \(safe(reason.message))", indent: 6) }
                    // "Nothing for arch98en.exe" only where no other patch applies either.
                    if installation.verdict == .notApplicable { out += whatToDo(evaluation.whatToDo, indent: 6) }
                    continue
                }
                if !evaluation.files.isEmpty { out += fileTable(evaluation.files, indent: 6) }
                // Outdated files already show as rows; the other reasons are spelled out.
                let outdated = evaluation.files.filter { $0.status == .outdated }.count
                if outdated > 0 {
                    out += wrap("- \(outdated) file(s) older than the versions the patch installs", indent: 6)
                }
                for reason in evaluation.reasons where reason.rule != "file-outdated" {
                    out += wrap("- \(safe(reason.message))", indent: 6)
                }
                out += whatToDo(evaluation.whatToDo, indent: 6)
            }
        }
        // The target's own advice, where no installation gave it (errors, limits, nothing found).
        if target.installations.isEmpty || target.reasons.contains(where: { $0.verdict == target.verdict }) {
            out += "\n" + whatToDo(target.advice, indent: 2)
        }
        if !target.strayFiles.isEmpty {
            out += "\n" + wrap("Stray copies (not part of any installation):", indent: 2)
            out += fileTable(target.strayFiles, indent: 4)
        }
        if target.skippedCount > 0 {
            out += "\n" + wrap("Not read: \(target.skippedCount) link(s), special file(s), folder(s) or volume(s)", indent: 2)
            for entry in target.skipped.prefix(10) {
                out += wrap(dim(safe("\(entry.kind.rawValue): \(entry.path)\(entry.detail.map { " (\($0))" } ?? "")")), indent: 4)
            }
            if target.skippedCount > 10 { out += wrap(dim("... and \(target.skippedCount - 10) more (see --format json)"), indent: 4) }
        }
        return out + "\n"
    }

    /// The manifests a scan judges against, one line each, before the first target (the JSON
    /// formats carry the full path and SHA-256).
    public func renderManifests(_ manifests: [ManifestUse]) -> String {
        var out = ""
        for manifest in manifests {
            let signature = manifest.signature == "verified" ? "signed by \(manifest.signer)" : manifest.signature
            out += wrap(dim(safe("manifest \(manifest.id): \(signature), sha256 \(manifest.sha256.prefix(16))")), indent: 0)
        }
        return out.isEmpty ? "" : out + "\n"
    }

    /// "What to do: ...", in bold: the line every verdict ends with.
    func whatToDo(_ advice: String?, indent: Int) -> String {
        guard let advice else { return "" }
        return wrap(bold("What to do:") + " " + safe(advice), indent: indent)
    }

    /// Name, status, version, expected version on one line; the path on the next.
    func fileTable(_ files: [FileFinding], indent: Int) -> String {
        let pad = String(repeating: " ", count: indent)
        var out = pad + dim(column("FILE", 13) + column("STATUS", 11) + column("VERSION", 16) + "PATCH'S") + "\n"
        for file in files {
            let status = paintStatus(file.status, column(file.status.rawValue, 11))
            out += pad + column(safe(file.name), 13) + status + column(safe(file.version ?? "-"), 16) + safe(file.expected ?? "-") + "\n"
            out += pad + "  " + dim(safe(file.path ?? "-") + (file.deleted ? "  (deleted)" : "") + baselineTag(file.baseline)) + "\n"
            if let reason = file.reason, [.damaged, .missing, .unknown, .unreadable].contains(file.status) {
                out += wrap(safe(reason), indent: indent + 2)
            }
            for note in file.notes { out += wrap("note: \(safe(note))", indent: indent + 2) }
        }
        return out
    }

    /// What a baseline said about the file, after its path: "  (baseline: known-good build)".
    func baselineTag(_ evidence: BaselineEvidence?) -> String {
        guard let evidence else { return "" }
        switch evidence.result {
        case .matched: return "  (baseline: \(evidence.label?.rawValue ?? "recorded") build)"
        case .mismatch: return "  (baseline: bytes unlike the recorded build)"
        case .unrecorded: return "  (baseline: bytes never recorded)"
        }
    }

    func column(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }

    /// Wraps at 80 columns (word boundaries), every line indented.
    func wrap(_ text: String, indent: Int) -> String {
        let pad = String(repeating: " ", count: indent)
        let width = max(20, 80 - indent)
        var lines: [String] = []
        var line = ""
        var visible = 0
        for word in text.split(separator: " ", omittingEmptySubsequences: false) {
            let length = visibleLength(word)
            if visible > 0 && visible + 1 + length > width {
                lines.append(line)
                line = "  "
                visible = 2
            }
            if visible > 0 && line != "  " { line += " "; visible += 1 }
            line += word
            visible += length
        }
        lines.append(line)
        return lines.map { pad + $0 }.joined(separator: "\n") + "\n"
    }

    func visibleLength(_ text: some StringProtocol) -> Int {
        var count = 0
        var inEscape = false
        for character in text {
            if character == "\u{1b}" { inEscape = true; continue }
            if inEscape { if character == "m" { inEscape = false }; continue }
            count += 1
        }
        return count
    }

    func paint(_ verdict: Verdict) -> String {
        let text = verdict.rawValue.uppercased()
        guard colour else { return text }
        switch verdict {
        case .upToDate, .notApplicable: return "\u{1b}[32m\(text)\u{1b}[0m"
        case .patchNeeded: return "\u{1b}[33;1m\(text)\u{1b}[0m"
        case .blocked, .review: return "\u{1b}[35;1m\(text)\u{1b}[0m"
        case .error: return "\u{1b}[31;1m\(text)\u{1b}[0m"
        }
    }

    func paintStatus(_ status: FileStatus, _ text: String) -> String {
        guard colour else { return text }
        switch status {
        case .patched, .ok: return "\u{1b}[32m\(text)\u{1b}[0m"
        case .outdated: return "\u{1b}[33m\(text)\u{1b}[0m"
        case .damaged, .missing, .unreadable: return "\u{1b}[31m\(text)\u{1b}[0m"
        case .unknown: return "\u{1b}[35m\(text)\u{1b}[0m"
        }
    }

    func safe(_ text: String) -> String { TerminalText.safe(text) }
    func bold(_ text: String) -> String { colour ? "\u{1b}[1m\(text)\u{1b}[0m" : text }
    func dim(_ text: String) -> String { colour ? "\u{1b}[2m\(text)\u{1b}[0m" : text }
}
