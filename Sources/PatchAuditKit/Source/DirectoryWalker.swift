#if canImport(Glibc)
import Glibc
#endif

/// Walks a directory tree with `openat`/`fdopendir`/`readdir`, read-only, and hands each
/// entry whose name a ``NameMatcher`` accepts to a visitor together with its bytes.
///
/// Safety rules, each one deliberate:
/// - Symbolic links are never followed (`O_NOFOLLOW`, and `d_type`/`fstatat(AT_SYMLINK_NOFOLLOW)`
///   decide before anything is opened), so link loops and links out of the root are harmless;
///   they are listed as ``SkippedEntry``.
/// - Only regular files are opened, with `O_NONBLOCK` and checked by `fstat` afterwards: a FIFO
///   named `EMSMDB32.DLL` is reported `unreadable`, never waited on.
/// - Directories and files are opened with `O_NOATIME` where permitted: the scan leaves even
///   access times as they were. Nothing is ever written.
/// - Depth, entry count and matched-file count are bounded (``ScanLimits``); a hit is recorded.
/// - Names are bytes; non-UTF-8 names are kept (``ScanPath``).
public struct DirectoryWalker {
    /// One matched entry: where, which name, and either its bytes or why they could not be read.
    public struct Match {
        public var path: ScanPath
        public var name: String
        public var content: Result<FileBytes, ReadProblem>
    }

    /// What the walk saw besides the matches.
    public struct Summary: Sendable, Hashable {
        public var entriesVisited = 0
        public var directoriesVisited = 0
        public var skipped: [SkippedEntry] = []
        public var skippedCount = 0
        public var unreadableDirectories: [SkippedEntry] = []
        public var limitsHit: [LimitHit] = []
    }

    public let matcher: NameMatcher
    public let limits: ScanLimits

    public init(matcher: NameMatcher, limits: ScanLimits) {
        self.matcher = matcher
        self.limits = limits
    }

    // d_type values (dirent.h); Swift does not import the DT_* enum reliably.
    private static let typeUnknown: UInt8 = 0, typeFIFO: UInt8 = 1, typeCharacter: UInt8 = 2,
                       typeDirectory: UInt8 = 4, typeBlock: UInt8 = 6, typeRegular: UInt8 = 8,
                       typeLink: UInt8 = 10, typeSocket: UInt8 = 12

    private struct Frame {
        var stream: OpaquePointer
        var path: ScanPath
        var depth: Int
    }

    /// Walks the tree under the open directory descriptor `root` (which the walker takes over
    /// and closes), calling `visit` for each match in directory order.
    public func walk(root: Int32, visit: (Match) -> Void) -> Summary {
        var summary = Summary()
        guard let rootStream = fdopendir(root) else {
            close(root)
            summary.unreadableDirectories.append(SkippedEntry(path: ".", kind: .unreadableDirectory,
                detail: "could not list the target's root: \(errorText(errno))"))
            return summary
        }
        var stack = [Frame(stream: rootStream, path: .root, depth: 0)]
        var matchedCount = 0
        summary.directoriesVisited = 1
        var stopped = false
        defer { for frame in stack { closedir(frame.stream) } }

        walking: while let frame = stack.last {
            errno = 0
            guard let entry = readdir(frame.stream) else {
                if errno != 0 {
                    summary.unreadableDirectories.append(SkippedEntry(path: frame.path.isRoot ? "." : frame.path.display,
                        kind: .unreadableDirectory, detail: "listing stopped early: \(errorText(errno))"))
                }
                closedir(frame.stream)
                stack.removeLast()
                continue
            }
            summary.entriesVisited += 1
            if summary.entriesVisited > limits.maxEntries {
                summary.limitsHit.append(LimitHit(limit: "max-entries", value: Int64(limits.maxEntries),
                    detail: "the walk stopped after \(limits.maxEntries) directory entries; files beyond were not looked at"))
                stopped = true
                break walking
            }
            let directoryFD = dirfd(frame.stream)
            var type = entry.pointee.d_type
            let handled: Bool = withUnsafePointer(to: &entry.pointee.d_name) { tuple in
                tuple.withMemoryRebound(to: UInt8.self, capacity: 256) { name in
                    let length = strlen(UnsafeRawPointer(name).assumingMemoryBound(to: CChar.self))
                    if length == 1 && name[0] == 0x2e { return true }
                    if length == 2 && name[0] == 0x2e && name[1] == 0x2e { return true }
                    let cName = UnsafeRawPointer(name).assumingMemoryBound(to: CChar.self)
                    if type == Self.typeUnknown {
                        var status = stat()
                        if fstatat(directoryFD, cName, &status, AT_SYMLINK_NOFOLLOW) == 0 {
                            type = Self.dType(status.st_mode)
                        }
                    }
                    let matched = matcher.match(name, count: length)
                    switch type {
                    case Self.typeDirectory:
                        guard matched == nil else { break }  // a directory named EMSMDB32.DLL is reported below
                        let path = frame.path.appending(UnsafeBufferPointer(start: name, count: length))
                        if frame.depth + 1 > limits.maxDepth {
                            if !summary.limitsHit.contains(where: { $0.limit == "max-depth" }) {
                                summary.limitsHit.append(LimitHit(limit: "max-depth", value: Int64(limits.maxDepth),
                                    detail: "\(path.display) lies deeper than \(limits.maxDepth) directories; it was not entered"))
                            }
                            return true
                        }
                        var fd = openat(directoryFD, cName, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | RegularFileReader.noAccessTime)
                        if fd < 0 && errno == EPERM {
                            fd = openat(directoryFD, cName, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
                        }
                        guard fd >= 0, let stream = fdopendir(fd) else {
                            let code = errno
                            if fd >= 0 { close(fd) }
                            summary.unreadableDirectories.append(SkippedEntry(path: path.display, kind: .unreadableDirectory,
                                detail: "could not open the directory: \(errorText(code)); files in it were not looked at"))
                            return true
                        }
                        summary.directoriesVisited += 1
                        stack.append(Frame(stream: stream, path: path, depth: frame.depth + 1))
                        return true
                    case Self.typeRegular:
                        if matched == nil { return true }
                    default:
                        break
                    }
                    let path = frame.path.appending(UnsafeBufferPointer(start: name, count: length))
                    guard let matched else {
                        record(skip: path, type: type, into: &summary)
                        return true
                    }
                    matchedCount += 1
                    if matchedCount > limits.maxMatchedFiles {
                        summary.limitsHit.append(LimitHit(limit: "max-matched-files", value: Int64(limits.maxMatchedFiles),
                            detail: "more than \(limits.maxMatchedFiles) files matched; the walk stopped at \(path.display)"))
                        return false
                    }
                    let content: Result<FileBytes, ReadProblem>
                    switch type {
                    case Self.typeRegular, Self.typeUnknown:
                        content = RegularFileReader.read(directory: directoryFD, name: cName,
                                                         displayPath: path.display, maxSize: limits.maxFileSize)
                    case Self.typeLink:
                        content = .failure(ReadProblem(.symbolicLink,
                            "\(path.display) is a symbolic link; links are never followed, so its target was not read"))
                    default:
                        content = .failure(ReadProblem(.notRegularFile,
                            "\(path.display) is a \(Self.typeName(type)), not a regular file: it was not opened for reading"))
                    }
                    visit(Match(path: path, name: matched, content: content))
                    return true
                }
            }
            if !handled {
                stopped = true
                break walking
            }
        }
        _ = stopped
        summary.skipped.sort()
        summary.unreadableDirectories.sort()
        return summary
    }

    private func record(skip path: ScanPath, type: UInt8, into summary: inout Summary) {
        let kind: SkippedEntry.Kind
        switch type {
        case Self.typeLink: kind = .symbolicLink
        case Self.typeFIFO: kind = .fifo
        case Self.typeSocket: kind = .socket
        case Self.typeCharacter, Self.typeBlock: kind = .device
        default: return
        }
        summary.skippedCount += 1
        if summary.skipped.count < limits.maxListedSkipped {
            summary.skipped.append(SkippedEntry(path: path.display, kind: kind, detail: nil))
        }
    }

    private static func dType(_ mode: mode_t) -> UInt8 {
        switch mode & S_IFMT {
        case S_IFDIR: return typeDirectory
        case S_IFREG: return typeRegular
        case S_IFLNK: return typeLink
        case S_IFIFO: return typeFIFO
        case S_IFSOCK: return typeSocket
        case S_IFCHR: return typeCharacter
        case S_IFBLK: return typeBlock
        default: return typeUnknown
        }
    }

    private static func typeName(_ type: UInt8) -> String {
        switch type {
        case typeFIFO: return "FIFO"
        case typeCharacter: return "character device"
        case typeBlock: return "block device"
        case typeSocket: return "socket"
        case typeDirectory: return "directory"
        default: return "special file"
        }
    }
}
