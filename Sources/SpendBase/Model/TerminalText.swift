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

    /// The UTF-8 length of the unsafe scalar at `i` of `bytes` (valid UTF-8), or 0:
    /// C0 and DEL (1 byte), C1 (0xC2 0x80–0x9F), U+2028–U+202E (0xE2 0x80 0xA8–0xAE),
    /// U+2066–U+2069 (0xE2 0x81 0xA6–0xA9). 0xC2 and 0xE2 only ever lead a scalar.
    static func unsafeLength(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> Int {
        let b = bytes[i]
        if b < 0x20 || b == 0x7F { return 1 }
        if b == 0xC2, i + 1 < bytes.count, (0x80...0x9F).contains(bytes[i + 1]) { return 2 }
        if b == 0xE2, i + 2 < bytes.count {
            let b1 = bytes[i + 1]
            let b2 = bytes[i + 2]
            if (b1 == 0x80 && (0xA8...0xAE).contains(b2)) || (b1 == 0x81 && (0xA6...0xA9).contains(b2)) { return 3 }
        }
        return 0
    }

    static func escape(_ text: String, keepingNewlines: Bool, limit: Int?) -> String {
        guard let limit else { return escapeAll(text, keepingNewlines: keepingNewlines) }
        // Escaping never shortens a character, so the first limit + 1 characters
        // decide the cell: a 10 MB value costs what 61 characters cost.
        let shown = escapeAll(String(text.prefix(limit + 1)), keepingNewlines: keepingNewlines)
        return shown.count <= limit ? shown : String(shown.prefix(max(0, limit - 1))) + "…"
    }

    /// One pass over the UTF-8: safe runs are copied as they are, unsafe scalars escaped.
    static func escapeAll(_ text: String, keepingNewlines: Bool) -> String {
        var text = text
        let escaped: String? = text.withUTF8 { bytes in
            var out: [UInt8] = []
            var copied = 0
            var changed = false
            var i = 0
            while i < bytes.count {
                let n = unsafeLength(bytes, at: i)
                if n == 0 || (keepingNewlines && bytes[i] == 10) {
                    i += 1
                    continue
                }
                if !changed {
                    out.reserveCapacity(bytes.count + 16)
                    changed = true
                }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[copied..<i]))
                let scalar = String(decoding: UnsafeBufferPointer(rebasing: bytes[i..<(i + n)]), as: UTF8.self).unicodeScalars.first!
                out.append(contentsOf: escape(scalar).utf8)
                i += n
                copied = i
            }
            guard changed else { return nil }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[copied...]))
            return String(decoding: out, as: UTF8.self)
        }
        return escaped ?? text
    }
}
