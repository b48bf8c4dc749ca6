import Foundation
import Testing
@testable import PatchAuditKit

/// `manifest lint`: every problem the issue lists is found, with file, JSON path and advice;
/// the shipped manifests pass; the writer gives back what the loader reads.
@Suite struct ManifestLintTests {
    static let digest = String(repeating: "ab", count: 32)
    static let otherDigest = String(repeating: "cd", count: 32)

    /// The shipped Outlook 97 manifest with `builds` of its first rule (emsabp32.dll, patched 5.5.2502.0) replaced.
    static func manifestText(builds: String, extraRuleField: String = "") throws -> String {
        let url = URL(fileURLWithPath: FixtureSupport.manifestDirectory).appendingPathComponent("outlook97-archive-patch.json")
        var document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        var files = try #require(document["files"] as? [[String: Any]])
        files[0]["builds"] = try JSONSerialization.jsonObject(with: Data(builds.utf8))
        if !extraRuleField.isEmpty { files[0][extraRuleField] = "x" }
        document["files"] = files
        return String(decoding: try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys]), as: UTF8.self)
    }

    static func check(_ text: String) -> ManifestCheck {
        ManifestLoader.check(data: Data(text.utf8), file: "lint.json")
    }

    @Test func shippedManifestsPassLint() throws {
        for path in try ShippedManifests.paths(in: FixtureSupport.manifestDirectory) {
            let checked = ManifestLoader.check(data: try Data(contentsOf: URL(fileURLWithPath: path)), file: path)
            #expect(checked.problems.isEmpty, "\(path): \(checked.problems)")
            #expect(checked.manifest != nil)
        }
    }

    /// Each problem the issue names, and where lint must point.
    static let problemCases: [(String, String, String, String)] = [
        ("same hash under two labels",
         #"[{"version": "5.5.1960.3", "label": "original", "sha256": "\#(digest)"}, {"version": "5.5.1960.3", "label": "known-good", "sha256": "\#(digest)"}]"#,
         "$.files[0].builds[1].label", "recorded as \"original\" at $.files[0].builds[0]"),
        ("one build with two versions",
         #"[{"version": "5.5.1960.3", "label": "original", "sha256": "\#(digest)"}, {"version": "5.5.2392.0", "label": "original", "sha256": "\#(digest)"}]"#,
         "$.files[0].builds[1].version", "one build has one version"),
        ("malformed hex",
         #"[{"version": "5.5.1960.3", "label": "original", "sha256": "\#(String(repeating: "z", count: 64))"}]"#,
         "$.files[0].builds[0].sha256", "64 hex digits"),
        ("upper-case hex",
         #"[{"version": "5.5.1960.3", "label": "original", "md5": "\#(String(repeating: "AB", count: 16))"}]"#,
         "$.files[0].builds[0].md5", "lower case"),
        ("unknown field",
         #"[{"version": "5.5.1960.3", "label": "original", "sha265": "\#(digest)"}]"#,
         "$.files[0].builds[0].sha265", "unknown field"),
        ("patched version lower than an original one",
         #"[{"version": "5.5.2600.0", "label": "original"}]"#,
         "$.files[0].builds[0].version", "the patched version would be lower than an original one"),
        ("a patched build below the patch's version",
         #"[{"version": "5.5.2392.0", "label": "patched"}]"#,
         "$.files[0].builds[0].version", "below the patch's 5.5.2502.0"),
        ("two digests that contradict",
         #"[{"version": "5.5.1960.3", "label": "original", "sha256": "\#(digest)", "md5": "\#(String(repeating: "0", count: 32))"}, {"version": "5.5.1960.3", "label": "original", "sha256": "\#(digest)", "md5": "\#(String(repeating: "1", count: 32))"}]"#,
         "$.files[0].builds[1]", "mistyped"),
        ("a build with neither version nor digest",
         #"[{"label": "original", "size": 12}]"#,
         "$.files[0].builds[0]", "needs a \"version\" or a digest"),
    ]

    @Test(arguments: problemCases)
    func lintFindsEachProblem(_ what: String, _ builds: String, _ path: String, _ message: String) throws {
        let checked = Self.check(try Self.manifestText(builds: builds))
        let errors = checked.errors
        #expect(errors.contains { $0.jsonPath == path && $0.message.contains(message) && $0.file == "lint.json" },
                "\(what): \(errors)")
        #expect(checked.manifest == nil, "\(what): a manifest with an error is not used")
        // The loader refuses it too, with the same problem first.
        #expect(throws: ManifestError.self) { try ManifestLoader.parse(data: Data(try Self.manifestText(builds: builds).utf8), file: "lint.json") }
    }

    @Test func fileRuleWithNoNameIsAnError() throws {
        let text = try Self.manifestText(builds: "[]").replacingOccurrences(of: #""name":"emsabp32.dll","#, with: "")
        let errors = Self.check(text).errors
        #expect(errors.contains { $0.jsonPath == "$.files[0]" && $0.message.contains("\"name\" is missing") }, "\(errors)")
    }

    @Test func everyProblemIsListedNotOnlyTheFirst() throws {
        let builds = #"[{"version": "5.5.25O2", "label": "original"}, {"version": "5.5.1960.3", "label": "good"}, {"version": "5.5.1960.3", "label": "original", "md5": "xyz"}]"#
        let errors = Self.check(try Self.manifestText(builds: builds)).errors
        #expect(Set(errors.compactMap(\.jsonPath)) == ["$.files[0].builds[0].version", "$.files[0].builds[1].label", "$.files[0].builds[2].md5"])
    }

    @Test func warningsDoNotRefuse() throws {
        let builds = #"[{"version": "5.5.1960.3", "label": "original", "md5": "\#(String(repeating: "0", count: 32))"}, {"version": "5.5.1960.3", "label": "original", "md5": "\#(String(repeating: "0", count: 32))"}, {"label": "known-good", "sha256": "\#(Self.otherDigest)"}]"#
        let checked = Self.check(try Self.manifestText(builds: builds))
        #expect(checked.errors.isEmpty)
        #expect(checked.manifest != nil)
        let warnings = checked.problems.map { "\($0.jsonPath ?? ""): \($0.message)" }
        #expect(warnings.contains { $0.hasPrefix("$.files[0].builds[0]: records only MD5") })
        #expect(warnings.contains { $0.hasPrefix("$.files[0].builds[1]: repeats $.files[0].builds[0]") })
        #expect(warnings.contains { $0.hasPrefix("$.files[0].builds[2]: has no version") })
    }

    @Test func sameBytesForTwoFilesIsAWarning() throws {
        var manifest = try BaselineTests.outlook97()
        manifest.files[0].builds = [Manifest.Build(version: FileVersion(5, 5, 2502, 0), label: .knownGood, sha256: Self.digest)]
        manifest.files[1].builds = [Manifest.Build(version: FileVersion(5, 5, 2513, 0), label: .knownGood, sha256: Self.digest)]
        let checked = Self.check(ManifestWriter.json(manifest))
        #expect(checked.errors.isEmpty)
        #expect(checked.problems.contains { $0.severity == .warning && $0.jsonPath == "$.files[1].builds[0]" && $0.message.contains("also recorded for emsabp32.dll") })
    }

    /// Manifests are bounded: more than 4 MiB is refused unread, more than 10,000 builds per
    /// file is an error, and a writer never produces a manifest the loader would refuse.
    @Test func manifestSizeAndBuildCountAreBounded() throws {
        let directory = try FixtureSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let big = directory.appendingPathComponent("big.json")
        try Data(repeating: 0x20, count: ManifestLoader.maxManifestSize + 1).write(to: big)
        #expect { try ManifestLoader.load(path: big.path) } throws: { ($0 as? ManifestError)?.message.contains("at most \(ManifestLoader.maxManifestSize) bytes") == true }

        var manifest = try BaselineTests.outlook97()
        manifest.files[0].builds = (0...10_000).map { index in
            Manifest.Build(version: FileVersion(5, 5, 2502, 0), size: 3584, label: .knownGood,
                           sha256: String(repeating: "0", count: 56) + Hex.padded(UInt32(index), digits: 8),
                           sha1: String(repeating: "1", count: 40), md5: String(repeating: "2", count: 32),
                           source: "recorded from /mnt/fleet/pc\(index): WINDOWS/SYSTEM/EMSABP32.DLL")
        }
        #expect { try ManifestWriter.loadableJSON(manifest, file: "many.json") } throws: { ($0 as? ManifestError)?.message.contains("at most 10000") == true }
        manifest.files[0].builds.removeLast(2_000)
        manifest.files[1].builds = manifest.files[0].builds.map { var build = $0; build.version = FileVersion(5, 5, 2513, 0); build.sha256 = build.sha256.map { "1" + $0.dropFirst() }; return build }
        #expect { try ManifestWriter.loadableJSON(manifest, file: "large.json") } throws: { ($0 as? ManifestError)?.message.contains("above the \(ManifestLoader.maxManifestSize) bytes") == true }
    }

    @Test func writerRoundTripsTheShippedManifests() throws {
        for loaded in try FixtureSupport.shippedManifests() {
            let text = ManifestWriter.json(loaded.manifest)
            let again = try ManifestLoader.parse(data: Data(text.utf8), file: "round-trip.json")
            #expect(again == loaded.manifest)
            #expect(ManifestWriter.json(again) == text, "the same manifest gives the same bytes")
        }
    }

    @Test func writerEscapesStrings() throws {
        var manifest = try #require(try FixtureSupport.shippedManifests().first?.manifest)
        manifest.title = "quote \" backslash \\ newline \n tab \t bell \u{7} ünïcode \u{2028}"
        manifest.files[0].builds = [Manifest.Build(version: FileVersion(5, 5, 2502, 0), size: 3584, label: .knownGood,
                                                   sha256: Self.digest, source: "recorded from C:\\pc42: WINDOWS/SYSTEM/EMSABP32.DLL")]
        let text = ManifestWriter.json(manifest)
        #expect(try ManifestLoader.parse(data: Data(text.utf8), file: "escaped.json") == manifest)
        #expect(text.contains(#""title": "quote \" backslash \\ newline \n tab \t bell \u0007 ünïcode \u2028""#))
    }

    /// Issue 8: lint compared every build with every earlier rule (rules x builds), so a 4 MiB
    /// manifest of many empty rules and two rules of 10,000 builds took minutes. Now one digest
    /// lookup per build; the time limit only guards against a return of the hang.
    @Test(.timeLimit(.minutes(1)))
    func manyRulesAndManyBuildsLintInLinearTime() throws {
        var manifest = try #require(try FixtureSupport.shippedManifests().first?.manifest)
        let template = manifest.files[0]
        var rules: [Manifest.FileRule] = []
        for index in 0..<2_000 {
            var rule = template
            rule.name = "empty\(index).dll"
            rule.builds = []
            rules.append(rule)
        }
        for index in 0..<2 {
            var rule = template
            rule.name = "many\(index).dll"
            rule.builds = (0..<10_000).map { _ in Manifest.Build(version: FileVersion(1, 0, 0, 0), label: .damaged) }
            rules.append(rule)
        }
        // The same bytes recorded for two files is still found (and said once per other file).
        var shared = template
        shared.name = "shared.dll"
        shared.builds = [Manifest.Build(version: FileVersion(5, 5, 1960, 3), label: .knownGood, sha256: Self.digest)]
        manifest.files += rules + [shared, shared]
        let problems = ManifestLint.problems(in: manifest, file: "big.json")
        #expect(problems.filter { $0.message.contains("also recorded for shared.dll") }.count == 1)
    }
}
