import Foundation
@testable import PatchAuditKit

/// Paths of the committed fixtures and a scanner with the shipped manifests.
enum FixtureSupport {
    /// The repository root (three levels above this file).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = root.appendingPathComponent("Fixtures")
    static let trees = fixtures.appendingPathComponent("trees")
    static let dlls = fixtures.appendingPathComponent("dlls")
    static let manifestDirectory = root.appendingPathComponent("Manifests").path

    static func shippedManifests() throws -> [LoadedManifest] {
        try ManifestLoader.load(paths: try ShippedManifests.paths(in: manifestDirectory))
    }

    static func scanner(limits: ScanLimits = ScanLimits()) throws -> TargetScanner {
        TargetScanner(configuration: ScanConfiguration(manifests: try shippedManifests(), limits: limits, jobs: 2))
    }

    /// One tree's expectations from Fixtures/expected.json.
    struct ExpectedTree: Decodable, Sendable, CustomStringConvertible {
        struct ExpectedInstallation: Decodable, Sendable {
            var system: String?
            var outlook: String?
            var verdicts: [String: String]
        }
        var name: String
        var verdict: String
        var exitStatus: Int32
        var installations: [ExpectedInstallation]
        var files: [String: String]
        var stray: [String]
        var description: String { name }
        var path: String {
            name == "sample-install" ? fixtures.appendingPathComponent("sample-install").path : trees.appendingPathComponent(name).path
        }
    }

    struct ExpectedFile: Decodable {
        var trees: [ExpectedTree]
        var sampleInstall: ExpectedTree
    }

    static let expectedTrees: [ExpectedTree] = {
        guard let data = try? Data(contentsOf: fixtures.appendingPathComponent("expected.json")),
              let expected = try? JSONDecoder().decode(ExpectedFile.self, from: data) else { return [] }
        return expected.trees + [expected.sampleInstall]
    }()

    /// A fresh temporary folder, removed by the caller.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("patchaudit-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Copies a fixture tree to a temporary folder so a test may add links and FIFOs.
    static func copyOfTree(_ name: String) throws -> URL {
        let directory = try temporaryDirectory()
        let destination = directory.appendingPathComponent(name)
        try FileManager.default.copyItem(at: trees.appendingPathComponent(name), to: destination)
        return destination
    }
}

extension TargetReport {
    /// Statuses under one manifest by path (bare name for files whose folder is absent).
    func statuses(manifest: String = "outlook97-archive-patch") -> [String: String] {
        var result: [String: String] = [:]
        for installation in installations {
            for evaluation in installation.evaluations where evaluation.manifest == manifest {
                for file in evaluation.files { result[file.path ?? file.name] = file.status.rawValue }
            }
        }
        return result
    }
}
