import Foundation
import Testing

/// End-to-end: runs the built `patchaudit` binary on the committed fixtures and checks its
/// output and exit status, as a fleet script would see them.
@Suite struct CLITests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let trees = root.appendingPathComponent("Fixtures/trees")

    struct Run {
        var status: Int32
        var stdout: Data
        var stderr: String
        var text: String { String(decoding: stdout, as: UTF8.self) }
        func json() throws -> [String: Any] {
            try #require(try JSONSerialization.jsonObject(with: stdout) as? [String: Any])
        }
        /// The ndjson lines, each an object.
        func lines() throws -> [[String: Any]] {
            try text.split(separator: "\n").map { line in
                try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            }
        }
    }

    /// The executable sits beside the test bundle in the build products folder.
    static var binary: URL {
        var folder = Bundle.main.bundleURL
        if folder.pathExtension == "xctest" { folder.deleteLastPathComponent() }
        return folder.appendingPathComponent("patchaudit")
    }

    static func run(_ arguments: [String], environment: [String: String] = [:], executable: String? = nil,
                    stdin: String? = nil, workingDirectory: String? = nil) throws -> Run {
        let process = Process()
        if let workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory) }
        process.executableURL = executable.map { URL(fileURLWithPath: $0) } ?? binary
        process.arguments = arguments
        if let stdin { process.standardInput = FileHandle(forReadingAtPath: stdin) }
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "PATCHAUDIT_MANIFEST_DIR")
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Standard error is read beside standard output: a child that fills one pipe while
        // nobody reads it (a sanitizer's report, say) would otherwise wait forever.
        let errors = Collected()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { errors.data = err.fileHandleForReading.readDataToEndOfFile() }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: stdout, stderr: String(decoding: errors.data, as: UTF8.self))
    }

    /// Bytes read on another thread (written there once, read after the group's wait).
    final class Collected: @unchecked Sendable {
        var data = Data()
    }

    struct Expected: Decodable, Sendable, CustomStringConvertible {
        var name: String
        var verdict: String
        var exitStatus: Int32
        var description: String { name }
    }

    static let expected: [Expected] = {
        struct File: Decodable { var trees: [Expected] }
        guard let data = try? Data(contentsOf: root.appendingPathComponent("Fixtures/expected.json")) else { return [] }
        return (try? JSONDecoder().decode(File.self, from: data).trees) ?? []
    }()

    @Test func binaryExists() {
        #expect(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build the package first: \(Self.binary.path)")
        #expect(Self.expected.count >= 20)
    }

    /// table, json and ndjson agree on each tree's verdict and the exit status.
    @Test(arguments: expected)
    func formatsAgree(_ tree: Expected) throws {
        let path = Self.trees.appendingPathComponent(tree.name).path
        let json = try Self.run(["scan", path, "--format", "json"])
        #expect(json.status == tree.exitStatus)
        let targets = try #require(try json.json()["targets"] as? [[String: Any]])
        #expect(targets.count == 1)
        #expect(targets.first?["verdict"] as? String == tree.verdict)
        #expect(targets.first?["target"] as? String == path)

        let ndjson = try Self.run(["scan", path, "--format", "ndjson"])
        #expect(ndjson.status == tree.exitStatus)
        let lines = ndjson.text.split(separator: "\n")
        #expect(lines.count == 1)
        let line = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(line["verdict"] as? String == tree.verdict)
        // The ndjson line is the same target object as in the json document, plus the
        // document's manifests (so each line says what it was judged against).
        var target = line
        let manifests = target.removeValue(forKey: "manifests") as? [[String: Any]]
        #expect(NSDictionary(dictionary: target).isEqual(to: targets[0]))
        let documentManifests = try #require(try json.json()["manifests"] as? [[String: Any]])
        #expect(manifests.map { NSArray(array: $0).isEqual(to: documentManifests) } == true)

        let table = try Self.run(["scan", path], environment: ["NO_COLOR": "1"])
        #expect(table.status == tree.exitStatus)
        let body = table.text.split(separator: "\n", omittingEmptySubsequences: false).drop { $0.hasPrefix("manifest ") || $0.isEmpty }
        #expect(table.text.hasPrefix("manifest outlook97-archive-patch: unsigned, sha256 "))
        #expect(body.joined(separator: "\n").hasPrefix("\(path)  \(tree.verdict.uppercased())"))
        #expect(!table.text.contains("\u{1b}["), "no colour when not on a terminal")
        for line in table.text.split(separator: "\n") where !line.contains("/") {
            #expect(line.count <= 80, "line wider than 80 columns: \(line)")
        }
    }

    @Test func evaluatedFilesCarryTheContractFields() throws {
        let run = try Self.run(["scan", Self.trees.appendingPathComponent("review-system-only").path, "--format", "json"])
        let target = try #require((try run.json()["targets"] as? [[String: Any]])?.first)
        let installations = try #require(target["installations"] as? [[String: Any]])
        let evaluations = try #require(installations.first?["evaluations"] as? [[String: Any]])
        let files = try #require(evaluations.first?["files"] as? [[String: Any]])
        #expect(files.count >= 6)
        for file in files {
            for key in ["name", "path", "status", "version", "size", "sha256"] {
                #expect(file.keys.contains(key), "file lacks \(key): \(file)")
            }
        }
        let missing = try #require(files.first { $0["status"] as? String == "missing" })
        #expect(missing["version"] is NSNull)
        let present = try #require(files.first { $0["name"] as? String == "emsmdb32.dll" })
        #expect(present["version"] as? String == "5.5.1960.3")
        #expect((present["sha256"] as? String)?.count == 64)
        #expect(present["size"] as? Int == 524_048)
    }

    @Test func missingTargetIsErrorWhileOthersAreStillScanned() throws {
        let good = Self.trees.appendingPathComponent("up-to-date-sr1").path
        let run = try Self.run(["scan", "/nonexistent/pc42", good, "--format", "ndjson"])
        #expect(run.status == 3)
        let verdicts = try run.text.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])["verdict"] as? String
        }
        #expect(verdicts == ["error", "up-to-date"])
    }

    @Test func exitStatusIsTheHighestAndFailOnLowersIt() throws {
        let paths = ["patch-needed-sr1", "review-unknown-build", "up-to-date-sr1"].map { Self.trees.appendingPathComponent($0).path }
        #expect(try Self.run(["scan"] + paths + ["--format", "json"]).status == 2)
        #expect(try Self.run(["scan", paths[0], paths[2], "--format", "json"]).status == 1)
        #expect(try Self.run(["scan"] + paths + ["--format", "json", "--fail-on", "none"]).status == 0)
        #expect(try Self.run(["scan", paths[0], "--format", "json", "--fail-on", "review"]).status == 0)
        #expect(try Self.run(["scan", paths[1], "--format", "json", "--fail-on", "review"]).status == 2)
        #expect(try Self.run(["scan", paths[1], "/nonexistent", "--format", "json", "--fail-on", "error"]).status == 3)
    }

    @Test func usageErrorsExit64() throws {
        #expect(try Self.run(["scan"]).status == 64)
        #expect(try Self.run(["scan", "x", "--format", "xml"]).status == 64)
        #expect(try Self.run(["scan", "x", "--fail-on", "sometimes"]).status == 64)
    }

    @Test func invalidManifestExits78AndScansNothing() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("patchaudit-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let manifest = directory.appendingPathComponent("bad.json")
        try Data(#"{"formatVersion": 1, "id": "x"}"#.utf8).write(to: manifest)
        let output = directory.appendingPathComponent("out.json")
        let run = try Self.run(["scan", Self.trees.appendingPathComponent("up-to-date-sr1").path,
                                "--manifest", manifest.path, "--format", "json", "--output", output.path])
        #expect(run.status == 78)
        #expect(run.stderr.contains(manifest.path))
        #expect(run.stderr.contains("required field"))
        #expect(!FileManager.default.fileExists(atPath: output.path))
    }

    @Test func explicitManifestReplacesTheShippedOnes() throws {
        let manifest = Self.root.appendingPathComponent("Manifests/outlook97-archive-patch.json").path
        let run = try Self.run(["scan", Self.trees.appendingPathComponent("up-to-date-sr1").path, "--manifest", manifest, "--format", "json"])
        #expect(run.status == 0)
        let manifests = try #require(try run.json()["manifests"] as? [[String: Any]])
        #expect(manifests.map { $0["id"] as? String } == ["outlook97-archive-patch"])
    }

    @Test func outputFileGetsTheResults() throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("patchaudit-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: output) }
        let run = try Self.run(["scan", Self.trees.appendingPathComponent("dual-boot").path, "--format", "json", "--output", output.path])
        #expect(run.status == 1)
        #expect(run.stdout.isEmpty)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: output)) as? [String: Any])
        #expect((document["targets"] as? [[String: Any]])?.first?["verdict"] as? String == "patch-needed")
    }

    @Test func inspectShowsWhatADLLSaysAboutItself() throws {
        let dll = Self.root.appendingPathComponent("Fixtures/dlls/emsmdb32-5.5.1960.3.dll").path
        let run = try Self.run(["inspect", "--format", "json", dll])
        #expect(run.status == 0)
        let file = try #require((try run.json()["files"] as? [[String: Any]])?.first)
        #expect(file["path"] as? String == dll)
        #expect(file["size"] as? Int == 524_048)
        #expect(file["fileVersion"] as? String == "5.5.1960.3")
        #expect(file["productVersion"] as? String == "5.5.1960.3")
        #expect(file["translations"] as? [String] == ["040904e4"])
        #expect((file["sha1"] as? String)?.count == 40)
        #expect((file["md5"] as? String)?.count == 32)
        let strings = try #require(file["strings"] as? [String: [String: String]])
        #expect(strings["040904e4"]?["OriginalFilename"]?.uppercased() == "EMSMDB32.DLL")
        let checksum = try #require(file["peChecksum"] as? [String: Int])
        #expect(checksum["stored"] == checksum["computed"])
        #expect(checksum["stored"] != 0)

        let table = try Self.run(["inspect", dll])
        #expect(table.text.contains("5.5.1960.3"))
    }

    @Test func inspectReportsNonPEFilesAndExits3() throws {
        let text = Self.root.appendingPathComponent("Fixtures/dlls/emsui32-notpe.dll").path
        let run = try Self.run(["inspect", "--format", "json", text])
        #expect(run.status == 3)
        let file = try #require((try run.json()["files"] as? [[String: Any]])?.first)
        #expect((file["error"] as? String)?.contains("not a PE image") == true)
        #expect(file["fileVersion"] is NSNull)
    }

    @Test func versionAndHelp() throws {
        let version = try Self.run(["--version"])
        #expect(version.status == 0)
        #expect(version.text.split(separator: ".").count == 3)
        let help = try Self.run(["scan", "--help"])
        #expect(help.text.contains("Examples:"))
        #expect(help.text.contains("--fail-on"))
        let completion = try Self.run(["--generate-completion-script", "bash"])
        #expect(completion.status == 0)
        #expect(completion.text.contains("patchaudit"))
    }
}

/// Cases that need the real process: permissions, write failures, the evidence boundary.
@Suite struct CLIBoundaryTests {
    /// A folder every user can reach (each ancestor searchable by others), for runs as another
    /// user: the checkout and TMPDIR may lie under 0700 folders (`mktemp -d`), which `nobody`
    /// cannot enter. nil when no such place exists here.
    static func placeEveryoneCanReach() -> URL? {
        let candidates = [FileManager.default.temporaryDirectory.path, "/tmp", "/var/tmp", "/dev/shm"]
        for candidate in candidates {
            var path = URL(fileURLWithPath: candidate).resolvingSymlinksInPath()
            var reachable = true
            while true {
                var status = stat()
                guard stat(path.path, &status) == 0, status.st_mode & S_IFMT == S_IFDIR, status.st_mode & 0o001 != 0 else {
                    reachable = false
                    break
                }
                if path.path == "/" { break }
                path.deleteLastPathComponent()
            }
            if reachable { return URL(fileURLWithPath: candidate).resolvingSymlinksInPath() }
        }
        return nil
    }

    /// Root reads everything, so the run drops to `nobody` (setpriv, util-linux). Everything that
    /// run needs (the binary, a manifest, the tree) is copied to a place `nobody` can reach first:
    /// the checkout itself may lie in a folder only root may enter.
    @Test(.enabled(if: geteuid() != 0 || placeEveryoneCanReach() != nil, "no folder here is reachable by other users"))
    func unreadableFileIsUnreadableNotMissing() throws {
        let manager = FileManager.default
        let base = geteuid() == 0 ? try #require(Self.placeEveryoneCanReach()) : manager.temporaryDirectory
        let directory = base.appendingPathComponent("patchaudit-perm-\(UUID().uuidString)")
        try manager.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? manager.removeItem(at: directory) }
        let tree = directory.appendingPathComponent("tree")
        try manager.copyItem(at: CLITests.trees.appendingPathComponent("up-to-date-sr1"), to: tree)
        let dll = tree.appendingPathComponent("WINDOWS/SYSTEM/EMSMDB32.DLL").path
        // An installed layout: <prefix>/bin/patchaudit finds <prefix>/share/patchaudit/manifests.
        let binary = directory.appendingPathComponent("bin/patchaudit")
        let manifests = directory.appendingPathComponent("share/patchaudit/manifests")
        try manager.createDirectory(at: binary.deletingLastPathComponent(), withIntermediateDirectories: true)
        try manager.createDirectory(at: manifests, withIntermediateDirectories: true)
        try manager.copyItem(at: CLITests.binary, to: binary)
        try manager.copyItem(at: CLITests.root.appendingPathComponent("Manifests/outlook97-archive-patch.json"),
                             to: manifests.appendingPathComponent("outlook97-archive-patch.json"))
        let enumerator = manager.enumerator(atPath: directory.path)
        var everything = [directory.path]
        while let relative = enumerator?.nextObject() as? String { everything.append(directory.appendingPathComponent(relative).path) }
        for path in everything {
            var status = stat()
            guard lstat(path, &status) == 0 else { continue }
            _ = chmod(path, status.st_mode & S_IFMT == S_IFDIR || path == binary.path ? 0o755 : 0o644)
        }
        #expect(chmod(dll, 0) == 0)
        var arguments = ["scan", tree.path, "--format", "json"]
        var executable = binary.path
        if geteuid() == 0 {
            arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", binary.path] + arguments
            executable = "/usr/bin/setpriv"
        }
        // The dropped user's working directory may be unreachable too: run from the copy.
        let run = try CLITests.run(arguments, executable: executable,
                                   workingDirectory: directory.path)
        #expect(run.status == 2, "\(run.stderr)")
        let text = run.text
        #expect(text.contains("\"status\" : \"unreadable\""))
        #expect(text.contains("permission denied"))
        #expect(!text.contains("\"status\" : \"missing\""))
        // The shipped manifest came from the copy, not from the checkout.
        #expect(text.contains(manifests.path))
    }

    @Test func aFailedWriteIsNeverAVerdictStatus() throws {
        guard FileManager.default.fileExists(atPath: "/dev/full") else { return }
        let run = try CLITests.run(["scan", CLITests.trees.appendingPathComponent("up-to-date-sr1").path, "--output", "/dev/full"])
        #expect(run.status == 74)
        #expect(run.stderr.contains("could not write"))
    }

    @Test func outputInsideTheEvidenceIsRefused() throws {
        let tree = CLITests.trees.appendingPathComponent("up-to-date-sr1")
        let run = try CLITests.run(["scan", tree.path, "--output", tree.appendingPathComponent("report.json").path])
        #expect(run.status == 64)
        #expect(!FileManager.default.fileExists(atPath: tree.appendingPathComponent("report.json").path))
    }
}

/// Archive targets through the binary: exit statuses, standard input.
@Suite struct CLIArchiveTests {
    static let archives = CLITests.root.appendingPathComponent("Fixtures/archives")

    @Test func anArchiveOnStandardInputIsScanned() throws {
        let run = try CLITests.run(["scan", "-", "--format", "ndjson"],
                                   stdin: Self.archives.appendingPathComponent("tar.gz/patch-needed-sr1.tar.gz").path)
        #expect(run.status == 1)
        let lines = try run.lines()
        #expect(lines.map { $0["target"] as? String } == ["-"])
        #expect(lines.map { $0["verdict"] as? String } == ["patch-needed"])
    }

    /// Issue 8's two findings, as our own fixtures: an end record claiming disk 65535 (a crash
    /// before) and a gzip stream libarchive 3.6.2 reads on and on (no answer in 100 s before).
    @Test(.timeLimit(.minutes(1)))
    func theCrashAndTheHangGetADocumentedExitStatus() throws {
        let folder = CLITests.root.appendingPathComponent("Fixtures/robustness")
        for name in ["eocd-disk-65535.zip", "gzip-endless-name.tar.gz", "gzip-long-name.tar.gz"] {
            let run = try CLITests.run(["scan", folder.appendingPathComponent(name).path, "--format", "json"])
            #expect(run.status == 3, "\(name): \(run.stderr)")
            let target = try #require((try run.json()["targets"] as? [[String: Any]])?.first)
            #expect(target["verdict"] as? String == "error")
            #expect(!(target["reasons"] as? [[String: Any]] ?? []).contains { $0["rule"] as? String == "worker-crashed" })
        }
    }

    @Test func oneBadArchiveDoesNotStopTheOthers() throws {
        let run = try CLITests.run(["scan", Self.archives.appendingPathComponent("broken/random.bin").path,
                                    Self.archives.appendingPathComponent("zip/up-to-date-sr1.zip").path, "--format", "ndjson"])
        #expect(run.status == 3)
        let verdicts = try run.text.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])["verdict"] as? String
        }
        #expect(verdicts == ["error", "up-to-date"])
    }
}
