/// One Windows installation found in a target: a system folder with the Outlook folder(s) it
/// pairs with, or a partial copy holding only one of them.
public struct Installation: Sendable, Hashable {
    /// The Windows folder (`WINDOWS`, `WINNT40`), parent of the system folder; nil when the
    /// system folder is the target's root or there is none.
    public var windowsFolder: ScanPath?
    /// The system folder (`WINDOWS/SYSTEM`, `WINNT/SYSTEM32`), or nil for an Outlook-only copy.
    public var systemFolder: ScanPath?
    /// The Outlook folders paired with it (usually one).
    public var outlookFolders: [ScanPath]
    /// The matched files inside those folders.
    public var files: [InventoryItem]

    /// Whether the system folder is Windows NT's `System32`.
    public var isWindowsNT: Bool {
        guard let systemFolder else { return false }
        return systemFolder.lowercasedName == "system32"
    }

    /// A stable name for reports: the system folder, else the first Outlook folder.
    public var id: String {
        if let systemFolder { return systemFolder.isRoot ? "." : systemFolder.display }
        if let first = outlookFolders.first { return first.isRoot ? "." : first.display }
        return "."
    }
}

/// The installations of a target and the matched files that belong to none (stray copies).
public struct InstallationLayout: Sendable, Hashable {
    public var installations: [Installation]
    public var stray: [InventoryItem]
    /// Set when grouping stopped at its bound (see ``InstallationGrouper``).
    public var limitHit: LimitHit?

    public init(installations: [Installation], stray: [InventoryItem], limitHit: LimitHit? = nil) {
        self.installations = installations
        self.stray = stray
        self.limitHit = limitHit
    }
}
