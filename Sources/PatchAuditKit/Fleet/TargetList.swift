import Foundation

/// The targets of a run: the positional ones and those of `--targets FILE` / `--targets0 FILE`
/// lists, in the order given, each once.
///
/// A list is untrusted input like any other: lines are UTF-8 (a line that is not is refused
/// with its number, since a path decoded with replacement characters would name another
/// file); a list is read up to ``maxListBytes``.
///
/// - Newline lists (`--targets`): one target per line; CRLF tolerated (the CR is dropped);
///   blank lines and lines whose first non-blank character is `#` are ignored; the rest of a
///   line is the target as it is, spaces included.
/// - NUL lists (`--targets0`, as `find -print0` writes): one target per NUL-terminated item;
///   nothing is a comment (a path may begin with `#`); empty items are ignored.
/// - Duplicates (the same bytes, anywhere among the positional targets and the lists) are
///   scanned once, at their first place. Two spellings of one file (`a/x.zip`, `./a/x.zip`)
///   are two targets: the report names targets as given. Names equal only as Unicode (NFC and
///   NFD forms of `café`) are two files on Linux, and two targets here.
/// - A list starting with a UTF-8 byte-order mark (Notepad) has it dropped; a UTF-16 list
///   (PowerShell 5's `>`) is refused with how to convert it. A line `-` is refused: standard
///   input is named on the command line, and a file called `-` is listed as `./-`.
public struct TargetList: Sendable, Hashable {
    /// The targets, each once, in order.
    public private(set) var targets: [String] = []
    /// How many duplicates were dropped.
    public private(set) var duplicates = 0
    private var seen: Set<ExactName> = []

    /// Largest list read (256 MiB: some 3 million paths).
    public static let maxListBytes = 256 << 20

    public init() {}

    /// How a list file separates its targets.
    public enum Separator: Sendable {
        case newline
        case nul
    }

    /// A list that could not be used: which list, where, and what to do.
    public struct Problem: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Adds one target (ignored when it was added before).
    public mutating func add(_ target: String) {
        if seen.insert(ExactName(target)).inserted {
            targets.append(target)
        } else {
            duplicates += 1
        }
    }

    /// Adds every target of a list's bytes. `name` says where the list came from, for messages.
    public mutating func add(list bytes: [UInt8], separator: Separator, name: String) throws(Problem) {
        if bytes.starts(with: [0xff, 0xfe]) || bytes.starts(with: [0xfe, 0xff]) {
            throw Problem(description: "\(name) is UTF-16 text (as PowerShell 5 writes with >); save it as UTF-8 (Out-File -Encoding utf8, or iconv -f UTF-16 -t UTF-8)")
        }
        var bytes = bytes[...]
        if bytes.starts(with: [0xef, 0xbb, 0xbf]) { bytes = bytes.dropFirst(3) }
        var lineNumber = 0
        let delimiter: UInt8 = separator == .nul ? 0 : 0x0a
        for var item in bytes.split(separator: delimiter, omittingEmptySubsequences: false) {
            lineNumber += 1
            if separator == .newline {
                if item.last == 0x0d { item = item.dropLast() }
                let text = item.drop { $0 == 0x20 || $0 == 0x09 }
                if text.isEmpty || text.first == UInt8(ascii: "#") { continue }
            } else if item.isEmpty {
                continue
            }
            guard let target = String(validating: item, as: UTF8.self) else {
                throw Problem(description: "\(name), \(separator == .nul ? "item" : "line") \(lineNumber): the target is not valid UTF-8, so it cannot be named exactly; rename the file or list it by a folder above it")
            }
            if separator == .newline && target.contains("\0") {
                throw Problem(description: "\(name), line \(lineNumber): the line holds a NUL byte; is this a list for --targets0?")
            }
            if target == "-" {
                throw Problem(description: "\(name), \(separator == .nul ? "item" : "line") \(lineNumber): - is standard input, which is named on the command line, not in a list; a file called - is listed as ./-")
            }
            add(target)
        }
    }

    /// Reads a list from a file, or from standard input when `path` is `-`.
    public mutating func add(listAt path: String, separator: Separator) throws(Problem) {
        let name = path == "-" ? "the target list on standard input" : "the target list \(path)"
        let bytes: [UInt8]
        switch Self.read(path) {
        case .success(let read): bytes = read
        case .failure(let problem): throw Problem(description: "\(name): \(problem.description)")
        }
        try add(list: bytes, separator: separator, name: name)
    }

    /// A list's bytes, at most ``maxListBytes``: a FIFO or a pipe is read as a stream (that is
    /// what `--targets <(find ...)` is), a directory or a device is refused.
    static func read(_ path: String) -> Result<[UInt8], Problem> {
        let descriptor: Int32
        if path == "-" {
            descriptor = STDIN_FILENO
        } else {
            descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else {
                return .failure(Problem(description: "cannot open it: \(String(cString: strerror(errno))); check the path"))
            }
        }
        defer { if path != "-" { close(descriptor) } }
        var status = stat()
        if fstat(descriptor, &status) == 0 {
            let kind = status.st_mode & S_IFMT
            if kind == S_IFDIR { return .failure(Problem(description: "it is a folder; name a file with one target per line (or scan the folder itself as a target)")) }
            if kind == S_IFBLK || kind == S_IFCHR && path != "-" { return .failure(Problem(description: "it is a device, not a list")) }
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(Problem(description: "reading it failed: \(String(cString: strerror(errno)))"))
            }
            if count == 0 { break }
            guard bytes.count + count <= maxListBytes else {
                return .failure(Problem(description: "it is longer than \(maxListBytes >> 20) MiB; split it into several lists and runs"))
            }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return .success(bytes)
    }
}
