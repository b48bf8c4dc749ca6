/// Makes text that came from scanned files safe to print on a terminal.
///
/// StringFileInfo values, names and paths are attacker-controlled: an escape sequence in a
/// DLL's FileVersion string must not retitle the window or clear the screen of the admin
/// reading the table, and a right-to-left override in a file name must not make
/// `pc42\u{202e}lld.exe` read as `pc42exe.dll`. Control characters (C0, DEL, C1), the
/// bidirectional formatting characters (U+200E, U+200F, U+202A-U+202E, U+2066-U+2069) and the
/// line and paragraph separators (U+2028, U+2029) become `\u{..}` escapes; everything else
/// passes unchanged. The table, the HTML page and `diff`'s table use it; JSON needs none of
/// this (the encoder escapes control characters, and scripts read the exact name).
public enum TerminalText {
    public static func safe(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if isControl(scalar) {
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0..<0x20, 0x7f...0x9f, 0x200e, 0x200f, 0x2028...0x202e, 0x2066...0x2069: true
        default: false
        }
    }
}
