/// Groups a target's matched files into installations.
///
/// The rules (documented in the README, "How installations are found"):
/// 1. A **system folder** is a folder named `SYSTEM` or `SYSTEM32` (any case) that holds a file
///    the manifests place in the system folder (`Ems*.dll`, `Mspst32.dll`, ...). The target's
///    root counts too, for a zip of `\Windows\System` alone. Its parent is the Windows folder
///    (any name: `WIN95`, `WINNT40`); the Windows folder's parent is the *volume*.
/// 2. An **Outlook folder** holds `Outllib.dll` (the library the patch replaces) beside
///    `Outlook.exe`, or holds `Outllib.dll` and is named `Office` or `Microsoft Outlook`
///    (Office 97 / stand-alone Outlook), or is the target's root. A lone `Outlook.exe` (a backup
///    copy, a setup folder) does not make an Outlook folder: it stays a stray copy.
/// 3. Each system folder pairs with every Outlook folder on its volume (beneath the volume
///    folder). A dual-boot disk with one shared `Program Files` thus gives two installations
///    sharing one Outlook folder, each with its own verdict.
/// 4. Outlook folders that pair with no system folder are Outlook-only installations (a zip of
///    Program Files); system folders without an Outlook folder are system-only installations.
/// 5. Matched files in no such folder (backups, setup folders) are stray copies: listed, never
///    part of a verdict.
///
/// Pairing repeats an Outlook folder's files in every installation it pairs with, so a copy
/// built for it (hundreds of `SYSTEM` folders beside hundreds of `Office` folders) would ask for
/// millions of findings. The files judged across all installations are bounded
/// (`maxJudgedFiles`); past the bound no further installation is formed, its files stay stray
/// copies, and the layout says which limit was hit.
public enum InstallationGrouper {
    static let systemFolderNames: Set<String> = ["system", "system32"]
    static let outlookFolderNames: Set<String> = ["office", "microsoft outlook"]

    /// - Parameters:
    ///   - items: the matched files of one target.
    ///   - locations: where each (lower-case) file name belongs, from the manifests.
    ///   - programName: the file that marks an Outlook folder by itself (`outlook.exe`).
    ///   - maxJudgedFiles: files judged across all installations, at most.
    public static func group(_ items: [InventoryItem], locations: [String: Manifest.Location],
                             programName: String = "outlook.exe", maxJudgedFiles: Int = 10_000) -> InstallationLayout {
        var byFolder: [ScanPath: [InventoryItem]] = [:]
        for item in items { byFolder[item.path.parent, default: []].append(item) }

        var systemFolders: [ScanPath] = []
        var outlookFolders: [ScanPath] = []
        for (folder, folderItems) in byFolder {
            let folderName = folder.lowercasedName
            let holdsSystemFile = folderItems.contains { locations[$0.name] == .system }
            if holdsSystemFile && (folder.isRoot || systemFolderNames.contains(folderName)) {
                systemFolders.append(folder)
            }
            let holdsProgram = folderItems.contains { $0.name == programName }
            let holdsLibrary = folderItems.contains { locations[$0.name] == .outlook && $0.name != programName }
            if holdsLibrary && (holdsProgram || folder.isRoot || outlookFolderNames.contains(folderName)) {
                outlookFolders.append(folder)
            }
        }
        systemFolders.sort()
        outlookFolders.sort()

        var paired = Set<ScanPath>()
        var installations: [Installation] = []
        var judged = 0
        var limit: LimitHit?
        func fits(_ folders: [ScanPath], beside first: ScanPath) -> Bool {
            let count = folders.reduce(0) { $0 + (byFolder[$1]?.count ?? 0) }
            guard judged + count <= maxJudgedFiles else {
                limit = limit ?? LimitHit(limit: "max-judged-files", value: Int64(maxJudgedFiles),
                    detail: "pairing each system folder with every Outlook folder on its volume would judge more than \(maxJudgedFiles) files (\(systemFolders.count) system folders, \(outlookFolders.count) Outlook folders); installations from \(first.display) on were not formed and their files are listed as stray copies")
                return false
            }
            judged += count
            return true
        }
        for system in systemFolders {
            let windows: ScanPath? = system.isRoot ? nil : system.parent
            let volume = windows?.parent ?? .root
            let outlooks = outlookFolders.filter { $0.isWithin(volume) }
            guard limit == nil, fits(outlooks + [system], beside: system) else { break }
            paired.formUnion(outlooks)
            installations.append(Installation(windowsFolder: windows, systemFolder: system, outlookFolders: outlooks, files: []))
        }
        for outlook in outlookFolders where !paired.contains(outlook) {
            guard limit == nil, fits([outlook], beside: outlook) else { break }
            installations.append(Installation(windowsFolder: nil, systemFolder: nil, outlookFolders: [outlook], files: []))
        }

        var claimed = Set<ScanPath>()
        for index in installations.indices {
            var folders = installations[index].outlookFolders
            if let system = installations[index].systemFolder, !folders.contains(system) { folders.append(system) }
            var files: [InventoryItem] = []
            for folder in folders {
                let isSystem = folder == installations[index].systemFolder
                let isOutlook = installations[index].outlookFolders.contains(folder)
                for item in byFolder[folder] ?? [] {
                    let fits: Bool
                    switch locations[item.name] ?? .any {
                    case .any: fits = true
                    case .system: fits = isSystem
                    case .outlook: fits = isOutlook
                    }
                    if fits {
                        files.append(item)
                        claimed.insert(item.path)
                    }
                }
            }
            installations[index].files = files.sorted { $0.path < $1.path }
        }
        let stray = items.filter { !claimed.contains($0.path) }.sorted { $0.path < $1.path }
        return InstallationLayout(installations: installations, stray: stray, limitHit: limit)
    }
}
