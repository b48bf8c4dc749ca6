import CSV
import Foundation
import FoundationXML
import Testing

/// Every format renders the one report model: the report fixture fleet
/// (`Fixtures/reports/fleet.txt`, one target per verdict, and `hostile-names.tar`, whose names
/// are built to break reports) is scanned once per format, compared with a golden file, and
/// each format's counts are checked against json's.
///
/// Golden files (`Golden/fleet.FORMAT`, and `Golden/image.FORMAT` for a disk image and a folder) hold the whole output with two things that depend on
/// the machine replaced: the repository's folder by `<repo>` and the binary's path by
/// `patchaudit` (hashdeep's header, JUnit's command property), and Prometheus' duration and
/// end time by `<seconds>`. Regenerate them after a deliberate change with
/// `PATCHAUDIT_UPDATE_GOLDEN=1 swift test --filter ReportFormatTests`, and read the diff.
@Suite struct ReportFormatTests {
    static let root = CLITests.root
    static let golden = root.appendingPathComponent("Tests/PatchAuditCLITests/Golden")
    static let formats = ["table", "json", "ndjson", "hashdeep", "csv", "csv-files", "html", "junit", "prometheus"]
    /// A fixed clock for the reports that show a time (JUnit's timestamp, Prometheus' end).
    static let environment = ["SOURCE_DATE_EPOCH": "1764950400", "NO_COLOR": "1"]

    static func scan(_ format: String, extra: [String] = []) throws -> CLITests.Run {
        try CLITests.run(["scan", "--targets", "Fixtures/reports/fleet.txt", "--format", format, "-q", "--jobs", "2"] + extra,
                         environment: environment, workingDirectory: root.path)
    }

    /// The output with what depends on the machine or the clock replaced (see above).
    static func normalised(_ text: String, format: String) -> String {
        var text = text.replacingOccurrences(of: CLITests.binary.path, with: "patchaudit")
            .replacingOccurrences(of: root.path, with: "<repo>")
        if format == "prometheus" || format == "junit" {
            for prefix in ["patchaudit_scan_duration_seconds ", "patchaudit_last_run_timestamp_seconds ", "time=\""] {
                text = text.replacingOccurrences(of: "\(prefix)[0-9.]+", with: "\(prefix)<seconds>", options: .regularExpression)
            }
        }
        return text
    }

    static func compareWithGolden(_ text: String, name: String) throws {
        let file = golden.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["PATCHAUDIT_UPDATE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(at: golden, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: file)
            return
        }
        let expected = try String(contentsOf: file, encoding: .utf8)
        // Bytes, not Strings: Swift calls the NFC and NFD spellings of a name equal.
        if Data(text.utf8) != (try Data(contentsOf: file)) {
            let got = text.split(separator: "\n", omittingEmptySubsequences: false)
            let want = expected.split(separator: "\n", omittingEmptySubsequences: false)
            let first = (0..<min(got.count, want.count)).first { got[$0] != want[$0] } ?? min(got.count, want.count)
            Issue.record("""
                \(name) differs from its golden file at line \(first + 1):
                  got:      \(first < got.count ? String(got[first]) : "<end>")
                  expected: \(first < want.count ? String(want[first]) : "<end>")
                (if the change is deliberate: PATCHAUDIT_UPDATE_GOLDEN=1 swift test --filter ReportFormatTests)
                """)
        }
    }

    @Test(arguments: formats)
    func scanMatchesItsGoldenFile(format: String) throws {
        let run = try Self.scan(format)
        #expect(run.status == 3, "the fleet has error targets: \(run.stderr)")
        try Self.compareWithGolden(Self.normalised(run.text, format: format), name: "fleet.\(format)")
    }

    /// A second run: a disk image with an extended partition (volumes in every format) and
    /// the sample install, a folder.
    @Test(arguments: formats)
    func imageRunMatchesItsGoldenFile(format: String) throws {
        let run = try CLITests.run(["scan", "Fixtures/images/mbr-extended.img", "Fixtures/sample-install", "--format", format, "-q", "--jobs", "2"],
                                   environment: Self.environment, workingDirectory: Self.root.path)
        #expect(run.status == 1, "\(run.stderr)")
        try Self.compareWithGolden(Self.normalised(run.text, format: format), name: "image.\(format)")
    }

    /// `merge` writes through the same writers: its output of the fleet's ndjson equals the
    /// scan's in every format (the command line aside).
    @Test func mergeRendersEveryFormatAsScanDoes() throws {
        let folder = try TemporaryFolder()
        let plain = folder.url.appendingPathComponent("fleet.ndjson").path
        _ = try Self.scan("ndjson", extra: ["--output", plain])
        // hashdeep lists MD5, which a scan computes for that format or on request only.
        let withMD5 = folder.url.appendingPathComponent("fleet-md5.ndjson").path
        _ = try Self.scan("ndjson", extra: ["--output", withMD5, "--digests", "sha256,md5"])
        for format in Self.formats {
            let ndjson = format == "hashdeep" ? withMD5 : plain
            let merged = try CLITests.run(["merge", ndjson, "--targets", "Fixtures/reports/fleet.txt", "--format", format, "-q"],
                                          environment: Self.environment, workingDirectory: Self.root.path)
            #expect(merged.status == 3, "\(format): \(merged.stderr)")
            var text = Self.normalised(merged.text, format: format)
            // merge's own command line, in hashdeep's header and JUnit's properties.
            let mergeCommand = "patchaudit merge \(ndjson) --targets Fixtures/reports/fleet.txt --format \(format) -q"
            let scanCommand = "patchaudit scan --targets Fixtures/reports/fleet.txt --format \(format) -q --jobs 2"
            text = text.replacingOccurrences(of: mergeCommand, with: scanCommand)
            let golden = try String(contentsOf: Self.golden.appendingPathComponent("fleet.\(format)"), encoding: .utf8)
            #expect(Data(text.utf8) == Data(golden.utf8), "merge --format \(format) differs from scan's")
        }
    }

    // MARK: - Counts against json

    /// What json says, counted independently of the writers' code.
    struct Facts {
        var targets: [(target: String, verdict: String)] = []
        var summary: [String: Int] = [:]
        var installations = 0
        /// Per target: files by status, each path once per installation, patches that apply only.
        var fileCounts: [String: [String: Int]] = [:]
        var evaluatedFiles = 0
        var strayFiles = 0

        init(_ json: [String: Any]) throws {
            summary = try #require((json["summary"] as? [String: Any])?["verdicts"] as? [String: Int])
            for target in try #require(json["targets"] as? [[String: Any]]) {
                let name = try #require(target["target"] as? String)
                targets.append((name, try #require(target["verdict"] as? String)))
                var counts: [String: Int] = [:]
                for installation in target["installations"] as? [[String: Any]] ?? [] {
                    installations += 1
                    var seen = Set<String>()
                    for evaluation in installation["evaluations"] as? [[String: Any]] ?? [] {
                        let files = evaluation["files"] as? [[String: Any]] ?? []
                        evaluatedFiles += files.count
                        guard evaluation["verdict"] as? String != "not-applicable" else { continue }
                        for file in files {
                            let status = file["status"] as? String ?? "?"
                            let key = "\(file["path"] as? String ?? file["name"] as? String ?? "")|\(status)"
                            if seen.insert(key).inserted { counts[status, default: 0] += 1 }
                        }
                    }
                }
                strayFiles += (target["strayFiles"] as? [Any])?.count ?? 0
                fileCounts[name] = counts
            }
        }
    }

    static func facts() throws -> Facts {
        let run = try scan("json")
        return try Facts(run.json())
    }

    @Test func csvCountsMatchJSON() throws {
        let facts = try Self.facts()
        let reader = try CSVReader(string: try Self.scan("csv").text, hasHeaderRow: true)
        var rows: [[String: String]] = []
        let header = try #require(reader.headerRow)
        while let row = reader.next() { rows.append(Dictionary(uniqueKeysWithValues: zip(header, row))) }
        #expect(rows.count == facts.targets.count)
        for (row, target) in zip(rows, facts.targets) {
            #expect(row["target"] == target.target)
            #expect(row["verdict"] == target.verdict)
            let counts = facts.fileCounts[target.target] ?? [:]
            for status in ["outdated", "damaged", "missing"] {
                #expect(row[status] == String(counts[status] ?? 0), "\(target.target): \(status)")
            }
            #expect(!(row["what_to_do"] ?? "").isEmpty, "\(target.target) says what to do")
        }
        let files = try CSVReader(string: try Self.scan("csv-files").text, hasHeaderRow: true)
        var fileRows = 0
        while files.next() != nil { fileRows += 1 }
        #expect(fileRows == facts.evaluatedFiles + facts.strayFiles)
    }

    @Test func junitCountsMatchJSON() throws {
        let facts = try Self.facts()
        let document = try XMLDocument(data: try Self.scan("junit").stdout)
        let suite = try #require(try document.nodes(forXPath: "/testsuites/testsuite").first as? XMLElement)
        let cases = try suite.nodes(forXPath: "testcase")
        let errors = facts.targets.filter { $0.verdict == "error" }.count
        #expect(try suite.nodes(forXPath: "testcase/error").count == errors)
        #expect(suite.attribute(forName: "errors")?.stringValue == String(errors))
        #expect(suite.attribute(forName: "tests")?.stringValue == String(cases.count))
        // A case per installation, and one for each target without any or whose own reasons
        // decide (the fleet's two error targets; one of them has an installation).
        #expect(cases.count >= facts.installations)
        #expect(Set(try suite.nodes(forXPath: "testcase/@classname").compactMap(\.stringValue)) == Set(facts.targets.map(\.target)))
        let failures = try suite.nodes(forXPath: "testcase/failure").count
        #expect(suite.attribute(forName: "failures")?.stringValue == String(failures))
        // --fail-on error: nothing but errors fails.
        let lenient = try XMLDocument(data: try Self.scan("junit", extra: ["--fail-on", "error"]).stdout)
        #expect(try lenient.nodes(forXPath: "//failure").isEmpty)
        #expect(try lenient.nodes(forXPath: "//error").count == errors)
    }

    @Test func prometheusCountsMatchJSON() throws {
        let facts = try Self.facts()
        let text = try Self.scan("prometheus").text
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            samples[String(parts[0])] = Double(parts[1])
        }
        for (verdict, count) in facts.summary {
            #expect(samples["patchaudit_targets{verdict=\"\(verdict)\"}"] == Double(count), "\(verdict)")
        }
        var byStatus: [String: Int] = [:]
        for counts in facts.fileCounts.values { for (status, count) in counts { byStatus[status, default: 0] += count } }
        for status in ["patched", "outdated", "damaged", "missing", "unknown", "unreadable", "ok"] {
            #expect(samples["patchaudit_files{status=\"\(status)\"}"] == Double(byStatus[status] ?? 0), "\(status)")
        }
        let installations = samples.filter { $0.key.hasPrefix("patchaudit_installations{") }.values.reduce(0, +)
        #expect(installations == Double(facts.installations))
        #expect(samples["patchaudit_last_run_timestamp_seconds"].map { $0 >= 1_764_950_400 } == true)
    }

    @Test func tableAndNDJSONCountsMatchJSON() throws {
        let facts = try Self.facts()
        let table = try Self.scan("table").text
        for (verdict, count) in facts.summary where count > 0 {
            #expect(table.contains("\(count) \(verdict)"), "the table's summary line counts \(verdict)")
        }
        #expect(table.components(separatedBy: "What to do:").count - 1 >= facts.targets.count)
        let lines = try Self.scan("ndjson").lines()
        #expect(lines.map { $0["target"] as? String } == facts.targets.map(\.target))
        #expect(lines.map { $0["verdict"] as? String } == facts.targets.map(\.verdict))
        #expect(lines.allSatisfy { ($0["whatToDo"] as? String)?.isEmpty == false })
    }

    // MARK: - Validators

    @Test(.enabled(if: ExternalTool.available("xmllint")))
    func junitValidatesAgainstTheCommittedSchema() throws {
        let folder = try TemporaryFolder()
        let report = folder.url.appendingPathComponent("junit.xml").path
        _ = try Self.scan("junit", extra: ["--output", report])
        let xmllint = try CLITests.run(["--noout", "--schema", Self.root.appendingPathComponent("docs/schemas/junit.xsd").path, report],
                                       executable: try ExternalTool.path("xmllint"))
        #expect(xmllint.status == 0, "\(xmllint.stderr)")
        #expect(xmllint.stderr.contains("validates"))
    }

    @Test(.enabled(if: ExternalTool.available("xmllint")))
    func theSchemaRejectsWhatItShould() throws {
        let folder = try TemporaryFolder()
        let bad = folder.url.appendingPathComponent("bad.xml")
        // A negative count and a test case without a name: the schema must say no, or it checks nothing.
        try Data("<testsuites><testsuite name=\"x\" tests=\"-1\" failures=\"0\" errors=\"0\"><testcase classname=\"c\"/></testsuite></testsuites>".utf8).write(to: bad)
        let xmllint = try CLITests.run(["--noout", "--schema", Self.root.appendingPathComponent("docs/schemas/junit.xsd").path, bad.path],
                                       executable: try ExternalTool.path("xmllint"))
        #expect(xmllint.status != 0)
    }

    @Test(.enabled(if: ExternalTool.available("promtool")))
    func prometheusPassesPromtool() throws {
        let folder = try TemporaryFolder()
        let file = folder.url.appendingPathComponent("patchaudit.prom").path
        _ = try Self.scan("prometheus", extra: ["--output", file])
        let promtool = try CLITests.run(["check", "metrics"], executable: try ExternalTool.path("promtool"), stdin: file)
        #expect(promtool.status == 0, "\(promtool.text)\(promtool.stderr)")
        #expect((promtool.text + promtool.stderr).trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "promtool's lint: \(promtool.text)\(promtool.stderr)")
    }

    /// The textfile collector must never read half a file: the report is written beside the
    /// old one and renamed over it (a new inode, no temporary file left); a run killed before
    /// the end leaves the old file as it was.
    @Test func prometheusReplacesTheFileWhole() throws {
        let folder = try TemporaryFolder()
        let file = folder.url.appendingPathComponent("patchaudit.prom")
        try Data("old\n".utf8).write(to: file)
        let before = try FileManager.default.attributesOfItem(atPath: file.path)[.systemFileNumber] as? Int
        _ = try Self.scan("prometheus", extra: ["--output", file.path])
        let after = try FileManager.default.attributesOfItem(atPath: file.path)[.systemFileNumber] as? Int
        #expect(before != after)
        #expect(try String(contentsOf: file, encoding: .utf8).hasPrefix("# HELP patchaudit_targets"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path) == ["patchaudit.prom"])

        // Killed mid-run: a list long enough to be interrupted (300 links to one fixture zip).
        let links = folder.url.appendingPathComponent("links")
        try FileManager.default.createDirectory(at: links, withIntermediateDirectories: true)
        var list = ""
        for index in 0..<300 {
            let link = links.appendingPathComponent("pc\(index).zip")
            try FileManager.default.createSymbolicLink(at: link, withDestinationURL: Self.root.appendingPathComponent("Fixtures/archives/zip/patch-needed-sr1.zip"))
            list += link.path + "\n"
        }
        let listFile = folder.url.appendingPathComponent("list.txt")
        try Data(list.utf8).write(to: listFile)
        let saved = try Data(contentsOf: file)
        let process = Process()
        process.executableURL = CLITests.binary
        process.arguments = ["scan", "--targets", listFile.path, "--format", "prometheus", "--output", file.path, "-q", "--jobs", "1"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Wait until it has begun (its temporary file exists), then kill it.
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, (try FileManager.default.contentsOfDirectory(atPath: folder.url.path)).filter({ $0.hasSuffix(".tmp") }).isEmpty {
            usleep(10_000)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal, "the run ended before it was killed: make the list longer")
        #expect(try Data(contentsOf: file) == saved, "the old report is untouched")
    }

    // MARK: - Evidence in cells

    /// `hostile-names.tar` holds folders named like formulas (`=HYPERLINK(...)`, `@SUM(1+1)`,
    /// `-2+3`) and one with a quote, a comma and a tab. Read back by Python's csv module (an
    /// independent reader), every row has the header's columns, no cell starts with a formula
    /// character, and each neutralised cell is the json's string behind one `'`.
    @Test(.enabled(if: ExternalTool.available("python3")))
    func csvIsReadBackByPythonWithFormulasNeutralised() throws {
        let folder = try TemporaryFolder()
        let csvFile = folder.url.appendingPathComponent("files.csv").path
        let run = try CLITests.run(["scan", "Fixtures/reports/hostile-names.tar", "--format", "csv-files", "-q", "--output", csvFile],
                                   workingDirectory: Self.root.path)
        #expect(run.status == 1, "\(run.stderr)")
        let script = """
            import csv, json, sys
            rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8"), strict=True))
            print(json.dumps(rows))
            """
        let python = try CLITests.run(["-c", script, csvFile], executable: try ExternalTool.path("python3"))
        #expect(python.status == 0, "\(python.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: python.stdout) as? [[String]])
        let json = try CLITests.run(["scan", "Fixtures/reports/hostile-names.tar", "--format", "json", "-q"], workingDirectory: Self.root.path).json()
        let target = try #require((json["targets"] as? [[String: Any]])?.first)
        let strayPaths = (target["strayFiles"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String }
        #expect(rows.count > 1 && rows.allSatisfy { $0.count == rows[0].count })
        for row in rows {
            for cell in row {
                #expect(!["=", "+", "-", "@", "\t", "\r"].contains(where: { cell.hasPrefix($0) }), "a formula cell: \(cell)")
            }
        }
        let pathColumn = try #require(rows[0].firstIndex(of: "path"))
        let csvPaths = rows.dropFirst().map { $0[pathColumn] }
        for path in strayPaths {
            // Paths start with the machine folder, so only a whole cell is neutralised: check the folder cells.
            #expect(csvPaths.contains(path), "\(path) in the csv as it is")
        }
        #expect(csvPaths.contains { $0.contains("backup \"old\", copy") }, "a quote and a comma survive the round trip")
        // A whole cell that begins with a formula character: the target named like one.
        let formula = folder.url.appendingPathComponent("=1+2.tar")
        try FileManager.default.copyItem(at: Self.root.appendingPathComponent("Fixtures/reports/hostile-names.tar"), to: formula)
        let row = try CLITests.run(["scan", "=1+2.tar", "--format", "csv", "-q"], workingDirectory: folder.url.path)
        let reader = try CSVReader(string: row.text, hasHeaderRow: true)
        #expect(reader.next()?.first == "'=1+2.tar")
    }
}

/// A tool the suite runs (xmllint, promtool, chromium, python3): found on the PATH. A test that
/// needs one is skipped where it is missing, except under `make test`, which installs them and
/// sets PATCHAUDIT_REQUIRE_TOOLS=1: there a missing tool fails the test.
enum ExternalTool {
    static var required: Bool { ProcessInfo.processInfo.environment["PATCHAUDIT_REQUIRE_TOOLS"] == "1" }

    static func find(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return (path.split(separator: ":").map(String.init) + ["/usr/local/bin", "/usr/bin"])
            .map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func available(_ name: String) -> Bool { required || find(name) != nil }

    static func path(_ name: String) throws -> String {
        guard let found = find(name) else {
            throw Missing(name: name)
        }
        return found
    }

    struct Missing: Error, CustomStringConvertible {
        var name: String
        var description: String { "\(name) is not installed; `make test` installs it (scripts/ensure-packages.sh, scripts/ensure-promtool.sh)" }
    }
}

/// A folder of its own under TMPDIR, removed when the test is done with it.
final class TemporaryFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("patchaudit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}
