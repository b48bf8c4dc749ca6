#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The bytes of one regular file, read once, with their digests computed on the way.
public struct FileBytes: Sendable {
    public var bytes: [UInt8]
    public var digests: FileDigests
    public var size: Int64 { Int64(bytes.count) }
}

/// Opens and reads regular files without side effects on the evidence.
///
/// - Opens with `O_NOFOLLOW | O_NONBLOCK` (a symbolic link is refused, a FIFO does not block),
///   then checks `fstat` says regular file before reading a byte.
/// - Uses `O_NOATIME` where the kernel permits it (owner or root), so reading does not even
///   change access times; retries without it on `EPERM`.
/// - Reads in fixed chunks into one buffer of the file's size, feeding the digests as it goes;
///   never more than `maxSize` bytes.
public enum RegularFileReader {
    #if os(Linux)
    static let noAccessTime: Int32 = 0o1000000  // O_NOATIME (Linux); Glibc does not export it
    #else
    static let noAccessTime: Int32 = 0
    #endif

    static let chunkSize = 1 << 18

    /// `openat` with `O_NOATIME` where the kernel allows it (owner or root), retried without
    /// it on EPERM, so reading leaves even access times as they were.
    static func openWithoutTouching(_ directory: Int32, _ name: UnsafePointer<CChar>, _ flags: Int32) -> Int32 {
        let fd = openat(directory, name, flags | noAccessTime)
        if fd < 0 && (errno == EPERM || errno == EINVAL) && noAccessTime != 0 {
            return openat(directory, name, flags)
        }
        return fd
    }

    /// Reads the file at `name` relative to the open directory `directory` (or a path when
    /// `directory` is `AT_FDCWD`).
    /// - Returns: the bytes and digests, or the ``ReadProblem`` that stopped it.
    /// - Parameter followLinks: true only for a path the user named (a manifest, an `inspect`
    ///   argument); files found by a walk are never reached through a link.
    public static func read(directory: Int32, name: UnsafePointer<CChar>, displayPath: String,
                            maxSize: Int64, followLinks: Bool = false) -> Result<FileBytes, ReadProblem> {
        let fd = openWithoutTouching(directory, name, O_RDONLY | O_NONBLOCK | O_CLOEXEC | (followLinks ? 0 : O_NOFOLLOW))
        guard fd >= 0 else {
            let code = errno
            return .failure(openProblem(code, path: displayPath))
        }
        defer { close(fd) }
        return read(openFile: fd, displayPath: displayPath, maxSize: maxSize)
    }

    /// Reads an already opened descriptor (checked to be a regular file first).
    static func read(openFile fd: Int32, displayPath: String, maxSize: Int64) -> Result<FileBytes, ReadProblem> {
        var status = stat()
        guard fstat(fd, &status) == 0 else {
            return .failure(ReadProblem(.ioError, "\(displayPath): fstat failed: \(errorText(errno))"))
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            return .failure(ReadProblem(.notRegularFile,
                "\(displayPath) is a \(fileTypeName(status.st_mode)), not a regular file: it was not opened for reading"))
        }
        let declared = Int64(status.st_size)
        guard declared <= maxSize else {
            return .failure(tooLarge(displayPath, size: declared, maxSize: maxSize))
        }
        var bytes = [UInt8](repeating: 0, count: Int(declared))
        var accumulator = DigestAccumulator()
        var filled = 0
        var failure: ReadProblem?
        bytes.withUnsafeMutableBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            while filled < buffer.count {
                let want = min(chunkSize, buffer.count - filled)
                let got = Glibc.read(fd, base + filled, want)
                if got < 0 {
                    if errno == EINTR || errno == EAGAIN { continue }
                    failure = ReadProblem(.ioError, "\(displayPath): read failed at byte \(filled): \(errorText(errno))")
                    return
                }
                if got == 0 { break }
                accumulator.update(UnsafeRawBufferPointer(start: base + filled, count: got))
                filled += got
            }
        }
        if let failure { return .failure(failure) }
        if filled < bytes.count {
            // The file shrank while being read: keep what was there, as read.
            bytes.removeSubrange(filled...)
        } else {
            // It may have grown: the copy is evidence as of now, so a longer file is an error to report.
            var probe: UInt8 = 0
            if Glibc.read(fd, &probe, 1) == 1 {
                return .failure(ReadProblem(.ioError, "\(displayPath) grew while it was being read; scan a copy that is not in use"))
            }
        }
        return .success(FileBytes(bytes: bytes, digests: accumulator.finalize()))
    }

    static func tooLarge(_ path: String, size: Int64, maxSize: Int64) -> ReadProblem {
        ReadProblem(.tooLarge,
            "\(path) is \(size) bytes, above the per-file limit of \(maxSize) bytes; it was not read (raise --max-file-size to read it)")
    }

    static func openProblem(_ code: Int32, path: String) -> ReadProblem {
        switch code {
        case ELOOP:
            return ReadProblem(.symbolicLink, "\(path) is a symbolic link; links are never followed, so its target was not read")
        case EACCES, EPERM:
            return ReadProblem(.permissionDenied, "\(path): permission denied; run as a user who can read it")
        case ENOENT:
            return ReadProblem(.ioError, "\(path) does not exist (or vanished while it was being read)")
        default:
            return ReadProblem(.ioError, "\(path): open failed: \(errorText(code))")
        }
    }

    static func fileTypeName(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFIFO: return "FIFO"
        case S_IFCHR: return "character device"
        case S_IFBLK: return "block device"
        case S_IFSOCK: return "socket"
        case S_IFDIR: return "directory"
        case S_IFLNK: return "symbolic link"
        default: return "special file"
        }
    }
}

/// `strerror` as a Swift string.
func errorText(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "error \(code)" }
    return String(cString: text)
}
