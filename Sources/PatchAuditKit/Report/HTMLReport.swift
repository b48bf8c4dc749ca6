import Crypto
import Foundation
import Plot

/// `--format html`: one self-contained page (no network, no other file) for people who
/// read a run in a browser: when and how it ran, the manifests, a chart of the verdicts, a
/// table of targets that sorts and filters, and per target what was found and what to do.
///
/// The summary and the chart come before the table and need the totals, so each target is
/// rendered when it arrives and only its rendered row and section (bytes) wait, in two
/// ``ReportSpool``s (memory up to 1 MiB each, then an unnamed temporary file), until
/// ``finish(_:emit:)``, never the reports: memory stays flat over any number of targets. The
/// page is built with Plot, and evidence reaches it
/// only through ``HTMLText``. A Content-Security-Policy in the page allows its one style sheet
/// and its one script by their SHA-256 and nothing else: no other script, no inline event
/// handler, no style attribute, no image, no request. Same input, same bytes: the only time
/// on the page is ``ReportContext/startedAt``.
final class HTMLWriter: ReportWriter {
    let context: ReportContext
    private let rows = ReportSpool()
    private let sections = ReportSpool()
    private var count = 0

    init(_ context: ReportContext) { self.context = context }

    func begin() throws -> Data { Data() }

    func add(_ target: TargetReport) throws -> Data {
        count += 1
        // Ids come from the position, never from evidence: `t1`, `t2`, ...
        let id = "t\(count)"
        // One line per row and per section (whitespace between blocks shows nothing), so a
        // golden file's diff names the target that changed.
        try rows.append(Data(("\n" + HTMLPage.row(target, id: id).render()).utf8))
        try sections.append(Data(("\n" + HTMLPage.section(target, id: id).render()).utf8))
        return Data()
    }

    func finish(_ end: RunEnd) throws -> Data {
        var out = Data()
        try finish(end) { out.append($0) }
        return out
    }

    /// The page around two markers (comments no evidence can spell: its `<` is escaped), with
    /// the spooled rows and sections put in their places.
    func finish(_ end: RunEnd, emit: (Data) throws -> Void) throws {
        let page = HTMLPage.document(context: context, summary: end.summary, rows: HTMLPage.rowsMarker,
                                     sections: HTMLPage.sectionsMarker, targets: count)
        guard let first = page.range(of: HTMLPage.rowsMarker), let second = page.range(of: HTMLPage.sectionsMarker),
              first.upperBound <= second.lowerBound else {
            throw ReportSpool.SpoolError(message: "the HTML page lost its place for the targets (a bug in patchaudit; please report it)")
        }
        try emit(Data(page[..<first.lowerBound].utf8))
        try rows.drain(emit)
        try emit(Data(page[first.upperBound..<second.lowerBound].utf8))
        try sections.drain(emit)
        try emit(Data(page[second.upperBound...].utf8))
        count = 0
    }
}

/// The pieces of the HTML report, as Plot nodes.
enum HTMLPage {
    /// The page's whole style sheet; the CSP names its hash.
    static let style = """
        :root{color-scheme:light;--fg:#1d2327;--muted:#5b6770;--line:#d5dbe0;--bg:#fff;--head:#f3f5f7}
        *{box-sizing:border-box}
        body{margin:0;padding:24px 32px;font:14px/1.45 "DejaVu Sans",system-ui,sans-serif;color:var(--fg);background:var(--bg)}
        h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px}h3{font-size:15px;margin:16px 0 6px}h4{font-size:14px;margin:12px 0 4px}
        code,.mono{font-family:"DejaVu Sans Mono",ui-monospace,monospace;font-size:12.5px}
        .muted{color:var(--muted)}
        .meta{margin:2px 0}
        .meta dt{display:inline;font-weight:bold}.meta dd{display:inline;margin:0 16px 0 4px}
        .cmd{display:block;padding:6px 8px;background:var(--head);border:1px solid var(--line);border-radius:4px;white-space:pre-wrap;word-break:break-all}
        table{border-collapse:collapse;width:100%}
        th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
        thead th{background:var(--head);position:sticky;top:0;white-space:nowrap}
        th button{font:inherit;font-weight:bold;border:0;background:none;padding:0;cursor:pointer;color:inherit}
        th button::after{content:" \\2195";color:var(--muted)}
        th[aria-sort=ascending] button::after{content:" \\2191"}th[aria-sort=descending] button::after{content:" \\2193"}
        td.num,th.num{text-align:right}
        td.todo{max-width:460px}
        td.target{word-break:break-all;max-width:360px}
        .badge{display:inline-block;padding:1px 7px;border-radius:10px;border:1px solid;font-size:12px;font-weight:bold;white-space:nowrap}
        .v-up-to-date{background:#e3f4e6;color:#155724;border-color:#8fcf9c}
        .v-not-applicable{background:#eef0f2;color:#3d464d;border-color:#b8c0c6}
        .v-patch-needed{background:#fff1d6;color:#7a4a00;border-color:#e8b454}
        .v-blocked{background:#efe3fb;color:#4f1f7a;border-color:#b58be0}
        .v-review{background:#fbe3f1;color:#7a1f55;border-color:#e08bbd}
        .v-error{background:#fde2e1;color:#8a1c17;border-color:#e88b86}
        .s-patched,.s-ok{color:#155724}.s-outdated{color:#7a4a00;font-weight:bold}
        .s-damaged,.s-missing,.s-unreadable{color:#8a1c17;font-weight:bold}.s-unknown{color:#7a1f55;font-weight:bold}
        .chart{max-width:680px}
        .chart text{font:13px "DejaVu Sans",system-ui,sans-serif;fill:#1d2327}
        .chart .track{fill:#f3f5f7}
        .chart .b-up-to-date{fill:#4caf63}.chart .b-not-applicable{fill:#8d979e}.chart .b-patch-needed{fill:#e0a030}
        .chart .b-blocked{fill:#9461c9}.chart .b-review{fill:#c9509a}.chart .b-error{fill:#d2453d}
        .filters{display:flex;gap:12px;align-items:center;margin:8px 0}
        .filters input,.filters select{font:inherit;padding:3px 6px}
        details.target{border:1px solid var(--line);border-radius:6px;margin:10px 0;padding:0 12px}
        details.target>summary{cursor:pointer;padding:8px 0;font-weight:bold;word-break:break-all}
        details.target[open]>summary{border-bottom:1px solid var(--line);margin-bottom:8px}
        .files td{font-size:12.5px}
        .files td.path,.files td.hash{font-family:"DejaVu Sans Mono",ui-monospace,monospace;word-break:break-all}
        .files td.hash{max-width:190px}
        .installation{border-left:3px solid var(--line);padding-left:12px;margin:12px 0}
        .what{background:var(--head);border-left:3px solid #5b6770;padding:6px 10px;margin:8px 0}
        ul.reasons{margin:4px 0;padding-left:20px}
        .rule{font-family:"DejaVu Sans Mono",ui-monospace,monospace;font-size:12px;color:var(--muted)}
        """

    /// The page's whole script: sorts and filters the table of targets, opens the section a
    /// row links to, takes the filters and the order from the address (`#verdict=review&q=pc4&sort=-outdated`,
    /// so a view can be linked to), then marks `<body data-ready="1">` (which shows it ran).
    /// Handlers are attached with addEventListener, so the CSP can forbid inline handlers.
    static let script = """
        "use strict";
        (function () {
          var table = document.getElementById("targets");
          var text = document.getElementById("filter-text");
          var verdict = document.getElementById("filter-verdict");
          var shown = document.getElementById("shown");
          var body = table.tBodies[0];
          var rows = Array.prototype.slice.call(body.rows);
          var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
          function filter() {
            var needle = text.value.trim().toLowerCase();
            var wanted = verdict.value;
            var count = 0;
            rows.forEach(function (row) {
              var visible = (wanted === "" || row.getAttribute("data-verdict") === wanted) &&
                (needle === "" || row.textContent.toLowerCase().indexOf(needle) !== -1);
              row.hidden = !visible;
              if (visible) { count += 1; }
            });
            shown.textContent = count + " of " + rows.length + " targets shown";
          }
          function key(row, column, numeric) {
            var cell = row.cells[column];
            var value = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent;
            return numeric ? Number(value) : value.toLowerCase();
          }
          function sortBy(name, ascending) {
            var column = headers.findIndex(function (header) { return header.getAttribute("data-key") === name; });
            if (column < 0) { return; }
            var header = headers[column];
            var numeric = header.getAttribute("data-type") === "number";
            headers.forEach(function (other) { other.removeAttribute("aria-sort"); });
            header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
            rows.sort(function (a, b) {
              var x = key(a, column, numeric);
              var y = key(b, column, numeric);
              var order = x < y ? -1 : (x > y ? 1 : 0);
              return ascending ? order : -order;
            });
            rows.forEach(function (row) { body.appendChild(row); });
          }
          headers.forEach(function (header) {
            var button = header.querySelector("button");
            button.addEventListener("click", function () {
              sortBy(header.getAttribute("data-key"), header.getAttribute("aria-sort") !== "ascending");
            });
          });
          function decoded(value) {
            try { return decodeURIComponent(value.replace(/\\+/g, " ")); } catch (error) { return value; }
          }
          function followAddress() {
            var hash = location.hash.slice(1);
            var section = hash === "" ? null : document.getElementById(hash);
            if (section && section.tagName === "DETAILS") { section.open = true; return; }
            hash.split("&").forEach(function (pair) {
              var at = pair.indexOf("=");
              if (at < 0) { return; }
              var name = pair.slice(0, at);
              var value = decoded(pair.slice(at + 1));
              if (name === "q") { text.value = value; }
              if (name === "verdict") { verdict.value = value; }
              if (name === "sort") { sortBy(value.replace(/^-/, ""), value.charAt(0) !== "-"); }
            });
            filter();
          }
          text.addEventListener("input", filter);
          verdict.addEventListener("change", filter);
          window.addEventListener("hashchange", followAddress);
          followAddress();
          filter();
          document.body.setAttribute("data-ready", "1");
        })();
        """

    /// `'sha256-…'` of `text`, as a CSP source names an inline style or script.
    static func cspHash(_ text: String) -> String {
        "'sha256-" + Data(SHA256.hash(data: Data(text.utf8))).base64EncodedString() + "'"
    }

    /// The Content-Security-Policy: nothing but the page's own style sheet and script.
    static var contentSecurityPolicy: String {
        "default-src 'none'; style-src \(cspHash(style)); script-src \(cspHash(script)); base-uri 'none'; form-action 'none'"
    }

    /// Verdicts from the most severe down: the chart's order, the select's.
    static let verdictOrder = Verdict.allCases.sorted { $0.severity > $1.severity }

    // MARK: - The page

    /// Where ``HTMLWriter`` puts the rows and the sections it kept.
    static let rowsMarker = "<!--patchaudit:rows-->", sectionsMarker = "<!--patchaudit:sections-->"

    /// The page; `rows` and `sections` are rendered markup (``row(_:id:)``s and
    /// ``section(_:id:)``s, or the markers), `targets` how many rows there are.
    static func document(context: ReportContext, summary: RunSummary, rows: String, sections: String, targets: Int) -> String {
        let page = HTML(
            .lang(.english),
            .head(
                .meta(.charset(.utf8)),
                .meta(.attribute(named: "http-equiv", value: "Content-Security-Policy"), .content(contentSecurityPolicy)),
                .meta(.name("viewport"), .content("width=device-width, initial-scale=1")),
                .element(named: "title", nodes: [.text("patchaudit report: \(summary.targets) target\(summary.targets == 1 ? "" : "s")")]),
                .style(style)
            ),
            .body(
                header(context: context, summary: summary),
                chart(summary),
                targetTable(summary: summary, rows: rows, targets: targets),
                .h2(.text("Targets")),
                .raw(sections),
                .raw("\n"),
                .element(named: "footer", nodes: [
                    .class("muted"),
                    .evidence("Written by \(ToolInfo().name) \(ToolInfo().version). This page is self-contained: it loads nothing."),
                ]),
                .script(.raw(script))
            )
        )
        return page.render() + "\n"
    }

    static func header(context: ReportContext, summary: RunSummary) -> Node<HTML.BodyContext> {
        let worst = summary.worst
        let status = summary.exitStatus(failOn: context.failOn)
        let failing = summary.verdictsPresent.filter { context.failOn.fails($0) }
            .reduce(0) { $0 + (summary.verdicts[$1.rawValue] ?? 0) }
        return .element(named: "header", nodes: [
            .h1(.text("patchaudit report")),
            .element(named: "dl", nodes: [
                .class("meta"),
                .element(named: "dt", nodes: [.text("Started")]),
                .element(named: "dd", nodes: [.element(named: "time", nodes: [
                    .attribute(named: "datetime", value: iso8601(context.startedAt)), .text(iso8601(context.startedAt)),
                ])]),
                .element(named: "dt", nodes: [.text("Targets")]),
                .element(named: "dd", nodes: [.text("\(summary.targets)")]),
                .element(named: "dt", nodes: [.text("Worst verdict")]),
                .element(named: "dd", nodes: [badge(worst)]),
                .element(named: "dt", nodes: [.text("Exit status")]),
                .element(named: "dd", nodes: [.text("\(status) (--fail-on \(context.failOn.rawValue): \(failing) target\(failing == 1 ? "" : "s") counted as failing)")]),
            ]),
            .h2(.text("Command")),
            .element(named: "code", nodes: [.class("cmd"), .evidence(context.command)]),
            .h2(.text("Manifests")),
            manifests(context.manifests),
        ])
    }

    static func manifests(_ manifests: [ManifestUse]) -> Node<HTML.BodyContext> {
        guard !manifests.isEmpty else { return .p(.class("muted"), .text("No manifest.")) }
        return .ul(.group(manifests.map { manifest -> Node<HTML.ListContext> in
            let signature = manifest.signature == "verified" ? "signed by \(manifest.signer)" : manifest.signature
            return .li(
                .strong(.evidence(manifest.id)), .text(": "), .evidence(manifest.title), .text(" ("),
                .evidence(signature), .text("), "),
                .element(named: "code", nodes: [.evidence(manifest.path)]),
                .text(", sha256 "),
                .element(named: "code", nodes: [.evidence(manifest.sha256)])
            )
        }))
    }

    /// Targets per verdict as horizontal bars, each with its verdict and count as text.
    static func chart(_ summary: RunSummary) -> Node<HTML.BodyContext> {
        let counts = verdictOrder.map { ($0, summary.verdicts[$0.rawValue] ?? 0) }
        let largest = max(1, counts.map(\.1).max() ?? 1)
        let labelWidth = 130, barSpace = 440, rowHeight = 30, width = 640
        let height = counts.count * rowHeight + 8
        let description = counts.map { "\($0.1) \($0.0.rawValue)" }.joined(separator: ", ")
        var bars: [Node<HTML.BodyContext>] = []
        for (row, (verdict, count)) in counts.enumerated() {
            let y = 4 + row * rowHeight
            let length = count == 0 ? 0 : max(3, count * barSpace / largest)
            bars.append(.element(named: "g", nodes: [
                .class("bar"),
                .data(named: "verdict", value: verdict.rawValue),
                .data(named: "count", value: "\(count)"),
                .element(named: "title", nodes: [.text("\(verdict.rawValue): \(count) target\(count == 1 ? "" : "s")")]),
                .element(named: "text", nodes: [
                    .attribute(named: "x", value: "0"), .attribute(named: "y", value: "\(y + 18)"), .text(verdict.rawValue),
                ]),
                .element(named: "rect", nodes: [
                    .class("track"), .attribute(named: "x", value: "\(labelWidth)"), .attribute(named: "y", value: "\(y + 3)"),
                    .attribute(named: "width", value: "\(barSpace)"), .attribute(named: "height", value: "\(rowHeight - 8)"),
                ]),
                .element(named: "rect", nodes: [
                    .class("b-\(verdict.rawValue)"), .attribute(named: "x", value: "\(labelWidth)"),
                    .attribute(named: "y", value: "\(y + 3)"), .attribute(named: "width", value: "\(length)"),
                    .attribute(named: "height", value: "\(rowHeight - 8)"),
                ]),
                .element(named: "text", nodes: [
                    .class("count"), .attribute(named: "x", value: "\(labelWidth + length + 8)"),
                    .attribute(named: "y", value: "\(y + 18)"), .text("\(count)"),
                ]),
            ]))
        }
        return .element(named: "section", nodes: [
            .h2(.text("Summary")),
            .p(.evidence(summary.text(elapsed: nil))),
            .element(named: "svg", nodes: [
                .class("chart"),
                .attribute(named: "xmlns", value: "http://www.w3.org/2000/svg"),
                .attribute(named: "viewBox", value: "0 0 \(width) \(height)"),
                .attribute(named: "width", value: "\(width)"),
                .attribute(named: "height", value: "\(height)"),
                .attribute(named: "role", value: "img"),
                .attribute(named: "aria-labelledby", value: "chart-title chart-desc"),
                .element(named: "title", nodes: [.id("chart-title"), .text("Targets per verdict")]),
                .element(named: "desc", nodes: [.id("chart-desc"), .text(description)]),
                .group(bars),
            ]),
        ])
    }

    /// The table of targets with its sort buttons and filters; `rows` are rendered ``row(_:id:)``s.
    static func targetTable(summary: RunSummary, rows: String, targets: Int) -> Node<HTML.BodyContext> {
        // Name, key (for `#sort=`), numeric.
        let columns: [(String, String, Bool)] = [
            ("Target", "target", false), ("Verdict", "verdict", true), ("Kind", "kind", false),
            ("Installations", "installations", true), ("Outdated", "outdated", true), ("Damaged", "damaged", true),
            ("Missing", "missing", true), ("What to do", "todo", false),
        ]
        let options: [Node<HTML.SelectContext>] = [.element(named: "option", nodes: [.attribute(named: "value", value: "", ignoreIfValueIsEmpty: false), .text("All verdicts")])]
            + verdictOrder.map { verdict -> Node<HTML.SelectContext> in
                .element(named: "option", nodes: [
                    .attribute(named: "value", value: verdict.rawValue), .text("\(verdict.rawValue) (\(summary.verdicts[verdict.rawValue] ?? 0))"),
                ])
            }
        let header: Node<HTML.TableContext> = .thead(.tr(.group(columns.map { (name: String, key: String, numeric: Bool) -> Node<HTML.TableRowContext> in
            .th(
                .data(named: "key", value: key),
                .if(numeric, .class("num")),
                .if(numeric, .data(named: "type", value: "number")),
                .element(named: "button", nodes: [.attribute(named: "type", value: "button"), .text(name)])
            )
        })))
        return .element(named: "section", nodes: [
            .h2(.text("Targets at a glance")),
            .div(
                .class("filters"),
                .element(named: "label", nodes: [.attribute(named: "for", value: "filter-text"), .text("Filter")]),
                .input(.type(.search), .id("filter-text"), .placeholder("name, path, reason...")),
                .element(named: "label", nodes: [.attribute(named: "for", value: "filter-verdict"), .text("Verdict")]),
                .select(.id("filter-verdict"), .group(options)),
                .element(named: "span", nodes: [
                    .id("shown"), .class("muted"), .attribute(named: "aria-live", value: "polite"),
                    .text("\(targets) of \(targets) targets shown"),
                ])
            ),
            .table(
                .id("targets"),
                header,
                .tbody(.raw(rows), .raw("\n"))
            ),
        ])
    }

    // MARK: - One target

    /// The target's row in the table; it links to its section.
    static func row(_ target: TargetReport, id: String) -> Node<HTML.TableContext> {
        // Counted as every format counts them (``TargetReport/fileCounts``).
        let counts = target.fileCounts
        func count(_ status: FileStatus) -> String { "\(counts[status] ?? 0)" }
        return .tr(
            .id("row-\(id)"),
            .data(named: "verdict", value: target.verdict.rawValue),
            .td(.class("target"), .a(.href("#\(id)"), .attribute("title", evidence: target.target), .evidence(target.target))),
            .td(.data(named: "sort", value: "\(target.verdict.severity)"), badge(target.verdict)),
            .td(.evidence(target.kind.rawValue)),
            .td(.class("num"), .text("\(target.installations.count)")),
            .td(.class("num"), .text(count(.outdated))),
            .td(.class("num"), .text(count(.damaged))),
            .td(.class("num"), .text(count(.missing))),
            .td(.class("todo"), .evidence(target.advice))
        )
    }

    /// Everything about one target, folded: reasons, installations and their files, stray
    /// copies, what was not read, and what to do.
    static func section(_ target: TargetReport, id: String) -> Node<HTML.BodyContext> {
        // `<details>` by name: Plot's `.details` takes its own context, which the shared
        // helpers below (reasons, file tables) are not written for.
        .element(named: "details", nodes: [
            .id(id),
            .class("target"),
            .element(named: "summary", nodes: [badge(target.verdict), .text(" "), .evidence(target.target)]),
            .p(.class("what"), .strong(.text("What to do: ")), .evidence(target.advice)),
            facts(target),
            .if(!target.reasons.isEmpty, .group(.h3(.text("Reasons")), reasons(target.reasons))),
            .if(!target.limitsHit.isEmpty, .group(
                .h3(.text("Limits hit")),
                .ul(.group(target.limitsHit.map { .li(.evidence($0.description)) }))
            )),
            volumes(target.volumes ?? []),
            .group(target.installations.map(installation)),
            .if(!target.strayFiles.isEmpty, .group(
                .h3(.text("Stray copies (not part of any installation; never part of a verdict)")),
                fileTable(target.strayFiles)
            )),
            skipped(target),
        ])
    }

    static func facts(_ target: TargetReport) -> Node<HTML.BodyContext> {
        var text = "\(target.kind.rawValue)"
        if let format = target.format { text += ", \(format)" }
        text += "; \(target.stats.entries) entries, \(target.stats.directories) folders, \(target.stats.matchedFiles) matched files"
        return .p(.class("muted"), .evidence(text))
    }

    static func reasons(_ reasons: [Reason]) -> Node<HTML.BodyContext> {
        .ul(.class("reasons"), .group(reasons.map { reason in
            .li(
                badge(reason.verdict), .text(" "), .evidence(reason.message), .text(" "),
                .element(named: "span", nodes: [.class("rule"), .evidence("(\(reason.rule))")])
            )
        }))
    }

    static func volumes(_ volumes: [VolumeFact]) -> Node<HTML.BodyContext> {
        guard !volumes.isEmpty else { return .empty }
        let header: Node<HTML.TableContext> = .thead(.tr(
            .th(.text("Volume")), .th(.text("File system")), .th(.text("State")), .th(.class("num"), .text("Start")),
            .th(.class("num"), .text("Length")), .th(.text("Detail"))
        ))
        return .group(
            .h3(.text("Volumes")),
            .table(header, .tbody(.group(volumes.map { volume in
                .tr(
                    .td(.evidence(volume.name.isEmpty ? volume.description : volume.name)),
                    .td(.evidence(volume.fileSystem ?? "-")),
                    .td(.evidence(volume.state.rawValue)),
                    .td(.class("num"), .text(grouped(volume.start))),
                    .td(.class("num"), .text(grouped(volume.length))),
                    .td(.evidence(volume.detail ?? ""))
                )
            })))
        )
    }

    static func installation(_ installation: InstallationReport) -> Node<HTML.BodyContext> {
        let outlook = installation.outlookFolders.isEmpty ? "none" : installation.outlookFolders.joined(separator: "; ")
        return .div(
            .class("installation"),
            .h3(.text("Installation "), .element(named: "code", nodes: [.evidence(installation.id)]), .text(" "), badge(installation.verdict)),
            .p(.class("muted"), .evidence(
                "Windows folder: \(installation.windowsFolder ?? "none"); system folder: \(installation.systemFolder ?? "none"); Outlook folders: \(outlook)"
            )),
            .group(installation.evaluations.map(evaluation))
        )
    }

    static func evaluation(_ evaluation: Evaluation) -> Node<HTML.BodyContext> {
        var product = "No product found."
        if let found = evaluation.product {
            product = "Product: \(found.name ?? "unknown product") (\(found.version)"
            if let language = found.language { product += ", language \(language)" }
            product += ") from \(found.source)"
        }
        return .group(
            .h4(.evidence(evaluation.manifest), .text(": "), badge(evaluation.verdict)),
            .p(.evidence(product)),
            .if(!evaluation.files.isEmpty, fileTable(evaluation.files)),
            .if(!evaluation.reasons.isEmpty, reasons(evaluation.reasons)),
            .unwrap(evaluation.whatToDo) { .p(.class("what"), .strong(.text("What to do: ")), .evidence($0)) }
        )
    }

    /// Files as a table: name, path, status, version, expected, size, sha256, then why.
    static func fileTable(_ files: [FileFinding]) -> Node<HTML.BodyContext> {
        let header: Node<HTML.TableContext> = .thead(.tr(
            .th(.text("Name")), .th(.text("Path")), .th(.text("Status")), .th(.text("Version")),
            .th(.text("Expected")), .th(.class("num"), .text("Size")), .th(.text("SHA-256")), .th(.text("Why"))
        ))
        return .table(.class("files"), header, .tbody(.group(files.map { file -> Node<HTML.TableContext> in
            var why = file.reason.map { [$0] } ?? []
            if let versionString = file.versionString, versionString != file.version { why.append("FileVersion string: \(versionString)") }
            if let baseline = file.baseline { why.append("baseline: \(baseline.result.rawValue)" + (baseline.label.map { " (\($0.rawValue))" } ?? "")) }
            if file.deleted { why.append("a deleted entry") }
            why += file.notes.map { "note: \($0)" }
            return .tr(
                .td(.element(named: "code", nodes: [.evidence(file.name)])),
                .td(.class("path"), .evidence(file.path ?? "-")),
                .td(.class("s-\(file.status.rawValue)"), .text(file.status.rawValue)),
                .td(.evidence(file.version ?? "-")),
                .td(.evidence(file.expected ?? "-")),
                .td(.class("num"), .text(file.size.map(grouped) ?? "-")),
                .td(.class("hash"), .evidence(file.sha256 ?? "-")),
                .td(.group(why.enumerated().map { (index: Int, line: String) -> Node<HTML.BodyContext> in
                    .group(.if(index > 0, .br()), .evidence(line))
                }))
            )
        })))
    }

    /// Links, special files and folders that were not read, as listed, and how many in all.
    static func skipped(_ target: TargetReport) -> Node<HTML.BodyContext> {
        guard target.skippedCount > 0 || !target.skipped.isEmpty else { return .empty }
        let more = target.skippedCount - target.skipped.count
        return .group(
            .h3(.text("Not read (\(target.skippedCount))")),
            .ul(.group(target.skipped.map { entry in
                .li(
                    .evidence(entry.kind.rawValue), .text(": "),
                    .element(named: "code", nodes: [.evidence(entry.path)]),
                    .unwrap(entry.detail) { .evidence(" (\($0))") }
                )
            })),
            .if(more > 0, .p(.class("muted"), .text("... and \(more) more, not listed.")))
        )
    }

    // MARK: - Small parts

    /// A verdict as a coloured badge that says it in words too.
    static func badge<Context>(_ verdict: Verdict) -> Node<Context> {
        .element(named: "span", nodes: [
            .attribute(named: "class", value: "badge v-\(verdict.rawValue)"), .text(verdict.rawValue),
        ])
    }

    /// `2026-12-05T18:00:00Z`.
    static func iso8601(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    /// 121104 as "121,104", whatever the locale.
    static func grouped(_ number: Int64) -> String {
        let digits = String(number.magnitude)
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return number < 0 ? "-" + out : out
    }
}
