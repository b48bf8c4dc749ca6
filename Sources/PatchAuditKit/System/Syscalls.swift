import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// The one place where patchaudit calls the kernel for files it scans: opening (always
/// relative to an open directory or the working directory, `O_CLOEXEC`, `O_NOATIME` where the
/// kernel allows), `fstat`, `fstatat` and full reads. `EINTR` is retried here (or in
/// swift-system's `FileDescriptor`, which these wrap) and nowhere else.
public enum Syscalls {
    #if os(Linux)
    /// `O_NOATIME` (Linux); Glibc does not export it to Swift.
    static let noAccessTime: Int32 = 0o1000000
    #else
    static let noAccessTime: Int32 = 0
    #endif

    /// `openat(2)` with `O_CLOEXEC` and, where the kernel allows it (the file's owner or root),
    /// `O_NOATIME`, so reading leaves even access times as they were; retried without it on
    /// `EPERM`. `directory` nil means the working directory (`AT_FDCWD`).
    public static func open(_ name: UnsafePointer<CChar>, relativeTo directory: FileDescriptor? = nil,
                            flags: Int32) -> Result<OwnedDescriptor, Errno> {
        let base = directory?.rawValue ?? AT_FDCWD
        func attempt(_ flags: Int32) -> Result<Int32, Errno> {
            while true {
                let fd = openat(base, name, flags | O_CLOEXEC)
                if fd >= 0 { return .success(fd) }
                if errno != EINTR { return .failure(Errno(rawValue: errno)) }
            }
        }
        var result = attempt(flags | noAccessTime)
        if case .failure(let error) = result, noAccessTime != 0, error == .notPermitted || error == .invalidArgument {
            result = attempt(flags)
        }
        return result.map { OwnedDescriptor(taking: FileDescriptor(rawValue: $0)) }
    }

    /// `open` for a path given as a Swift string (a target or a file the user named).
    public static func open(path: String, flags: Int32) -> Result<OwnedDescriptor, Errno> {
        // The String converts to a C string for the length of the call.
        open(path, flags: flags)
    }

    /// `open(2)` of a file patchaudit writes (results, manifests, keys: never evidence), with
    /// `O_CLOEXEC`, retried on `EINTR`.
    public static func create(path: String, flags: Int32, mode: mode_t) -> Result<OwnedDescriptor, Errno> {
        while true {
            let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
            if fd >= 0 { return .success(OwnedDescriptor(taking: FileDescriptor(rawValue: fd))) }
            if errno != EINTR { return .failure(Errno(rawValue: errno)) }
        }
    }

    /// Writes all of `bytes` (retrying short writes and `EINTR`, in swift-system).
    public static func write(_ descriptor: FileDescriptor, _ bytes: some Sequence<UInt8>) -> Result<Void, Errno> {
        do {
            _ = try descriptor.writeAll(bytes)
            return .success(())
        } catch let error as Errno {
            return .failure(error)
        } catch {
            return .failure(.ioError)
        }
    }

    /// `fstat(2)` on a descriptor someone else owns.
    public static func status(of descriptor: FileDescriptor) -> Result<stat, Errno> {
        do {
            return .success(try descriptor.stat().rawValue)
        } catch {
            return .failure(error)
        }
    }

    /// `fstatat(2)` without following a final symbolic link.
    public static func status(of name: UnsafePointer<CChar>, relativeTo directory: FileDescriptor) -> Result<stat, Errno> {
        var status = stat()
        while fstatat(directory.rawValue, name, &status, AT_SYMLINK_NOFOLLOW) != 0 {
            if errno != EINTR { return .failure(Errno(rawValue: errno)) }
        }
        return .success(status)
    }

    /// `stat(2)` of a path, following links (a target the user named).
    public static func status(ofPath path: String) -> Result<stat, Errno> {
        var status = stat()
        while stat(path, &status) != 0 {
            if errno != EINTR { return .failure(Errno(rawValue: errno)) }
        }
        return .success(status)
    }

    /// Fills `buffer` from `offset` (`pread`), stopping early only at the end of the file.
    /// - Returns: the bytes read (fewer than `buffer.count` at the end of the file).
    public static func read(_ descriptor: FileDescriptor, at offset: Int64, into buffer: UnsafeMutableRawBufferPointer) -> Result<Int, Errno> {
        var done = 0
        while done < buffer.count {
            let (position, overflow) = offset.addingReportingOverflow(Int64(done))
            if overflow { break }
            let rest = UnsafeMutableRawBufferPointer(rebasing: buffer[done...])
            do {
                let got = try descriptor.read(fromAbsoluteOffset: position, into: rest)
                if got == 0 { break }
                done += got
            } catch let error as Errno {
                return .failure(error)
            } catch {
                return .failure(.ioError)
            }
        }
        return .success(done)
    }

    /// Reads at the descriptor's current position (a pipe or a file read from its start).
    /// `EAGAIN` on a non-blocking pipe waits for data with `poll`, so a slow writer is no error.
    public static func read(_ descriptor: FileDescriptor, into buffer: UnsafeMutableRawBufferPointer) -> Result<Int, Errno> {
        while true {
            do {
                return .success(try descriptor.read(into: buffer))
            } catch Errno.wouldBlock {
                var waiting = pollfd(fd: descriptor.rawValue, events: Int16(POLLIN), revents: 0)
                _ = poll(&waiting, 1, -1)
            } catch let error as Errno {
                return .failure(error)
            } catch {
                return .failure(.ioError)
            }
        }
    }
}

extension Errno {
    /// `strerror`'s text, as the rest of the messages quote it ("Permission denied").
    public var text: String { errorText(rawValue) }
}
