import Foundation
import XCTest

/// Rejected input: exit 2, compiler-style `path:line:col: error[rule]: message` on stderr, no report.
final class DiagnosticTests: XCTestCase {
    static let shard = "ledger/2026/2026-11.jsonl"
    static let good = event(ts: "2026-11-01T00:00:00Z", id: "ok-1", input: 2000, output: 500, tags: [("team", "growth")])

    /// The first stderr line, which must be the diagnostic.
    func firstLine(_ r: RunResult) -> String {
        r.stderr.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
    }

    func matches(_ text: String, _ pattern: String) -> Bool {
        text.range(of: pattern, options: .regularExpression) != nil
    }

    /// Asserts the caret display: the source line after a `N | ` gutter, then a caret under `column`.
    func assertCaret(_ r: RunResult, line number: Int, source: String, column: Int, file: StaticString = #filePath, line: UInt = #line) {
        let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let gutter = "\(number) | "
        guard let i = lines.firstIndex(of: gutter + source) else {
            XCTFail("source line not shown after '\(gutter)':\n\(r.stderr)", file: file, line: line)
            return
        }
        guard i + 1 < lines.count, let caret = lines[i + 1].firstIndex(of: "^") else {
            XCTFail("no caret line under the source:\n\(r.stderr)", file: file, line: line)
            return
        }
        let offset = lines[i + 1].distance(from: lines[i + 1].startIndex, to: caret) - gutter.count
        XCTAssertEqual(offset, column - 1, "caret under the wrong column:\n\(r.stderr)", file: file, line: line)
        XCTAssertTrue(lines[i + 1].hasPrefix(String(repeating: " ", count: String(number).count) + " | "), file: file, line: line)
    }

    func testMalformedJSONLine() throws {
        let repo = try makeRepo()
        let bad = #"{"ts":"2026-11-02T00:00:00Z","id":"bad","provider":"openai","model":"gpt-4o","input_tokens":1,"output_tokens":1,"tags":{"team":"a"}"#
        try repo.writeLedger(Self.shard, [Self.good, bad])
        let r = try repo.spend("report", "--strict")
        assertRejected(r)
        let first = firstLine(r)
        XCTAssertTrue(first.hasPrefix("ledger/2026/2026-11.jsonl:2:"), first)
        XCTAssertTrue(matches(first, #"^ledger/2026/2026-11\.jsonl:2:\d+: error\[json\]: \S"#), first)
        // The object is cut short: the error is at the end of the line.
        XCTAssertEqual(first, "ledger/2026/2026-11.jsonl:2:\(bad.utf8.count + 1): error[json]: expected ',' or '}'")
        assertCaret(r, line: 2, source: bad, column: bad.utf8.count + 1)
        XCTAssertTrue(r.stderr.contains("nothing was reported"), r.stderr)
    }

    func testMalformedJSONInTheMiddleOfALine() throws {
        let repo = try makeRepo()
        let bad = #"{"ts":"2026-11-02T00:00:00Z","id":"bad","provider":"openai" "model":"gpt-4o","input_tokens":1,"output_tokens":1,"tags":{}}"#
        try repo.writeLedger(Self.shard, [Self.good, Self.good.replacingOccurrences(of: "ok-1", with: "ok-2"), bad])
        let r = try repo.spend("report", "--strict", "--format", "csv")
        assertRejected(r)
        // The scanner expected ',' or '}' and found the quote of "model".
        let column = try XCTUnwrap(bad.range(of: #" "model""#)).lowerBound.utf16Offset(in: bad) + 2
        XCTAssertEqual(firstLine(r), "ledger/2026/2026-11.jsonl:3:\(column): error[json]: expected ',' or '}'")
        assertCaret(r, line: 3, source: bad, column: column)
    }

    func testUnknownModel() throws {
        let repo = try makeRepo()
        let line = #"{"ts":"2026-11-03T14:22:07.123Z","id":"c","provider":"openai","model":"gpt-9","input_tokens":2000,"output_tokens":5,"tags":{"team":"growth"}}"#
        try repo.writeLedger(Self.shard, [line])
        let r = try repo.spend("report", "--strict")
        assertRejected(r)
        XCTAssertEqual(
            firstLine(r),
            #"ledger/2026/2026-11.jsonl:1:71: error[unknown-model]: model "gpt-9" matches no price or alias in ratecards/openai.toml; did you mean gpt-4 or gpt-5?"#)
        assertCaret(r, line: 1, source: line, column: 71)
        XCTAssertTrue(r.stderr.contains("spend: 1 error; nothing was reported"), r.stderr)
    }

    func testUnknownProvider() throws {
        let repo = try makeRepo()
        try repo.writeLedger(Self.shard, [event(ts: "2026-11-01T00:00:00Z", id: "p", provider: "acme-ai", model: "x", input: 1, output: 1)])
        let r = try repo.spend("report", "--strict")
        assertRejected(r)
        XCTAssertTrue(matches(firstLine(r), #"^ledger/2026/2026-11\.jsonl:1:\d+: error\[unknown-model\]: "#), r.stderr)
    }

    func testNoPriceInEffect() throws {
        let repo = try makeRepo()
        // gpt-4o has no price before 2024-05-13: an error, never $0.
        let line = event(ts: "2023-06-01T00:00:00Z", id: "old", input: 2000, output: 500, tags: [("team", "growth")])
        try repo.writeLedger("ledger/2023/2023-06.jsonl", [line])
        let r = try repo.spend("report", "--strict", "--format", "csv")
        assertRejected(r)
        XCTAssertTrue(matches(firstLine(r), #"^ledger/2023/2023-06\.jsonl:1:\d+: error\[no-price\]: \S"#), r.stderr)
        XCTAssertTrue(r.stderr.contains("\n1 | " + line + "\n"), r.stderr)
        XCTAssertTrue(r.stderr.contains("^"), r.stderr)
    }

    func testCachedTokensWithoutCachedPriceIsNoPrice() throws {
        let repo = try makeRepo()
        // The 2024-05-13 gpt-4o point has no cached_input rate.
        let line = event(ts: "2024-06-01T00:00:00Z", id: "c", input: 10, cached: 5, output: 1, tags: [("team", "a")])
        try repo.writeLedger("ledger/2024/2024-06.jsonl", [line])
        let r = try repo.spend("report", "--strict")
        assertRejected(r)
        XCTAssertTrue(matches(firstLine(r), #"^ledger/2024/2024-06\.jsonl:1:\d+: error\[no-price\]: "#), r.stderr)
    }

    func testSchemaErrorNamesColumn() throws {
        let repo = try makeRepo()
        let line = #"{"ts":"2026-11-03T14:22:05.123Z","id":"x","provider":"openai","model":"gpt-4o","input_tokens":1,"output_tokens":-5,"tags":{"team":"a"}}"#
        try repo.writeLedger(Self.shard, [line])
        let r = try repo.spend("report", "--strict")
        assertRejected(r)
        let column = try XCTUnwrap(line.range(of: "-5")).lowerBound.utf16Offset(in: line) + 1
        XCTAssertEqual(firstLine(r), "ledger/2026/2026-11.jsonl:1:\(column): error[schema]: output_tokens must be a non-negative integer")
        assertCaret(r, line: 1, source: line, column: column)
    }

    func testInvalidTOMLInRateCard() throws {
        let repo = try makeRepo()
        try repo.writeLedger(Self.shard, [Self.good])
        let original = try repo.read("ratecards/openai.toml")
        let lineCount = original.split(separator: "\n", omittingEmptySubsequences: false).count - (original.hasSuffix("\n") ? 1 : 0)
        try repo.write("ratecards/openai.toml", original + (original.hasSuffix("\n") ? "" : "\n") + "\nbogus = = 1\n")
        let r = try repo.spend("report", "--strict")
        assertRejected(r)
        let first = firstLine(r)
        XCTAssertTrue(matches(first, #"^ratecards/openai\.toml:\d+:\d+: error\[toml\]: \S"#), first)
        XCTAssertTrue(first.hasPrefix("ratecards/openai.toml:\(lineCount + 2):"), "expected line \(lineCount + 2): \(first)")
    }

    func testDuplicatePricePoint() throws {
        let repo = try makeRepo()
        try repo.writeLedger(Self.shard, [Self.good])
        var text = try repo.read("ratecards/openai.toml")
        if !text.hasSuffix("\n") { text += "\n" }
        let headerLine = text.split(separator: "\n", omittingEmptySubsequences: false).count + 1
        text += "\n[[price]]\nmodel = \"gpt-4o\"\neffective = 2024-10-01\ninput = 1.00\noutput = 2.00\n"
        try repo.write("ratecards/openai.toml", text)
        let r = try repo.spend("report", "--strict")
        assertRejected(r)
        let first = firstLine(r)
        XCTAssertTrue(
            first.hasPrefix("ratecards/openai.toml:\(headerLine): error[ratecard-duplicate]: "), "line \(headerLine) expected: \(first)")
        XCTAssertTrue(first.contains("gpt-4o"), first)
        XCTAssertTrue(r.stderr.contains("\(headerLine) | [[price]]"), r.stderr)
    }

    func testEveryBadLineIsReportedAndCounted() throws {
        let repo = try makeRepo()
        try repo.writeLedger(
            Self.shard,
            [
                Self.good,
                event(ts: "2026-11-01T00:00:00Z", id: "m1", model: "gpt-9", input: 1, output: 1),
                "not json",
                event(ts: "2026-11-01T00:00:00Z", id: "m2", model: "gpt-10", input: 1, output: 1),
            ])
        let r = try repo.spend("report", "--strict")
        assertRejected(r)
        let diagnostics = r.stderr.split(separator: "\n").filter { $0.hasPrefix("ledger/") }
        XCTAssertEqual(diagnostics.count, 3, r.stderr)
        XCTAssertTrue(diagnostics[0].hasPrefix("ledger/2026/2026-11.jsonl:2:"), r.stderr)
        XCTAssertTrue(diagnostics[1].hasPrefix("ledger/2026/2026-11.jsonl:3:1: error[json]"), r.stderr)
        XCTAssertTrue(diagnostics[2].hasPrefix("ledger/2026/2026-11.jsonl:4:"), r.stderr)
        XCTAssertTrue(r.stderr.contains("spend: 3 errors; nothing was reported"), r.stderr)
    }

    func testErrorsAlsoRejectCSVAndJSON() throws {
        let repo = try makeRepo()
        try repo.writeLedger(Self.shard, [Self.good, "{"])
        for format in ["csv", "json"] {
            let r = try repo.spend("report", "--strict", "--format", format)
            assertRejected(r)
            XCTAssertTrue(firstLine(r).hasPrefix("ledger/2026/2026-11.jsonl:2:"), r.stderr)
        }
    }
}
