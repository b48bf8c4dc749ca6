/// Decides from a file's bytes whether it is a disk image, and which container: by bytes, not by
/// name (`pc42.bin` may be a raw disk, `backup.img` a VHD).
///
/// Signatures: E01 `EVF 09 0D 0A FF 00` (EnCase 1-6; split segments start the same), VHDX
/// `vhdxfile`, VHD `conectix` (the footer: the last 512 bytes of a fixed VHD, copied at the
/// start of a dynamic one), VMDK `KDMV` (sparse and streamOptimized) or a text descriptor that
/// starts `# Disk DescriptorFile`, QCOW `QFI FB`. Raw: an MBR (55 AA at byte 510 and a
/// partition table whose entries are sane), a GPT header (`EFI PART` at byte 512), or a FAT or
/// NTFS boot sector at byte 0 (a bare volume: floppy or partition image). Archives are
/// sniffed first (``ArchiveSniffer``): a hybrid ISO with an MBR stays an ISO.
enum ImageSniffer {
    enum Kind: String, Sendable, CustomStringConvertible {
        case raw, e01, vhd, vhdx, vmdk, vmdkDescriptor, qcow

        var description: String {
            switch self {
            case .raw: "raw"
            case .e01: "E01"
            case .vhd: "VHD"
            case .vhdx: "VHDX"
            case .vmdk, .vmdkDescriptor: "VMDK"
            case .qcow: "QCOW2"
            }
        }
    }

    /// Bytes wanted from the start; `tail`: the last 512 bytes (a fixed VHD's footer).
    static let headLength = 1024

    static func kind(head: [UInt8], tail: [UInt8]) -> Kind? {
        func starts(_ magic: [UInt8], at offset: Int = 0, in bytes: [UInt8]) -> Bool {
            bytes.count >= offset + magic.count && bytes[offset..<(offset + magic.count)].elementsEqual(magic)
        }
        if starts([0x45, 0x56, 0x46, 0x09, 0x0d, 0x0a, 0xff, 0x00], in: head) { return .e01 }
        if starts(Array("vhdxfile".utf8), in: head) { return .vhdx }
        if starts(Array("conectix".utf8), in: head) || starts(Array("conectix".utf8), in: tail) { return .vhd }
        if starts(Array("KDMV".utf8), in: head) { return .vmdk }
        if starts(Array("# Disk DescriptorFile".utf8), in: head) { return .vmdkDescriptor }
        if starts([0x51, 0x46, 0x49, 0xfb], in: head) { return .qcow }
        if starts(Array("EFI PART".utf8), at: 512, in: head) { return .raw }
        guard head.count >= 512, head[510] == 0x55, head[511] == 0xaa else { return nil }
        // A boot sector of a bare volume: NTFS, or FAT with a sane BIOS parameter block.
        if starts(Array("NTFS    ".utf8), at: 3, in: head) { return .raw }
        let bytesPerSector = Int(head[11]) | Int(head[12]) << 8
        let sectorsPerCluster = Int(head[13])
        if [512, 1024, 2048, 4096].contains(bytesPerSector), sectorsPerCluster > 0, sectorsPerCluster & (sectorsPerCluster - 1) == 0,
           head[16] == 1 || head[16] == 2, head[0] == 0xeb || head[0] == 0xe9 {
            return .raw
        }
        // An MBR: each of the four entries empty, or with a boot flag of 0x00/0x80 and a type.
        var used = 0
        for index in 0..<4 {
            let entry = 446 + 16 * index
            let status = head[entry], type = head[entry + 4]
            guard status == 0 || status == 0x80 else { return nil }
            if type != 0 { used += 1 }
        }
        return used > 0 ? .raw : nil
    }
}
