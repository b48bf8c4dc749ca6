/// Lower-case hexadecimal forms used in reports and messages.
public enum Hex {
    /// `value` as exactly `digits` lower-case hex digits, zero-padded ("0409", "040904e4").
    public static func padded(_ value: some BinaryInteger, digits: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }

    /// A 32-bit value as `0x` and 8 digits ("0x0008ea7b"), as checksums are shown.
    public static func word(_ value: UInt32) -> String { "0x" + padded(value, digits: 8) }
}

/// A 16-bit value as 4 lower-case hex digits ("0409").
func hex4(_ value: UInt16) -> String { Hex.padded(value, digits: 4) }
