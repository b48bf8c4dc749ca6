/// The binary part of a version resource: `VS_FIXEDFILEINFO` (signature 0xFEEF04BD).
public struct FixedFileInfo: Sendable, Hashable, Codable {
    /// `dwFileVersionMS`/`dwFileVersionLS`: the file version Windows compares.
    public var fileVersion: FileVersion
    /// `dwProductVersionMS`/`dwProductVersionLS`.
    public var productVersion: FileVersion
    /// `dwFileFlagsMask`: which bits of ``fileFlags`` are valid.
    public var fileFlagsMask: UInt32
    /// `dwFileFlags`: `VS_FF_DEBUG` 0x1, `VS_FF_PRERELEASE` 0x2, `VS_FF_PATCHED` 0x4,
    /// `VS_FF_PRIVATEBUILD` 0x8, `VS_FF_INFOINFERRED` 0x10, `VS_FF_SPECIALBUILD` 0x20.
    public var fileFlags: UInt32
    /// `dwFileOS`: `VOS_NT_WINDOWS32` 0x40004, `VOS__WINDOWS32` 0x4...
    public var fileOS: UInt32
    /// `dwFileType`: `VFT_APP` 1, `VFT_DLL` 2, `VFT_DRV` 3...
    public var fileType: UInt32
    /// `dwFileSubtype`: for drivers and fonts.
    public var fileSubtype: UInt32
    /// `dwStrucVersion`: the structure's version, 0x00010000 in practice.
    public var structureVersion: UInt32
    /// `dwFileDateMS` << 32 | `dwFileDateLS`: almost always 0.
    public var fileDate: UInt64

    /// Creates a fixed file info from its fields.
    public init(fileVersion: FileVersion, productVersion: FileVersion, fileFlagsMask: UInt32 = 0x3F,
                fileFlags: UInt32 = 0, fileOS: UInt32 = 0x40004, fileType: UInt32 = 2,
                fileSubtype: UInt32 = 0, structureVersion: UInt32 = 0x0001_0000, fileDate: UInt64 = 0) {
        self.fileVersion = fileVersion
        self.productVersion = productVersion
        self.fileFlagsMask = fileFlagsMask
        self.fileFlags = fileFlags
        self.fileOS = fileOS
        self.fileType = fileType
        self.fileSubtype = fileSubtype
        self.structureVersion = structureVersion
        self.fileDate = fileDate
    }

    /// `VS_FIXEDFILEINFO.dwSignature`.
    public static let signature: UInt32 = 0xFEEF_04BD
    /// Size of `VS_FIXEDFILEINFO` in bytes (13 DWORDs).
    public static let size = 52
}
