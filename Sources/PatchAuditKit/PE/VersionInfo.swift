/// One `RT_VERSION` resource: the `VS_VERSIONINFO` block with its `VS_FIXEDFILEINFO`,
/// `StringFileInfo` tables and `VarFileInfo\Translation` list.
public struct VersionInfo: Sendable, Hashable, Codable {
    /// Language id of the `RT_VERSION` resource entry (third level of the resource tree), e.g. 0x0409.
    public var resourceLanguage: UInt16
    /// Numeric id of the resource (second level of the tree, normally 1 = `VS_VERSION_INFO`);
    /// nil when the entry is named (see ``resourceName``).
    public var resourceID: UInt16?
    /// Name of the resource when the second-level entry is a string rather than an id.
    public var resourceName: String?
    /// `IMAGE_RESOURCE_DATA_ENTRY.CodePage` of the resource data (usually 0).
    public var resourceCodePage: UInt32
    /// The `VS_FIXEDFILEINFO` value; nil when it is absent or its signature is not 0xFEEF04BD.
    public var fixed: FixedFileInfo?
    /// Every `StringTable` under `StringFileInfo`, in file order.
    public var stringTables: [StringTable]
    /// The `VarFileInfo\Translation` pairs, in file order.
    public var translations: [Translation]

    /// Creates a version resource description; ``PEReader/read(_:)`` is the usual source.
    public init(resourceLanguage: UInt16, resourceID: UInt16? = 1, resourceName: String? = nil,
                resourceCodePage: UInt32 = 0, fixed: FixedFileInfo?,
                stringTables: [StringTable] = [], translations: [Translation] = []) {
        self.resourceLanguage = resourceLanguage
        self.resourceID = resourceID
        self.resourceName = resourceName
        self.resourceCodePage = resourceCodePage
        self.fixed = fixed
        self.stringTables = stringTables
        self.translations = translations
    }

    /// The first string table's value for `key` ("FileVersion", "CompanyName"...).
    ///
    /// Looks only at the first `StringTable` in file order; an exact key match wins, otherwise
    /// the first key equal ignoring ASCII case (as `VerQueryValue` compares). Returns nil when
    /// there is no table or the first table has no such key.
    public func string(_ key: String) -> String? {
        stringTables.first?.value(for: key)
    }

    /// The value for `key` in the table whose key is `tableKey` ("040904e4", compared ignoring
    /// ASCII case); nil when there is no such table or key.
    public func string(_ key: String, inTable tableKey: String) -> String? {
        let wanted = PEText.asciiLowercased(tableKey)
        return stringTables.first { PEText.asciiLowercased($0.key) == wanted }?.value(for: key)
    }
}
