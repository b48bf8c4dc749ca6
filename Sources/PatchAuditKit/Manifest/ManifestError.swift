/// A manifest that cannot be used: unreadable, not JSON, or not a valid version-1 manifest.
/// Nothing is scanned when any manifest is refused (exit status 78).
public struct ManifestError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The manifest file, as named.
    public var file: String
    /// JSON path of the offending value (`$.files[2].patchedVersion`), `$` for the whole
    /// document, or nil when the file could not be read at all.
    public var jsonPath: String?
    /// What is wrong and what to write instead.
    public var message: String

    public init(file: String, jsonPath: String? = "$", message: String) {
        self.file = file
        self.jsonPath = jsonPath
        self.message = message
    }

    public var description: String {
        guard let jsonPath else { return "\(file): \(message)" }
        return "\(file): \(jsonPath): \(message)"
    }
}
