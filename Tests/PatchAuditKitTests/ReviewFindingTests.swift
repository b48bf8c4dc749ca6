import Foundation
import Testing
@testable import PatchAuditKit

/// Cases found by reading the scanner adversarially; each reproduces the bug it guards against.
@Suite struct ReviewFindingTests {
    let fm = FileManager.default

    func copyDLL(_ name: String, to url: URL) throws {
        try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try fm.copyItem(at: FixtureSupport.dlls.appendingPathComponent(name), to: url)
    }

    @Test func aLoneStrayOutlookExeCannotSilenceAnInstallation() throws {
        let tree = try FixtureSupport.copyOfTree("patch-needed-sr1")
        defer { try? fm.removeItem(at: tree.deletingLastPathComponent()) }
        try copyDLL("outlook-9.0.0.2416.exe", to: tree.appendingPathComponent("BACKUP/OUTLOOK.EXE"))
        let report = try FixtureSupport.scanner().scan(target: tree.path)
        #expect(report.verdict == .patchNeeded)
        #expect(report.strayFiles.compactMap(\.path) == ["BACKUP/OUTLOOK.EXE"])
    }

    @Test func twoOutlookFoldersNamingDifferentProductsAreReviewNotNotApplicable() throws {
        let tree = try FixtureSupport.copyOfTree("patch-needed-sr1")
        defer { try? fm.removeItem(at: tree.deletingLastPathComponent()) }
        // An Outlook 2000 folder sorting before the Outlook 97 one.
        try copyDLL("outlook-9.0.0.2416.exe", to: tree.appendingPathComponent("AAA/Office/OUTLOOK.EXE"))
        try copyDLL("outllib-9.0.0.2416.dll", to: tree.appendingPathComponent("AAA/Office/OUTLLIB.DLL"))
        let report = try FixtureSupport.scanner().scan(target: tree.path)
        #expect(report.verdict == .review)
        let evaluation = try #require(report.installations.first?.evaluations.first { $0.manifest == "outlook97-archive-patch" })
        #expect(evaluation.reasons.contains { $0.rule == "copies-disagree" })
        #expect(evaluation.reasons.contains { $0.rule == "file-outdated" })
    }

    @Test func filesOutsideAnyInstallationFolderAreReviewNotNothingFound() throws {
        let tree = try FixtureSupport.temporaryDirectory()
        defer { try? fm.removeItem(at: tree) }
        try copyDLL("emsmdb32-5.5.1960.3.dll", to: tree.appendingPathComponent("pc42-system/EMSMDB32.DLL"))
        try copyDLL("outllib-8.2.0.4212.dll", to: tree.appendingPathComponent("pc42-office/OUTLLIB.DLL"))
        let report = try FixtureSupport.scanner().scan(target: tree.path)
        #expect(report.verdict == .review)
        #expect(report.reasons.contains { $0.rule == "stray-only" })
    }

    @Test func aFolderNamedLikeAWatchedFileIsStillWalked() throws {
        let outer = try FixtureSupport.temporaryDirectory()
        defer { try? fm.removeItem(at: outer) }
        try fm.copyItem(at: FixtureSupport.trees.appendingPathComponent("patch-needed-sr1"), to: outer.appendingPathComponent("OUTLOOK.EXE"))
        let report = try FixtureSupport.scanner().scan(target: outer.path)
        #expect(report.verdict == .patchNeeded)
        #expect(report.installations.map(\.id) == ["OUTLOOK.EXE/WINDOWS/SYSTEM"])
        #expect(report.strayFiles.first { $0.path == "OUTLOOK.EXE" }?.status == .unreadable)
    }

    @Test func manyLimitHitsStillGiveTheSameBytes() throws {
        let tree = try FixtureSupport.temporaryDirectory()
        defer { try? fm.removeItem(at: tree) }
        for index in 0..<60 {
            try copyDLL("emsmdb32-5.5.2440.0.dll", to: tree.appendingPathComponent("d\(index % 7)/x\(index)/SYSTEM/EMSMDB32.DLL"))
        }
        var limits = ScanLimits()
        limits.maxFileSize = 1000
        let scanner = try FixtureSupport.scanner(limits: limits)
        let first = try JSONReport.line(scanner.scan(target: tree.path))
        for _ in 0..<3 { #expect(try JSONReport.line(scanner.scan(target: tree.path)) == first) }
    }

    @Test func smallEntryLimitsAreExact() throws {
        var limits = ScanLimits()
        limits.maxEntries = 5
        let report = try FixtureSupport.scanner(limits: limits).scan(target: FixtureSupport.trees.appendingPathComponent("up-to-date-sr1").path)
        #expect(report.stats.entries <= 5)
        #expect(report.stats.matchedFiles < 7)
        #expect(report.verdict == .review)
    }

    @Test func controlCharactersFromFilesAreEscapedForTerminals() {
        #expect(TerminalText.safe("5.5\u{1b}]0;pwn\u{7}\u{1b}[2J") == "5.5\\u{1b}]0;pwn\\u{7}\\u{1b}[2J")
        #expect(TerminalText.safe("Büro 8.04") == "Büro 8.04")
        #expect(TerminalText.safe("a\u{9b}b") == "a\\u{9b}b")
    }

    @Test func manifestLanguagesMustBeFourHexDigits() {
        let text = ManifestLoaderTests.valid.replacingOccurrences(of: "\"0409\"", with: "\"+409\"")
        #expect(throws: ManifestError.self) { try ManifestLoader.parse(data: Data(text.utf8), file: "m.json") }
    }

    @Test(arguments: ["..", ".", String(repeating: "a", count: 64) + ".dll"])
    func manifestFileNamesMustBeUsable(_ name: String) {
        let text = ManifestLoaderTests.valid.replacingOccurrences(of: "\"emsmdb32.dll\"", with: "\"\(name)\"")
        #expect(throws: ManifestError.self) { try ManifestLoader.parse(data: Data(text.utf8), file: "m.json") }
    }

    @Test func aDeviceAsManifestIsRefusedWithoutReadingIt() {
        #expect {
            _ = try ManifestLoader.load(path: "/dev/zero")
        } throws: { error in
            (error as? ManifestError)?.message.contains("not a regular file") == true
        }
    }
}
