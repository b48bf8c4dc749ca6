import Testing
@testable import PatchAuditKit

/// RVA to file offset mapping through the section table and the headers region.
@Suite("PE section map")
struct PESectionMapTests {
    // Deliberately out of VirtualAddress order, with a section whose raw data is shorter than
    // its virtual size and one with VirtualSize 0 (old linkers).
    let map = SectionMap(sections: [
        PESection(name: ".data", virtualAddress: 0x3000, virtualSize: 0x2000, pointerToRawData: 0x800,
                  sizeOfRawData: 0x200, characteristics: 0),
        PESection(name: ".text", virtualAddress: 0x1000, virtualSize: 0x300, pointerToRawData: 0x400,
                  sizeOfRawData: 0x400, characteristics: 0),
        PESection(name: ".rsrc", virtualAddress: 0x6000, virtualSize: 0, pointerToRawData: 0xA10,
                  sizeOfRawData: 0x200, characteristics: 0),
    ], sizeOfHeaders: 0x400, fileAlignment: 0x200)

    @Test("RVAs inside sections map to PointerToRawData plus the distance")
    func insideSections() throws {
        #expect(try map.locate(0x1000).get() == .init(fileOffset: 0x400, backedBytes: 0x400, region: ".text"))
        // Past VirtualSize but inside SizeOfRawData still maps (the extent is the larger one).
        #expect(try map.locate(0x13FF).get() == .init(fileOffset: 0x7FF, backedBytes: 1, region: ".text"))
        #expect(try map.locate(0x3010).get() == .init(fileOffset: 0x810, backedBytes: 0x1F0, region: ".data"))
        // PointerToRawData 0xa10 is rounded down to 0xa00 as the loader does.
        #expect(try map.locate(0x6004).get() == .init(fileOffset: 0xA04, backedBytes: 0x1FC, region: ".rsrc"))
    }

    @Test("RVAs in the headers region map to themselves")
    func headers() throws {
        #expect(try map.locate(0).get() == .init(fileOffset: 0, backedBytes: 0x400, region: "headers"))
        #expect(try map.locate(0x3FF).get() == .init(fileOffset: 0x3FF, backedBytes: 1, region: "headers"))
        let empty = SectionMap(sections: [], sizeOfHeaders: 0x200, fileAlignment: 0x200)
        #expect(try empty.locate(0x1FF).get().fileOffset == 0x1FF)
        #expect(empty.locate(0x200) == .failure(.unmapped))
    }

    @Test("RVAs between sections, past the last one, or in a zero-filled tail do not map")
    func misses() {
        #expect(map.locate(0x400) == .failure(.unmapped))
        #expect(map.locate(0x1400) == .failure(.unmapped))
        #expect(map.locate(0x3200) == .failure(.uninitialized(section: ".data")))
        #expect(map.locate(0x4FFF) == .failure(.uninitialized(section: ".data")))
        #expect(map.locate(0x5000) == .failure(.unmapped))
        #expect(map.locate(0xFFFF_FFFF) == .failure(.unmapped))
    }

    @Test("Small file alignment keeps PointerToRawData as is")
    func smallFileAlignment() throws {
        let tiny = SectionMap(sections: [
            PESection(name: "x", virtualAddress: 0x100, virtualSize: 0x80, pointerToRawData: 0x110,
                      sizeOfRawData: 0x80, characteristics: 0),
        ], sizeOfHeaders: 0x100, fileAlignment: 0x10)
        #expect(try tiny.locate(0x104).get().fileOffset == 0x114)
    }
}
