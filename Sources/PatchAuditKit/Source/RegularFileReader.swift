import SystemPackage
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
    static let chunkSize = 1 << 18

    /// Reads the file at `name` relative to the open directory `directory` (or a path relative
    /// to the working directory when `directory` is nil).
    /// - Returns: the bytes and digests, or the ``ReadProblem`` that stopped it.
    /// - Parameter followLinks: true only for a path the user named (a manifest, an `inspect`
    ///   argument); files found by a walk are never reached through a link.
    /// - Parameter digests: the digests computed besides SHA-256 (all three by default).
    public static func read(directory: FileDescriptor? = nil, name: UnsafePointer<CChar>, displayPath: String,
                            maxSize: Int64, followLinks: Bool = false, digests: DigestSelection = .all) -> Result<FileBytes, ReadProblem> {
        switch Syscalls.open(name, relativeTo: directory, flags: O_RDONLY | O_NONBLOCK | (followLinks ? 0 : O_NOFOLLOW)) {
        case .failure(let error):
            return .failure(openProblem(error.rawValue, path: displayPath))
        case .success(let file):
            return read(openFile: file, displayPath: displayPath, maxSize: maxSize, digests: digests)
        }
    }

    /// Reads an already opened file (checked to be a regular file first).
    static func read(openFile file: borrowing OwnedDescriptor, displayPath: String, maxSize: Int64,
                     digests: DigestSelection = .all) -> Result<FileBytes, ReadProblem> {
        let status: stat
        switch file.status() {
        case .success(let found): status = found
        case .failure(let error):
            return .failure(ReadProblem(.ioError, "\(displayPath): fstat failed: \(error.text)"))
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            return .failure(ReadProblem(.notRegularFile,
                "\(displayPath) is a \(fileTypeName(status.st_mode)), not a regular file: it was not opened for reading"))
        }
        let declared = Int64(status.st_size)
        guard declared >= 0, declared <= maxSize else {
            return .failure(tooLarge(displayPath, size: declared, maxSize: maxSize))
        }
        var bytes = [UInt8](repeating: 0, count: Int(declared))
        var accumulator = DigestAccumulator(selection: digests)
        var filled = 0
        var failure: ReadProblem?
        bytes.withUnsafeMutableBytes { buffer in
            while filled < buffer.count {
                let want = min(chunkSize, buffer.count - filled)
                let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[filled..<(filled + want)])
                switch Syscalls.read(file.raw, into: chunk) {
                case .failure(let error):
                    failure = ReadProblem(.ioError, "\(displayPath): read failed at byte \(filled): \(error.text)")
                    return
                case .success(0):
                    return
                case .success(let got):
                    accumulator.update(UnsafeRawBufferPointer(rebasing: chunk[..<got]))
                    filled += got
                }
            }
        }
        if let failure { return .failure(failure) }
        if filled < bytes.count {
            // The file shrank while being read: keep what was there, as read.
            bytes.removeSubrange(filled...)
        } else {
            // It may have grown: the copy is evidence as of now, so a longer file is an error to report.
            var probe: UInt8 = 0
            let grew = withUnsafeMutableBytes(of: &probe) { Syscalls.read(file.raw, into: $0) }
            if case .success(1) = grew {
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
