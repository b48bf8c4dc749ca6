/// Maps relative virtual addresses (RVAs) to file offsets through the section table
/// (`IMAGE_SECTION_HEADER.VirtualAddress`/`PointerToRawData`) and the headers region.
struct SectionMap: Sendable {
    /// Where an RVA lies in the file.
    struct Location: Sendable, Hashable {
        /// File offset of the RVA (may lie past the end of the file when it is truncated).
        var fileOffset: Int
        /// Bytes the section (or headers region) holds in the file from `fileOffset` on,
        /// before the end of the file is taken into account.
        var backedBytes: Int
        /// Name of the section holding the RVA, "headers" for the headers region.
        var region: String
    }

    /// Why an RVA has no file location.
    enum Miss: Error, Sendable, Hashable {
        /// No section (and not the headers region) covers the RVA.
        case unmapped
        /// The RVA is inside a section's memory but past its raw data: zero-filled when loaded.
        case uninitialized(section: String)
    }

    private struct Span: Sendable {
        var start: Int       // VirtualAddress
        var end: Int         // VirtualAddress + max(VirtualSize, SizeOfRawData)
        var rawStart: Int    // PointerToRawData, rounded down to 0x200 as the loader does
        var rawSize: Int     // SizeOfRawData
        var name: String
    }

    /// Sections sorted by VirtualAddress (stable), empty ones left out.
    private let spans: [Span]
    private let sizeOfHeaders: Int

    init(sections: [PESection], sizeOfHeaders: UInt32, fileAlignment: UInt32) {
        var spans: [Span] = []
        spans.reserveCapacity(sections.count)
        for section in sections {
            let start = OffsetMath.offset(section.virtualAddress)
            let length = OffsetMath.offset(max(section.virtualSize, section.sizeOfRawData))
            guard length > 0, let end = OffsetMath.add(start, length) else { continue }
            var rawStart = OffsetMath.offset(section.pointerToRawData)
            // The Windows loader rounds PointerToRawData down to 512 when FileAlignment >= 512.
            if fileAlignment >= 0x200 { rawStart &= ~0x1FF }
            spans.append(Span(start: start, end: end, rawStart: rawStart,
                              rawSize: OffsetMath.offset(section.sizeOfRawData), name: section.name))
        }
        // Sorting by start keeps lookups logarithmic even with 65535 sections.
        self.spans = spans.enumerated().sorted { lhs, rhs in
            lhs.element.start != rhs.element.start ? lhs.element.start < rhs.element.start : lhs.offset < rhs.offset
        }.map(\.element)
        self.sizeOfHeaders = OffsetMath.offset(sizeOfHeaders)
    }

    /// The file location of `rva`.
    ///
    /// Finds the section with the highest VirtualAddress not above `rva` and checks that its
    /// extent (`max(VirtualSize, SizeOfRawData)`) covers it; an RVA below `SizeOfHeaders` that no
    /// section covers maps to the same file offset (the headers are mapped unchanged).
    func locate(_ rva: UInt32) -> Result<Location, Miss> {
        let target = OffsetMath.offset(rva)
        // Binary search: the last span whose start <= target.
        var low = 0, high = spans.count
        while low < high {
            let middle = low + (high - low) / 2
            if spans[middle].start <= target { low = middle + 1 } else { high = middle }
        }
        if low > 0 {
            let span = spans[low - 1]
            if target < span.end {
                let delta = target - span.start
                guard delta < span.rawSize, let offset = OffsetMath.add(span.rawStart, delta) else {
                    return .failure(.uninitialized(section: span.name))
                }
                return .success(Location(fileOffset: offset, backedBytes: span.rawSize - delta, region: span.name))
            }
        }
        if target < sizeOfHeaders {
            return .success(Location(fileOffset: target, backedBytes: sizeOfHeaders - target, region: "headers"))
        }
        return .failure(.unmapped)
    }
}
