import CSV
import FoundationXML
import Foundation
import Testing
@testable import PatchAuditKit

/// The writers' own rules, on reports made from the fixtures: what to do for each verdict,
/// escaping for CSV, XML and Prometheus, and the writers' counts.
@Suite struct ReportWriterTests {
    static func report(_ tree: String) throws -> TargetReport {
        try FixtureSupport.scanner().scan(target: FixtureSupport.trees.appendingPathComponent(tree).path)
    }

    static func render(_ format: ReportFormat, _ reports: [TargetReport], context: ReportContext = ReportContext(manifests: []),
                       elapsed: Double = 1.5) throws -> String {
        let writer = format.writer(context)
        var data = try writer.begin()
        var summary = RunSummary()
        for report in reports {
            data.append(try writer.add(report))
            summary.add(report.verdict, cause: report.reasons.first?.rule)
        }
        data.append(try writer.finish(RunEnd(summary: summary, elapsed: elapsed)))
        return String(decoding: data, as: UTF8.self)
    }

    /// domain.md's table, "What to do, per verdict", for each fixture verdict.
    @Test(arguments: [
        ("patch-needed-sr1", "Install the Outlook 97 Archive Patch, arch97en.exe (KB214747), on this machine"),
        ("blocked-outlook80", "Update to Outlook 97 8.01 or later first"),
        ("blocked-german", "Get the patch for this installation's language: arch97en.exe is for language 0409 only"),
        ("up-to-date-sr1", "Nothing; arch97en.exe is already applied"),
        ("review-emsuix32-damaged", "reinstall Outlook"),
        ("review-missing-file", "check the copy"),
        ("not-applicable-outlook2000", "Nothing for arch97en.exe: it is for Outlook 97 only"),
    ])
    func everyVerdictSaysWhatToDo(tree: String, advice: String) throws {
        let report = try Self.report(tree)
        #expect(report.advice.contains(advice), "\(tree): \(report.advice)")
        for evaluation in report.installations.flatMap(\.evaluations) {
            #expect(evaluation.whatToDo?.isEmpty == false)
        }
    }

    @Test func anErrorTargetSaysWhatToDo() {
        let report = TargetReport.failed("/mnt/gone", kind: .missing, reason: Reason(rule: "target-unreadable", verdict: .error, message: "gone"))
        #expect(report.advice.hasPrefix("Fix access to the copy"))
    }

    /// A report of an earlier version has no `whatToDo`: the advice is computed from the same rules.
    @Test func aReportWithoutAdviceGetsItComputed() throws {
        var report = try Self.report("patch-needed-sr1")
        let written = report.advice
        report.whatToDo = nil
        #expect(report.advice == written)
    }

    @Test func csvCellsAreNeutralisedAgainstFormulas() {
        for value in ["=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            #expect(CSVCell.neutralised(value) == "'" + value)
        }
        for value in ["pc42.zip", "", "a=b", "'quoted", "5.5.2502.0"] {
            #expect(CSVCell.neutralised(value) == value)
        }
    }

    /// Quotes, commas and line breaks are quoted (RFC 4180) and read back as written.
    @Test func csvRoundTripsNastyCells() throws {
        let cells = ["a,b", "say \"hi\"", "two\r\nlines", "one\nline", "ünïcödé", "=cmd|' /C calc'!A0", ""]
        let data = try CSVCell.rows([cells, cells])
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.hasSuffix("\r\n"))
        let reader = try CSVReader(string: text)
        let expected = cells.map(CSVCell.neutralised)
        #expect(reader.next() == expected)
        #expect(reader.next() == expected)
        #expect(reader.next() == nil)
    }

    @Test func xmlTextEscapesMarkupAndDropsWhatXMLForbids() throws {
        #expect(XMLText.escaped("<img src=x onerror=alert(1)>.dll") == "&lt;img src=x onerror=alert(1)&gt;.dll")
        #expect(XMLText.escaped("a&b \"c\" 'd'") == "a&amp;b &quot;c&quot; &apos;d&apos;")
        #expect(XMLText.escaped("x\u{1}y\u{1b}[2J\u{FFFF}") == "x\\u{1}y\\u{1b}[2J\\u{ffff}")
        #expect(XMLText.escaped("tab\there\nnew") == "tab&#9;here&#10;new")
        // What it makes parses, and reads back as the text with forbidden characters spelled out.
        let hostile = "pc<script>\u{0}\u{1b}]0;x\u{7}</script>&\"'"
        let document = try XMLDocument(xmlString: "<a b=\"\(XMLText.escaped(hostile))\">\(XMLText.escaped(hostile))</a>")
        #expect(document.rootElement()?.stringValue == "pc<script>\\u{0}\\u{1b}]0;x\\u{7}</script>&\"'")
        #expect(document.rootElement()?.attribute(forName: "b")?.stringValue == "pc<script>\\u{0}\\u{1b}]0;x\\u{7}</script>&\"'")
    }

    /// JUnit: a case per installation, a failure for what --fail-on counts, skipped for
    /// not-applicable; the counts on the suite agree with the cases.
    @Test func junitCasesFollowFailOn() throws {
        let reports = try ["patch-needed-sr1", "up-to-date-sr1", "not-applicable-outlook2000", "dual-boot"].map(Self.report)
        let strict = try XMLDocument(xmlString: Self.render(.junit, reports))
        #expect(try strict.nodes(forXPath: "//testcase").count == 5)
        #expect(try strict.nodes(forXPath: "//testcase/failure").count == 2)
        #expect(try strict.nodes(forXPath: "//testcase/skipped").count == 1)
        #expect(try strict.nodes(forXPath: "/testsuites/testsuite/@failures").first?.stringValue == "2")
        #expect(try strict.nodes(forXPath: "/testsuites/testsuite/@time").first?.stringValue == "1.500")
        #expect(try strict.nodes(forXPath: "/testsuites/testsuite/@timestamp").first?.stringValue == "1970-01-01T00:00:00")
        let lenient = try XMLDocument(xmlString: Self.render(.junit, reports, context: ReportContext(manifests: [], failOn: .review)))
        #expect(try lenient.nodes(forXPath: "//testcase/failure").isEmpty)
    }

    @Test func prometheusWritesEverySeriesAndTheClock() throws {
        let reports = try ["patch-needed-sr1", "up-to-date-sr1"].map(Self.report)
        let text = try Self.render(.prometheus, reports, context: ReportContext(manifests: [], startedAt: Date(timeIntervalSince1970: 1_000)), elapsed: 2.25)
        #expect(text.contains("patchaudit_targets{verdict=\"patch-needed\"} 1\n"))
        #expect(text.contains("patchaudit_targets{verdict=\"error\"} 0\n"))
        #expect(text.contains("patchaudit_files{status=\"outdated\"} 5\n"))
        #expect(text.contains("patchaudit_scan_duration_seconds 2.250\n"))
        #expect(text.contains("patchaudit_last_run_timestamp_seconds 1002.250\n"))
        #expect(PrometheusWriter.label("a\"b\\c\nd") == "a\\\"b\\\\c\\nd")
    }

    /// Parts past 1 MiB go to an unnamed temporary file and come back in order, byte for byte.
    @Test func theSpoolGivesBackWhatItKept() throws {
        let spool = ReportSpool()
        var expected = Data()
        for index in 0..<5_000 {
            let part = Data("<testcase classname=\"pc\(index)\" name=\"WINDOWS/SYSTEM\"/>\n".utf8) + Data(repeating: UInt8(index % 251), count: index % 977)
            try spool.append(part)
            expected.append(part)
        }
        #expect(expected.count > 2 * ReportSpool.memoryLimit)
        #expect(spool.spilled)
        var drained = Data()
        var largest = 0
        try spool.drain { drained.append($0); largest = max(largest, $0.count) }
        #expect(drained == expected)
        #expect(largest <= ReportSpool.memoryLimit)
        var again = Data()
        try spool.drain { again.append($0) }
        #expect(again.isEmpty)
    }

    /// A right-to-left override or a line separator in a name cannot disguise it on the
    /// terminal, in the HTML page or in JUnit: they show as escapes.
    @Test func bidiOverridesAndSeparatorsShowAsEscapes() {
        let name = "pc42\u{202e}lld.exe\u{2028}x\u{2066}y\u{200f}"
        #expect(TerminalText.safe(name) == "pc42\\u{202e}lld.exe\\u{2028}x\\u{2066}y\\u{200f}")
        #expect(XMLText.escaped(name) == "pc42\\u{202e}lld.exe\\u{2028}x\\u{2066}y\\u{200f}")
        #expect(TerminalText.safe("Outlook 97 8.04 \u{05e2}\u{05d1}\u{05e8}\u{05d9}\u{05ea}") == "Outlook 97 8.04 \u{05e2}\u{05d1}\u{05e8}\u{05d9}\u{05ea}", "right-to-left letters themselves pass")
    }
}
