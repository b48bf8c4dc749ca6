import Foundation

/// Finds the manifests that ship with patchaudit (`Manifests/*.json`), the same way for
/// `make run`, `swift run`, a test and an installed binary.
///
/// Looked for, in order:
/// 1. `$PATCHAUDIT_MANIFEST_DIR`, when set;
/// 2. `<prefix>/share/patchaudit/manifests` beside an installed `<prefix>/bin/patchaudit`;
/// 3. the source checkout the executable was built in: the nearest folder above the
///    executable that holds both `Package.swift` and `Manifests/` (binaries under `.build/`).
///    A stray `Manifests/` folder elsewhere above the binary (`/tmp/Manifests`) is never used.
/// `*.schema.json` files are not manifests and are skipped.
public enum ShippedManifests {
    /// The folder holding the shipped manifests, or nil with the places tried.
    public static func directory(environment: [String: String] = ProcessInfo.processInfo.environment,
                                 executable: String? = executablePath()) -> Result<String, ManifestError> {
        var tried: [String] = []
        if let override = environment["PATCHAUDIT_MANIFEST_DIR"], !override.isEmpty {
            if isDirectory(override) { return .success(override) }
            return .failure(ManifestError(file: override, jsonPath: nil, message: "PATCHAUDIT_MANIFEST_DIR names no folder; point it at the folder holding the manifests"))
        }
        if let executable {
            let binDirectory = URL(fileURLWithPath: executable).deletingLastPathComponent()
            let installed = binDirectory.deletingLastPathComponent().appendingPathComponent("share/patchaudit/manifests").path
            tried.append(installed)
            if isDirectory(installed) { return .success(installed) }
            var folder = binDirectory
            for _ in 0..<12 {
                let candidate = folder.appendingPathComponent("Manifests").path
                tried.append(candidate)
                if FileManager.default.fileExists(atPath: folder.appendingPathComponent("Package.swift").path) {
                    if isDirectory(candidate) { return .success(candidate) }
                    break
                }
                let parent = folder.deletingLastPathComponent()
                if parent.path == folder.path { break }
                folder = parent
            }
        }
        return .failure(ManifestError(file: "(shipped manifests)", jsonPath: nil,
            message: "not found; looked in \(tried.joined(separator: ", ")); set PATCHAUDIT_MANIFEST_DIR or pass --manifest FILE"))
    }

    /// The manifest files in `directory`, sorted by name.
    public static func paths(in directory: String) throws(ManifestError) -> [String] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw ManifestError(file: directory, jsonPath: nil, message: "could not be listed: \(error.localizedDescription)")
        }
        let manifests = names.filter { $0.hasSuffix(".json") && !$0.hasSuffix(".schema.json") }.sorted()
        guard !manifests.isEmpty else {
            throw ManifestError(file: directory, jsonPath: nil, message: "holds no manifest (*.json); pass --manifest FILE")
        }
        return manifests.map { directory + "/" + $0 }
    }

    /// The running executable, resolved (`/proc/self/exe` on Linux).
    public static func executablePath() -> String? {
        #if os(Linux)
        if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return resolved }
        #endif
        return Bundle.main.executablePath
    }

    private static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
