/// A target name compared by its UTF-8 bytes.
///
/// Swift's `String` equality is Unicode canonical equivalence: `café` written with U+00E9 and
/// with `e` + U+0301 are equal strings, yet two different files on Linux, whose file names
/// are bytes. Sets and dictionaries of targets (duplicates, resume, merge) use this instead.
public struct ExactName: Hashable, Sendable {
    public let text: String

    public init(_ text: String) {
        self.text = text
    }

    public static func == (lhs: ExactName, rhs: ExactName) -> Bool {
        lhs.text.utf8.elementsEqual(rhs.text.utf8)
    }

    public func hash(into hasher: inout Hasher) {
        for byte in text.utf8 { hasher.combine(byte) }
        hasher.combine(text.utf8.count)
    }
}
