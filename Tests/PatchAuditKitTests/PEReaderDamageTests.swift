import Testing
@testable import PatchAuditKit

/// PEReader on inputs that are not PE files, truncated files and damaged resource trees.
@Suite("PE reader on damaged input")
struct PEReaderDamageTests {
    // version32.dll layout (see make.sh): e_lfanew 0x80, optional header 0x98..0x178, six
    // section headers 0x178..0x268, SizeOfHeaders 0x400, .rsrc raw data 0xe00..0x1200 with the
    // root directory at 0xe00 and the VS_VERSIONINFO at 0xe58..0x1188.

    @Test("Not a PE at all", arguments: [
        ([], PEParseError.notMZ),
        ([0x4D], .notMZ),
        (Array("just some text, not a program\n".utf8), .notMZ),
        (Array("ZM".utf8) + [UInt8](repeating: 0, count: 100), .notMZ),
        (Array("MZ".utf8) + [UInt8](repeating: 0, count: 40), .truncatedDOSHeader(fileSize: 42)),
    ] as [([UInt8], PEParseError)])
    func notPE(bytes: [UInt8], expected: PEParseError) {
        #expect(throws: expected) { try PEReader.read(bytes) }
    }

    @Test("e_lfanew past the end of the file")
    func lfanewPastEnd() throws {
        var bytes = try PEFixtures.dll("version32.dll")
        bytes.pePut32(0xFFFF_FFF0, at: 0x3C)
        #expect(throws: PEParseError.peHeaderOffsetOutOfRange(offset: 0xFFFF_FFF0, fileSize: bytes.count)) {
            try PEReader.read(bytes)
        }
        bytes.pePut32(UInt32(bytes.count - 2), at: 0x3C)
        #expect(throws: PEParseError.peHeaderOffsetOutOfRange(offset: UInt32(bytes.count - 2), fileSize: bytes.count)) {
            try PEReader.read(bytes)
        }
    }

    @Test("A 16-bit NE executable is named as such")
    func newExecutable() throws {
        var bytes = [UInt8](repeating: 0, count: 0x100)
        bytes[0] = 0x4D; bytes[1] = 0x5A
        bytes.pePut32(0x80, at: 0x3C)
        bytes[0x80] = 0x4E; bytes[0x81] = 0x45  // "NE"
        let error = #expect(throws: PEParseError.self) { try PEReader.read(bytes) }
        #expect(error == .missingPESignature(offset: 0x80, found: 0x454E))
        #expect(error?.description.contains("16-bit NE") == true)
    }

    @Test("Unknown optional header magic")
    func unknownMagic() throws {
        var bytes = try PEFixtures.dll("version32.dll")
        bytes.pePut16(0x107, at: 0x98)
        #expect(throws: PEParseError.unknownOptionalHeaderMagic(0x107)) { try PEReader.read(bytes) }
    }

    @Test("Section table beyond the end of the file (NumberOfSections 0xffff)")
    func hugeSectionCount() throws {
        var bytes = try PEFixtures.dll("version32.dll")
        bytes.pePut16(0xFFFF, at: 0x86)
        #expect(throws: PEParseError.truncatedSectionTable(offset: 0x178, sectionCount: 0xFFFF, fileSize: bytes.count)) {
            try PEReader.read(bytes)
        }
    }

    /// Cut points in version32.dll and the fatal error each must give.
    @Test("Truncation inside the headers is fatal", arguments: [
        (0, PEParseError.notMZ),
        (1, .notMZ),
        (2, .truncatedDOSHeader(fileSize: 2)),
        (0x3F, .truncatedDOSHeader(fileSize: 0x3F)),
        (0x40, .peHeaderOffsetOutOfRange(offset: 0x80, fileSize: 0x40)),
        (0x83, .peHeaderOffsetOutOfRange(offset: 0x80, fileSize: 0x83)),
        (0x84, .truncatedFileHeader(offset: 0x84, fileSize: 0x84)),
        (0x97, .truncatedFileHeader(offset: 0x84, fileSize: 0x97)),
        (0x99, .truncatedOptionalHeader(offset: 0x98, needed: 0x9A, fileSize: 0x99)),
        (0xF0, .truncatedOptionalHeader(offset: 0x98, needed: 0xF8, fileSize: 0xF0)),
        (0x177, .truncatedOptionalHeader(offset: 0x98, needed: 0x178, fileSize: 0x177)),
        (0x178, .truncatedSectionTable(offset: 0x178, sectionCount: 6, fileSize: 0x178)),
        (0x267, .truncatedSectionTable(offset: 0x178, sectionCount: 6, fileSize: 0x267)),
    ] as [(Int, PEParseError)])
    func truncatedHeaders(cut: Int, expected: PEParseError) throws {
        let bytes = Array(try PEFixtures.dll("version32.dll").prefix(cut))
        #expect(throws: expected) { try PEReader.read(bytes) }
    }

    @Test("Truncation after the section table is recorded, not thrown")
    func truncatedAfterHeaders() throws {
        let whole = try PEFixtures.dll("version32.dll")
        let info = try PEReader.read(Array(whole.prefix(0x268)))
        #expect(info.integrityProblems.contains(PEIntegrityProblem(
            kind: .truncatedHeaders, detail: "SizeOfHeaders reaches 0x400, file is 0x268 bytes")))
        #expect(info.integrityProblems.contains(PEIntegrityProblem(
            kind: .truncatedSection, detail: "section .rsrc ends at 0x1200, file is 0x268 bytes")))
        #expect(info.integrityProblems.filter { $0.kind == .truncatedSection }.count == 6)
        #expect(info.integrityProblems.contains { $0.kind == .checksumMismatch })
        #expect(info.integrityProblems.contains { $0.kind == .truncatedResource })
        #expect(info.version == nil)
        #expect(!info.versionProblems.isEmpty)
    }

    @Test("Truncation inside the root resource directory's entries")
    func truncatedResourceDirectory() throws {
        let info = try PEReader.read(Array(try PEFixtures.dll("version32.dll").prefix(0xE14)))
        #expect(info.integrityProblems.contains { $0.kind == .truncatedResource })
        #expect(info.integrityProblems.contains(PEIntegrityProblem(
            kind: .truncatedSection, detail: "section .rsrc ends at 0x1200, file is 0xe14 bytes")))
        #expect(info.version == nil)
        #expect(!info.versionProblems.isEmpty)
    }

    @Test("Truncation inside VS_VERSIONINFO keeps what is there", arguments: [0xE60, 0xE90, 0x1000, 0x1180])
    func truncatedVersionData(cut: Int) throws {
        let info = try PEReader.read(Array(try PEFixtures.dll("version32.dll").prefix(cut)))
        #expect(info.integrityProblems.contains { $0.kind == .truncatedResource })
        #expect(info.integrityProblems.contains { $0.kind == .truncatedSection })
        #expect(info.integrityProblems.contains { $0.kind == .checksumMismatch })
        let version = try #require(info.version)
        #expect(version.resourceLanguage == 0x409)
        #expect(!info.versionProblems.isEmpty)
        // VS_FIXEDFILEINFO sits at +0x28..0x5c of the resource (file 0xe80..0xeb4).
        if cut >= 0xEB4 {
            #expect(version.fixed?.fileVersion == FileVersion(5, 5, 2502, 0))
        } else {
            #expect(version.fixed == nil)
        }
        if cut == 0x1180 {
            // Only the end of VarFileInfo is missing: every string was read.
            #expect(version.stringTables.first?.entries == PEReaderDLLTests.expectedEntries)
        }
    }

    @Test("A flipped byte outside the headers: checksum mismatch, everything else intact")
    func flippedByte() throws {
        var bytes = try PEFixtures.dll("version32.dll")
        bytes[0x410] ^= 0x5A  // in .text
        let info = try PEReader.read(bytes)
        #expect(info.integrityProblems == [PEIntegrityProblem(
            kind: .checksumMismatch, detail: "stored CheckSum 0x483e, computed \(PEText.hex(info.checksum.computed))")])
        #expect(!info.checksum.matches)
        #expect(info.checksum.computed != 0x483E)
        #expect(info.version?.fixed?.fileVersion == FileVersion(5, 5, 2502, 0))
    }

    @Test("A flipped byte in a file without stored checksum is not a mismatch")
    func flippedByteWithoutChecksum() throws {
        var bytes = try PEFixtures.dll("version64.dll")
        bytes[0x410] ^= 0x5A
        let info = try PEReader.read(bytes)
        #expect(info.checksum.stored == 0)
        #expect(info.checksum.matches)
        #expect(info.integrityProblems.isEmpty)
    }

    @Test("A data directory count above 16 is capped; below 3 there is no resource table")
    func numberOfRvaAndSizes() throws {
        var bytes = try PEFixtures.dll("version32.dll")
        bytes.pePut32(0x7FFF_FFFF, at: 0x98 + 92)
        #expect(try PEReader.read(bytes).version != nil)
        bytes.pePut32(2, at: 0x98 + 92)
        let info = try PEReader.read(bytes)
        #expect(info.version == nil)
        #expect(info.versionProblems.isEmpty)
    }

    @Test("Root resource directory claiming 65535 named entries")
    func hugeNamedEntryCount() throws {
        var bytes = try PEFixtures.dll("version32.dll")
        bytes.pePut16(0xFFFF, at: 0xE00 + 12)
        let info = try PEReader.read(bytes)
        #expect(info.integrityProblems.contains {
            $0.kind == .malformedResource && $0.detail.contains("claims 65536 entries")
        })
        // The 4096 entries read run past the section's 0x400 bytes.
        #expect(info.integrityProblems.contains { $0.kind == .malformedResource && $0.detail.contains("needs 0x8000 bytes") })
        // Entries are told apart by the high bit of Name, not by position, so the real
        // RT_VERSION entry (the first) is still found among the bytes read as entries.
        #expect(info.version?.fixed?.fileVersion == FileVersion(5, 5, 2502, 0))
    }

    @Test("RT_VERSION directory pointing back to the root (a cycle)")
    func cycleToRoot() throws {
        var bytes = try PEFixtures.dll("version32.dll")
        // Root entry 0 is RT_VERSION (16) -> subdirectory; point it at the root itself.
        #expect(bytes.peGet32(0xE00 + 16) == 16)
        bytes.pePut32(0x8000_0000, at: 0xE00 + 20)
        let info = try PEReader.read(bytes)
        #expect(info.integrityProblems.contains { $0.kind == .malformedResource && $0.detail.contains("reached again") })
        #expect(info.version == nil)
        #expect(info.versionProblems.contains { $0.contains("reached again") })
    }

    @Test("Problems from a resource tree are capped at 32 plus one summary line")
    func problemsCapped() throws {
        var bytes = try PEFixtures.dll("version64.dll")
        // Root directory at 0x1000: 100 RT_VERSION entries, each to its own directory far
        // outside every section.
        bytes.pePut16(0, at: 0x1000 + 12)
        bytes.pePut16(100, at: 0x1000 + 14)
        for index in 0..<100 {
            bytes.pePut32(16, at: 0x1010 + index * 8)
            bytes.pePut32(0x8000_0000 | UInt32(0x10_0000 + index * 16), at: 0x1010 + index * 8 + 4)
        }
        let info = try PEReader.read(bytes)
        #expect(info.integrityProblems.count == ResourceDirectory.maxProblems + 1)
        #expect(info.integrityProblems.last?.detail == "further resource problems not listed")
        #expect(info.integrityProblems.dropLast().allSatisfy { $0.detail.contains("outside every section") })
        #expect(info.versionProblems.count == ResourceDirectory.maxProblems + 1)
        #expect(info.version == nil)
    }

    @Test("At most 64 RT_VERSION entries are read")
    func manyVersionEntries() throws {
        let blob = PEVersionBlock.standard().encoded()
        let leaves = (0..<70).map { (PEResourceKey.id(1), UInt16(0x400 + $0), blob) }
        let info = try PEReader.read(SyntheticPE.withVersions(leaves).bytes)
        #expect(info.version?.resourceLanguage == 0x409)
        #expect(info.otherVersions.count == ResourceDirectory.maxVersionLeaves - 1)
        #expect(info.integrityProblems == [PEIntegrityProblem(
            kind: .malformedResource, detail: "more than 64 RT_VERSION entries; the rest were not read")])
    }

    @Test("Synthetic: a name entry pointing back to its own directory")
    func cycleDeeper() throws {
        let image = SyntheticPE.withVersions([(.id(1), 0x409, PEVersionBlock.standard().encoded())])
        var bytes = image.bytes
        let layout = try #require(image.resources)
        // Directories: root, RT_VERSION (names), id 1 (languages). Make id 1's entry point at
        // the RT_VERSION directory that holds it.
        let typeDirectory = layout.directoryOffsets[1]
        let entry = SyntheticPE.fileOffset(ofSectionOffset: typeDirectory + 16)
        bytes.pePut32(0x8000_0000 | UInt32(typeDirectory), at: entry + 4)
        let info = try PEReader.read(bytes)
        #expect(info.integrityProblems.contains { $0.kind == .malformedResource && $0.detail.contains("reached again") })
        #expect(info.version == nil)
    }

    @Test("Named root entries are not types, whatever their offset bits say")
    func namedRootEntries() throws {
        // A named type whose name offset happens to be 16, pointing at version data.
        let blob = PEVersionBlock.standard().encoded()
        let root = PEResourceLayout.versions([(.id(1), 0x409, blob)],
                                           extraTypes: [(.name("VERSION"), .directory([(.id(1), .directory([(.id(0x409), .data(blob))]))]))])
        let image = SyntheticPE(resources: root)
        var bytes = image.bytes
        // Root entry 0 is the named type (named entries come first): give it name offset 16.
        let rootEntry = SyntheticPE.fileOffset(ofSectionOffset: 16)
        #expect(bytes.peGet32(rootEntry) & 0x8000_0000 != 0)
        bytes.pePut32(0x8000_0010, at: rootEntry)
        let info = try PEReader.read(bytes)
        #expect(info.integrityProblems.isEmpty)
        #expect(info.version?.fixed?.fileVersion == FileVersion(5, 5, 2502, 0))
        #expect(info.otherVersions.isEmpty)
    }

    @Test("Data entry RVA outside every section")
    func dataEntryOutsideSections() throws {
        let image = SyntheticPE.withVersion(PEVersionBlock.standard().encoded())
        var bytes = image.bytes
        let entry = SyntheticPE.fileOffset(ofSectionOffset: try #require(image.resources?.dataEntryOffsets.first))
        bytes.pePut32(0x00F0_0000, at: entry)
        let info = try PEReader.read(bytes)
        #expect(info.integrityProblems.contains { $0.kind == .malformedResource && $0.detail.contains("outside every section") })
        let version = try #require(info.version)
        #expect(version.fixed == nil)
        #expect(info.versionProblems.contains { $0.contains("outside every section") })
        #expect(info.versionProblems.contains { $0.contains("holds no bytes") })
    }

    @Test("Data entry size larger than the section")
    func dataEntryTooLarge() throws {
        let image = SyntheticPE.withVersion(PEVersionBlock.standard().encoded())
        var bytes = image.bytes
        let entry = SyntheticPE.fileOffset(ofSectionOffset: try #require(image.resources?.dataEntryOffsets.first))
        bytes.pePut32(0xFFFF_FFFF, at: entry + 4)
        let info = try PEReader.read(bytes)
        #expect(info.integrityProblems.contains { $0.kind == .malformedResource })
        // The VS_VERSIONINFO itself is whole: its own wLength bounds it.
        #expect(info.version?.string("FileVersion") == "5.5.2502.0")
        #expect(info.version?.translations == [Translation(language: 0x409, codePage: 1252)])
    }

    @Test("A language entry marked as a fourth directory level")
    func fourthLevel() throws {
        let image = SyntheticPE.withVersion(PEVersionBlock.standard().encoded())
        var bytes = image.bytes
        let layout = try #require(image.resources)
        let languageEntry = SyntheticPE.fileOffset(ofSectionOffset: layout.directoryOffsets[2] + 16)
        bytes.pePut32(0x8000_0000, at: languageEntry + 4)
        let info = try PEReader.read(bytes)
        #expect(info.integrityProblems.contains { $0.detail.contains("fourth directory level") })
        #expect(info.version == nil)
    }

    @Test("Attribute certificate table past the end of the file")
    func certificateTablePastEnd() throws {
        var bytes = try PEFixtures.dll("version64.dll")
        // Data directory 4 of the PE32+ optional header (0x98 + 112 + 4 * 8).
        bytes.pePut32(UInt32(bytes.count), at: 0x98 + 112 + 32)
        bytes.pePut32(0x100, at: 0x98 + 112 + 36)
        let info = try PEReader.read(bytes)
        #expect(info.integrityProblems == [PEIntegrityProblem(
            kind: .truncatedSection,
            detail: "attribute certificate table (data directory 4) ends at 0x1500, file is 0x1400 bytes")])
    }

    @Test("Parse error descriptions name what was wrong")
    func descriptions() {
        #expect(PEParseError.notMZ.description.contains("MZ"))
        #expect(PEParseError.peHeaderOffsetOutOfRange(offset: 0x1000, fileSize: 0x20).description.contains("0x1000"))
        #expect(PEParseError.unknownOptionalHeaderMagic(0x107).description.contains("0x107"))
        #expect(PEIntegrityProblem(kind: .truncatedSection, detail: "x").description == "truncatedSection: x")
    }
}
