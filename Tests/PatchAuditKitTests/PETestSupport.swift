import Foundation
@testable import PatchAuditKit

/// Test inputs for the PE reader tests: the committed mingw DLLs and small synthetic images
/// built byte by byte.
enum PEFixtures {
    /// Folder of the committed DLLs (made by Resources/PE/make.sh).
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Resources/PE", isDirectory: true)

    /// The bytes of a committed DLL, e.g. "version32.dll".
    static func dll(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: folder.appendingPathComponent(name)))
    }

    /// All committed DLLs.
    static let dllNames = ["version32.dll", "version64.dll", "twolang32.dll", "noversion32.dll", "mismatch64.dll"]
}

// MARK: - Little-endian byte building

extension Array where Element == UInt8 {
    mutating func peAppend16(_ value: UInt16) { append(contentsOf: [UInt8(value & 0xFF), UInt8(value >> 8)]) }
    mutating func peAppend32(_ value: UInt32) {
        peAppend16(UInt16(value & 0xFFFF))
        peAppend16(UInt16(value >> 16))
    }
    mutating func peAppendUTF16(_ text: String, terminated: Bool = true) {
        for unit in text.utf16 { peAppend16(unit) }
        if terminated { peAppend16(0) }
    }
    mutating func pePad(toMultipleOf alignment: Int) {
        while count % alignment != 0 { append(0) }
    }
    mutating func pePut16(_ value: UInt16, at offset: Int) {
        self[offset] = UInt8(value & 0xFF)
        self[offset + 1] = UInt8(value >> 8)
    }
    mutating func pePut32(_ value: UInt32, at offset: Int) {
        pePut16(UInt16(value & 0xFFFF), at: offset)
        pePut16(UInt16(value >> 16), at: offset + 2)
    }
    func peGet16(_ offset: Int) -> UInt16 { UInt16(self[offset]) | UInt16(self[offset + 1]) << 8 }
    func peGet32(_ offset: Int) -> UInt32 { UInt32(peGet16(offset)) | UInt32(peGet16(offset + 2)) << 16 }
}

// MARK: - VS_VERSIONINFO blocks

/// One version-resource block (`VS_VERSIONINFO`, `StringFileInfo`, `String`...) to encode,
/// with optional lies in its header fields.
struct PEVersionBlock {
    var key: String
    var type: UInt16 = 1
    var value: [UInt8] = []
    /// wValueLength; nil = computed (WORDs for text, bytes for binary).
    var valueLength: UInt16? = nil
    /// wLength; nil = the true length.
    var length: UInt16? = nil
    var children: [PEVersionBlock] = []

    func encoded() -> [UInt8] {
        var bytes: [UInt8] = [0, 0, 0, 0, 0, 0]
        bytes.peAppendUTF16(key)
        bytes.pePad(toMultipleOf: 4)
        bytes += value
        for child in children {
            bytes.pePad(toMultipleOf: 4)
            bytes += child.encoded()
        }
        let trueValueLength = type == 1 ? value.count / 2 : value.count
        bytes.pePut16(length ?? UInt16(bytes.count), at: 0)
        bytes.pePut16(valueLength ?? UInt16(trueValueLength), at: 2)
        bytes.pePut16(type, at: 4)
        return bytes
    }

    static func fixedFileInfo(file: FileVersion, product: FileVersion, signature: UInt32 = 0xFEEF_04BD) -> [UInt8] {
        var bytes: [UInt8] = []
        for value in [signature, 0x0001_0000,
                      UInt32(file.major) << 16 | UInt32(file.minor), UInt32(file.build) << 16 | UInt32(file.revision),
                      UInt32(product.major) << 16 | UInt32(product.minor), UInt32(product.build) << 16 | UInt32(product.revision),
                      0x3F, 0, 0x40004, 2, 0, 0, 0] as [UInt32] {
            bytes.peAppend32(value)
        }
        return bytes
    }

    static func root(fixed: [UInt8]?, children: [PEVersionBlock]) -> PEVersionBlock {
        PEVersionBlock(key: "VS_VERSION_INFO", type: 0, value: fixed ?? [], children: children)
    }

    static func stringFileInfo(_ tables: [PEVersionBlock]) -> PEVersionBlock {
        PEVersionBlock(key: "StringFileInfo", type: 1, children: tables)
    }

    static func table(_ key: String, _ entries: [(String, String)]) -> PEVersionBlock {
        PEVersionBlock(key: key, type: 1, children: entries.map { string($0.0, $0.1) })
    }

    static func string(_ key: String, _ value: String) -> PEVersionBlock {
        var text: [UInt8] = []
        text.peAppendUTF16(value)
        return PEVersionBlock(key: key, type: 1, value: text)
    }

    static func varFileInfo(_ pairs: [(UInt16, UInt16)]) -> PEVersionBlock {
        var value: [UInt8] = []
        for (language, codePage) in pairs {
            value.peAppend16(language)
            value.peAppend16(codePage)
        }
        return PEVersionBlock(key: "VarFileInfo", type: 1,
                            children: [PEVersionBlock(key: "Translation", type: 0, value: value)])
    }

    /// A complete, well-formed version resource.
    static func standard(file: FileVersion = FileVersion(5, 5, 2502, 0), table: String = "040904e4",
                         fileVersionString: String? = nil, language: UInt16 = 0x409) -> PEVersionBlock {
        root(fixed: fixedFileInfo(file: file, product: FileVersion(5, 5, 2502, 0)), children: [
            stringFileInfo([self.table(table, [
                ("CompanyName", "Microsoft Corporation"),
                ("FileVersion", fileVersionString ?? file.description),
                ("ProductName", "Microsoft Outlook"),
            ])]),
            varFileInfo([(language, 1252)]),
        ])
    }
}

// MARK: - Resource trees

/// A resource tree node to lay out as `IMAGE_RESOURCE_DIRECTORY`s and data entries.
indirect enum PEResourceNode {
    case directory([(PEResourceKey, PEResourceNode)])
    case data([UInt8])
}

enum PEResourceKey {
    case id(UInt16)
    case name(String)
}

/// Lays out a resource section: directories breadth first, then name strings, then data
/// entries, then the data itself.
struct PEResourceLayout {
    /// The section bytes.
    var bytes: [UInt8] = []
    /// Section offsets of every directory, in layout order (root first).
    var directoryOffsets: [Int] = []
    /// Section offsets of every IMAGE_RESOURCE_DATA_ENTRY, in layout order.
    var dataEntryOffsets: [Int] = []
    /// Section offsets of every data blob, in layout order.
    var dataOffsets: [Int] = []

    init(_ root: PEResourceNode, sectionRVA: UInt32) {
        // Flatten breadth first.
        var directories: [[(PEResourceKey, PEResourceNode)]] = []
        var queue: [PEResourceNode] = [root]
        var leaves: [[UInt8]] = []
        var names: [String] = []
        while !queue.isEmpty {
            let node = queue.removeFirst()
            guard case .directory(let entries) = node else { continue }
            let sorted = entries.filter { if case .name = $0.0 { return true } else { return false } }
                + entries.filter { if case .id = $0.0 { return true } else { return false } }
            directories.append(sorted)
            for (key, child) in sorted {
                if case .name(let text) = key { names.append(text) }
                switch child {
                case .directory: queue.append(child)
                case .data(let blob): leaves.append(blob)
                }
            }
        }
        // Sizes.
        var offset = 0
        for entries in directories {
            directoryOffsets.append(offset)
            offset += 16 + 8 * entries.count
        }
        var nameOffsets: [Int] = []
        for name in names {
            nameOffsets.append(offset)
            offset += 2 + 2 * name.utf16.count
        }
        offset = (offset + 3) & ~3
        for _ in leaves {
            dataEntryOffsets.append(offset)
            offset += 16
        }
        for blob in leaves {
            offset = (offset + 3) & ~3
            dataOffsets.append(offset)
            offset += blob.count
        }
        bytes = [UInt8](repeating: 0, count: offset)
        // Fill.
        var nextDirectory = 1, nextName = 0, nextLeaf = 0
        for (index, entries) in directories.enumerated() {
            let base = directoryOffsets[index]
            let namedCount = entries.filter { if case .name = $0.0 { return true } else { return false } }.count
            bytes.pePut16(UInt16(namedCount), at: base + 12)
            bytes.pePut16(UInt16(entries.count - namedCount), at: base + 14)
            for (slot, (key, child)) in entries.enumerated() {
                let entry = base + 16 + slot * 8
                switch key {
                case .id(let id): bytes.pePut32(UInt32(id), at: entry)
                case .name:
                    bytes.pePut32(0x8000_0000 | UInt32(nameOffsets[nextName]), at: entry)
                    nextName += 1
                }
                switch child {
                case .directory:
                    bytes.pePut32(0x8000_0000 | UInt32(directoryOffsets[nextDirectory]), at: entry + 4)
                    nextDirectory += 1
                case .data:
                    bytes.pePut32(UInt32(dataEntryOffsets[nextLeaf]), at: entry + 4)
                    nextLeaf += 1
                }
            }
        }
        for (index, name) in names.enumerated() {
            bytes.pePut16(UInt16(name.utf16.count), at: nameOffsets[index])
            for (position, unit) in name.utf16.enumerated() {
                bytes.pePut16(unit, at: nameOffsets[index] + 2 + 2 * position)
            }
        }
        for (index, blob) in leaves.enumerated() {
            bytes.pePut32(sectionRVA + UInt32(dataOffsets[index]), at: dataEntryOffsets[index])
            bytes.pePut32(UInt32(blob.count), at: dataEntryOffsets[index] + 4)
            bytes.replaceSubrange(dataOffsets[index]..<(dataOffsets[index] + blob.count), with: blob)
        }
    }

    /// The usual three-level tree with one RT_VERSION resource per (id, language, data).
    static func versions(_ leaves: [(PEResourceKey, UInt16, [UInt8])], extraTypes: [(PEResourceKey, PEResourceNode)] = []) -> PEResourceNode {
        var byName: [(PEResourceKey, [(UInt16, [UInt8])])] = []
        for (key, language, data) in leaves {
            if let index = byName.firstIndex(where: { same($0.0, key) }) {
                byName[index].1.append((language, data))
            } else {
                byName.append((key, [(language, data)]))
            }
        }
        let version: PEResourceNode = .directory(byName.map { key, languages in
            (key, .directory(languages.map { (PEResourceKey.id($0.0), PEResourceNode.data($0.1)) }))
        })
        return .directory(extraTypes + [(.id(16), version)])
    }

    private static func same(_ lhs: PEResourceKey, _ rhs: PEResourceKey) -> Bool {
        switch (lhs, rhs) {
        case (.id(let a), .id(let b)): return a == b
        case (.name(let a), .name(let b)): return a == b
        default: return false
        }
    }
}

// MARK: - Synthetic PE images

/// A minimal PE image: headers in the first 0x200 bytes and one section ".rsrc" at RVA 0x1000,
/// file offset 0x200, holding the resource directory.
struct SyntheticPE {
    static let sectionRVA: UInt32 = 0x1000
    static let sectionFileOffset = 0x200
    static let peOffset = 0x40

    var format: PEFormat = .pe32
    var resources: PEResourceLayout?

    init(format: PEFormat = .pe32, resources: PEResourceNode?) {
        self.format = format
        self.resources = resources.map { PEResourceLayout($0, sectionRVA: Self.sectionRVA) }
    }

    /// File offset of the optional header.
    static let optionalHeaderOffset = peOffset + 4 + 20

    /// File offset of a section-relative offset.
    static func fileOffset(ofSectionOffset offset: Int) -> Int { sectionFileOffset + offset }

    var bytes: [UInt8] {
        let section = resources?.bytes ?? []
        let rawSize = (section.count + 0x1FF) & ~0x1FF
        var image = [UInt8](repeating: 0, count: Self.sectionFileOffset)
        image[0] = 0x4D; image[1] = 0x5A
        image.pePut32(UInt32(Self.peOffset), at: 0x3C)
        var headers: [UInt8] = Array("PE".utf8) + [0, 0]
        headers.peAppend16(format == .pe32 ? 0x14C : 0x8664)       // Machine
        headers.peAppend16(1)                                      // NumberOfSections
        headers.peAppend32(0x3300_0000)                            // TimeDateStamp
        headers.peAppend32(0); headers.peAppend32(0)                 // symbols
        headers.peAppend16(format == .pe32 ? 224 : 240)            // SizeOfOptionalHeader
        headers.peAppend16(0x2102)                                 // DLL | 32BIT_MACHINE | EXECUTABLE
        var optional: [UInt8] = []
        optional.peAppend16(format.magic)
        optional += [UInt8](repeating: 0, count: 22)             // linker version .. BaseOfCode (PE32: + BaseOfData below)
        if format == .pe32 { optional.peAppend32(0); optional.peAppend32(0x1000_0000) } else { optional.peAppend32(0x1000_0000); optional.peAppend32(0) }
        optional.peAppend32(0x1000)                                // SectionAlignment (offset 32)
        optional.peAppend32(0x200)                                 // FileAlignment (36)
        optional += [UInt8](repeating: 0, count: 16)             // OS/image/subsystem versions, Win32VersionValue
        optional.peAppend32(0x1000 + UInt32((section.count + 0xFFF) & ~0xFFF))  // SizeOfImage (56)
        optional.peAppend32(0x200)                                 // SizeOfHeaders (60)
        optional.peAppend32(0)                                     // CheckSum (64)
        optional.peAppend16(2); optional.peAppend16(0)               // Subsystem, DllCharacteristics
        let stackHeap = format == .pe32 ? 16 : 32
        optional += [UInt8](repeating: 0, count: stackHeap)
        optional.peAppend32(0)                                     // LoaderFlags
        optional.peAppend32(16)                                    // NumberOfRvaAndSizes
        for index in 0..<16 {
            if index == 2, resources != nil {
                optional.peAppend32(Self.sectionRVA); optional.peAppend32(UInt32(section.count))
            } else {
                optional.peAppend32(0); optional.peAppend32(0)
            }
        }
        headers += optional
        var sectionHeader: [UInt8] = Array(".rsrc".utf8) + [0, 0, 0]
        sectionHeader.peAppend32(UInt32(section.count))            // VirtualSize
        sectionHeader.peAppend32(Self.sectionRVA)                  // VirtualAddress
        sectionHeader.peAppend32(UInt32(rawSize))                  // SizeOfRawData
        sectionHeader.peAppend32(UInt32(Self.sectionFileOffset))   // PointerToRawData
        sectionHeader += [UInt8](repeating: 0, count: 12)
        sectionHeader.peAppend32(0x4000_0040)                      // INITIALIZED_DATA | MEM_READ
        headers += sectionHeader
        image.replaceSubrange(Self.peOffset..<(Self.peOffset + headers.count), with: headers)
        image += section
        image += [UInt8](repeating: 0, count: rawSize - section.count)
        return image
    }

    /// An image with one RT_VERSION (id 1) resource per language holding `blob`.
    static func withVersions(_ leaves: [(PEResourceKey, UInt16, [UInt8])], format: PEFormat = .pe32) -> SyntheticPE {
        SyntheticPE(format: format, resources: PEResourceLayout.versions(leaves))
    }

    /// An image with one RT_VERSION id 1, language 0x409, holding `blob`.
    static func withVersion(_ blob: [UInt8]) -> SyntheticPE {
        withVersions([(.id(1), 0x409, blob)])
    }
}

/// The imagehlp word loop, written the slow obvious way, as a reference for PEChecksum.
func peReferenceChecksum(_ bytes: [UInt8], checksumFieldOffset: Int) -> UInt32 {
    var sum: UInt32 = 0
    var index = 0
    while index < bytes.count {
        var word = UInt32(bytes[index])
        if index + 1 < bytes.count { word |= UInt32(bytes[index + 1]) << 8 }
        // Bytes of the CheckSum field count as zero.
        if (checksumFieldOffset..<(checksumFieldOffset + 4)).contains(index) { word &= 0xFF00 }
        if (checksumFieldOffset..<(checksumFieldOffset + 4)).contains(index + 1) { word &= 0x00FF }
        sum += word
        sum = (sum & 0xFFFF) + (sum >> 16)
        index += 2
    }
    return sum &+ UInt32(truncatingIfNeeded: bytes.count)
}
