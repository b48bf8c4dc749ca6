import Foundation
import Testing

/// End-to-end: the admin's workflow (baseline, lint, sign, scan with --require-signed) and each
/// refusal, through the built binary, with exit statuses and messages as a user meets them.
@Suite struct ManifestCLITests {
    static let trees = CLITests.trees
    static func tree(_ name: String) -> String { trees.appendingPathComponent(name).path }

    /// A scratch folder holding a baseline of up-to-date-sr1, a key pair and the baseline's signature.
    struct Workspace {
        let folder: URL
        var manifest: String { folder.appendingPathComponent("acme.json").path }
        var key: String { folder.appendingPathComponent("acme.key").path }
        var pub: String { folder.appendingPathComponent("acme.pub").path }
        var fingerprint = ""

        init(sign: Bool = true) throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("patchaudit-cli-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let build = try CLITests.run(["manifest", "build", "--from", ManifestCLITests.tree("up-to-date-sr1"), "--id", "acme-ol97", "--output", manifest])
            #expect(build.status == 0, "\(build.stderr)")
            #expect(build.stderr.contains("recorded 7 build(s) as known-good"))
            let keygen = try CLITests.run(["manifest", "keygen", folder.appendingPathComponent("acme").path])
            #expect(keygen.status == 0, "\(keygen.stderr)")
            fingerprint = keygen.text.split(separator: "\n").last.map { String($0.dropFirst("fingerprint ".count)) } ?? ""
            #expect(fingerprint.hasPrefix("ed25519:"))
            if sign {
                let signed = try CLITests.run(["manifest", "sign", "--key", key, manifest])
                #expect(signed.status == 0, "\(signed.stderr)")
            }
        }

        func remove() { try? FileManager.default.removeItem(at: folder) }
    }

    @Test func signedBaselineScansTheFleet() throws {
        let work = try Workspace()
        defer { work.remove() }
        let verify = try CLITests.run(["manifest", "verify", "--trusted-key", work.pub, work.manifest])
        #expect(verify.status == 0 && verify.text.contains("verified, signed by \(work.fingerprint)"))

        let good = try CLITests.run(["scan", Self.tree("up-to-date-sr1"), Self.tree("altered-restamped"), "--manifest", work.manifest,
                                     "--require-signed", "--trusted-key", work.pub, "--format", "json"])
        #expect(good.status == 1, "\(good.stderr)")
        let document = try good.json()
        let targets = try #require(document["targets"] as? [[String: Any]])
        #expect(targets.map { $0["verdict"] as? String } == ["up-to-date", "patch-needed"])
        let manifests = try #require(document["manifests"] as? [[String: Any]])
        #expect(manifests.count == 1)
        #expect(manifests.first?["id"] as? String == "acme-ol97")
        #expect(manifests.first?["signer"] as? String == work.fingerprint)
        #expect((manifests.first?["sha256"] as? String)?.count == 64)
        let altered = try #require(targets.last)
        let files = (altered["installations"] as? [[String: Any]])?.first?["evaluations"] as? [[String: Any]]
        let emsmdb = (files?.first?["files"] as? [[String: Any]])?.first { $0["name"] as? String == "emsmdb32.dll" }
        #expect(emsmdb?["status"] as? String == "damaged")
        #expect((emsmdb?["baseline"] as? [String: Any])?["result"] as? String == "mismatch")

        // Without the baseline the same copy passes: only the recorded hash finds the alteration.
        let plain = try CLITests.run(["scan", Self.tree("altered-restamped")])
        #expect(plain.status == 0)
    }

    @Test func oneChangedByteInASignedManifestIsRefused() throws {
        let work = try Workspace()
        defer { work.remove() }
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: work.manifest)))
        let index = try #require(bytes.lastIndex(of: UInt8(ascii: "7")))
        bytes[index] = UInt8(ascii: "8")
        try Data(bytes).write(to: URL(fileURLWithPath: work.manifest))
        let scan = try CLITests.run(["scan", Self.tree("up-to-date-sr1"), "--manifest", work.manifest, "--require-signed", "--trusted-key", work.pub])
        #expect(scan.status == 78)
        #expect(scan.stdout.isEmpty)
        #expect(scan.stderr.contains(work.manifest) && scan.stderr.contains("changed after it was signed") && scan.stderr.contains("Nothing was scanned"))
        // A trusted key given without --require-signed still refuses a signature that fails.
        let loose = try CLITests.run(["scan", Self.tree("up-to-date-sr1"), "--manifest", work.manifest, "--trusted-key", work.pub])
        #expect(loose.status == 78)
        let verify = try CLITests.run(["manifest", "verify", "--trusted-key", work.pub, work.manifest])
        #expect(verify.status == 78 && verify.stderr.contains("changed after it was signed"))
    }

    @Test func unsignedAndWronglySignedManifestsAreRefused() throws {
        let work = try Workspace(sign: false)
        defer { work.remove() }
        let unsigned = try CLITests.run(["scan", Self.tree("up-to-date-sr1"), "--manifest", work.manifest, "--require-signed", "--trusted-key", work.pub])
        #expect(unsigned.status == 78 && unsigned.stdout.isEmpty)
        #expect(unsigned.stderr.contains("is not signed") && unsigned.stderr.contains("manifest sign --key"))

        // The shipped manifests are unsigned: --require-signed refuses them too.
        let shipped = try CLITests.run(["scan", Self.tree("up-to-date-sr1"), "--require-signed", "--trusted-key", work.pub])
        #expect(shipped.status == 78 && shipped.stderr.contains("outlook97-archive-patch.json"))

        // Signed by another key.
        let other = work.folder.appendingPathComponent("other").path
        #expect(try CLITests.run(["manifest", "keygen", other]).status == 0)
        #expect(try CLITests.run(["manifest", "sign", "--key", other + ".key", work.manifest]).status == 0)
        let wrong = try CLITests.run(["scan", Self.tree("up-to-date-sr1"), "--manifest", work.manifest, "--require-signed", "--trusted-key", work.pub])
        #expect(wrong.status == 78 && wrong.stderr.contains("not a trusted key") && wrong.stderr.contains(work.fingerprint))

        // A trusted key alone already requires signatures: deleting a .sig is no way around one.
        try? FileManager.default.removeItem(atPath: work.manifest + ".sig")
        let deleted = try CLITests.run(["scan", Self.tree("up-to-date-sr1"), "--manifest", work.manifest, "--trusted-key", work.pub])
        #expect(deleted.status == 78 && deleted.stderr.contains("is not signed"))

        let noKey = try CLITests.run(["scan", Self.tree("up-to-date-sr1"), "--require-signed"])
        #expect(noKey.status == 64 && noKey.stderr.contains("--trusted-key"))
        let notAKey = try CLITests.run(["scan", Self.tree("up-to-date-sr1"), "--trusted-key", work.manifest])
        #expect(notAKey.status == 64 && notAKey.stderr.contains("PUBLIC KEY") && notAKey.stdout.isEmpty)
    }

    @Test func signGoesOnPastAManifestItCannotSign() throws {
        let work = try Workspace(sign: false)
        defer { work.remove() }
        let bad = work.folder.appendingPathComponent("bad.json").path
        try Data(#"{"formatVersion": 1, "id": "x", "id": "y"}"#.utf8).write(to: URL(fileURLWithPath: bad))
        let run = try CLITests.run(["manifest", "sign", "--key", work.key, bad, work.manifest])
        #expect(run.status == 78 && run.stderr.contains("1 of 2 manifest(s) not signed") && run.stderr.contains("given twice"))
        #expect(!FileManager.default.fileExists(atPath: bad + ".sig"))
        #expect(try CLITests.run(["manifest", "verify", "--trusted-key", work.pub, work.manifest]).status == 0)
    }

    @Test func keygenLeavesNoHalfPair() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("patchaudit-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let name = folder.appendingPathComponent("k").path
        try FileManager.default.createSymbolicLink(atPath: name + ".pub", withDestinationPath: folder.appendingPathComponent("nowhere").path)
        let run = try CLITests.run(["manifest", "keygen", name])
        #expect(run.status == 64 && run.stderr.contains("k.pub already exists"))
        #expect(!FileManager.default.fileExists(atPath: name + ".key"))
    }

    @Test func keysAreNeverOverwrittenAndMustBePrivate() throws {
        let work = try Workspace(sign: false)
        defer { work.remove() }
        let again = try CLITests.run(["manifest", "keygen", work.folder.appendingPathComponent("acme").path])
        #expect(again.status == 64 && again.stderr.contains("never overwritten"))
        var status = stat()
        #expect(stat(work.key, &status) == 0 && status.st_mode & 0o777 == 0o600)
        chmod(work.key, 0o644)
        let sign = try CLITests.run(["manifest", "sign", "--key", work.key, work.manifest])
        #expect(sign.status == 64 && sign.stderr.contains("chmod 600"))
        #expect(!FileManager.default.fileExists(atPath: work.manifest + ".sig"))
    }

    @Test func buildIntoIsIdempotentAndWarnsOfAStaleSignature() throws {
        let work = try Workspace()
        defer { work.remove() }
        let before = try Data(contentsOf: URL(fileURLWithPath: work.manifest))
        let same = try CLITests.run(["manifest", "build", "--from", Self.tree("up-to-date-sr1"), "--into", work.manifest])
        #expect(same.status == 0)
        #expect(same.stderr.contains("recorded 0 build(s)") && same.stderr.contains("7 already recorded"))
        #expect(!same.stderr.contains("no longer matches"), "nothing was written, so the signature still holds")
        #expect(try CLITests.run(["manifest", "verify", "--trusted-key", work.pub, work.manifest]).status == 0)
        chmod(work.manifest, 0o600)
        #expect(try Data(contentsOf: URL(fileURLWithPath: work.manifest)) == before, "the same build twice is one entry; output is deterministic")
        let more = try CLITests.run(["manifest", "build", "--from", Self.tree("altered-restamped"), "--label", "damaged", "--into", work.manifest])
        #expect(more.status == 78, "the six shared files are known-good already: \(more.stderr)")
        #expect(more.stderr.contains("already recorded as \"known-good\"") && more.stderr.contains("Nothing was written"))
        // An unpatched machine that is intact: five new builds, OUTLOOK.EXE and EMSUIX32.DLL are the same bytes.
        let added = try CLITests.run(["manifest", "build", "--from", Self.tree("patch-needed-sr1"), "--into", work.manifest])
        #expect(added.status == 0, "\(added.stderr)")
        #expect(added.stderr.contains("recorded 5 build(s)") && added.stderr.contains("2 already recorded"))
        #expect(added.stderr.contains("no longer matches") && added.stderr.contains("sign it again"))
        var status = stat()
        #expect(stat(work.manifest, &status) == 0 && status.st_mode & 0o777 == 0o600, "a rewrite keeps the file's mode")
        let renamed = try CLITests.run(["manifest", "build", "--from", Self.tree("patch-needed-sr1"), "--into", work.manifest, "--id", "other"])
        #expect(renamed.status == 64 && renamed.stderr.contains("keeps its id and title"))
        let retitled = try CLITests.run(["manifest", "build", "--from", Self.tree("patch-needed-sr1"), "--into", work.manifest, "--title", "x"])
        #expect(retitled.status == 64)
        let verify = try CLITests.run(["manifest", "verify", "--trusted-key", work.pub, work.manifest])
        #expect(verify.status == 78)
    }

    @Test func buildRefusalsNameTheirCause() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("patchaudit-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("m.json").path
        let missing = try CLITests.run(["manifest", "build", "--from", folder.appendingPathComponent("nope").path, "--output", out])
        #expect(missing.status == 3 && missing.stderr.contains("does not exist") && missing.stderr.contains("Nothing was recorded"))
        #expect(!FileManager.default.fileExists(atPath: out))

        let damaged = try CLITests.run(["manifest", "build", "--from", Self.tree("patch-needed-flipped"), "--output", out])
        #expect(damaged.status == 2)
        #expect(damaged.stderr.contains("not recorded:") && damaged.stderr.contains("--label damaged"))
        let lint = try CLITests.run(["manifest", "lint", out])
        #expect(lint.status == 0, "what was recorded is a valid manifest: \(lint.text)")

        let inside = try CLITests.run(["manifest", "build", "--from", Self.tree("up-to-date-sr1"), "--output", Self.tree("up-to-date-sr1") + "/m.json"])
        #expect(inside.status == 64 && inside.stderr.contains("outside the evidence"))
        let badID = try CLITests.run(["manifest", "build", "--from", Self.tree("up-to-date-sr1"), "--id", "Acme OL97"])
        #expect(badID.status == 64 && badID.stderr.contains("$.id") && badID.stdout.isEmpty)
    }

    /// A FIFO named as the output is written through, never replaced by a file; without a
    /// reader it is an error (74), not a hang, for `scan` and `manifest build` alike.
    @Test func aFIFOIsWrittenThroughNotReplaced() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("patchaudit-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let fifo = folder.appendingPathComponent("out.fifo").path
        #expect(mkfifo(fifo, 0o600) == 0)
        for arguments in [["manifest", "build", "--from", Self.tree("up-to-date-sr1")], ["scan", Self.tree("up-to-date-sr1")]] {
            let noReader = try CLITests.run(arguments + ["--output", fifo])
            #expect(noReader.status == 74 && noReader.stderr.contains("FIFO with no reader"), "\(arguments): \(noReader.stderr)")
        }
        // The test is the reader: its end is open before the writer starts (the output fits the pipe buffer).
        let reader = open(fifo, O_RDONLY | O_NONBLOCK)
        #expect(reader >= 0)
        defer { close(reader) }
        let run = try CLITests.run(["manifest", "build", "--from", Self.tree("up-to-date-sr1"), "--output", fifo])
        #expect(run.status == 0, "\(run.stderr)")
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let got = read(reader, &buffer, buffer.count)
            if got <= 0 { break }
            received += buffer[0..<got]
        }
        #expect(String(decoding: received, as: UTF8.self).contains("\"label\": \"known-good\""))
        var status = stat()
        #expect(lstat(fifo, &status) == 0 && (status.st_mode & S_IFMT) == S_IFIFO, "still a FIFO")
    }

    /// A character device named as the output is written through, never replaced: a pseudo
    /// terminal of the test's own, so a regression could not harm a shared device.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/dev/ptmx"), "needs pseudo terminals (/dev/ptmx)"))
    func aDeviceIsWrittenThroughNotReplaced() throws {
        // /dev/ptmx with the two ioctls behind unlockpt(3) and ptsname(3) (Glibc does not export them to Swift).
        let master = open("/dev/ptmx", O_RDWR | O_NOCTTY)
        #expect(master >= 0)
        guard master >= 0 else { return }
        defer { close(master) }
        var unlock: Int32 = 0, number: UInt32 = 0
        #expect(ioctl(master, 0x4004_5431 /* TIOCSPTLCK */, &unlock) == 0)
        #expect(ioctl(master, 0x8004_5430 /* TIOCGPTN */, &number) == 0)
        let device = "/dev/pts/\(number)"
        // The terminal must not translate or echo: raw mode on the device's side.
        let slave = open(device, O_RDWR | O_NOCTTY)
        var settings = termios()
        tcgetattr(slave, &settings)
        cfmakeraw(&settings)
        tcsetattr(slave, TCSANOW, &settings)
        let run = try CLITests.run(["manifest", "build", "--from", Self.tree("up-to-date-sr1"), "--output", device])
        close(slave)
        #expect(run.status == 0, "\(run.stderr)")
        var status = stat()
        #expect(lstat(device, &status) == 0 && (status.st_mode & S_IFMT) == S_IFCHR, "\(device) is still a character device")
        _ = fcntl(master, F_SETFL, O_NONBLOCK)
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var received: [UInt8] = []
        while true {
            let got = read(master, &buffer, buffer.count)
            if got <= 0 { break }
            received += buffer[0..<got]
        }
        #expect(String(decoding: received, as: UTF8.self).contains("\"formatVersion\": 1"))
    }

    /// Neither results nor manifests are ever written into the evidence, whatever path leads there.
    @Test func outputsThatTouchTheEvidenceAreRefused() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("patchaudit-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let archive = folder.appendingPathComponent("pc42.zip").path
        try FileManager.default.copyItem(atPath: CLITests.root.appendingPathComponent("Fixtures/archives/zip/up-to-date-sr1.zip").path, toPath: archive)
        let before = try Data(contentsOf: URL(fileURLWithPath: archive))
        let tree = folder.appendingPathComponent("tree").path
        try FileManager.default.copyItem(atPath: Self.tree("up-to-date-sr1"), toPath: tree)
        let link = folder.appendingPathComponent("innocent.json").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: tree + "/WINDOWS/SYSTEM/EMSMDB32.DLL")
        let hardLink = folder.appendingPathComponent("hard.json").path
        #expect(Foundation.link(archive, hardLink) == 0)
        // A hard link to a file inside the tree, a link followed by "..", a manifest as output.
        let innerLink = folder.appendingPathComponent("inner.out").path
        #expect(Foundation.link(tree + "/WINDOWS/SYSTEM/EMSMDB32.DLL", innerLink) == 0)
        try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent("sysl").path, withDestinationPath: tree + "/WINDOWS/SYSTEM")
        let manifest = folder.appendingPathComponent("m.json").path
        #expect(try CLITests.run(["manifest", "build", "--from", Self.tree("up-to-date-sr1"), "--id", "m", "--output", manifest]).status == 0)
        let manifestBefore = try Data(contentsOf: URL(fileURLWithPath: manifest))
        let cases: [([String], String?, String)] = [
            (["manifest", "build", "--from", archive, "--output", archive], nil, "evidence"),
            (["manifest", "build", "--from", archive, "--output", hardLink], nil, "evidence"),
            (["manifest", "build", "--from", tree, "--output", link], nil, "evidence"),
            (["manifest", "build", "--from", tree, "--output", folder.appendingPathComponent("sysl/../../out.json").path], nil, "evidence"),
            (["manifest", "build", "--from", "-", "--output", archive], archive, "standard input"),
            (["scan", archive, "--output", archive], nil, "evidence"),
            (["scan", archive + "/", "--output", archive], nil, "evidence"),
            (["scan", tree, "--output", link], nil, "evidence"),
            (["scan", tree, "--output", folder.appendingPathComponent("sysl/../out.json").path], nil, "evidence"),
            (["scan", tree, "--output", innerLink], nil, "hard links"),
            (["scan", "-", "--output", archive], archive, "standard input"),
            (["scan", tree, "--manifest", manifest, "--output", manifest], nil, "an input of this command"),
        ]
        for (arguments, stdin, message) in cases {
            let run = try CLITests.run(arguments, stdin: stdin)
            #expect(run.status == 64 && run.stderr.contains(message), "\(arguments): \(run.status) \(run.stderr)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: manifest)) == manifestBefore)
        #expect(!FileManager.default.fileExists(atPath: tree + "/WINDOWS/out.json") && !FileManager.default.fileExists(atPath: tree + "/out.json"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: archive)) == before)
        #expect(try Data(contentsOf: URL(fileURLWithPath: tree + "/WINDOWS/SYSTEM/EMSMDB32.DLL"))
                == Data(contentsOf: URL(fileURLWithPath: Self.tree("up-to-date-sr1") + "/WINDOWS/SYSTEM/EMSMDB32.DLL")))
    }

    /// The .sig path is derived, not chosen: a link or a FIFO there is refused, never written through.
    @Test func aSignatureIsNeverWrittenThroughALinkOrFIFO() throws {
        let work = try Workspace(sign: false)
        defer { work.remove() }
        let victim = work.folder.appendingPathComponent("victim.txt").path
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: victim))
        try FileManager.default.createSymbolicLink(atPath: work.manifest + ".sig", withDestinationPath: victim)
        let linked = try CLITests.run(["manifest", "sign", "--key", work.key, work.manifest])
        #expect(linked.status == 74 && linked.stderr.contains("not a regular file"))
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "keep me")
        try FileManager.default.removeItem(atPath: work.manifest + ".sig")
        #expect(mkfifo(work.manifest + ".sig", 0o600) == 0)
        let fifo = try CLITests.run(["manifest", "sign", "--key", work.key, work.manifest])
        #expect(fifo.status == 74 && fifo.stderr.contains("not a regular file"))
    }

    /// Control characters from a manifest never reach the terminal raw.
    @Test func messagesEscapeControlCharacters() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("patchaudit-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("esc.json").path
        try Data(#"{"formatVersion": 1, "\u001b]0;PWNED\u0007\u001b[2J\nrecorded 7 build(s) as known-good": 1}"#.utf8).write(to: URL(fileURLWithPath: path))
        for arguments in [["scan", Self.tree("up-to-date-sr1"), "--manifest", path], ["manifest", "build", "--from", Self.tree("up-to-date-sr1"), "--base", path]] {
            let run = try CLITests.run(arguments)
            #expect(run.status == 78)
            #expect(!run.stderr.contains("\u{1b}") && !run.stderr.contains("\u{07}") && run.stderr.contains("\\u{1b}"), "\(arguments)")
            #expect(!run.stderr.split(separator: "\n").contains { $0.hasPrefix("recorded") }, "a quoted newline cannot fake a line: \(run.stderr)")
        }
    }

    @Test func lintListsProblemsAndPassesTheShippedManifests() throws {
        let shipped = try CLITests.run(["manifest", "lint"])
        #expect(shipped.status == 0 && shipped.text.contains("outlook97-archive-patch.json: ok, 0 error(s), 0 warning(s)"))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("patchaudit-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("bad.json").path
        let text = try String(contentsOf: CLITests.root.appendingPathComponent("Manifests/outlook97-archive-patch.json"), encoding: .utf8)
            .replacingOccurrences(of: #""label": "original""#, with: #""label": "orignal""#)
            .replacingOccurrences(of: #""patchedVersion": "5.5.2551.0""#, with: #""patchedVersion": "5.5.2551.0", "sha256": "x""#)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let lint = try CLITests.run(["manifest", "lint", path])
        #expect(lint.status == 78)
        let lines = lint.text.split(separator: "\n").filter { $0.contains(": error: ") }
        #expect(lines.count == 5, "four bad labels and one unknown field, each listed: \(lint.text)")
        #expect(lines.contains { $0.hasPrefix("\(path): $.files[0].builds[0].label: error: \"orignal\" is not a label: write one of") })
        #expect(lines.contains { $0.hasPrefix("\(path): $.files[3].sha256: error: unknown field") })
        let json = try CLITests.run(["manifest", "lint", path, "--format", "json"])
        let problems = ((try json.json()["manifests"] as? [[String: Any]])?.first?["problems"] as? [[String: Any]]) ?? []
        #expect(problems.count == 5 && problems.allSatisfy { $0["severity"] as? String == "error" && $0["jsonPath"] is String })
    }

    @Test func hashdeepImportAndExport() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("patchaudit-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let lists = CLITests.root.appendingPathComponent("Fixtures/hashdeep")
        let out = folder.appendingPathComponent("hd.json").path
        let imported = try CLITests.run(["manifest", "import-hashdeep", lists.appendingPathComponent("up-to-date-sr1.hashdeep").path, "--id", "hd", "--output", out])
        #expect(imported.status == 0 && imported.stderr.contains("imported 7 build(s)"), "\(imported.stderr)")
        let lint = try CLITests.run(["manifest", "lint", out])
        #expect(lint.status == 0 && lint.text.contains("7 warning(s)"), "version-less builds are warned about: \(lint.text)")
        let broken = try CLITests.run(["manifest", "import-hashdeep", lists.appendingPathComponent("broken/bad-hex.hashdeep").path, "--into", out])
        #expect(broken.status == 65 && broken.stderr.contains("bad-hex.hashdeep:9:") && broken.stderr.contains("Nothing was written"))
        let missing = try CLITests.run(["manifest", "import-hashdeep", folder.appendingPathComponent("nope.hashdeep").path, "--into", out])
        #expect(missing.status == 66 && missing.stderr.contains("could not be opened"))

        let exported = try CLITests.run(["scan", Self.tree("up-to-date-sr1"), "--format", "hashdeep"])
        #expect(exported.status == 0)
        let lines = exported.text.split(separator: "\n")
        #expect(lines.prefix(2) == ["%%%% HASHDEEP-1.0", "%%%% size,md5,sha256,filename"])
        #expect(lines.filter { !$0.hasPrefix("%%%%") && !$0.hasPrefix("##") }.count == 7)
        let listPath = folder.appendingPathComponent("exported.hashdeep").path
        try exported.stdout.write(to: URL(fileURLWithPath: listPath))
        let back = try CLITests.run(["manifest", "import-hashdeep", listPath, "--id", "back", "--output", folder.appendingPathComponent("back.json").path])
        #expect(back.status == 0 && back.stderr.contains("imported 7 build(s)"), "patchaudit reads its own export: \(back.stderr)")
    }

    @Test func listShowsWhatAScanWouldLoad() throws {
        let work = try Workspace()
        defer { work.remove() }
        let shipped = try CLITests.run(["manifest", "list"])
        #expect(shipped.status == 0)
        #expect(shipped.text.contains("outlook97-archive-patch") && shipped.text.contains("[shipped]") && shipped.text.contains("signature: unsigned"))
        let signed = try CLITests.run(["manifest", "list", "--manifest", work.manifest, "--trusted-key", work.pub, "--format", "json"])
        #expect(signed.status == 0)
        let entry = (try signed.json()["manifests"] as? [[String: Any]])?.first
        #expect(entry?["signature"] as? String == "verified" && entry?["signer"] as? String == work.fingerprint)
        #expect(entry?["recordedBuilds"] as? Int == 7 && entry?["origin"] as? String == "--manifest")
        let notChecked = try CLITests.run(["manifest", "list", "--manifest", work.manifest])
        #expect(notChecked.text.contains("not verified (give --trusted-key)"))
        // With a trusted key, list refuses what scan would refuse: the unsigned shipped manifests.
        let shippedWithKey = try CLITests.run(["manifest", "list", "--trusted-key", work.pub])
        #expect(shippedWithKey.status == 78 && shippedWithKey.text.contains("signature: unsigned") && shippedWithKey.text.contains("refused: "))
    }
}
