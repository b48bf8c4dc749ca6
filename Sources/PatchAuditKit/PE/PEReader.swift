/// Reads the headers, integrity and version resource of a PE image (a Windows EXE or DLL).
public enum PEReader {
    /// Truncated sections listed at most; one more problem counts the others.
    static let maxSectionProblems = 32

    /// Parses a whole file image held in memory.
    ///
    /// Reads `IMAGE_DOS_HEADER.e_lfanew`, the "PE\0\0" signature, `IMAGE_FILE_HEADER`,
    /// `IMAGE_OPTIONAL_HEADER32` or `64` (its data directories as far as `NumberOfRvaAndSizes`
    /// reaches, at most 16) and the section table; checks that `SizeOfHeaders`, every section's
    /// raw data and the attribute certificate table lie inside the file; computes the checksum
    /// (``PEChecksum/compute(_:checksumFieldOffset:)``); and walks the resource tree
    /// (`IMAGE_RESOURCE_DIRECTORY`) to every `RT_VERSION` (type 16) language entry, parsing each
    /// `VS_VERSIONINFO`.
    ///
    /// **Which version resource is ``PEImageInfo/version``.** Mirroring `GetFileVersionInfo`'s
    /// `FindResource` lookup, the `RT_VERSION` language entries are ranked: language-neutral
    /// 0x0000 first, then 0x0409 (US English), then the others by ascending language id; entries
    /// of the same language by ascending resource id, numeric ids before named entries (in
    /// directory order). The first is chosen; the rest go to ``PEImageInfo/otherVersions`` in
    /// that order. Every entry found yields a ``VersionInfo``, partly empty when its data is
    /// damaged, so `version` is nil only when the image has no `RT_VERSION` entry that could be
    /// located (``PEImageInfo/versionProblems`` then says why, if one was present).
    ///
    /// Damage that leaves the headers readable does not throw: truncation, a checksum mismatch
    /// and a malformed resource tree go to ``PEImageInfo/integrityProblems``; trouble inside a
    /// version resource goes to ``PEImageInfo/versionProblems``, prefixed with the entry it
    /// concerns ("RT_VERSION id 1 language 0x409: ..."). All reads are bounds-checked and the
    /// resource walk is bounded, so any input returns or throws in time linear in its size.
    ///
    /// - Parameter bytes: the complete file image.
    /// - Returns: what was read.
    /// - Throws: ``PEParseError`` when the bytes are not a PE image or its headers (up to the
    ///   end of the section table) cannot be read.
    public static func read(_ bytes: [UInt8]) throws(PEParseError) -> PEImageInfo {
        let image = ByteReader(bytes)
        let headers = try PEHeaders.parse(image)
        let fileSize = bytes.count
        var integrity: [PEIntegrityProblem] = []

        let headersEnd = OffsetMath.offset(headers.sizeOfHeaders)
        if headersEnd > fileSize {
            integrity.append(PEIntegrityProblem(
                kind: .truncatedHeaders,
                detail: "SizeOfHeaders reaches \(PEText.hex(headersEnd)), file is \(PEText.hex(fileSize)) bytes"))
        }

        var truncatedSections = 0
        for section in headers.sections where section.sizeOfRawData > 0 {
            let start = OffsetMath.offset(section.pointerToRawData)
            let end = OffsetMath.add(start, OffsetMath.offset(section.sizeOfRawData)) ?? Int.max
            guard end > fileSize else { continue }
            truncatedSections += 1
            guard truncatedSections <= maxSectionProblems else { continue }
            integrity.append(PEIntegrityProblem(
                kind: .truncatedSection,
                detail: "section \(section.name) ends at \(PEText.hex(end)), file is \(PEText.hex(fileSize)) bytes"))
        }
        if truncatedSections > maxSectionProblems {
            integrity.append(PEIntegrityProblem(
                kind: .truncatedSection,
                detail: "\(truncatedSections - maxSectionProblems) further truncated sections not listed"))
        }

        if let certificates = headers.directory(PEHeaders.certificateDirectoryIndex),
           certificates.virtualAddress != 0, certificates.size != 0 {
            // The certificate table's "VirtualAddress" is a file offset.
            let end = OffsetMath.add(OffsetMath.offset(certificates.virtualAddress), OffsetMath.offset(certificates.size)) ?? Int.max
            if end > fileSize {
                integrity.append(PEIntegrityProblem(
                    kind: .truncatedSection,
                    detail: "attribute certificate table (data directory 4) ends at \(PEText.hex(end)), file is \(PEText.hex(fileSize)) bytes"))
            }
        }

        var versions: [VersionInfo] = []
        var versionProblems: [String] = []
        if let resources = headers.directory(PEHeaders.resourceDirectoryIndex), resources.virtualAddress != 0 {
            let map = SectionMap(sections: headers.sections, sizeOfHeaders: headers.sizeOfHeaders,
                                 fileAlignment: headers.fileAlignment)
            let findings = ResourceDirectory.versionLeaves(image: image, map: map, rootRVA: resources.virtualAddress)
            integrity += findings.integrity
            versionProblems += findings.versionProblems
            // Entries sharing one data block are parsed once.
            var parsedByData: [UInt64: VersionResourceParser.Result] = [:]
            for leaf in rankedForChoice(findings.leaves) {
                let dataKey = UInt64(leaf.dataRVA) << 32 | UInt64(leaf.size)
                let parsed = parsedByData[dataKey] ?? VersionResourceParser.parse(leaf.data)
                parsedByData[dataKey] = parsed
                versionProblems += parsed.problems.map { "\(leaf.label): \($0)" }
                versions.append(VersionInfo(
                    resourceLanguage: leaf.language, resourceID: leaf.resourceID,
                    resourceName: leaf.resourceName, resourceCodePage: leaf.codePage,
                    fixed: parsed.fixed, stringTables: parsed.tables, translations: parsed.translations))
            }
        }

        let checksum = PEChecksum(stored: headers.storedChecksum,
                                  computed: PEChecksum.compute(bytes, checksumFieldOffset: headers.checksumOffset))
        if !checksum.matches {
            integrity.append(PEIntegrityProblem(
                kind: .checksumMismatch,
                detail: "stored CheckSum \(PEText.hex(checksum.stored)), computed \(PEText.hex(checksum.computed))"))
        }

        return PEImageInfo(
            format: headers.format, machine: headers.machine, characteristics: headers.characteristics,
            isDLL: headers.characteristics & 0x2000 != 0, checksum: checksum,
            integrityProblems: integrity, version: versions.first,
            otherVersions: Array(versions.dropFirst()), versionProblems: versionProblems,
            timeDateStamp: headers.timeDateStamp, sections: headers.sections, fileSize: fileSize)
    }

    /// The `RT_VERSION` leaves in choice order: language 0x0000, then 0x0409, then ascending
    /// language; within a language ascending id, ids before names, then directory order.
    static func rankedForChoice(_ leaves: [ResourceDirectory.VersionLeaf]) -> [ResourceDirectory.VersionLeaf] {
        func languageRank(_ language: UInt16) -> Int {
            switch language {
            case 0x0000: return 0
            case 0x0409: return 1
            default: return 2
            }
        }
        return leaves.sorted { lhs, rhs in
            let left = (languageRank(lhs.language), lhs.language, lhs.resourceID == nil ? 1 : 0, lhs.resourceID ?? 0, lhs.order)
            let right = (languageRank(rhs.language), rhs.language, rhs.resourceID == nil ? 1 : 0, rhs.resourceID ?? 0, rhs.order)
            return left < right
        }
    }

}
