import XCTest

@testable import SpendCore
@testable import SpendRender

/// Control characters, bidi overrides and huge values in human-readable output;
/// CSV quoting and formula neutralising.
final class OutputSafetyTests: XCTestCase {
    func testTerminalTextEscapesControlsAndBidiOverrides() {
        XCTAssertEqual(TerminalText.escaped("plain ünïcödé €"), "plain ünïcödé €")
        XCTAssertEqual(TerminalText.escaped("a\nb\rc\td"), "a\\nb\\rc\\td")
        XCTAssertEqual(TerminalText.escaped("\u{1b}[31mred\u{1b}[0m"), "\\u001b[31mred\\u001b[0m")
        XCTAssertEqual(TerminalText.escaped("\r\n"), "\\r\\n")
        XCTAssertEqual(TerminalText.escaped("\u{0}\u{7f}\u{80}\u{85}\u{9b}\u{9f}\u{a0}"), "\\u0000\\u007f\\u0080\\u0085\\u009b\\u009f\u{a0}")
        XCTAssertEqual(
            TerminalText.escaped("\u{202a}\u{202b}\u{202c}\u{202d}\u{202e}\u{2066}\u{2067}\u{2068}\u{2069}"),
            "\\u202a\\u202b\\u202c\\u202d\\u202e\\u2066\\u2067\\u2068\\u2069")
        XCTAssertEqual(TerminalText.escaped("a\u{2028}b\u{2029}c"), "a\\u2028b\\u2029c")
        // Bidi marks, the em dash and the ellipsis (0xE2 lead bytes) stay.
        XCTAssertEqual(TerminalText.escaped("\u{200f}x\u{200e} — …"), "\u{200f}x\u{200e} — …")
        XCTAssertEqual(TerminalText.escapedKeepingNewlines("one\ntwo\u{1b}\r\n"), "one\ntwo\\u001b\\r\n")
    }

    func testTableCellIsCutToSixtyCharactersWithAnEllipsis() {
        XCTAssertEqual(TerminalText.cell(String(repeating: "x", count: 60)), String(repeating: "x", count: 60))
        XCTAssertEqual(TerminalText.cell(String(repeating: "x", count: 61)), String(repeating: "x", count: 59) + "…")
        XCTAssertEqual(TerminalText.cell(String(repeating: "é", count: 10_000_000)), String(repeating: "é", count: 59) + "…")
        // Escapes count as what they show.
        XCTAssertEqual(TerminalText.cell(String(repeating: "\u{1b}", count: 11)), String(repeating: "\\u001b", count: 9) + "\\u001…")
        XCTAssertEqual(TerminalText.cell(String(repeating: "\u{1b}", count: 10)), String(repeating: "\\u001b", count: 10))
    }

    func testTextTableEscapesAndCapsCells() {
        let long = String(repeating: "v", count: 10_000_000)
        let text = TextTable.render(
            header: ["team", "cost"], rows: [["a\nerror[fake]: x", "$1.00"], [long, "$2.00"]], rightAligned: [1])
        func pad(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: n - s.count) }
        XCTAssertEqual(
            text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init),
            [
                pad("team", 60) + "   cost",
                String(repeating: "-", count: 60) + "  -----",
                pad("a\\nerror[fake]: x", 60) + "  $1.00",
                String(repeating: "v", count: 59) + "…  $2.00",
            ])
    }

    func testDiagnosticEscapesMessageAndAlignsCaretUnderEscapedLine() {
        let d = Diagnostic(
            path: "ledger/2025/2025-01.jsonl", line: 3, column: 10, rule: "json", message: "bad value 'x\ny'",
            sourceLine: "{\"a\":\t\u{1b}[2J oops}")
        XCTAssertEqual(d.description, "ledger/2025/2025-01.jsonl:3:10: error[json]: bad value 'x\\ny'")
        XCTAssertEqual(
            d.renderedWithSource.split(separator: "\n").map(String.init),
            [
                "ledger/2025/2025-01.jsonl:3:10: error[json]: bad value 'x\\ny'",
                "  |",
                "3 | {\"a\":\\t\\u001b[2J oops}",
                // Under the "J": `{"a":` 5, `\t` 2, `\u001b` 6, `[2` 2 columns before it.
                "  | " + String(repeating: " ", count: 15) + "^",
            ])
    }

    func testCSVQuotesLineBreaksAndNeutralisesFormulas() {
        let csv = CSV()
        XCTAssertEqual(csv.field("search"), "search")
        XCTAssertEqual(csv.field("a,b"), "\"a,b\"")
        XCTAssertEqual(csv.field("say \"hi\""), "\"say \"\"hi\"\"\"")
        // "\r\n" is one Character: it must still be seen and quoted.
        XCTAssertEqual(csv.field("a\r\nb"), "\"a\r\nb\"")
        XCTAssertEqual(csv.field("a\rb"), "\"a\rb\"")
        XCTAssertEqual(csv.field("=HYPERLINK(\"http://x\",\"y\")"), "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"")
        XCTAssertEqual(csv.field("+1+2"), "\"'+1+2\"")
        XCTAssertEqual(csv.field("-2+3"), "\"'-2+3\"")
        XCTAssertEqual(csv.field("@SUM(A1)"), "\"'@SUM(A1)\"")
        XCTAssertEqual(csv.field("\tx"), "\"'\tx\"")
        XCTAssertEqual(csv.field("\rx"), "\"'\rx\"")
        XCTAssertEqual(csv.field("-"), "\"'-\"")
        // Numbers stay numbers.
        XCTAssertEqual(csv.field("-1.25"), "-1.25")
        XCTAssertEqual(csv.field("-0.0000075"), "-0.0000075")
        XCTAssertEqual(csv.field("42"), "42")
        XCTAssertEqual(csv.field("-1."), "\"'-1.\"")
        XCTAssertEqual(csv.field("-1e5"), "\"'-1e5\"")
        XCTAssertEqual(csv.row(["=1", "-3", "x"]), "\"'=1\",-3,x\n")
        let raw = CSV(neutralizesFormulas: false)
        XCTAssertEqual(raw.row(["=1+2", "a\r\nb", "-3"]), "=1+2,\"a\r\nb\",-3\n")
    }

    func testJSONQuoteEscapesEveryControlAndBidiOverride() {
        XCTAssertEqual(JSON.quote("a\u{1}\u{1f}\u{7f}\u{9b}\u{202e}\u{2028}\"\\\n"), "\"a\\u0001\\u001f\\u007f\\u009b\\u202e\\u2028\\\"\\\\\\n\"")
    }
}
