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

        let noKey = try CLITests.run(["scan", Self.tree("up-to-date-sr1"), "--require-signed"])
        #expect(noKey.status == 64 && noKey.stderr.contains("--trusted-key"))
        let notAKey = try CLITests.run(["scan", Self.tree("up-to-date-sr1"), "--trusted-key", work.manifest])
        #expect(notAKey.status == 64 && notAKey.stderr.contains("PUBLIC KEY") && notAKey.stdout.isEmpty)
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
        #expect(try Data(contentsOf: URL(fileURLWithPath: work.manifest)) == before, "the same build twice is one entry; output is deterministic")
        let more = try CLITests.run(["manifest", "build", "--from", Self.tree("altered-restamped"), "--label", "damaged", "--into", work.manifest])
        #expect(more.status == 78, "the six shared files are known-good already: \(more.stderr)")
        #expect(more.stderr.contains("already recorded as \"known-good\"") && more.stderr.contains("Nothing was written"))
        // An unpatched machine that is intact: five new builds, OUTLOOK.EXE and EMSUIX32.DLL are the same bytes.
        let added = try CLITests.run(["manifest", "build", "--from", Self.tree("patch-needed-sr1"), "--into", work.manifest])
        #expect(added.status == 0, "\(added.stderr)")
        #expect(added.stderr.contains("recorded 5 build(s)") && added.stderr.contains("2 already recorded"))
        #expect(added.stderr.contains("no longer matches") && added.stderr.contains("sign it again"))
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

    /// A device named as the output is written through, never replaced by a file (a rename
    /// over /dev/null once turned it into a regular file on a test machine).
    @Test func devicesAreWrittenThroughNotReplaced() throws {
        for device in ["/dev/null", "/dev/full"] where FileManager.default.fileExists(atPath: device) {
            let run = try CLITests.run(["manifest", "build", "--from", Self.tree("up-to-date-sr1"), "--output", device])
            #expect(run.status == (device == "/dev/null" ? 0 : 74), "\(device): \(run.stderr)")
            var status = stat()
            #expect(lstat(device, &status) == 0 && (status.st_mode & S_IFMT) == S_IFCHR, "\(device) is still a character device")
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
        #expect(broken.status == 78 && broken.stderr.contains("bad-hex.hashdeep:9:") && broken.stderr.contains("Nothing was written"))

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
    }
}
