/// A bounds-checked, little-endian reader over a window of a file image.
///
/// Every read checks `offset` and `offset + size` against the window with overflow-checked
/// arithmetic and throws ``ByteReader/OutOfBounds`` instead of trapping. Offsets are relative
/// to the window start; ``slice(_:_:)`` makes a narrower window without copying the bytes.
struct ByteReader: Sendable {
    /// A read that did not fit inside the window.
    struct OutOfBounds: Error, Sendable, Hashable {
        /// Window-relative offset of the failed read.
        var offset: Int
        /// Bytes the read wanted.
        var size: Int
        /// Size of the window.
        var limit: Int
    }

    /// The whole file image; shared, never copied.
    private let storage: [UInt8]
    /// Absolute start of this window in `storage`.
    let base: Int
    /// Number of bytes in this window.
    let count: Int

    /// A window over all of `bytes`.
    init(_ bytes: [UInt8]) {
        storage = bytes
        base = 0
        count = bytes.count
    }

    private init(storage: [UInt8], base: Int, count: Int) {
        self.storage = storage
        self.base = base
        self.count = count
    }

    /// Whether `size` bytes starting at `offset` lie inside the window.
    func contains(_ offset: Int, _ size: Int) -> Bool {
        guard offset >= 0, size >= 0, let end = OffsetMath.add(offset, size) else { return false }
        return end <= count
    }

    /// Bytes available from `offset` to the end of the window (0 when `offset` is outside).
    func available(from offset: Int) -> Int {
        guard offset >= 0, offset <= count else { return 0 }
        return count - offset
    }

    private func absolute(_ offset: Int, _ size: Int) throws(OutOfBounds) -> Int {
        guard contains(offset, size) else { throw OutOfBounds(offset: offset, size: size, limit: count) }
        // offset + size <= count and base + count <= storage.count, so this cannot overflow.
        return base + offset
    }

    /// Reads one byte.
    func u8(_ offset: Int) throws(OutOfBounds) -> UInt8 {
        let index = try absolute(offset, 1)
        return storage[index]
    }

    /// Reads a little-endian 16-bit word.
    func u16(_ offset: Int) throws(OutOfBounds) -> UInt16 {
        let index = try absolute(offset, 2)
        return UInt16(storage[index]) | UInt16(storage[index + 1]) << 8
    }

    /// Reads a little-endian 32-bit double word.
    func u32(_ offset: Int) throws(OutOfBounds) -> UInt32 {
        let index = try absolute(offset, 4)
        return UInt32(storage[index]) | UInt32(storage[index + 1]) << 8
            | UInt32(storage[index + 2]) << 16 | UInt32(storage[index + 3]) << 24
    }

    /// Copies `size` bytes starting at `offset`.
    func bytes(_ offset: Int, _ size: Int) throws(OutOfBounds) -> ArraySlice<UInt8> {
        let index = try absolute(offset, size)
        return storage[index..<(index + size)]
    }

    /// A narrower window of `size` bytes starting at `offset`, sharing the same storage.
    func slice(_ offset: Int, _ size: Int) throws(OutOfBounds) -> ByteReader {
        let index = try absolute(offset, size)
        return ByteReader(storage: storage, base: index, count: size)
    }

    /// The window clipped to at most `size` bytes from `offset` (empty when `offset` is outside).
    func clippedSlice(_ offset: Int, _ size: Int) -> ByteReader {
        let usable = min(max(size, 0), available(from: offset))
        guard usable > 0 else { return ByteReader(storage: storage, base: base, count: 0) }
        return ByteReader(storage: storage, base: base + offset, count: usable)
    }

    /// Reads little-endian UTF-16 code units from `offset` up to (not including) the first NUL
    /// or `end`, whichever comes first.
    ///
    /// Returns the units and whether a NUL terminator was found before `end`.
    func utf16Units(from offset: Int, to end: Int) -> (units: [UInt16], terminated: Bool) {
        var units: [UInt16] = []
        var position = offset
        let stop = min(end, count)
        while position >= 0, position + 2 <= stop {
            guard let unit = try? u16(position) else { break }
            if unit == 0 { return (units, true) }
            units.append(unit)
            position += 2
        }
        return (units, false)
    }

    /// Reads single-byte characters from `offset` up to the first NUL or `end`.
    func byteString(from offset: Int, to end: Int) -> (bytes: [UInt8], terminated: Bool) {
        var result: [UInt8] = []
        var position = offset
        let stop = min(end, count)
        while position >= 0, position < stop {
            guard let byte = try? u8(position) else { break }
            if byte == 0 { return (result, true) }
            result.append(byte)
            position += 1
        }
        return (result, false)
    }
}
