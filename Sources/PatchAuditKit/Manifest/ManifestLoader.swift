import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A manifest as loaded: its content, where it came from and the SHA-256 of its bytes.
public struct LoadedManifest: Sendable, Hashable {
    public var manifest: Manifest
    public var path: String
    public var sha256: String
}

/// Reads and validates manifests (format version 1, `Manifests/manifest.schema.json`).
///
/// Validation is strict, like the schema: unknown fields are errors (a typo such as
/// `patchVersion` must not silently drop a rule), every version must parse, names are
/// lower case, ids are unique. Each error names the file and the JSON path.
public enum ManifestLoader {
    /// Manifests are small; anything larger is refused before parsing.
    public static let maxManifestSize = 4 << 20

    /// Loads each file, in order. Throws the first ``ManifestError`` met.
    public static func load(paths: [String]) throws(ManifestError) -> [LoadedManifest] {
        var loaded: [LoadedManifest] = []
        for path in paths {
            let manifest = try load(path: path)
            if let earlier = loaded.first(where: { $0.manifest.id == manifest.manifest.id }) {
                throw ManifestError(file: path, jsonPath: "$.id",
                    message: "id \"\(manifest.manifest.id)\" is also the id of \(earlier.path); give each manifest its own id")
            }
            loaded.append(manifest)
        }
        return loaded
    }

    /// Loads one manifest file.
    public static func load(path: String) throws(ManifestError) -> LoadedManifest {
        // The same careful reader as for evidence: a FIFO or device is refused, not waited on,
        // and nothing larger than a manifest can be is read.
        switch RegularFileReader.read(directory: AT_FDCWD, name: path, displayPath: path,
                                      maxSize: Int64(maxManifestSize), followLinks: true) {
        case .failure(let problem):
            let advice = problem.kind == .tooLarge ? "a manifest is at most \(maxManifestSize) bytes" : "check the path given to --manifest"
            throw ManifestError(file: path, jsonPath: nil, message: "could not be read: \(problem.detail); \(advice)")
        case .success(let file):
            let manifest = try parse(data: Data(file.bytes), file: path)
            return LoadedManifest(manifest: manifest, path: path, sha256: file.digests.sha256)
        }
    }

    /// Parses and validates manifest bytes; `file` names the source in errors.
    public static func parse(data: Data, file: String) throws(ManifestError) -> Manifest {
        let document: JSONValue
        do {
            document = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw ManifestError(file: file, message: "is not valid JSON (\(jsonErrorText(error))); check it with a JSON linter")
        }
        var reader = Reader(file: file)
        return try reader.manifest(document)
    }

    private static func jsonErrorText(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return underlying ?? context.debugDescription
        }
        return String(describing: error)
    }

    /// Walks the JSON with a path, checking each field like the JSON Schema does.
    private struct Reader {
        let file: String

        func fail(_ path: String, _ message: String) -> ManifestError {
            ManifestError(file: file, jsonPath: path, message: message)
        }

        func object(_ value: JSONValue, _ path: String, required: Set<String>, optional: Set<String>) throws(ManifestError) -> [String: JSONValue] {
            guard case .object(let fields) = value else {
                throw fail(path, "expected an object, found \(value.typeName)")
            }
            for key in fields.keys.sorted() where !required.contains(key) && !optional.contains(key) {
                let allowed = (required.union(optional)).sorted().joined(separator: ", ")
                throw fail("\(path).\(key)", "unknown field \"\(key)\"; the fields allowed here are: \(allowed)")
            }
            for key in required.sorted() where fields[key] == nil {
                throw fail(path, "the required field \"\(key)\" is missing")
            }
            return fields
        }

        func string(_ value: JSONValue?, _ path: String) throws(ManifestError) -> String {
            guard case .string(let text)? = value else {
                throw fail(path, "expected a string, found \(value?.typeName ?? "nothing")")
            }
            guard !text.isEmpty else { throw fail(path, "must not be empty") }
            return text
        }

        func optionalString(_ value: JSONValue?, _ path: String) throws(ManifestError) -> String? {
            guard let value, value != .null else { return nil }
            return try string(value, path)
        }

        func bool(_ value: JSONValue?, _ path: String, default fallback: Bool) throws(ManifestError) -> Bool {
            guard let value else { return fallback }
            guard case .bool(let flag) = value else { throw fail(path, "expected true or false, found \(value.typeName)") }
            return flag
        }

        func array(_ value: JSONValue?, _ path: String) throws(ManifestError) -> [JSONValue] {
            guard let value else { return [] }
            guard case .array(let items) = value else { throw fail(path, "expected an array, found \(value.typeName)") }
            guard items.count <= 10_000 else { throw fail(path, "has \(items.count) items; at most 10000 are allowed") }
            return items
        }

        func version(_ value: JSONValue?, _ path: String) throws(ManifestError) -> FileVersion {
            let text = try string(value, path)
            guard let version = FileVersion(text) else {
                throw fail(path, "\"\(text)\" is not a version: write one to four numbers 0-65535 separated by dots, e.g. \"5.5.2502.0\"")
            }
            return version
        }

        func fileName(_ value: JSONValue?, _ path: String) throws(ManifestError) -> String {
            let name = try string(value, path)
            guard name == name.lowercased(), !name.contains("/"), !name.contains("\\"), name != ".", name != "..",
                  name.utf8.count < 64, !name.utf8.contains(where: { $0 < 0x20 }) else {
                throw fail(path, "\"\(name)\" must be a lower-case file name (under 64 bytes, no folders), e.g. \"\(name.lowercased().split(separator: "/").last.map(String.init) ?? "emsmdb32.dll")\"")
            }
            return name
        }

        func range(_ value: JSONValue, _ path: String) throws(ManifestError) -> Manifest.VersionRange {
            let fields = try object(value, path, required: ["from", "below"], optional: [])
            let range = Manifest.VersionRange(from: try version(fields["from"], "\(path).from"),
                                              below: try version(fields["below"], "\(path).below"))
            guard range.from < range.below else {
                throw fail(path, "\"from\" (\(range.from)) must be lower than \"below\" (\(range.below))")
            }
            return range
        }

        mutating func manifest(_ document: JSONValue) throws(ManifestError) -> Manifest {
            let root = try object(document, "$", required: ["formatVersion", "id", "title", "patch", "product", "files"],
                                  optional: ["$schema", "references", "description"])
            guard case .number(let format)? = root["formatVersion"], format == Double(Manifest.formatVersion) else {
                throw fail("$.formatVersion", "this patchaudit reads manifest format version \(Manifest.formatVersion); found \(root["formatVersion"].map(describe) ?? "nothing")")
            }
            let id = try string(root["id"], "$.id")
            guard id.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2d || $0 == 0x2e }) else {
                throw fail("$.id", "\"\(id)\" may hold only lower-case letters, digits, '-' and '.', e.g. \"outlook97-archive-patch\"")
            }
            var references: [String] = []
            for (index, item) in try array(root["references"], "$.references").enumerated() {
                references.append(try string(item, "$.references[\(index)]"))
            }
            let patchFields = try object(root["patch"] ?? .null, "$.patch", required: ["file"], optional: ["languages", "uninstallable", "note"])
            var languages: [UInt16] = []
            for (index, item) in try array(patchFields["languages"], "$.patch.languages").enumerated() {
                let text = try string(item, "$.patch.languages[\(index)]")
                guard text.count == 4, text.allSatisfy(\.isHexDigit), let language = UInt16(text, radix: 16) else {
                    throw fail("$.patch.languages[\(index)]", "\"\(text)\" is not a language id: write 4 hex digits, e.g. \"0409\" for US English")
                }
                languages.append(language)
            }
            _ = try bool(patchFields["uninstallable"], "$.patch.uninstallable", default: false)
            _ = try optionalString(patchFields["note"], "$.patch.note")
            let patch = Manifest.Patch(file: try string(patchFields["file"], "$.patch.file"), languages: languages)
            let product = try self.product(root["product"] ?? .null)
            var files: [Manifest.FileRule] = []
            for (index, item) in try array(root["files"], "$.files").enumerated() {
                let rule = try fileRule(item, "$.files[\(index)]")
                if files.contains(where: { $0.name == rule.name || $0.nameOnNT == rule.name }) {
                    throw fail("$.files[\(index)].name", "\"\(rule.name)\" is listed twice; merge the two entries")
                }
                files.append(rule)
            }
            guard !files.isEmpty else { throw fail("$.files", "lists no files; a manifest needs at least one file rule") }
            return Manifest(id: id, title: try string(root["title"], "$.title"), references: references,
                            patch: patch, product: product, files: files)
        }

        func describe(_ value: JSONValue) -> String {
            if case .number(let number) = value { return "\(number)" }
            return value.typeName
        }

        func product(_ value: JSONValue) throws(ManifestError) -> Manifest.Product {
            let fields = try object(value, "$.product", required: ["name", "family", "releases"], optional: ["otherProducts"])
            var releases: [Manifest.Release] = []
            let family = try range(fields["family"] ?? .null, "$.product.family")
            for (index, item) in try array(fields["releases"], "$.product.releases").enumerated() {
                let path = "$.product.releases[\(index)]"
                let release = try object(item, path, required: ["version", "name"], optional: ["shippedWith", "prerequisiteMissing"])
                let entry = Manifest.Release(version: try version(release["version"], "\(path).version"),
                                             name: try string(release["name"], "\(path).name"),
                                             shippedWith: try optionalString(release["shippedWith"], "\(path).shippedWith"),
                                             prerequisiteMissing: try optionalString(release["prerequisiteMissing"], "\(path).prerequisiteMissing"))
                guard family.contains(entry.version) else {
                    throw fail("\(path).version", "\(entry.version) lies outside the product's family \(family.from) ..< \(family.below)")
                }
                releases.append(entry)
            }
            var others: [Manifest.OtherProduct] = []
            for (index, item) in try array(fields["otherProducts"], "$.product.otherProducts").enumerated() {
                let path = "$.product.otherProducts[\(index)]"
                let other = try object(item, path, required: ["name", "family"], optional: [])
                let otherFamily = try range(other["family"] ?? .null, "\(path).family")
                guard otherFamily.below <= family.from || otherFamily.from >= family.below else {
                    throw fail("\(path).family", "overlaps the product's own family \(family.from) ..< \(family.below)")
                }
                others.append(Manifest.OtherProduct(name: try string(other["name"], "\(path).name"), family: otherFamily))
            }
            return Manifest.Product(name: try string(fields["name"], "$.product.name"), family: family,
                                    releases: releases, otherProducts: others)
        }

        func fileRule(_ value: JSONValue, _ path: String) throws(ManifestError) -> Manifest.FileRule {
            let fields = try object(value, path, required: ["name", "location"],
                                    optional: ["nameOnNT", "installedByPatch", "patchedVersion", "identifiesProduct", "optional", "builds", "note"])
            let locationText = try string(fields["location"], "\(path).location")
            guard let location = Manifest.Location(rawValue: locationText) else {
                throw fail("\(path).location", "\"\(locationText)\" is not a location: write \"system\", \"outlook\" or \"any\"")
            }
            let installed = try bool(fields["installedByPatch"], "\(path).installedByPatch", default: false)
            let patched = try fields["patchedVersion"].map { value throws(ManifestError) in try version(value, "\(path).patchedVersion") }
            if installed && patched == nil {
                throw fail(path, "a file the patch installs needs \"patchedVersion\", the version the patch brings")
            }
            if !installed && patched != nil {
                throw fail("\(path).patchedVersion", "only files with \"installedByPatch\": true have a patched version")
            }
            var builds: [Manifest.Build] = []
            for (index, item) in try array(fields["builds"], "\(path).builds").enumerated() {
                let buildPath = "\(path).builds[\(index)]"
                let build = try object(item, buildPath, required: ["version", "label"], optional: ["size", "source"])
                let labelText = try string(build["label"], "\(buildPath).label")
                guard let label = Manifest.Build.Label(rawValue: labelText) else {
                    let allowed = Manifest.Build.Label.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
                    throw fail("\(buildPath).label", "\"\(labelText)\" is not a label: write one of \(allowed)")
                }
                var size: Int64?
                if let sizeValue = build["size"] {
                    guard case .number(let number) = sizeValue, number >= 0, number <= 1e15, number == number.rounded() else {
                        throw fail("\(buildPath).size", "expected a whole number of bytes, found \(describe(sizeValue))")
                    }
                    size = Int64(number)
                }
                builds.append(Manifest.Build(version: try version(build["version"], "\(buildPath).version"), size: size,
                                             label: label, source: try optionalString(build["source"], "\(buildPath).source")))
            }
            return Manifest.FileRule(
                name: try fileName(fields["name"], "\(path).name"),
                nameOnNT: try fields["nameOnNT"].map { value throws(ManifestError) in try fileName(value, "\(path).nameOnNT") },
                location: location, installedByPatch: installed, patchedVersion: patched,
                identifiesProduct: try bool(fields["identifiesProduct"], "\(path).identifiesProduct", default: false),
                optional: try bool(fields["optional"], "\(path).optional", default: false),
                builds: builds, note: try optionalString(fields["note"], "\(path).note"))
        }
    }
}
