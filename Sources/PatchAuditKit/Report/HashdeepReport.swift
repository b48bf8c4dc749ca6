/// A scan's inventory as a hashdeep known-file list (`scan --format hashdeep`), so hashdeep
/// (`hashdeep -a -k LIST ...`, `hashdeep -m -k LIST ...`) and other forensic tools can use it,
/// and `patchaudit manifest import-hashdeep` can read it back.
///
/// Columns are `size,md5,sha256,filename`. A file name is the target as given, `/`, and the
/// path inside the target (an archive entry's path, with `!` between nested archives). Every
/// file read is listed once, whichever installation or manifest it belongs to; files that
/// could not be read have no digests and appear as `##` comments, so nothing is silently left out.
public enum HashdeepReport {
    /// The two header lines and the comment lines hashdeep writes before its rows.
    public static func header(invokedFrom directory: String, command: String) -> String {
        """
        \(HashdeepList.header)
        %%%% size,md5,sha256,filename
        ## Invoked from: \(escaped(directory))
        ## $ \(escaped(command))
        ##

        """
    }

    /// One target's rows, sorted by path.
    public static func rows(_ report: TargetReport) -> String {
        var seen = Set<String>()
        var findings: [FileFinding] = []
        // A deleted entry's bytes (--include-deleted) are no known file of the copy.
        for finding in report.installations.flatMap({ $0.evaluations.flatMap(\.files) }) + report.strayFiles.filter({ !$0.deleted })
        where finding.status != .missing {
            guard let path = finding.path, seen.insert(path).inserted else { continue }
            findings.append(finding)
        }
        findings.sort { ($0.path ?? "").utf8.lexicographicallyPrecedes(($1.path ?? "").utf8) }
        // A target is named on the command line and may hold any byte: a newline must not start a row.
        let target = escaped(report.target)
        let prefix = target.hasSuffix("/") ? target : target + "/"
        var out = ""
        for finding in findings {
            // Paths are displayed already (ScanPath.display); a report from a worker that went
            // wrong is still kept to one line per row, with digests that are hex.
            let name = prefix + TerminalText.safe(finding.path ?? finding.name)
            if let size = finding.size, let md5 = finding.md5, let sha256 = finding.sha256, isHex(md5), isHex(sha256) {
                out += "\(size),\(md5),\(sha256),\(name)\n"
            } else {
                out += "## not read: \(name): \(escaped(finding.reason ?? finding.status.rawValue))\n"
            }
        }
        if report.verdict == .error {
            out += "## \(target): \(escaped(report.reasons.first?.message ?? "could not be read"))\n"
        }
        // The verdict and what to do, as a comment (hashdeep and import-hashdeep skip `##` lines).
        out += "## \(target): \(report.verdict.rawValue); what to do: \(escaped(report.advice))\n"
        return out
    }

    static func isHex(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// Text with control characters escaped the way paths are (`\x0a`), so it stays on its line.
    static func escaped(_ text: String) -> String {
        ScanPath.display(Array(text.utf8)[...])
    }
}
