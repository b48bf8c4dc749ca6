/// A path inside a scanned target, kept as the bytes the file system returned.
///
/// File names on old disks are not always UTF-8 (a Latin-1 `Büro` folder from a FAT volume).
/// The bytes are never dropped or replaced: ``display`` writes each byte that is not part of
/// valid UTF-8 (and each control character) as `\xNN`, and a literal backslash as `\\`,
/// so two different names never print the same.
public struct ScanPath: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The raw bytes, components joined by `/`.
    public var bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }
    public init(_ string: String) { self.bytes = Array(string.utf8) }

    /// The empty path: the target's root.
    public static let root = ScanPath(bytes: [])

    public var isRoot: Bool { bytes.isEmpty }

    /// This path with one more component.
    public func appending(_ component: some Collection<UInt8>) -> ScanPath {
        var copy = bytes
        if !copy.isEmpty { copy.append(UInt8(ascii: "/")) }
        copy.append(contentsOf: component)
        return ScanPath(bytes: copy)
    }

    /// The components (never empty ones).
    public var components: [ArraySlice<UInt8>] {
        bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true)
    }

    /// The last component, or empty for the root.
    public var lastComponent: ArraySlice<UInt8> { components.last ?? [] }

    /// The parent path (the root's parent is the root).
    public var parent: ScanPath {
        guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return .root }
        return ScanPath(bytes: Array(bytes[..<slash]))
    }

    /// Whether `self` is `other` or lies beneath it.
    public func isWithin(_ other: ScanPath) -> Bool {
        if other.isRoot { return true }
        guard bytes.count >= other.bytes.count, bytes.starts(with: other.bytes) else { return false }
        return bytes.count == other.bytes.count || bytes[other.bytes.count] == UInt8(ascii: "/")
    }

    /// The last component in ASCII lower case (other bytes unchanged), for name matching.
    public var lowercasedName: String { ScanPath.display(lowercasedASCII(lastComponent)) }

    /// The path for people and reports; see the type's documentation for the escaping.
    public var display: String { ScanPath.display(bytes[...]) }
    public var description: String { display }

    public static func < (lhs: ScanPath, rhs: ScanPath) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }

    /// Escapes bytes as described on the type: valid UTF-8 passes, anything else is `\xNN`.
    static func display(_ bytes: ArraySlice<UInt8>) -> String {
        var out = ""
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\\") {
                out += "\\\\"
                index += 1
                continue
            }
            if byte < 0x20 || byte == 0x7f {
                out += escaped(byte)
                index += 1
                continue
            }
            if byte < 0x80 {
                out.unicodeScalars.append(Unicode.Scalar(byte))
                index += 1
                continue
            }
            let length = utf8SequenceLength(bytes, at: index)
            if length > 0, let text = String(validating: bytes[index..<(index + length)], as: UTF8.self) {
                out += text
                index += length
            } else {
                out += escaped(byte)
                index += 1
            }
        }
        return out
    }

    private static func escaped(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return "\\x" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0x0f)])
    }

    /// Length of the well-formed UTF-8 sequence starting at `index`, or 0 when it is not one.
    private static func utf8SequenceLength(_ bytes: ArraySlice<UInt8>, at index: Int) -> Int {
        let lead = bytes[index]
        let length: Int
        switch lead {
        case 0xc2...0xdf: length = 2
        case 0xe0...0xef: length = 3
        case 0xf0...0xf4: length = 4
        default: return 0
        }
        guard bytes.endIndex - index >= length else { return 0 }
        for offset in 1..<length where bytes[index + offset] & 0xc0 != 0x80 { return 0 }
        return length
    }
}

/// ASCII lower case of a byte string (other bytes unchanged).
func lowercasedASCII(_ bytes: some Collection<UInt8>) -> ArraySlice<UInt8> {
    ArraySlice(bytes.map { $0 >= 0x41 && $0 <= 0x5a ? $0 | 0x20 : $0 })
}
