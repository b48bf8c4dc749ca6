/// One `String` structure of a `StringTable`: a key such as "FileVersion" and its text.
public struct StringEntry: Sendable, Hashable, Codable {
    /// `szKey`: "CompanyName", "FileVersion", "ProductName"...
    public var key: String
    /// `Value`, up to the first NUL (the stored length may count the NUL or not).
    public var value: String

    /// Creates an entry.
    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}
