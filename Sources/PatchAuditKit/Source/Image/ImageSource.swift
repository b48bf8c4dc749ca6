import CTSK
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// Reads a disk image as it is, with no mounting: raw (one file or split `.001`, `.002`...),
/// E01 (one or more segments), VHD, VHDX, VMDK and QCOW2; MBR (with logical drives in extended
/// partitions), GPT, or no partition table at all; FAT12/16/32 and NTFS volumes.
///
/// Paths start with the volume: `p2/WINDOWS/SYSTEM/EMSMDB32.DLL` is partition 2 of the image,
/// and the report shows it beside the target as `pc42.E01!p2/WINDOWS/SYSTEM/EMSMDB32.DLL`, the
/// notation of nested archives. Volume names follow Linux: `p1`-`p4` the MBR's primary
/// entries, `p5` on the logical drives in the order of the extended chain, `pN` GPT entry N. A
/// bare volume (a floppy, a partition image) has no volume part: `WINDOWS/SYSTEM/...`.
/// Installations are found per volume (the volume folder is the grouping's volume).
///
/// What is read: every allocated entry of each FAT or NTFS volume, walked from its root folder
/// with a visited set (a folder reached again by its first cluster or its metadata address is a
/// loop, reported, not followed) and the folder depth limit. Not read: TSK's virtual entries
/// (`$MBR`, `$FAT1`, `$OrphanFiles`), the FAT volume label, NTFS metadata files (`$MFT`...) and,
/// unless `--include-deleted`, deleted entries (which are never installed files; with the
/// option, deleted files of watched names are read from whatever clusters remain and listed as
/// stray copies marked deleted). Orphan files are not hunted (TSK's orphan search triples the
/// walk). A file matches by its long name or its 8.3 name. Archives on a volume are opened by
/// the rules of nested archives, in place.
///
/// Everything is read-only: raw images through patchaudit's own descriptors; E01, VHD, VHDX and
/// VMDK through TSK's libraries (libewf, libvhdi, libvmdk), which open them read-only; QCOW2
/// through libqcow, read-only. Segments and extents are checked to be regular files beside the
/// first (no links, no FIFOs) before any library opens them. Nothing is written.
struct ImageSource: TargetSource {
    /// The path the user named.
    let target: String
    /// The target, opened and checked to be a regular file (borrowed).
    let file: FileDescriptor
    let size: Int64
    let kind: ImageSniffer.Kind
    let matcher: NameMatcher
    let limits: ScanLimits

    consuming func read() -> SourceFacts {
        let walk = ImageWalk(source: self)
        walk.run()
        return walk.finish()
    }
}

/// One image target's scan. Not Sendable: TSK handles stay on the thread that opened them.
final class ImageWalk {
    let source: ImageSource
    /// The accumulator shared with archives found on the volumes (items, limits, totals).
    let archives: ArchiveWalk
    var volumes: [VolumeFact] = []
    var problems: [SourceProblem] = []
    var containerName: String
    var tableName = "no partition table"
    /// Folder loops reported so far (the first few are named).
    var loops = 0

    init(source: ImageSource) {
        self.source = source
        archives = ArchiveWalk(matcher: source.matcher, limits: source.limits, file: .descriptor(source.file))
        containerName = source.kind.description
    }

    var limits: ScanLimits { source.limits }

    func finish() -> SourceFacts {
        let outcome = archives.finish()
        var facts = SourceFacts(kind: .image)
        facts.problems = problems
        // Archives on the volumes: their problems, corruption and failures, as for a target.
        outcome.addFacts(to: &facts)
        facts.format = "\(containerName) image, \(tableName)"
        facts.volumes = volumes
        return facts
    }

    // MARK: - The image

    func run() {
        let image: TSKImage
        do throws(SleuthKitError) {
            image = try open()
        } catch {
            problems.append(error.message.hasPrefix("refused: ")
                ? .imageRefused(detail: String(error.message.dropFirst("refused: ".count)))
                : .imageUnreadable(detail: error.message))
            return
        }
        switch image.openVolumeSystem() {
        case .success(let table):
            tableName = "\(table.typeName) partition table"
            scanPartitions(of: table, in: image)
        case .failure(let noTable):
            scanVolume(in: image, name: "", start: 0, length: image.size, description: "no partition table (a bare volume)",
                       bare: true, tableError: noTable.message)
        }
        // An image none of whose volumes could be read is never "nothing found".
        if problems.isEmpty && !archives.outcome.stopped && !volumes.contains(where: { $0.state == .scanned }) {
            let listed = volumes.filter { $0.state == .skipped }
            if listed.isEmpty {
                problems.append(.partitionTableDamaged(detail: "the partition table lists no partition that could be read"))
            }
        }
    }

    /// Opens the image by its kind, after checking every file it is made of.
    func open() throws(SleuthKitError) -> TSKImage {
        let parts = try ImageParts.find(target: source.target, kind: source.kind, file: source.file, size: source.size)
        switch source.kind {
        case .raw:
            var segments: [ImageSegment] = []
            for (index, part) in parts.enumerated() {
                if index == 0 {
                    segments.append(ImageSegment(borrowing: source.file, size: source.size, name: part.path))
                } else {
                    segments.append(try ImageParts.openSegment(part.path))
                }
            }
            if segments.count > 1 { containerName = "split raw (\(segments.count) segments)" }
            let backend = RawSegmentsBackend(segments: segments)
            return try TSKImage.open(backend: backend, size: backend.size)
        case .qcow:
            let backend = try QcowBackend(path: source.target)
            return try TSKImage.open(backend: backend, size: backend.size)
        case .e01:
            if parts.count > 1 { containerName = "E01 (\(parts.count) segments)" }
            return try TSKImage.open(paths: parts.map(\.path), as: .ewf)
        case .vhd, .vhdx:
            return try TSKImage.open(paths: parts.map(\.path), as: .vhd)
        case .vmdk, .vmdkDescriptor:
            return try TSKImage.open(paths: parts.map(\.path), as: .vmdk)
        }
    }

    /// Each partition of the table: FAT and NTFS volumes are walked; others are listed.
    ///
    /// Numbers come from the tables themselves, not from TSK (whose table and slot numbers are
    /// 8-bit and which lists partitions by position on the disk): an MBR primary by its slot,
    /// a logical drive by its place in the extended chain (from 5), a GPT partition by its
    /// entry (from 1), others by their order.
    func scanPartitions(of table: TSKVolumeSystem, in image: TSKImage) {
        var gpt: [Int64: PartitionTables.GPTEntry] = [:]
        if table.isGPT {
            let (entries, more) = PartitionTables.gptEntries(of: image)
            for entry in entries where gpt[entry.start] == nil { gpt[entry.start] = entry }
            if more {
                archives.addLimit(LimitHit(limit: "max-partitions", value: Int64(PartitionTables.maxGPTEntries),
                    detail: "the GPT has room for more than \(PartitionTables.maxGPTEntries) entries (a standard table has 128); partitions in entries past \(PartitionTables.maxGPTEntries) were not read"))
            }
        }
        var logicals: [Int64: Int] = [:]
        if table.isDOS {
            let chain = PartitionTables.extendedChain(of: image)
            for (index, start) in chain.logicalStarts.enumerated() where logicals[start] == nil { logicals[start] = 5 + index }
            if let broken = chain.broken { problems.append(.partitionTableDamaged(detail: broken)) }
            if chain.tooLong {
                archives.addLimit(LimitHit(limit: "max-partitions", value: Int64(PartitionTables.maxLogicalDrives),
                    detail: "the extended partition lists more than \(PartitionTables.maxLogicalDrives) logical drives (a damaged or hostile chain); those after were not read"))
            }
        }
        // The MBR's own primary entries: a primary is one the MBR itself lists.
        let primaryStarts = table.isDOS ? PartitionTables.primaryStarts(of: image) : [:]
        var names = Set<String>()
        var ordinal = 0
        for partition in table.partitions {
            let (start, startOverflow) = partition.start.multipliedReportingOverflow(by: Int64(table.blockSize))
            let (length, lengthOverflow) = partition.length.multipliedReportingOverflow(by: Int64(table.blockSize))
            if partition.isUnallocated {
                volumes.append(VolumeFact(name: "", start: startOverflow ? .max : start, length: lengthOverflow ? .max : length,
                    description: partition.description, fileSystem: nil, state: .unallocated,
                    detail: "space outside any partition: not scanned (a deleted partition may lie there)"))
                continue
            }
            guard partition.isAllocated else { continue }    // the tables themselves, extended containers
            ordinal += 1
            let number: Int
            var windowsType: Bool?
            if table.isDOS {
                if partition.tableNumber == 0, (0..<4).contains(partition.slotNumber), primaryStarts[partition.slotNumber] == partition.start {
                    number = partition.slotNumber + 1
                } else if let logical = logicals[partition.start] {
                    number = logical
                } else {
                    // A logical drive the chain read here does not list (past the limit, or a
                    // table TSK read otherwise): not numbered, not read.
                    continue
                }
                windowsType = PartitionTables.mbrType(inDescription: partition.description).map { PartitionTables.windowsMBR.contains($0) }
            } else if table.isGPT {
                guard let entry = gpt[partition.start] else { continue }    // an entry past the limit
                number = entry.index + 1
                windowsType = PartitionTables.windowsGPT.contains(entry.type)
            } else {
                guard ordinal <= PartitionTables.maxGPTEntries else {
                    archives.addLimit(LimitHit(limit: "max-partitions", value: Int64(PartitionTables.maxGPTEntries),
                        detail: "the partition table lists more than \(PartitionTables.maxGPTEntries) partitions; those after were not read"))
                    continue
                }
                number = ordinal
            }
            let name = "p\(number)"
            guard names.insert(name).inserted else {
                problems.append(.volumeUnreadable(volume: name, detail: "a second partition-table entry gives the same volume number (the table is damaged); the second was not read"))
                continue
            }
            guard !startOverflow, !lengthOverflow else {
                volumes.append(VolumeFact(name: name, start: startOverflow ? .max : start, length: lengthOverflow ? .max : length,
                    description: partition.description, fileSystem: nil, state: .unreadable, detail: "its table entry gives a place no image can have"))
                problems.append(.volumeUnreadable(volume: name, detail: "its partition-table entry gives sector \(partition.start) and \(partition.length) sectors, a place no image can have"))
                continue
            }
            scanVolume(in: image, name: name, start: start, length: length, description: partition.description, bare: false,
                       windowsType: windowsType ?? true)
            if archives.outcome.stopped { break }
        }
    }

    /// Opens the file system of one volume and walks it, or says why not.
    func scanVolume(in image: TSKImage, name: String, start: Int64, length: Int64, description: String, bare: Bool,
                    windowsType: Bool = true, tableError: String? = nil) {
        var fact = VolumeFact(name: name, start: start, length: length, description: description, fileSystem: nil, state: .scanned, detail: nil)
        let (end, endOverflow) = start.addingReportingOverflow(length)
        let pastEnd: String? = start >= image.size ? "it starts at byte \(start), past the end of the image (\(image.size) bytes)"
            : endOverflow || end > image.size ? "it ends past the end of the image (\(image.size) bytes): the image is cut short or the table is damaged"
            : nil
        if start >= image.size {
            fact.state = .unreadable
            fact.detail = pastEnd
            volumes.append(fact)
            problems.append(.volumeUnreadable(volume: name, detail: pastEnd!))
            return
        }
        let fs: TSKFileSystem
        do throws(SleuthKitError) {
            fs = try image.openFileSystem(at: start)
        } catch {
            if bare {
                let said = [tableError, error.message].compactMap { $0 }.joined(separator: "; ")
                problems.append(.imageUnreadable(detail: Self.describeUnreadableStart(image, error: said)))
                return
            }
            if !windowsType, pastEnd == nil {
                fact.state = .skipped
                fact.detail = "the table says \(description.isEmpty ? "it is a partition" : description), a type that holds no Windows volume, and no file system patchaudit reads was found there; not scanned"
                volumes.append(fact)
                archives.outcome.summary.skippedCount += 1
                archives.outcome.summary.skipped.append(SkippedEntry(path: name, kind: .volume, detail: fact.detail))
            } else {
                fact.state = .unreadable
                fact.detail = "the table says \(description.isEmpty ? "it is a partition" : description), but no file system could be read there: \(pastEnd ?? error.message)"
                volumes.append(fact)
                problems.append(.volumeUnreadable(volume: name, detail: fact.detail!))
            }
            return
        }
        fact.fileSystem = fs.typeName
        guard fs.isFAT || fs.isNTFS else {
            fact.state = .skipped
            fact.detail = "a \(fs.typeName) file system: patchaudit reads FAT and NTFS volumes (where Windows of the era lived); not scanned"
            volumes.append(fact)
            archives.outcome.summary.skippedCount += 1
            archives.outcome.summary.skipped.append(SkippedEntry(path: name.isEmpty ? "." : name, kind: .volume, detail: fact.detail))
            return
        }
        if let pastEnd {
            problems.append(.volumeUnreadable(volume: name, detail: pastEnd))
        }
        volumes.append(fact)
        walk(fs, prefix: name.isEmpty ? [] : Array(name.utf8) + [0x2f], volumeName: name, volumeLength: min(length, fs.byteCount))
    }

    /// Why nothing could be read at an image's start: an MBR whose partitions lie past the end
    /// says so; otherwise TSK's own words.
    static func describeUnreadableStart(_ image: TSKImage, error: String) -> String {
        if let sector = image.read(at: 0, count: 512), sector[510] == 0x55, sector[511] == 0xaa {
            var past: [String] = []
            for index in 0..<4 {
                let entry = 446 + 16 * index
                let start = Int64(sector.u32(entry + 8)), count = Int64(sector.u32(entry + 12))
                guard sector[entry + 4] != 0, count > 0 else { continue }
                if (start + count) * 512 > image.size {
                    past.append("partition \(index + 1) at sectors \(start)-\(start + count - 1)")
                }
            }
            if !past.isEmpty {
                return "its MBR places \(past.joined(separator: ", ")) past the end of the image (\(image.size / 512) sectors): the image is cut short or its partition table is damaged"
            }
        }
        return "no partition table or FAT or NTFS file system could be read at its start (\(error)); the image is cut short or damaged, or holds another kind of disk"
    }

    // MARK: - Walking a volume

    struct Folder {
        var address: UInt64
        var path: [UInt8]
        var depth: Int
        /// The bytes its entries take, as its own entry records them (untrusted).
        var size: Int64?
    }

    /// The largest folder read: TSK holds a folder's entries in memory at once.
    static let maxFolderBytes: Int64 = 64 << 20
    /// The most NTFS records a volume may claim (TSK walks them all).
    static let maxMFTRecords: UInt64 = 4_000_000

    func walk(_ fs: TSKFileSystem, prefix: [UInt8], volumeName: String, volumeLength: Int64) {
        // TSK walks every MFT record (to map them to folders) the first time an NTFS folder is
        // opened; the record count comes from the untrusted $MFT. Past 4 million records (a
        // 4 GiB MFT, far beyond any disk of the era) the volume is not read, and said so.
        if fs.isNTFS && fs.lastAddress > Self.maxMFTRecords {
            archives.addLimit(LimitHit(limit: "max-mft-records", value: Int64(Self.maxMFTRecords),
                detail: "the NTFS volume \(volumeName.isEmpty ? "of the image" : volumeName) claims \(fs.lastAddress) MFT records, more than \(Self.maxMFTRecords); it was not read"))
            return
        }
        // Deleted NTFS files whose index entries are gone are found through their records' own
        // parent reference, which TSK maps while hunting orphans.
        if limits.includeDeleted && fs.isNTFS { fs.findOrphans() }
        var visited = Set<Int64>()
        if let rootBlock = fs.firstBlock(of: fs.rootAddress) { visited.insert(rootBlock) }
        var visitedAddresses = Set<UInt64>([fs.rootAddress])
        var folders = [Folder(address: fs.rootAddress, path: prefix, depth: 0, size: fs.size(of: fs.rootAddress))]
        while let folder = folders.popLast(), !archives.outcome.stopped {
            if let size = folder.size, size > Self.maxFolderBytes {
                // TSK reads a whole folder into memory before a single entry can be counted.
                archives.addLimit(LimitHit(limit: "max-folder-bytes", value: Self.maxFolderBytes,
                    detail: "the folder \(folder.depth == 0 ? "at the root of \(volumeName.isEmpty ? "the image" : volumeName)" : ScanPath(bytes: Array(folder.path.dropLast())).display) claims \(size) bytes of entries, more than \(Self.maxFolderBytes) (about two million names); it was not read"))
                continue
            }
            let directory: TSKDirectory
            do throws(SleuthKitError) {
                directory = try fs.openDirectory(folder.address)
            } catch {
                if folder.depth == 0 {
                    problems.append(.volumeUnreadable(volume: volumeName, detail: "its root folder could not be read: \(error.message)"))
                } else {
                    let path = ScanPath(bytes: Array(folder.path.dropLast())).display
                    archives.outcome.summary.unreadableDirectories.append(SkippedEntry(path: path, kind: .unreadableDirectory,
                        detail: "the folder could not be read from the image: \(error.message)"))
                }
                continue
            }
            let atRoot = folder.depth == 0
            for index in 0..<directory.count {
                guard !archives.outcome.stopped else { return }
                // Decided by name alone (no metadata loaded): most entries end here.
                let step = directory.withName(index) { entry -> Step in
                    let name = entry.bytes
                    if name.isEmpty || entry.isVirtual || (name[0] == 0x2e && (name.count == 1 || (name.count == 2 && name[1] == 0x2e))) { return .skip }
                    // NTFS metadata files ($MFT, $Extend ...): records 0-15 at the root.
                    if atRoot && fs.isNTFS && name[0] == UInt8(ascii: "$") && entry.metadataAddress < 16 { return .skip }
                    if atRoot && fs.isFAT && name.count > 21 && name.suffix(21).elementsEqual(" (Volume Label Entry)".utf8) { return .skip }
                    if entry.isDeleted {
                        guard limits.includeDeleted, entry.mayBeFile,
                              let matched = match(entry) ?? matchDeletedShortName(entry, fat: fs.isFAT) else { return .skip }
                        return .deleted(matched, Array(name))
                    }
                    if entry.isDirectory { return .directory(Array(name)) }
                    guard entry.type == TSK_FS_NAME_TYPE_REG else { return .counted }
                    if let matched = match(entry) { return .matched(matched, Array(name)) }
                    if ArchiveSource.isArchiveName(name) { return .archive(Array(name)) }
                    // On NTFS a DOS name set apart from the Win32 name is not in TSK's listing:
                    // files with a watched name's extension have their record's names read.
                    if fs.isNTFS && hasWatchedExtension(name) { return .dosNameCandidate(Array(name)) }
                    return .counted
                } ?? .skip
                switch step {
                case .skip:
                    continue
                case .deleted(let matched, let name):
                    if let entry = directory.entry(index), entry.recoverDeleted() {
                        readMatched(entry, matched: matched, path: ScanPath(bytes: folder.path + name), volumeLength: volumeLength, deleted: true)
                    }
                    continue
                default:
                    break
                }
                archives.outcome.summary.entriesVisited += 1
                guard archives.outcome.summary.entriesVisited <= limits.maxEntries else {
                    archives.stop(LimitHit(limit: "max-entries", value: Int64(limits.maxEntries),
                        detail: "the scan stopped after \(limits.maxEntries) entries; entries beyond were not looked at"))
                    return
                }
                switch step {
                case .directory(let name):
                    archives.outcome.summary.directoriesVisited += 1
                    let path = folder.path + name
                    guard folder.depth + 1 <= limits.maxFolderDepth else {
                        archives.addLimit(LimitHit(limit: "max-folder-depth", value: Int64(limits.maxFolderDepth),
                            detail: "\(ScanPath(bytes: path).display) lies deeper than \(limits.maxFolderDepth) folders; it was not read (raise --max-folder-depth)"))
                        continue
                    }
                    guard let entry = directory.entry(index), entry.isDirectory else { continue }
                    let seen = entry.firstBlock.map { !visited.insert($0).inserted } ?? false
                    let seenAddress = !visitedAddresses.insert(entry.metadataAddress).inserted
                    if seen || seenAddress {
                        loops += 1
                        if loops <= 10 {
                            problems.append(.volumeUnreadable(volume: volumeName,
                                detail: "the folder \(ScanPath(bytes: path).display) leads back to a folder already read (a directory loop or cross-linked folders: the file system is damaged); it was not read again"))
                        }
                        continue
                    }
                    folders.append(Folder(address: entry.metadataAddress, path: path + [0x2f], depth: folder.depth + 1, size: entry.size))
                case .matched(let matched, let name):
                    if let entry = directory.entry(index), entry.isRegularFile {
                        readMatched(entry, matched: matched, path: ScanPath(bytes: folder.path + name), volumeLength: volumeLength, deleted: false)
                    }
                case .archive(let name):
                    if let entry = directory.entry(index), entry.isRegularFile {
                        openArchive(entry, path: ScanPath(bytes: folder.path + name))
                    }
                case .dosNameCandidate(let name):
                    guard let entry = directory.entry(index), entry.isRegularFile else { continue }
                    for other in entry.recordNames() where other != name {
                        guard let matched = other.withUnsafeBufferPointer({ source.matcher.match($0.baseAddress!, count: $0.count) }) else { continue }
                        readMatched(entry, matched: matched, path: ScanPath(bytes: folder.path + name), volumeLength: volumeLength, deleted: false)
                        break
                    }
                case .skip, .counted, .deleted:
                    break
                }
            }
        }
    }

    /// What one entry asks for, decided from its name.
    enum Step {
        case skip, counted
        case directory([UInt8])
        case matched(String, [UInt8])
        case archive([UInt8])
        case deleted(String, [UInt8])
        case dosNameCandidate([UInt8])
    }

    /// The extensions of the watched names (`.dll`, `.exe`), lower case.
    lazy var watchedExtensions: Set<[UInt8]> = Set(source.matcher.names.compactMap { name in
        let bytes = Array(name.utf8)
        return bytes.lastIndex(of: 0x2e).map { Array(bytes[$0...]) }
    })

    func hasWatchedExtension(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let dot = name.lastIndex(of: 0x2e), name.count - dot <= 4 else { return false }
        return watchedExtensions.contains(Array(lowercasedASCII(name[dot...])))
    }

    /// The watched name an entry has, by its long name or its 8.3 name.
    func match(_ entry: TSKEntryName) -> String? {
        if let base = entry.bytes.baseAddress, let matched = source.matcher.match(base, count: entry.bytes.count) {
            return matched
        }
        guard let short = entry.shortBytes, let base = short.baseAddress else { return nil }
        return source.matcher.match(base, count: short.count)
    }

    /// A deleted FAT short name has lost its first byte (0xE5 marks the entry free; TSK shows
    /// `_`): `_MSUI32.DLL` is matched as whichever watched name it can only be, when exactly one
    /// fits.
    func matchDeletedShortName(_ entry: TSKEntryName, fat: Bool) -> String? {
        let name = entry.bytes
        guard fat, name.first == UInt8(ascii: "_"), name.count > 1 else { return nil }
        let rest = lowercasedASCII(name.dropFirst())
        let fits = source.matcher.names.filter { $0.utf8.count == name.count && $0.utf8.dropFirst().elementsEqual(rest) }
        return fits.count == 1 ? fits[0] : nil
    }

    /// Reads one matched file: digests on the way, PE parsing afterwards, as for any file.
    func readMatched(_ entry: TSKFile, matched: String, path: ScanPath, volumeLength: Int64, deleted: Bool) {
        guard archives.outcome.items.count < limits.maxMatchedFiles else {
            archives.stop(LimitHit(limit: "max-matched-files", value: Int64(limits.maxMatchedFiles),
                detail: "more than \(limits.maxMatchedFiles) files matched; the scan stopped at \(path.display)"))
            return
        }
        archives.noteReading(path.bytes)
        let content = readBytes(entry, path: path, volumeLength: volumeLength, deleted: deleted)
        var item = InventoryItem(name: matched, path: path, content: content)
        item.deleted = deleted
        archives.outcome.items.append(item)
        if case .success(let file) = content {
            archives.outcome.matchedBytes += file.size
            if archives.outcome.matchedBytes > limits.maxMatchedBytes {
                archives.stop(LimitHit(limit: "max-matched-bytes", value: limits.maxMatchedBytes,
                    detail: "the files matched in this target add up to more than \(limits.maxMatchedBytes) bytes (DLLs of the era are under 2 MiB each); the scan stopped at \(path.display)"))
            }
        }
    }

    func readBytes(_ entry: TSKFile, path: ScanPath, volumeLength: Int64, deleted: Bool) -> Result<FileBytes, ReadProblem> {
        guard let size = deleted ? entry.recoveredSize : entry.size, size >= 0 else {
            return .failure(ReadProblem(.ioError, "\(path.display): the file system records no size for it; it could not be read"))
        }
        if size > volumeLength {
            return .failure(ReadProblem(.ioError, "\(path.display) claims \(size) bytes, more than its whole volume holds (\(volumeLength) bytes): the file system is damaged; check the image (fsck.fat -n, chkdsk on a copy) or get a fresh one"))
        }
        if size > limits.maxFileSize {
            return .failure(RegularFileReader.tooLarge(path.display, size: size, maxSize: limits.maxFileSize))
        }
        let (total, overflow) = archives.outcome.totalBytes.addingReportingOverflow(size)
        archives.outcome.totalBytes = overflow ? .max : total
        if archives.outcome.totalBytes > limits.maxTotalBytes {
            archives.stop(LimitHit(limit: "max-total-bytes", value: limits.maxTotalBytes,
                detail: "more than \(limits.maxTotalBytes) bytes would be read from this target; the scan stopped at \(path.display)"))
            return .failure(ReadProblem(.tooLarge, "\(path.display): the target's bytes limit was reached before it"))
        }
        var bytes = [UInt8](repeating: 0, count: Int(size))
        var done = 0
        let failure: String? = bytes.withUnsafeMutableBytes { buffer in
            while done < buffer.count {
                let want = min(buffer.count - done, RegularFileReader.chunkSize)
                switch entry.read(at: Int64(done), into: UnsafeMutableRawBufferPointer(rebasing: buffer[done..<(done + want)])) {
                case .failure(let error):
                    return "the read at byte \(done) of \(size) failed: \(error.message)"
                case .success(0):
                    return "only \(done) of its \(size) bytes could be read"
                case .success(let got):
                    done += got
                }
            }
            return nil
        }
        if let failure {
            return .failure(ReadProblem(.ioError, deleted
                ? "\(path.display) (deleted): \(failure); its clusters may have been reused"
                : "\(path.display): \(failure) from the image; the image is damaged or cut short: get a fresh copy"))
        }
        return .success(FileBytes(bytes: bytes, digests: FileDigests(of: bytes, selection: limits.digests)))
    }

    /// An archive on a volume: opened in place by the rules of nested archives.
    func openArchive(_ entry: TSKFile, path: ScanPath) {
        guard let size = entry.size, size > 0 else { return }
        do throws(ArchiveError) {
            try archives.scanEmbedded(.imageFile(entry), size: size, path: path)
        } catch {
            problems.append(.nestedArchiveUnreadable(path: path.display,
                problem: "the archive \(path.display) on the image could not be read: \(error.message)", found: error.message))
        }
    }
}
