import CTSK
#if canImport(Glibc)
import Glibc
#endif

/// The Sleuth Kit's C interface, wrapped as libarchive is: one owning class per TSK handle
/// (image, volume system, file system, directory, file), freed in `deinit`; no raw pointer
/// leaves these types; every TSK error is read with `tsk_error_get` and reset at once (TSK keeps
/// it per thread). A child keeps its parent alive (a file its file system, a file system its
/// image). TSK's handles are not safe to share between threads: none of these types is
/// Sendable, and one scan opens, walks and closes an image on the thread it runs on.
enum SleuthKit {
    /// TSK's last error on this thread, as text, and reset.
    static func takeError(_ fallback: String) -> String {
        defer { tsk_error_reset() }
        guard let text = tsk_error_get() else { return fallback }
        let message = String(cString: text).split(whereSeparator: \.isNewline)
            .map { $0.drop { $0 == " " } }.filter { !$0.isEmpty }.joined(separator: " ")
        return message.isEmpty ? fallback : message
    }
}

/// An error TSK reported, with what was being done.
struct SleuthKitError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// Where an external image's bytes come from (a raw image's own descriptors, libqcow): the
/// read callback TSK calls lands here.
class ImageBackend {
    /// Reads up to `buffer.count` bytes at `offset`; the count read (0 at the end), or nil on
    /// failure.
    func read(at offset: Int64, into buffer: UnsafeMutableRawBufferPointer) -> Int? { nil }
}

/// An open disk image (`TSK_IMG_INFO`).
final class TSKImage {
    fileprivate let handle: UnsafeMutablePointer<TSK_IMG_INFO>
    let size: Int64
    let sectorSize: Int

    private init(handle: UnsafeMutablePointer<TSK_IMG_INFO>) {
        self.handle = handle
        size = Int64(handle.pointee.size)
        sectorSize = Int(handle.pointee.sector_size)
    }

    deinit {
        tsk_img_close(handle)
    }

    /// The container kinds TSK reads through its libraries.
    enum Container {
        case ewf, vhd, vmdk

        /// The explicit type: with TSK_IMG_TYPE_DETECT, a file the library refuses is tried again
        /// as a raw image, and a raw image named `*.001` makes TSK open `*.002`... unchecked.
        var type: TSK_IMG_TYPE_ENUM {
            switch self {
            case .ewf: TSK_IMG_TYPE_EWF_EWF
            case .vhd: TSK_IMG_TYPE_VHD_VHD
            case .vmdk: TSK_IMG_TYPE_VMDK_VMDK
            }
        }
    }

    /// Opens an image TSK reads itself (E01, VHD, VHDX, VMDK): `paths` are all its segments or
    /// extents, first one first; TSK and its libraries open them read-only.
    static func open(paths: [String], as container: Container) throws(SleuthKitError) -> TSKImage {
        var pointers = paths.map { strdup($0) }
        defer { pointers.forEach { free($0) } }
        let opened = pointers.withUnsafeMutableBufferPointer { buffer in
            buffer.withMemoryRebound(to: UnsafePointer<CChar>?.self) { names in
                tsk_img_open_utf8(Int32(names.count), names.baseAddress, container.type, 0)
            }
        }
        guard let opened else { throw SleuthKitError(message: SleuthKit.takeError("the image could not be opened")) }
        return TSKImage(handle: opened)
    }

    /// Size of the `TSK_IMG_INFO` that starts an external image's allocation; the backend's
    /// pointer follows it.
    private static let contextOffset = (MemoryLayout<TSK_IMG_INFO>.stride + 15) & ~15

    /// Opens an image whose bytes `backend` reads (raw images through their own descriptors,
    /// QCOW2 through libqcow): `tsk_img_open_external` with callbacks into it.
    static func open(backend: ImageBackend, size: Int64) throws(SleuthKitError) -> TSKImage {
        guard let memory = tsk_img_malloc(contextOffset + MemoryLayout<UnsafeRawPointer>.stride) else {
            throw SleuthKitError(message: SleuthKit.takeError("no memory for the image"))
        }
        let context = Unmanaged.passRetained(backend).toOpaque()
        memory.storeBytes(of: context, toByteOffset: contextOffset, as: UnsafeMutableRawPointer.self)
        let read: @convention(c) (UnsafeMutablePointer<TSK_IMG_INFO>?, TSK_OFF_T, UnsafeMutablePointer<CChar>?, Int) -> Int = { image, offset, buffer, length in
            guard let image, let buffer, offset >= 0 else { return -1 }
            let context = UnsafeRawPointer(image).load(fromByteOffset: TSKImage.contextOffset, as: UnsafeMutableRawPointer.self)
            let backend = Unmanaged<ImageBackend>.fromOpaque(context).takeUnretainedValue()
            return backend.read(at: offset, into: UnsafeMutableRawBufferPointer(start: buffer, count: length)) ?? -1
        }
        let close: @convention(c) (UnsafeMutablePointer<TSK_IMG_INFO>?) -> Void = { image in
            guard let image else { return }
            let context = UnsafeRawPointer(image).load(fromByteOffset: TSKImage.contextOffset, as: UnsafeMutableRawPointer.self)
            Unmanaged<ImageBackend>.fromOpaque(context).release()
            tsk_img_free(image)
        }
        let stat: @convention(c) (UnsafeMutablePointer<TSK_IMG_INFO>?, UnsafeMutablePointer<FILE>?) -> Void = { _, _ in }
        guard let opened = tsk_img_open_external(memory, TSK_OFF_T(size), 512, read, close, stat) else {
            Unmanaged<ImageBackend>.fromOpaque(context).release()
            tsk_img_free(memory)
            throw SleuthKitError(message: SleuthKit.takeError("the image could not be opened"))
        }
        return TSKImage(handle: opened)
    }

    /// TSK's name for the container it opened (`raw`, `ewf`, `vhd`, `vmdk`, `external`).
    var typeName: String {
        tsk_img_type_toname(handle.pointee.itype).map { String(cString: $0) } ?? "unknown"
    }

    /// Reads image bytes (the first sectors, to say what lies where).
    func read(at offset: Int64, count: Int) -> [UInt8]? {
        guard offset >= 0, count > 0 else { return nil }
        var bytes = [UInt8](repeating: 0, count: count)
        let got = bytes.withUnsafeMutableBytes { buffer in
            tsk_img_read(handle, TSK_OFF_T(offset), buffer.baseAddress!.assumingMemoryBound(to: CChar.self), count)
        }
        guard got == count else {
            tsk_error_reset()
            return nil
        }
        return bytes
    }

    /// Opens the partition table at the image's start, or says why there is none TSK knows.
    func openVolumeSystem() -> Result<TSKVolumeSystem, SleuthKitError> {
        guard let vs = tsk_vs_open(handle, 0, TSK_VS_TYPE_DETECT) else {
            return .failure(SleuthKitError(message: SleuthKit.takeError("no partition table")))
        }
        return .success(TSKVolumeSystem(handle: vs, image: self))
    }

    /// The kinds of file system tried, in order: FAT and NTFS (read), then kinds that are only
    /// named (a Linux or Mac volume is listed as skipped with its type). Never TSK's whole
    /// detection: its YAFFS2 probe opens a file named after the image (`IMAGE-yaffs2.config`).
    static let fileSystemKinds: [TSK_FS_TYPE_ENUM] = [TSK_FS_TYPE_FAT_DETECT, TSK_FS_TYPE_NTFS_DETECT, TSK_FS_TYPE_EXT_DETECT,
                                                       TSK_FS_TYPE_HFS_DETECT, TSK_FS_TYPE_ISO9660_DETECT, TSK_FS_TYPE_FFS_DETECT]

    /// Opens the file system at byte `offset`: FAT or NTFS, else one of the kinds only named.
    func openFileSystem(at offset: Int64) throws(SleuthKitError) -> TSKFileSystem {
        var said: [String] = []
        for kind in Self.fileSystemKinds {
            if let fs = tsk_fs_open_img(handle, TSK_OFF_T(offset), kind) {
                tsk_error_reset()
                return TSKFileSystem(handle: fs, image: self)
            }
            let message = SleuthKit.takeError("not found")
            // What the FAT and the NTFS probes said: the kinds a Windows volume would be.
            if said.count < 2 { said.append("\(said.isEmpty ? "FAT" : "NTFS"): \(message)") }
        }
        throw SleuthKitError(message: said.joined(separator: "; "))
    }
}

/// A partition table (`TSK_VS_INFO`); its entries are copied out as values.
final class TSKVolumeSystem {
    private let handle: UnsafeMutablePointer<TSK_VS_INFO>
    private let image: TSKImage
    let partitions: [Partition]

    /// One entry of the table.
    struct Partition {
        var address: Int
        /// Sector offset and count.
        var start: Int64
        var length: Int64
        var description: String
        var tableNumber: Int
        var slotNumber: Int
        var isAllocated: Bool
        var isUnallocated: Bool
    }

    fileprivate init(handle: UnsafeMutablePointer<TSK_VS_INFO>, image: TSKImage) {
        self.handle = handle
        self.image = image
        var found: [Partition] = []
        // A table lists at most a few hundred entries (GPT: 128); more is a damaged table.
        for index in 0..<min(Int(handle.pointee.part_count), 4096) {
            guard let part = tsk_vs_part_get(handle, TSK_PNUM_T(index)) else {
                tsk_error_reset()
                continue
            }
            let entry = part.pointee
            let flags = entry.flags.rawValue
            found.append(Partition(
                address: Int(entry.addr),
                start: Int64(clamping: entry.start),
                length: Int64(clamping: entry.len),
                description: entry.desc.map { String(cString: $0) } ?? "",
                tableNumber: Int(entry.table_num),
                slotNumber: Int(entry.slot_num),
                isAllocated: flags & TSK_VS_PART_FLAG_ALLOC.rawValue != 0,
                isUnallocated: flags & TSK_VS_PART_FLAG_UNALLOC.rawValue != 0))
        }
        partitions = found
    }

    deinit {
        tsk_vs_close(handle)
    }

    var blockSize: Int { Int(handle.pointee.block_size) }
    var isDOS: Bool { handle.pointee.vstype == TSK_VS_TYPE_DOS }
    var isGPT: Bool { handle.pointee.vstype == TSK_VS_TYPE_GPT }

    /// `MBR`, `GPT`, or TSK's name for other tables (`bsd`, `mac`, `sun`).
    var typeName: String {
        if isDOS { return "MBR" }
        if isGPT { return "GPT" }
        return tsk_vs_type_toname(handle.pointee.vstype).map { String(cString: $0) } ?? "unknown"
    }
}

/// An open file system (`TSK_FS_INFO`).
final class TSKFileSystem {
    fileprivate let handle: UnsafeMutablePointer<TSK_FS_INFO>
    private let image: TSKImage

    fileprivate init(handle: UnsafeMutablePointer<TSK_FS_INFO>, image: TSKImage) {
        self.handle = handle
        self.image = image
    }

    deinit {
        tsk_fs_close(handle)
    }

    var rootAddress: UInt64 { UInt64(handle.pointee.root_inum) }
    var isFAT: Bool { handle.pointee.ftype.rawValue & TSK_FS_TYPE_FAT_DETECT.rawValue != 0 }
    var isNTFS: Bool { handle.pointee.ftype.rawValue & TSK_FS_TYPE_NTFS_DETECT.rawValue != 0 }
    /// Bytes the file system spans.
    var byteCount: Int64 {
        let (bytes, overflow) = Int64(clamping: handle.pointee.block_count).multipliedReportingOverflow(by: Int64(handle.pointee.block_size))
        return overflow ? .max : bytes
    }

    /// TSK's name for the kind (`fat12`, `fat16`, `fat32`, `ntfs`, `ext2`, `hfs`, `iso9660`).
    var typeName: String {
        tsk_fs_type_toname(handle.pointee.ftype).map { String(cString: $0) } ?? "unknown"
    }

    /// Lets TSK hunt for orphan files (its `$OrphanFiles` folder): on NTFS this also maps each
    /// deleted file record to the folder it was in, so that folder lists it even when its index
    /// entry is gone. Costs a pass over the whole MFT; only for `--include-deleted`.
    func findOrphans() {
        if let orphans = tsk_fs_dir_open_meta(handle, handle.pointee.last_inum) {
            tsk_fs_dir_close(orphans)
        }
        tsk_error_reset()
    }

    /// The first block of the data of the file at metadata address `address` (the root folder's,
    /// for the loop check), when TSK knows it.
    func firstBlock(of address: UInt64) -> Int64? {
        guard let file = tsk_fs_file_open_meta(handle, nil, TSK_INUM_T(address)) else {
            tsk_error_reset()
            return nil
        }
        defer { tsk_fs_file_close(file) }
        return TSKFile.firstBlock(of: file)
    }

    /// The highest metadata address: on NTFS, the MFT's record count, which TSK walks whole
    /// (to map records to folders) the first time any folder is opened.
    var lastAddress: UInt64 { UInt64(handle.pointee.last_inum) }

    /// The size the metadata of `address` records (a folder's: the bytes of its entries).
    func size(of address: UInt64) -> Int64? {
        guard let file = tsk_fs_file_open_meta(handle, nil, TSK_INUM_T(address)) else {
            tsk_error_reset()
            return nil
        }
        defer { tsk_fs_file_close(file) }
        return file.pointee.meta.map { Int64($0.pointee.size) }
    }

    /// Opens the directory with metadata address `address` and reads its entries.
    func openDirectory(_ address: UInt64) throws(SleuthKitError) -> TSKDirectory {
        guard let dir = tsk_fs_dir_open_meta(handle, TSK_INUM_T(address)) else {
            throw SleuthKitError(message: SleuthKit.takeError("the folder could not be read"))
        }
        return TSKDirectory(handle: dir, fileSystem: self)
    }
}

/// A directory's entries as TSK read them (`TSK_FS_DIR`).
final class TSKDirectory {
    private let handle: UnsafeMutablePointer<TSK_FS_DIR>
    private let fileSystem: TSKFileSystem

    fileprivate init(handle: UnsafeMutablePointer<TSK_FS_DIR>, fileSystem: TSKFileSystem) {
        self.handle = handle
        self.fileSystem = fileSystem
    }

    deinit {
        tsk_fs_dir_close(handle)
    }

    var count: Int { Int(tsk_fs_dir_getsize(handle)) }

    /// The name of the entry at `index`, read in place (no metadata is loaded: most entries of
    /// a walk are only looked at by name), for the length of `body`; nil when TSK has none.
    func withName<R>(_ index: Int, _ body: (TSKEntryName) -> R) -> R? {
        guard let name = tsk_fs_dir_get_name(handle, index), let text = name.pointee.name else { return nil }
        let entry = name.pointee
        // TSK's `char` bytes, seen as UInt8 (the same layout) for as long as the call lasts.
        func bytes(_ pointer: UnsafeMutablePointer<CChar>, _ limit: Int) -> UnsafeBufferPointer<UInt8> {
            UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self), count: strnlen(pointer, limit))
        }
        let view = TSKEntryName(
            bytes: bytes(text, Int(entry.name_size)),
            shortBytes: entry.shrt_name.map { bytes($0, Int(entry.shrt_name_size)) },
            type: entry.type,
            isDeleted: entry.flags.rawValue & TSK_FS_NAME_FLAG_UNALLOC.rawValue != 0,
            metadataAddress: UInt64(entry.meta_addr))
        return body(view)
    }

    /// The entry at `index` with its metadata loaded, or nil (TSK could not load it).
    func entry(_ index: Int) -> TSKFile? {
        guard let file = tsk_fs_dir_get(handle, Int(index)) else {
            tsk_error_reset()
            return nil
        }
        guard file.pointee.name != nil else {
            tsk_fs_file_close(file)
            return nil
        }
        return TSKFile(handle: file, fileSystem: fileSystem)
    }
}

/// A directory entry's name as TSK holds it, valid only inside ``TSKDirectory/withName(_:_:)``
/// (its bytes are TSK's: copy what must outlive the call).
struct TSKEntryName {
    /// The long name (VFAT long name, NTFS Win32 name), UTF-8.
    let bytes: UnsafeBufferPointer<UInt8>
    /// The 8.3 name (FAT short name, NTFS DOS name), when TSK has one.
    let shortBytes: UnsafeBufferPointer<UInt8>?
    let type: TSK_FS_NAME_TYPE_ENUM
    let isDeleted: Bool
    let metadataAddress: UInt64

    var isVirtual: Bool { type == TSK_FS_NAME_TYPE_VIRT || type == TSK_FS_NAME_TYPE_VIRT_DIR }
    var isDirectory: Bool { type == TSK_FS_NAME_TYPE_DIR }
    /// A regular file by its name entry; deleted NTFS names often carry no type (TSK shows "-").
    var mayBeFile: Bool { type == TSK_FS_NAME_TYPE_REG || (isDeleted && type == TSK_FS_NAME_TYPE_UNDEF) }
}

/// One directory entry and the file it names (`TSK_FS_FILE`): its names, kind and bytes.
final class TSKFile {
    private let handle: UnsafeMutablePointer<TSK_FS_FILE>
    private let fileSystem: TSKFileSystem

    /// The long name (VFAT long name, NTFS Win32 name) as UTF-8 bytes.
    let name: [UInt8]
    /// The 8.3 name (FAT short name, NTFS DOS name), when TSK has one.
    let shortName: [UInt8]?
    let nameType: TSK_FS_NAME_TYPE_ENUM
    /// A deleted (unallocated) entry.
    let isDeleted: Bool
    let metadataAddress: UInt64
    /// The size the metadata records (untrusted), nil without metadata.
    let size: Int64?
    let isDirectory: Bool
    let isRegularFile: Bool
    let isVirtual: Bool
    /// The name's metadata address sequence (NTFS), to tell a record reused since.
    private let metadataSequence: UInt32
    /// A deleted name's file opened by its metadata address (TSK loads no metadata for most
    /// deleted names); reads go here when set.
    private var recovered: UnsafeMutablePointer<TSK_FS_FILE>?

    fileprivate init(handle: UnsafeMutablePointer<TSK_FS_FILE>, fileSystem: TSKFileSystem) {
        self.handle = handle
        self.fileSystem = fileSystem
        let entry = handle.pointee.name.pointee
        name = entry.name.map { Array(UnsafeRawBufferPointer(start: $0, count: strnlen($0, Int(entry.name_size)))) } ?? []
        if let short = entry.shrt_name, entry.shrt_name_size > 0, short.pointee != 0 {
            shortName = Array(UnsafeRawBufferPointer(start: short, count: strnlen(short, Int(entry.shrt_name_size))))
        } else {
            shortName = nil
        }
        nameType = entry.type
        isDeleted = entry.flags.rawValue & TSK_FS_NAME_FLAG_UNALLOC.rawValue != 0
        metadataAddress = UInt64(entry.meta_addr)
        isVirtual = entry.type == TSK_FS_NAME_TYPE_VIRT || entry.type == TSK_FS_NAME_TYPE_VIRT_DIR
        let meta = handle.pointee.meta?.pointee
        size = meta.map { Int64($0.size) }
        let metaType = meta?.type
        isDirectory = entry.type == TSK_FS_NAME_TYPE_DIR && (metaType == nil || metaType == TSK_FS_META_TYPE_DIR)
        isRegularFile = entry.type == TSK_FS_NAME_TYPE_REG && (metaType == nil || metaType == TSK_FS_META_TYPE_REG)
        metadataSequence = UInt32(entry.meta_seq)
    }

    deinit {
        if let recovered { tsk_fs_file_close(recovered) }
        tsk_fs_file_close(handle)
    }

    /// For a deleted name: opens the file it named by its metadata address, and says whether
    /// that is still a regular file whose record is free too (not reused by another file since:
    /// on NTFS the record's sequence number must match the name's), so its bytes may
    /// still be its own. NTFS records below 16 are the file system's own (`$MFT`...), never a
    /// file's. Windows (and ntfs-3g) add one to a record's sequence number when they free it,
    /// so a free record one ahead of the name is the same file. Reads and ``recoveredSize``
    /// then use it.
    func recoverDeleted() -> Bool {
        guard isDeleted, recovered == nil else { return recovered != nil }
        guard metadataAddress > 0, !(fileSystem.isNTFS && metadataAddress < 16),
              nameType == TSK_FS_NAME_TYPE_REG || nameType == TSK_FS_NAME_TYPE_UNDEF else { return false }
        guard let opened = tsk_fs_file_open_meta(fileSystem.handle, nil, TSK_INUM_T(metadataAddress)) else {
            tsk_error_reset()
            return false
        }
        guard let meta = opened.pointee.meta?.pointee, meta.type == TSK_FS_META_TYPE_REG,
              meta.flags.rawValue & TSK_FS_META_FLAG_UNALLOC.rawValue != 0,
              !fileSystem.isNTFS || UInt32(meta.seq) == metadataSequence || UInt32(meta.seq) == metadataSequence &+ 1 else {
            tsk_fs_file_close(opened)
            return false
        }
        recovered = opened
        return true
    }

    /// The names an NTFS file record holds in its `$FILE_NAME` attributes (the Win32 name and,
    /// where it differs, the DOS 8.3 name), ASCII ones only, at most 8. TSK's folder listing
    /// leaves out the DOS-namespace entries, so a DOS name is only found here.
    func recordNames() -> [[UInt8]] {
        var names: [[UInt8]] = []
        let count = min(Int(tsk_fs_file_attr_getsize(handle)), 64)
        for index in 0..<max(0, count) where names.count < 8 {
            guard let attribute = tsk_fs_file_attr_get_idx(handle, Int32(index)) else {
                tsk_error_reset()
                continue
            }
            let fields = attribute.pointee
            guard fields.type == TSK_FS_ATTR_TYPE_NTFS_FNAME, fields.flags.rawValue & TSK_FS_ATTR_RES.rawValue != 0,
                  let buffer = fields.rd.buf else { continue }
            // $FILE_NAME: name length (UTF-16 units) at byte 64, the name from byte 66.
            let available = min(Int(fields.rd.buf_size), Int(clamping: fields.size))
            guard available >= 66 else { continue }
            let length = Int(buffer[64])
            guard 66 + 2 * length <= available else { continue }
            var name: [UInt8] = []
            for unit in 0..<length {
                let low = buffer[66 + 2 * unit], high = buffer[67 + 2 * unit]
                guard high == 0, low < 0x80, low != 0 else { name = []; break }
                name.append(low)
            }
            if !name.isEmpty { names.append(name) }
        }
        return names
    }

    /// The size a recovered deleted file's record gives.
    var recoveredSize: Int64? { recovered?.pointee.meta.map { Int64($0.pointee.size) } }

    /// Where the file's data starts on the volume (its first cluster), when TSK knows: a
    /// directory reached twice by that address is a loop, whatever entry names it.
    var firstBlock: Int64? { Self.firstBlock(of: handle) }

    fileprivate static func firstBlock(of handle: UnsafeMutablePointer<TSK_FS_FILE>) -> Int64? {
        guard let attribute = tsk_fs_file_attr_get(handle) else {
            tsk_error_reset()
            return nil
        }
        guard attribute.pointee.flags.rawValue & TSK_FS_ATTR_NONRES.rawValue != 0, let run = attribute.pointee.nrd.run else { return nil }
        return Int64(clamping: run.pointee.addr)
    }

    /// Reads the file's bytes at `offset` (its default data stream); the count read (0 at the
    /// end), or the error TSK gave.
    func read(at offset: Int64, into buffer: UnsafeMutableRawBufferPointer) -> Result<Int, SleuthKitError> {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return .success(0) }
        let got = tsk_fs_file_read(recovered ?? handle, TSK_OFF_T(offset), base.assumingMemoryBound(to: CChar.self), buffer.count, TSK_FS_FILE_READ_FLAG_NONE)
        if got < 0 { return .failure(SleuthKitError(message: SleuthKit.takeError("the read failed"))) }
        return .success(got)
    }
}
