import ArgumentParser
import Foundation
import PatchAuditKit

/// Where commands write: results, manifests, signatures and keys. Evidence is never written:
/// an output that is, or lies inside, a scanned target is refused, whichever links lead there.
enum OutputFiles {
    /// Whether writing `output` would touch `target` (a folder, or an archive file): the output's
    /// real path (links followed) is the target or lies inside it, or it is the same file by
    /// device and inode (a hard link to an archive).
    static func output(_ output: String, touches target: String) -> Bool {
        guard target != "-", let targetPath = realPath(target) else { return false }
        var targetStatus = stat(), outputStatus = stat()
        if stat(output, &outputStatus) == 0, stat(target, &targetStatus) == 0,
           outputStatus.st_dev == targetStatus.st_dev, outputStatus.st_ino == targetStatus.st_ino {
            return true
        }
        guard let resolved = resolvedOutput(output) else { return true }
        return resolved == targetPath || resolved.hasPrefix(targetPath == "/" ? "/" : targetPath + "/")
    }

    /// The path a write to `output` reaches: its real path when it exists, else its folder's
    /// real path and its name. Nil for a link whose target does not exist (it could lead anywhere
    /// once created): such an output is refused.
    static func resolvedOutput(_ output: String) -> String? {
        if let real = realPath(output) { return real }
        var status = stat()
        if lstat(output, &status) == 0 && (status.st_mode & S_IFMT) == S_IFLNK { return nil }
        let url = URL(fileURLWithPath: output)
        guard let folder = realPath(url.deletingLastPathComponent().path) else { return url.standardizedFileURL.path }
        return (folder == "/" ? "" : folder) + "/" + url.lastPathComponent
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Writes `data` to `path` through a temporary file in the same folder and a rename, so a
    /// reader never sees half a file; the file keeps its mode. A link is followed and the real
    /// file replaced. A device or FIFO named by the user (`--output /dev/stdout`) is written
    /// through, never replaced by a file, and a FIFO without a reader is an error, not a hang.
    /// - Parameter regularOnly: for paths the user did not name (`FILE.sig`): anything but a
    ///   regular file or nothing is refused, link or not.
    static func write(_ data: Data, to path: String, mode: mode_t = 0o644, regularOnly: Bool = false) throws {
        var status = stat()
        if lstat(path, &status) == 0 {
            let kind = status.st_mode & S_IFMT
            if regularOnly && kind != S_IFREG {
                throw failure("\(path) exists and is not a regular file (\(kind == S_IFLNK ? "a symbolic link" : "a special file")); remove it and try again", status: ExitStatus.cannotWrite)
            }
            if kind == S_IFLNK {
                guard let real = realPath(path) else {
                    throw failure("\(path) is a symbolic link to nothing; name a real file", status: ExitStatus.cannotWrite)
                }
                return try write(data, to: real, mode: mode)
            }
            if kind != S_IFREG { return try writeThrough(data, to: path) }
        }
        let existingMode = lstat(path, &status) == 0 ? status.st_mode & 0o7777 : mode
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp").path
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw failure("cannot write \(path): \(String(cString: strerror(errno))); check the folder exists and is writable", status: ExitStatus.cannotWrite)
        }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        do {
            guard fchmod(fd, existingMode) == 0 else { throw POSIXError(.EPERM) }
            try handle.write(contentsOf: data)
            try handle.synchronize()
            try handle.close()
        } catch {
            unlink(temporary)
            throw failure("cannot write \(path): \(error.localizedDescription)", status: ExitStatus.cannotWrite)
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw failure("cannot write \(path): \(reason)", status: ExitStatus.cannotWrite)
        }
    }

    /// Writes into an existing device or FIFO without replacing it.
    static func writeThrough(_ data: Data, to path: String) throws {
        let fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            let reason = errno == ENXIO ? "it is a FIFO with no reader" : String(cString: strerror(errno))
            throw failure("cannot write \(path): \(reason)", status: ExitStatus.cannotWrite)
        }
        // Blocking writes from here: a reader is there.
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        do {
            try handle.write(contentsOf: data)
            try handle.close()
        } catch {
            throw failure("cannot write \(path): \(error.localizedDescription)", status: ExitStatus.cannotWrite)
        }
    }

    /// Creates a new file that must not exist yet, not even as a link (a key is never overwritten).
    static func writeNew(_ data: Data, to path: String, mode: mode_t) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else {
            let code = errno
            if code == EEXIST {
                throw failure("\(path) already exists; a key is never overwritten: choose another name or delete it first", status: ExitStatus.usage)
            }
            throw failure("cannot write \(path): \(String(cString: strerror(code)))", status: ExitStatus.cannotWrite)
        }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        do {
            _ = fchmod(fd, mode)
            try handle.write(contentsOf: data)
            try handle.close()
        } catch {
            throw failure("cannot write \(path): \(error.localizedDescription)", status: ExitStatus.cannotWrite)
        }
    }
}
