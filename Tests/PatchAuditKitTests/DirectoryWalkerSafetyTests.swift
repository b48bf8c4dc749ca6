import Foundation
import Testing
@testable import PatchAuditKit

#if canImport(Glibc)
import Glibc
#endif

/// The directory source never hangs, never follows links, never writes, and reports limits.
@Suite struct DirectoryWalkerSafetyTests {
    @Test func fifoUnderAMatchedNameIsUnreadableNotAHang() throws {
        let tree = try FixtureSupport.copyOfTree("up-to-date-sr1")
        defer { try? FileManager.default.removeItem(at: tree.deletingLastPathComponent()) }
        let dll = tree.appendingPathComponent("WINDOWS/SYSTEM/EMSMDB32.DLL").path
        try FileManager.default.removeItem(atPath: dll)
        #expect(mkfifo(dll, 0o644) == 0)
        // A second FIFO under a name nobody matches is skipped and listed.
        #expect(mkfifo(tree.appendingPathComponent("WINDOWS/pipe").path, 0o644) == 0)

        let report = try FixtureSupport.scanner().scan(target: tree.path)
        #expect(report.statuses()["WINDOWS/SYSTEM/EMSMDB32.DLL"] == "unreadable")
        #expect(report.verdict == .review)
        #expect(report.skipped.contains { $0.kind == .fifo && $0.path == "WINDOWS/pipe" })
    }

    @Test func symbolicLinkLoopsAndLinksOutOfTheRootAreNotFollowed() throws {
        let tree = try FixtureSupport.copyOfTree("up-to-date-sr1")
        defer { try? FileManager.default.removeItem(at: tree.deletingLastPathComponent()) }
        let fm = FileManager.default
        try fm.createSymbolicLink(atPath: tree.appendingPathComponent("WINDOWS/loop").path, withDestinationPath: "..")
        try fm.createSymbolicLink(atPath: tree.appendingPathComponent("WINDOWS/SYSTEM/self").path, withDestinationPath: ".")
        try fm.createSymbolicLink(atPath: tree.appendingPathComponent("escape").path, withDestinationPath: "/")
        // A link out of the root under a matched name: reported, never read.
        let outside = try FixtureSupport.temporaryDirectory()
        defer { try? fm.removeItem(at: outside) }
        try fm.copyItem(at: FixtureSupport.dlls.appendingPathComponent("emsabp32-5.5.1960.3.dll"),
                        to: outside.appendingPathComponent("EMSABP32.DLL"))
        let stray = tree.appendingPathComponent("Program Files/Microsoft Office/Office/EMSABP32.DLL").path
        try fm.createSymbolicLink(atPath: stray, withDestinationPath: outside.appendingPathComponent("EMSABP32.DLL").path)

        let report = try FixtureSupport.scanner().scan(target: tree.path)
        let links = report.skipped.filter { $0.kind == .symbolicLink }.map(\.path)
        #expect(links.contains("WINDOWS/loop"))
        #expect(links.contains("WINDOWS/SYSTEM/self"))
        #expect(links.contains("escape"))
        // The loop was not walked: each real file was seen once.
        #expect(report.statuses()["WINDOWS/SYSTEM/EMSMDB32.DLL"] == "patched")
        #expect(report.stats.matchedFiles == 8)
        let linked = try #require(report.strayFiles.first { $0.path?.hasSuffix("Office/EMSABP32.DLL") == true })
        #expect(linked.status == .unreadable)
        #expect(linked.sha256 == nil)
    }

    @Test func directoryUnderAMatchedNameIsUnreadable() throws {
        let tree = try FixtureSupport.copyOfTree("up-to-date-sr1")
        defer { try? FileManager.default.removeItem(at: tree.deletingLastPathComponent()) }
        let dll = tree.appendingPathComponent("WINDOWS/SYSTEM/EMSUI32.DLL")
        try FileManager.default.removeItem(at: dll)
        try FileManager.default.createDirectory(at: dll, withIntermediateDirectories: false)
        let report = try FixtureSupport.scanner().scan(target: tree.path)
        #expect(report.statuses()["WINDOWS/SYSTEM/EMSUI32.DLL"] == "unreadable")
        #expect(report.verdict == .review)
    }

    @Test func nonUTF8NamesAreKeptAndEscaped() throws {
        let tree = try FixtureSupport.copyOfTree("up-to-date-sr1")
        defer { try? FileManager.default.removeItem(at: tree.deletingLastPathComponent()) }
        // "B\xfcro" in Latin-1: not UTF-8.
        var name: [CChar] = tree.path.utf8CString.dropLast() + [0x2f, 0x42, CChar(bitPattern: 0xfc), 0x72, 0x6f, 0]
        #expect(mkdir(&name, 0o755) == 0)
        let source = try Data(contentsOf: FixtureSupport.dlls.appendingPathComponent("emsmdb32-5.5.1960.3.dll"))
        #expect(writeRaw(name, source))
        let report = try FixtureSupport.scanner().scan(target: tree.path)
        #expect(report.strayFiles.map(\.path).contains("B\\xfcro/EMSMDB32.DLL"))
    }

    private func writeRaw(_ directory: [CChar], _ data: Data) -> Bool {
        var path = directory.dropLast() + Array("/EMSMDB32.DLL".utf8CString)
        let fd = open(&path, O_WRONLY | O_CREAT, 0o644)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == data.count
    }

    @Test func scanChangesNothingInTheTree() throws {
        let tree = try FixtureSupport.copyOfTree("dual-boot")
        defer { try? FileManager.default.removeItem(at: tree.deletingLastPathComponent()) }
        let paths = try entries(tree)
        let contentBefore = try contents(tree, paths)
        // Access times older than the modification times: under relatime (and strictatime) any
        // read without O_NOATIME would now move them, so the check below can catch it.
        for path in paths {
            var status = stat()
            #expect(lstat(tree.appendingPathComponent(path).path, &status) == 0)
            var times = [timespec(tv_sec: status.st_mtim.tv_sec - 100, tv_nsec: 0), status.st_mtim]
            #expect(utimensat(AT_FDCWD, tree.appendingPathComponent(path).path, &times, AT_SYMLINK_NOFOLLOW) == 0)
        }
        let before = metadata(tree, paths)
        _ = try FixtureSupport.scanner().scan(target: tree.path)
        let after = metadata(tree, paths)
        #expect(paths.count > 10)
        #expect(before == after)
        #expect(try entries(tree) == paths)
        #expect(try contents(tree, paths) == contentBefore)
    }

    private func entries(_ root: URL) throws -> [String] {
        (FileManager.default.enumerator(atPath: root.path)?.allObjects as? [String] ?? []).sorted() + [""]
    }

    /// Type, size and the three timestamps (ns) of every entry, read with lstat only.
    private func metadata(_ root: URL, _ paths: [String]) -> [String] {
        paths.map { relative in
            var status = stat()
            guard lstat(root.appendingPathComponent(relative).path, &status) == 0 else { return "\(relative) gone" }
            return "\(relative) \(status.st_mode) \(status.st_size) a\(status.st_atim.tv_sec).\(status.st_atim.tv_nsec) m\(status.st_mtim.tv_sec).\(status.st_mtim.tv_nsec) c\(status.st_ctim.tv_sec).\(status.st_ctim.tv_nsec)"
        }
    }

    private func contents(_ root: URL, _ paths: [String]) throws -> [String] {
        try paths.map { relative in
            let url = root.appendingPathComponent(relative)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else { return relative }
            return relative + " " + FileDigests(of: Array(try Data(contentsOf: url))).sha256
        }
    }

    @Test func hitLimitsMakeTheTargetReviewNeverUpToDate() throws {
        let path = FixtureSupport.trees.appendingPathComponent("up-to-date-sr1").path
        var limits = ScanLimits()
        limits.maxFileSize = 10_000
        var report = try FixtureSupport.scanner(limits: limits).scan(target: path)
        #expect(report.verdict == .review)
        #expect(report.limitsHit.contains { $0.limit == "max-file-size" })

        limits = ScanLimits()
        limits.maxFolderDepth = 1
        report = try FixtureSupport.scanner(limits: limits).scan(target: path)
        #expect(report.verdict == .review)
        #expect(report.limitsHit.contains { $0.limit == "max-folder-depth" })

        limits = ScanLimits()
        limits.maxEntries = 5
        report = try FixtureSupport.scanner(limits: limits).scan(target: path)
        #expect(report.verdict == .review)
        #expect(report.reasons.contains { $0.rule == "limit-hit" && $0.found == "max-entries" })
    }

    @Test func emptyTreeIsNotApplicableWithAReason() throws {
        let directory = try FixtureSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let report = try FixtureSupport.scanner().scan(target: directory.path)
        #expect(report.verdict == .notApplicable)
        #expect(report.reasons.contains { $0.rule == "no-installation" })
    }
}
