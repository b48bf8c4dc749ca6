import Foundation
import Testing
@testable import PatchAuditKit

/// hashdeep known-file lists: lists made by the real hashdeep are read, broken ones refused with
/// their line, and a scan's export reads back.
@Suite struct HashdeepTests {
    static let lists = FixtureSupport.fixtures.appendingPathComponent("hashdeep")

    static func treeDigests(_ tree: String) throws -> [String: FileDigests] {
        let root = FixtureSupport.trees.appendingPathComponent(tree)
        var result: [String: FileDigests] = [:]
        let enumerator = try #require(FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]))
        for case let url as URL in enumerator where (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true {
            result[url.lastPathComponent.lowercased()] = FileDigests(of: try [UInt8](Data(contentsOf: url)))
        }
        return result
    }

    @Test(arguments: ["up-to-date-sr1.hashdeep", "up-to-date-sr1-sha1-crlf.hashdeep"])
    func listsMadeByHashdeepAreRead(_ name: String) throws {
        let list = try HashdeepList.read(path: Self.lists.appendingPathComponent(name).path, keep: nil)
        let digests = try Self.treeDigests("up-to-date-sr1")
        #expect(list.rows.count == list.rowCount && list.rowCount == digests.count)
        for row in list.rows {
            let expected = try #require(digests[row.baseName], "\(row.fileName)")
            #expect(row.md5 == expected.md5 && row.sha256 == expected.sha256)
            if list.columns.contains("sha1") { #expect(row.sha1 == expected.sha1) }
        }
        #expect(list.rows.contains { $0.baseName == "emsmdb32.dll" })
    }

    @Test func rowsForUnwatchedFilesAreCountedNotKept() throws {
        let list = try HashdeepList.read(path: Self.lists.appendingPathComponent("up-to-date-sr1.hashdeep").path, keep: ["emsmdb32.dll"])
        #expect(list.rows.map(\.baseName) == ["emsmdb32.dll"])
        #expect(list.rowCount == 7)
    }

    static let broken: [(String, Int?, String)] = [
        ("no-header.hashdeep", 1, "does not start with"),
        ("bad-hex.hashdeep", 9, "is not 32 hex digits"),
        ("short-hash.hashdeep", 9, "is not 64 hex digits"),
        ("bad-size.hashdeep", 9, "is not a whole number"),
        ("missing-column.hashdeep", 9, "fields, but the column line names"),
        ("no-filename-column.hashdeep", 2, "end with filename"),
        ("unknown-version.hashdeep", 1, "does not read"),
    ]

    @Test(arguments: broken)
    func brokenListsAreRefusedWithTheirLine(_ name: String, _ line: Int?, _ message: String) throws {
        let path = Self.lists.appendingPathComponent("broken/\(name)").path
        #expect { try HashdeepList.read(path: path, keep: nil) } throws: { error in
            guard let error = error as? HashdeepError else { return false }
            return error.file == path && error.line == line && error.message.contains(message)
        }
    }

    @Test func filenamesMayHoldCommasAndTheListNeedNotEndInANewline() throws {
        let digest = String(repeating: "ab", count: 32), md5 = String(repeating: "cd", count: 16)
        let text = "%%%% HASHDEEP-1.0\n%%%% size,md5,sha256,filename\n## comment\n\n12,\(md5),\(digest),C:\\a,b\\EMSMDB32.DLL"
        let list = try HashdeepList.parse(Array(text.utf8), file: "t")
        #expect(list.rows.count == 1)
        #expect(list.rows.first?.fileName == "C:\\a,b\\EMSMDB32.DLL")
        #expect(list.rows.first?.baseName == "emsmdb32.dll")
        #expect(list.rows.first?.size == 12 && list.rows.first?.line == 5)
    }

    @Test func endlessLinesAndEmptyListsAreRefused() throws {
        let long = Array("%%%% HASHDEEP-1.0\n%%%% size,md5,filename\n".utf8) + [UInt8](repeating: 0x31, count: HashdeepList.maxLineLength + 1)
        #expect(throws: HashdeepError.self) { try HashdeepList.parse(long, file: "long") }
        #expect(throws: HashdeepError.self) { try HashdeepList.parse([], file: "empty") }
        #expect(throws: HashdeepError.self) { try HashdeepList.parse(Array("%%%% HASHDEEP-1.0\n".utf8), file: "header only") }
    }

    @Test func keptNamesAreBoundedByWhatAManifestHolds() throws {
        let digest = String(repeating: "ab", count: 32)
        let folder = String(repeating: "x", count: 60_000)
        var text = "%%%% HASHDEEP-1.0\n%%%% size,sha256,filename\n"
        for row in 0..<80 { text += "\(row),\(digest),/\(folder)/\(row)/EMSMDB32.DLL\n" }
        #expect { try HashdeepList.parse(Array(text.utf8), file: "long names", keep: ["emsmdb32.dll"]) } throws: { error in
            (error as? HashdeepError)?.message.contains("more than a manifest can hold") == true
        }
    }

    @Test func keptRowsAreBounded() throws {
        let digest = String(repeating: "ab", count: 32)
        var text = "%%%% HASHDEEP-1.0\n%%%% size,sha256,filename\n"
        for row in 0...HashdeepList.maxKeptRows { text += "\(row),\(digest),/pc\(row)/EMSMDB32.DLL\n" }
        #expect { try HashdeepList.parse(Array(text.utf8), file: "big", keep: ["emsmdb32.dll"]) } throws: { error in
            (error as? HashdeepError)?.message.contains("more than \(HashdeepList.maxKeptRows) rows") == true
        }
        // Rows for files no manifest watches are only counted.
        let counted = try HashdeepList.parse(Array(text.utf8), file: "big", keep: ["outllib.dll"])
        #expect(counted.rows.isEmpty && counted.rowCount == HashdeepList.maxKeptRows + 1)
    }

    /// What `scan --format hashdeep` writes reads back with the same digests, once per file.
    @Test func exportReadsBack() throws {
        let target = FixtureSupport.trees.appendingPathComponent("dual-boot").path
        let report = try FixtureSupport.scanner().scan(target: target)
        let text = HashdeepReport.header(invokedFrom: "/", command: "patchaudit scan") + HashdeepReport.rows(report)
        let list = try HashdeepList.parse(Array(text.utf8), file: "export")
        #expect(list.rowCount == report.stats.matchedFiles)
        #expect(Set(list.rows.map(\.fileName)).count == list.rowCount, "each file once, whichever manifest judged it")
        for row in list.rows {
            #expect(row.fileName.hasPrefix(target + "/"))
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: row.fileName)))
            let digests = FileDigests(of: bytes)
            #expect(row.sha256 == digests.sha256 && row.md5 == digests.md5 && row.size == Int64(bytes.count))
        }
    }

    /// A target name is given on the command line and may hold a newline: it must not start a row.
    @Test func exportEscapesTargetNames() throws {
        let folder = try FixtureSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let target = folder.appendingPathComponent("pc\n3584,\(String(repeating: "0", count: 32)),\(String(repeating: "1", count: 64)),/x/EMSMDB32.DLL")
        try FileManager.default.copyItem(at: FixtureSupport.trees.appendingPathComponent("up-to-date-sr1"), to: target)
        let report = try FixtureSupport.scanner().scan(target: target.path)
        let text = HashdeepReport.header(invokedFrom: "/\n", command: "scan \n1,2,3,x") + HashdeepReport.rows(report)
        let list = try HashdeepList.parse(Array(text.utf8), file: "export")
        #expect(list.rowCount == 7)
        #expect(list.rows.allSatisfy { $0.fileName.contains("pc\\x0a3584") && $0.sha256 != String(repeating: "1", count: 64) })
    }

    /// Imported rows become version-less builds: a match vouches for the bytes; a mismatch
    /// cannot be called damaged (no version), and says so.
    @Test func importedBuildsVouchButCannotConvict() throws {
        var manifest = try BaselineTests.outlook97()
        let list = try HashdeepList.read(path: Self.lists.appendingPathComponent("up-to-date-sr1.hashdeep").path, keep: Set(manifest.fileNames))
        let candidates = ManifestBaseline.candidates(hashdeep: list, manifest: manifest, label: .knownGood, listName: "known")
        #expect(candidates.count == 7)
        manifest = try ManifestBaseline.record(candidates, into: manifest, file: "m.json").manifest
        let report = BaselineTests.scanner(manifest).scan(target: FixtureSupport.trees.appendingPathComponent("altered-restamped").path)
        let emsmdb = try #require(BaselineTests.finding(report, "emsmdb32.dll"))
        #expect(emsmdb.baseline?.result == .unrecorded)
        #expect(emsmdb.notes.contains { $0.contains("(a hash list, without versions)") })
        // Never a silent pass: bytes the list does not know, at a passing version, are review.
        #expect(report.verdict == .review)
        #expect(report.installations.first?.evaluations.first?.reasons.contains { $0.rule == "baseline-unrecorded" && $0.path == emsmdb.path } == true)
        #expect(BaselineTests.finding(report, "emsabp32.dll")?.baseline?.result == .matched)
        // Recording the machine itself afterwards fills in the versions of the same entries.
        let scanned = BaselineTests.scanner(manifest).inventory(target: FixtureSupport.trees.appendingPathComponent("up-to-date-sr1").path)
        let fromDisk = ManifestBaseline.candidates(items: scanned.items, stray: [], manifest: manifest, label: .knownGood, target: "t").candidates
        let merged = try ManifestBaseline.record(fromDisk, into: manifest, file: "m.json")
        #expect(merged.added.isEmpty && merged.alreadyRecorded.count == 7)
        #expect(merged.manifest.files.flatMap(\.builds).filter(\.hasDigests).allSatisfy { $0.version != nil })
        let again = BaselineTests.scanner(merged.manifest).scan(target: FixtureSupport.trees.appendingPathComponent("altered-restamped").path)
        #expect(BaselineTests.finding(again, "emsmdb32.dll")?.status == .damaged)
    }
}
