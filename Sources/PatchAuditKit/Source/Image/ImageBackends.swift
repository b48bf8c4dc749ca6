import CTSK
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// One file of an image (a raw segment), opened by patchaudit itself: read-only, no link
/// followed, checked to be a regular file before a byte is read.
final class ImageSegment {
    let descriptor: FileDescriptor
    /// Closes the descriptor when the segment goes; nil for the target, which its caller owns.
    private let owner: OwnedDescriptor?
    let size: Int64
    let name: String

    init(owner: consuming OwnedDescriptor, size: Int64, name: String) {
        descriptor = owner.raw
        self.owner = .some(owner)
        self.size = size
        self.name = name
    }

    /// The target itself, borrowed from the caller for the scan.
    init(borrowing descriptor: FileDescriptor, size: Int64, name: String) {
        self.descriptor = descriptor
        owner = nil
        self.size = size
        self.name = name
    }
}

/// A raw image (one file, or split into `.001`, `.002`...): read through patchaudit's own
/// descriptors with `pread`, so nothing but reads ever reaches the evidence.
final class RawSegmentsBackend: ImageBackend {
    let segments: [ImageSegment]
    /// Where each segment starts in the whole image.
    private let starts: [Int64]
    let size: Int64

    init(segments: [ImageSegment]) {
        self.segments = segments
        var starts: [Int64] = []
        var total: Int64 = 0
        for segment in segments {
            starts.append(total)
            total = total.addingReportingOverflow(segment.size).overflow ? .max : total + segment.size
        }
        self.starts = starts
        size = total
    }

    override func read(at offset: Int64, into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        var done = 0
        var position = offset
        while done < buffer.count, position < size {
            // The segment holding `position`: the last one starting at or before it.
            var low = 0, high = starts.count - 1
            while low < high {
                let middle = (low + high + 1) / 2
                if starts[middle] <= position { low = middle } else { high = middle - 1 }
            }
            let segment = segments[low]
            let within = position - starts[low]
            let want = Int(min(Int64(buffer.count - done), segment.size - within))
            guard want > 0 else { break }
            switch Syscalls.read(segment.descriptor, at: within, into: UnsafeMutableRawBufferPointer(rebasing: buffer[done..<(done + want)])) {
            case .failure:
                return nil
            case .success(let got):
                // A segment shorter than it was when the scan began: what is missing reads as an error.
                guard got > 0 else { return nil }
                done += got
                position += Int64(got)
            }
        }
        return done
    }
}

/// A QCOW2 image through libqcow (TSK 4.11 opens QCOW2 as raw and finds nothing). libqcow
/// opens the file read-only; a QCOW2 image that names a backing file is refused before this.
final class QcowBackend: ImageBackend {
    private var file: UnsafeMutablePointer<libqcow_file_t>?
    let size: Int64

    init(path: String) throws(SleuthKitError) {
        var handle: UnsafeMutablePointer<libqcow_file_t>?
        var error: UnsafeMutablePointer<libqcow_error_t>?
        func message(_ what: String) -> String {
            guard let error else { return what }
            var text = [CChar](repeating: 0, count: 512)
            libqcow_error_sprint(error, &text, text.count)
            var owned: UnsafeMutablePointer<libqcow_error_t>? = error
            libqcow_error_free(&owned)
            return "\(what): \(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))"
        }
        guard libqcow_file_initialize(&handle, &error) == 1, let handle else {
            throw SleuthKitError(message: message("libqcow could not start"))
        }
        guard libqcow_file_open(handle, path, Int32(LIBQCOW_ACCESS_FLAG_READ.rawValue), &error) == 1 else {
            var owned: UnsafeMutablePointer<libqcow_file_t>? = handle
            libqcow_file_free(&owned, nil)
            throw SleuthKitError(message: message("the QCOW2 image could not be opened"))
        }
        var mediaSize: size64_t = 0
        guard libqcow_file_get_media_size(handle, &mediaSize, &error) == 1, mediaSize <= UInt64(Int64.max) else {
            libqcow_file_close(handle, nil)
            var owned: UnsafeMutablePointer<libqcow_file_t>? = handle
            libqcow_file_free(&owned, nil)
            throw SleuthKitError(message: message("the QCOW2 image's size could not be read"))
        }
        file = handle
        size = Int64(mediaSize)
    }

    deinit {
        if let file {
            libqcow_file_close(file, nil)
            var owned: UnsafeMutablePointer<libqcow_file_t>? = file
            libqcow_file_free(&owned, nil)
        }
    }

    override func read(at offset: Int64, into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        guard let file, let base = buffer.baseAddress else { return 0 }
        let got = libqcow_file_read_buffer_at_offset(file, base, buffer.count, off64_t(offset), nil)
        return got < 0 ? nil : got
    }
}
