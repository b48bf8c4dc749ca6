// swift-tools-version:6.1
// libFuzzer targets, one per parser of untrusted bytes (Fuzz/README.md). A package of its own,
// so that the main package's builds never compile them; built only with
// scripts/fuzz.sh (make fuzz), with `-sanitize=fuzzer,address` for Swift code.
import Foundation
import PackageDescription

// A path dependency is named after its folder, and a clone may lie in a folder of any name.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let rootName = root.lastPathComponent.lowercased()

let fuzzTargets = ["FuzzPE", "FuzzZipDirectory", "FuzzManifest", "FuzzHashdeep", "FuzzTrust", "FuzzArchive", "FuzzImage"]

let package = Package(
    name: "patchaudit-fuzz",
    platforms: [.macOS(.v13)],
    products: fuzzTargets.map { .executable(name: $0, targets: [$0]) },
    dependencies: [.package(path: root.path)],
    targets: fuzzTargets.map {
        .executableTarget(name: $0, dependencies: [.product(name: "PatchAuditKit", package: rootName)])
    },
    swiftLanguageModes: [.v6]
)
