/// What a partition table says that TSK does not hand on: read from the image's own sectors,
/// bounded, to check TSK's list against.
///
/// - The MBR's extended chain: TSK 4.11 stops quietly where a link of the chain is damaged
///   (an EBR without its 55 AA signature), and the logical drives after it vanish. The chain is
///   followed here too (at most ``maxLogicalDrives`` links, each sector once) so a break is
///   reported, never silently dropped.
/// - GPT entries' numbers and type GUIDs: TSK describes a GPT partition by its free-text name
///   and numbers entries with 8 bits, so a partition's number comes from the table read here,
///   and whether one that holds no readable file system is a Windows volume (then: unreadable,
///   review) or another kind (then: skipped) is decided by its type GUID.
enum PartitionTables {
    /// Logical drives read at most (more is a damaged or hostile chain: a limit, named).
    static let maxLogicalDrives = 64
    /// GPT entries read at most (the standard table has 128).
    static let maxGPTEntries = 128

    struct ExtendedChain {
        /// The start sector of each logical drive, in the order of the chain (how Linux and
        /// Windows number them; TSK lists partitions by position on the disk instead).
        var logicalStarts: [Int64] = []
        /// Why the chain could not be followed to its end, if it could not.
        var broken: String?
        /// The chain lists more than ``maxLogicalDrives`` drives.
        var tooLong = false
    }

    /// The start sector of each used, non-extended primary entry of the MBR, by slot (0-3).
    static func primaryStarts(of image: TSKImage) -> [Int: Int64] {
        guard let mbr = image.read(at: 0, count: 512), mbr[510] == 0x55, mbr[511] == 0xaa else { return [:] }
        var starts: [Int: Int64] = [:]
        for index in 0..<4 {
            let entry = 446 + 16 * index
            let type = mbr[entry + 4]
            if type != 0 && ![0x05, 0x0f, 0x85].contains(type) { starts[index] = Int64(mbr.u32(entry + 8)) }
        }
        return starts
    }

    /// Follows the MBR's extended partitions (types 05, 0F, 85) link by link.
    static func extendedChain(of image: TSKImage) -> ExtendedChain {
        var chain = ExtendedChain()
        guard let mbr = image.read(at: 0, count: 512), mbr[510] == 0x55, mbr[511] == 0xaa else { return chain }
        let extendedTypes: Set<UInt8> = [0x05, 0x0f, 0x85]
        for index in 0..<4 {
            let entry = 446 + 16 * index
            guard extendedTypes.contains(mbr[entry + 4]) else { continue }
            let base = Int64(mbr.u32(entry + 8))
            var sector = base
            var seen = Set<Int64>()
            while true {
                guard seen.insert(sector).inserted else {
                    chain.broken = "the extended partition's chain of tables loops back to sector \(sector)"
                    break
                }
                let (offset, overflow) = sector.multipliedReportingOverflow(by: 512)
                guard !overflow, let ebr = image.read(at: offset, count: 512) else {
                    chain.broken = "the extended partition's table at sector \(sector) lies outside the image"
                    break
                }
                // An empty first table (all zeros): an extended partition with no drive yet.
                if sector == base && ebr.allSatisfy({ $0 == 0 }) { break }
                guard ebr[510] == 0x55, ebr[511] == 0xaa else {
                    chain.broken = "the extended partition's table at sector \(sector) is damaged (no 55 AA signature): logical drives after it could not be read"
                    break
                }
                if ebr[446 + 4] != 0 && ebr.u32(446 + 12) != 0 {
                    guard chain.logicalStarts.count < maxLogicalDrives else {
                        chain.tooLong = true
                        break
                    }
                    chain.logicalStarts.append(sector + Int64(ebr.u32(446 + 8)))
                }
                let next = 446 + 16
                guard extendedTypes.contains(ebr[next + 4]), ebr.u32(next + 12) != 0 else { break }
                sector = base + Int64(ebr.u32(next + 8))
            }
        }
        return chain
    }

    /// One used GPT entry.
    struct GPTEntry {
        var index: Int
        var start: Int64
        var type: String
    }

    /// The used entries of the GPT (at most ``maxGPTEntries``), by the table's own numbering
    /// (TSK's slot numbers are 8-bit and wrap past entry 127); `more`: the table has more.
    static func gptEntries(of image: TSKImage) -> (entries: [GPTEntry], more: Bool) {
        for sectorSize in [512, 4096] {
            guard let header = image.read(at: Int64(sectorSize), count: 92), header.starts(with: Array("EFI PART".utf8)) else { continue }
            let entriesLBA = Int64(clamping: header.u64(72)), count = Int(header.u32(80)), entrySize = Int(header.u32(84))
            guard entrySize >= 128, entrySize <= 4096, entriesLBA > 0, entriesLBA < Int64.max / Int64(sectorSize) else { return ([], false) }
            let wanted = min(count, maxGPTEntries)
            guard wanted > 0, let table = image.read(at: entriesLBA * Int64(sectorSize), count: wanted * entrySize) else { return ([], false) }
            var entries: [GPTEntry] = []
            for index in 0..<wanted {
                let guid = Array(table[(index * entrySize)..<(index * entrySize + 16)])
                guard guid.contains(where: { $0 != 0 }) else { continue }
                entries.append(GPTEntry(index: index, start: Int64(clamping: table.u64(index * entrySize + 32)), type: text(ofGUID: guid)))
            }
            return (entries, count > maxGPTEntries)
        }
        return ([], false)
    }

    /// A GUID as written (`EBD0A0A2-B9E5-4433-87C0-68B6B72699C7`): the first three fields are
    /// stored little-endian.
    static func text(ofGUID bytes: [UInt8]) -> String {
        let order = [3, 2, 1, 0, -1, 5, 4, -1, 7, 6, -1, 8, 9, -1, 10, 11, 12, 13, 14, 15]
        return order.map { $0 < 0 ? "-" : hex2(bytes[$0]) }.joined()
    }

    static func hex2(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0xf)]])
    }

    /// GPT types of Windows volumes (basic data, EFI system, LDM, recovery): one that no file
    /// system opens on is unreadable (review); any other type is listed as skipped.
    static let windowsGPT: Set<String> = [
        "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7", "C12A7328-F81F-11D2-BA4B-00A0C93EC93B",
        "5808C8AA-7E8F-42E0-85D2-E1E90434CFB3", "AF9B60A0-1431-4F62-BC68-3311714A69AD",
        "DE94BBA4-06D1-4D40-A16A-BFD50179D6AC",
    ]

    /// MBR types of the file systems DOS and Windows used (FAT12/16/32, NTFS, their hidden
    /// forms, dynamic disks): one that no file system opens on is unreadable (review). Any
    /// other type (Linux, swap, OS/2 Boot Manager, hibernation, BSD ...) is listed as skipped.
    static let windowsMBR: Set<UInt8> = [0x01, 0x04, 0x06, 0x07, 0x0b, 0x0c, 0x0e, 0x11, 0x14, 0x16, 0x17, 0x1b, 0x1c, 0x1e, 0x42]

    /// The MBR type TSK names in a description such as `Linux (0x83)`.
    static func mbrType(inDescription description: String) -> UInt8? {
        guard let open = description.lastIndex(of: "("), description[open...].hasPrefix("(0x"),
              let close = description[open...].firstIndex(of: ")") else { return nil }
        return UInt8(description[description.index(open, offsetBy: 3)..<close], radix: 16)
    }
}
