import Plot

/// The one place where text from scanned copies (names, paths, version strings, reasons) is
/// made fit for the HTML report; every such text reaches the page through ``evidence(_:)`` or
/// ``attribute(_:_:)`` below, never by pasting it into markup.
///
/// What Plot 0.14.0 does on its own, and what this adds:
/// - `Node.text` escapes `<` and `>`, but leaves an `&` that starts something shaped like an
///   entity (`&lt;`, `&#60;`) as it is, so a file named `a&lt;b` would show as `a<b`. Escaping
///   `&` first makes every `&` literal; Plot then leaves the `&amp;` alone.
/// - Attribute values are written between double quotes exactly as given: a `"` in a value
///   would end it. ``attribute(_:_:)`` escapes `&`, `<`, `>`, `"` and `'`.
/// - Control characters (C0, DEL, C1: an ESC, a tab or a NUL in a name) become the same
///   visible `\u{1b}` escapes as in the table (``TerminalText``): a NUL would otherwise be
///   dropped by the browser's parser and a tab would look like a space.
enum HTMLText {
    /// `text` as Plot's `Node.text` needs it to come out literally.
    static func forTextNode(_ text: String) -> String {
        let visible = TerminalText.safe(text)
        return visible.contains("&") ? visible.replacingOccurrences(of: "&", with: "&amp;") : visible
    }

    /// `value` escaped for a double-quoted attribute.
    static func forAttribute(_ value: String) -> String {
        var out = ""
        out.unicodeScalars.reserveCapacity(value.unicodeScalars.count)
        for scalar in TerminalText.safe(value).unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

extension Node {
    /// Text from a scanned copy (or any text not written by this program), shown literally.
    static func evidence(_ text: String) -> Node { .text(HTMLText.forTextNode(text)) }

    /// An attribute whose value may hold text from a scanned copy (a `title`, a `data-*`).
    static func attribute(_ name: String, evidence value: String) -> Node {
        .attribute(named: name, value: HTMLText.forAttribute(value))
    }
}
