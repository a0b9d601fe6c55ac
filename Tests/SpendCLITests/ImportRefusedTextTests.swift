import Foundation
import SpendCore
import XCTest

/// A record refused after conversion (here: a model without a price) is
/// written to `--reject-file` with its exact text, which the import keeps
/// only as a byte range of the piece it was read from (not as a copy per
/// record): the range must point at the record, also past the first line.
final class ImportRefusedTextTests: XCTestCase {
    func spend(_ repo: TestRepo, _ args: [String]) throws -> RunResult { try runSpend("spend", args, in: repo.root) }

    /// The balanced JSON object of `text` that starts at `prefix`.
    func object(in text: String, startingWith prefix: String) throws -> String {
        let start = try XCTUnwrap(text.range(of: prefix)).lowerBound
        var depth = 0
        var inString = false
        var escaped = false
        for i in text[start...].indices {
            let c = text[i]
            if inString {
                if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inString = false }
                continue
            }
            if c == "\"" { inString = true }
            if c == "{" { depth += 1 }
            if c == "}" {
                depth -= 1
                if depth == 0 { return String(text[start...i]) }
            }
        }
        throw XCTSkip("unbalanced")
    }

    func testAnOtelSpanRefusedForItsPriceIsWrittenWithItsText() throws {
        let repo = try makeRepo()
        try repo.write("spend.toml", ImportTests.otelPolicy)
        let text = try String(contentsOfFile: ImportTests.otel, encoding: .utf8)
            .replacingOccurrences(of: "gpt-4o-mini-2024-07-18", with: "gpt-unpriced-1")
            .replacingOccurrences(of: "\"stringValue\":\"gpt-4o-mini\"", with: "\"stringValue\":\"gpt-unpriced-1\"")
        try repo.write("traces.jsonl", text)
        let r = try spend(repo, ["import", "otel", "traces.jsonl", "--reject-file", "rejects.jsonl"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("traces.jsonl:2: error[unknown-model]:"), r.stderr)
        let span = try object(in: String(text.split(separator: "\n")[1]), startingWith: "{\"traceId\":\"0af7651916cd43dd8448eb211c80319c\"")
        let rejects = try repo.read("rejects.jsonl").split(separator: "\n")
        XCTAssertEqual(rejects.count, 1)
        XCTAssertTrue(rejects[0].hasPrefix("{\"path\":\"traces.jsonl\",\"line\":2,"), String(rejects[0]))
        XCTAssertTrue(rejects[0].hasSuffix(",\"input\":\(span)}"), String(rejects[0]))
    }

    func testALiteLLMRowRefusedForItsPriceIsWrittenWithItsText() throws {
        let repo = try makeRepo()
        let text = try String(contentsOfFile: ImportTests.litellmJSON, encoding: .utf8)
            .replacingOccurrences(of: "\"model\": \"claude-sonnet-4-5\"", with: "\"model\": \"claude-unpriced-1\"")
        try repo.write("logs.json", text)
        let r = try spend(repo, ["import", "litellm", "logs.json", "--reject-file", "rejects.jsonl"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("logs.json:45: error[unknown-model]:"), r.stderr)
        let row = try object(in: text, startingWith: "{\n    \"request_id\": \"msg_01XFDUDYJgAACzvnptvVoYEL\"")
        let rejects = try repo.read("rejects.jsonl").split(separator: "\n")
        XCTAssertEqual(rejects.count, 1)
        XCTAssertTrue(rejects[0].hasPrefix("{\"path\":\"logs.json\",\"line\":45,"), String(rejects[0]))
        // The row as written, its newlines turned to spaces (a reject file is JSON Lines).
        XCTAssertTrue(rejects[0].hasSuffix(",\"input\":\(row.replacingOccurrences(of: "\n", with: " "))}"), String(rejects[0]))
    }
}
