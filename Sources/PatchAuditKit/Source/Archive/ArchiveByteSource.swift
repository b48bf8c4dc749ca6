import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// Where libarchive's bytes come from: the read, skip and seek callbacks of one
/// ``ArchiveReader`` (`archive_read_set_read_callback` and friends) call into one of these.
///
/// A source hands out chunks that stay valid until its next call, as libarchive requires. It
/// can ``peek(_:)`` at its first bytes before libarchive reads anything (to sniff what they
/// are), and those bytes are then handed out again from the start. Subclasses produce the
/// chunks: ``FileRangeSource`` (a file or a stretch of one, or a pipe), ``MemorySource``,
/// ``EntryDataSource`` (the data of an entry of another archive, streamed) and
/// ``RewindableEntrySource`` (the same, re-read from its start to seek).
///
/// A failure is kept in ``failure`` for the caller; libarchive sees -1 and the message.
class ArchiveByteSource {
    /// Why the source stopped, when it failed (an I/O error, the outer archive failing, a limit).
    var failure: ArchiveError?

    /// The whole stream's size when known (a file, a stored entry): the ratio guard's fallback.
    var size: Int64? { nil }

    /// Whether libarchive may seek (7-Zip and ISO 9660 need it; zip uses the central directory).
    var isSeekable: Bool { false }

    /// The first bytes, copied while peeking, handed out again by ``next()``.
    private var head: UnsafeMutableRawBufferPointer?
    private var headFilled = 0
    private var headHandedOut = 0
    /// The rest of the chunk the peek stopped in (not copied; valid until the next produce).
    private var leftover: UnsafeRawBufferPointer?
    /// Whether anything was handed to libarchive yet (a peek must come first).
    private var started = false
    /// The stream ended while peeking.
    private var endedWhilePeeking = false

    deinit {
        head?.deallocate()
    }

    /// The next chunk of the underlying bytes: nil on failure (set ``failure``), empty at the end.
    /// Valid until the next call. Subclasses override this.
    func produce() -> UnsafeRawBufferPointer? { UnsafeRawBufferPointer(start: nil, count: 0) }

    /// Moves forward by up to `count` bytes without reading them; returns how far it moved (0:
    /// libarchive reads and discards instead). Subclasses that can skip override this.
    func skipUnread(_ count: Int64) -> Int64 { 0 }

    /// Moves to `offset` (`whence`: SEEK_SET, SEEK_CUR, SEEK_END); returns the new position or
    /// -1. Only called when ``isSeekable``.
    func seekUnread(_ offset: Int64, whence: Int32) -> Int64 { -1 }

    /// Up to `count` first bytes of the stream (fewer at its end), without consuming them; nil
    /// when reading failed. Only before libarchive has read anything.
    final func peek(_ count: Int) -> UnsafeRawBufferPointer? {
        precondition(!started, "peek after reading started")
        if headFilled < count && !endedWhilePeeking {
            let grown = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 16)
            if let head, headFilled > 0 {
                UnsafeMutableRawBufferPointer(rebasing: grown[0..<headFilled])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: head[0..<headFilled]))
            }
            head?.deallocate()
            head = grown
            while headFilled < count {
                let chunk: UnsafeRawBufferPointer
                if let rest = leftover, !rest.isEmpty {
                    chunk = rest
                    leftover = nil
                } else {
                    guard let produced = produce() else { return nil }
                    chunk = produced
                }
                if chunk.isEmpty {
                    endedWhilePeeking = true
                    break
                }
                let take = min(count - headFilled, chunk.count)
                UnsafeMutableRawBufferPointer(rebasing: grown[headFilled..<(headFilled + take)])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: chunk[0..<take]))
                headFilled += take
                if take < chunk.count { leftover = UnsafeRawBufferPointer(rebasing: chunk[take...]) }
            }
        }
        guard let head else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(rebasing: head[0..<min(count, headFilled)])
    }

    /// What the read callback hands libarchive: peeked bytes first, then produced ones.
    final func next() -> UnsafeRawBufferPointer? {
        started = true
        if let head, headHandedOut < headFilled {
            let chunk = UnsafeRawBufferPointer(rebasing: head[headHandedOut..<headFilled])
            headHandedOut = headFilled
            return chunk
        }
        if let rest = leftover {
            leftover = nil
            if !rest.isEmpty { return rest }
        }
        if endedWhilePeeking { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return produce()
    }

    /// The position a seek asks for (`whence`: SEEK_SET, SEEK_CUR, SEEK_END), kept within
    /// `0...length`, or -1 for a request that makes no sense.
    final func seekTarget(_ offset: Int64, whence: Int32, position: Int64, length: Int64) -> Int64 {
        let base: Int64 = switch whence {
        case SEEK_SET: 0
        case SEEK_CUR: position
        case SEEK_END: length
        default: -1
        }
        guard base >= 0 else { return -1 }
        let (target, overflow) = base.addingReportingOverflow(offset)
        guard !overflow, target >= 0 else { return -1 }
        return min(target, length)
    }

    /// The skip callback: only when nothing peeked is still waiting to be handed out.
    final func skip(_ count: Int64) -> Int64 {
        guard count > 0, !hasPendingBytes else { return 0 }
        return skipUnread(count)
    }

    /// The seek callback: what was peeked is forgotten (the subclass reads from the new place).
    final func seek(_ offset: Int64, whence: Int32) -> Int64 {
        dropPending()
        return seekUnread(offset, whence: whence)
    }

    private var hasPendingBytes: Bool {
        headHandedOut < headFilled || !(leftover?.isEmpty ?? true) || endedWhilePeeking
    }

    private func dropPending() {
        headHandedOut = headFilled
        leftover = nil
        endedWhilePeeking = false
        started = true
    }
}

/// Where an archive's bytes are read from by offset: the target file (or standard input), or
/// a file on a disk image's volume, read through The Sleuth Kit.
enum TargetBytes {
    case descriptor(FileDescriptor)
    case imageFile(TSKFile)

    /// `pread`: up to `buffer.count` bytes at `offset`.
    func read(at offset: Int64, into buffer: UnsafeMutableRawBufferPointer) -> Result<Int, Errno> {
        switch self {
        case .descriptor(let file):
            return Syscalls.read(file, at: offset, into: buffer)
        case .imageFile(let file):
            return file.read(at: offset, into: buffer).mapError { _ in .ioError }
        }
    }

    /// `read`: the next bytes of a stream (standard input); a file on an image has a size, so
    /// it is always read by offset.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Result<Int, Errno> {
        switch self {
        case .descriptor(let file): Syscalls.read(file, into: buffer)
        case .imageFile: .failure(.invalidArgument)
        }
    }
}

/// Bytes of an open file, or of a stretch of one (`start`, `length`), read with `pread` in
/// chunks of up to 64 KiB: seekable. Without a length (a pipe, standard input) it reads in order with
/// `read` and cannot seek.
///
/// The descriptor is borrowed: its owner must keep it open while this source is in use.
final class FileRangeSource: ArchiveByteSource {
    let file: TargetBytes
    let start: Int64
    let length: Int64?
    /// The next byte to produce, relative to `start`.
    private(set) var position: Int64 = 0
    private let buffer: UnsafeMutableRawBufferPointer
    /// What the messages call this stretch ("the archive", "setup/pc42.iso inside the zip").
    let label: String

    /// 64 KiB, as libarchive's own file reader: below malloc's mmap threshold, so the many small
    /// readers of a zip's entries reuse heap memory instead of mapping and unmapping pages.
    static let chunkSize = 64 << 10

    init(file: TargetBytes, start: Int64 = 0, length: Int64?, label: String) {
        self.file = file
        self.start = start
        self.length = length
        self.label = label
        buffer = .allocate(byteCount: Int(min(Int64(Self.chunkSize), max(4096, length ?? Int64(Self.chunkSize)))), alignment: 16)
    }

    deinit {
        buffer.deallocate()
    }

    override var size: Int64? { length }
    override var isSeekable: Bool { length != nil }

    override func produce() -> UnsafeRawBufferPointer? {
        let result: Result<Int, Errno>
        if let length {
            let want = Int(min(Int64(buffer.count), max(0, length - position)))
            if want == 0 { return UnsafeRawBufferPointer(start: nil, count: 0) }
            let (offset, overflow) = start.addingReportingOverflow(position)
            if overflow {
                failure = ArchiveError(.io, "\(label): an offset past the largest file size was asked for")
                return nil
            }
            result = file.read(at: offset, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]))
        } else {
            result = file.read(into: buffer)
        }
        switch result {
        case .failure(let error):
            failure = ArchiveError(.io, "\(label): read failed at byte \(position): \(error.text)")
            return nil
        case .success(let got):
            if let length, got == 0, position < length {
                failure = ArchiveError(.io, "\(label): the file ended at byte \(start + position), before the \(length) bytes it should hold (was it cut short while being read?)")
                return nil
            }
            position += Int64(got)
            return UnsafeRawBufferPointer(rebasing: buffer[0..<got])
        }
    }

    override func skipUnread(_ count: Int64) -> Int64 {
        guard let length else { return 0 }
        let step = min(count, max(0, length - position))
        position += step
        return step
    }

    override func seekUnread(_ offset: Int64, whence: Int32) -> Int64 {
        guard let length else { return -1 }
        let target = seekTarget(offset, whence: whence, position: position, length: length)
        if target >= 0 { position = target }
        return target
    }

    /// Reads `count` bytes at `offset` within the range, or nil when they are not all there
    /// (the zip directory reader's view of the range).
    func bytes(at offset: Int64, count: Int) -> [UInt8]? {
        guard count >= 0, offset >= 0 else { return nil }
        if let length {
            let (end, overflow) = offset.addingReportingOverflow(Int64(count))
            guard !overflow, end <= length else { return nil }
        }
        let (absolute, overflow) = start.addingReportingOverflow(offset)
        guard !overflow else { return nil }
        var bytes = [UInt8](repeating: 0, count: count)
        let got = bytes.withUnsafeMutableBytes { file.read(at: absolute, into: $0) }
        guard case .success(let read) = got, read == count else { return nil }
        return bytes
    }
}

/// Bytes held in memory (a nested 7-Zip or ISO image that arrived compressed from a stream
/// that cannot be read twice): seekable. The only place a nested archive is copied, bounded by
/// `--max-nested-size`.
final class MemorySource: ArchiveByteSource {
    private let bytes: UnsafeMutableRawBufferPointer
    private let count: Int
    private var position = 0

    init(_ source: [UInt8]) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, source.count), alignment: 16)
        source.withUnsafeBytes { buffer.copyMemory(from: $0) }
        bytes = buffer
        count = source.count
    }

    /// Takes over a buffer filled by ``GrowingBuffer`` (no second copy); frees it when done.
    init(adopting filled: (buffer: UnsafeMutableRawBufferPointer, count: Int)) {
        bytes = filled.buffer
        count = filled.count
    }

    deinit {
        bytes.deallocate()
    }

    override var size: Int64? { Int64(count) }
    override var isSeekable: Bool { true }

    override func produce() -> UnsafeRawBufferPointer? {
        let chunk = UnsafeRawBufferPointer(rebasing: bytes[position..<count])
        position = count
        return chunk
    }

    override func skipUnread(_ request: Int64) -> Int64 {
        let step = Int(min(request, Int64(count - position)))
        position += step
        return Int64(step)
    }

    override func seekUnread(_ offset: Int64, whence: Int32) -> Int64 {
        let target = seekTarget(offset, whence: whence, position: Int64(position), length: Int64(count))
        if target >= 0 { position = Int(target) }
        return target
    }
}

/// Bytes gathered into one heap buffer that grows by half again when full, never past the
/// limit it is given: the one copy of a nested image that must be held in memory. Frees its
/// buffer unless ``take()`` hands it on.
struct GrowingBuffer: ~Copyable {
    private var buffer: UnsafeMutableRawBufferPointer
    private(set) var count = 0

    init(capacity: Int) {
        buffer = .allocate(byteCount: max(1, capacity), alignment: 16)
    }

    deinit {
        buffer.deallocate()
    }

    /// Appends `chunk`; the caller has checked that `count + chunk.count <= limit`.
    mutating func append(_ chunk: UnsafeRawBufferPointer, limit: Int) {
        let needed = count + chunk.count
        if needed > buffer.count {
            let grown = UnsafeMutableRawBufferPointer.allocate(byteCount: min(max(needed, buffer.count + buffer.count / 2), max(needed, limit)), alignment: 16)
            grown.copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            buffer.deallocate()
            buffer = grown
        }
        UnsafeMutableRawBufferPointer(rebasing: buffer[count..<needed]).copyMemory(from: chunk)
        count = needed
    }

    /// The buffer and how much of it is filled; the caller frees it from now on.
    consuming func take() -> (buffer: UnsafeMutableRawBufferPointer, count: Int) {
        let filled = (buffer, count)
        discard self
        return filled
    }
}
