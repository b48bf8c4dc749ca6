/// Text helpers of the PE reader: how problem details print numbers, how keys are compared.
enum PEText {
    /// "0x1c400": lower-case hexadecimal with a 0x prefix, as problem details print offsets.
    static func hex(_ value: some BinaryInteger) -> String {
        "0x" + String(value, radix: 16)
    }

    /// `text` with A-Z mapped to a-z and everything else unchanged (key comparison the way
    /// `VerQueryValue` ignores case).
    static func asciiLowercased(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { scalar in
            (0x41...0x5A).contains(scalar.value) ? Unicode.Scalar(scalar.value + 0x20) ?? scalar : scalar
        }))
    }
}
