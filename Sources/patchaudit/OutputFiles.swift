import ArgumentParser
import Foundation
import PatchAuditKit
import SystemPackage

/// Where commands write: results, manifests, signatures and keys. Evidence is never written:
/// an output that is, or lies inside, a scanned target is refused, whichever links lead there.
enum OutputFiles {
    /// Why `output` must not be written, or nil when it may be.
    ///
    /// Refused: an output that is a scanned target, lies inside a folder target, or is the
    /// standard input being scanned (`-`), whichever links lead there; one that is an input of
    /// the command (a manifest, a key, a hash list); a link to nothing. The path is resolved as
    /// the kernel will resolve it: the file's real path when it exists, else its folder's real
    /// path (split at the last `/`, so `link/../x` follows the link first) and its name.
    static func refusal(for output: String, targets: [String], inputs: [String] = []) -> String? {
        var outputStatus = stat()
        let exists = stat(output, &outputStatus) == 0
        var linkStatus = stat()
        if !exists && lstat(output, &linkStatus) == 0 && (linkStatus.st_mode & S_IFMT) == S_IFLNK {
            return "\(output) is a symbolic link to nothing; name the file itself"
        }
        guard let resolved = resolve(output) else {
            let slash = output.lastIndex(of: "/")
            let folder = slash.map { $0 == output.startIndex ? "/" : String(output[..<$0]) } ?? "."
            return "the folder \(folder) of \(output) does not exist; create it first"
        }
        for target in targets {
            if target == "-" {
                var input = stat()
                if exists, fstat(STDIN_FILENO, &input) == 0, input.st_dev == outputStatus.st_dev, input.st_ino == outputStatus.st_ino {
                    return "\(output) is the standard input being scanned; write the results outside the evidence"
                }
                continue
            }
            var trimmed = target
            while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
            var targetStatus = stat()
            let sameFile = exists && stat(trimmed, &targetStatus) == 0
                && targetStatus.st_dev == outputStatus.st_dev && targetStatus.st_ino == outputStatus.st_ino
            let inside = realPath(trimmed).map { resolved == $0 || resolved.hasPrefix($0 == "/" ? "/" : $0 + "/") } ?? false
            if sameFile || inside {
                return "\(output) is, or lies inside, the scanned target \(target); write the results outside the evidence"
            }
        }
        for input in inputs {
            var inputStatus = stat()
            // `resolve`, not `realPath`: an input that does not exist yet (another output of
            // the same command, such as --output beside --store) is the same file all the same.
            if (exists && stat(input, &inputStatus) == 0 && inputStatus.st_dev == outputStatus.st_dev && inputStatus.st_ino == outputStatus.st_ino)
                || resolve(input) == resolved {
                return "\(output) is \(input), an input of this command; write to another file"
            }
        }
        return nil
    }

    /// Where `path` leads, as the kernel will resolve it: the file's real path when it exists,
    /// else its folder's real path (split at the last `/`, so `link/../x` follows the link
    /// first) and its name; nil when the folder does not exist either.
    static func resolve(_ path: String) -> String? {
        if let real = realPath(path) { return real }
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        guard let realFolder = realPath(folder) else { return nil }
        return (realFolder == "/" ? "" : realFolder) + "/" + name
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The current umask, for the mode of new files.
    static var umaskValue: mode_t {
        let mask = umask(0o022)
        umask(mask)
        return mask
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
                let what = kind == S_IFLNK ? "a symbolic link" : kind == S_IFDIR ? "a directory" : "a special file"
                throw failure("\(path) exists and is not a regular file (\(what)); remove it and try again", status: ExitStatus.cannotWrite)
            }
            if kind == S_IFLNK {
                guard let real = realPath(path) else {
                    throw failure("\(path) is a symbolic link to nothing; name a real file", status: ExitStatus.cannotWrite)
                }
                return try write(data, to: real, mode: mode)
            }
            if kind != S_IFREG { return try writeThrough(data, to: path) }
        }
        let existingMode = lstat(path, &status) == 0 ? status.st_mode & 0o7777 : mode & ~umaskValue
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp").path
        switch Syscalls.create(path: temporary, flags: O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: 0o600) {
        case .failure(let error):
            throw failure("cannot write \(path): \(error.text); check the folder exists and is writable", status: ExitStatus.cannotWrite)
        case .success(let file):
            do {
                try writeAll(data, to: file, path: path, mode: existingMode, synchronize: true)
            } catch {
                unlink(temporary)
                throw error
            }
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw failure("cannot write \(path): \(reason)", status: ExitStatus.cannotWrite)
        }
    }

    /// Writes into an existing device or FIFO without replacing it.
    static func writeThrough(_ data: Data, to path: String) throws {
        switch Syscalls.create(path: path, flags: O_WRONLY | O_NONBLOCK, mode: 0) {
        case .failure(let error):
            let reason = error == .noSuchAddressOrDevice ? "it is a FIFO with no reader" : error.text
            throw failure("cannot write \(path): \(reason)", status: ExitStatus.cannotWrite)
        case .success(let file):
            // Blocking writes from here: a reader is there.
            clearNonBlocking(file.raw)
            try writeAll(data, to: file, path: path)
        }
    }

    /// Blocking writes on a descriptor opened with O_NONBLOCK (so a FIFO without a reader failed).
    static func clearNonBlocking(_ descriptor: FileDescriptor) {
        _ = fcntl(descriptor.rawValue, F_SETFL, fcntl(descriptor.rawValue, F_GETFL) & ~O_NONBLOCK)
    }

    /// Writes all of `data` to `file` and closes it; a failure names `path`.
    /// - Parameters:
    ///   - mode: set with fchmod first, when given;
    ///   - synchronize: fsync before closing (before a rename makes the file visible).
    static func writeAll(_ data: Data, to file: consuming OwnedDescriptor, path: String, mode: mode_t? = nil, synchronize: Bool = false) throws {
        if let mode, fchmod(file.raw.rawValue, mode) != 0 {
            throw failure("cannot write \(path): \(Errno(rawValue: errno).text)", status: ExitStatus.cannotWrite)
        }
        if case .failure(let error) = Syscalls.write(file.raw, data) {
            throw failure("cannot write \(path): \(error.text)", status: ExitStatus.cannotWrite)
        }
        if synchronize, fsync(file.raw.rawValue) != 0 {
            throw failure("cannot write \(path): \(Errno(rawValue: errno).text)", status: ExitStatus.cannotWrite)
        }
        do {
            try file.close()
        } catch {
            throw failure("cannot write \(path): \(error.text)", status: ExitStatus.cannotWrite)
        }
    }

    /// Creates a new file that must not exist yet, not even as a link (a key is never overwritten).
    static func writeNew(_ data: Data, to path: String, mode: mode_t) throws {
        switch Syscalls.create(path: path, flags: O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: mode) {
        case .failure(let error) where error == .fileExists:
            throw failure("\(path) already exists; a key is never overwritten: choose another name or delete it first", status: ExitStatus.usage)
        case .failure(let error):
            throw failure("cannot write \(path): \(error.text)", status: ExitStatus.cannotWrite)
        case .success(let file):
            try writeAll(data, to: file, path: path, mode: mode & ~umaskValue)
        }
    }
}
