/// The headers of a PE image that the reader needs: `IMAGE_DOS_HEADER.e_lfanew`,
/// `IMAGE_FILE_HEADER`, the fields of `IMAGE_OPTIONAL_HEADER32/64` it uses, the data
/// directories and the section table.
struct PEHeaders: Sendable {
    /// One `IMAGE_DATA_DIRECTORY`.
    struct DataDirectory: Sendable, Hashable {
        var virtualAddress: UInt32
        var size: UInt32
    }

    /// Index of the resource table in the data directories.
    static let resourceDirectoryIndex = 2
    /// Index of the attribute certificate table (a file offset, not an RVA).
    static let certificateDirectoryIndex = 4

    var peOffset: Int
    var machine: UInt16
    var numberOfSections: UInt16
    var timeDateStamp: UInt32
    var sizeOfOptionalHeader: UInt16
    var characteristics: UInt16
    var format: PEFormat
    var optionalHeaderOffset: Int
    var fileAlignment: UInt32
    var sectionAlignment: UInt32
    var sizeOfHeaders: UInt32
    var checksumOffset: Int
    var storedChecksum: UInt32
    var dataDirectories: [DataDirectory]
    var sectionTableOffset: Int
    var sections: [PESection]

    /// The data directory at `index`, or nil when `NumberOfRvaAndSizes` does not reach it.
    func directory(_ index: Int) -> DataDirectory? {
        dataDirectories.indices.contains(index) ? dataDirectories[index] : nil
    }

    /// Reads the headers, throwing when they are not a PE image or cannot be read.
    static func parse(_ image: ByteReader) throws(PEParseError) -> PEHeaders {
        let fileSize = image.count
        guard let magic = try? image.u16(0), magic == 0x5A4D else { throw .notMZ }
        guard let lfanew = try? image.u32(0x3C) else { throw .truncatedDOSHeader(fileSize: fileSize) }
        let peOffset = OffsetMath.offset(lfanew)
        guard let signature = try? image.u32(peOffset) else {
            throw .peHeaderOffsetOutOfRange(offset: lfanew, fileSize: fileSize)
        }
        guard signature == 0x0000_4550 else { throw .missingPESignature(offset: lfanew, found: signature) }

        // IMAGE_FILE_HEADER: 20 bytes after the signature.
        let fileHeader = peOffset + 4  // peOffset + 4 <= fileSize: the signature was read
        guard let coff = try? image.slice(fileHeader, 20) else {
            throw .truncatedFileHeader(offset: fileHeader, fileSize: fileSize)
        }
        let machine: UInt16, sectionCount: UInt16, timeDateStamp: UInt32
        let sizeOfOptionalHeader: UInt16, characteristics: UInt16
        do {
            machine = try coff.u16(0)
            sectionCount = try coff.u16(2)
            timeDateStamp = try coff.u32(4)
            sizeOfOptionalHeader = try coff.u16(16)
            characteristics = try coff.u16(18)
        } catch {
            throw .truncatedFileHeader(offset: fileHeader, fileSize: fileSize)
        }

        // IMAGE_OPTIONAL_HEADER32 / 64.
        let optional = fileHeader + 20
        let optionalMagic: UInt16
        do {
            optionalMagic = try image.u16(optional)
        } catch {
            throw .truncatedOptionalHeader(offset: optional, needed: optional + 2, fileSize: fileSize)
        }
        let format: PEFormat
        let fixedSize: Int
        switch optionalMagic {
        case 0x10b: format = .pe32; fixedSize = 96
        case 0x20b: format = .pe32Plus; fixedSize = 112
        default: throw .unknownOptionalHeaderMagic(optionalMagic)
        }
        let numberOfRvaAndSizesOffset = fixedSize - 4
        let fixedEnd = optional + fixedSize
        let fields: ByteReader
        let rvaCount: UInt32
        do {
            fields = try image.slice(optional, fixedSize)
            rvaCount = try fields.u32(numberOfRvaAndSizesOffset)
        } catch {
            throw .truncatedOptionalHeader(offset: optional, needed: fixedEnd, fileSize: fileSize)
        }
        // NumberOfRvaAndSizes is respected, capped at the 16 entries the format defines.
        let directoryCount = Int(min(rvaCount, 16))
        let directoriesEnd = fixedEnd + directoryCount * 8
        var directories: [DataDirectory] = []
        let sectionAlignment: UInt32, fileAlignment: UInt32, sizeOfHeaders: UInt32, storedChecksum: UInt32
        do {
            sectionAlignment = try fields.u32(32)
            fileAlignment = try fields.u32(36)
            sizeOfHeaders = try fields.u32(60)
            storedChecksum = try fields.u32(64)
            let table = try image.slice(fixedEnd, directoryCount * 8)
            directories.reserveCapacity(directoryCount)
            for index in 0..<directoryCount {
                directories.append(DataDirectory(virtualAddress: try table.u32(index * 8),
                                                 size: try table.u32(index * 8 + 4)))
            }
        } catch {
            throw .truncatedOptionalHeader(offset: optional, needed: directoriesEnd, fileSize: fileSize)
        }

        // Section table: right after SizeOfOptionalHeader bytes of optional header.
        let sectionTable = optional + Int(sizeOfOptionalHeader)
        var sections: [PESection] = []
        do {
            let table = try image.slice(sectionTable, Int(sectionCount) * 40)
            sections.reserveCapacity(Int(sectionCount))
            for index in 0..<Int(sectionCount) {
                let entry = try table.slice(index * 40, 40)
                sections.append(PESection(
                    name: sectionName(try entry.bytes(0, 8)),
                    virtualAddress: try entry.u32(12),
                    virtualSize: try entry.u32(8),
                    pointerToRawData: try entry.u32(20),
                    sizeOfRawData: try entry.u32(16),
                    characteristics: try entry.u32(36)))
            }
        } catch {
            throw .truncatedSectionTable(offset: sectionTable, sectionCount: sectionCount, fileSize: fileSize)
        }

        return PEHeaders(
            peOffset: peOffset, machine: machine, numberOfSections: sectionCount,
            timeDateStamp: timeDateStamp, sizeOfOptionalHeader: sizeOfOptionalHeader,
            characteristics: characteristics, format: format, optionalHeaderOffset: optional,
            fileAlignment: fileAlignment, sectionAlignment: sectionAlignment,
            sizeOfHeaders: sizeOfHeaders, checksumOffset: optional + 64,
            storedChecksum: storedChecksum, dataDirectories: directories,
            sectionTableOffset: sectionTable, sections: sections)
    }

    /// The 8-byte `IMAGE_SECTION_HEADER.Name` without its NUL padding.
    private static func sectionName(_ raw: ArraySlice<UInt8>) -> String {
        let used = raw.prefix { $0 != 0 }
        return String(decoding: used.map { $0 < 0x80 ? $0 : 0x3F }, as: UTF8.self)
    }
}
