import Testing
@testable import PatchAuditKit

/// VS_VERSIONINFO parsing and the choice among several RT_VERSION entries, on synthetic images.
@Suite("PE version resource")
struct PEVersionResourceTests {
    private func read(_ blob: PEVersionBlock) throws -> PEImageInfo {
        try PEReader.read(SyntheticPE.withVersion(blob.encoded()).bytes)
    }

    private func version(_ language: UInt16, _ file: FileVersion) -> [UInt8] {
        PEVersionBlock.standard(file: file, language: language).encoded()
    }

    @Test("A well-formed synthetic resource reads back exactly", arguments: [PEFormat.pe32, .pe32Plus])
    func roundTrip(format: PEFormat) throws {
        let image = SyntheticPE.withVersions([(.id(1), 0x409, PEVersionBlock.standard().encoded())], format: format)
        let info = try PEReader.read(image.bytes)
        #expect(info.format == format)
        #expect(info.integrityProblems.isEmpty)
        #expect(info.versionProblems.isEmpty)
        let version = try #require(info.version)
        #expect(version.fixed?.fileVersion == FileVersion(5, 5, 2502, 0))
        #expect(version.stringTables == [StringTable(key: "040904e4", entries: [
            StringEntry(key: "CompanyName", value: "Microsoft Corporation"),
            StringEntry(key: "FileVersion", value: "5.5.2502.0"),
            StringEntry(key: "ProductName", value: "Microsoft Outlook"),
        ])])
        #expect(version.translations == [Translation(language: 0x409, codePage: 1252)])
    }

    // MARK: Choice rule

    @Test("Choice: neutral 0x0000, then 0x0409, then the lowest language", arguments: [
        ([0x0407, 0x0000, 0x0409], 0x0000, [0x0409, 0x0407]),
        ([0x040C, 0x0409, 0x0407], 0x0409, [0x0407, 0x040C]),
        ([0x040C, 0x0411, 0x0407], 0x0407, [0x040C, 0x0411]),
        ([0x0809], 0x0809, []),
    ] as [([UInt16], UInt16, [UInt16])])
    func choiceByLanguage(languages: [UInt16], chosen: UInt16, others: [UInt16]) throws {
        let leaves = languages.map { (PEResourceKey.id(1), $0, version($0, FileVersion(1, 0, 0, $0))) }
        let info = try PEReader.read(SyntheticPE.withVersions(leaves).bytes)
        #expect(info.version?.resourceLanguage == chosen)
        #expect(info.version?.fixed?.fileVersion == FileVersion(1, 0, 0, chosen))
        #expect(info.otherVersions.map(\.resourceLanguage) == others)
        #expect(info.integrityProblems.isEmpty)
    }

    @Test("Choice: same language, lowest resource id; numeric ids before names")
    func choiceByResourceID() throws {
        let leaves: [(PEResourceKey, UInt16, [UInt8])] = [
            (.name("VERSION"), 0x409, version(0x409, FileVersion(3))),
            (.id(7), 0x409, version(0x409, FileVersion(7))),
            (.id(2), 0x409, version(0x409, FileVersion(2))),
            (.id(1), 0x407, version(0x407, FileVersion(1))),
        ]
        let info = try PEReader.read(SyntheticPE.withVersions(leaves).bytes)
        let chosen = try #require(info.version)
        #expect(chosen.resourceID == 2)
        #expect(chosen.fixed?.fileVersion == FileVersion(2))
        #expect(info.otherVersions.map(\.fixed?.fileVersion) == [FileVersion(7), FileVersion(3), FileVersion(1)])
        #expect(info.otherVersions[1].resourceName == "VERSION")
        #expect(info.otherVersions[1].resourceID == nil)
    }

    // MARK: Lies and damage inside VS_VERSIONINFO

    @Test("Root wLength larger than the resource data")
    func rootOverlong() throws {
        var blob = PEVersionBlock.standard()
        blob.length = 0xFFF0
        let info = try read(blob)
        #expect(info.versionProblems.contains { $0.contains("VS_VERSIONINFO wLength 65520 exceeds") })
        #expect(info.versionProblems.allSatisfy { $0.hasPrefix("RT_VERSION id 1 language 0x409: ") })
        // Clipped to the data, the content is still all there.
        #expect(info.version?.string("ProductName") == "Microsoft Outlook")
        #expect(info.version?.translations.count == 1)
    }

    @Test("Root wLength of 0 or shorter than a header", arguments: [UInt16(0), 1, 5])
    func rootTooShort(length: UInt16) throws {
        var blob = PEVersionBlock.standard()
        blob.length = length
        let info = try read(blob)
        let version = try #require(info.version)
        #expect(version.fixed == nil)
        #expect(version.stringTables.isEmpty)
        #expect(info.versionProblems.contains { $0.contains("too short for a block header") })
    }

    @Test("A zero-length String stops its table, the rest still reads")
    func zeroLengthString() throws {
        var blob = PEVersionBlock.standard()
        blob.children[0].children[0].children[1].length = 0   // FileVersion String
        // Fill its place with non-zero bytes so it is not mistaken for padding.
        let info = try read(blob)
        let table = try #require(info.version?.stringTables.first)
        #expect(table.entries.map(\.key) == ["CompanyName"])
        #expect(info.versionProblems.contains { $0.contains("StringTable \"040904e4\": child at") && $0.contains("wLength 0") })
        #expect(info.version?.translations == [Translation(language: 0x409, codePage: 1252)])
        #expect(info.version?.fixed != nil)
    }

    @Test("A String overrunning its table is read clipped and ends the table")
    func overlongString() throws {
        var blob = PEVersionBlock.standard()
        blob.children[0].children[0].children[1].length = 0x4000
        let info = try read(blob)
        let table = try #require(info.version?.stringTables.first)
        #expect(table.entries.map(\.key) == ["CompanyName", "FileVersion"])
        #expect(table.entries[1].value == "5.5.2502.0")
        #expect(info.versionProblems.contains { $0.contains("bytes past its parent's end") })
        #expect(info.version?.translations.count == 1)
    }

    @Test("StringFileInfo wLength shorter than its children: the cut-off strings are dropped")
    func shortStringFileInfo() throws {
        var blob = PEVersionBlock.standard()
        let full = blob.children[0].encoded().count
        blob.children[0].length = UInt16(full - 40)
        let info = try read(blob)
        let entries = try #require(info.version?.stringTables.first?.entries)
        #expect(Array(entries.prefix(2)) == [
            StringEntry(key: "CompanyName", value: "Microsoft Corporation"),
            StringEntry(key: "FileVersion", value: "5.5.2502.0"),
        ])
        #expect(info.version?.string("ProductName") != "Microsoft Outlook")
        #expect(info.versionProblems.contains { $0.contains("bytes past its parent's end") })
        #expect(info.version?.fixed?.fileVersion == FileVersion(5, 5, 2502, 0))
    }

    @Test("String value length counting the NUL, omitting it, or in bytes gives the same text", arguments: [
        UInt16(11), 10, 22, 0,
    ])
    func stringValueLengths(valueLength: UInt16) throws {
        var blob = PEVersionBlock.standard()
        blob.children[0].children[0].children[1].valueLength = valueLength  // "5.5.2502.0" = 10 chars
        let info = try read(blob)
        #expect(info.version?.string("FileVersion") == "5.5.2502.0")
        #expect(info.versionProblems.isEmpty)
    }

    @Test("Trailing NULs in a value are dropped")
    func trailingNULs() throws {
        var blob = PEVersionBlock.standard()
        var value: [UInt8] = []
        value.peAppendUTF16("5.5", terminated: false)
        value += [0, 0, 0, 0, 0, 0]
        blob.children[0].children[0].children[1].value = value
        let info = try read(blob)
        #expect(info.version?.string("FileVersion") == "5.5")
    }

    @Test("VS_FIXEDFILEINFO with a bad signature is dropped, the strings stay")
    func badSignature() throws {
        var blob = PEVersionBlock.standard()
        blob.value = PEVersionBlock.fixedFileInfo(file: FileVersion(5, 5), product: FileVersion(5, 5), signature: 0x1234_5678)
        let info = try read(blob)
        #expect(info.version?.fixed == nil)
        #expect(info.version?.string("FileVersion") == "5.5.2502.0")
        #expect(info.versionProblems.contains { $0.contains("signature is 0x12345678") })
    }

    @Test("No VS_FIXEDFILEINFO (wValueLength 0)")
    func noFixedInfo() throws {
        let info = try read(PEVersionBlock.root(fixed: nil, children: PEVersionBlock.standard().children))
        #expect(info.version?.fixed == nil)
        #expect(info.version?.string("CompanyName") == "Microsoft Corporation")
        #expect(info.versionProblems.contains { $0.contains("no VS_FIXEDFILEINFO") })
    }

    @Test("wValueLength of the root not 52 but the structure is there")
    func oddFixedValueLength() throws {
        var blob = PEVersionBlock.standard()
        blob.valueLength = 56
        blob.value += [0, 0, 0, 0]
        let info = try read(blob)
        #expect(info.version?.fixed?.fileVersion == FileVersion(5, 5, 2502, 0))
        #expect(info.versionProblems.contains { $0.contains("wValueLength is 56, expected 52") })
    }

    @Test("Translation with an odd length and one overrunning its block")
    func translationLengths() throws {
        var blob = PEVersionBlock.standard()
        blob.children[1] = PEVersionBlock.varFileInfo([(0x409, 1252), (0x407, 1200)])
        blob.children[1].children[0].valueLength = 6
        var info = try read(blob)
        #expect(info.version?.translations == [Translation(language: 0x409, codePage: 1252)])
        #expect(info.versionProblems.contains { $0.contains("not a multiple of 4") })

        blob.children[1].children[0].valueLength = 400
        info = try read(blob)
        #expect(info.version?.translations == [Translation(language: 0x409, codePage: 1252), Translation(language: 0x407, codePage: 1200)])
        #expect(info.versionProblems.contains { $0.contains("overruns its block") })
    }

    @Test("Several StringTables and unknown children, in file order")
    func severalTables() throws {
        let blob = PEVersionBlock.root(
            fixed: PEVersionBlock.fixedFileInfo(file: FileVersion(1, 2, 3, 4), product: FileVersion(1, 2)),
            children: [
                PEVersionBlock(key: "Unknown", type: 0, value: [1, 2, 3, 4]),
                PEVersionBlock.stringFileInfo([
                    PEVersionBlock.table("040704b0", [("FileVersion", "1.2.3.4 (de)")]),
                    PEVersionBlock.table("040904b0", [("FileVersion", "1.2.3.4"), ("Comments", "")]),
                ]),
                PEVersionBlock.varFileInfo([(0x407, 1200), (0x409, 1200)]),
            ])
        let info = try read(blob)
        #expect(info.versionProblems.isEmpty)
        let version = try #require(info.version)
        #expect(version.stringTables.map(\.key) == ["040704b0", "040904b0"])
        #expect(version.string("FileVersion") == "1.2.3.4 (de)")
        #expect(version.string("FileVersion", inTable: "040904b0") == "1.2.3.4")
        #expect(version.string("Comments", inTable: "040904b0") == "")
        #expect(version.translations.map(\.hex) == ["040704b0", "040904b0"])
    }

    @Test("A key without NUL is reported and the block ends there")
    func unterminatedKey() throws {
        var blob = PEVersionBlock.standard()
        // Root wLength ends inside "VS_VERSION_INFO".
        blob.length = 20
        let info = try read(blob)
        #expect(info.version?.fixed == nil)
        #expect(info.versionProblems.contains { $0.contains("has no NUL") })
    }

    @Test("Wrong root key is reported, the content still read")
    func wrongRootKey() throws {
        var blob = PEVersionBlock.standard()
        blob.key = "VS_VERSION_INFX"
        let info = try read(blob)
        #expect(info.versionProblems.contains { $0.contains("key is \"VS_VERSION_INFX\"") })
        #expect(info.version?.fixed?.fileVersion == FileVersion(5, 5, 2502, 0))
    }

    @Test("Zero padding after the last child is not a problem")
    func trailingPadding() throws {
        var bytes = PEVersionBlock.standard().encoded()
        let length = bytes.peGet16(0)
        bytes += [UInt8](repeating: 0, count: 12)
        bytes.pePut16(length + 12, at: 0)
        let info = try PEReader.read(SyntheticPE.withVersion(bytes).bytes)
        #expect(info.versionProblems.isEmpty)
        #expect(info.version?.translations.count == 1)
    }

    @Test("16-bit layout: no wType, ANSI keys and values")
    func win16Layout() throws {
        func block(_ key: String, value: [UInt8], children: [[UInt8]]) -> [UInt8] {
            var bytes: [UInt8] = [0, 0, 0, 0]
            bytes += Array(key.utf8) + [0]
            bytes.pePad(toMultipleOf: 4)
            bytes += value
            for child in children {
                bytes.pePad(toMultipleOf: 4)
                bytes += child
            }
            bytes.pePut16(UInt16(bytes.count), at: 0)
            bytes.pePut16(UInt16(value.count), at: 2)
            return bytes
        }
        let strings = block("StringFileInfo", value: [], children: [
            block("040904E4", value: [], children: [
                block("CompanyName", value: Array("Caf".utf8) + [0xE9, 0x80, 0], children: []),
                block("FileVersion", value: Array("4.0.0.950".utf8) + [0], children: []),
            ]),
        ])
        let vars = block("VarFileInfo", value: [], children: [block("Translation", value: [0x09, 0x04, 0xE4, 0x04], children: [])])
        let root = block("VS_VERSION_INFO",
                         value: PEVersionBlock.fixedFileInfo(file: FileVersion(4, 0, 0, 950), product: FileVersion(4, 0)),
                         children: [strings, vars])
        let info = try PEReader.read(SyntheticPE.withVersion(root).bytes)
        #expect(info.versionProblems.isEmpty)
        let version = try #require(info.version)
        #expect(version.fixed?.fileVersion == FileVersion(4, 0, 0, 950))
        #expect(version.string("CompanyName") == "Caf\u{E9}\u{20AC}")
        #expect(version.string("FileVersion") == "4.0.0.950")
        #expect(version.translations == [Translation(language: 0x409, codePage: 1252)])
    }

    @Test("Translation.hex pads to 8 lower-case digits", arguments: [
        (Translation(language: 0x409, codePage: 1252), "040904e4"),
        (Translation(language: 0, codePage: 0), "00000000"),
        (Translation(language: 0xFFFF, codePage: 0x4B0), "ffff04b0"),
    ])
    func translationHex(translation: Translation, hex: String) {
        #expect(translation.hex == hex)
    }
}
