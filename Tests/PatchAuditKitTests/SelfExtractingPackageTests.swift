import Foundation
import Testing
@testable import PatchAuditKit

/// Self-extracting packages (Fixtures/sfx, made with mingw, windres and gcab): the archive is
/// found where the package keeps it, and read in place as the target's archive.
@Suite struct SelfExtractingPackageTests {
    static let folder = FixtureSupport.fixtures.appendingPathComponent("sfx")

    struct Expected: Decodable {
        struct Executable: Decodable {
            struct File: Decodable { var name: String; var size: Int; var sha256: String }
            struct Cabinet: Decodable { var `where`: String; var offset: Int64; var size: Int64 }
            var path: String
            var kind: String
            var files: [File]
            var cabinet: Cabinet?
        }
        var executables: [Executable]
    }

    @Test func theCabinetIsFoundWhereThePackageKeepsIt() throws {
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: Self.folder.appendingPathComponent("expected.json")))
        #expect(expected.executables.count == 4)
        for executable in expected.executables {
            let bytes = [UInt8](try Data(contentsOf: Self.folder.appendingPathComponent(executable.path)))
            let payload = SelfExtractingPackage.locate(bytes)
            switch executable.kind {
            case "iexpress", "appended":
                let cabinet = try #require(executable.cabinet)
                #expect(payload?.offset == cabinet.offset, "\(executable.path)")
                #expect(payload?.length == cabinet.size, "\(executable.path)")
                #expect(payload?.place == (executable.kind == "iexpress" ? "CABINET resource" : "appended"))
            default:
                #expect(payload == nil, "\(executable.path)")
            }
        }
    }

    @Test func aPackageScansAsItsFiles() throws {
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: Self.folder.appendingPathComponent("expected.json")))
        let scanner = try FixtureSupport.scanner()
        for executable in expected.executables where executable.kind == "iexpress" || executable.kind == "appended" {
            let report = scanner.scan(target: Self.folder.appendingPathComponent(executable.path).path)
            #expect(report.verdict == .upToDate, "\(executable.path)")
            #expect(report.format?.contains("self-extracting package") == true)
            let files = report.installations.flatMap { $0.evaluations.flatMap(\.files) }.filter { $0.status != .missing }
            for file in executable.files {
                #expect(files.contains { $0.path == file.name && $0.sha256 == file.sha256 && $0.size == Int64(file.size) }, "\(file.name)")
            }
        }
        let plain = scanner.scan(target: Self.folder.appendingPathComponent("plain-stub.exe").path)
        #expect(plain.verdict == .error)
        #expect(plain.reasons.contains { $0.message.contains("no self-extracting package") })
    }

    @Test func aDamagedResourceTreeIsNoPackageAndNoCrash() {
        // Eight changed bytes at a time (a seeded generator: the same 500 inputs every run).
        var generator = PETestRandom(seed: 0x1997_0904)
        let base = [UInt8]((try? Data(contentsOf: Self.folder.appendingPathComponent("arch97en-iexpress.exe"))) ?? Data())
        for _ in 0..<500 {
            var bytes = base
            for _ in 0..<8 where !bytes.isEmpty {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            if let payload = SelfExtractingPackage.locate(bytes) {
                #expect(payload.offset >= 0 && payload.offset + payload.length <= Int64(bytes.count))
            }
        }
    }
}

