/// Why a byte image is not a readable PE file at all: the fatal failures of ``PEReader/read(_:)``.
///
/// A closed set. Each case names the on-disk structure that could not be read. Everything
/// milder (a section or the resource tree running past the end of the file, a checksum
/// mismatch, a broken version resource) is not an error: ``PEReader`` records it in
/// ``PEImageInfo/integrityProblems`` or ``PEImageInfo/versionProblems`` and goes on.
public enum PEParseError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    /// The image does not start with the DOS signature "MZ" (`IMAGE_DOS_HEADER.e_magic`),
    /// including an empty or one-byte image.
    case notMZ

    /// The image starts with "MZ" but is shorter than the 64-byte `IMAGE_DOS_HEADER`, so
    /// `e_lfanew` (at 0x3C) cannot be read.
    case truncatedDOSHeader(fileSize: Int)

    /// `IMAGE_DOS_HEADER.e_lfanew` points where no 4-byte signature fits inside the file.
    case peHeaderOffsetOutOfRange(offset: UInt32, fileSize: Int)

    /// At `e_lfanew` there is no "PE\0\0" signature. `found` holds the four bytes there as a
    /// little-endian value; "NE" (16-bit Windows), "LE" and "LX" (VxD/OS/2) are recognized in
    /// ``description``.
    case missingPESignature(offset: UInt32, found: UInt32)

    /// The 20-byte COFF `IMAGE_FILE_HEADER` after the signature runs past the end of the file.
    case truncatedFileHeader(offset: Int, fileSize: Int)

    /// The optional header (`IMAGE_OPTIONAL_HEADER32/64`: its fixed fields and the data
    /// directories that `NumberOfRvaAndSizes` announces, at most 16) runs past the end of the
    /// file. `needed` is the offset where the part that must be read ends.
    case truncatedOptionalHeader(offset: Int, needed: Int, fileSize: Int)

    /// `IMAGE_OPTIONAL_HEADER.Magic` is neither 0x10b (PE32) nor 0x20b (PE32+); a ROM image
    /// (0x107) lands here too.
    case unknownOptionalHeaderMagic(UInt16)

    /// The section table (`NumberOfSections` × 40-byte `IMAGE_SECTION_HEADER`, starting
    /// `SizeOfOptionalHeader` bytes after the optional header starts) runs past the end of the file.
    case truncatedSectionTable(offset: Int, sectionCount: UInt16, fileSize: Int)

    /// One sentence for a report: what was expected, where, and what was found.
    public var description: String {
        switch self {
        case .notMZ:
            return "not a Windows executable: the file does not start with the DOS signature \"MZ\""
        case .truncatedDOSHeader(let fileSize):
            return "DOS header truncated: the file is \(fileSize) bytes, the IMAGE_DOS_HEADER needs 64"
        case .peHeaderOffsetOutOfRange(let offset, let fileSize):
            return "e_lfanew \(PEText.hex(offset)) points past the end of the file (\(PEText.hex(fileSize)) bytes): no PE header"
        case .missingPESignature(let offset, let found):
            let low = UInt16(truncatingIfNeeded: found)
            switch low {
            case 0x454E:
                return "not a PE file: a 16-bit NE executable (\"NE\" at \(PEText.hex(offset)), Windows 3.x/OS/2 1.x)"
            case 0x454C, 0x584C:
                let kind = low == 0x454C ? "LE" : "LX"
                return "not a PE file: an \(kind) executable (\"\(kind)\" at \(PEText.hex(offset)), VxD or OS/2)"
            default:
                return "not a PE file: no \"PE\\0\\0\" signature at e_lfanew \(PEText.hex(offset)) (found \(PEText.hex(found)))"
            }
        case .truncatedFileHeader(let offset, let fileSize):
            return "COFF file header at \(PEText.hex(offset)) runs past the end of the file (\(PEText.hex(fileSize)) bytes)"
        case .truncatedOptionalHeader(let offset, let needed, let fileSize):
            return "optional header at \(PEText.hex(offset)) needs the file to reach \(PEText.hex(needed)), it is \(PEText.hex(fileSize)) bytes"
        case .unknownOptionalHeaderMagic(let magic):
            return "unknown optional header magic \(PEText.hex(magic)) (expected 0x10b PE32 or 0x20b PE32+)"
        case .truncatedSectionTable(let offset, let count, let fileSize):
            return "section table at \(PEText.hex(offset)) with \(count) sections runs past the end of the file (\(PEText.hex(fileSize)) bytes)"
        }
    }
}
