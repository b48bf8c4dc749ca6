import Foundation
import Testing
@testable import PatchAuditKit

/// PEReader on real DLLs built by mingw-w64 (Resources/PE/make.sh).
@Suite("PE reader on mingw DLLs")
struct PEReaderDLLTests {
    static let expectedEntries = [
        StringEntry(key: "CompanyName", value: "Microsoft Corporation"),
        StringEntry(key: "FileDescription", value: "Microsoft Exchange Transport"),
        StringEntry(key: "FileVersion", value: "5.5.2502.0"),
        StringEntry(key: "InternalName", value: "EMSMDB32"),
        StringEntry(key: "LegalCopyright", value: "Copyright (C) Microsoft Corp. 1986-1997"),
        StringEntry(key: "OriginalFilename", value: "EMSMDB32.DLL"),
        StringEntry(key: "ProductName", value: "Microsoft Outlook"),
        StringEntry(key: "ProductVersion", value: "5.5.2502.0"),
    ]

    static let expectedFixed = FixedFileInfo(
        fileVersion: FileVersion(5, 5, 2502, 0), productVersion: FileVersion(5, 5, 2502, 0),
        fileFlagsMask: 0x3F, fileFlags: 0, fileOS: 0x40004, fileType: 2, fileSubtype: 0,
        structureVersion: 0x0001_0000, fileDate: 0)

    @Test("PE32 DLL: headers, checksum, full version resource")
    func pe32() throws {
        let info = try PEReader.read(try PEFixtures.dll("version32.dll"))
        #expect(info.format == .pe32)
        #expect(info.machine == 0x14C)
        #expect(info.isDLL)
        #expect(info.characteristics & 0x2000 != 0)
        #expect(info.checksum == PEChecksum(stored: 0x483E, computed: 0x483E))
        #expect(info.checksum.matches)
        #expect(info.integrityProblems.isEmpty)
        #expect(info.versionProblems.isEmpty)
        #expect(info.sections.map(\.name) == [".text", ".rdata", ".eh_fram", ".edata", ".idata", ".rsrc"])
        #expect(info.fileSize == 4608)

        let version = try #require(info.version)
        #expect(version.resourceLanguage == 0x0409)
        #expect(version.resourceID == 1)
        #expect(version.resourceName == nil)
        #expect(version.fixed == Self.expectedFixed)
        #expect(version.stringTables == [StringTable(key: "040904e4", entries: Self.expectedEntries)])
        #expect(version.translations == [Translation(language: 0x409, codePage: 1252)])
        #expect(version.translations.first?.hex == "040904e4")
        #expect(version.string("FileVersion") == "5.5.2502.0")
        #expect(version.string("fileversion") == "5.5.2502.0")
        #expect(version.string("CompanyName", inTable: "040904E4") == "Microsoft Corporation")
        #expect(version.string("Comments") == nil)
        #expect(info.otherVersions.isEmpty)
    }

    @Test("PE32+ DLL: same resource, checksum left 0")
    func pe32Plus() throws {
        let info = try PEReader.read(try PEFixtures.dll("version64.dll"))
        #expect(info.format == .pe32Plus)
        #expect(info.machine == 0x8664)
        #expect(info.isDLL)
        #expect(info.checksum == PEChecksum(stored: 0, computed: 0x2471))
        #expect(info.checksum.matches)
        #expect(info.integrityProblems.isEmpty)
        #expect(info.versionProblems.isEmpty)
        let version = try #require(info.version)
        #expect(version.fixed == Self.expectedFixed)
        #expect(version.stringTables.first?.entries == Self.expectedEntries)
        #expect(version.translations == [Translation(language: 0x409, codePage: 1252)])
    }

    @Test("Two VERSIONINFO languages: 0x0409 is chosen over 0x0407, which stays visible")
    func twoLanguages() throws {
        let info = try PEReader.read(try PEFixtures.dll("twolang32.dll"))
        #expect(info.integrityProblems.isEmpty)
        #expect(info.versionProblems.isEmpty)
        let chosen = try #require(info.version)
        #expect(chosen.resourceLanguage == 0x0409)
        #expect(chosen.fixed?.fileVersion == FileVersion(5, 5, 2502, 0))
        #expect(chosen.stringTables.map(\.key) == ["040904e4"])
        #expect(info.otherVersions.count == 1)
        let german = try #require(info.otherVersions.first)
        #expect(german.resourceLanguage == 0x0407)
        #expect(german.fixed?.fileVersion == FileVersion(5, 5, 2502, 7))
        #expect(german.stringTables.map(\.key) == ["040704e4"])
        #expect(german.string("FileVersion") == "5.5.2502.7")
        #expect(german.translations == [Translation(language: 0x407, codePage: 1252)])
    }

    @Test("No RT_VERSION among other resources (a named RCDATA, a STRINGTABLE)")
    func noVersion() throws {
        let info = try PEReader.read(try PEFixtures.dll("noversion32.dll"))
        #expect(info.version == nil)
        #expect(info.otherVersions.isEmpty)
        #expect(info.versionProblems.isEmpty)
        #expect(info.integrityProblems.isEmpty)
        #expect(info.checksum == PEChecksum(stored: 0, computed: 0xBB42))
    }

    @Test("The FileVersion string and VS_FIXEDFILEINFO disagree: both are reported as stored")
    func stringDisagreesWithBinary() throws {
        let info = try PEReader.read(try PEFixtures.dll("mismatch64.dll"))
        let version = try #require(info.version)
        #expect(version.fixed?.fileVersion == FileVersion(5, 5, 2502, 0))
        #expect(version.string("FileVersion") == "5.5.2510.0")
        #expect(FileVersion(version.string("FileVersion") ?? "") == FileVersion(5, 5, 2510, 0))
        #expect(info.checksum.stored == 0x1059A)
        #expect(info.integrityProblems.isEmpty)
    }

    /// Expected checksums recorded with Python pefile 2024.8.26 `PE(path).generate_checksum()`
    /// (printed by make.sh), an implementation independent of PEChecksum.
    @Test("Computed checksum equals pefile's generate_checksum", arguments: [
        ("version32.dll", UInt32(0x483E)),
        ("version64.dll", 0x2471),
        ("twolang32.dll", 0x6B03),
        ("noversion32.dll", 0xBB42),
        ("mismatch64.dll", 0x1059A),
    ])
    func checksumMatchesPefile(name: String, expected: UInt32) throws {
        let info = try PEReader.read(try PEFixtures.dll(name))
        #expect(info.checksum.computed == expected)
    }

    @Test("PEImageInfo survives a JSON round trip; versions encode as \"a.b.c.d\"")
    func codableRoundTrip() throws {
        let info = try PEReader.read(try PEFixtures.dll("twolang32.dll"))
        let json = try JSONEncoder().encode(info)
        #expect(try JSONDecoder().decode(PEImageInfo.self, from: json) == info)
        #expect(String(decoding: json, as: UTF8.self).contains("\"5.5.2502.7\""))
    }
}
