import Foundation
import Testing

/// The HTML report in a real browser: `patchaudit scan --format html` on the report fleet,
/// loaded by headless Chromium, which gives the DOM after the page's script ran, its console
/// messages (a CSP violation or a script error shows there) and a screenshot.
///
/// Needs Chromium at /usr/bin/chromium (Debian package `chromium`). Without it the test is
/// skipped, unless PATCHAUDIT_REQUIRE_TOOLS=1 (as `make test` sets), where it fails.
/// The screenshot goes to the output folder named in the test's messages; with
/// PATCHAUDIT_UPDATE_SCREENSHOT=1 it is also copied to docs/html-report.png (the README's).
@Suite struct HTMLBrowserTests {
    static let chromium = "/usr/bin/chromium"
    static let chromiumPresent = FileManager.default.isExecutableFile(atPath: chromium)
    static let toolsRequired = ProcessInfo.processInfo.environment["PATCHAUDIT_REQUIRE_TOOLS"] == "1"
    static let fleet = "Fixtures/reports/fleet.txt"

    /// What one Chromium run gave.
    struct Load {
        var dom: String
        /// Chromium's console messages (`...:INFO:CONSOLE:12] "message", source: ...`).
        var console: [String]
        var status: Int32
    }

    /// Starts headless Chromium on `page`: the DOM once loaded on standard output, the log
    /// (console messages among it) on standard error, and a screenshot when asked.
    static func startChromium(_ page: URL, fragment: String? = nil, profile: URL, screenshot: URL? = nil) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium)
        process.arguments = [
            "--headless", "--disable-gpu",
            // Chromium's own sandbox needs user namespaces, which a container running as root
            // lacks; the page is our own file and loads nothing.
            "--no-sandbox",
            "--user-data-dir=\(profile.path)", "--no-first-run", "--disable-extensions",
            // Console messages (CSP violations, uncaught errors, console.*) go to stderr as
            // `INFO:CONSOLE` lines; on Chromium 156 this flag alone shows them (no --v=1 needed).
            "--enable-logging=stderr",
            "--dump-dom",
        ] + (screenshot.map { ["--screenshot=\($0.path)", "--window-size=1280,1600", "--hide-scrollbars", "--force-device-scale-factor=1"] } ?? [])
          + [page.absoluteString + (fragment.map { "#" + $0 } ?? "")]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        return (process, out, err)
    }

    /// Waits for a run started by ``startChromium(_:fragment:profile:screenshot:)``, at most 60 seconds.
    static func finish(_ run: (Process, Pipe, Pipe)) -> Load {
        let (process, out, err) = run
        let errors = CLITests.Collected()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { errors.data = err.fileHandleForReading.readDataToEndOfFile() }
        let watchdog = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 60, execute: watchdog)
        let dom = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        group.wait()
        process.waitUntilExit()
        watchdog.cancel()
        let log = String(decoding: errors.data, as: UTF8.self)
        let console = log.split(separator: "\n").filter { $0.contains(":CONSOLE") }.map(String.init)
        return Load(dom: dom, console: console, status: process.terminationStatus)
    }

    static func matches(_ pattern: String, in text: String) throws -> [[String]] {
        let regex = try NSRegularExpression(pattern: pattern, options: [.dotMatchesLineSeparators])
        return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { match in
            (0..<match.numberOfRanges).map { Range(match.range(at: $0), in: text).map { String(text[$0]) } ?? "" }
        }
    }

    @Test(.enabled(if: chromiumPresent || toolsRequired, "needs Chromium at /usr/bin/chromium (Debian package chromium)"))
    func fleetPageInChromium() throws {
        try #require(Self.chromiumPresent, "PATCHAUDIT_REQUIRE_TOOLS=1 but no Chromium at \(Self.chromium): `make test` installs it (Debian package chromium)")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("patchaudit-html-browser")
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let page = folder.appendingPathComponent("fleet.html")
        let environment = ["SOURCE_DATE_EPOCH": "1796493600"]
        let root = CLITests.root.path

        let scan = try CLITests.run(["scan", "--targets", Self.fleet, "--format", "html", "--output", page.path],
                                    environment: environment, workingDirectory: root)
        let json = try CLITests.run(["scan", "--targets", Self.fleet, "--format", "json"], environment: environment, workingDirectory: root)
        #expect(scan.status == json.status, "\(scan.stderr)")
        let document = try json.json()
        let targets = try #require(document["targets"] as? [[String: Any]])
        let verdicts = try #require((document["summary"] as? [String: Any])?["verdicts"] as? [String: Int])
        #expect(targets.count == 11)

        // A control page with an inline script the CSP does not allow: shows that this
        // Chromium reports a violation where this test looks, so "no message" below means
        // something. It loads beside the report, in a process of its own.
        let control = folder.appendingPathComponent("control.html")
        try Data(#"<!DOCTYPE html><meta http-equiv="Content-Security-Policy" content="default-src 'none'"><script>document.title = "ran"</script>"#.utf8)
            .write(to: control)
        let screenshot = folder.appendingPathComponent("html-report.png")
        let started = Date()
        let controlRun = try Self.startChromium(control, profile: folder.appendingPathComponent("profile-control"))
        let reportRun = try Self.startChromium(page, profile: folder.appendingPathComponent("profile"), screenshot: screenshot)
        // The same page with a view in its address: the script filters and sorts as a click would.
        let linkedRun = try Self.startChromium(page, fragment: "verdict=review&sort=target", profile: folder.appendingPathComponent("profile-linked"))
        let report = Self.finish(reportRun)
        let controlLoad = Self.finish(controlRun)
        let linked = Self.finish(linkedRun)
        let seconds = Date().timeIntervalSince(started)

        #expect(controlLoad.console.contains { $0.contains("Content Security Policy") }, "Chromium reported no CSP violation for the control page: console messages are not where this test looks")
        #expect(report.status == 0)
        #expect(report.console.isEmpty, "console messages: \(report.console.joined(separator: "\n"))")
        let dom = report.dom
        // The script ran under the CSP: it marks the body when its handlers are in place.
        #expect(try Self.matches(#"<body[^>]*\sdata-ready="1""#, in: dom).count == 1, "the page's script did not run")

        // One row per target, in the order and with the verdicts of the json document.
        let rows = try Self.matches(#"<tr id="row-t(\d+)" data-verdict="([a-z-]+)">"#, in: dom)
        #expect(rows.count == targets.count)
        #expect(rows.map { $0[2] } == targets.map { $0["verdict"] as? String ?? "" })
        #expect(dom.contains("\(targets.count) of \(targets.count) targets shown"))

        // The chart's bars and counts are the json summary's.
        let bars = try Self.matches(#"<g class="bar" data-verdict="([a-z-]+)" data-count="(\d+)">.*?<text class="count"[^>]*>(\d+)</text>"#, in: dom)
        #expect(bars.count == verdicts.count)
        for bar in bars {
            #expect(Int(bar[2]) == verdicts[bar[1]], "bar \(bar[1])")
            #expect(Int(bar[3]) == verdicts[bar[1]], "count shown for \(bar[1])")
        }

        // Evidence is text: the hostile link name and machine folder appear escaped in the
        // serialized DOM, and no element or attribute came from them.
        #expect(dom.contains("&lt;img src=x onerror=alert(1)&gt;.dll"))
        #expect(dom.contains("pc&lt;script&gt;alert(1)&lt;/script&gt;"))
        let markup = dom.replacingOccurrences(of: "(?s)<script>.*?</script>|<style>.*?</style>", with: "<script></script>", options: .regularExpression)
        let elements = Set(try Self.matches("<([a-zA-Z][a-zA-Z0-9-]*)", in: markup).map { $0[1].lowercased() })
        let pageElements: Set = [
            "html", "head", "meta", "title", "style", "body", "header", "footer", "section", "h1", "h2", "h3", "h4", "dl", "dt",
            "dd", "time", "code", "ul", "li", "strong", "p", "svg", "desc", "g", "text", "rect", "div", "label", "input",
            "select", "option", "span", "table", "thead", "tbody", "tr", "th", "td", "button", "a", "details", "summary", "br",
            "script",
        ]
        #expect(elements.subtracting(pageElements).isEmpty, "elements the page does not make: \(elements.subtracting(pageElements))")
        #expect(!elements.contains("img"))
        #expect(try Self.matches("<script", in: dom).count == 1)
        #expect(try Self.matches(#"<[^>]*\son[a-z]+\s*="#, in: markup).isEmpty, "an inline event handler")

        // The linked view: only the review targets shown, sorted by target, the others hidden.
        #expect(linked.console.isEmpty, "console messages: \(linked.console.joined(separator: "\n"))")
        let linkedRows = try Self.matches(#"<tr id="row-t(\d+)" data-verdict="[a-z-]+"( hidden="")?>"#, in: linked.dom)
        let visible = linkedRows.filter { $0[2].isEmpty }.compactMap { Int($0[1]) }
        let review = targets.indices.filter { targets[$0]["verdict"] as? String == "review" }
            .sorted { (targets[$0]["target"] as? String ?? "").lowercased() < (targets[$1]["target"] as? String ?? "").lowercased() }
            .map { $0 + 1 }
        #expect(review.count >= 2 && review != review.sorted(), "the fleet should have review targets whose sorted order is not the list's")
        #expect(visible == review)
        #expect(linkedRows.count == targets.count)
        #expect(linked.dom.contains("\(review.count) of \(targets.count) targets shown"))
        #expect(linked.dom.contains(#"data-key="target" aria-sort="ascending""#))

        // The screenshot: a PNG of the page's first screen.
        let png = try Data(contentsOf: screenshot)
        #expect(png.starts(with: [0x89, 0x50, 0x4e, 0x47]))
        #expect(png.count > 20_000, "a screenshot of \(png.count) bytes is likely blank")
        if ProcessInfo.processInfo.environment["PATCHAUDIT_UPDATE_SCREENSHOT"] == "1" {
            let docs = CLITests.root.appendingPathComponent("docs/html-report.png")
            try FileManager.default.createDirectory(at: docs.deletingLastPathComponent(), withIntermediateDirectories: true)
            try? FileManager.default.removeItem(at: docs)
            try FileManager.default.copyItem(at: screenshot, to: docs)
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: page.path)[.size] as? Int) ?? 0
        print("HTML report: \(page.path) (\(size) bytes), screenshot \(screenshot.path); Chromium took \(String(format: "%.1f", seconds)) s")
    }
}
