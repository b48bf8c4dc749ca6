internal import CLibDeflate

/// One libdeflate decompressor (`struct libdeflate_decompressor *`), owned: allocated in
/// ``make()``, freed in `deinit` and nowhere else, with the buffer the compressed bytes are read
/// into. Not Sendable: one scan, one thread; a scan makes one and reuses it for every entry.
///
/// libdeflate inflates a whole buffer at once (`libdeflate_deflate_decompress_ex`) into a
/// buffer the caller sizes; it never writes past it, and says how much it read and wrote.
final class ZipInflater {
    private let handle: OpaquePointer
    /// Where compressed bytes are read to: grown as entries need, never above what the caller
    /// bounds (an entry's compressed size, itself within `--max-file-size` and the zip).
    private var input: UnsafeMutableRawBufferPointer

    private init(handle: OpaquePointer) {
        self.handle = handle
        input = .allocate(byteCount: 64 << 10, alignment: 16)
    }

    deinit {
        libdeflate_free_decompressor(handle)
        input.deallocate()
    }

    /// A decompressor, or nil when libdeflate could not allocate one (out of memory).
    static func make() -> ZipInflater? {
        guard let handle = libdeflate_alloc_decompressor() else { return nil }
        return ZipInflater(handle: handle)
    }

    /// A buffer of at least `count` bytes for compressed input, valid until the next call.
    func inputBuffer(count: Int) -> UnsafeMutableRawBufferPointer {
        if input.count < count {
            input.deallocate()
            input = .allocate(byteCount: max(count, input.count * 2), alignment: 16)
        }
        return UnsafeMutableRawBufferPointer(rebasing: input[0..<count])
    }

    /// What one inflate gave.
    enum Result: Equatable {
        /// The stream ended after reading `consumed` bytes of the input and writing `produced`.
        case inflated(consumed: Int, produced: Int)
        /// The bytes are not a valid DEFLATE stream (`LIBDEFLATE_BAD_DATA`).
        case badData
        /// The stream produces more than the output holds (`LIBDEFLATE_INSUFFICIENT_SPACE`).
        case insufficientSpace
    }

    /// Inflates the raw DEFLATE stream in `source` into `output`.
    func inflate(_ source: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Result {
        var consumed = 0, produced = 0
        // An empty buffer may have no address; libdeflate takes any pointer for zero bytes.
        let status = libdeflate_deflate_decompress_ex(handle, source.baseAddress ?? UnsafeRawPointer(input.baseAddress), source.count,
                                                      output.baseAddress ?? input.baseAddress, output.count, &consumed, &produced)
        switch status {
        case LIBDEFLATE_SUCCESS: return .inflated(consumed: consumed, produced: produced)
        case LIBDEFLATE_INSUFFICIENT_SPACE: return .insufficientSpace
        default: return .badData
        }
    }

    /// The CRC-32 (ISO 3309, as zip records it) of `bytes` (`libdeflate_crc32`).
    static func crc32(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return 0 }
        return UInt32(libdeflate_crc32(0, base, bytes.count))
    }
}
