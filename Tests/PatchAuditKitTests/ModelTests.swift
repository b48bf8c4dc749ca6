import Foundation
import Testing
@testable import PatchAuditKit

@Suite struct FileVersionTests {
    @Test(arguments: [("8.04.00.6419", "8.4.0.6419"), ("5.5", "5.5.0.0"), ("8", "8.0.0.0"), ("65535.0.0.1", "65535.0.0.1")])
    func parsesAndNormalises(_ text: String, _ normal: String) throws {
        #expect(try #require(FileVersion(text)).description == normal)
    }

    @Test(arguments: ["", ".", "1..2", "1.2.3.4.5", "65536", "-1", "1.a", " 1", "1.2 "])
    func rejectsMalformed(_ text: String) {
        #expect(FileVersion(text) == nil)
    }

    @Test func comparesPartByPart() throws {
        #expect(try #require(FileVersion("8.04.00.6419")) == FileVersion(8, 4, 0, 6419))
        #expect(FileVersion(5, 5, 1960, 3) < FileVersion(5, 5, 2440, 0))
        #expect(FileVersion(8, 10) > FileVersion(8, 9, 9999, 9999))
        #expect(FileVersion(mostSignificant: 0x0005_0005, leastSignificant: 0x07A8_0003) == FileVersion(5, 5, 1960, 3))
    }
}

@Suite struct NameMatcherTests {
    let matcher = NameMatcher(names: ["emsmdb32.dll", "Outllib.dll"])

    @Test(arguments: ["EMSMDB32.DLL", "emsmdb32.dll", "EmsMdb32.Dll", "OUTLLIB.DLL"])
    func matchesAnyCase(_ name: String) {
        #expect(matcher.match(Array(name.utf8)) != nil)
    }

    @Test(arguments: ["emsmdb32.dl", "emsmdb32.dll.bak", "xemsmdb32.dll", "EMSMDB32.DLL;1", ""])
    func rejectsOthers(_ name: String) {
        #expect(matcher.match(Array(name.utf8)) == nil)
    }
}

@Suite struct ScanPathTests {
    @Test func escapesInvalidUTF8ControlAndBackslash() {
        #expect(ScanPath(bytes: [0x42, 0xfc, 0x72, 0x6f]).display == "B\\xfcro")
        #expect(ScanPath(bytes: Array("Büro/a\\b".utf8)).display == "Büro/a\\\\b")
        #expect(ScanPath(bytes: [0x61, 0x0a]).display == "a\\x0a")
    }

    @Test func parentAndContainment() {
        let path = ScanPath("WINDOWS/SYSTEM/EMSMDB32.DLL")
        #expect(path.parent == ScanPath("WINDOWS/SYSTEM"))
        #expect(path.isWithin(ScanPath("WINDOWS")))
        #expect(!path.isWithin(ScanPath("WIN")))
        #expect(path.isWithin(.root))
        #expect(path.lowercasedName == "emsmdb32.dll")
    }
}

@Suite struct DigestTests {
    @Test func knownVectors() {
        let digests = FileDigests(of: Array("abc".utf8))
        #expect(digests.sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(digests.sha1 == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(digests.md5 == "900150983cd24fb0d6963f7d28e17f72")
    }

    @Test func sha1AndMD5OnlyWhenSelected() {
        let only = FileDigests(of: Array("abc".utf8), selection: .sha256)
        #expect(only == FileDigests(sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"))
        let md5 = FileDigests(of: Array("abc".utf8), selection: [.md5])
        #expect(md5.sha1 == nil && md5.md5 == "900150983cd24fb0d6963f7d28e17f72")
        #expect(md5.sha256 == only.sha256, "SHA-256 is in every selection")
    }

    @Test(arguments: [("sha256", "sha256"), ("md5", "sha256,md5"), ("sha1, MD5", "sha256,sha1,md5"),
                      ("md5,sha1,sha256", "sha256,sha1,md5"), ("sha256,sha256", "sha256")])
    func digestListsAreRead(list: String, selected: String) {
        #expect(DigestSelection(list: list)?.description == selected)
    }

    @Test(arguments: ["", "sha512", "md5,", "crc32,md5"])
    func unknownDigestNamesAreRefused(list: String) {
        #expect(DigestSelection(list: list) == nil)
    }

    @Test func selectionTravelsToWorkersInTheLimits() throws {
        var limits = ScanLimits()
        #expect(limits.digests == .all, "library callers (manifest build, inspect) keep all three")
        limits.digests = [.md5]
        let data = try JSONEncoder().encode(limits)
        #expect(String(decoding: data, as: UTF8.self).contains(#""digests":["sha256","md5"]"#))
        #expect(try JSONDecoder().decode(ScanLimits.self, from: data).digests == [.sha256, .md5])
        #expect(try JSONDecoder().decode(ScanLimits.self, from: Data("{}".utf8)).digests == .all)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(ScanLimits.self, from: Data(#"{"digests":["crc32"]}"#.utf8)) }
    }

    /// `scan` computes what is asked, what its format shows, and what recorded builds need.
    @Test func scanComputesWhatTheReportAndTheManifestsNeed() throws {
        let rule = { (builds: [Manifest.Build]) in
            Manifest.FileRule(name: "emsmdb32.dll", location: .system, builds: builds)
        }
        let manifest = { (builds: [Manifest.Build]) in
            Manifest(id: "m", title: "m", references: [], patch: .init(file: "p.exe", languages: []),
                     product: .init(name: "p", family: .init(from: FileVersion(8, 0, 0, 0), below: FileVersion(9, 0, 0, 0)),
                                    releases: [], otherProducts: []),
                     files: [rule(builds)])
        }
        let sha256 = String(repeating: "a", count: 64), sha1 = String(repeating: "b", count: 40), md5 = String(repeating: "c", count: 32)
        let v = FileVersion(5, 5, 1960, 3)
        #expect(DigestSelection.forScan(requested: .sha256, format: .ndjson, manifests: []) == .sha256)
        #expect(DigestSelection.forScan(requested: .sha256, format: .hashdeep, manifests: []) == [.md5])
        #expect(DigestSelection.forScan(requested: [.sha1], format: .json, manifests: []) == [.sha1])
        // All three recorded (manifest build): matched by SHA-256, nothing more needed.
        #expect(DigestSelection.forScan(requested: .sha256, format: .table,
                                        manifests: [manifest([.init(version: v, label: .knownGood, sha256: sha256, sha1: sha1, md5: md5)])]) == .sha256)
        // Recorded by MD5 alone (a hashdeep list without SHA-256), or SHA-1 alone: that one is computed.
        #expect(DigestSelection.forScan(requested: .sha256, format: .table,
                                        manifests: [manifest([.init(version: nil, label: .knownGood, md5: md5)])]) == [.md5])
        #expect(DigestSelection.forScan(requested: .sha256, format: .table,
                                        manifests: [manifest([.init(version: v, label: .knownGood, sha1: sha1, md5: md5)])]) == [.sha1, .md5])
    }
}

@Suite struct VerdictTests {
    @Test func exitStatusesFollowDomain() {
        #expect(Verdict.upToDate.exitStatus == 0)
        #expect(Verdict.notApplicable.exitStatus == 0)
        #expect(Verdict.patchNeeded.exitStatus == 1)
        #expect(Verdict.blocked.exitStatus == 2)
        #expect(Verdict.review.exitStatus == 2)
        #expect(Verdict.error.exitStatus == 3)
    }

    @Test func installationPrecedenceIsDomainOrder() {
        let all: [Reason] = [.patchNeeded, .review, .blocked, .notApplicable].map { Reason(rule: "r", verdict: $0, message: "m") }
        #expect(Evaluator.verdict(from: all) == .notApplicable)
        #expect(Evaluator.verdict(from: Array(all.prefix(3))) == .blocked)
        #expect(Evaluator.verdict(from: Array(all.prefix(2))) == .review)
        #expect(Evaluator.verdict(from: Array(all.prefix(1))) == .patchNeeded)
        #expect(Evaluator.verdict(from: []) == .upToDate)
    }
}
