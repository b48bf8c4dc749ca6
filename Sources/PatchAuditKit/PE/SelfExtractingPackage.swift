/// Where a self-extracting package keeps the archive it carries.
///
/// Microsoft's patches of the era came as IExpress/WEXTRACT packages: a PE program whose
/// `RT_RCDATA` resource named `CABINET` holds a CAB. Other wrappers append the CAB (or a zip)
/// after the program's last section (the overlay). This finds that stretch of the file, so it
/// is read in place as the target's archive; libarchive's own search for a cabinet in a program
/// looks only at its first 128 KiB.
///
/// The resource walk is bounded: the three levels of `IMAGE_RESOURCE_DIRECTORY` (type, name,
/// language), at most ``maxEntries`` entries read per directory, every offset checked against
/// the file; a malformed tree means no payload (the archive readers then have their own go).
enum SelfExtractingPackage {
    struct Payload: Sendable, Hashable {
        /// Byte offset and length of the archive in the file.
        var offset: Int64
        var length: Int64
        /// `CABINET resource` or `appended`.
        var place: String
    }

    static let maxEntries = 4096
    static let rcData: UInt32 = 10

    /// The archive inside `bytes` (a whole PE file), or nil when it is not a package.
    static func locate(_ bytes: [UInt8]) -> Payload? {
        let image = ByteReader(bytes)
        guard let headers = try? PEHeaders.parse(image) else { return nil }
        let map = SectionMap(sections: headers.sections, sizeOfHeaders: headers.sizeOfHeaders, fileAlignment: headers.fileAlignment)
        if let resources = headers.directory(PEHeaders.resourceDirectoryIndex), resources.virtualAddress != 0,
           case .success(let root) = map.locate(resources.virtualAddress),
           let payload = cabinet(in: image, map: map, root: root.fileOffset) {
            return payload
        }
        // The overlay: what follows the furthest section's raw data.
        var end = 0
        for section in headers.sections {
            guard let sectionEnd = OffsetMath.add(OffsetMath.offset(section.pointerToRawData), OffsetMath.offset(section.sizeOfRawData)) else { continue }
            end = max(end, sectionEnd)
        }
        guard end > 0, end <= bytes.count - 4 else { return nil }
        let magic = Array(bytes[end..<(end + 4)])
        guard magic == Array("MSCF".utf8) || magic == [0x50, 0x4b, 0x03, 0x04] else { return nil }
        return Payload(offset: Int64(end), length: Int64(bytes.count - end), place: "appended")
    }

    /// `RT_RCDATA` → `CABINET` (any case) → first language: its data, when it starts like a CAB.
    static func cabinet(in image: ByteReader, map: SectionMap, root: Int) -> Payload? {
        struct Entry { var name: UInt32; var data: UInt32 }
        func entries(at offset: UInt32) -> [Entry]? {
            guard let base = OffsetMath.add(root, OffsetMath.offset(offset)),
                  let named = try? image.u16(base + 12), let ids = try? image.u16(base + 14) else { return nil }
            var found: [Entry] = []
            for index in 0..<min(Int(named) + Int(ids), maxEntries) {
                guard let at = OffsetMath.add(base, 16 + 8 * index),
                      let name = try? image.u32(at), let data = try? image.u32(at + 4) else { return nil }
                found.append(Entry(name: name, data: data))
            }
            return found
        }
        func isCabinetName(_ name: UInt32) -> Bool {
            guard name & 0x8000_0000 != 0, let at = OffsetMath.add(root, OffsetMath.offset(name & 0x7FFF_FFFF)),
                  let length = try? image.u16(at), length == 7 else { return false }
            var text: [UInt8] = []
            for index in 0..<7 {
                guard let unit = try? image.u16(at + 2 + 2 * index), unit < 0x80 else { return false }
                text.append(UInt8(unit) & ~0x20)
            }
            return text == Array("CABINET".utf8)
        }
        guard let types = entries(at: 0),
              let rcdata = types.first(where: { $0.name == rcData && $0.data & 0x8000_0000 != 0 }),
              let names = entries(at: rcdata.data & 0x7FFF_FFFF),
              let cabinet = names.first(where: { isCabinetName($0.name) && $0.data & 0x8000_0000 != 0 }),
              let languages = entries(at: cabinet.data & 0x7FFF_FFFF),
              let language = languages.first(where: { $0.data & 0x8000_0000 == 0 }),
              let leaf = OffsetMath.add(root, OffsetMath.offset(language.data)),
              let rva = try? image.u32(leaf), let size = try? image.u32(leaf + 4), size >= 4,
              case .success(let location) = map.locate(rva),
              location.backedBytes >= Int(size), image.contains(location.fileOffset, Int(size)),
              let magic = try? image.u32(location.fileOffset), magic == 0x4643_534d   // "MSCF"
        else { return nil }
        return Payload(offset: Int64(location.fileOffset), length: Int64(size), place: "CABINET resource")
    }
}
