import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// An open file descriptor with exactly one owner: this value. It is closed once, when the
/// owner ends (or hands it to a ``DirectoryStream``), and never by anyone else.
///
/// Noncopyable, so a descriptor can be neither leaked by a forgotten `close` nor closed twice
/// by two copies; code that only reads through it borrows ``raw`` (swift-system's
/// `FileDescriptor`, whose calls retry on `EINTR`). Every `open` of a scan goes through
/// ``Syscalls`` and ends up here.
public struct OwnedDescriptor: ~Copyable, Sendable {
    /// The descriptor, for calls that borrow it. Never close it yourself.
    public let raw: FileDescriptor

    /// Takes over `descriptor`: from now on this value closes it.
    public init(taking descriptor: FileDescriptor) {
        raw = descriptor
    }

    deinit {
        try? raw.close()
    }

    /// `fstat(2)`.
    public func status() -> Result<stat, Errno> { Syscalls.status(of: raw) }

    /// Closes now, reporting what `close(2)` says (a write that failed late, on NFS or a full
    /// disk, shows here). The descriptor is closed whatever the result.
    public consuming func close() throws(Errno) {
        let descriptor = raw
        discard self
        do {
            try descriptor.close()
        } catch let error as Errno {
            throw error
        } catch {
            throw .ioError
        }
    }

    /// Hands the descriptor to `fdopendir(3)`: the stream owns it from then on (closedir closes it).
    /// On failure the descriptor is closed here and the error returned.
    public consuming func directoryStream() -> Result<DirectoryStream, Errno> {
        let descriptor = raw
        discard self
        guard let stream = fdopendir(descriptor.rawValue) else {
            let error = Errno(rawValue: errno)
            try? descriptor.close()
            return .failure(error)
        }
        return .success(DirectoryStream(taking: stream))
    }
}

/// An open directory stream (`DIR *` from `fdopendir`), owned: `closedir` runs once, in deinit,
/// and closes the descriptor the stream was made from.
public struct DirectoryStream: ~Copyable {
    private let stream: OpaquePointer

    init(taking stream: OpaquePointer) {
        self.stream = stream
    }

    deinit {
        closedir(stream)
    }

    /// The stream's descriptor (`dirfd`), for `openat` and `fstatat` relative to it. Borrowed:
    /// it lives as long as the stream.
    public var descriptor: FileDescriptor { FileDescriptor(rawValue: dirfd(stream)) }

    /// The next entry (valid until the next call), nil at the end; an error when listing failed.
    public func next() -> Result<UnsafeMutablePointer<dirent>?, Errno> {
        errno = 0
        if let entry = readdir(stream) { return .success(entry) }
        return errno == 0 ? .success(nil) : .failure(Errno(rawValue: errno))
    }
}
