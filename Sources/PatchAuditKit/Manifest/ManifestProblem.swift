/// One thing wrong with a manifest, as `patchaudit manifest lint` lists it: an error (the
/// manifest is refused, exit status 78) or a warning (it is used, but something deserves a look).
public struct ManifestProblem: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable, Codable {
        case error, warning
    }

    public var severity: Severity
    /// The manifest file, as named.
    public var file: String
    /// JSON path of the value concerned (`$.files[2].builds[0].sha256`), nil when the file could not be read.
    public var jsonPath: String?
    /// What is wrong and what to write instead.
    public var message: String

    public init(_ severity: Severity, file: String, jsonPath: String?, message: String) {
        self.severity = severity
        self.file = file
        self.jsonPath = jsonPath
        self.message = message
    }

    init(_ error: ManifestError) {
        self.init(.error, file: error.file, jsonPath: error.jsonPath, message: error.message)
    }

    /// `file: $.path: error: message`, as compilers print diagnostics.
    public var description: String {
        "\(file): \(jsonPath.map { "\($0): " } ?? "")\(severity.rawValue): \(message)"
    }

    /// The same problem as an error that refuses the manifest.
    public var asError: ManifestError { ManifestError(file: file, jsonPath: jsonPath, message: message) }
}
