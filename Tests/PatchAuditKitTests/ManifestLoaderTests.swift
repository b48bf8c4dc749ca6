import Foundation
import Testing
@testable import PatchAuditKit

@Suite struct ManifestLoaderTests {
    @Test func shippedManifestsLoad() throws {
        let manifests = try FixtureSupport.shippedManifests()
        #expect(manifests.map(\.manifest.id) == ["outlook97-archive-patch", "outlook98-archive-patch"])
        let outlook97 = manifests[0].manifest
        #expect(outlook97.rule(named: "emsmdb32.dll")?.patchedVersion == FileVersion(5, 5, 2440, 0))
        #expect(outlook97.rule(named: "outllib.dll")?.patchedVersion == FileVersion(8, 4, 0, 6419))
        #expect(outlook97.rule(named: "emsuix32.dll")?.installedByPatch == false)
        #expect(outlook97.patch.languages == [0x0409])
        #expect(manifests[0].sha256.count == 64)
    }

    @Test func shippedManifestsAreFoundFromTheExecutableFolder() throws {
        let fakeExecutable = FixtureSupport.root.appendingPathComponent(".build/debug/patchaudit").path
        let found = try ShippedManifests.directory(environment: [:], executable: fakeExecutable).get()
        #expect(URL(fileURLWithPath: found).standardizedFileURL.path == URL(fileURLWithPath: FixtureSupport.manifestDirectory).standardizedFileURL.path)
    }

    static let broken: [(String, String, String)] = [
        ("{", "$", "not valid JSON"),
        (#"{"formatVersion": 2}"#, "$", "required field"),
        (validWith(#""patchVersion": "5.5.2502.0","#), "$.files[0].patchVersion", "unknown field"),
        (validWith(#""patchedVersion": "5.5.25O2","#), "$.files[0].patchedVersion", "is not a version"),
        (valid.replacingOccurrences(of: "\"formatVersion\": 1", with: "\"formatVersion\": 2"), "$.formatVersion", "format version 1"),
        (valid.replacingOccurrences(of: "\"emsmdb32.dll\"", with: "\"EMSMDB32.DLL\""), "$.files[0].name", "lower-case"),
        (valid.replacingOccurrences(of: "\"system\"", with: "\"windows\""), "$.files[0].location", "not a location"),
    ]

    static let valid = """
    {"formatVersion": 1, "id": "test", "title": "t", "patch": {"file": "p.exe", "languages": ["0409"]},
     "product": {"name": "P", "family": {"from": "8.0", "below": "8.5"}, "releases": [{"version": "8.1", "name": "P 8.1"}]},
     "files": [{"name": "emsmdb32.dll", "location": "system", "installedByPatch": true, "patchedVersion": "5.5.2440.0"}]}
    """

    static func validWith(_ extra: String) -> String {
        valid.replacingOccurrences(of: #"{"name": "emsmdb32.dll","#, with: #"{"name": "emsmdb32.dll", \#(extra)"#)
            .replacingOccurrences(of: #", "patchedVersion": "5.5.2440.0"}"#, with: extra.contains("patchedVersion") ? "}" : #", "patchedVersion": "5.5.2440.0"}"#)
    }

    @Test func validManifestParses() throws {
        let manifest = try ManifestLoader.parse(data: Data(Self.valid.utf8), file: "m.json")
        #expect(manifest.id == "test")
    }

    @Test(arguments: broken)
    func invalidManifestNamesFileAndJSONPath(_ text: String, _ path: String, _ message: String) {
        #expect {
            _ = try ManifestLoader.parse(data: Data(text.utf8), file: "bad.json")
        } throws: { error in
            guard let error = error as? ManifestError else { return false }
            return error.file == "bad.json" && error.jsonPath == path && error.message.contains(message)
        }
    }
}
