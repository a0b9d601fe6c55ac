import SpendCore

/// The JSON writer of every `--format json`.
public enum JSON {
    /// `s` as a JSON string (``JSONString/quoted(_:)``: control characters, DEL, C1 and
    /// bidi overrides as `\uXXXX`, so JSON shown on a terminal stays inert).
    public static func quote(_ s: String) -> String { JSONString.quoted(s) }
}
