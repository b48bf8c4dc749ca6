/// Matches directory-entry names, as raw bytes, against a small set of file names,
/// ignoring ASCII case (`EMSMDB32.DLL`, `EmsMdb32.dll` and `emsmdb32.dll` all match).
///
/// Built for the walk's hot loop: no allocation per entry; a length and first-byte filter
/// rejects almost every name before any comparison.
public struct NameMatcher: Sendable {
    /// The names, lower case ASCII.
    public let names: [String]
    private let lowered: [[UInt8]]
    private var lengthMask: UInt64 = 0     // bit n set: some name has n bytes (n < 64)
    private var firstBytes = [Bool](repeating: false, count: 256)

    /// - Parameter names: file names to look for; compared case-insensitively (ASCII).
    public init(names: some Sequence<String>) {
        let unique = Set(names.map { String(decoding: lowercasedASCII(Array($0.utf8)), as: UTF8.self) })
        self.names = unique.sorted()
        lowered = self.names.map { Array($0.utf8) }
        for name in lowered where !name.isEmpty && name.count < 64 {
            lengthMask |= 1 << UInt64(name.count)
            firstBytes[Int(name[0])] = true
            if name[0] >= 0x61 && name[0] <= 0x7a { firstBytes[Int(name[0] & ~0x20)] = true }
        }
    }

    /// The lower-case name matched by `count` bytes at `name`, or nil.
    public func match(_ name: UnsafePointer<UInt8>, count: Int) -> String? {
        guard count > 0, count < 64, lengthMask & (1 << UInt64(count)) != 0, firstBytes[Int(name[0])] else {
            return nil
        }
        candidates: for (index, candidate) in lowered.enumerated() where candidate.count == count {
            for offset in 0..<count {
                var byte = name[offset]
                if byte >= 0x41 && byte <= 0x5a { byte |= 0x20 }
                if byte != candidate[offset] { continue candidates }
            }
            return names[index]
        }
        return nil
    }

    /// Convenience for names already in memory.
    public func match(_ name: some Collection<UInt8>) -> String? {
        Array(name).withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return nil }
            return match(base, count: buffer.count)
        }
    }
}
