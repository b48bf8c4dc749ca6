import Foundation
import PropertyBased
import Testing
@testable import PatchAuditKit

/// The strict JSON parser manifests are read with: RFC 8259, plus refusals that matter for a
/// trust anchor (duplicate keys, depth), never a crash on any bytes.
@Suite struct JSONParserTests {
    static func parse(_ text: String) throws -> JSONValue { try JSONParser.parse(Array(text.utf8)) }

    @Test func parsesEveryKindOfValue() throws {
        let value = try Self.parse(#"  {"a": [1, -2.5e3, 0, true, false, null], "b": "x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00", "c": {}} "#)
        #expect(value == .object([
            "a": .array([.number(1), .number(-2500), .number(0), .bool(true), .bool(false), .null]),
            "b": .string("x\"\\/\u{8}\u{c}\n\r\té😀"),
            "c": .object([:]),
        ]))
        #expect(try JSONParser.parse([0xef, 0xbb, 0xbf] + Array("[]".utf8)) == .array([]))
    }

    static let refused: [(String, String)] = [
        (#"{"label": "damaged", "label": "known-good"}"#, "given twice"),
        (String(repeating: "[", count: 65) + String(repeating: "]", count: 65), "deeper than 64"),
        (#"{"a": 1} x"#, "after the document"),
        (#"{"a": 01}"#, "expected ',' or '}'"),
        (#"{"a": 1.}"#, "digits after '.'"),
        (#"{"a": -}"#, "needs digits"),
        (#"{"a": 1e999}"#, "out of range"),
        ("{\"a\": \"tab\there\"}", "raw control character"),
        (#"{"a": "\x"}"#, "not a JSON escape"),
        (#"{"a": "\ud800"}"#, "does not continue"),
        (#"{"a": "\udc00"}"#, "lone low surrogate"),
        (#"{"a": "\u12"}"#, "4 hex digits"),
        (#"{"a": tru}"#, "expected a value"),
        (#"{"a" 1}"#, "expected ':'"),
        (#"{a: 1}"#, "field name in double quotes"),
        (#"[1, 2"#, "expected ',' or ']'"),
        (#"{"a": "open"#, "not closed"),
        ("", "ends where a value was expected"),
        (#"{"a": 1,}"#, "field name in double quotes"),
    ]

    @Test(arguments: refused)
    func refusesWithLineAndColumn(_ text: String, _ message: String) {
        #expect { try Self.parse(text) } throws: { error in
            guard let failure = error as? JSONParser.Failure else { return false }
            return failure.message.contains(message) && failure.line >= 1 && failure.column >= 1
        }
    }

    @Test func invalidUTF8InAStringIsRefused() {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse([0x22, 0xff, 0xfe, 0x22]) }
    }

    @Test func aDuplicateKeyNamesItsLine() throws {
        #expect { try Self.parse("{\n  \"id\": \"a\",\n  \"id\": \"b\"\n}") } throws: { error in
            (error as? JSONParser.Failure).map { $0.line == 3 && $0.column == 3 } ?? false
        }
        // The loader reports it as a manifest error.
        let text = "{\"formatVersion\": 1, \"formatVersion\": 1}"
        #expect(ManifestLoader.check(data: Data(text.utf8), file: "dup.json").errors.first?.message.contains("given twice") == true)
    }

    /// Agrees with Foundation's JSONSerialization on the shipped manifests.
    @Test func agreesWithFoundationOnTheShippedManifests() throws {
        for path in try ShippedManifests.paths(in: FixtureSupport.manifestDirectory) {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            let ours = try JSONParser.parse([UInt8](data))
            let theirs = try JSONSerialization.jsonObject(with: data)
            #expect(Self.same(ours, theirs), "\(path)")
        }
    }

    static func same(_ value: JSONValue, _ other: Any) -> Bool {
        switch value {
        case .null: return other is NSNull
        case .bool(let flag): return (other as? Bool) == flag
        case .number(let number): return (other as? NSNumber)?.doubleValue == number
        case .string(let text): return (other as? String) == text
        case .array(let items):
            guard let others = other as? [Any], others.count == items.count else { return false }
            return zip(items, others).allSatisfy { same($0, $1) }
        case .object(let fields):
            guard let others = other as? [String: Any], Set(others.keys) == Set(fields.keys) else { return false }
            return fields.allSatisfy { key, item in others[key].map { same(item, $0) } ?? false }
        }
    }

    @Test func randomBytesNeverCrash() async {
        await propertyCheck(count: 500, input: Gen.uint8().array(of: 0...256)) { bytes in
            _ = try? JSONParser.parse(bytes)
        }
    }

    /// The shipped manifest with bytes overwritten by JSON's structural characters: the loader
    /// either reads it or reports a problem, never crashes.
    @Test func mutatedManifestsNeverCrash() async throws {
        let url = URL(fileURLWithPath: FixtureSupport.manifestDirectory).appendingPathComponent("outlook97-archive-patch.json")
        let original = try [UInt8](Data(contentsOf: url))
        let structural = Array(#"{}[]",:\0-e."#.utf8) + [0x00, 0xff]
        await propertyCheck(count: 300, input: Gen.int(in: 0...(original.count - 1)).array(of: 1...6),
                            Gen.int(in: 0...(structural.count - 1)).array(of: 6)) { offsets, picks in
            var bytes = original
            for (offset, pick) in zip(offsets, picks) { bytes[offset] = structural[pick] }
            let checked = ManifestLoader.check(data: Data(bytes), file: "mutated.json")
            #expect(checked.manifest != nil || !checked.errors.isEmpty)
        }
    }
}
