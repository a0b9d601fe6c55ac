import SpendCore

import Foundation

/// The one CSV writer of every `--format csv`: RFC 4180 quoting, and text a
/// spreadsheet would run as a formula neutralised (OWASP "CSV injection").
///
/// - A field holding `,`, `"`, CR or LF is quoted, `"` doubled (RFC 4180 2.6–2.7);
///   CR and LF stay inside the quotes, so a value never splits a row. Rows end with LF.
/// - A field that is a plain decimal number (`42`, `-1.25`, `0.0000075`) is a number
///   and is written as it is, in whichever column.
/// - Any other field starting with `=`, `+`, `-`, `@`, tab, CR or NUL gets a leading
///   `'` and is quoted: `"'=HYPERLINK(…)"` (unless ``neutralizesFormulas`` is off: `--csv-raw`).
public struct CSV: Sendable {
    /// Whether formula-leading text fields get a leading `'`.
    public var neutralizesFormulas: Bool

    /// The default writer neutralises formulas; `CSV(neutralizesFormulas: false)` is `--csv-raw`.
    public init(neutralizesFormulas: Bool = true) {
        self.neutralizesFormulas = neutralizesFormulas
    }

    /// One row: the fields, comma-separated, and a LF.
    public func row(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\n"
    }

    /// One field, quoted and neutralised as needed.
    public func field(_ text: String) -> String {
        var text = text
        var quote = false
        if neutralizesFormulas, let first = text.unicodeScalars.first, Self.formulaLeads.contains(first), !Self.isNumber(text) {
            text = "'" + text
            quote = true
        }
        if quote || text.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return text
    }

    /// First characters that make a spreadsheet read a cell as a formula.
    static let formulaLeads: Set<Unicode.Scalar> = ["=", "+", "-", "@", "\t", "\r", "\0"]

    /// `-?digits(.digits)?`: how every count, cost and percentage is written.
    static func isNumber(_ text: String) -> Bool {
        var bytes = Substring(text).utf8[...]
        if bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        let parts = bytes.split(separator: UInt8(ascii: "."), maxSplits: 1, omittingEmptySubsequences: false)
        guard !parts.isEmpty, parts.count <= 2 else { return false }
        return parts.allSatisfy { part in !part.isEmpty && part.allSatisfy { (0x30...0x39).contains($0) } }
    }
}
