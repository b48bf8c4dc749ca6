#if canImport(Glibc)
import Glibc
#endif

/// A hashdeep known-file list (hashdeep 4.x, "audit" format), read without trusting it:
///
///     %%%% HASHDEEP-1.0
///     %%%% size,md5,sha256,filename
///     ## comment lines (hashdeep writes "## Invoked from: ..." and "## $ command")
///     121104,0123...,abcd...,/mnt/pc42/WINDOWS/SYSTEM/EMSABP32.DLL
///
/// The second line names the columns: `size` first, `filename` last (it may hold commas), and
/// hash columns between (`md5`, `sha1`, `sha256`; `tiger` and `whirlpool` are read past).
/// Lines may end in CRLF. Any malformed line refuses the whole list, naming the line: a
/// half-read baseline would vouch for less than the admin thinks.
public struct HashdeepList: Sendable {
    /// One row of the list.
    public struct Row: Sendable, Hashable {
        public var size: Int64
        public var md5: String?
        public var sha1: String?
        public var sha256: String?
        /// The file name as the list gives it (a path, with `/` or `\`).
        public var fileName: String
        /// 1-based line number in the list.
        public var line: Int
        /// The name after the last `/` or `\`, ASCII letters lowered: the key manifests use,
        /// the same the parser chose the row by.
        public var baseName: String
    }

    public static let header = "%%%% HASHDEEP-1.0"
    /// Longest line read (a file name is at most a few KiB).
    public static let maxLineLength = 65_536
    /// Most rows kept (rows for files no manifest watches are counted, not kept).
    public static let maxKeptRows = 10_000
    /// Most bytes of file names kept: the names become the builds' sources, and a manifest
    /// holds at most ``ManifestLoader/maxManifestSize`` bytes.
    public static let maxKeptNameBytes = ManifestLoader.maxManifestSize

    public var columns: [String]
    /// The rows kept (those `keep` accepted).
    public var rows: [Row]
    /// Every data row in the list.
    public var rowCount: Int

    /// Reads the list at `path` (a regular file; a FIFO or device is refused), keeping the rows
    /// whose lower-case base name is in `keep` (every row when nil).
    public static func read(path: String, keep: Set<String>?) throws(HashdeepError) -> HashdeepList {
        switch Syscalls.open(path: path, flags: O_RDONLY | O_NONBLOCK) {
        case .failure(let error):
            throw HashdeepError(kind: .unreadable, file: path, line: nil, message: "could not be opened: \(error.text); check the path")
        case .success(let file):
            return try read(file, path: path, keep: keep)
        }
    }

    private static func read(_ file: borrowing OwnedDescriptor, path: String, keep: Set<String>?) throws(HashdeepError) -> HashdeepList {
        guard case .success(let status) = file.status(), (status.st_mode & S_IFMT) == S_IFREG else {
            throw HashdeepError(kind: .unreadable, file: path, line: nil, message: "is not a regular file; give the hashdeep list itself")
        }
        var parser = Parser(file: path, keep: keep)
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            switch chunk.withUnsafeMutableBytes({ Syscalls.read(file.raw, into: $0) }) {
            case .failure(let error):
                throw HashdeepError(kind: .unreadable, file: path, line: nil, message: "read failed: \(error.text)")
            case .success(0):
                return try parser.finish()
            case .success(let got):
                try parser.feed(chunk[0..<got])
            }
        }
    }

    /// Parses a list held in memory (tests, standard input).
    public static func parse(_ bytes: [UInt8], file: String, keep: Set<String>? = nil) throws(HashdeepError) -> HashdeepList {
        var parser = Parser(file: file, keep: keep)
        try parser.feed(bytes[...])
        return try parser.finish()
    }

    /// Splits bytes into lines and parses each as it completes. Rows are checked on their bytes;
    /// only the rows kept become strings (a fleet list has millions of rows, and most name
    /// files no manifest watches).
    struct Parser {
        let file: String
        let keep: Set<String>?
        /// The start of a line that continues in the next chunk.
        var pending: [UInt8] = []
        var lineNumber = 0
        var columns: [String]?
        /// The columns before `filename`, as the parser reads them.
        var kinds: [ColumnKind] = []
        var sawHeader = false
        var rows: [Row] = []
        var rowCount = 0
        var keptNameBytes = 0

        /// The byte lengths of the names kept.
        let keepLengths: Set<Int>

        enum ColumnKind: String { case size, md5, sha1, sha256, other }

        /// 1 for each byte that is not a hex digit (either case), 0 for those that are.
        static let notHex: [UInt8] = (0..<256).map { byte in
            let letter = byte | 0x20
            return (byte >= 0x30 && byte <= 0x39) || (letter >= 0x61 && letter <= 0x66) ? 0 : 1
        }

        init(file: String, keep: Set<String>?) {
            self.file = file
            self.keep = keep
            keepLengths = Set((keep ?? []).map(\.utf8.count))
        }

        mutating func feed(_ bytes: ArraySlice<UInt8>) throws(HashdeepError) {
            var start = bytes.startIndex
            while let newline = bytes[start...].firstIndex(of: 0x0a) {
                if pending.isEmpty {
                    try takeLine(bytes[start..<newline])
                } else {
                    pending.append(contentsOf: bytes[start..<newline])
                    let line = pending
                    pending.removeAll(keepingCapacity: true)
                    try takeLine(line[...])
                }
                start = newline + 1
            }
            pending.append(contentsOf: bytes[start...])
            if pending.count > HashdeepList.maxLineLength {
                throw HashdeepError(file: file, line: lineNumber + 1, message: "is longer than \(HashdeepList.maxLineLength) bytes; this is not a hashdeep list")
            }
        }

        mutating func finish() throws(HashdeepError) -> HashdeepList {
            if !pending.isEmpty {
                let line = pending
                pending.removeAll()
                try takeLine(line[...])
            }
            guard let columns else {
                throw HashdeepError(file: file, line: nil, message: sawHeader
                    ? "has no column line (\"%%%% size,md5,sha256,filename\") after its header"
                    : "is empty; make a list with: hashdeep -c md5,sha256 -r FOLDER > LIST")
            }
            return HashdeepList(columns: columns, rows: rows, rowCount: rowCount)
        }

        func fail(_ message: String) -> HashdeepError {
            HashdeepError(file: file, line: lineNumber, message: message)
        }

        mutating func takeLine(_ raw: ArraySlice<UInt8>) throws(HashdeepError) {
            lineNumber += 1
            guard raw.count <= HashdeepList.maxLineLength else {
                throw fail("is longer than \(HashdeepList.maxLineLength) bytes; this is not a hashdeep list")
            }
            var bytes = raw
            if bytes.last == 0x0d { bytes = bytes.dropLast() }
            if lineNumber == 1 && bytes.starts(with: [0xef, 0xbb, 0xbf]) { bytes = bytes.dropFirst(3) }
            guard sawHeader, let columns else { return try headerLine(bytes) }
            if bytes.isEmpty || bytes.starts(with: [0x23, 0x23]) { return }   // "##" comment
            // The fields before the file name, each ended by a comma; the file name is the rest
            // (it may hold commas). Checked on the bytes: no string is made for a row not kept.
            var position = bytes.startIndex
            var size: Int64 = 0
            var md5: ArraySlice<UInt8>?, sha1: ArraySlice<UInt8>?, sha256: ArraySlice<UInt8>?
            for (number, kind) in kinds.enumerated() {
                guard let comma = bytes[position...].firstIndex(of: 0x2c) else {
                    throw fail("has \(number + 1) fields, but the column line names \(columns.count) (\(columns.joined(separator: ",")))")
                }
                let field = bytes[position..<comma]
                position = comma + 1
                switch kind {
                case .size:
                    guard !field.isEmpty, field.count <= 18, field.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                        throw fail("size \"\(String(decoding: field.prefix(80), as: UTF8.self))\" is not a whole number of bytes")
                    }
                    size = field.reduce(0) { $0 * 10 + Int64($1 - 0x30) }
                case .md5: md5 = try checkedDigest(field, name: "md5", digits: 32)
                case .sha1: sha1 = try checkedDigest(field, name: "sha1", digits: 40)
                case .sha256: sha256 = try checkedDigest(field, name: "sha256", digits: 64)
                case .other: break
                }
            }
            let nameBytes = bytes[position...]
            guard !nameBytes.isEmpty else {
                throw fail("has an empty file name (the last of the columns \(columns.joined(separator: ",")))")
            }
            rowCount += 1
            let baseStart = nameBytes.lastIndex(where: { $0 == 0x2f || $0 == 0x5c }).map { $0 + 1 } ?? nameBytes.startIndex
            let baseName = nameBytes[baseStart...]
            // Watched names are short: most rows are ruled out by length alone.
            if keep != nil, !keepLengths.contains(baseName.count) { return }
            let lowerBaseName = Self.lowercased(baseName)
            if let keep, !keep.contains(lowerBaseName) { return }
            guard rows.count < HashdeepList.maxKeptRows else {
                throw fail("more than \(HashdeepList.maxKeptRows) rows name files the manifest watches; split the list")
            }
            // Kept names become builds' sources: no more of them than a manifest can hold.
            keptNameBytes += nameBytes.count
            guard keptNameBytes <= HashdeepList.maxKeptNameBytes else {
                throw fail("the rows for watched files name more than \(HashdeepList.maxKeptNameBytes) bytes of paths, more than a manifest can hold; split the list")
            }
            let lower = { (digest: ArraySlice<UInt8>?) in digest.map { String(decoding: $0, as: UTF8.self).lowercased() } }
            rows.append(Row(size: size, md5: lower(md5), sha1: lower(sha1), sha256: lower(sha256),
                            fileName: String(decoding: nameBytes, as: UTF8.self), line: lineNumber, baseName: lowerBaseName))
        }

        mutating func headerLine(_ bytes: ArraySlice<UInt8>) throws(HashdeepError) {
            let line = String(decoding: bytes.prefix(200), as: UTF8.self)
            if !sawHeader {
                guard line == HashdeepList.header else {
                    let found = line.hasPrefix("%%%% HASHDEEP-") ? "\"\(line)\" is a hashdeep format this patchaudit does not read" : "it does not start with \"\(HashdeepList.header)\""
                    throw fail("\(found); give a list written by hashdeep 4 (hashdeep -c md5,sha256 -r FOLDER)")
                }
                sawHeader = true
                return
            }
            guard line.hasPrefix("%%%% ") else {
                throw fail("should name the columns, e.g. \"%%%% size,md5,sha256,filename\"")
            }
            let names = line.dropFirst(5).split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingSpaces.lowercased() }
            guard names.first == "size", names.last == "filename", names.count >= 3 else {
                throw fail("names the columns \(names.joined(separator: ",")); hashdeep lists start with size and end with filename")
            }
            guard names.contains("md5") || names.contains("sha1") || names.contains("sha256") else {
                throw fail("has no md5, sha1 or sha256 column; make the list with hashdeep -c md5,sha256")
            }
            columns = names
            kinds = names.dropLast().map { ColumnKind(rawValue: $0) ?? .other }
        }

        func checkedDigest(_ field: ArraySlice<UInt8>, name: String, digits: Int) throws(HashdeepError) -> ArraySlice<UInt8> {
            // Every row's digests are checked, so this loop runs over most of a fleet list's
            // bytes: a table lookup per byte, no branch.
            let isHex = field.withUnsafeBufferPointer { buffer in
                Parser.notHex.withUnsafeBufferPointer { table in
                    var bad: UInt8 = 0
                    for byte in buffer { bad |= table[Int(byte)] }
                    return bad == 0
                }
            }
            guard isHex, field.count == digits else {
                throw fail("\(name) \"\(String(decoding: field.prefix(80), as: UTF8.self))\" is not \(digits) hex digits")
            }
            return field
        }

        /// A file name with its ASCII letters lowered (the names watched are ASCII).
        static func lowercased(_ name: ArraySlice<UInt8>) -> String {
            String(decoding: name.map { $0 >= 0x41 && $0 <= 0x5a ? $0 + 0x20 : $0 }, as: UTF8.self)
        }
    }
}

/// A hashdeep list that cannot be used: which file, which line, what is wrong.
public struct HashdeepError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// The list could not be opened or read (missing, not a regular file, I/O error).
        case unreadable
        /// The list was read and is not a well-formed hashdeep list.
        case malformed
    }

    public var kind: Kind = .malformed
    public var file: String
    public var line: Int?
    public var message: String

    public var description: String { "\(file)\(line.map { ":\($0)" } ?? ""): \(message)" }
}

extension Substring {
    var trimmingSpaces: Substring {
        var text = self
        while text.first == " " { text = text.dropFirst() }
        while text.last == " " { text = text.dropLast() }
        return text
    }
}
