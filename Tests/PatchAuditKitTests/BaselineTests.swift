import Foundation
import Testing
@testable import PatchAuditKit

/// Baselines from a known-good copy: hashes in verdicts (issue 4, parts 1, 2 and 7).
@Suite struct BaselineTests {
    static func outlook97() throws -> Manifest {
        try #require(try FixtureSupport.shippedManifests().first { $0.manifest.id == "outlook97-archive-patch" }?.manifest)
    }

    static func scanner(_ manifest: Manifest) -> TargetScanner {
        TargetScanner(configuration: ScanConfiguration(manifests: [LoadedManifest(manifest: manifest, path: "baseline.json", sha256: "")]))
    }

    /// A baseline recorded from `tree` with `label`, the way `manifest build` makes it.
    static func baseline(from tree: String, label: Manifest.Build.Label = .knownGood, into manifest: Manifest? = nil) throws -> ManifestBaseline.Outcome {
        let base = try manifest ?? outlook97()
        let scanned = scanner(base).inventory(target: FixtureSupport.trees.appendingPathComponent(tree).path)
        let (candidates, skipped) = ManifestBaseline.candidates(items: scanned.items, stray: Set(scanned.report.strayFiles.compactMap(\.path)),
                                                                manifest: base, label: label, target: tree)
        #expect(skipped.isEmpty, "\(skipped)")
        return try ManifestBaseline.record(candidates, into: base, file: "baseline.json")
    }

    static func finding(_ report: TargetReport, _ name: String) -> FileFinding? {
        report.installations.flatMap { $0.evaluations.flatMap(\.files) }.first { $0.name == name }
    }

    @Test func baselineRecordsEveryInstalledFileWithItsDigests() throws {
        let outcome = try Self.baseline(from: "up-to-date-sr1")
        #expect(outcome.added.count == 7)
        let emsmdb = try #require(outcome.manifest.rule(named: "emsmdb32.dll")?.builds.first { $0.hasDigests })
        let bytes = try [UInt8](Data(contentsOf: FixtureSupport.trees.appendingPathComponent("up-to-date-sr1/WINDOWS/SYSTEM/EMSMDB32.DLL")))
        let digests = FileDigests(of: bytes)
        #expect(emsmdb.sha256 == digests.sha256 && emsmdb.sha1 == digests.sha1 && emsmdb.md5 == digests.md5)
        #expect(emsmdb.version == FileVersion(5, 5, 2440, 0))
        #expect(emsmdb.size == Int64(bytes.count))
        #expect(emsmdb.label == .knownGood)
        #expect(emsmdb.source == "recorded from up-to-date-sr1: WINDOWS/SYSTEM/EMSMDB32.DLL")
        // The result passes lint and survives the writer.
        let text = ManifestWriter.json(outcome.manifest)
        #expect(ManifestLoader.check(data: Data(text.utf8), file: "b.json").problems.isEmpty)
        #expect(ManifestWriter.json(try ManifestLoader.parse(data: Data(text.utf8), file: "b.json")) == text)
    }

    /// The altered-and-restamped DLL: damaged against a baseline, up-to-date without one.
    @Test func alteredAndRestampedDLLIsDamagedOnlyAgainstABaseline() throws {
        let target = FixtureSupport.trees.appendingPathComponent("altered-restamped").path
        let without = Self.scanner(try Self.outlook97()).scan(target: target)
        #expect(without.verdict == .upToDate)
        let plain = try #require(Self.finding(without, "emsmdb32.dll"))
        #expect(plain.status == .patched)
        #expect(plain.peChecksum?.stored == plain.peChecksum?.computed, "the PE checksum alone sees nothing")
        #expect(plain.baseline == nil)

        let baseline = try Self.baseline(from: "up-to-date-sr1").manifest
        let with = Self.scanner(baseline).scan(target: target)
        #expect(with.verdict == .patchNeeded)
        let found = try #require(Self.finding(with, "emsmdb32.dll"))
        #expect(found.status == .damaged)
        #expect(found.baseline?.result == .mismatch)
        let recorded = try #require(baseline.rule(named: "emsmdb32.dll")?.builds.first { $0.hasDigests }?.sha256)
        #expect(found.baseline?.expectedSHA256 == [recorded])
        let reason = try #require(with.installations.first?.evaluations.first?.reasons.first { $0.rule == "baseline-mismatch" })
        #expect(reason.message.contains("claims 5.5.2440.0") && reason.message.contains(recorded)
                && reason.message.contains("recorded from up-to-date-sr1: WINDOWS/SYSTEM/EMSMDB32.DLL"))
        #expect(reason.found == found.sha256 && reason.verdict == .patchNeeded)
        // Every other file is vouched for by its recorded bytes.
        for file in with.installations.flatMap({ $0.evaluations.flatMap(\.files) }) where file.name != "emsmdb32.dll" {
            #expect(file.baseline?.result == .matched && file.baseline?.label == .knownGood, "\(file.name)")
        }
    }

    /// A build recorded by MD5 alone (a `hashdeep -c md5` list) is matched when the scan
    /// computes what the manifest needs, and only then: SHA-256 alone cannot vouch for it.
    @Test func buildRecordedByMD5AloneNeedsMD5Computed() throws {
        var manifest = try Self.baseline(from: "up-to-date-sr1").manifest
        for index in manifest.files.indices {
            manifest.files[index].builds = manifest.files[index].builds.map { build in
                var md5Only = build
                (md5Only.sha256, md5Only.sha1) = (nil, nil)
                return md5Only
            }
        }
        let loaded = [LoadedManifest(manifest: manifest, path: "md5-only.json", sha256: "")]
        let target = FixtureSupport.trees.appendingPathComponent("up-to-date-sr1").path
        func scan(_ digests: DigestSelection) -> TargetReport {
            var limits = ScanLimits()
            limits.digests = digests
            return TargetScanner(configuration: ScanConfiguration(manifests: loaded, limits: limits)).scan(target: target)
        }
        let needed = DigestSelection.forScan(requested: .sha256, format: .ndjson, manifests: [manifest])
        #expect(needed == [.sha256, .md5])
        let report = scan(needed)
        #expect(report.verdict == .upToDate)
        let files = report.installations.flatMap { $0.evaluations.flatMap(\.files) }.filter { $0.sha256 != nil }
        #expect(files.count == 7)
        for file in files {
            #expect(file.baseline?.result == .matched && file.md5 != nil && file.sha1 == nil, "\(file.name)")
        }
        // Without MD5 the recorded builds share no digest with the files: none is vouched for.
        let without = scan(.sha256)
        #expect(without.installations.flatMap { $0.evaluations.flatMap(\.files) }.allSatisfy { $0.baseline?.result != .matched })
    }

    @Test func theKnownGoodCopyItselfStaysUpToDate() throws {
        let baseline = try Self.baseline(from: "up-to-date-sr1").manifest
        let report = Self.scanner(baseline).scan(target: FixtureSupport.trees.appendingPathComponent("up-to-date-sr1").path)
        #expect(report.verdict == .upToDate)
    }

    /// An unpatched machine recorded as known-good: intact, and still outdated by the version rules.
    @Test func knownGoodBytesLeaveTheVersionRulesToDecide() throws {
        let baseline = try Self.baseline(from: "patch-needed-sr1").manifest
        let report = Self.scanner(baseline).scan(target: FixtureSupport.trees.appendingPathComponent("patch-needed-sr1").path)
        #expect(report.verdict == .patchNeeded)
        let emsmdb = try #require(Self.finding(report, "emsmdb32.dll"))
        #expect(emsmdb.status == .outdated)
        #expect(emsmdb.baseline?.result == .matched)
    }

    @Test func bytesRecordedAsOriginalAreOutdated() throws {
        let baseline = try Self.baseline(from: "patch-needed-sr1", label: .original).manifest
        let report = Self.scanner(baseline).scan(target: FixtureSupport.trees.appendingPathComponent("patch-needed-sr1").path)
        let emsmdb = try #require(Self.finding(report, "emsmdb32.dll"))
        #expect(emsmdb.status == .outdated)
        #expect(emsmdb.baseline?.label == .original)
        #expect(report.installations.first?.evaluations.first?.reasons.contains { $0.rule == "recorded-original" && $0.path == emsmdb.path } == true)
        // Outlook.exe is not replaced by the patch: original bytes are simply intact.
        #expect(Self.finding(report, "outlook.exe")?.status == .ok)
    }

    @Test func bytesRecordedAsDamagedAreDamaged() throws {
        // Record the altered copy as damaged, then scan it: damaged by its recorded bytes.
        var manifest = try Self.outlook97()
        let scanned = Self.scanner(manifest).inventory(target: FixtureSupport.trees.appendingPathComponent("altered-restamped").path)
        let emsmdb = try #require(scanned.items.first { $0.name == "emsmdb32.dll" })
        let (candidates, _) = ManifestBaseline.candidates(items: [emsmdb], stray: [], manifest: manifest, label: .damaged, target: "pc13")
        manifest = try ManifestBaseline.record(candidates, into: manifest, file: "b.json").manifest
        let report = Self.scanner(manifest).scan(target: FixtureSupport.trees.appendingPathComponent("altered-restamped").path)
        let found = try #require(Self.finding(report, "emsmdb32.dll"))
        #expect(found.status == .damaged && found.baseline?.label == .damaged)
        #expect(report.verdict == .patchNeeded)
        #expect(report.installations.first?.evaluations.first?.reasons.contains { $0.rule == "recorded-damaged" } == true)
    }

    /// Files with no recorded digests are judged by the version rules alone.
    @Test func filesWithoutRecordedBuildsKeepTheVersionRules() throws {
        var baseline = try Self.baseline(from: "up-to-date-sr1").manifest
        for index in baseline.files.indices where baseline.files[index].name == "emsmdb32.dll" {
            baseline.files[index].builds.removeAll { $0.hasDigests }
        }
        let report = Self.scanner(baseline).scan(target: FixtureSupport.trees.appendingPathComponent("altered-restamped").path)
        #expect(report.verdict == .upToDate)
        #expect(Self.finding(report, "emsmdb32.dll")?.baseline == nil)
    }

    @Test func theSameBuildTwiceIsOneEntry() throws {
        let first = try Self.baseline(from: "up-to-date-sr1")
        let second = try Self.baseline(from: "up-to-date-sr1", into: first.manifest)
        #expect(second.added.isEmpty && second.alreadyRecorded.count == 7)
        #expect(second.manifest == first.manifest)
        // altered-restamped shares six files with it: only its EMSMDB32.DLL is new.
        let third = try Self.baseline(from: "altered-restamped", into: first.manifest)
        #expect(third.added.map(\.path) == ["WINDOWS/SYSTEM/EMSMDB32.DLL"])
    }

    @Test func recordingTheSameBytesUnderAnotherLabelIsRefused() throws {
        let known = try Self.baseline(from: "up-to-date-sr1").manifest
        #expect { try Self.baseline(from: "up-to-date-sr1", label: .damaged, into: known) } throws: {
            guard let error = $0 as? ManifestError else { return false }
            return error.message.contains("already recorded as \"known-good\"") && error.jsonPath?.hasSuffix(".label") == true
        }
    }

    @Test func damagedOrVersionlessFilesAreNotRecordedAsKnownGood() throws {
        let manifest = try Self.outlook97()
        for tree in ["patch-needed-flipped", "patch-needed-truncated", "patch-needed-not-pe", "review-no-version"] {
            let scanned = Self.scanner(manifest).inventory(target: FixtureSupport.trees.appendingPathComponent(tree).path)
            let (candidates, skipped) = ManifestBaseline.candidates(items: scanned.items, stray: [], manifest: manifest, label: .knownGood, target: tree)
            #expect(!skipped.isEmpty, "\(tree)")
            #expect(skipped.allSatisfy { $0.reason.contains("--label damaged") }, "\(tree): \(skipped)")
            #expect(candidates.count + skipped.count == scanned.items.count)
            // As damaged, they are recorded.
            let damaged = ManifestBaseline.candidates(items: scanned.items, stray: [], manifest: manifest, label: .damaged, target: tree)
            #expect(damaged.skipped.isEmpty && damaged.candidates.count == scanned.items.count, "\(tree)")
        }
    }

    @Test func strayCopiesAreNotRecorded() throws {
        let manifest = try Self.outlook97()
        let scanned = Self.scanner(manifest).inventory(target: FixtureSupport.trees.appendingPathComponent("review-system-only").path)
        let stray = Set(scanned.report.strayFiles.compactMap(\.path))
        let (candidates, skipped) = ManifestBaseline.candidates(items: scanned.items, stray: stray, manifest: manifest, label: .knownGood, target: "t")
        #expect(candidates.allSatisfy { !stray.contains($0.path) })
        #expect(skipped.filter { $0.reason.contains("no installation") }.count == stray.count)
    }

    /// Bytes recorded as known-good are intact even when the PE checksum disagrees (wine's DLLs
    /// carry stale checksums): the admin vouched for these exact bytes.
    @Test func recordedBytesOutweighAStaleChecksum() throws {
        var manifest = try Self.outlook97()
        let target = FixtureSupport.trees.appendingPathComponent("patch-needed-flipped").path
        let scanned = Self.scanner(manifest).inventory(target: target)
        let flipped = try #require(scanned.items.first { !$0.damage.isEmpty })
        let index = try #require(manifest.files.firstIndex { $0.name == flipped.name })
        manifest.files[index].builds.append(Manifest.Build(version: flipped.fileVersion, size: flipped.size, label: .knownGood,
                                                           sha256: flipped.digests?.sha256, source: "vouched"))
        let report = Self.scanner(manifest).scan(target: target)
        let found = try #require(Self.finding(report, flipped.name))
        #expect(found.status != .damaged)
        #expect(found.notes.contains { $0.contains("the manifest records these exact bytes") })
    }

    /// A copy of `tree` in a temporary folder with `file` changed by `change` and its PE checksum
    /// re-stamped (valid again), as an attacker would leave it.
    static func alteredCopy(of tree: String, file: String, change: (inout [UInt8]) throws -> Void) throws -> URL {
        let copy = try FixtureSupport.copyOfTree(tree)
        let url = copy.appendingPathComponent(file)
        var bytes = try [UInt8](Data(contentsOf: url))
        try change(&bytes)
        let peOffset = Int(bytes[0x3c]) | Int(bytes[0x3d]) << 8
        let field = peOffset + 24 + 64
        let checksum = PEChecksum.compute(bytes, checksumFieldOffset: field)
        for index in 0..<4 { bytes[field + index] = UInt8(truncatingIfNeeded: checksum >> (8 * UInt32(index))) }
        try Data(bytes).write(to: url)
        return copy
    }

    /// An altered DLL that also claims a version no baseline recorded: never a silent pass.
    @Test func anAlteredDLLWithANewVersionIsReview() throws {
        let copy = try Self.alteredCopy(of: "altered-restamped", file: "WINDOWS/SYSTEM/EMSMDB32.DLL") { bytes in
            // VS_FIXEDFILEINFO (signature 0xFEEF04BD): dwFileVersionLS's high word is the third part.
            let signature: [UInt8] = [0xbd, 0x04, 0xef, 0xfe]
            let at = try #require((0...(bytes.count - 16)).first { Array(bytes[$0..<($0 + 4)]) == signature })
            bytes[at + 14] &+= 1   // 5.5.2440.0 -> 5.5.2441.0
        }
        defer { try? FileManager.default.removeItem(at: copy.deletingLastPathComponent()) }
        let without = Self.scanner(try Self.outlook97()).scan(target: copy.path)
        #expect(without.verdict == .upToDate, "the version rules and the PE checksum alone pass it")
        let report = Self.scanner(try Self.baseline(from: "up-to-date-sr1").manifest).scan(target: copy.path)
        let found = try #require(Self.finding(report, "emsmdb32.dll"))
        #expect(found.version == "5.5.2441.0" && found.peChecksum?.stored == found.peChecksum?.computed)
        #expect(found.baseline?.result == .unrecorded)
        #expect(report.verdict == .review)
        #expect(report.installations.first?.evaluations.first?.reasons.contains { $0.rule == "baseline-unrecorded" && $0.verdict == .review } == true)
    }

    /// Builds recorded as original vouch for their bytes too: an altered copy claiming that
    /// version is damaged (here a file the patch does not replace: review).
    @Test func originalBuildsDetectAlterationToo() throws {
        let baseline = try Self.baseline(from: "patch-needed-sr1", label: .original).manifest
        let copy = try Self.alteredCopy(of: "patch-needed-sr1", file: "WINDOWS/SYSTEM/EMSUIX32.DLL") { bytes in
            bytes[0x401] ^= 0x04
        }
        defer { try? FileManager.default.removeItem(at: copy.deletingLastPathComponent()) }
        let report = Self.scanner(baseline).scan(target: copy.path)
        let found = try #require(Self.finding(report, "emsuix32.dll"))
        #expect(found.status == .damaged && found.baseline?.result == .mismatch)
        #expect(report.verdict == .review)
        #expect(report.installations.first?.evaluations.first?.reasons.contains {
            $0.rule == "baseline-mismatch" && $0.verdict == .review && $0.message.contains("none of the original 8.0.1960.3 builds")
        } == true)
    }

    /// A manifest that records the bytes under another version than the file reports is wrong: review.
    @Test func aBaselineThatDisagreesWithTheFileIsReview() throws {
        var baseline = try Self.baseline(from: "up-to-date-sr1").manifest
        let index = try #require(baseline.files.firstIndex { $0.name == "emsmdb32.dll" })
        let buildIndex = try #require(baseline.files[index].builds.firstIndex { $0.hasDigests })
        baseline.files[index].builds[buildIndex].version = FileVersion(5, 5, 2441, 0)
        let report = Self.scanner(baseline).scan(target: FixtureSupport.trees.appendingPathComponent("up-to-date-sr1").path)
        #expect(report.verdict == .review)
        #expect(report.installations.first?.evaluations.first?.reasons.contains { $0.rule == "baseline-inconsistent" } == true)
    }
}
