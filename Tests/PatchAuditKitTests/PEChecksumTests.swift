import Testing
@testable import PatchAuditKit

/// The CheckSumMappedFile algorithm on its own.
@Suite("PE checksum")
struct PEChecksumTests {
    @Test("Empty input is 0, zeros add only the length")
    func zeros() {
        #expect(PEChecksum.compute([], checksumFieldOffset: 0) == 0)
        #expect(PEChecksum.compute([UInt8](repeating: 0, count: 10), checksumFieldOffset: 0) == 10)
    }

    @Test("Words are little-endian; an odd trailing byte is a low byte")
    func oddTrailingByte() {
        // 0x0201 + 0x0003 = 0x0204, plus length 3.
        #expect(PEChecksum.compute([0x01, 0x02, 0x03], checksumFieldOffset: 100) == 0x0207)
    }

    @Test("The carry out of 16 bits is folded back in")
    func carry() {
        // 0xffff + 0x0001 = 0x10000 -> 0x0001, plus length 4.
        #expect(PEChecksum.compute([0xFF, 0xFF, 0x01, 0x00], checksumFieldOffset: 100) == 5)
        // A non-zero sum that is a multiple of 0xffff stays 0xffff, as the word loop leaves it.
        #expect(PEChecksum.compute([0xFF, 0xFF], checksumFieldOffset: 100) == 0xFFFF + 2)
        #expect(PEChecksum.compute([0xFF, 0xFF, 0xFF, 0xFF], checksumFieldOffset: 100) == 0xFFFF + 4)
    }

    @Test("The four CheckSum bytes count as zero, wherever they are", arguments: [0, 1, 2, 3, 4, 5, 14, 15, 16])
    func fieldSkipped(offset: Int) {
        var bytes = [UInt8](repeating: 0x11, count: 19)
        let clean = PEChecksum.compute(bytes, checksumFieldOffset: offset)
        for index in offset..<min(offset + 4, bytes.count) { bytes[index] = 0xEE }
        #expect(PEChecksum.compute(bytes, checksumFieldOffset: offset) == clean)
        #expect(clean == peReferenceChecksum(bytes, checksumFieldOffset: offset))
    }

    @Test("Large input crossing the 1 MiB block boundary equals the reference")
    func large() {
        var generator = PETestRandom(seed: 0x5EED)
        let bytes = (0..<(2 * 1_048_576 + 3)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        #expect(PEChecksum.compute(bytes, checksumFieldOffset: 0x1D8) == peReferenceChecksum(bytes, checksumFieldOffset: 0x1D8))
    }

    @Test("matches: no stored checksum, equal, different")
    func matches() {
        #expect(PEChecksum(stored: 0, computed: 0x1234).matches)
        #expect(PEChecksum(stored: 0x1234, computed: 0x1234).matches)
        #expect(!PEChecksum(stored: 0x1235, computed: 0x1234).matches)
    }
}

/// A tiny deterministic generator for test data.
struct PETestRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
