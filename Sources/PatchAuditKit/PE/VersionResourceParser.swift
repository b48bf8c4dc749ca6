/// Parses the data of one `RT_VERSION` resource: a `VS_VERSIONINFO` tree.
///
/// Every block is `WORD wLength; WORD wValueLength; WORD wType; WCHAR szKey[]`, padding to a
/// 32-bit boundary, `wValueLength` of value (bytes, or WORDs for text `String` values), padding,
/// then child blocks up to `wLength`, each starting on a 32-bit boundary. The root is keyed
/// "VS_VERSION_INFO" and holds a `VS_FIXEDFILEINFO`; its children are `StringFileInfo` (with
/// `StringTable`s of `String`s) and `VarFileInfo` (with `Var` "Translation": DWORD pairs of
/// WORD language, WORD code page). The 16-bit layout (no `wType`, ANSI keys and values) is read
/// too.
///
/// Every `wLength` is checked against its parent: a block that is too short to hold a header
/// (a zero length included) ends its sibling list, one that overruns its parent is read clipped
/// to the parent and ends the list. Each step advances by at least one block header, so the
/// parse is linear in the resource size (at most 64 KiB, the range of the root `wLength`).
struct VersionResourceParser {
    /// Which block layout the resource uses.
    enum Layout {
        /// Win32: `wType` present, UTF-16LE keys and text.
        case unicode
        /// Win16: no `wType`, keys and text in the ANSI code page (read as Windows-1252).
        case ansi
    }

    /// One block header, resolved against its parent.
    struct Block {
        var start: Int
        /// `start + wLength`, clipped to the parent's end.
        var end: Int
        var valueLength: Int
        var type: UInt16?
        var key: String
        /// Start of the value: after the key's NUL, 32-bit aligned (clipped to `end`).
        var valueStart: Int
        /// Start of the children: after the value, 32-bit aligned (clipped to `end`).
        var childrenStart: Int
        /// Whether `wLength` ran past the parent and was clipped.
        var overran: Bool
    }

    private let data: ByteReader
    private let layout: Layout
    private var problems: [String] = []
    private var problemCount = 0

    /// Problems recorded at most per resource; one more line says that others were left out.
    static let maxProblems = 32

    /// Records a problem; past ``maxProblems`` only counts it (`text` is then never built).
    private mutating func note(_ text: @autoclosure () -> String) {
        problemCount += 1
        if problemCount <= Self.maxProblems {
            problems.append(text())
        } else if problemCount == Self.maxProblems + 1 {
            problems.append("further problems not listed")
        }
    }

    private init(data: ByteReader, layout: Layout) {
        self.data = data
        self.layout = layout
    }

    /// The parts of one version resource.
    struct Result: Sendable {
        var fixed: FixedFileInfo?
        var tables: [StringTable]
        var translations: [Translation]
        /// Sentences without a prefix.
        var problems: [String]
    }

    /// Parses `data` (the resource bytes) into the version parts.
    static func parse(_ data: ByteReader) -> Result {
        // The root block's wLength is 16 bits: nothing past 64 KiB can belong to it, so a leaf
        // that claims the whole file is looked at no further (every scan below stays bounded).
        let data = data.clippedSlice(0, Int(UInt16.max))
        var parser = VersionResourceParser(data: data, layout: detectLayout(data))
        let result = parser.parseRoot()
        return Result(fixed: result.fixed, tables: result.tables, translations: result.translations, problems: parser.problems)
    }

    private static let rootKey = "VS_VERSION_INFO"

    /// Unicode unless the key is readable as ANSI "VS_VERSION_INFO" right after a 4-byte header.
    private static func detectLayout(_ data: ByteReader) -> Layout {
        // The key and its NUL: 32 bytes in UTF-16, 16 in ANSI; nothing further is looked at.
        let wide = data.utf16Units(from: 6, to: 6 + 32)
        if wide.terminated, String(decoding: wide.units, as: UTF16.self) == rootKey { return .unicode }
        let narrow = data.byteString(from: 4, to: 4 + 16)
        if narrow.terminated, String(decoding: narrow.bytes, as: UTF8.self) == rootKey { return .ansi }
        return .unicode
    }

    private mutating func parseRoot() -> (fixed: FixedFileInfo?, tables: [StringTable], translations: [Translation]) {
        guard data.count > 0 else {
            note("the resource holds no bytes")
            return (nil, [], [])
        }
        guard let root = block(at: 0, parentEnd: data.count, context: "VS_VERSIONINFO", isRoot: true) else {
            let size = data.count
            if problems.isEmpty { note("the resource is \(size) bytes of zeros, no VS_VERSIONINFO") }
            return (nil, [], [])
        }
        if root.key != Self.rootKey {
            note("VS_VERSIONINFO key is \"\(root.key)\", expected \"\(Self.rootKey)\"")
        }
        let fixed = fixedFileInfo(in: root)
        var tables: [StringTable] = []
        var translations: [Translation] = []
        for child in children(of: root, context: "VS_VERSIONINFO") {
            switch PEText.asciiLowercased(child.key) {
            case "stringfileinfo":
                tables += stringTables(in: child)
            case "varfileinfo":
                translations += self.translations(in: child)
            default:
                continue  // Unknown children are legal (and ignored by VerQueryValue lookups).
            }
        }
        return (fixed, tables, translations)
    }

    private mutating func fixedFileInfo(in root: Block) -> FixedFileInfo? {
        guard root.valueLength > 0 else {
            note("VS_VERSIONINFO has no VS_FIXEDFILEINFO (wValueLength is 0)")
            return nil
        }
        guard let value = try? data.slice(root.valueStart, FixedFileInfo.size), root.valueStart + FixedFileInfo.size <= root.end else {
            note("VS_FIXEDFILEINFO at +\(PEText.hex(root.valueStart)) does not fit in the \(PEText.hex(root.end))-byte VS_VERSIONINFO")
            return nil
        }
        do {
            let signature = try value.u32(0)
            guard signature == FixedFileInfo.signature else {
                note("VS_FIXEDFILEINFO signature is \(PEText.hex(signature)), expected 0xfeef04bd")
                return nil
            }
            if root.valueLength != FixedFileInfo.size {
                note("VS_VERSIONINFO wValueLength is \(root.valueLength), expected \(FixedFileInfo.size); read the VS_FIXEDFILEINFO found there")
            }
            return FixedFileInfo(
                fileVersion: FileVersion(mostSignificant: try value.u32(8), leastSignificant: try value.u32(12)),
                productVersion: FileVersion(mostSignificant: try value.u32(16), leastSignificant: try value.u32(20)),
                fileFlagsMask: try value.u32(24), fileFlags: try value.u32(28), fileOS: try value.u32(32),
                fileType: try value.u32(36), fileSubtype: try value.u32(40),
                structureVersion: try value.u32(4),
                fileDate: UInt64(try value.u32(44)) << 32 | UInt64(try value.u32(48)))
        } catch {
            note("VS_FIXEDFILEINFO at +\(PEText.hex(root.valueStart)) could not be read")
            return nil
        }
    }

    private mutating func stringTables(in stringFileInfo: Block) -> [StringTable] {
        var tables: [StringTable] = []
        for table in children(of: stringFileInfo, context: "StringFileInfo") {
            var entries: [StringEntry] = []
            for entry in children(of: table, context: "StringTable \"\(table.key)\"") {
                entries.append(StringEntry(key: entry.key, value: text(from: entry.valueStart, to: entry.end)))
            }
            tables.append(StringTable(key: table.key, entries: entries))
        }
        return tables
    }

    private mutating func translations(in varFileInfo: Block) -> [Translation] {
        var result: [Translation] = []
        for variable in children(of: varFileInfo, context: "VarFileInfo") where PEText.asciiLowercased(variable.key) == "translation" {
            var length = variable.valueLength
            let room = variable.end - variable.valueStart
            if length > room {
                note("Var \"Translation\" wValueLength \(length) overruns its block (\(room) bytes left); read \(room & ~3)")
                length = room
            }
            if length % 4 != 0 {
                note("Var \"Translation\" wValueLength \(variable.valueLength) is not a multiple of 4; the odd bytes were ignored")
            }
            for index in 0..<(length / 4) {
                let offset = variable.valueStart + index * 4
                guard let language = try? data.u16(offset), let codePage = try? data.u16(offset + 2) else { break }
                result.append(Translation(language: language, codePage: codePage))
            }
        }
        return result
    }

    /// The child blocks of `parent`, in file order; stops at the first block that is too short
    /// or overruns `parent` (recording why), or at trailing zero padding.
    private mutating func children(of parent: Block, context: String) -> [Block] {
        var result: [Block] = []
        var position = parent.childrenStart
        while position < parent.end {
            guard let child = block(at: position, parentEnd: parent.end, context: context) else { break }
            result.append(child)
            // block() guarantees child.end >= position + header size, so this always advances.
            guard !child.overran, let next = OffsetMath.align4(child.end), next > position else { break }
            position = next
        }
        return result
    }

    /// Reads the block header at `start`, or nil (with a problem unless the rest is zero
    /// padding) when no valid header fits before `parentEnd`.
    private mutating func block(at start: Int, parentEnd: Int, context: String, isRoot: Bool = false) -> Block? {
        let headerSize = layout == .unicode ? 6 : 4
        let rest = parentEnd - start
        guard rest >= headerSize, let length = try? data.u16(start), Int(length) >= headerSize else {
            if !isZeroPadding(from: start, to: parentEnd) {
                let found = (try? data.u16(start)).map { "wLength \($0)" } ?? "\(rest) bytes"
                note(isRoot
                    ? "VS_VERSIONINFO is too short for a block header (\(found))"
                    : "\(context): child at +\(PEText.hex(start)) is too short for a block header (\(found)); the rest of \(context) was skipped")
            }
            return nil
        }
        var end = start + Int(length)
        var overran = false
        if end > parentEnd {
            note(isRoot
                ? "VS_VERSIONINFO wLength \(length) exceeds the \(parentEnd) bytes of resource data present; read clipped"
                : "\(context): child at +\(PEText.hex(start)) has wLength \(length), \(end - parentEnd) bytes past its parent's end; read clipped")
            end = parentEnd
            overran = true
        }
        let valueLength = (try? data.u16(start + 2)).map(Int.init) ?? 0
        let type = layout == .unicode ? try? data.u16(start + 4) : nil
        let key: String
        let keyEnd: Int
        switch layout {
        case .unicode:
            let read = data.utf16Units(from: start + 6, to: end)
            key = String(decoding: read.units, as: UTF16.self)
            keyEnd = read.terminated ? start + 6 + (read.units.count + 1) * 2 : end
            if !read.terminated { note("\(context): key \"\(key)\" at +\(PEText.hex(start)) has no NUL before the block ends") }
        case .ansi:
            let read = data.byteString(from: start + 4, to: end)
            key = Self.windows1252(read.bytes)
            keyEnd = read.terminated ? start + 4 + read.bytes.count + 1 : end
            if !read.terminated { note("\(context): key \"\(key)\" at +\(PEText.hex(start)) has no NUL before the block ends") }
        }
        let valueStart = min(OffsetMath.align4(keyEnd) ?? end, end)
        // Text values (wType 1 in the Win32 layout) count WORDs; everything else counts bytes.
        let valueBytes = layout == .unicode && type == 1 ? valueLength * 2 : valueLength
        let childrenStart = min(OffsetMath.align4(valueStart + valueBytes) ?? end, end)
        return Block(start: start, end: end, valueLength: valueLength, type: type, key: key,
                     valueStart: valueStart, childrenStart: childrenStart, overran: overran)
    }

    /// A `String` value: the text from `start` up to the first NUL or `end`. The stored
    /// `wValueLength` is not trusted for the extent: tools disagree on counting the NUL, WORDs or
    /// bytes, and `VerQueryValue` callers read up to the NUL.
    private func text(from start: Int, to end: Int) -> String {
        switch layout {
        case .unicode:
            return String(decoding: data.utf16Units(from: start, to: end).units, as: UTF16.self)
        case .ansi:
            return Self.windows1252(data.byteString(from: start, to: end).bytes)
        }
    }

    private func isZeroPadding(from start: Int, to end: Int) -> Bool {
        var position = start
        while position < end {
            guard let byte = try? data.u8(position), byte == 0 else { return false }
            position += 1
        }
        return true
    }

    /// Decodes Windows-1252 (the ANSI code page of US/Western European Windows).
    static func windows1252(_ bytes: [UInt8]) -> String {
        var scalars = String.UnicodeScalarView()
        for byte in bytes {
            let value: UInt32
            if (0x80...0x9F).contains(byte) {
                value = UInt32(cp1252High[Int(byte) - 0x80])
            } else {
                value = UInt32(byte)
            }
            scalars.append(Unicode.Scalar(value) ?? "\u{FFFD}")
        }
        return String(scalars)
    }

    /// Windows-1252 0x80...0x9F; the five unassigned positions as U+FFFD.
    private static let cp1252High: [UInt16] = [
        0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
        0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
        0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
        0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178,
    ]
}
