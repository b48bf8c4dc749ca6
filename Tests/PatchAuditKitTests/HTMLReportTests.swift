import Crypto
import Foundation
import Testing
@testable import PatchAuditKit

/// Reports for the HTML writer's tests, and the page they give.
enum HTMLFixtures {
    /// 2026-12-05T18:00:00Z: the page's only time.
    static let startedAt = Date(timeIntervalSince1970: 1_796_493_600)

    static func context(manifests: [ManifestUse] = [], command: String = "patchaudit scan --format html") -> ReportContext {
        ReportContext(manifests: manifests, command: command, startedAt: startedAt)
    }

    /// A file finding with every column filled in.
    static func file(_ name: String, path: String, status: FileStatus, version: String? = "5.5.1960.3") -> FileFinding {
        var file = FileFinding(missing: name, expectedAt: path, expected: FileVersion(5, 5, 2440, 0), reason: "older than the patch's")
        file.status = status
        file.version = version
        file.size = 524_048
        file.sha256 = String(repeating: "ab", count: 32)
        return file
    }

    /// A target with one installation, one evaluation and `files`, its names built from `name`.
    static func target(_ name: String, verdict: Verdict = .patchNeeded, files: [FileFinding]? = nil,
                       skipped: [SkippedEntry] = [], kind: TargetReport.Kind = .directory) -> TargetReport {
        let files = files ?? [file("emsmdb32.dll", path: "\(name)/WINDOWS/SYSTEM/EMSMDB32.DLL", status: .outdated)]
        let evaluation = Evaluation(
            manifest: "outlook97-archive-patch", verdict: verdict,
            product: ProductFinding(name: "Outlook 97 8.02", version: "8.2.0.4212", source: "\(name)/OUTLOOK.EXE", language: "0409"),
            reasons: [Reason(rule: "file-outdated", verdict: verdict, message: "\(name)/EMSMDB32.DLL is older than the patch's", path: name)],
            files: files, whatToDo: "Install the patch on \(name).")
        let installation = InstallationReport(id: "\(name)/WINDOWS/SYSTEM", windowsFolder: "\(name)/WINDOWS", systemFolder: "\(name)/WINDOWS/SYSTEM",
                                              outlookFolders: ["\(name)/Program Files"], verdict: verdict, evaluations: [evaluation])
        return TargetReport(target: name, kind: kind, verdict: verdict, reasons: [], installations: [installation], strayFiles: [],
                            skipped: skipped, skippedCount: skipped.count, limitsHit: [], stats: .init(entries: 9, directories: 3, matchedFiles: 1),
                            format: nil, whatToDo: nil)
    }

    /// The whole page for `targets`, written as `scan` writes it (begin, each target, finish).
    static func page(_ targets: [TargetReport], context: ReportContext = context()) throws -> (html: String, summary: RunSummary) {
        let writer = ReportFormat.html.writer(context)
        var bytes = try writer.begin()
        var summary = RunSummary()
        for target in targets {
            bytes.append(try writer.add(target))
            summary.add(target.verdict, cause: target.verdict == .error ? target.reasons.first?.rule : nil)
        }
        bytes.append(try writer.finish(RunEnd(summary: summary)))
        return (String(decoding: bytes, as: UTF8.self), summary)
    }

    /// The names of all attributes of all tags in `html` (outside the style sheet and the
    /// script); fails when a `<` starts no well-formed tag, as a value that ended early would.
    static func attributeNames(in html: String) throws -> Set<String> {
        let markup = html.replacingOccurrences(of: "(?s)<script>.*?</script>|<style>.*?</style>", with: "", options: .regularExpression)
        let tags = try matches(#"<(/?[a-zA-Z][a-zA-Z0-9-]*|!DOCTYPE)((?:\s+[^\s=/>"']+(?:="[^"]*")?)*)\s*/?>"#, in: markup)
        #expect(tags.count == markup.filter { $0 == "<" }.count, "a < that starts no well-formed tag")
        var names = Set<String>()
        for tag in tags {
            for attribute in try matches(#"\s([^\s=/>"']+)(?:="[^"]*")?"#, in: tag[2]) { names.insert(attribute[1]) }
        }
        return names
    }

    /// Every match of `pattern`'s first capture group (or whole match) in `text`.
    static func matches(_ pattern: String, in text: String) throws -> [[String]] {
        let regex = try NSRegularExpression(pattern: pattern, options: [.dotMatchesLineSeparators])
        let range = NSRange(text.startIndex..., in: text)
        return regex.matches(in: text, range: range).map { match in
            (0..<match.numberOfRanges).map { index in
                Range(match.range(at: index), in: text).map { String(text[$0]) } ?? ""
            }
        }
    }
}

@Suite struct HTMLReportTests {
    @Test func tagsInEvidenceAreText() throws {
        let name = "<img src=x onerror=alert(1)>.dll"
        let hostile = HTMLFixtures.target("pc<script>alert(1)</script>", files: [
            HTMLFixtures.file(name, path: "pc/WINDOWS/SYSTEM/\(name)", status: .unreadable),
        ], skipped: [SkippedEntry(path: "pc/WINDOWS/SYSTEM/\(name)", kind: .symbolicLink, detail: "-> </script><script>alert(2)</script>")])
        let html = try HTMLFixtures.page([hostile]).html
        #expect(!html.contains("<img"), "no img element, from evidence or otherwise")
        #expect(html.contains("&lt;img src=x onerror=alert(1)&gt;.dll"))
        #expect(html.contains("pc&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("-&gt; &lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;"))
        #expect(try HTMLFixtures.attributeNames(in: html).allSatisfy { !$0.hasPrefix("on") })
        // The page's own script is the only one.
        #expect(try HTMLFixtures.matches("<script", in: html).count == 1)
        #expect(try HTMLFixtures.matches("</script>", in: html).count == 1)
    }

    @Test func quotesInAttributesAreEscaped() throws {
        let name = #"pc" onmouseover="alert(1)" x='y'&z>"#
        let html = try HTMLFixtures.page([HTMLFixtures.target(name)]).html
        // The row's link carries the target as its title.
        #expect(html.contains(#"title="pc&quot; onmouseover=&quot;alert(1)&quot; x=&#39;y&#39;&amp;z&gt;""#))
        // Every tag is well formed (no value ended early) and none has an event handler or a style.
        let attributes = try HTMLFixtures.attributeNames(in: html)
        #expect(!attributes.contains { $0.hasPrefix("on") || $0 == "style" || $0.contains("\"") || $0.contains("'") }, "\(attributes.sorted())")
    }

    @Test func entitiesInEvidenceStayLiteral() throws {
        // Plot leaves `&lt;` alone; HTMLText escapes the `&` so the name shows as it is.
        let html = try HTMLFixtures.page([HTMLFixtures.target("a&lt;b&#60;c&amp;d")]).html
        #expect(html.contains(">a&amp;lt;b&amp;#60;c&amp;amp;d<"))
        #expect(!html.contains("a&lt;b"))
    }

    @Test func controlCharactersAreVisibleEscapes() throws {
        let name = "pc\u{1b}[31mred\tTAB\u{0}NUL\u{7f}\u{85}"
        let html = try HTMLFixtures.page([HTMLFixtures.target(name)]).html
        let controls = html.unicodeScalars.filter { $0.value < 0x20 && $0 != "\n" || (0x7f...0x9f).contains($0.value) }
        #expect(controls.isEmpty, "control characters in the page: \(controls.map(\.value))")
        #expect(html.contains(#"pc\u{1b}[31mred\u{9}TAB\u{0}NUL\u{7f}\u{85}"#))
    }

    @Test func contentSecurityPolicyNamesTheInlineStyleAndScript() throws {
        let html = try HTMLFixtures.page([HTMLFixtures.target("pc1")]).html
        let styles = try HTMLFixtures.matches("<style>(.*?)</style>", in: html)
        let scripts = try HTMLFixtures.matches("<script>(.*?)</script>", in: html)
        try #require(styles.count == 1 && scripts.count == 1)
        let policy = try #require(try HTMLFixtures.matches(#"<meta http-equiv="Content-Security-Policy" content="([^"]*)""#, in: html).first?[1])
        func hash(_ text: String) -> String { Data(SHA256.hash(data: Data(text.utf8))).base64EncodedString() }
        let directives = Dictionary(uniqueKeysWithValues: policy.split(separator: ";").map { directive in
            let words = directive.split(separator: " ").map(String.init)
            return (words[0], Array(words.dropFirst()))
        })
        #expect(directives["default-src"] == ["'none'"])
        #expect(directives["style-src"] == ["'sha256-\(hash(styles[0][1]))'"])
        #expect(directives["script-src"] == ["'sha256-\(hash(scripts[0][1]))'"])
        #expect(!policy.contains("unsafe"))
        // The CSP meta comes before the style sheet, so it governs it.
        let meta = try #require(html.range(of: "Content-Security-Policy"))
        let style = try #require(html.range(of: "<style>"))
        #expect(meta.lowerBound < style.lowerBound)
        #expect(!html.contains("http://") || html.contains(#"xmlns="http://www.w3.org/2000/svg""#))
        #expect(!html.contains("https://"))
    }

    @Test func chartCountsAreTheSummarys() throws {
        let verdicts: [Verdict] = [.patchNeeded, .patchNeeded, .review, .error, .upToDate, .patchNeeded, .notApplicable]
        let targets = verdicts.enumerated().map { HTMLFixtures.target("pc\($0.offset)", verdict: $0.element) }
        let (html, summary) = try HTMLFixtures.page(targets)
        let bars = try HTMLFixtures.matches(#"<g class="bar" data-verdict="([a-z-]+)" data-count="(\d+)">.*?<text class="count"[^>]*>(\d+)</text></g>"#, in: html)
        #expect(bars.count == Verdict.allCases.count)
        for bar in bars {
            #expect(Int(bar[2]) == summary.verdicts[bar[1]], "bar \(bar[1])")
            #expect(bar[3] == bar[2], "the bar's visible count")
        }
        #expect(summary.verdicts["patch-needed"] == 3)
        // One row per target, each linking to its section by position.
        let rows = try HTMLFixtures.matches(##"<tr id="row-(t\d+)" data-verdict="([a-z-]+)"><td class="target"><a href="#(t\d+)""##, in: html)
        #expect(rows.map { $0[1] } == (1...targets.count).map { "t\($0)" })
        #expect(rows.map { $0[2] } == verdicts.map(\.rawValue))
        #expect(rows.allSatisfy { $0[1] == $0[3] })
        #expect(try HTMLFixtures.matches(#"<details id="t\d+" class="target">"#, in: html).count == targets.count)
    }

    @Test func sameInputSameBytes() throws {
        let targets = [HTMLFixtures.target("pc1"), HTMLFixtures.target("pc2", verdict: .review)]
        let first = try HTMLFixtures.page(targets).html
        #expect(try HTMLFixtures.page(targets).html == first)
        #expect(first.contains(#"<time datetime="2026-12-05T18:00:00Z">2026-12-05T18:00:00Z</time>"#))
        var later = HTMLFixtures.context()
        later.startedAt = HTMLFixtures.startedAt.addingTimeInterval(61)
        let other = try HTMLFixtures.page(targets, context: later).html
        #expect(other.replacingOccurrences(of: "2026-12-05T18:01:01Z", with: "2026-12-05T18:00:00Z") == first)
    }

    @Test func emptyRunIsAPage() throws {
        let html = try HTMLFixtures.page([]).html
        #expect(html.hasPrefix("<!DOCTYPE html><html lang=\"en\">"))
        #expect(html.hasSuffix("</html>\n"))
        #expect(html.contains("0 of 0 targets shown"))
    }
}

/// The whole page for a fixed run, byte for byte.
///
/// Input: `Resources/golden/fleet.ndjson`, the lines `patchaudit scan --targets
/// Fixtures/reports/fleet.txt --manifest Manifests/outlook97-archive-patch.json --manifest
/// Manifests/outlook98-archive-patch.json --format ndjson` wrote, run from the repository root
/// (the shipped manifests, named by relative paths so no machine's folder is in the page);
/// output: `Resources/golden/fleet.html`. After a
/// deliberate change to the page, regenerate the golden file and review its diff:
///
///     PATCHAUDIT_UPDATE_GOLDEN=1 swift test --filter HTMLGoldenTests
@Suite struct HTMLGoldenTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Resources/golden")

    @Test func fleetPage() throws {
        struct Manifests: Decodable { var manifests: [ManifestUse] }
        let lines = try String(contentsOf: Self.folder.appendingPathComponent("fleet.ndjson"), encoding: .utf8)
            .split(separator: "\n").map { Data($0.utf8) }
        try #require(lines.count == 11)
        let targets = try lines.map { try JSONDecoder().decode(TargetReport.self, from: $0) }
        let manifests = try JSONDecoder().decode(Manifests.self, from: lines[0]).manifests
        let context = HTMLFixtures.context(manifests: manifests, command: "patchaudit scan --targets Fixtures/reports/fleet.txt --format html")
        let html = Data(try HTMLFixtures.page(targets, context: context).html.utf8)

        let golden = Self.folder.appendingPathComponent("fleet.html")
        if ProcessInfo.processInfo.environment["PATCHAUDIT_UPDATE_GOLDEN"] == "1" {
            try html.write(to: golden)
            return
        }
        let expected = try Data(contentsOf: golden)
        if html != expected {
            let actual = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-actual.html")
            try html.write(to: actual)
            let mine = String(decoding: html, as: UTF8.self).split(separator: ">", omittingEmptySubsequences: false)
            let theirs = String(decoding: expected, as: UTF8.self).split(separator: ">", omittingEmptySubsequences: false)
            let first = Array(zip(mine, theirs)).firstIndex { $0 != $1 } ?? min(mine.count, theirs.count)
            Issue.record("""
                The page differs from \(golden.path) at tag \(first):
                  expected: \(first < theirs.count ? String(theirs[first].prefix(200)) : "(end)")
                  actual:   \(first < mine.count ? String(mine[first].prefix(200)) : "(end)")
                The whole page is in \(actual.path); if the change is meant, run with PATCHAUDIT_UPDATE_GOLDEN=1.
                """)
        }
    }
}
