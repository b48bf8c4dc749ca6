import PropertyBased
import Testing
@testable import PatchAuditKit

/// PEReader never crashes or hangs: random bytes and randomly damaged real DLLs either parse
/// or throw a PEParseError, and what they return is self-consistent.
@Suite("PE reader properties")
struct PEReaderPropertyTests {
    /// The real DLLs, loaded once.
    static let originals: [[UInt8]] = PEFixtures.dllNames.compactMap { try? PEFixtures.dll($0) }

    /// Parses `bytes` and checks what any successful parse must satisfy.
    private func checkParse(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
        let info: PEImageInfo
        do {
            info = try PEReader.read(bytes)
        } catch {
            // Typed throws: `error` is a PEParseError; its description must say something.
            #expect(!error.description.isEmpty, sourceLocation: sourceLocation)
            return
        }
        #expect(info.fileSize == bytes.count, sourceLocation: sourceLocation)
        #expect(info.checksum.matches == !info.integrityProblems.contains { $0.kind == .checksumMismatch },
                sourceLocation: sourceLocation)
        #expect(info.version != nil || info.otherVersions.isEmpty, sourceLocation: sourceLocation)
        #expect(info.otherVersions.count < ResourceDirectory.maxVersionLeaves, sourceLocation: sourceLocation)
        #expect(info.integrityProblems.allSatisfy { !$0.detail.isEmpty }, sourceLocation: sourceLocation)
        // Deterministic: a second parse gives the same answer.
        #expect((try? PEReader.read(bytes)) == info, sourceLocation: sourceLocation)
    }

    @Test("The fixtures loaded")
    func fixturesLoaded() {
        #expect(Self.originals.count == PEFixtures.dllNames.count)
    }

    @Test("Random bytes")
    func randomBytes() async {
        await propertyCheck(count: 300, input: Gen.uint8().array(of: 0...512)) { bytes in
            checkParse(bytes)
        }
    }

    @Test("Random bytes behind a valid DOS header and PE signature")
    func randomBytesAfterSignature() async {
        await propertyCheck(count: 300, input: Gen.uint8().array(of: 0...1024), Gen.bool) { tail, plus in
            var bytes = [UInt8](repeating: 0, count: 0x44)
            bytes[0] = 0x4D; bytes[1] = 0x5A
            bytes[0x3C] = 0x40
            bytes[0x40] = 0x50; bytes[0x41] = 0x45
            bytes += tail
            // Make the optional header magic valid so parsing goes further.
            if bytes.count >= 0x5A { bytes.pePut16(plus ? 0x20B : 0x10B, at: 0x58) }
            checkParse(bytes)
        }
    }

    @Test("Real DLLs with bytes flipped")
    func flippedBytes() async {
        let positions = Gen.int(in: 0...0x13FF).array(of: 1...24)
        await propertyCheck(count: 250, input: Gen.int(in: 0...4), positions, Gen.uint8().array(of: 24)) { which, offsets, values in
            var bytes = Self.originals[which % Self.originals.count]
            for (offset, value) in zip(offsets, values) where offset < bytes.count {
                bytes[offset] ^= value | 1
            }
            checkParse(bytes)
        }
    }

    @Test("Real DLLs with resource bytes overwritten by small or extreme values")
    func resourceFieldsOverwritten() async {
        // .rsrc starts at 0xe00 (PE32 fixtures) or 0x1000 (PE32+); hit the directory and
        // VS_VERSIONINFO headers with the values that break parsers: 0, 0xffff, 0x8000_0000...
        let interesting: [UInt32] = [0, 1, 2, 6, 0x10, 0x7FFF_FFFF, 0x8000_0000, 0x8000_0010, 0xFFFF, 0xFFFF_FFFF, 0x330]
        await propertyCheck(count: 250, input: Gen.int(in: 0...4), Gen.int(in: 0...0x1FF).array(of: 1...4),
                            Gen.int(in: 0...(interesting.count - 1)).array(of: 4)) { which, offsets, picks in
            var bytes = Self.originals[which % Self.originals.count]
            let rsrc = bytes.count == 5120 ? 0x1000 : 0xE00
            for (offset, pick) in zip(offsets, picks) {
                let position = rsrc + offset * 2
                guard position + 4 <= bytes.count else { continue }
                bytes.pePut32(interesting[pick], at: position)
            }
            checkParse(bytes)
        }
    }

    @Test("Real DLLs truncated anywhere")
    func truncated() async {
        await propertyCheck(count: 250, input: Gen.int(in: 0...4), Gen.int(in: 0...0x1600)) { which, cut in
            let original = Self.originals[which % Self.originals.count]
            checkParse(Array(original.prefix(cut)))
        }
    }

    @Test("Real DLLs spliced: a chunk of one copied over or inserted into another")
    func spliced() async {
        await propertyCheck(count: 250, input: Gen.int(in: 0...4), Gen.int(in: 0...4),
                            Gen.int(in: 0...0x1600), Gen.int(in: 0...0x1600), Gen.int(in: 1...0x200), Gen.bool) {
            target, source, from, to, length, insert in
            var bytes = Self.originals[target % Self.originals.count]
            let donor = Self.originals[source % Self.originals.count]
            let start = min(from, donor.count)
            let chunk = donor[start..<min(start + length, donor.count)]
            let at = min(to, bytes.count)
            if insert {
                bytes.insert(contentsOf: chunk, at: at)
            } else {
                bytes.replaceSubrange(at..<min(at + chunk.count, bytes.count), with: chunk)
            }
            checkParse(bytes)
        }
    }

    @Test("Synthetic images with random VS_VERSIONINFO bytes")
    func randomVersionData() async {
        await propertyCheck(count: 250, input: Gen.uint8().array(of: 0...600), Gen.int(in: 0...2)) { noise, mode in
            var blob = PEVersionBlock.standard().encoded()
            switch mode {
            case 0: blob = noise                                     // pure noise
            case 1: for (index, byte) in noise.enumerated() where index < blob.count && byte < 24 {
                        blob[index] = byte                           // sparse small values
                    }
            default: blob = Array(blob.prefix(noise.count % (blob.count + 1)))  // truncated
            }
            checkParse(SyntheticPE.withVersion(blob).bytes)
        }
    }

    @Test("Checksum fast path equals the word-by-word reference")
    func checksumReference() async {
        await propertyCheck(count: 300, input: Gen.uint8().array(of: 0...700), Gen.int(in: -8...708)) { bytes, field in
            #expect(PEChecksum.compute(bytes, checksumFieldOffset: field) == peReferenceChecksum(bytes, checksumFieldOffset: field))
        }
    }
}
