/// JSON string literals for any layer: the ledger's id lookups, rate-card
/// snippets and messages quote ids with it, and the render layer's ``JSON``
/// writes every output string through it.
public enum JSONString {
    /// `s` as a JSON string. Besides what JSON requires (`"`, `\\`, U+0000–U+001F),
    /// DEL, C1 controls and bidi overrides are written as `\uXXXX` too (``TerminalText``):
    /// the value decodes the same, and JSON shown on a terminal stays inert.
    public static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case let c where TerminalText.isUnsafe(c): out += TerminalText.escape(c)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
