@_spi(Fuzzing) import PatchAuditKit

// libFuzzer's entry point; built by scripts/fuzz.sh with libFuzzer and AddressSanitizer (see Fuzz/README.md).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzEntryPoints.image(UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size))
    return 0
}
