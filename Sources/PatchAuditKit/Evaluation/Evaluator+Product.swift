extension Evaluator {
    /// Identifies the product release from the Outlook folder(s) and checks the patch's
    /// prerequisites (release, language). Adds its reasons; returns what it identified.
    func identifyProduct(_ installation: Installation, reasons: inout [Reason]) -> ProductFinding? {
        let product = manifest.product
        guard !installation.outlookFolders.isEmpty else {
            reasons.append(Reason(rule: "no-outlook-folder", verdict: .review,
                message: "the copy holds provider files but no Outlook folder (Outlook.exe, Outllib.dll); \(product.name) and the products that share these \(installation.isWindowsNT ? "System32" : "System") files cannot be told apart without it; scan a copy that includes Program Files",
                found: "no Outlook.exe or Outllib.dll", expected: "\(product.name) \(product.family.from) ..< \(product.family.below)"))
            return nil
        }
        let identifying = manifest.files.filter(\.identifiesProduct)
        let programNames = Set(identifying.filter { !$0.installedByPatch }.map(\.name))
        let standInRules = identifying.filter(\.installedByPatch)
        let outlookItems = installation.files.filter { installation.outlookFolders.contains($0.path.parent) }
        let programs = outlookItems.filter { programNames.contains($0.name) && $0.fileVersion != nil }
        let standIns = outlookItems.filter { item in standInRules.contains { $0.name == item.name } && item.fileVersion != nil }
        let usingStandIn = programs.isEmpty
        let sources = (usingStandIn ? standIns : programs).sorted { $0.path < $1.path }
        guard let first = sources.first, let version = first.fileVersion else {
            let names = identifying.map(\.name).joined(separator: " or ")
            reasons.append(Reason(rule: "product-unknown", verdict: .review,
                message: "no readable version in \(names) in \(installation.outlookFolders.map { $0.isRoot ? "the target's root" : $0.display }.joined(separator: ", ")); the release cannot be told",
                found: "no readable version", expected: names))
            return nil
        }
        var finding = ProductFinding(name: nil, version: version.description, source: first.path.display,
                                     language: first.language.map(hex4))
        let versions = Set(sources.compactMap(\.fileVersion))
        if versions.count > 1 {
            // Copies naming different releases (two Outlook folders on one volume): a person must
            // decide, whichever product each names - never let one of them make it not-applicable.
            reasons.append(Reason(rule: "copies-disagree", verdict: .review,
                message: "the copies of \(first.name) disagree on the release (\(sources.map { "\($0.path.display): \($0.fileVersion?.description ?? "?")" }.joined(separator: ", "))); a person must decide which one is in use",
                found: versions.sorted().map(\.description).joined(separator: ", "), path: first.path.display))
            return finding
        }
        if let other = product.otherProducts.first(where: { $0.family.contains(version) }) {
            finding.name = other.name
            reasons.append(Reason(rule: "other-product", verdict: .notApplicable,
                message: "\(first.path.display) is \(version), which is \(other.name); \(manifest.patch.file) is for \(product.name)",
                found: "\(other.name) \(version)", expected: "\(product.name) \(product.family.from) ..< \(product.family.below)",
                path: first.path.display))
            return finding
        }
        guard product.family.contains(version) else {
            reasons.append(Reason(rule: "product-unknown-version", verdict: .review,
                message: "\(first.path.display) is \(version), which is neither \(product.name) nor a product this manifest knows; a person must identify it",
                found: version.description, expected: "\(product.name) \(product.family.from) ..< \(product.family.below)",
                path: first.path.display))
            return finding
        }
        if let release = product.releases.first(where: { $0.version == version }) {
            finding.name = release.name
            if let prerequisite = release.prerequisiteMissing {
                reasons.append(Reason(rule: "prerequisite-missing", verdict: .blocked,
                    message: "\(release.name) (\(version)) is installed: \(prerequisite)",
                    found: "\(release.name) \(version)", expected: product.releases.first { $0.prerequisiteMissing == nil }.map { "\($0.name) (\($0.version)) or later" },
                    path: first.path.display))
            }
        } else if usingStandIn, let rule = standInRules.first(where: { $0.name == first.name }),
                  let patched = rule.patchedVersion, version >= patched {
            finding.name = "\(product.name) (patched \(first.name); release unknown without the program file)"
        } else {
            reasons.append(Reason(rule: "unknown-build", verdict: .review,
                message: "\(first.path.display) is \(version), no known \(product.name) build; a person must check which release this is",
                found: version.description,
                expected: product.releases.map(\.version.description).joined(separator: ", "), path: first.path.display))
        }
        if !usingStandIn {
            for item in standIns {
                guard let libraryVersion = item.fileVersion, libraryVersion != version else { continue }
                let rule = standInRules.first { $0.name == item.name }
                if let patched = rule?.patchedVersion, libraryVersion >= patched { continue }
                reasons.append(Reason(rule: "copies-disagree", verdict: .review,
                    message: "\(item.path.display) is \(libraryVersion) but \(first.path.display) is \(version); the library should match the program or be the patch's; a person must check the install",
                    found: libraryVersion.description, expected: version.description, path: item.path.display))
            }
        }
        if !manifest.patch.languages.isEmpty {
            let wanted = manifest.patch.languages.map(hex4).joined(separator: ", ")
            if let language = first.language {
                if !manifest.patch.languages.contains(language) {
                    reasons.append(Reason(rule: "language-mismatch", verdict: .blocked,
                        message: "\(first.path.display) is language \(hex4(language)); \(manifest.patch.file) fits only \(wanted); use the patch built for that language",
                        found: hex4(language), expected: wanted, path: first.path.display))
                }
            } else {
                reasons.append(Reason(rule: "language-unknown", verdict: .review,
                    message: "\(first.path.display) has no VarFileInfo translation, so its language cannot be checked against \(wanted)",
                    found: "no translation", expected: wanted, path: first.path.display))
            }
        }
        return finding
    }
}
