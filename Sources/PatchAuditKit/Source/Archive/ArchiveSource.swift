import CCrashNote
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// Streams the entries of an archive target (and of archives inside it) past the name
/// matcher: matched entries are read into the digests and the PE reader, the rest are
/// skipped. Nothing is written anywhere, and memory stays flat whatever the target holds.
///
/// Paths show the chain of archives: `setup/office.cab!WINDOWS/SYSTEM/EMSMDB32.DLL`
/// (the target's own name is the report's `target`). CAB and zip backslashes become `/`.
/// Names are kept as raw bytes; `../`, absolute and drive-letter names are reported as they are
/// and never joined to any host path (nothing is extracted).
///
/// Nested archives: an entry named like an archive is opened only when its first bytes say it
/// is one (``ArchiveSniffer``); one that is not is listed as `notAnArchive` and changes no
/// verdict. An archive is then read without being copied whole:
/// - a *stored* entry of the target file (a stored zip entry, a plain tar entry) is read in
///   place, as a stretch of the file: a zip through its central directory again, anything else
///   by libarchive with seeking;
/// - any other entry is streamed from its container's decompressed blocks (``EntryDataSource``);
/// - a 7-Zip or ISO 9660 image, whose readers must seek, inside a deflated zip entry is re-read
///   from the zip as often as seeking needs (``RewindableEntrySource``); only one that arrives
///   compressed in a stream that cannot be read twice (a `.iso` in a `.tar.gz`) is copied into
///   memory, at most `--max-nested-size` bytes.
struct ArchiveSource: TargetSource {
    let matcher: NameMatcher
    let limits: ScanLimits
    /// The target, borrowed: the caller keeps it open until ``read()`` returns.
    let file: FileDescriptor
    /// Its size, or nil for a pipe (standard input).
    let size: Int64?
    /// For a self-extracting package: where in the file its archive lies.
    var payload: SelfExtractingPackage.Payload?
    /// The target is a Windows program (a PE image), package or not.
    var isProgram = false
    /// Whether matched zip entries in the plain case are read in place with libdeflate
    /// (``ArchiveWalk/readInPlace(_:in:path:)``); false reads every one through libarchive, as
    /// tests do to compare the two.
    var readsZipEntriesInPlace = true

    /// File-name endings of archives opened when found inside an archive.
    static let nestedSuffixes = [".zip", ".cab", ".7z", ".iso", ".tar", ".tgz", ".tar.gz", ".tbz2", ".tar.bz2",
                                 ".txz", ".tar.xz", ".tzst", ".tar.zst"]

    /// What one archive target gave.
    struct Outcome {
        var items: [InventoryItem] = []
        var summary = SourceSummary()
        /// What was wrong, as facts (the verdict policy weighs them).
        var problems: [SourceProblem] = []
        /// The archive could not be read (any further): the target is `error`.
        var failure: ArchiveError?
        var format = ""
        var totalBytes: Int64 = 0
        var stopped = false
        /// The last entry whose header was read, for messages about what came after it.
        var lastEntryBytes: [UInt8]?
        var lastEntry: String? { lastEntryBytes.map { ScanPath(bytes: $0).display } }

        /// Adds what was read and what was wrong (problems, corruption, the failure that ended
        /// the reading) to `facts`: the one translation, for archive targets and for archives
        /// found on a disk image's volumes.
        func addFacts(to facts: inout SourceFacts) {
            facts.items += items
            facts.items.sort { $0.path < $1.path }
            facts.summary = summary
            facts.problems += problems + corruption.map { .corrupt($0) }
            if let failure {
                if failure.code == .overlappingEntries {
                    facts.summary.limitsHit.append(LimitHit(limit: "zip-overlap", value: 0, detail: failure.message))
                } else {
                    facts.problems.append(.unreadable(failure, lastEntry: lastEntry))
                }
            }
        }
        /// Entries whose data libarchive read with a warning (bad CRC, wrong size): corrupt.
        var corruption: [String] = []
        /// Matched files read so far, by path, for tar hard links that name them (the inventory
        /// entries, not the bytes).
        var matchedItems: [[UInt8]: InventoryItem] = [:]
        /// Bytes of matched files read so far.
        var matchedBytes: Int64 = 0
        /// Entries named like archives looked into so far (all levels).
        var nestedLookedAt = 0
        /// Matched zip entries read in place (libdeflate) rather than through libarchive.
        var entriesReadInPlace = 0
    }

    /// Scans the archive open at `file`: a regular file of `size` bytes, or a pipe (`size` nil).
    func scan() -> Outcome {
        let walk = ArchiveWalk(matcher: matcher, limits: limits, file: .descriptor(file))
        walk.readsInPlace = readsZipEntriesInPlace
        withUTF8Locale {
            if let payload {
                walk.scanTarget(start: payload.offset, size: payload.length)
            } else {
                walk.scanTarget(size: size)
            }
        }
        var outcome = walk.finish()
        if let payload, !outcome.format.isEmpty {
            outcome.format += " in a self-extracting package (\(payload.place))"
        }
        return outcome
    }

    consuming func read() -> SourceFacts {
        var outcome = scan()
        if isProgram && payload == nil && outcome.failure?.code == .notAnArchive, let message = outcome.failure?.message {
            outcome.failure?.message = "it is a Windows program (a PE image) that carries no cabinet or zip in a CABINET resource or after its end, so it is no self-extracting package (\(message))"
        }
        var facts = SourceFacts(kind: .archive)
        outcome.addFacts(to: &facts)
        facts.sizeUnknown = size == nil
        facts.format = outcome.format.isEmpty ? nil : outcome.format
        return facts
    }

    static func isArchiveName(_ name: some BidirectionalCollection<UInt8>) -> Bool {
        // Every suffix ends in p, b, z, o, r, 2 or t (any case): most names are out at once.
        guard let last = name.last, [0x70, 0x62, 0x7a, 0x6f, 0x72, 0x32, 0x74].contains(last | 0x20) else { return false }
        let lowered = String(decoding: lowercasedASCII(name.suffix(8)), as: UTF8.self)
        if nestedSuffixes.contains(where: { lowered.hasSuffix($0) }) { return true }
        // 8.3 names of compressed tars on plain ISO 9660 images: PC42_TAR.GZ, BACKUP.TAR.BZ2.
        guard [".gz", ".bz2", ".xz", ".zst"].contains(where: { lowered.hasSuffix($0) }) else { return false }
        return String(decoding: lowercasedASCII(name), as: UTF8.self).contains("tar")
    }
}

/// A stretch of the target file that holds bytes as they are (no compression between).
struct FileStretch {
    var start: Int64
    var length: Int64
}

/// How the current entry's bytes can be reached besides streaming them.
enum EntryOrigin {
    /// An entry of a zip listed from its central directory: its local header lies at a known
    /// offset of the target file, so it can be read in place (stored) or again (deflated).
    case zip(zip: FileStretch, entry: ZipLayout.Entry)
    /// An entry libarchive walked; `stretch`: the reader reads that plain stretch of the target
    /// file (a tar entry's data can then be found in it).
    case walked(stretch: FileStretch?)
}

/// One archive target's scan: the state every level of nesting shares (limits count across
/// levels). Not Sendable: one scan, one thread.
final class ArchiveWalk {
    let matcher: NameMatcher
    let limits: ScanLimits
    /// The target file (or standard input), borrowed for the whole scan; or, while an archive
    /// found on a disk image's volume is read, that file.
    var file: TargetBytes
    var outcome = ArchiveSource.Outcome()
    /// The decompressor for zip entries read in place (``readInPlace(_:in:path:)``): made on
    /// first use, reused for every entry of the scan.
    var zipInflater: ZipInflater?
    /// Whether matched zip entries in the plain case are read in place (else all by libarchive).
    var readsInPlace = true

    private static let bang = UInt8(ascii: "!")
    /// The most reserved ahead of the bytes themselves: a recorded size is only a claim.
    static let maxUpFrontBytes: Int64 = 16 << 20

    init(matcher: NameMatcher, limits: ScanLimits, file: TargetBytes) {
        self.matcher = matcher
        self.limits = limits
        self.file = file
    }

    /// The outcome, with what was listed put in order.
    func finish() -> ArchiveSource.Outcome {
        outcome.summary.skipped.sort()
        outcome.summary.skipped = Array(outcome.summary.skipped.prefix(limits.maxListedSkipped))
        return outcome
    }

    // MARK: - The target

    /// Reads the target's archive: the whole file (`start` 0), or the stretch of it a
    /// self-extracting package keeps its archive in.
    func scanTarget(start: Int64 = 0, size: Int64?) {
        do throws(ArchiveError) {
            if let size, try scanZip(FileStretch(start: start, length: size), prefix: [], depth: 1) { return }
            let reader = try ArchiveReader.make()
            try reader.open(FileRangeSource(file: file, start: start, length: size, label: "the archive"))
            do throws(ArchiveError) {
                try walk(reader, prefix: [], depth: 1, stretch: size.map { FileStretch(start: start, length: $0) })
            } catch where error.code == .fatal && reader.hasEncryptedEntries {
                // 7-Zip with encrypted data reports "Damaged 7-Zip archive"; say what it is.
                throw ArchiveError(.encrypted, "its entries are encrypted (\(error.message))", entry: error.entry)
            }
        } catch {
            outcome.failure = error
        }
    }

    // MARK: - Zips through their central directory

    /// Lists a zip lying at `stretch` of the target file from its central directory, and reads
    /// the wanted entries. Returns false when libarchive's own readers are to read it instead
    /// (not a zip, or, for the target, a damaged directory whose local headers still tell
    /// where the data ends).
    func scanZip(_ stretch: FileStretch, prefix: [UInt8], depth: Int) throws(ArchiveError) -> Bool {
        let isTarget = depth == 1
        let view = FileRangeSource(file: file, start: stretch.start, length: stretch.length, label: "the zip")
        let read: ZipLayout.ReadAt = { offset, count in view.bytes(at: offset, count: count) }
        guard let head = read(0, 4) else { return false }
        let startsLikeZip = head.starts(with: [0x50, 0x4b])
        let finding = ZipLayout.check(size: stretch.length, read: read, maxWanted: limits.maxMatchedFiles + limits.maxNestedArchives) { raw in
            let last = lastComponent(normalise(raw, backslashes: true))
            return self.matcher.match(last) != nil || ArchiveSource.isArchiveName(last)
        }
        let nested = ScanPath(bytes: Array(prefix.dropLast())).display
        switch finding {
        case .multiVolume(let why) where isTarget:
            // The last part of a split zip starts inside some other part's data.
            throw ArchiveError(.multiVolume, "this is one part of a multi-volume zip (\(why)); join the parts first (zip -s 0 in.zip --out whole.zip) and scan the result")
        case .overlapping(let why) where isTarget:
            throw ArchiveError(.overlappingEntries,
                "zip entries overlap (\(why)): this is the overlapping-file zip bomb construction; nothing in it was read")
        case .overlapping(let why):
            addLimit(LimitHit(limit: "zip-overlap", value: 0,
                detail: "the nested zip \(nested) has overlapping entries (\(why)): the zip bomb construction; it was not opened"))
            return true
        case .truncated(let why) where isTarget && startsLikeZip:
            outcome.corruption.append("the zip's central directory is damaged: \(why)")
            return false
        case .truncated(let why) where !isTarget, .multiVolume(let why) where !isTarget:
            outcome.problems.append(.nestedArchiveUnreadable(path: nested, problem: "the nested zip \(nested) is damaged (\(why))"))
            return true
        case .notZip where isTarget && startsLikeZip:
            outcome.corruption.append("the zip has no end-of-central-directory record: the file is cut short (or is not a complete zip)")
            return false
        case .centralDirectoryTooLarge(let size) where startsLikeZip:
            // libarchive would hold every entry in memory: not read at all, and said so.
            let hit = LimitHit(limit: "zip-central-directory", value: ZipLayout.maxCentralDirectorySize,
                detail: "\(isTarget ? "the zip's" : "the nested zip \(nested)'s") central directory is \(size) bytes, above the \(ZipLayout.maxCentralDirectorySize) bytes patchaudit reads; no entry \(isTarget ? "was" : "in it was") read")
            if isTarget { stop(hit) } else { addLimit(hit) }
            return true
        case .consistent(let catalog) where startsLikeZip:
            try scanZipEntries(catalog, zip: stretch, prefix: prefix, depth: depth)
            return true
        default:
            return false
        }
    }

    /// Reads each wanted entry of a zip: its bytes (local header to data descriptor) are read in
    /// place by the central directory's offsets: a matched entry in the plain case by
    /// ``readInPlace(_:in:path:)`` (libdeflate), any other through libarchive's streaming zip
    /// reader, which decompresses and checks the CRC.
    func scanZipEntries(_ catalog: ZipLayout.Catalog, zip: FileStretch, prefix: [UInt8], depth: Int) throws(ArchiveError) {
        if depth == 1 { outcome.format = "ZIP" }
        outcome.summary.entriesVisited += catalog.entryCount
        outcome.summary.directoriesVisited += catalog.directoryCount
        guard outcome.summary.entriesVisited <= limits.maxEntries else {
            stop(LimitHit(limit: "max-entries", value: Int64(limits.maxEntries),
                detail: prefix.isEmpty ? "the zip lists \(catalog.entryCount) entries, more than \(limits.maxEntries); none was read"
                    : "with the \(catalog.entryCount) entries of \(ScanPath(bytes: Array(prefix.dropLast())).display), more than \(limits.maxEntries) archive entries were seen; the scan stopped"))
            return
        }
        if catalog.wantedCut {
            addLimit(LimitHit(limit: "max-nested-archives", value: Int64(limits.maxNestedArchives),
                detail: "\(prefix.isEmpty ? "the zip" : ScanPath(bytes: Array(prefix.dropLast())).display) lists more entries that are watched files or named like archives than \(limits.maxMatchedFiles + limits.maxNestedArchives) (or their names pass \(ZipLayout.maxWantedNameBytes) bytes); those after were not looked at"))
        }
        for wanted in catalog.wanted where !outcome.stopped {
            let name = normalise(wanted.name, backslashes: true)
            let path = ScanPath(bytes: prefix + name)
            noteReading(path.bytes)
            let matched = matcher.match(lastComponent(name))
            if wanted.isSymbolicLink {
                if let matched {
                    outcome.items.append(InventoryItem(name: matched, path: path, content: .failure(ReadProblem(.symbolicLink,
                        "\(path.display) is a symbolic-link entry in the zip; links are never followed, so its target was not read"))))
                }
                continue
            }
            if let matched, wanted.compressedSize > limits.maxFileSize || wanted.uncompressedSize > limits.maxFileSize {
                // Too big to hold: the entry's own rules say so without reading it.
                let problem = RegularFileReader.tooLarge(path.display, size: max(wanted.compressedSize, wanted.uncompressedSize), maxSize: limits.maxFileSize)
                outcome.items.append(InventoryItem(name: matched, path: path, content: .failure(problem)))
                continue
            }
            if let (found, expected) = headerDisagreement(wanted, in: zip) {
                outcome.problems.append(.zipHeaderMismatch(path: path.display, found: found, expected: expected))
            }
            // The plain case, read in place and inflated by libdeflate; anything else (or a
            // limit about to be reached) is read by libarchive below, as before.
            if readsInPlace, let matched, outcome.items.count < limits.maxMatchedFiles,
               let content = readInPlace(wanted, in: zip, path: path) {
                outcome.entriesReadInPlace += 1
                recordMatched(matched, path: path, key: prefix + name, content: content)
                continue
            }
            let reader: ArchiveReader
            do throws(ArchiveError) {
                reader = try openZipEntry(wanted, in: zip, path: path)
            } catch where error.code == .fatal || error.code == .entryFailed || error.code == .io {
                outcome.corruption.append("\(path.display): \(error.message)")
                continue
            }
            do throws(ArchiveError) {
                guard let entry = try reader.nextEntry() else {
                    outcome.corruption.append("\(path.display): no local header at offset \(wanted.localHeaderOffset)")
                    continue
                }
                if normalise(entry.name, backslashes: true) != name {
                    outcome.problems.append(.zipNameMismatch(path: path.display, localName: ScanPath(bytes: entry.name).display))
                }
                try visit(reader, entry: entry, name: name, prefix: prefix, depth: depth, origin: .zip(zip: zip, entry: wanted))
            } catch where error.code == .fatal || error.code == .entryFailed {
                outcome.corruption.append("\(path.display): \(error.message)")
            }
        }
    }

    /// A reader over one zip entry's bytes in place: local header (30 bytes, name, extra), the
    /// data, a data descriptor (up to 24 bytes).
    func openZipEntry(_ wanted: ZipLayout.Entry, in zip: FileStretch, path: ScanPath) throws(ArchiveError) -> ArchiveReader {
        guard wanted.localHeaderOffset >= 0, wanted.localHeaderOffset < zip.length, wanted.compressedSize >= 0 else {
            throw ArchiveError(.fatal, "its local header (offset \(wanted.localHeaderOffset)) lies outside the zip")
        }
        let (window, overflow) = wanted.compressedSize.addingReportingOverflow(30 + 2 * 65_535 + 24)
        let length = overflow ? zip.length - wanted.localHeaderOffset : min(window, zip.length - wanted.localHeaderOffset)
        let reader = try ArchiveReader.make(zipEntryOnly: true)
        try reader.open(FileRangeSource(file: file, start: zip.start + wanted.localHeaderOffset, length: length, label: path.display))
        return reader
    }

    // MARK: - Entries through libarchive

    /// Reads the entries of one (possibly nested) archive. `stretch`: the reader reads that
    /// plain stretch of the target file (nil for decompressed or streamed bytes).
    func walk(_ reader: ArchiveReader, prefix: [UInt8], depth: Int, stretch: FileStretch?) throws(ArchiveError) {
        var consecutiveFailures = 0
        while !outcome.stopped {
            let entry: ArchiveReader.Entry
            do {
                guard let next = try reader.nextEntry() else { break }
                entry = next
                consecutiveFailures = 0
            } catch let error where error.code == .entryFailed {
                consecutiveFailures += 1
                outcome.problems.append(.entryHeaderFailed(container: prefix.isEmpty ? nil : ScanPath(bytes: prefix).display, message: error.message))
                if consecutiveFailures > 16 { throw ArchiveError(.fatal, "too many unreadable entry headers in a row: \(error.message)") }
                continue
            } catch let error where error.code == .encrypted {
                outcome.problems.append(.encrypted(description: "\(prefix.isEmpty ? "the archive" : ScanPath(bytes: prefix).display)'s headers are encrypted (\(error.message)); its entries cannot be listed without the password", path: nil))
                return
            }
            // libarchive knows the format once the first header is read.
            if depth == 1 && outcome.format.isEmpty { outcome.format = reader.formatName }
            outcome.summary.entriesVisited += 1
            guard outcome.summary.entriesVisited <= limits.maxEntries else {
                stop(LimitHit(limit: "max-entries", value: Int64(limits.maxEntries),
                    detail: "the scan stopped after \(limits.maxEntries) archive entries; entries beyond were not looked at"))
                return
            }
            if depth == 1 || reader.isCompressedStream { checkStream(reader) }
            if outcome.stopped { return }

            let name = normalise(entry.name, backslashes: reader.usesBackslashes)
            noteReading(prefix + name)
            if name.isEmpty && !entry.isDirectory {
                // No name to match, but its data still costs what skipping it costs.
                try countSkipped(reader, entry: entry, path: prefix, origin: .walked(stretch: stretch))
                continue
            }
            if entry.isDirectory {
                outcome.summary.directoriesVisited += 1
                continue
            }
            try visit(reader, entry: entry, name: name, prefix: prefix, depth: depth, origin: .walked(stretch: stretch))
        }
        // The last entry's skipped data is behind the last header: check the stream once more.
        if (depth == 1 || reader.isCompressedStream) && !outcome.stopped { checkStream(reader) }
    }

    /// Handles one entry whose header was just read: a matched file is read, a nested archive
    /// opened; anything else is left for libarchive to skip.
    func visit(_ reader: ArchiveReader, entry: ArchiveReader.Entry, name: [UInt8], prefix: [UInt8], depth: Int,
               origin: EntryOrigin) throws(ArchiveError) {
        let last = lastComponent(name)
        let matched = matcher.match(last)
        if matched == nil && entry.isSymbolicLink {
            // As in a folder: a link is never followed, and it is listed as not read (a link
            // with a watched name is an inventory item that says so).
            listSkipped(ScanPath(bytes: prefix + name), kind: .symbolicLink, detail: nil)
        }
        // The common case, kept cheap: an entry nobody wants, no warning, no nested archive.
        if matched == nil && entry.warning == nil && !ArchiveSource.isArchiveName(last) {
            try countSkipped(reader, entry: entry, path: prefix + name, origin: origin)
            return
        }
        let path = ScanPath(bytes: prefix + name)
        if let warning = entry.warning {
            outcome.problems.append(.entryWarning(path: path.display, warning: warning))
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
                stop(LimitHit(limit: "max-matched-files", value: Int64(limits.maxMatchedFiles),
                    detail: "more than \(limits.maxMatchedFiles) files matched; the scan stopped at \(path.display)"))
                return
            }
            let content = try readMatched(reader, entry: entry, path: path)
            if case .walked = origin, case .failure(let problem) = content, problem.kind == .tooLarge, !outcome.stopped {
                // Not read (or read only up to the limit, where no size was recorded), but
                // libarchive still has to get past its data: that costs what skipping costs.
                try countSkipped(reader, entry: entry, path: prefix + name, origin: origin)
            }
            recordMatched(matched, path: path, key: prefix + name, content: content)
            return
        }
        if entry.isRegularFile && !entry.isHardLink && ArchiveSource.isArchiveName(last) {
            reader.clearDataWarnings()
            let streamed = try openNested(reader, entry: entry, path: path, depth: depth, origin: origin)
            // Whatever of the entry the nested reader left unread (a zip's reader stops at its
            // central directory) is read through where that costs nothing extra or checks
            // something: in a compressed stream skipping is a decompression anyway, and counts
            // like any other; a zip entry streamed into a nested reader ends with its CRC.
            let drain = switch origin {
            case .walked: reader.isCompressedStream || mustDecompressToSkip(reader, entry: entry, origin: origin) || (streamed && reader.isZip)
            case .zip: streamed
            }
            if drain && !outcome.stopped && !entry.isEncrypted {
                try discardData(reader, path: path)
            }
            noteNestedDataWarnings(reader.dataWarnings, path: path)
        } else {
            try countSkipped(reader, entry: entry, path: prefix + name, origin: origin)
        }
    }

    /// Adds a matched file as read (or why not) to the inventory, keyed by `key` for tar hard
    /// links, and counts its bytes towards `--max-matched-bytes`.
    func recordMatched(_ matched: String, path: ScanPath, key: [UInt8], content: Result<FileBytes, ReadProblem>) {
        if case .failure(let problem) = content, problem.kind == .encrypted {
            outcome.problems.append(.encrypted(description: "\(path.display) is encrypted; its bytes cannot be checked without the password", path: path.display))
        }
        let item = InventoryItem(name: matched, path: path, content: content)
        outcome.items.append(item)
        if item.readProblem == nil { outcome.matchedItems[key] = item }
        if case .success(let file) = content {
            outcome.matchedBytes += file.size
            if outcome.matchedBytes > limits.maxMatchedBytes {
                stop(LimitHit(limit: "max-matched-bytes", value: limits.maxMatchedBytes,
                    detail: "the files matched in this target add up to more than \(limits.maxMatchedBytes) bytes (DLLs of the era are under 2 MiB each); the scan stopped at \(path.display)"))
            }
        }
    }

    /// Where skipping means decompressing, the skipped bytes count against the limits: by the
    /// declared size before libarchive skips (tar in gzip/xz/...), or block by block where there
    /// is none or the format hides it (7-Zip solid blocks, CAB folders, which are compressed as
    /// one stream each, zip entries streamed by their local headers without sizes).
    func countSkipped(_ reader: ArchiveReader, entry: ArchiveReader.Entry, path: [UInt8], origin: EntryOrigin) throws(ArchiveError) {
        // A zip entry read through the central directory has a reader of its own, dropped unread.
        if case .zip = origin { return }
        let decompresses = mustDecompressToSkip(reader, entry: entry, origin: origin)
        guard entry.isRegularFile && (reader.isCompressedStream || decompresses) && !entry.isEncrypted else { return }
        if let size = entry.size, !decompresses {
            // A size no compressed bytes left could hold at a sane ratio: a bomb, stopped before
            // libarchive spends minutes inflating it (deflate tops out near 1032:1).
            if size > 16 << 20, let sourceSize = reader.sourceSize {
                let left = max(1, sourceSize - reader.rawBytesRead)
                if size / left > limits.maxCompressionRatio {
                    stop(LimitHit(limit: "max-compression-ratio", value: limits.maxCompressionRatio,
                        detail: "\(path.isEmpty ? "an entry without a name" : ScanPath(bytes: path).display) declares \(size) bytes, but only \(left) compressed bytes are left in the archive (more than \(limits.maxCompressionRatio):1); the scan stopped before it, as for a compression bomb"))
                    return
                }
            }
            let (total, overflow) = outcome.totalBytes.addingReportingOverflow(max(0, size))
            outcome.totalBytes = overflow ? .max : total
            if outcome.totalBytes > limits.maxTotalBytes {
                stop(LimitHit(limit: "max-total-bytes", value: limits.maxTotalBytes,
                    detail: "more than \(limits.maxTotalBytes) decompressed bytes would be read from this target; the scan stopped before \(path.isEmpty ? "an entry without a name" : ScanPath(bytes: path).display) (\(size) bytes)"))
            } else if size > 64 << 20 {
                // A large entry is inflated here rather than skipped blind, so the ratio guard
                // sees it as it comes: 8 GiB of zeros stops after 16 MiB, not after 25 s.
                try discardData(reader, path: ScanPath(bytes: path), alreadyCounted: true)
            }
        } else {
            try discardData(reader, path: ScanPath(bytes: path))
        }
    }

    /// Whether libarchive decompresses an entry to skip it: 7-Zip solid blocks and CAB folders
    /// always; a zip entry read by its local header without a size; and one whose local header
    /// says its sizes follow the data (flag bit 3), deflate, and a compressed size of 0 while
    /// claiming an uncompressed size (libarchive 3.6.2's streaming reader then inflates it to
    /// find its end, whatever size it claims). That header is read from the target file at the
    /// entry's position, and must carry the entry's name: libarchive's seekable zip reader
    /// (self-extracting zips) reports other positions, and never inflates to skip. A zip
    /// streamed out of another archive cannot be looked at this way: its skips are the
    /// reader's (bounded by `--target-timeout`).
    func mustDecompressToSkip(_ reader: ArchiveReader, entry: ArchiveReader.Entry, origin: EntryOrigin) -> Bool {
        if reader.skipsByDecompressing(entry) { return true }
        guard reader.isZip, entry.size != nil, case .walked(let stretch?) = origin, !reader.isCompressedStream,
              let header = view(of: stretch).bytes(at: reader.headerPosition, count: 30 + entry.name.count),
              header.u32(0) == 0x0403_4b50, Int(header.u16(26)) == entry.name.count, header[30...].elementsEqual(entry.name) else { return false }
        let compressedSize = header.u32(18)
        return header.u16(6) & 8 != 0 && header.u16(8) == 8 && (compressedSize == 0 || compressedSize == 0xFFFF_FFFF)
    }

    // MARK: - Nested archives

    /// Opens an entry named like an archive, if its bytes say it is one, and walks it in the
    /// same pass, reading it in place, streamed, or (7-Zip and ISO from a stream that cannot be
    /// read twice) from a bounded copy in memory. Returns whether a nested reader read the
    /// entry's data from `reader` and the data did not fail.
    func openNested(_ reader: ArchiveReader, entry: ArchiveReader.Entry, path: ScanPath, depth: Int,
                    origin: EntryOrigin) throws(ArchiveError) -> Bool {
        outcome.nestedLookedAt += 1
        guard outcome.nestedLookedAt <= limits.maxNestedArchives else {
            addLimit(LimitHit(limit: "max-nested-archives", value: Int64(limits.maxNestedArchives),
                detail: "more than \(limits.maxNestedArchives) entries named like archives were looked into; \(path.display) and those after were not"))
            return false
        }
        if entry.isEncrypted {
            outcome.problems.append(.encrypted(description: "the nested archive \(path.display) is encrypted; it was not opened", path: path.display))
            return false
        }
        let inside = path.bytes + [Self.bang]
        // A stored zip entry lies in the target file as it is: sniffed and read in place.
        if case .zip(let zip, let zipEntry) = origin, let stretch = storedStretch(of: zipEntry, in: zip) {
            guard let head = view(of: stretch).bytes(at: 0, count: Int(min(Int64(ArchiveSniffer.sniffLength), stretch.length))) else {
                outcome.corruption.append("\(path.display): its stored bytes lie outside the file")
                return false
            }
            try openNestedInPlace(stretch, head: head, path: path, inside: inside, depth: depth)
            return false
        }
        // Anything else: its data as the container's reader gives it. The first bytes decide.
        var guardState = RatioGuard(reader: reader)
        let data = EntryDataSource(outer: reader, path: path.display) { [unowned self] count in
            self.account(count, at: path, guard: &guardState)
        }
        guard let head = data.peek(ArchiveSniffer.sniffLength) else {
            try nestedDataFailed(data.failure, path: path)
            return false
        }
        guard let kind = ArchiveSniffer.kind(of: head) else {
            listNotAnArchive(path)
            return false
        }
        // A plain tar entry of the target file can be read in place too (checked against the
        // bytes libarchive gave, so a header this code misreads only costs the shortcut).
        if case .walked(let container?) = origin, reader.isTar, !reader.isCompressedStream, !entry.isSparse,
           let size = entry.size, let stretch = TarHeaders.dataStretch(in: view(of: container), header: reader.headerPosition, size: size),
           let placed = view(of: FileStretch(start: container.start + stretch.start, length: stretch.length))
               .bytes(at: 0, count: head.count), placed.elementsEqual(head) {
            try openNestedInPlace(FileStretch(start: container.start + stretch.start, length: stretch.length),
                                  head: placed, path: path, inside: inside, depth: depth)
            return false
        }
        guard depth <= limits.maxArchiveDepth else {
            depthLimit(path, depth: depth)
            return false
        }
        let child = try ArchiveReader.make()
        do throws(ArchiveError) {
            if !kind.needsSeeking {
                try child.open(data)
                try walk(child, prefix: inside, depth: depth + 1, stretch: nil)
                return data.failure == nil
            } else if case .zip(let zip, let zipEntry) = origin {
                // Deflated in a zip: read again from the zip each time the reader seeks back.
                // Each pass has a reader of its own, whose compressed bytes the ratio is taken
                // against (passes add output, never input).
                var passGuard: RatioGuard?
                let rewindable = RewindableEntrySource(path: path.display, length: zipEntry.uncompressedSize, account: { [unowned self] count, pass in
                    // `reopen` starts each pass's guard; the fallback only covers a pass it did not open.
                    var state = passGuard ?? RatioGuard(reader: pass)
                    defer { passGuard = state }
                    return self.account(count, at: path, guard: &state)
                }, reopen: { [unowned self] in
                    Result { () throws(ArchiveError) -> ArchiveReader in
                        let again = try self.openZipEntry(zipEntry, in: zip, path: path)
                        guard try again.nextEntry() != nil else { throw ArchiveError(.fatal, "\(path.display): its local header vanished") }
                        passGuard = RatioGuard(reader: again)
                        return again
                    }
                })
                try child.open(rewindable)
                try walk(child, prefix: inside, depth: depth + 1, stretch: nil)
                // The reader may stop before the end (an ISO after its last file): the pass
                // reads on to it, so that the zip's CRC check runs on this entry too.
                let tail = outcome.stopped ? nil : rewindable.readToEnd()
                noteNestedDataWarnings(rewindable.dataWarnings, path: path)
                try nestedDataFailed(tail, path: path)
            } else {
                guard let copy = try copyIntoMemory(data, size: entry.size, kind: kind, path: path) else { return false }
                try child.open(copy)
                try walk(child, prefix: inside, depth: depth + 1, stretch: nil)
            }
        } catch {
            try nestedFailed(error, source: data, path: path, kind: kind)
        }
        return false
    }

    /// An archive found outside any archive (a file on a disk image's volume): read in place,
    /// as a stored entry of a target is, one archive level inside the target.
    func scanEmbedded(_ bytes: TargetBytes, size: Int64, path: ScanPath) throws(ArchiveError) {
        let saved = file
        file = bytes
        defer { file = saved }
        outcome.nestedLookedAt += 1
        guard outcome.nestedLookedAt <= limits.maxNestedArchives else {
            addLimit(LimitHit(limit: "max-nested-archives", value: Int64(limits.maxNestedArchives),
                detail: "more than \(limits.maxNestedArchives) files named like archives were looked into; \(path.display) and those after were not"))
            return
        }
        let stretch = FileStretch(start: 0, length: size)
        guard let head = view(of: stretch).bytes(at: 0, count: Int(min(Int64(ArchiveSniffer.sniffLength), size))) else {
            throw ArchiveError(.io, "its first bytes could not be read from the image")
        }
        try openNestedInPlace(stretch, head: head, path: path, inside: path.bytes + [Self.bang], depth: 1)
    }

    /// libarchive's warnings about a nested archive's data as its container gave it (a bad
    /// CRC): the archive is corrupt, each warning said once.
    func noteNestedDataWarnings(_ warnings: [String], path: ScanPath) {
        for warning in warnings {
            let text = "\(path.display): \(warning) (the nested archive's bytes are not those its container recorded)"
            if !outcome.corruption.contains(text) { outcome.corruption.append(text) }
        }
    }

    /// Opens a nested archive that lies in the target file as it is.
    func openNestedInPlace(_ stretch: FileStretch, head: [UInt8], path: ScanPath, inside: [UInt8], depth: Int) throws(ArchiveError) {
        guard let kind = head.withUnsafeBytes({ ArchiveSniffer.kind(of: $0) }) else {
            listNotAnArchive(path)
            return
        }
        guard depth <= limits.maxArchiveDepth else {
            depthLimit(path, depth: depth)
            return
        }
        if kind == .zip, try scanZip(stretch, prefix: inside, depth: depth + 1) { return }
        let child = try ArchiveReader.make()
        let source = FileRangeSource(file: file, start: stretch.start, length: stretch.length, label: path.display)
        do throws(ArchiveError) {
            try child.open(source)
            try walk(child, prefix: inside, depth: depth + 1, stretch: stretch)
        } catch {
            try nestedFailed(error, source: source, path: path, kind: kind)
        }
    }

    /// A 7-Zip or ISO image that arrives compressed from a stream that cannot be read twice:
    /// copied into memory, at most `--max-nested-size` bytes (nil: not opened, said why). The
    /// copy is made once, in a buffer of the recorded size where there is one, and handed to the
    /// reader as it is.
    func copyIntoMemory(_ data: EntryDataSource, size: Int64?, kind: ArchiveSniffer.Kind, path: ScanPath) throws(ArchiveError) -> MemorySource? {
        let cap = limits.maxNestedArchiveSize
        func tooLarge() -> MemorySource? {
            addLimit(LimitHit(limit: "max-nested-size", value: cap,
                detail: "the nested \(kind) image \(path.display) arrives compressed in a stream that cannot be read twice, and it is larger than \(cap) bytes, the most held in memory to read it; it was not opened (raise --max-nested-size)"))
            return nil
        }
        if let size, size > cap { return tooLarge() }
        var buffer = GrowingBuffer(capacity: Int(min(max(size ?? 0, 1 << 20), cap, Self.maxUpFrontBytes)))
        while true {
            guard let chunk = data.next() else {
                try nestedDataFailed(data.failure, path: path)
                return nil
            }
            if chunk.isEmpty { return MemorySource(adopting: buffer.take()) }
            guard Int64(buffer.count) + Int64(chunk.count) <= cap else { return tooLarge() }
            buffer.append(chunk, limit: Int(cap))
        }
    }

    /// The container's data failed while a nested archive was being read from it: a limit
    /// (already recorded), a corrupt container (the target fails), or an unreadable entry.
    func nestedDataFailed(_ failure: ArchiveError?, path: ScanPath) throws(ArchiveError) {
        guard let failure, failure.code != .limit else { return }
        if failure.code == .entryFailed || failure.code == .encrypted {
            outcome.problems.append(.nestedArchiveUnreadable(path: path.display, problem: "the nested archive \(path.display) could not be read: \(failure.message)"))
            return
        }
        throw failure
    }

    /// A nested archive's reader failed: when its source (the container) failed, that decides;
    /// otherwise the nested archive itself is damaged and its contents went unchecked (review).
    func nestedFailed(_ error: ArchiveError, source: ArchiveByteSource, path: ScanPath, kind: ArchiveSniffer.Kind) throws(ArchiveError) {
        if let failure = source.failure, failure.code != .limit {
            try nestedDataFailed(failure, path: path)
            return
        }
        if outcome.stopped || error.code == .limit { return }
        let what = error.code == .notAnArchive
            ? "starts like a \(kind) archive but libarchive does not recognise it"
            : "could not be read: \(error)"
        outcome.problems.append(.nestedArchiveUnreadable(path: path.display, problem: "the nested archive \(path.display) \(what)", found: error.message))
    }

    /// A stored, unencrypted zip entry's data: the stretch of the target file it occupies. Both
    /// headers must say stored and unencrypted: where the local header (which every extracting
    /// tool reads) says otherwise, the entry is read as libarchive reads it, from its local
    /// header (and ``headerDisagreement(_:in:)`` has made the target `review`).
    func storedStretch(of entry: ZipLayout.Entry, in zip: FileStretch) -> FileStretch? {
        guard entry.method == 0, entry.flags & 1 == 0, entry.compressedSize >= 0,
              let header = view(of: zip).bytes(at: entry.localHeaderOffset, count: 30), header.u32(0) == 0x0403_4b50,
              header.u16(8) == 0, header.u16(6) & 1 == 0 else { return nil }
        let (dataStart, overflow) = entry.localHeaderOffset.addingReportingOverflow(30 + Int64(header.u16(26)) + Int64(header.u16(28)))
        guard !overflow else { return nil }
        let (dataEnd, endOverflow) = dataStart.addingReportingOverflow(entry.compressedSize)
        guard !endOverflow, dataEnd <= zip.length else { return nil }
        return FileStretch(start: zip.start + dataStart, length: entry.compressedSize)
    }

    /// How a wanted entry's local header (which extracting tools read) disagrees with its
    /// central-directory entry (which this scan lists by) on what decides how its bytes are
    /// read: the method, encryption, and for a stored entry with sizes in the header, its
    /// size. Nil when they agree (or the header is not there: reading it will say so).
    func headerDisagreement(_ entry: ZipLayout.Entry, in zip: FileStretch) -> (found: String, expected: String)? {
        guard let header = view(of: zip).bytes(at: entry.localHeaderOffset, count: 30), header.u32(0) == 0x0403_4b50 else { return nil }
        let method = header.u16(8), flags = header.u16(6)
        func describe(_ method: UInt16, _ flags: UInt16) -> String { "method \(method)\(flags & 1 != 0 ? ", encrypted" : "")" }
        if method != entry.method || flags & 1 != entry.flags & 1 {
            return (describe(method, flags), describe(entry.method, entry.flags))
        }
        let size = header.u32(18)
        if method == 0, flags & 8 == 0, size != 0xFFFF_FFFF, Int64(size) != entry.compressedSize {
            return ("stored, \(size) bytes", "stored, \(entry.compressedSize) bytes")
        }
        return nil
    }

    func view(of stretch: FileStretch) -> FileRangeSource {
        FileRangeSource(file: file, start: stretch.start, length: stretch.length, label: "the archive")
    }

    /// A file named like an archive whose bytes are not one: listed, no verdict changes (there
    /// is nothing inside to check).
    func listNotAnArchive(_ path: ScanPath) {
        listSkipped(path, kind: .notAnArchive,
            detail: "named like an archive, but its first bytes are no archive format patchaudit reads (zip, CAB, 7-Zip, ISO 9660, tar, compressed tar): there is nothing inside to check")
    }

    /// Counts an entry that was not read and lists it (up to a limit; the sorted first ones
    /// are kept).
    func listSkipped(_ path: ScanPath, kind: SkippedEntry.Kind, detail: String?) {
        outcome.summary.skippedCount += 1
        if outcome.summary.skipped.count < limits.maxListedSkipped * 100 {
            outcome.summary.skipped.append(SkippedEntry(path: path.display, kind: kind, detail: detail))
        }
    }

    func depthLimit(_ path: ScanPath, depth: Int) {
        // `depth` is this archive's level (the target is 1), so the nested one's contents lie
        // `depth` archive boundaries ("!") inside the target.
        addLimit(LimitHit(limit: "max-depth", value: Int64(limits.maxArchiveDepth),
            detail: "\(path.display) would open archive level \(depth) inside the target, deeper than --max-depth \(limits.maxArchiveDepth); it was not opened (raise --max-depth to read it)"))
    }

    // MARK: - Reading data

    /// Reads one matched entry: digests on the way, PE parsing afterwards.
    func readMatched(_ reader: ArchiveReader, entry: ArchiveReader.Entry, path: ScanPath) throws(ArchiveError) -> Result<FileBytes, ReadProblem> {
        if entry.isSymbolicLink || entry.isHardLink {
            return .failure(ReadProblem(.symbolicLink, "\(path.display) is a link entry in the archive; links are never followed, so its target was not read"))
        }
        if !entry.isRegularFile {
            return .failure(ReadProblem(.notRegularFile, "\(path.display) is a special-file entry, not a regular file: it was not read"))
        }
        if entry.isEncrypted {
            return .failure(ReadProblem(.encrypted, "\(path.display) is encrypted in the archive; its bytes cannot be read without the password"))
        }
        switch try readData(reader, entry: entry, path: path, cap: limits.maxFileSize) {
        case .success(let bytes):
            return .success(FileBytes(bytes: bytes, digests: FileDigests(of: bytes, selection: limits.digests)))
        case .failure(let problem):
            return .failure(problem)
        }
    }

    /// Reads the current entry's data up to `cap` bytes, with the byte and ratio guards.
    /// Holes of sparse entries (blocks at later offsets) are filled with zeros, as on disk.
    func readData(_ reader: ArchiveReader, entry: ArchiveReader.Entry, path: ScanPath, cap: Int64) throws(ArchiveError) -> Result<[UInt8], ReadProblem> {
        if let size = entry.size, size > cap {
            return .failure(RegularFileReader.tooLarge(path.display, size: size, maxSize: cap))
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(max(0, min(entry.size ?? 0, cap, Self.maxUpFrontBytes))))
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
            }
            guard let (block, offset) = next else { break }
            // Blocks come in order; a sparse entry's holes are the gaps between them.
            guard offset >= Int64(bytes.count) else {
                return .failure(ReadProblem(.ioError, "\(path.display): libarchive returned data blocks out of order"))
            }
            let (end, overflow) = offset.addingReportingOverflow(Int64(block.count))
            if overflow || end > cap {
                return .failure(RegularFileReader.tooLarge(path.display, size: overflow ? .max : end, maxSize: cap))
            }
            bytes.append(contentsOf: repeatElement(0, count: Int(offset) - bytes.count))
            bytes.append(contentsOf: block)
            if let problem = count(Int64(block.count), at: path, guard: &guardState) { return .failure(problem) }
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
    /// - Parameter alreadyCounted: the entry's declared size is in the total already; only the
    ///   ratio guard looks at these bytes.
    func discardData(_ reader: ArchiveReader, path: ScanPath, alreadyCounted: Bool = false) throws(ArchiveError) {
        var guardState = RatioGuard(reader: reader)
        while let (block, _) = try reader.nextBlock(entry: path.display) {
            if count(Int64(block.count), at: path, guard: &guardState, towardsTotal: !alreadyCounted) != nil { return }
            if outcome.stopped { return }
        }
    }

    /// Tracks how many compressed bytes a stretch of output cost: libarchive's byte counter
    /// where it moves, else the size of the whole source (an upper bound on the input); or, for
    /// an entry inflated in place, its compressed size.
    struct RatioGuard {
        let reader: ArchiveReader?
        let rawStart: Int64
        /// Without a reader: the compressed bytes the output came from.
        let knownInput: Int64
        var produced: Int64 = 0
        init(reader: ArchiveReader) {
            self.reader = reader
            rawStart = reader.rawBytesRead
            knownInput = 0
        }

        /// For bytes inflated from `compressedBytes` bytes read in place (no libarchive reader).
        init(compressedBytes: Int64) {
            reader = nil
            rawStart = 0
            knownInput = compressedBytes
        }

        /// Output bytes per input byte so far, once there is enough output to judge.
        var ratio: Int64? {
            guard produced > 16 << 20 else { return nil }
            let input: Int64
            if let reader {
                let raw = reader.rawBytesRead - rawStart
                input = raw > 0 ? raw : (reader.sourceSize ?? 0)
            } else {
                input = knownInput
            }
            guard input > 0 else { return nil }
            return produced / input
        }
    }

    /// Adds `produced` decompressed bytes: the shared total and the ratio guard. Returns the
    /// problem that stops this entry, if any; stops the whole scan at the total limit.
    func count(_ produced: Int64, at path: ScanPath, guard state: inout RatioGuard, towardsTotal: Bool = true) -> ReadProblem? {
        if towardsTotal {
            let (total, overflow) = outcome.totalBytes.addingReportingOverflow(produced)
            outcome.totalBytes = overflow ? .max : total
        }
        state.produced = state.produced.addingReportingOverflow(produced).partialValue
        if outcome.totalBytes > limits.maxTotalBytes {
            stop(LimitHit(limit: "max-total-bytes", value: limits.maxTotalBytes,
                detail: "more than \(limits.maxTotalBytes) decompressed bytes were read from this target; the scan stopped at \(path.display)"))
            return ReadProblem(.tooLarge, "\(path.display): the target's decompressed-bytes limit was reached while reading it")
        }
        if let ratio = state.ratio, ratio > limits.maxCompressionRatio {
            let problem = ReadProblem(.compressionRatio,
                "\(path.display) expands more than \(limits.maxCompressionRatio):1 (\(state.produced) bytes so far at about \(ratio):1); reading stopped as for a compression bomb")
            // A bomb makes the whole archive hostile: nothing more is read from it.
            stop(LimitHit(limit: "max-compression-ratio", value: limits.maxCompressionRatio, detail: problem.detail))
            return problem
        }
        return nil
    }

    /// ``count(_:at:guard:)`` for bytes a nested reader pulls from its container: a limit
    /// becomes the error that ends the nested reader.
    func account(_ produced: Int, at path: ScanPath, guard state: inout RatioGuard) -> ArchiveError? {
        guard !outcome.stopped else { return ArchiveError(.limit, "the scan stopped at a limit") }
        guard let problem = count(Int64(produced), at: path, guard: &state) else { return nil }
        return ArchiveError(.limit, problem.detail)
    }

    /// The whole stream's guards (compressed tar etc.): total bytes and ratio.
    func checkStream(_ reader: ArchiveReader) {
        let stream = reader.streamBytes, raw = max(1, reader.rawBytesRead)
        if stream > limits.maxTotalBytes {
            stop(LimitHit(limit: "max-total-bytes", value: limits.maxTotalBytes,
                detail: "more than \(limits.maxTotalBytes) decompressed bytes were read from this target; the scan stopped"))
        } else if stream > 64 << 20 && stream / raw > limits.maxCompressionRatio {
            stop(LimitHit(limit: "max-compression-ratio", value: limits.maxCompressionRatio,
                detail: "the archive's stream expands more than \(limits.maxCompressionRatio):1 (\(stream) bytes from \(raw)); the scan stopped as for a compression bomb"))
        }
    }

    /// The entry whose header was just read: for messages about what came after it, and for the
    /// crash note a worker sends if reading it kills the process (`crash_note.h`).
    func noteReading(_ path: [UInt8]) {
        outcome.lastEntryBytes = path
        path.withUnsafeBytes { pa_crash_note_set($0.baseAddress, $0.count) }
        #if DEBUG
        if let name = Self.faultEntry, lastComponent(path).elementsEqual(name.utf8) { pa_test_segfault() }
        #endif
    }

    #if DEBUG
    /// Test builds only: `PATCHAUDIT_TEST_WORKER_FAULT=segfault-entry:NAME` faults in C when an
    /// entry named NAME is reached, so tests see the crash note name a real entry.
    static let faultEntry: String? = getenv("PATCHAUDIT_TEST_WORKER_FAULT").map { String(cString: $0) }?
        .split(separator: ",").first { $0.hasPrefix("segfault-entry:") }.map { String($0.dropFirst("segfault-entry:".count)) }
    #endif

    func stop(_ hit: LimitHit) {
        addLimit(hit)
        outcome.stopped = true
    }

    func addLimit(_ hit: LimitHit) {
        if !outcome.summary.limitsHit.contains(where: { $0.limit == hit.limit }) { outcome.summary.limitsHit.append(hit) }
    }

    // MARK: - Names

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
}
