#if canImport(Glibc)
import Glibc
#endif

/// The data of the current entry of another archive, streamed: a nested archive is read by its
/// own ``ArchiveReader`` straight from its container's decompressed blocks, so its size no longer
/// matters (nothing is held but the block libarchive is on). Holes of a sparse entry come out as
/// zeros. Not seekable.
///
/// Every byte handed out is counted by `account` (the target's decompressed-bytes and ratio
/// limits); when it says stop, the source fails with that reason.
final class EntryDataSource: ArchiveByteSource {
    private let outer: ArchiveReader
    private let path: String
    private let account: (Int) -> ArchiveError?
    /// Bytes produced so far (holes included): the entry offset of the next byte.
    private var produced: Int64 = 0
    /// A block already taken from the outer reader, waiting behind a hole.
    private var waiting: (bytes: UnsafeRawBufferPointer, offset: Int64)?
    private var ended = false

    /// Zeros for the holes of sparse entries, handed out 64 KiB at a time.
    /// `nonisolated(unsafe)`: written once, by the lazy initialiser, and only read after.
    private nonisolated(unsafe) static let zeros: UnsafeRawBufferPointer = {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 16)
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        return UnsafeRawBufferPointer(buffer)
    }()

    /// - Parameters:
    ///   - outer: the reader positioned at the entry (its header just read).
    ///   - path: the entry, for messages.
    ///   - account: counts bytes handed out; returns why to stop, if it must.
    init(outer: ArchiveReader, path: String, account: @escaping (Int) -> ArchiveError?) {
        self.outer = outer
        self.path = path
        self.account = account
    }

    override func produce() -> UnsafeRawBufferPointer? {
        if ended { return UnsafeRawBufferPointer(start: nil, count: 0) }
        let block: (bytes: UnsafeRawBufferPointer, offset: Int64)
        if let pending = waiting {
            block = pending
        } else {
            do throws(ArchiveError) {
                guard let next = try outer.nextBlock(entry: path) else {
                    ended = true
                    return UnsafeRawBufferPointer(start: nil, count: 0)
                }
                block = next
            } catch {
                failure = error
                return nil
            }
        }
        let chunk: UnsafeRawBufferPointer
        if block.offset > produced {
            // A hole before this block: zeros first, the block waits.
            waiting = block
            chunk = UnsafeRawBufferPointer(rebasing: Self.zeros[0..<Int(min(Int64(Self.zeros.count), block.offset - produced))])
        } else if block.offset == produced {
            waiting = nil
            chunk = block.bytes
        } else {
            failure = ArchiveError(.fatal, "\(path): libarchive returned data blocks out of order")
            return nil
        }
        if let stop = account(chunk.count) {
            failure = stop
            return nil
        }
        produced += Int64(chunk.count)
        return chunk
    }
}

/// The data of one zip entry that the zip's central directory lets patchaudit open again at
/// will: seekable by reading it again from its start (`reopen`) to go back, and by reading
/// forward to go on. This lets libarchive's 7-Zip and ISO 9660 readers, which seek, read a
/// deflated `.iso` or `.7z` inside a zip without holding it in memory.
///
/// Each pass is counted against the limits like any other decompressed byte; at most
/// ``maxPasses`` passes, so a reader that seeks back and forth cannot turn one entry into an
/// unbounded amount of work.
final class RewindableEntrySource: ArchiveByteSource {
    private let reopen: () -> Result<ArchiveReader, ArchiveError>
    private let path: String
    private let length: Int64
    private let account: (Int, ArchiveReader) -> ArchiveError?
    /// The reader of the current pass and how many bytes of the entry it has handed out.
    private var reader: ArchiveReader?
    private var readerPosition: Int64 = 0
    /// Where the next byte handed out lies.
    private var position: Int64 = 0
    private(set) var passes = 0
    /// Warnings of passes already over (a bad CRC shows where a pass reached the end).
    private var retiredWarnings: [String] = []

    /// libarchive's warnings about the entry's data on every pass so far: a bad CRC met by a
    /// pass that read to the end of the entry.
    var dataWarnings: [String] { retiredWarnings + (reader?.dataWarnings ?? []) }

    /// Passes over the entry allowed (7-Zip reads its header at the end, then its data from the
    /// start: two; ISO 9660 reads forward: one).
    static let maxPasses = 8

    /// - Parameters:
    ///   - length: the entry's uncompressed size from the central directory.
    ///   - account: counts bytes handed out, with the reader of the pass that produced them.
    ///   - reopen: a reader positioned at the entry's data, freshly opened.
    init(path: String, length: Int64, account: @escaping (Int, ArchiveReader) -> ArchiveError?,
         reopen: @escaping () -> Result<ArchiveReader, ArchiveError>) {
        self.path = path
        self.length = max(0, length)
        self.account = account
        self.reopen = reopen
    }

    override var size: Int64? { length }
    override var isSeekable: Bool { true }

    override func produce() -> UnsafeRawBufferPointer? {
        if position >= length { return UnsafeRawBufferPointer(start: nil, count: 0) }
        if reader == nil || readerPosition > position {
            passes += 1
            guard passes <= Self.maxPasses else {
                failure = ArchiveError(.limit, "\(path) was read \(Self.maxPasses) times over while libarchive sought back and forth in it; it was not read further")
                return nil
            }
            retiredWarnings += reader?.dataWarnings ?? []
            switch reopen() {
            case .success(let fresh):
                reader = fresh
                readerPosition = 0
            case .failure(let error):
                failure = error
                return nil
            }
        }
        guard let reader else { return nil }
        while true {
            let block: (bytes: UnsafeRawBufferPointer, offset: Int64)
            do throws(ArchiveError) {
                guard let next = try reader.nextBlock(entry: path) else {
                    failure = ArchiveError(.fatal, "\(path) holds \(readerPosition) bytes, not the \(length) its central-directory entry declares")
                    return nil
                }
                block = next
            } catch {
                failure = error
                return nil
            }
            if let stop = account(block.bytes.count, reader) {
                failure = stop
                return nil
            }
            let blockStart = readerPosition
            readerPosition += Int64(block.bytes.count)
            if readerPosition <= position { continue }
            // The block reaches the wanted position: hand out from there.
            let from = Int(position - blockStart)
            let chunk = UnsafeRawBufferPointer(rebasing: block.bytes[from...])
            position += Int64(chunk.count)
            return chunk
        }
    }

    /// Reads the current pass on to the end of the entry (counted like any pass), so that
    /// libarchive checks its CRC; nothing is handed out. Returns why that stopped, if it failed.
    func readToEnd() -> ArchiveError? {
        guard failure == nil, let reader else { return nil }
        while true {
            do throws(ArchiveError) {
                guard let block = try reader.nextBlock(entry: path) else { return nil }
                if let stop = account(block.bytes.count, reader) {
                    failure = stop
                    return stop
                }
            } catch {
                failure = error
                return error
            }
        }
    }

    override func skipUnread(_ count: Int64) -> Int64 {
        let step = min(count, max(0, length - position))
        position += step
        return step
    }

    override func seekUnread(_ offset: Int64, whence: Int32) -> Int64 {
        let target = seekTarget(offset, whence: whence, position: position, length: length)
        if target >= 0 { position = target }
        return target
    }
}
