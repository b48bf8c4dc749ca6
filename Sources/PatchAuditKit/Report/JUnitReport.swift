import Foundation

/// `--format junit`: JUnit XML for CI dashboards (Jenkins' junit step, GitLab's
/// `artifacts:reports:junit`), validated against `docs/schemas/junit.xsd`.
///
/// One `testsuite` for the run inside `testsuites`. A test case per installation: `classname`
/// is the target, `name` the installation (its system folder, else its Outlook folder). A
/// target with no installation, or whose own reasons decide its verdict (an error, a limit
/// hit), gets a test case named `target`. A verdict `--fail-on` counts is a `failure` (its
/// type the verdict, its message what to do, its text the reasons); an `error` target is an
/// `error`; `not-applicable` is `skipped` (the patch has nothing to check there).
///
/// The suite's counts come first in the file, so the rendered test cases wait in a
/// ``ReportSpool`` (memory up to 1 MiB, then an unnamed temporary file) until the end.
final class JUnitWriter: ReportWriter {
    let context: ReportContext
    private let cases = ReportSpool()
    private var tests = 0, failures = 0, errors = 0, skipped = 0

    init(_ context: ReportContext) { self.context = context }

    func begin() throws -> Data { Data() }

    func add(_ target: TargetReport) throws -> Data {
        let own = target.reasons.filter { $0.verdict == target.verdict }
        if target.installations.isEmpty || !own.isEmpty {
            try addCase(target: target.target, name: "target", verdict: target.verdict,
                    reasons: target.verdictReasons, advice: target.advice)
        }
        for installation in target.installations {
            let deciding = installation.evaluations.filter { $0.verdict == installation.verdict }
            var seen = Set<String>()
            let reasons = deciding.flatMap(\.reasons).filter { $0.verdict == installation.verdict && seen.insert($0.message).inserted }
            var adviceSeen = Set<String>()
            let advice = deciding.compactMap(\.whatToDo).filter { adviceSeen.insert($0).inserted }.joined(separator: " ")
            try addCase(target: target.target, name: installation.id, verdict: installation.verdict, reasons: reasons,
                    advice: advice.isEmpty ? target.advice : advice)
        }
        return Data()
    }

    private func addCase(target: String, name: String, verdict: Verdict, reasons: [Reason], advice: String) throws {
        tests += 1
        var xml = "    <testcase classname=\"\(XMLText.escaped(target))\" name=\"\(XMLText.escaped(name))\">\n"
        let body = XMLText.escaped((reasons.map { "\($0.rule): \($0.message)" } + ["What to do: \(advice)"]).joined(separator: "\n"))
        let message = XMLText.escaped("\(verdict.rawValue): \(advice)")
        if verdict == .error {
            errors += 1
            xml += "      <error type=\"\(verdict.rawValue)\" message=\"\(message)\">\(body)</error>\n"
        } else if context.failOn.fails(verdict) {
            failures += 1
            xml += "      <failure type=\"\(verdict.rawValue)\" message=\"\(message)\">\(body)</failure>\n"
        } else if verdict == .notApplicable {
            skipped += 1
            xml += "      <skipped message=\"\(message)\"/>\n"
        } else {
            xml += "      <system-out>\(body)</system-out>\n"
        }
        xml += "    </testcase>\n"
        try cases.append(Data(xml.utf8))
    }

    func finish(_ end: RunEnd) throws -> Data {
        var out = Data()
        try finish(end) { out.append($0) }
        return out
    }

    func finish(_ end: RunEnd, emit: (Data) throws -> Void) throws {
        let time = String(format: "%.3f", end.elapsed)
        let counts = "tests=\"\(tests)\" failures=\"\(failures)\" errors=\"\(errors)\""
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        xml += "<testsuites name=\"patchaudit\" \(counts) skipped=\"\(skipped)\" time=\"\(time)\">\n"
        xml += "  <testsuite name=\"patchaudit\" \(counts) skipped=\"\(skipped)\" time=\"\(time)\" timestamp=\"\(Self.timestamp(context.startedAt))\">\n"
        xml += "    <properties>\n"
        xml += "      <property name=\"command\" value=\"\(XMLText.escaped(context.command))\"/>\n"
        xml += "      <property name=\"tool\" value=\"patchaudit \(XMLText.escaped(PatchAudit.version))\"/>\n"
        xml += "      <property name=\"fail-on\" value=\"\(context.failOn.rawValue)\"/>\n"
        for manifest in context.manifests {
            xml += "      <property name=\"manifest\" value=\"\(XMLText.escaped("\(manifest.id) sha256:\(manifest.sha256) \(manifest.signature)"))\"/>\n"
        }
        xml += "    </properties>\n"
        try emit(Data(xml.utf8))
        try cases.drain(emit)
        try emit(Data("  </testsuite>\n</testsuites>\n".utf8))
    }

    /// "2026-12-05T18:26:43" (UTC; JUnit's timestamp has no zone).
    static func timestamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d", parts.year ?? 1970, parts.month ?? 1, parts.day ?? 1,
                      parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0)
    }
}

/// Text from evidence, made safe for XML 1.0 element text and attribute values.
///
/// `&`, `<`, `>`, `"` and `'` become entities. Characters XML 1.0 does not allow at all, even
/// as references (C0 controls but tab, LF and CR; U+FFFE, U+FFFF), and what the terminal
/// shows escaped (DEL, the C1 controls, bidirectional overrides, line separators:
/// ``TerminalText``), become a visible `\u{..}`. Tab, LF and CR are written as character references, so an attribute
/// keeps them (a parser would otherwise normalise them to spaces).
public enum XMLText {
    public static func escaped(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t": out += "&#9;"
            case "\n": out += "&#10;"
            case "\r": out += "&#13;"
            default:
                // C1 controls and bidi overrides are legal XML, but a terminal or a dashboard
                // showing them is misled (U+009B starts a control sequence, U+202E reverses
                // text): made visible, as on the terminal.
                if TerminalText.isControl(scalar) || scalar.value == 0xFFFE || scalar.value == 0xFFFF {
                    out += "\\u{" + String(scalar.value, radix: 16) + "}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
