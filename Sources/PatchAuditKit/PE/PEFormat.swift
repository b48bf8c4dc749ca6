/// Which optional header an image carries (`IMAGE_OPTIONAL_HEADER.Magic`).
public enum PEFormat: String, Sendable, Hashable, Codable {
    /// Magic 0x10b, `IMAGE_OPTIONAL_HEADER32`: 32-bit images.
    case pe32
    /// Magic 0x20b, `IMAGE_OPTIONAL_HEADER64`: 64-bit images.
    case pe32Plus

    /// The `Magic` value of this format.
    public var magic: UInt16 {
        switch self {
        case .pe32: return 0x10b
        case .pe32Plus: return 0x20b
        }
    }
}
