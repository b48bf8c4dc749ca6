/// Facts about this build of patchaudit.
public enum PatchAudit {
    /// The program's version (semantic versioning).
    public static let version = "0.1.0"
}
