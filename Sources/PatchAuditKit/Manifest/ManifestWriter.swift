import Foundation

/// Writes a manifest as JSON in a fixed layout: the same manifest always gives the same bytes,
/// fields in the order people read them (id and title first, files last), one build or release
/// per line. `ManifestLoader.parse(ManifestWriter.json(m))` gives `m` back.
public enum ManifestWriter {
    /// The manifest's JSON text, ending in a newline.
    public static func json(_ manifest: Manifest) -> String {
        var out = ""
        OrderedJSON.write(document(manifest), to: &out, indent: "")
        return out + "\n"
    }

    /// The manifest's JSON text, checked to load again: within ``ManifestLoader/maxManifestSize``
    /// and free of errors (a new id given on the command line, too many builds).
    /// - Throws: the first ``ManifestError`` the loader would raise; nothing should then be written.
    public static func loadableJSON(_ manifest: Manifest, file: String) throws(ManifestError) -> String {
        let text = json(manifest)
        guard text.utf8.count <= ManifestLoader.maxManifestSize else {
            throw ManifestError(file: file, jsonPath: nil, message: "would be \(text.utf8.count) bytes, above the \(ManifestLoader.maxManifestSize) bytes a manifest may have; split the builds over several manifests")
        }
        _ = try ManifestLoader.parse(data: Data(text.utf8), file: file)
        return text
    }

    static func document(_ manifest: Manifest) -> OrderedJSON {
        var root: [(String, OrderedJSON)] = []
        if let schema = manifest.schema { root.append(("$schema", .string(schema))) }
        root.append(("formatVersion", .integer(Int64(Manifest.formatVersion))))
        root.append(("id", .string(manifest.id)))
        root.append(("title", .string(manifest.title)))
        if let description = manifest.description { root.append(("description", .string(description))) }
        if !manifest.references.isEmpty { root.append(("references", .array(manifest.references.map(OrderedJSON.string)))) }
        var patch: [(String, OrderedJSON)] = [("file", .string(manifest.patch.file))]
        if !manifest.patch.languages.isEmpty { patch.append(("languages", .array(manifest.patch.languages.map { .string(hex4($0)) }))) }
        if let uninstallable = manifest.patch.uninstallable { patch.append(("uninstallable", .bool(uninstallable))) }
        if let note = manifest.patch.note { patch.append(("note", .string(note))) }
        root.append(("patch", .object(patch)))
        let product = manifest.product
        var productFields: [(String, OrderedJSON)] = [("name", .string(product.name)), ("family", range(product.family))]
        productFields.append(("releases", .array(product.releases.map { release in
            var fields: [(String, OrderedJSON)] = [("version", .string(release.version.description)), ("name", .string(release.name))]
            if let shipped = release.shippedWith { fields.append(("shippedWith", .string(shipped))) }
            if let missing = release.prerequisiteMissing { fields.append(("prerequisiteMissing", .string(missing))) }
            return .object(fields)
        })))
        if !product.otherProducts.isEmpty {
            productFields.append(("otherProducts", .array(product.otherProducts.map {
                .object([("name", .string($0.name)), ("family", range($0.family))])
            })))
        }
        root.append(("product", .object(productFields)))
        root.append(("files", .array(manifest.files.map(fileRule))))
        return .object(root)
    }

    static func range(_ range: Manifest.VersionRange) -> OrderedJSON {
        .object([("from", .string(range.from.description)), ("below", .string(range.below.description))])
    }

    static func fileRule(_ rule: Manifest.FileRule) -> OrderedJSON {
        var fields: [(String, OrderedJSON)] = [("name", .string(rule.name))]
        if let nameOnNT = rule.nameOnNT { fields.append(("nameOnNT", .string(nameOnNT))) }
        fields.append(("location", .string(rule.location.rawValue)))
        if rule.installedByPatch { fields.append(("installedByPatch", .bool(true))) }
        if let patched = rule.patchedVersion { fields.append(("patchedVersion", .string(patched.description))) }
        if rule.identifiesProduct { fields.append(("identifiesProduct", .bool(true))) }
        if rule.optional { fields.append(("optional", .bool(true))) }
        if let note = rule.note { fields.append(("note", .string(note))) }
        if !rule.builds.isEmpty { fields.append(("builds", .array(rule.builds.map(build)))) }
        return .object(fields)
    }

    static func build(_ build: Manifest.Build) -> OrderedJSON {
        var fields: [(String, OrderedJSON)] = []
        if let version = build.version { fields.append(("version", .string(version.description))) }
        if let size = build.size { fields.append(("size", .integer(size))) }
        fields.append(("label", .string(build.label.rawValue)))
        if let sha256 = build.sha256 { fields.append(("sha256", .string(sha256))) }
        if let sha1 = build.sha1 { fields.append(("sha1", .string(sha1))) }
        if let md5 = build.md5 { fields.append(("md5", .string(md5))) }
        if let source = build.source { fields.append(("source", .string(source))) }
        return .object(fields)
    }
}

/// JSON with its object fields in a chosen order, written with two-space indentation; an object
/// or array holding only scalars goes on one line.
enum OrderedJSON {
    case string(String)
    case integer(Int64)
    case bool(Bool)
    case array([OrderedJSON])
    case object([(String, OrderedJSON)])

    var isScalar: Bool {
        switch self {
        case .string, .integer, .bool: true
        case .array, .object: false
        }
    }

    var isFlat: Bool {
        switch self {
        case .array(let items): items.allSatisfy(\.isScalar)
        case .object(let fields): fields.allSatisfy(\.1.isScalar)
        default: true
        }
    }

    static func write(_ value: OrderedJSON, to out: inout String, indent: String) {
        switch value {
        case .string(let text): writeString(text, to: &out)
        case .integer(let number): out += String(number)
        case .bool(let flag): out += flag ? "true" : "false"
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            if value.isFlat && items.count <= 1 || (value.isFlat && items.allSatisfy { if case .string(let text) = $0 { text.count < 24 } else { true } }) {
                out += "["
                for (index, item) in items.enumerated() {
                    if index > 0 { out += ", " }
                    write(item, to: &out, indent: indent)
                }
                out += "]"
                return
            }
            out += "[\n"
            for (index, item) in items.enumerated() {
                out += indent + "  "
                write(item, to: &out, indent: indent + "  ")
                out += index + 1 < items.count ? ",\n" : "\n"
            }
            out += indent + "]"
        case .object(let fields):
            if fields.isEmpty { out += "{}"; return }
            if value.isFlat {
                out += "{ "
                for (index, (key, item)) in fields.enumerated() {
                    if index > 0 { out += ", " }
                    writeString(key, to: &out)
                    out += ": "
                    write(item, to: &out, indent: indent)
                }
                out += " }"
                return
            }
            out += "{\n"
            for (index, (key, item)) in fields.enumerated() {
                out += indent + "  "
                writeString(key, to: &out)
                out += ": "
                write(item, to: &out, indent: indent + "  ")
                out += index + 1 < fields.count ? ",\n" : "\n"
            }
            out += indent + "}"
        }
    }

    /// A JSON string literal (RFC 8259): quote, backslash and control characters escaped,
    /// everything else as UTF-8.
    static func writeString(_ text: String, to out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7f || scalar.value == 0x2028 || scalar.value == 0x2029:
                out += "\\u" + Hex.padded(scalar.value, digits: 4)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
