import Foundation
import Testing

/// `scan --digests`: SHA-256 always, SHA-1 and MD5 only where asked for or needed (issue 10,
/// part 9). Digests are checked against coreutils' `sha256sum`, `sha1sum` and `md5sum` of the
/// fixture tree's files, run here: an implementation independent of the one under test.
@Suite struct DigestCLITests {
    static let tree = CLITests.trees.appendingPathComponent("up-to-date-sr1")

    /// The same tree as a folder, a deflated zip, a stored zip and a tar.gz: each reader's path.
    static let targets = ["Fixtures/trees/up-to-date-sr1", "Fixtures/archives/zip/up-to-date-sr1.zip",
                          "Fixtures/archives/stored-zip/up-to-date-sr1.stored.zip", "Fixtures/archives/tar.gz/up-to-date-sr1.tar.gz"]

    /// Every file of a scanned target with digests, by path inside the target.
    static func files(_ report: [String: Any]) -> [String: [String: Any]] {
        let installations = report["installations"] as? [[String: Any]] ?? []
        let evaluations = installations.flatMap { $0["evaluations"] as? [[String: Any]] ?? [] }
        var found: [String: [String: Any]] = [:]
        for file in evaluations.flatMap({ $0["files"] as? [[String: Any]] ?? [] }) + (report["strayFiles"] as? [[String: Any]] ?? []) {
            if let path = file["path"] as? String, file["sha256"] != nil { found[path] = file }
        }
        return found
    }

    /// `TOOL FILE...` (sha256sum, sha1sum, md5sum) over the tree's files: digest by relative path.
    static func coreutils(_ tool: String) throws -> [String: String] {
        let paths = try FileManager.default.subpathsOfDirectory(atPath: tree.path).filter {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: tree.appendingPathComponent($0).path, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool, "--"] + paths
        process.currentDirectoryURL = tree
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        var digests: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2 else { continue }
            digests[String(parts[1].drop { $0 == " " || $0 == "*" })] = String(parts[0])
        }
        #expect(digests.count == paths.count, "\(tool): \(text)")
        return digests
    }

    static func scan(_ target: String, _ extra: [String] = []) throws -> [String: [String: Any]] {
        let run = try CLITests.run(["scan", CLITests.root.appendingPathComponent(target).path, "--format", "json"] + extra)
        #expect(run.status == 0, "\(run.stderr)")
        let report = try #require((try run.json()["targets"] as? [[String: Any]])?.first)
        return files(report)
    }

    @Test(arguments: targets)
    func scanReportsSHA256AndNoOtherDigestsByDefault(target: String) throws {
        let sha256 = try Self.coreutils("sha256sum")
        let files = try Self.scan(target)
        #expect(files.count == 7)
        for (path, file) in files {
            #expect(file["sha256"] as? String == sha256[path], "\(target): \(path)")
            #expect(file["sha1"] == nil && file["md5"] == nil, "\(target): \(path) carries digests nobody asked for")
        }
    }

    @Test(arguments: targets)
    func digestsOptionAddsSHA1AndMD5(target: String) throws {
        let (sha256, sha1, md5) = (try Self.coreutils("sha256sum"), try Self.coreutils("sha1sum"), try Self.coreutils("md5sum"))
        let files = try Self.scan(target, ["--digests", "md5,sha1"])
        #expect(files.count == 7)
        for (path, file) in files {
            #expect(file["sha256"] as? String == sha256[path], "\(target): \(path)")
            #expect(file["sha1"] as? String == sha1[path], "\(target): \(path)")
            #expect(file["md5"] as? String == md5[path], "\(target): \(path)")
        }
        let onlyMD5 = try Self.scan(target, ["--digests", "sha256,md5"])
        #expect(onlyMD5.values.allSatisfy { $0["sha1"] == nil && $0["md5"] is String })
    }

    @Test func unknownDigestIsAUsageError() throws {
        let run = try CLITests.run(["scan", Self.tree.path, "--digests", "sha512"])
        #expect(run.status == 64)
        #expect(run.stderr.contains("--digests"))
    }

    /// hashdeep lists carry MD5: `--format hashdeep` computes it without being asked.
    @Test(arguments: [targets[0], targets[1]])
    func hashdeepFormatStillHasMD5(target: String) throws {
        let (sha256, md5) = (try Self.coreutils("sha256sum"), try Self.coreutils("md5sum"))
        let targetPath = CLITests.root.appendingPathComponent(target).path
        let run = try CLITests.run(["scan", targetPath, "--format", "hashdeep"])
        #expect(run.status == 0)
        let rows = run.text.split(separator: "\n").filter { !$0.hasPrefix("%%%%") && !$0.hasPrefix("#") }
        #expect(rows.count == 7)
        for row in rows {
            // size,md5,sha256,TARGET/PATH
            let fields = row.split(separator: ",", maxSplits: 3).map(String.init)
            try #require(fields.count == 4)
            let path = String(fields[3].dropFirst(targetPath.count + 1))
            #expect(fields[1] == md5[path] && fields[2] == sha256[path], "\(row)")
        }
    }

    /// A manifest whose builds were imported from a hashdeep list of MD5s alone (`hashdeep -c
    /// md5`) still vouches for the files: the scan computes MD5 because the manifest needs it.
    @Test func buildsRecordedByMD5AloneStillMatch() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("patchaudit-digests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let md5 = try Self.coreutils("md5sum")
        var list = "%%%% HASHDEEP-1.0\n%%%% size,md5,filename\n## $ hashdeep -c md5 -l -r up-to-date-sr1\n##\n"
        for (path, digest) in md5.sorted(by: { $0.key < $1.key }) {
            let size = try FileManager.default.attributesOfItem(atPath: Self.tree.appendingPathComponent(path).path)[.size] as? Int ?? -1
            list += "\(size),\(digest),up-to-date-sr1/\(path)\n"
        }
        let listPath = folder.appendingPathComponent("md5-only.hashdeep").path
        try Data(list.utf8).write(to: URL(fileURLWithPath: listPath))
        let manifest = folder.appendingPathComponent("md5-only.json").path
        let imported = try CLITests.run(["manifest", "import-hashdeep", listPath, "--id", "md5-only", "--output", manifest])
        #expect(imported.status == 0 && imported.stderr.contains("imported 7 build(s)"), "\(imported.stderr)")

        for target in [Self.targets[0], Self.targets[1]] {
            let files = try Self.scan(target, ["--manifest", manifest])
            #expect(files.count == 7)
            for (path, file) in files {
                let baseline = file["baseline"] as? [String: Any]
                #expect(baseline?["result"] as? String == "matched", "\(target): \(path): \(file)")
                #expect(file["md5"] as? String == md5[path] && file["sha1"] == nil, "\(target): \(path)")
            }
        }
    }
}
