/// One entry of the section table (`IMAGE_SECTION_HEADER`), the fields that place it in the
/// file and in memory.
public struct PESection: Sendable, Hashable, Codable {
    /// `Name`: up to 8 bytes, NUL padding removed (".text", ".rsrc"); bytes above 0x7F read as "?".
    public var name: String
    /// `VirtualAddress`: RVA of the section when mapped.
    public var virtualAddress: UInt32
    /// `VirtualSize` (`Misc.VirtualSize`): size when mapped; 0 in some old images.
    public var virtualSize: UInt32
    /// `PointerToRawData`: file offset of the section's data.
    public var pointerToRawData: UInt32
    /// `SizeOfRawData`: bytes of the section's data in the file.
    public var sizeOfRawData: UInt32
    /// `Characteristics`: `IMAGE_SCN_*` flags.
    public var characteristics: UInt32

    /// Creates a section description from the `IMAGE_SECTION_HEADER` fields.
    public init(name: String, virtualAddress: UInt32, virtualSize: UInt32,
                pointerToRawData: UInt32, sizeOfRawData: UInt32, characteristics: UInt32) {
        self.name = name
        self.virtualAddress = virtualAddress
        self.virtualSize = virtualSize
        self.pointerToRawData = pointerToRawData
        self.sizeOfRawData = sizeOfRawData
        self.characteristics = characteristics
    }
}
