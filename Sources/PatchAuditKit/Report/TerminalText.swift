/// Makes text that came from scanned files safe to print on a terminal.
///
/// StringFileInfo values, names and paths are attacker-controlled: an escape sequence in a
/// DLL's FileVersion string must not retitle the window or clear the screen of the admin
/// reading the table. Control characters (C0, DEL, C1) become `\u{..}` escapes; everything else
/// passes unchanged. JSON output needs none of this: the encoder escapes control characters.
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
        scalar.value < 0x20 || (0x7f...0x9f).contains(scalar.value)
    }
}
