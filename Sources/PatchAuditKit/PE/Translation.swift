/// One language/code page pair of `VarFileInfo\Translation` (a `Var` structure's value).
public struct Translation: Sendable, Hashable, Codable {
    /// Language id (LANGID), the pair's first WORD: 0x0409 US English.
    public var language: UInt16
    /// Code page, the pair's second WORD: 1252 Windows Latin 1, 1200 Unicode.
    public var codePage: UInt16

    /// Creates a pair.
    public init(language: UInt16, codePage: UInt16) {
        self.language = language
        self.codePage = codePage
    }

    /// 8 lower-case hex digits, language then code page ("040904e4"): the `StringTable` key
    /// this pair names.
    public var hex: String { hex4(language) + hex4(codePage) }

}
