#if canImport(Glibc)
import Glibc
#endif

/// Streams the entries of an archive target (and of archives inside it) past the name
/// matcher: matched entries are read into the digests and the PE reader, the rest are
/// skipped. Nothing is written anywhere: nested archives are read from memory.
///
/// Paths show the chain of archives: `setup/office.cab!WINDOWS/SYSTEM/EMSMDB32.DLL`
/// (the target's own name is the report's `target`). CAB and zip backslashes become `/`.
/// Names are kept as raw bytes; `../`, absolute and drive-letter names are reported as they are
/// and never joined to any host path (nothing is extracted).
struct ArchiveSource {
    let matcher: NameMatcher
    let limits: ScanLimits

    /// File-name endings of archives opened when found inside an archive.
    static let nestedSuffixes = [".zip", ".cab", ".7z", ".iso", ".tar", ".tgz", ".tar.gz", ".tbz2", ".tar.bz2",
                                 ".txz", ".tar.xz", ".tzst", ".tar.zst"]

    /// What one archive target gave.
    struct Outcome {
        var items: [InventoryItem] = []
        var summary = SourceSummary()
        /// Target-level findings that call for a person (`review`).
        var reviews: [Reason] = []
        /// The archive could not be read (any further): the target is `error`.
        var failure: ArchiveError?
        var format = ""
        var totalBytes: Int64 = 0
        var stopped = false
        /// The last entry whose header was read, for messages about what came after it.
        var lastEntryBytes: [UInt8]?
        var lastEntry: String? { lastEntryBytes.map { ScanPath(bytes: $0).display } }
        /// Entries whose data libarchive read with a warning (bad CRC, wrong size): corrupt.
        var corruption: [String] = []
        /// Matched files read so far, by path, for tar hard links that name them (the inventory
        /// entries, not the bytes).
        var matchedItems: [[UInt8]: InventoryItem] = [:]
        /// Bytes of matched files read so far.
        var matchedBytes: Int64 = 0
    }

    /// Scans the archive open at `descriptor` (a file when `size` is known, else a pipe).
    ///
    /// A zip file is listed from its central directory (``ZipLayout``), and only the wanted
    /// entries are cut out and handed to libarchive; everything else goes through libarchive's
    /// own readers entry by entry.
    func scan(descriptor: Int32, size: Int64?, name: String) -> Outcome {
        var outcome = Outcome()
        withUTF8Locale {
            do throws(ArchiveError) {
                if let size, try scanZip(descriptor: descriptor, size: size, outcome: &outcome) { return }
                let reader = try ArchiveReader.make()
                try reader.open(descriptor: descriptor)
                do throws(ArchiveError) {
                    try walk(reader, prefix: [], depth: 1, outcome: &outcome)
                } catch where error.code == .fatal && reader.hasEncryptedEntries {
                    // 7-Zip with encrypted data reports "Damaged 7-Zip archive"; say what it is.
                    throw ArchiveError(.encrypted, "its entries are encrypted (\(error.message))", entry: error.entry)
                } catch {
                    throw error
                }
            } catch {
                outcome.failure = error
            }
        }
        return outcome
    }

    /// The zip path: the central directory decides what is read. Returns false when the file
    /// is to be read by libarchive's own readers instead (not a zip, or a damaged directory:
    /// then its local headers still name the entry where the data ends).
    func scanZip(descriptor: Int32, size: Int64, outcome: inout Outcome) throws(ArchiveError) -> Bool {
        let read: ZipLayout.ReadAt = { offset, count in
            guard count >= 0, offset >= 0 else { return nil }
            var bytes = [UInt8](repeating: 0, count: count)
            var done = 0
            while done < count {
                let got = bytes.withUnsafeMutableBytes { buffer -> Int in
                    guard let base = buffer.baseAddress else { return -1 }
                    return pread(descriptor, base + done, count - done, off_t(offset) + off_t(done))
                }
                if got < 0 && errno == EINTR { continue }
                guard got > 0 else { return nil }
                done += got
            }
            return bytes
        }
        guard let head = read(0, 4) else { return false }
        let startsLikeZip = head.starts(with: [0x50, 0x4b])
        let finding = ZipLayout.check(size: size, read: read) { raw in
            let name = normalise(raw, backslashes: true)
            let last = lastComponent(name)
            return matcher.match(last) != nil || Self.isArchiveName(last)
        }
        switch finding {
        case .multiVolume(let why):
            // The last part of a split zip starts inside some other part's data.
            throw ArchiveError(.multiVolume, "this is one part of a multi-volume zip (\(why)); join the parts first (zip -s 0 in.zip --out whole.zip) and scan the result")
        case .overlapping(let why):
            throw ArchiveError(.overlappingEntries,
                "zip entries overlap (\(why)): this is the overlapping-file zip bomb construction; nothing in it was read")
        case .truncated(let why) where startsLikeZip:
            outcome.corruption.append("the zip's central directory is damaged: \(why)")
            return false
        case .notZip where startsLikeZip:
            outcome.corruption.append("the zip has no end-of-central-directory record: the file is cut short (or is not a complete zip)")
            return false
        case .centralDirectoryTooLarge(let size) where startsLikeZip:
            // libarchive would hold every entry in memory: not read at all, and said so.
            stop(&outcome, LimitHit(limit: "zip-central-directory", value: ZipLayout.maxCentralDirectorySize,
                detail: "the zip's central directory is \(size) bytes, above the \(ZipLayout.maxCentralDirectorySize) bytes patchaudit reads; no entry was read"))
            return true
        case .consistent(let catalog) where startsLikeZip:
            try scanZipEntries(catalog, size: size, read: read, outcome: &outcome)
            return true
        default:
            return false
        }
    }

    /// Reads each wanted entry of a zip: its bytes (local header to data descriptor) are cut
    /// out by the central directory's offsets and read by libarchive's streaming zip reader,
    /// which decompresses and checks the CRC.
    func scanZipEntries(_ catalog: ZipLayout.Catalog, size: Int64, read: ZipLayout.ReadAt, outcome: inout Outcome) throws(ArchiveError) {
        outcome.format = "ZIP"
        outcome.summary.entriesVisited = catalog.entryCount
        outcome.summary.directoriesVisited = catalog.directoryCount
        guard catalog.entryCount <= limits.maxEntries else {
            stop(&outcome, LimitHit(limit: "max-entries", value: Int64(limits.maxEntries),
                detail: "the zip lists \(catalog.entryCount) entries, more than \(limits.maxEntries); none was read"))
            return
        }
        for wanted in catalog.wanted where !outcome.stopped {
            let name = normalise(wanted.name, backslashes: true)
            let path = ScanPath(bytes: name)
            outcome.lastEntryBytes = name
            if wanted.isSymbolicLink, let matched = matcher.match(lastComponent(name)) {
                outcome.items.append(InventoryItem(name: matched, path: path, content: .failure(ReadProblem(.symbolicLink,
                    "\(path.display) is a symbolic-link entry in the zip; links are never followed, so its target was not read"))))
                continue
            }
            let cap = max(limits.maxFileSize, limits.maxNestedArchiveSize)
            // Local header (30 + name + extra), the data, a data descriptor (up to 24).
            let (window, overflow) = wanted.compressedSize.addingReportingOverflow(30 + 2 * 65_535 + 24)
            if overflow || wanted.compressedSize < 0 || wanted.compressedSize > cap {
                // Too big to hold: let the entry's own rules say so without reading it.
                let problem = RegularFileReader.tooLarge(path.display, size: max(wanted.compressedSize, wanted.uncompressedSize), maxSize: cap)
                if let matched = matcher.match(lastComponent(name)) {
                    outcome.items.append(InventoryItem(name: matched, path: path, content: .failure(problem)))
                } else {
                    addLimit(&outcome, LimitHit(limit: "max-nested-size", value: limits.maxNestedArchiveSize,
                        detail: "the nested archive \(path.display) is larger than \(limits.maxNestedArchiveSize) bytes; it was not opened (raise --max-nested-size)"))
                }
                continue
            }
            let length = Int(min(window, size - wanted.localHeaderOffset))
            guard wanted.localHeaderOffset >= 0, wanted.localHeaderOffset < size, let bytes = read(wanted.localHeaderOffset, length) else {
                outcome.corruption.append("\(path.display): its local header (offset \(wanted.localHeaderOffset)) lies outside the file")
                continue
            }
            do throws(ArchiveError) {
                let reader = try ArchiveReader.make(zipEntryOnly: true)
                try reader.open(bytes: bytes)
                guard let entry = try reader.nextEntry() else {
                    outcome.corruption.append("\(path.display): no local header at offset \(wanted.localHeaderOffset)")
                    continue
                }
                if normalise(entry.name, backslashes: true) != name {
                    outcome.reviews.append(Reason(rule: "zip-name-mismatch", verdict: .review,
                        message: "\(path.display): the local header names it \(ScanPath(bytes: entry.name).display); a zip whose two directories disagree was made to mislead: a person must look",
                        found: ScanPath(bytes: entry.name).display, expected: path.display, path: path.display))
                }
                try visit(reader, entry: entry, name: name, prefix: [], depth: 1, outcome: &outcome)
            } catch where error.code == .fatal || error.code == .entryFailed {
                outcome.corruption.append("\(path.display): \(error.message)")
            } catch {
                throw error
            }
        }
    }

    private static let bang = UInt8(ascii: "!")

    /// Reads the entries of one (possibly nested) archive.
    func walk(_ reader: ArchiveReader, prefix: [UInt8], depth: Int, outcome: inout Outcome) throws(ArchiveError) {
        var consecutiveFailures = 0
        while !outcome.stopped {
            let entry: ArchiveReader.Entry
            do {
                guard let next = try reader.nextEntry() else { break }
                entry = next
                consecutiveFailures = 0
            } catch let error where error.code == .entryFailed {
                consecutiveFailures += 1
                outcome.reviews.append(Reason(rule: "archive-entry-failed", verdict: .review,
                    message: "an entry header\(prefix.isEmpty ? "" : " in \(ScanPath(bytes: prefix).display)") could not be read (\(error.message)); the entry was lost",
                    found: error.message))
                if consecutiveFailures > 16 { throw ArchiveError(.fatal, "too many unreadable entry headers in a row: \(error.message)") }
                continue
            } catch let error where error.code == .encrypted {
                outcome.reviews.append(Reason(rule: "archive-encrypted", verdict: .review,
                    message: "\(prefix.isEmpty ? "the archive" : ScanPath(bytes: prefix).display)'s headers are encrypted (\(error.message)); its entries cannot be listed without the password",
                    found: "encrypted"))
                return
            }
            // libarchive knows the format once the first header is read.
            if depth == 1 && outcome.format.isEmpty { outcome.format = reader.formatName }
            if entry.name.isEmpty { continue }
            outcome.summary.entriesVisited += 1
            guard outcome.summary.entriesVisited <= limits.maxEntries else {
                stop(&outcome, LimitHit(limit: "max-entries", value: Int64(limits.maxEntries),
                    detail: "the scan stopped after \(limits.maxEntries) archive entries; entries beyond were not looked at"))
                return
            }
            if depth == 1 { try checkStream(reader, outcome: &outcome) }
            if outcome.stopped { return }

            let name = normalise(entry.name, backslashes: reader.usesBackslashes)
            outcome.lastEntryBytes = prefix + name
            if entry.isDirectory {
                outcome.summary.directoriesVisited += 1
                continue
            }
            try visit(reader, entry: entry, name: name, prefix: prefix, depth: depth, outcome: &outcome)
        }
        // The last entry's skipped data is behind the last header: check the stream once more.
        if depth == 1 && !outcome.stopped { try checkStream(reader, outcome: &outcome) }
    }

    /// Handles one entry whose header was just read: a matched file is read, a nested archive
    /// opened; anything else is left for libarchive to skip.
    func visit(_ reader: ArchiveReader, entry: ArchiveReader.Entry, name: [UInt8], prefix: [UInt8], depth: Int,
               outcome: inout Outcome) throws(ArchiveError) {
        let last = lastComponent(name)
        let matched = matcher.match(last)
        // The common case, kept cheap: an entry nobody wants, no warning, no nested archive.
        if matched == nil && entry.warning == nil && !Self.isArchiveName(last) {
            // Where skipping means decompressing, the skipped bytes count against the limits:
            // by the declared size before libarchive skips (tar in gzip/xz/...), or block by
            // block where there is none or the format hides it (7-Zip solid blocks).
            if entry.isRegularFile && (reader.isCompressedStream || reader.isSevenZip) && !entry.isEncrypted {
                if let size = entry.size, !reader.isSevenZip {
                    outcome.totalBytes += size
                    if outcome.totalBytes > limits.maxTotalBytes {
                        stop(&outcome, LimitHit(limit: "max-total-bytes", value: limits.maxTotalBytes,
                            detail: "more than \(limits.maxTotalBytes) decompressed bytes would be read from this target; the scan stopped before \(ScanPath(bytes: prefix + name).display) (\(size) bytes)"))
                    }
                } else {
                    try discardData(reader, path: ScanPath(bytes: prefix + name), outcome: &outcome)
                }
            }
            return
        }
        let path = ScanPath(bytes: prefix + name)
        if let warning = entry.warning {
            outcome.reviews.append(Reason(rule: "archive-warning", verdict: .review,
                message: "\(path.display): libarchive warned: \(warning)", found: warning, path: path.display))
        }
        if let matched {
            if entry.isHardLink, let target = entry.hardLinkTarget,
               var linked = outcome.matchedItems[prefix + normalise(target, backslashes: reader.usesBackslashes)] {
                // A tar hard link to a file read earlier: the same bytes, as on disk.
                linked.name = matched
                linked.path = path
                outcome.items.append(linked)
                return
            }
            guard outcome.items.count < limits.maxMatchedFiles else {
                stop(&outcome, LimitHit(limit: "max-matched-files", value: Int64(limits.maxMatchedFiles),
                    detail: "more than \(limits.maxMatchedFiles) files matched; the scan stopped at \(path.display)"))
                return
            }
            let content = try readMatched(reader, entry: entry, path: path, outcome: &outcome)
            if case .failure(let problem) = content, problem.kind == .encrypted {
                outcome.reviews.append(Reason(rule: "archive-encrypted", verdict: .review,
                    message: "\(path.display) is encrypted; its bytes cannot be checked without the password",
                    found: "encrypted", path: path.display))
            }
            let item = InventoryItem(name: matched, path: path, content: content)
            outcome.items.append(item)
            if item.readProblem == nil { outcome.matchedItems[prefix + name] = item }
            if case .success(let file) = content {
                outcome.matchedBytes += file.size
                if outcome.matchedBytes > limits.maxMatchedBytes {
                    stop(&outcome, LimitHit(limit: "max-matched-bytes", value: limits.maxMatchedBytes,
                        detail: "the files matched in this target add up to more than \(limits.maxMatchedBytes) bytes (DLLs of the era are under 2 MiB each); the scan stopped at \(path.display)"))
                }
            }
            return
        }
        if entry.isRegularFile && !entry.isHardLink && Self.isArchiveName(last) {
            try openNested(reader, entry: entry, path: path, depth: depth, outcome: &outcome)
        }
    }

    /// Reads a nested archive into memory (bounded) and walks it in the same pass.
    func openNested(_ reader: ArchiveReader, entry: ArchiveReader.Entry, path: ScanPath, depth: Int, outcome: inout Outcome) throws(ArchiveError) {
        // `depth` is this archive's level (the target is 1), so the nested one's contents lie
        // `depth` archive boundaries ("!") inside the target.
        guard depth <= limits.maxArchiveDepth else {
            addLimit(&outcome, LimitHit(limit: "max-depth", value: Int64(limits.maxArchiveDepth),
                detail: "\(path.display) would open archive level \(depth) inside the target, deeper than --max-depth \(limits.maxArchiveDepth); it was not opened (raise --max-depth to read it)"))
            return
        }
        if entry.isEncrypted {
            outcome.reviews.append(Reason(rule: "archive-encrypted", verdict: .review,
                message: "the nested archive \(path.display) is encrypted; it was not opened", found: "encrypted", path: path.display))
            return
        }
        let bytes: [UInt8]
        switch try readData(reader, entry: entry, path: path, cap: limits.maxNestedArchiveSize, outcome: &outcome) {
        case .success(let data): bytes = data
        case .failure(let problem):
            if problem.kind == .tooLarge {
                addLimit(&outcome, LimitHit(limit: "max-nested-size", value: limits.maxNestedArchiveSize,
                    detail: "the nested archive \(path.display) is larger than \(limits.maxNestedArchiveSize) bytes; it was not opened (raise --max-nested-size)"))
            } else {
                outcome.reviews.append(Reason(rule: "nested-archive-unreadable", verdict: .review,
                    message: "the nested archive \(path.display) could not be read: \(problem.detail)", path: path.display))
            }
            return
        }
        if bytes.starts(with: [0x50, 0x4b]) {
            let finding = ZipLayout.check(size: Int64(bytes.count)) { offset, count in
                guard offset >= 0, count >= 0, offset <= Int64(bytes.count) - Int64(count) else { return nil }
                return Array(bytes[Int(offset)..<(Int(offset) + count)])
            }
            switch finding {
            case .overlapping(let why):
                addLimit(&outcome, LimitHit(limit: "zip-overlap", value: 0,
                    detail: "the nested zip \(path.display) has overlapping entries (\(why)): the zip bomb construction; it was not opened"))
                return
            case .truncated(let why), .multiVolume(let why):
                outcome.reviews.append(Reason(rule: "nested-archive-unreadable", verdict: .review,
                    message: "the nested zip \(path.display) is damaged (\(why)); its contents were not checked", path: path.display))
                return
            case .centralDirectoryTooLarge, .consistent, .notZip:
                break
            }
        }
        let child = try ArchiveReader.make()
        do {
            try child.open(bytes: consume bytes)
            try walk(child, prefix: path.bytes + [Self.bang], depth: depth + 1, outcome: &outcome)
        } catch {
            let what = error.code == .notAnArchive ? "is not a recognised archive" : "could not be read: \(error)"
            outcome.reviews.append(Reason(rule: "nested-archive-unreadable", verdict: .review,
                message: "the nested archive \(path.display) \(what); its contents were not checked", found: error.message, path: path.display))
        }
    }

    /// Reads one matched entry: digests on the way, PE parsing afterwards.
    func readMatched(_ reader: ArchiveReader, entry: ArchiveReader.Entry, path: ScanPath, outcome: inout Outcome) throws(ArchiveError) -> Result<FileBytes, ReadProblem> {
        if entry.isSymbolicLink || entry.isHardLink {
            return .failure(ReadProblem(.symbolicLink, "\(path.display) is a link entry in the archive; links are never followed, so its target was not read"))
        }
        if !entry.isRegularFile {
            return .failure(ReadProblem(.notRegularFile, "\(path.display) is a special-file entry, not a regular file: it was not read"))
        }
        if entry.isEncrypted {
            return .failure(ReadProblem(.encrypted, "\(path.display) is encrypted in the archive; its bytes cannot be read without the password"))
        }
        switch try readData(reader, entry: entry, path: path, cap: limits.maxFileSize, outcome: &outcome) {
        case .success(let bytes):
            return .success(FileBytes(bytes: bytes, digests: FileDigests(of: bytes)))
        case .failure(let problem):
            return .failure(problem)
        }
    }

    /// Reads the current entry's data up to `cap` bytes, with the byte and ratio guards.
    /// Holes of sparse entries (blocks at later offsets) are filled with zeros, as on disk.
    func readData(_ reader: ArchiveReader, entry: ArchiveReader.Entry, path: ScanPath, cap: Int64, outcome: inout Outcome) throws(ArchiveError) -> Result<[UInt8], ReadProblem> {
        if let size = entry.size, size > cap {
            return .failure(RegularFileReader.tooLarge(path.display, size: size, maxSize: cap))
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(min(entry.size ?? 0, cap)))
        reader.clearDataWarnings()
        defer {
            // WARN while reading data: the bytes are not what the archive recorded (bad CRC,
            // wrong size). The entry is reported as read, and the archive as corrupt.
            for warning in reader.dataWarnings {
                outcome.corruption.append("\(path.display): \(warning) (the bytes read are not those the archive recorded)")
            }
        }
        var guardState = RatioGuard(reader: reader)
        while true {
            let next: (bytes: UnsafeRawBufferPointer, offset: Int64)?
            do throws(ArchiveError) {
                next = try reader.nextBlock(entry: path.display)
            } catch where error.code == .entryFailed {
                return .failure(ReadProblem(.ioError, "\(path.display): the data could not be read: \(error.message)"))
            } catch where error.code == .encrypted {
                return .failure(ReadProblem(.encrypted, "\(path.display) is encrypted: \(error.message)"))
            } catch {
                throw error
            }
            guard let (block, offset) = next else { break }
            // Blocks come in order; a sparse entry's holes are the gaps between them.
            guard offset >= Int64(bytes.count) else {
                return .failure(ReadProblem(.ioError, "\(path.display): libarchive returned data blocks out of order"))
            }
            let end = offset + Int64(block.count)
            if end > cap {
                return .failure(RegularFileReader.tooLarge(path.display, size: end, maxSize: cap))
            }
            bytes.append(contentsOf: repeatElement(0, count: Int(offset) - bytes.count))
            bytes.append(contentsOf: block)
            if let problem = count(Int64(block.count), at: path, guard: &guardState, outcome: &outcome) { return .failure(problem) }
        }
        if entry.isSparse, let size = entry.size, size > Int64(bytes.count) {
            // A trailing hole: zeros up to the recorded size (at most `cap`, checked above).
            bytes.append(contentsOf: repeatElement(0, count: Int(size) - bytes.count))
        }
        return .success(bytes)
    }

    /// Decompresses and discards the current entry's data, counting it against the limits.
    /// Used where skipping costs a decompression anyway (compressed streams, 7-Zip solid
    /// blocks), so that a bomb in an entry nobody wants still meets `--max-total-bytes`.
    func discardData(_ reader: ArchiveReader, path: ScanPath, outcome: inout Outcome) throws(ArchiveError) {
        var guardState = RatioGuard(reader: reader)
        while let (block, _) = try reader.nextBlock(entry: path.display) {
            if count(Int64(block.count), at: path, guard: &guardState, outcome: &outcome) != nil { return }
            if outcome.stopped { return }
        }
    }

    /// Tracks how many compressed bytes a stretch of output cost: libarchive's byte counter
    /// where it moves, else the size of the whole source (an upper bound on the input).
    struct RatioGuard {
        let reader: ArchiveReader
        let rawStart: Int64
        var produced: Int64 = 0
        init(reader: ArchiveReader) {
            self.reader = reader
            rawStart = reader.rawBytesRead
        }

        /// Output bytes per input byte so far, once there is enough output to judge.
        var ratio: Int64? {
            guard produced > 16 << 20 else { return nil }
            let raw = reader.rawBytesRead - rawStart
            let input = raw > 0 ? raw : (reader.sourceSize ?? 0)
            guard input > 0 else { return nil }
            return produced / input
        }
    }

    /// Adds `produced` decompressed bytes: the shared total and the ratio guard. Returns the
    /// problem that stops this entry, if any; stops the whole scan at the total limit.
    func count(_ produced: Int64, at path: ScanPath, guard state: inout RatioGuard, outcome: inout Outcome) -> ReadProblem? {
        outcome.totalBytes += produced
        state.produced += produced
        if outcome.totalBytes > limits.maxTotalBytes {
            stop(&outcome, LimitHit(limit: "max-total-bytes", value: limits.maxTotalBytes,
                detail: "more than \(limits.maxTotalBytes) decompressed bytes were read from this target; the scan stopped at \(path.display)"))
            return ReadProblem(.tooLarge, "\(path.display): the target's decompressed-bytes limit was reached while reading it")
        }
        if let ratio = state.ratio, ratio > limits.maxCompressionRatio {
            let problem = ReadProblem(.compressionRatio,
                "\(path.display) expands more than \(limits.maxCompressionRatio):1 (\(state.produced) bytes so far at about \(ratio):1); reading stopped as for a compression bomb")
            // A bomb makes the whole archive hostile: nothing more is read from it.
            stop(&outcome, LimitHit(limit: "max-compression-ratio", value: limits.maxCompressionRatio, detail: problem.detail))
            return problem
        }
        return nil
    }

    /// The whole stream's guards (compressed tar etc.): total bytes and ratio.
    func checkStream(_ reader: ArchiveReader, outcome: inout Outcome) throws(ArchiveError) {
        let stream = reader.streamBytes, raw = max(1, reader.rawBytesRead)
        if stream > limits.maxTotalBytes {
            stop(&outcome, LimitHit(limit: "max-total-bytes", value: limits.maxTotalBytes,
                detail: "more than \(limits.maxTotalBytes) decompressed bytes were read from this target; the scan stopped"))
        } else if stream > 64 << 20 && stream / raw > limits.maxCompressionRatio {
            stop(&outcome, LimitHit(limit: "max-compression-ratio", value: limits.maxCompressionRatio,
                detail: "the archive's stream expands more than \(limits.maxCompressionRatio):1 (\(stream) bytes from \(raw)); the scan stopped as for a compression bomb"))
        }
    }

    func stop(_ outcome: inout Outcome, _ hit: LimitHit) {
        addLimit(&outcome, hit)
        outcome.stopped = true
    }

    func addLimit(_ outcome: inout Outcome, _ hit: LimitHit) {
        if !outcome.summary.limitsHit.contains(where: { $0.limit == hit.limit }) { outcome.summary.limitsHit.append(hit) }
    }

    /// `\` → `/` for formats that use DOS separators; a leading `./` dropped.
    func normalise(_ name: [UInt8], backslashes: Bool) -> [UInt8] {
        var name = backslashes && name.contains(0x5c) ? name.map { $0 == 0x5c ? 0x2f : $0 } : name
        while name.starts(with: [0x2e, 0x2f]) { name.removeFirst(2) }
        while name.last == 0x2f { name.removeLast() }
        if name.count > 1, zip(name, name.dropFirst()).contains(where: { $0 == 0x2f && $1 == 0x2f }) {
            // "a//b" names the same file as "a/b" (a leading "/" is kept: it is reported as is).
            var collapsed: [UInt8] = []
            for byte in name where !(byte == 0x2f && collapsed.last == 0x2f) { collapsed.append(byte) }
            name = collapsed
        }
        return name
    }

    func lastComponent(_ name: [UInt8]) -> ArraySlice<UInt8> {
        guard let slash = name.lastIndex(of: 0x2f) else { return name[...] }
        return name[(slash + 1)...]
    }

    static func isArchiveName(_ name: ArraySlice<UInt8>) -> Bool {
        // Every suffix ends in p, b, z, o, r, 2 or t (any case): most names are out at once.
        guard let last = name.last, [0x70, 0x62, 0x7a, 0x6f, 0x72, 0x32, 0x74].contains(last | 0x20) else { return false }
        let lowered = String(decoding: lowercasedASCII(name.suffix(8)), as: UTF8.self)
        if nestedSuffixes.contains(where: { lowered.hasSuffix($0) }) { return true }
        // 8.3 names of compressed tars on plain ISO 9660 images: PC42_TAR.GZ, BACKUP.TAR.BZ2.
        guard [".gz", ".bz2", ".xz", ".zst"].contains(where: { lowered.hasSuffix($0) }) else { return false }
        return String(decoding: lowercasedASCII(name), as: UTF8.self).contains("tar")
    }
}
