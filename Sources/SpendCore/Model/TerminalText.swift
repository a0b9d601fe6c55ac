/// Text made safe to show on a terminal or in a human-readable report.
///
/// Ledger lines, tag values, model names, paths and commit subjects are data
/// that anyone with commit access wrote; printed raw, an ESC starts a terminal
/// control sequence, a CR or LF forges a line (`error[fake]: …`), and a bidi
/// override reorders what is shown ("Trojan Source"). Human-readable output
/// shows these characters escaped instead:
///
/// - C0 controls U+0000–U+001F: `\n`, `\r`, `\t`, others `\u001b`;
/// - DEL U+007F and C1 controls U+0080–U+009F: `\u007f`, `\u009b`;
/// - bidi embeddings and overrides U+202A–U+202E, isolates U+2066–U+2069, and
///   the line and paragraph separators U+2028, U+2029: `\u202e`.
///
/// Bidi marks (U+200E, U+200F, U+061C) stay as they are: they cannot reorder
/// text across a line and occur in genuine right-to-left text. A backslash is
/// not escaped (a literal `\n` stays ambiguous with an escaped newline), so
/// CSV and JSON, never escaped this way, are where exact values are read.
public enum TerminalText {
    /// The display cap of one table cell, in characters (`…` marks the cut).
    public static let maxCellWidth = 60

    /// Whether `scalar` is shown escaped.
    public static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        return v < 0x20 || (0x7F...0x9F).contains(v) || (0x202A...0x202E).contains(v)
            || (0x2066...0x2069).contains(v) || v == 0x2028 || v == 0x2029
    }

    /// `text` with every unsafe scalar escaped, newlines included (one line of output).
    public static func escaped(_ text: String) -> String {
        escape(text, keepingNewlines: false, limit: nil)
    }

    /// `text` with every unsafe scalar but LF escaped: for text whose newlines are its own line breaks.
    public static func escapedKeepingNewlines(_ text: String) -> String {
        escape(text, keepingNewlines: true, limit: nil)
    }

    /// One table cell: escaped, and cut to `maxWidth` characters with a final `…` when longer.
    /// Reads only as much of `text` as it shows, so a 10 MB value costs what 60 characters cost.
    public static func cell(_ text: String, maxWidth: Int = maxCellWidth) -> String {
        escape(text, keepingNewlines: false, limit: maxWidth)
    }

    /// The escaped form of one unsafe scalar: `\n`, `\r`, `\t` or `\uXXXX`.
    public static func escape(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case "\n": return "\\n"
        case "\r": return "\\r"
        case "\t": return "\\t"
        default:
            let hex = String(scalar.value, radix: 16)
            return "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        }
    }

    /// Whether the UTF-8 of `text` has no byte that can start an unsafe scalar
    /// (C0, DEL, the lead byte 0xC2 of C1 controls, 0xE2 of U+2028…U+2069).
    static func isPlainly(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            !bytes.contains { $0 < 0x20 || $0 == 0x7F || $0 == 0xC2 || $0 == 0xE2 }
        }
    }

    static func escape(_ text: String, keepingNewlines: Bool, limit: Int?) -> String {
        if isPlainly(text) {
            guard let limit else { return text }
            // Walks at most limit + 1 characters, however long the text.
            let head = text.prefix(limit + 1)
            return head.count <= limit ? text : String(head.prefix(max(0, limit - 1))) + "…"
        }
        var out = ""
        for scalar in text.unicodeScalars {
            if isUnsafe(scalar) && !(keepingNewlines && scalar == "\n") {
                out += escape(scalar)
            } else {
                out.unicodeScalars.append(scalar)
            }
            // Escapes are ASCII, so `out` stays short (limit + 7 characters) while it is counted.
            if let limit, out.count > limit + 1 { break }
        }
        if let limit, out.count > limit { return String(out.prefix(max(0, limit - 1))) + "…" }
        return out
    }
}
