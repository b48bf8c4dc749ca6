/// One `StringTable` under `StringFileInfo`: the strings of one language and code page.
public struct StringTable: Sendable, Hashable, Codable {
    /// The table's key as stored, typically 8 hex digits, language then code page: "040904e4".
    public var key: String
    /// The `String` children, in file order.
    public var entries: [StringEntry]

    /// Creates a table.
    public init(key: String, entries: [StringEntry]) {
        self.key = key
        self.entries = entries
    }

    /// The value of the first entry whose key is `key`; failing that, of the first whose key
    /// equals it ignoring ASCII case. Nil when neither exists.
    public func value(for key: String) -> String? {
        if let exact = entries.first(where: { $0.key == key }) { return exact.value }
        let wanted = PEText.asciiLowercased(key)
        return entries.first { PEText.asciiLowercased($0.key) == wanted }?.value
    }
}
