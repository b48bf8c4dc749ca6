import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A manifest as loaded: its content, where it came from, the SHA-256 of its bytes and what
/// its signature says.
public struct LoadedManifest: Sendable, Hashable {
    public var manifest: Manifest
    public var path: String
    public var sha256: String
    public var signature: SignatureStatus

    public init(manifest: Manifest, path: String, sha256: String, signature: SignatureStatus = .unsigned) {
        self.manifest = manifest
        self.path = path
        self.sha256 = sha256
        self.signature = signature
    }
}

/// What `check` found in a manifest: the manifest when it has no error, and every problem.
public struct ManifestCheck: Sendable {
    public var manifest: Manifest?
    public var problems: [ManifestProblem]
    public var errors: [ManifestProblem] { problems.filter { $0.severity == .error } }
}

/// Reads and validates manifests (format version 1, `Manifests/manifest.schema.json`).
///
/// Validation is strict, like the schema: unknown fields are errors (a typo such as
/// `patchVersion` must not silently drop a rule), every version and digest must parse, names
/// are lower case, ids are unique. Then ``ManifestLint`` checks the meaning (one set of bytes
/// under two labels, a patched version below an original one, ...). Each problem names the
/// file and the JSON path. The signature is checked on the same bytes that are parsed.
public enum ManifestLoader {
    /// Manifests are small; anything larger is refused before parsing.
    public static let maxManifestSize = 4 << 20

    /// Loads each file, in order. Throws the first ``ManifestError`` met.
    public static func load(paths: [String], trust: ManifestTrust = ManifestTrust()) throws(ManifestError) -> [LoadedManifest] {
        var loaded: [LoadedManifest] = []
        for path in paths {
            let manifest = try load(path: path, trust: trust)
            if let earlier = loaded.first(where: { $0.manifest.id == manifest.manifest.id }) {
                throw ManifestError(file: path, jsonPath: "$.id",
                    message: "id \"\(manifest.manifest.id)\" is also the id of \(earlier.path); give each manifest its own id")
            }
            loaded.append(manifest)
        }
        return loaded
    }

    /// Loads one manifest file: reads it once, checks its signature against `trust`, then parses
    /// and validates those same bytes.
    public static func load(path: String, trust: ManifestTrust = ManifestTrust()) throws(ManifestError) -> LoadedManifest {
        let file = try readManifestFile(path)
        let signature = try signatureStatus(of: file.bytes, path: path, trust: trust)
        let manifest = try parse(data: Data(file.bytes), file: path)
        return LoadedManifest(manifest: manifest, path: path, sha256: file.digests.sha256, signature: signature)
    }

    /// The manifest file's bytes, read with the same care as evidence: a FIFO or device is
    /// refused, not waited on, and nothing larger than a manifest can be is read.
    public static func readManifestFile(_ path: String) throws(ManifestError) -> FileBytes {
        switch RegularFileReader.read(name: path, displayPath: path,
                                      maxSize: Int64(maxManifestSize), followLinks: true) {
        case .failure(let problem):
            let detail = problem.detail(forFileOfAtMost: maxManifestSize, kind: "manifest")
            throw ManifestError(file: path, jsonPath: nil, message: "could not be read: \(detail)\(problem.kind == .tooLarge ? "" : "; check the path of the manifest")")
        case .success(let file):
            return file
        }
    }

    /// The text of the `.sig` file beside the manifest at `path`, or nil when there is none.
    public static func readSignatureFile(for path: String) throws(ManifestError) -> String? {
        let signaturePath = ManifestSignature.path(for: path)
        var status = stat()
        if lstat(signaturePath, &status) != 0 && errno == ENOENT { return nil }
        switch RegularFileReader.read(name: signaturePath, displayPath: signaturePath,
                                      maxSize: Int64(ManifestSignature.maxFileSize), followLinks: true) {
        case .failure(let problem):
            throw ManifestError(file: path, jsonPath: nil, message: "its signature \(signaturePath) could not be read: \(problem.detail(forFileOfAtMost: ManifestSignature.maxFileSize, kind: "signature file"))")
        case .success(let file):
            return String(decoding: file.bytes, as: UTF8.self)
        }
    }

    /// Checks the signature beside `path` against `trust`; throws when the manifest must be refused.
    static func signatureStatus(of bytes: [UInt8], path: String, trust: ManifestTrust) throws(ManifestError) -> SignatureStatus {
        let status = ManifestSignature.check(manifest: bytes, signatureText: try readSignatureFile(for: path),
                                             trustedKeys: trust.trustedKeys)
        let signHint = "sign it with `patchaudit manifest sign --key KEY \(path)`"
        switch status {
        case .verified:
            return status
        case .refused(let why):
            throw ManifestError(file: path, jsonPath: nil, message: "is not trusted: \(why); get the manifest and its .sig again from whoever signed it, or re-check it and \(signHint)")
        case .unsigned where trust.requireSigned:
            throw ManifestError(file: path, jsonPath: nil, message: "is not signed (no \(ManifestSignature.path(for: path))), and a signature by a trusted key is required; \(signHint)")
        case .notVerified where trust.requireSigned:
            throw ManifestError(file: path, jsonPath: nil, message: "has a signature but no trusted key was given to check it; pass the signer's public key with --trusted-key")
        case .unsigned, .notVerified:
            return status
        }
    }

    /// Parses and validates manifest bytes; `file` names the source in errors. Throws the first error.
    public static func parse(data: Data, file: String, checkMeaning: Bool = true) throws(ManifestError) -> Manifest {
        let checked = check(data: data, file: file, checkMeaning: checkMeaning)
        if let first = checked.errors.first { throw first.asError }
        guard let manifest = checked.manifest else {
            throw ManifestError(file: file, message: "could not be read as a manifest")
        }
        return manifest
    }

    /// Parses and validates manifest bytes, collecting every problem rather than stopping at the
    /// first: each section, file rule and build is checked on its own. Meaning checks
    /// (``ManifestLint``) run once the structure is valid.
    /// - Parameter checkMeaning: run ``ManifestLint`` too (a worker skips it: it reads bytes the
    ///   supervisor checked, linted and verified, identified by their SHA-256).
    public static func check(data: Data, file: String, checkMeaning: Bool = true) -> ManifestCheck {
        let document: JSONValue
        do {
            document = try JSONParser.parse([UInt8](data))
        } catch {
            return ManifestCheck(manifest: nil, problems: [ManifestProblem(ManifestError(file: file,
                message: "is not valid JSON (\(error)); check it with a JSON linter"))])
        }
        let reader = Reader(file: file)
        let manifest = reader.manifest(document)
        var problems = reader.problems.map(ManifestProblem.init)
        if let manifest, checkMeaning {
            problems += ManifestLint.problems(in: manifest, file: file)
        }
        return ManifestCheck(manifest: problems.contains { $0.severity == .error } ? nil : manifest, problems: problems)
    }

    /// Walks the JSON with a path, checking each field like the JSON Schema does.
    private final class Reader {
        let file: String
        /// Problems found so far: each section, file rule and build is checked on its own.
        var problems: [ManifestError] = []

        init(file: String) { self.file = file }

        /// Runs one independent check, recording its error instead of stopping.
        func record<T>(_ body: () throws(ManifestError) -> T) -> T? {
            do {
                return try body()
            } catch {
                problems.append(error)
                return nil
            }
        }

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

        func manifest(_ document: JSONValue) -> Manifest? {
            guard let root = record({ () throws(ManifestError) in
                try object(document, "$", required: ["formatVersion", "id", "title", "patch", "product", "files"],
                           optional: ["$schema", "references", "description"])
            }) else { return nil }
            guard case .number(let format)? = root["formatVersion"], format == Double(Manifest.formatVersion) else {
                problems.append(fail("$.formatVersion", "this patchaudit reads manifest format version \(Manifest.formatVersion); found \(root["formatVersion"].map(describe) ?? "nothing")"))
                return nil
            }
            let id = record { () throws(ManifestError) in
                let id = try string(root["id"], "$.id")
                guard id.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2d || $0 == 0x2e }) else {
                    throw fail("$.id", "\"\(id)\" may hold only lower-case letters, digits, '-' and '.', e.g. \"outlook97-archive-patch\"")
                }
                return id
            }
            let title = record { () throws(ManifestError) in try string(root["title"], "$.title") }
            let description = record { () throws(ManifestError) in try optionalString(root["description"], "$.description") }
            let schema = record { () throws(ManifestError) in try optionalString(root["$schema"], "$.$schema") }
            var references: [String] = []
            let referenceItems = record { () throws(ManifestError) in try array(root["references"], "$.references") } ?? []
            for (index, item) in referenceItems.enumerated() {
                if let reference = record({ () throws(ManifestError) in try string(item, "$.references[\(index)]") }) {
                    references.append(reference)
                }
            }
            let patch = record { () throws(ManifestError) in try self.patch(root["patch"] ?? .null) }
            let product = record { () throws(ManifestError) in try self.product(root["product"] ?? .null) }
            var files: [Manifest.FileRule] = []
            let items = record { () throws(ManifestError) in try array(root["files"], "$.files") } ?? []
            for (index, item) in items.enumerated() {
                guard let rule = fileRule(item, "$.files[\(index)]") else { continue }
                if files.contains(where: { $0.name == rule.name || $0.nameOnNT == rule.name }) {
                    problems.append(fail("$.files[\(index)].name", "\"\(rule.name)\" is listed twice; merge the two entries"))
                }
                files.append(rule)
            }
            if items.isEmpty && root["files"].map({ if case .array = $0 { true } else { false } }) == true {
                problems.append(fail("$.files", "lists no files; a manifest needs at least one file rule"))
            }
            guard problems.isEmpty, let id, let title, let description, let schema, let patch, let product else { return nil }
            return Manifest(id: id, title: title, description: description, schema: schema, references: references,
                            patch: patch, product: product, files: files)
        }

        func patch(_ value: JSONValue) throws(ManifestError) -> Manifest.Patch {
            let fields = try object(value, "$.patch", required: ["file"], optional: ["languages", "uninstallable", "note"])
            var languages: [UInt16] = []
            for (index, item) in try array(fields["languages"], "$.patch.languages").enumerated() {
                let text = try string(item, "$.patch.languages[\(index)]")
                guard text.count == 4, text.allSatisfy(\.isHexDigit), let language = UInt16(text, radix: 16) else {
                    throw fail("$.patch.languages[\(index)]", "\"\(text)\" is not a language id: write 4 hex digits, e.g. \"0409\" for US English")
                }
                languages.append(language)
            }
            let uninstallable = try fields["uninstallable"].map { value throws(ManifestError) in
                try bool(value, "$.patch.uninstallable", default: false)
            }
            return Manifest.Patch(file: try string(fields["file"], "$.patch.file"), languages: languages,
                                  uninstallable: uninstallable, note: try optionalString(fields["note"], "$.patch.note"))
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

        /// One file rule; nil when it has an error (recorded). Each build is checked on its own.
        func fileRule(_ value: JSONValue, _ path: String) -> Manifest.FileRule? {
            guard let fields = record({ () throws(ManifestError) in
                try object(value, path, required: ["name", "location"],
                           optional: ["nameOnNT", "installedByPatch", "patchedVersion", "identifiesProduct", "optional", "builds", "note"])
            }) else { return nil }
            let rule = record { () throws(ManifestError) -> Manifest.FileRule in
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
                return Manifest.FileRule(
                    name: try fileName(fields["name"], "\(path).name"),
                    nameOnNT: try fields["nameOnNT"].map { value throws(ManifestError) in try fileName(value, "\(path).nameOnNT") },
                    location: location, installedByPatch: installed, patchedVersion: patched,
                    identifiesProduct: try bool(fields["identifiesProduct"], "\(path).identifiesProduct", default: false),
                    optional: try bool(fields["optional"], "\(path).optional", default: false),
                    builds: [], note: try optionalString(fields["note"], "\(path).note"))
            }
            var builds: [Manifest.Build] = []
            let items = record { () throws(ManifestError) in try array(fields["builds"], "\(path).builds") } ?? []
            for (index, item) in items.enumerated() {
                if let build = record({ () throws(ManifestError) in try self.build(item, "\(path).builds[\(index)]") }) {
                    builds.append(build)
                }
            }
            guard var rule else { return nil }
            rule.builds = builds
            return rule
        }

        func build(_ value: JSONValue, _ path: String) throws(ManifestError) -> Manifest.Build {
            let build = try object(value, path, required: ["label"], optional: ["version", "size", "source", "sha256", "sha1", "md5"])
            let labelText = try string(build["label"], "\(path).label")
            guard let label = Manifest.Build.Label(rawValue: labelText) else {
                let allowed = Manifest.Build.Label.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
                throw fail("\(path).label", "\"\(labelText)\" is not a label: write one of \(allowed)")
            }
            var size: Int64?
            if let sizeValue = build["size"] {
                guard case .number(let number) = sizeValue, number >= 0, number <= 1e15, number == number.rounded() else {
                    throw fail("\(path).size", "expected a whole number of bytes, found \(describe(sizeValue))")
                }
                size = Int64(number)
            }
            let result = Manifest.Build(
                version: try build["version"].map { value throws(ManifestError) in try version(value, "\(path).version") },
                size: size, label: label,
                sha256: try digest(build["sha256"], "\(path).sha256", name: "SHA-256", digits: 64, tool: "sha256sum"),
                sha1: try digest(build["sha1"], "\(path).sha1", name: "SHA-1", digits: 40, tool: "sha1sum"),
                md5: try digest(build["md5"], "\(path).md5", name: "MD5", digits: 32, tool: "md5sum"),
                source: try optionalString(build["source"], "\(path).source"))
            guard result.version != nil || result.hasDigests else {
                throw fail(path, "a build needs a \"version\" or a digest (\"sha256\"); write the file's version, e.g. \"version\": \"5.5.2440.0\"")
            }
            return result
        }

        /// A digest written as lower-case hex of its exact length, as sha256sum prints it.
        func digest(_ value: JSONValue?, _ path: String, name: String, digits: Int, tool: String) throws(ManifestError) -> String? {
            guard let value else { return nil }
            let text = try string(value, path)
            let isHex = text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) || ($0 >= 0x41 && $0 <= 0x46) }
            guard isHex, text.utf8.count == digits else {
                let shown = text.count > 80 ? String(text.prefix(80)) + "..." : text
                throw fail(path, "\"\(shown)\" is not a \(name) digest: write \(digits) hex digits (\(text.utf8.count) characters found\(isHex ? "" : ", not all hex")), as \(tool) prints them")
            }
            guard text == text.lowercased() else {
                throw fail(path, "write the \(name) digest in lower case: \"\(text.lowercased())\"")
            }
            return text
        }
    }
}
