import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing

/// Disk images through the command line, as users run it: each target in a worker process,
/// every format, the exit status by verdict, and a crash in the image reader costing one target.
@Suite struct CLIImageTests {
    static let images = CLITests.root.appendingPathComponent("Fixtures/images")
    static func image(_ name: String) -> String { images.appendingPathComponent(name).path }

    @Test func everyContainerGivesTheSameVerdictInEveryFormat() throws {
        let targets = ["containers/pc42.img", "containers/pc42.E01", "containers/pc42-dynamic.vhd", "containers/pc42.vhdx",
                       "containers/pc42.vmdk", "containers/pc42.qcow2", "containers/pc42.raw.001"].map(Self.image)
        let json = try CLITests.run(["scan", "--format", "json"] + targets)
        #expect(json.status == 1)
        let reports = try #require(try json.json()["targets"] as? [[String: Any]])
        #expect(reports.map { $0["verdict"] as? String } == Array(repeating: "patch-needed", count: targets.count))
        #expect(reports.allSatisfy { $0["kind"] as? String == "image" })
        let ndjson = try CLITests.run(["scan", "--format", "ndjson"] + targets)
        #expect(ndjson.status == 1)
        #expect(try ndjson.lines().map { $0["verdict"] as? String } == Array(repeating: "patch-needed", count: targets.count))
        let table = try CLITests.run(["scan"] + targets, environment: ["NO_COLOR": "1"])
        #expect(table.status == 1)
        #expect(table.text.contains("\(targets[1])  PATCH-NEEDED"))
        #expect(table.text.contains("E01 image, MBR partition table"))
        #expect(table.text.contains("p1/WINDOWS/SYSTEM/EMSMDB32.DLL"))
    }

    /// Every image fixture (Fixtures/images/expected.json) gets, through the binary, the verdict
    /// its folder twins get together, in json, ndjson and the table.
    @Test func everyImageFixtureGetsItsTwinsVerdictInEveryFormat() throws {
        let data = try Data(contentsOf: Self.images.appendingPathComponent("expected.json"))
        let images = try #require((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["images"] as? [[String: Any]])
        var targets: [String] = []
        var twins: [[String]] = []
        for image in images {
            let trees = (image["trees"] as? [[String: Any]])?.compactMap { $0["tree"] as? String } ?? [image["tree"] as? String].compactMap { $0 }
            guard !trees.isEmpty, let path = image["path"] as? String else { continue }
            targets.append(Self.image(path))
            twins.append(trees.map { CLITests.root.appendingPathComponent("Fixtures/trees/\($0)").path })
        }
        #expect(targets.count >= 20)
        let order: [String] = ["not-applicable", "up-to-date", "patch-needed", "blocked", "review", "error"]
        var expected: [String] = []
        for trees in twins {
            let run = try CLITests.run(["scan", "--format", "json"] + trees)
            let verdicts = (try run.json()["targets"] as? [[String: Any]])?.compactMap { $0["verdict"] as? String } ?? []
            expected.append(verdicts.max { (order.firstIndex(of: $0) ?? 0) < (order.firstIndex(of: $1) ?? 0) } ?? "?")
        }
        let json = try CLITests.run(["scan", "--format", "json"] + targets)
        #expect(try (json.json()["targets"] as? [[String: Any]])?.map { $0["verdict"] as? String ?? "" } == expected)
        let ndjson = try CLITests.run(["scan", "--format", "ndjson"] + targets)
        #expect(try ndjson.lines().map { $0["verdict"] as? String ?? "" } == expected)
        let table = try CLITests.run(["scan"] + targets, environment: ["NO_COLOR": "1"])
        for (target, verdict) in zip(targets, expected) {
            #expect(table.text.contains("\(target)  \(verdict.uppercased())"), "\(target)")
        }
    }

    @Test func deletedFilesAreListedWithTheFlag() throws {
        let plain = try CLITests.run(["scan", "--format", "json", Self.image("deleted-ntfs.img")])
        let listed = try CLITests.run(["scan", "--format", "json", "--include-deleted", Self.image("deleted-ntfs.img")])
        #expect(plain.status == listed.status)
        let target = try #require((try listed.json()["targets"] as? [[String: Any]])?.first)
        let stray = try #require(target["strayFiles"] as? [[String: Any]])
        #expect(stray.contains { $0["deleted"] as? Bool == true && $0["path"] as? String == "p1/WINDOWS/SYSTEM/EMSUI32.DLL" })
        let plainTarget = try #require((try plain.json()["targets"] as? [[String: Any]])?.first)
        #expect((plainTarget["strayFiles"] as? [[String: Any]])?.isEmpty == true)
    }

    @Test func aCrashWhileReadingAnImageCostsThatTargetOnly() throws {
        let run = try CLITests.run(["scan", "--format", "json", Self.image("mbr-ntfs.img"), Self.image("containers/pc42.E01")],
                                   environment: ["PATCHAUDIT_TEST_WORKER_FAULT": "segfault-entry:EMSMDB32.DLL"])
        #expect(run.status == 3)
        let reports = try #require(try run.json()["targets"] as? [[String: Any]])
        #expect(reports.map { $0["verdict"] as? String } == ["error", "error"])
        let reasons = reports.compactMap { ($0["reasons"] as? [[String: Any]])?.first }
        #expect(reasons.allSatisfy { $0["rule"] as? String == "worker-crashed" })
        #expect((reasons.last?["message"] as? String)?.contains("p1/WINDOWS/SYSTEM/EMSMDB32.DLL") == true)
        // Without the fault the same run is fine: the crash was the target's own.
        let clean = try CLITests.run(["scan", "--format", "json", Self.image("mbr-ntfs.img"), Self.image("containers/pc42.E01")])
        #expect(try (clean.json()["targets"] as? [[String: Any]])?.map { $0["verdict"] as? String } == ["up-to-date", "patch-needed"])
    }

    /// No FIFO beside an image is ever opened: segments are checked before any library sees
    /// them, an E01 set is scanned from its first segment only, and TSK is told the container
    /// (with autodetection it retries a refused file as raw, and a raw `*.001` makes it open
    /// `*.002`... unchecked). A regression would hang on the FIFO: the timeout keeps the test short.
    @Test func aFIFOBesideAnImageIsNeverOpened() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("patchaudit-fifo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let containers = Self.images.appendingPathComponent("containers")
        func copy(_ from: String, _ to: String) throws {
            try FileManager.default.copyItem(at: containers.appendingPathComponent(from), to: folder.appendingPathComponent(to))
        }
        func fifo(_ name: String) { #expect(mkfifo(folder.appendingPathComponent(name).path, 0o600) == 0) }
        try copy("pc42-split.E01", "x.E01")
        try copy("pc42-split.E02", "x.E02")
        fifo("x.E03")
        try copy("pc42-dynamic.vhd", "t.001")
        fifo("t.002")
        try copy("pc42.raw.001", "r.001")
        fifo("r.002")
        let targets = ["x.E01", "x.E02", "t.001", "r.001"].map { folder.appendingPathComponent($0).path }
        let run = try CLITests.run(["scan", "--format", "json", "--target-timeout", "60s"] + targets)
        let reports = try #require(try run.json()["targets"] as? [[String: Any]])
        let rules = reports.map { (($0["reasons"] as? [[String: Any]])?.first?["rule"] as? String) ?? "" }
        #expect(rules == ["image-refused", "image-refused", "", "image-refused"], "\(rules)")
        #expect(reports[2]["verdict"] as? String == "patch-needed")
    }

    @Test func aSelfExtractingPackageIsReadAsAnArchiveAndRecorded() throws {
        let sfx = CLITests.root.appendingPathComponent("Fixtures/sfx")
        for name in ["arch97en-iexpress.exe", "arch97en-appended.exe"] {
            let run = try CLITests.run(["scan", "--format", "json", sfx.appendingPathComponent(name).path])
            #expect(run.status == 0, "\(name)")
            let target = try #require((try run.json()["targets"] as? [[String: Any]])?.first)
            #expect(target["verdict"] as? String == "up-to-date", "\(name)")
        }
        let plain = try CLITests.run(["scan", sfx.appendingPathComponent("plain-stub.exe").path])
        #expect(plain.status == 3)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("patchaudit-sfx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let manifest = folder.appendingPathComponent("from-sfx.json").path
        let build = try CLITests.run(["manifest", "build", "--from", sfx.appendingPathComponent("arch97en-iexpress.exe").path,
                                      "--id", "from-sfx", "--output", manifest])
        #expect(build.status == 0, "\(build.stderr)")
        let data = try Data(contentsOf: URL(fileURLWithPath: manifest))
        let files = try #require((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["files"] as? [[String: Any]])
        let recorded = files.flatMap { ($0["builds"] as? [[String: Any]]) ?? [] }
            .filter { ($0["source"] as? String)?.hasPrefix("recorded from") == true }
        #expect(recorded.count == 5)
        #expect(recorded.allSatisfy { $0["label"] as? String == "known-good" && ($0["sha256"] as? String)?.count == 64 })
    }
}
