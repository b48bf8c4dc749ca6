/// Walks the resource tree of an image down to its `RT_VERSION` leaves.
///
/// The tree is `IMAGE_RESOURCE_DIRECTORY` (16 bytes) followed by `NumberOfNamedEntries +
/// NumberOfIdEntries` 8-byte `IMAGE_RESOURCE_DIRECTORY_ENTRY`s, three levels deep: type →
/// name or id → language, whose entries point to `IMAGE_RESOURCE_DATA_ENTRY`s (RVA, size,
/// code page). Offsets inside the tree are relative to the start of the resource data
/// (data directory 2); the high bit of `Name` marks a named entry, the high bit of
/// `OffsetToData` a subdirectory.
///
/// The walk is bounded: exactly three levels, at most ``maxEntriesPerDirectory`` entries read
/// per directory and ``maxEntriesVisited`` in all, each directory visited once (a directory
/// reached again, as by a cycle, is reported and skipped), at most ``maxVersionLeaves`` leaves.
struct ResourceDirectory {
    /// One `RT_VERSION` language entry and its `IMAGE_RESOURCE_DATA_ENTRY`.
    struct VersionLeaf: Sendable {
        var resourceID: UInt16?
        var resourceName: String?
        var language: UInt16
        var dataRVA: UInt32
        var size: UInt32
        var codePage: UInt32
        /// Position in the walk (directory order), for stable ordering.
        var order: Int
        /// The resource data (`VS_VERSIONINFO`), clipped to what the file and section hold.
        var data: ByteReader

        /// "RT_VERSION id 1 language 0x409" for problem texts.
        var label: String {
            let name = resourceName.map { "name \"\($0)\"" } ?? "id \(resourceID ?? 0)"
            return "RT_VERSION \(name) language \(PEText.hex(language))"
        }
    }

    /// What the walk found.
    struct Findings: Sendable {
        /// The leaves under `RT_VERSION`, in directory order.
        var leaves: [VersionLeaf] = []
        /// Damage found in the tree.
        var integrity: [PEIntegrityProblem] = []
        /// The subset of the damage that concerns the `RT_VERSION` branch (or hides it).
        var versionProblems: [String] = []
    }

    /// Entries read from one directory at most; more are reported as malformed.
    static let maxEntriesPerDirectory = 4096
    /// Entries examined in the whole walk at most.
    static let maxEntriesVisited = 65_536
    /// `RT_VERSION` language entries collected at most.
    static let maxVersionLeaves = 64
    /// Problems recorded at most; one more line says that others were left out.
    static let maxProblems = 32
    /// `RT_VERSION` type id.
    static let versionType: UInt16 = 16

    private let image: ByteReader
    private let map: SectionMap
    private let rootRVA: UInt32
    private var visited: Set<UInt32> = []
    private var entriesVisited = 0
    private var problemCount = 0
    private var findings = Findings()

    private init(image: ByteReader, map: SectionMap, rootRVA: UInt32) {
        self.image = image
        self.map = map
        self.rootRVA = rootRVA
    }

    /// Finds the `RT_VERSION` leaves of the resource tree whose root is at `rootRVA`.
    static func versionLeaves(image: ByteReader, map: SectionMap, rootRVA: UInt32) -> Findings {
        var walker = ResourceDirectory(image: image, map: map, rootRVA: rootRVA)
        walker.walk()
        return walker.findings
    }

    private struct Entry {
        var name: UInt32
        var data: UInt32
        var isNamed: Bool { name & 0x8000_0000 != 0 }
        var isDirectory: Bool { data & 0x8000_0000 != 0 }
        var target: UInt32 { data & 0x7FFF_FFFF }
    }

    private mutating func walk() {
        guard let root = directory(at: 0, what: "root resource directory", versionBranch: true) else { return }
        var typeDirectories: [UInt32] = []
        // A named entry's low bits are a string offset, never a type id: only id entries count.
        for entry in root where !entry.isNamed && UInt16(truncatingIfNeeded: entry.name) == Self.versionType {
            guard entry.isDirectory else {
                record(.malformedResource, "RT_VERSION type entry points to a data entry (+\(PEText.hex(entry.target))), not a directory", true)
                continue
            }
            typeDirectories.append(entry.target)
        }
        for typeOffset in typeDirectories {
            guard let names = directory(at: typeOffset, what: "RT_VERSION directory", versionBranch: true) else { continue }
            for nameEntry in names {
                let resourceID: UInt16? = nameEntry.isNamed ? nil : UInt16(truncatingIfNeeded: nameEntry.name)
                // The name string is read only once a leaf needs it: at most maxVersionLeaves
                // times, however many named entries the directories claim.
                var resourceName: String?
                let label = nameEntry.isNamed
                    ? "RT_VERSION named entry (name at +\(PEText.hex(nameEntry.name & 0x7FFF_FFFF)))"
                    : "RT_VERSION id \(resourceID ?? 0)"
                guard nameEntry.isDirectory else {
                    record(.malformedResource, "\(label) points to a data entry where a language directory belongs", true)
                    continue
                }
                guard let languages = directory(at: nameEntry.target, what: "\(label) language directory", versionBranch: true) else { continue }
                for languageEntry in languages {
                    guard findings.leaves.count < Self.maxVersionLeaves else {
                        record(.malformedResource, "more than \(Self.maxVersionLeaves) RT_VERSION entries; the rest were not read", true)
                        return
                    }
                    let language = UInt16(truncatingIfNeeded: languageEntry.name)
                    guard !languageEntry.isNamed else {
                        record(.malformedResource, "\(label) has a named entry where a language id belongs", true)
                        continue
                    }
                    guard !languageEntry.isDirectory else {
                        record(.malformedResource, "\(label) language \(PEText.hex(language)) points to a fourth directory level", true)
                        continue
                    }
                    guard let leafRVA = rva(languageEntry.target, "\(label) data entry") else { continue }
                    let data = fetch(leafRVA, 16, "IMAGE_RESOURCE_DATA_ENTRY of \(label) language \(PEText.hex(language))", true)
                    guard let dataRVA = try? data.u32(0), let size = try? data.u32(4), let codePage = try? data.u32(8) else { continue }
                    if nameEntry.isNamed, resourceName == nil {
                        resourceName = name(at: nameEntry.name & 0x7FFF_FFFF)
                    }
                    var leaf = VersionLeaf(
                        resourceID: resourceID, resourceName: resourceName, language: language,
                        dataRVA: dataRVA, size: size, codePage: codePage, order: findings.leaves.count,
                        data: image.clippedSlice(0, 0))
                    leaf.data = fetch(dataRVA, OffsetMath.offset(size), "data of \(leaf.label)", true)
                    findings.leaves.append(leaf)
                }
            }
        }
    }

    /// Reads the directory at tree offset `offset` and returns its entries, or nil when it
    /// cannot be read at all or was visited before.
    private mutating func directory(at offset: UInt32, what: String, versionBranch: Bool) -> [Entry]? {
        guard visited.insert(offset).inserted else {
            record(.malformedResource, "\(what) at +\(PEText.hex(offset)) was reached again (a cycle or shared directory); skipped", versionBranch)
            return nil
        }
        guard let start = rva(offset, what) else { return nil }
        let header = fetch(start, 16, what, versionBranch)
        guard let named = try? header.u16(12), let ids = try? header.u16(14) else { return nil }
        var count = Int(named) + Int(ids)
        if count > Self.maxEntriesPerDirectory {
            record(.malformedResource, "\(what) at +\(PEText.hex(offset)) claims \(count) entries; only the first \(Self.maxEntriesPerDirectory) were read", versionBranch)
            count = Self.maxEntriesPerDirectory
        }
        let remaining = Self.maxEntriesVisited - entriesVisited
        if count > remaining {
            record(.malformedResource, "resource tree has more than \(Self.maxEntriesVisited) entries; the walk stopped", versionBranch)
            count = max(remaining, 0)
        }
        guard count > 0, let entriesRVA = OffsetMath.add(Int(start), 16).flatMap({ UInt32(exactly: $0) }) else { return [] }
        let table = fetch(entriesRVA, count * 8, "entries of \(what)", versionBranch)
        let readable = table.count / 8
        entriesVisited += readable
        var entries: [Entry] = []
        entries.reserveCapacity(readable)
        for index in 0..<readable {
            guard let name = try? table.u32(index * 8), let data = try? table.u32(index * 8 + 4) else { break }
            entries.append(Entry(name: name, data: data))
        }
        return entries
    }

    /// Reads the `IMAGE_RESOURCE_DIR_STRING_U` (WORD length, UTF-16 characters) at tree offset `offset`.
    private mutating func name(at offset: UInt32) -> String {
        guard let start = rva(offset, "resource name") else { return "?" }
        let lengthField = fetch(start, 2, "resource name", true)
        guard let length = try? lengthField.u16(0) else { return "?" }
        guard let textRVA = OffsetMath.add(Int(start), 2).flatMap({ UInt32(exactly: $0) }) else { return "?" }
        let text = fetch(textRVA, Int(length) * 2, "resource name", true)
        var units: [UInt16] = []
        units.reserveCapacity(text.count / 2)
        for index in 0..<(text.count / 2) {
            guard let unit = try? text.u16(index * 2) else { break }
            units.append(unit)
        }
        return String(decoding: units, as: UTF16.self)
    }

    /// The RVA of tree offset `offset`, or nil (recorded) when it does not fit in 32 bits.
    private mutating func rva(_ offset: UInt32, _ what: String) -> UInt32? {
        let (sum, overflow) = rootRVA.addingReportingOverflow(offset)
        guard !overflow else {
            let root = rootRVA
            record(.malformedResource, "\(what): offset +\(PEText.hex(offset)) from the resource root \(PEText.hex(root)) overflows 32 bits", true)
            return nil
        }
        return sum
    }

    /// The bytes of `size` at `rva`, clipped to what the file and the section hold; a shortfall
    /// is recorded as truncation (the file ends first) or malformation (the section ends first,
    /// or the RVA is in no section).
    private mutating func fetch(_ rva: UInt32, _ size: Int, _ what: String, _ versionBranch: Bool) -> ByteReader {
        let empty = image.clippedSlice(0, 0)
        switch map.locate(rva) {
        case .failure(.unmapped):
            record(.malformedResource, "\(what) at RVA \(PEText.hex(rva)) is outside every section", versionBranch)
            return empty
        case .failure(.uninitialized(let section)):
            record(.malformedResource, "\(what) at RVA \(PEText.hex(rva)) lies past the raw data of section \(section)", versionBranch)
            return empty
        case .success(let location):
            let inFile = image.available(from: location.fileOffset)
            let usable = min(size, location.backedBytes, inFile)
            if usable < size {
                let wantedEnd = OffsetMath.add(location.fileOffset, size).map { PEText.hex($0) } ?? "beyond 64 bits"
                let fileSize = image.count
                if inFile < min(size, location.backedBytes) {
                    record(.truncatedResource, "\(what) at file offset \(PEText.hex(location.fileOffset)) ends at \(wantedEnd), file is \(PEText.hex(fileSize)) bytes", versionBranch)
                } else {
                    record(.malformedResource, "\(what) at RVA \(PEText.hex(rva)) needs \(PEText.hex(size)) bytes, section \(location.region) holds \(PEText.hex(location.backedBytes)) from there", versionBranch)
                }
            }
            return image.clippedSlice(location.fileOffset, usable)
        }
    }

    /// Records a problem; past ``maxProblems`` only counts it (`detail` is then never built).
    private mutating func record(_ kind: PEIntegrityProblem.Kind, _ detail: @autoclosure () -> String, _ versionBranch: Bool) {
        problemCount += 1
        if problemCount > Self.maxProblems {
            if problemCount == Self.maxProblems + 1 {
                findings.integrity.append(PEIntegrityProblem(kind: .malformedResource, detail: "further resource problems not listed"))
                if versionBranch { findings.versionProblems.append("further resource problems not listed") }
            }
            return
        }
        let text = detail()
        findings.integrity.append(PEIntegrityProblem(kind: kind, detail: text))
        if versionBranch { findings.versionProblems.append(text) }
    }
}
