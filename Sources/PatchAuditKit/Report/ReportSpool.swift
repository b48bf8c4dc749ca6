import Foundation
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// Rendered parts of a report that must wait for the run's totals (JUnit's counts come first
/// in the file): kept in memory up to ``memoryLimit``, then in an anonymous file, so a run's
/// memory does not grow with its targets.
///
/// The file is opened with `O_TMPFILE` in `TMPDIR` (else `/tmp`, else `/var/tmp`): it has no
/// name, only this process can reach it, and it is gone when the process ends, however it
/// ends. It holds patchaudit's own output, never bytes of the evidence. Where no such folder
/// can hold a file, the parts stay in memory.
final class ReportSpool {
    static let memoryLimit = 1 << 20
    private var buffer = Data()
    private var file: OwnedDescriptor?
    private var fileSize: Int64 = 0

    init() {}

    /// Whether parts went to the temporary file.
    var spilled: Bool { file != nil }

    /// Adds `data` at the end.
    func append(_ data: Data) throws {
        buffer.append(data)
        guard buffer.count >= Self.memoryLimit else { return }
        if file == nil { file = Self.anonymousFile() }
        guard let descriptor = file?.raw else { return }
        if case .failure(let error) = Syscalls.write(descriptor, buffer) {
            throw SpoolError(message: "cannot keep the report's parts in a temporary file in \(Self.folder): \(error); free some space there or set TMPDIR to another folder")
        }
        fileSize += Int64(buffer.count)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Hands everything appended to `emit`, in order, in chunks of at most ``memoryLimit``
    /// bytes, and empties the spool.
    func drain(_ emit: (Data) throws -> Void) throws {
        if let descriptor = file?.raw {
            var offset: Int64 = 0
            var chunk = Data(count: Self.memoryLimit)
            while offset < fileSize {
                let wanted = Int(min(Int64(Self.memoryLimit), fileSize - offset))
                let result = chunk.withUnsafeMutableBytes { Syscalls.read(descriptor, at: offset, into: UnsafeMutableRawBufferPointer(rebasing: $0[..<wanted])) }
                guard case .success(let got) = result, got == wanted else {
                    throw SpoolError(message: "cannot read back the report's parts from the temporary file in \(Self.folder)")
                }
                try emit(chunk.prefix(got))
                offset += Int64(got)
            }
        }
        if !buffer.isEmpty { try emit(buffer) }
        buffer = Data()
        file = nil
        fileSize = 0
    }

    static var folder: String { ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp" }

    /// An unnamed file in ``folder``, else in /tmp or /var/tmp: made with `O_TMPFILE`, or where
    /// the file system has none, made with `mkstemp` and unlinked at once. Nil when none of
    /// them can hold one (the parts then stay in memory).
    static func anonymousFile() -> OwnedDescriptor? {
        for place in [folder, "/tmp", "/var/tmp"] {
            #if os(Linux)
            // O_TMPFILE is __O_TMPFILE | O_DIRECTORY; Glibc does not export it to Swift.
            let temporaryFile: Int32 = 0o20000000 | O_DIRECTORY
            if case .success(let file) = Syscalls.create(path: place, flags: O_RDWR | temporaryFile, mode: 0o600) { return file }
            #endif
            var template = Array((place + "/.patchaudit-spool-XXXXXX").utf8CString)
            let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            if descriptor >= 0 {
                _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
                template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
                return OwnedDescriptor(taking: FileDescriptor(rawValue: descriptor))
            }
        }
        return nil
    }

    struct SpoolError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}
