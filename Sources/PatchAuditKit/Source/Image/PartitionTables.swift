/// What a partition table says that TSK does not hand on: read from the image's own sectors,
/// bounded, to check TSK's list against.
///
/// - The MBR's extended chain: TSK 4.11 stops quietly where a link of the chain is damaged
///   (an EBR without its 55 AA signature), and the logical drives after it vanish. The chain is
///   followed here too (at most ``maxLogicalDrives`` links, each sector once) so a break is
///   reported, never silently dropped.
/// - GPT entries' type GUIDs: TSK describes a GPT partition by its free-text name, so whether a
///   partition that holds no readable file system is a Windows one (then: unreadable, review)
///   or a Linux, swap or reserved one (then: skipped) is decided by its type GUID, read here.
enum PartitionTables {
    /// Logical drives read at most (more is a damaged or hostile chain: a limit, named).
    static let maxLogicalDrives = 64
    /// GPT entries read at most (the standard table has 128).
    static let maxGPTEntries = 128

    struct ExtendedChain {
        /// Logical drives the chain lists, as far as it could be followed.
        var logicalDrives = 0
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
                guard ebr[510] == 0x55, ebr[511] == 0xaa else {
                    chain.broken = "the extended partition's table at sector \(sector) is damaged (no 55 AA signature): logical drives after it could not be read"
                    break
                }
                if ebr[446 + 4] != 0 && ebr.u32(446 + 12) != 0 { chain.logicalDrives += 1 }
                guard chain.logicalDrives <= maxLogicalDrives else {
                    chain.tooLong = true
                    break
                }
                let next = 446 + 16
                guard extendedTypes.contains(ebr[next + 4]), ebr.u32(next + 12) != 0 else { break }
                sector = base + Int64(ebr.u32(next + 8))
            }
        }
        return chain
    }

    /// The type GUID of each GPT entry (by entry index, at most ``maxGPTEntries``), as text.
    static func gptTypes(of image: TSKImage) -> [Int: String] {
        for sectorSize in [512, 4096] {
            guard let header = image.read(at: Int64(sectorSize), count: 92), header.starts(with: Array("EFI PART".utf8)) else { continue }
            let entriesLBA = Int64(clamping: header.u64(72)), count = Int(header.u32(80)), entrySize = Int(header.u32(84))
            guard entrySize >= 128, entrySize <= 4096, entriesLBA > 0, entriesLBA < Int64.max / Int64(sectorSize) else { return [:] }
            let wanted = min(count, maxGPTEntries)
            guard wanted > 0, let table = image.read(at: entriesLBA * Int64(sectorSize), count: wanted * entrySize) else { return [:] }
            var types: [Int: String] = [:]
            for index in 0..<wanted {
                let guid = Array(table[(index * entrySize)..<(index * entrySize + 16)])
                if guid.contains(where: { $0 != 0 }) { types[index] = text(ofGUID: guid) }
            }
            return types
        }
        return [:]
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

    /// GPT types that hold no Windows volume: skipped when no file system opens there.
    static let notWindowsGPT: [String: String] = [
        "E3C9E316-0B5C-4DB8-817D-F92DF00215AE": "Microsoft reserved",
        "21686148-6449-6E6F-744E-656564454649": "BIOS boot",
        "0FC63DAF-8483-4772-8E79-3D69D8477DE4": "Linux file system",
        "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F": "Linux swap",
        "E6D6D379-F507-44C2-A23C-238F2A3DF928": "Linux LVM",
        "A19D880F-05FC-4D3B-A006-743F0F84911E": "Linux RAID",
        "48465300-0000-11AA-AA11-00306543ECAC": "Apple HFS+",
        "7C3457EF-0000-11AA-AA11-00306543ECAC": "Apple APFS",
    ]

    /// MBR types that hold no Windows volume (Linux, swap, LVM, RAID, BSD, HFS, Solaris).
    static let notWindowsMBR: Set<UInt8> = [0x82, 0x83, 0x8e, 0xfd, 0xa5, 0xa6, 0xa9, 0xaf, 0xbe, 0xbf]

    /// The MBR type TSK names in a description such as `Linux (0x83)`.
    static func mbrType(inDescription description: String) -> UInt8? {
        guard let open = description.lastIndex(of: "("), description[open...].hasPrefix("(0x"),
              let close = description[open...].firstIndex(of: ")") else { return nil }
        return UInt8(description[description.index(open, offsetBy: 3)..<close], radix: 16)
    }
}
