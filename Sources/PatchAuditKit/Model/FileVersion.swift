/// A Windows file version: four 16-bit parts, as `VS_FIXEDFILEINFO` stores them
/// (`dwFileVersionMS` = major.minor, `dwFileVersionLS` = build.revision).
///
/// Versions compare part by part as numbers, missing parts as 0, so
/// `8.04.00.6419` equals `8.4.0.6419` (domain.md, "Reading a DLL").
public struct FileVersion: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var major: UInt16
    public var minor: UInt16
    public var build: UInt16
    public var revision: UInt16

    /// Creates a version from its four parts.
    public init(_ major: UInt16, _ minor: UInt16 = 0, _ build: UInt16 = 0, _ revision: UInt16 = 0) {
        self.major = major
        self.minor = minor
        self.build = build
        self.revision = revision
    }

    /// Creates a version from the two 32-bit halves of `VS_FIXEDFILEINFO`
    /// (`dwFileVersionMS`/`LS` or `dwProductVersionMS`/`LS`).
    public init(mostSignificant ms: UInt32, leastSignificant ls: UInt32) {
        self.init(UInt16(truncatingIfNeeded: ms >> 16), UInt16(truncatingIfNeeded: ms),
                  UInt16(truncatingIfNeeded: ls >> 16), UInt16(truncatingIfNeeded: ls))
    }

    /// Parses "a", "a.b", "a.b.c" or "a.b.c.d" (decimal parts 0...65535, leading zeros allowed).
    ///
    /// Returns nil for anything else: empty parts, more than four parts, signs, spaces
    /// or a part above 65535.
    public init?(_ text: some StringProtocol) {
        let pieces = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...4).contains(pieces.count) else { return nil }
        var parts: [UInt16] = []
        for piece in pieces {
            guard !piece.isEmpty, piece.count <= 6, piece.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let value = UInt16(piece) else { return nil }
            parts.append(value)
        }
        while parts.count < 4 { parts.append(0) }
        self.init(parts[0], parts[1], parts[2], parts[3])
    }

    /// The four parts, most significant first.
    public var parts: [UInt16] { [major, minor, build, revision] }

    /// "a.b.c.d", the form reports use.
    public var description: String { "\(major).\(minor).\(build).\(revision)" }

    public static func < (lhs: FileVersion, rhs: FileVersion) -> Bool {
        lhs.parts.lexicographicallyPrecedes(rhs.parts)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let version = FileVersion(text) else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "\"\(text)\" is not a version: write one to four numbers 0-65535 separated by dots, e.g. \"5.5.2502.0\"")
        }
        self = version
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
