import Foundation
import SpendCore
import XCTest

/// `spend import openai-usage|anthropic-usage|csv` end to end, in process,
/// against the fixtures in Tests/Fixtures/import (written from OpenAI's
/// organization Usage API, Anthropic's Admin API usage report, and a mapped
/// CSV): exact summary and cost, idempotence, overlaps, malformed files,
/// `--dry-run` and `--reject-file`.
final class ImportUsageAndCSVTests: XCTestCase {
    static let fixtures = ImportTests.fixtures
    static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }
    static let shard = "ledger/2026/2026-10.jsonl"
    static let callsMap =
        "id=request_id,ts=time,provider=vendor,model=model_name,input_tokens=in,cached_input_tokens=cached,output_tokens=out,"
        + "tool_calls.web_search=searches,tag.team=Team,tag.feature=Feature,tag.env=env"

    func spend(_ repo: TestRepo, _ args: [String]) throws -> RunResult { try runSpend("spend", args, in: repo.root) }

    func events(_ repo: TestRepo) throws -> [LedgerEvent] {
        try repo.read(Self.shard).split(separator: "\n").map { try LedgerEvent.parse(line: String($0)) }
    }

    func ledgerExists(_ repo: TestRepo) -> Bool { FileManager.default.fileExists(atPath: repo.url("ledger").path) }

    /// Imports `args` twice: the first adds `summary`, the second nothing, and the ledger bytes stay the same.
    func assertIdempotent(_ repo: TestRepo, _ args: [String], summary: String, present: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let first = try spend(repo, ["import"] + args)
        assertOK(first, file: file, line: line)
        XCTAssertEqual(first.stdout, summary, file: file, line: line)
        let bytes = try repo.read(Self.shard)
        let again = try spend(repo, ["import"] + args)
        assertOK(again, file: file, line: line)
        XCTAssertEqual(again.stdout, "imported 0 new, \(present) already present, 0 rejected\n", file: file, line: line)
        XCTAssertEqual(try repo.read(Self.shard), bytes, file: file, line: line)
    }

    // MARK: openai-usage

    func testOpenAIUsagePageImportsWithExactCostAndTwiceAddsNothing() throws {
        let repo = try makeRepo()
        try repo.write("spend.toml", "[import.openai.projects.proj_search]\nteam = \"search\"\n")
        try assertIdempotent(
            repo, ["openai-usage", Self.fixture("openai-usage-page.json")],
            summary: "imported 3 new, 0 already present, 0 rejected; cost $4.24\n", present: 3)
        let e = try events(repo)
        XCTAssertEqual(e.map(\.requests), [340, 1200, 12])
        XCTAssertEqual(e[0].tags, ["openai_project": "proj_search", "openai_api_key": "key_search_prod", "team": "search"])
        XCTAssertEqual(e.map { $0.cost?.description }, ["3.3", "0.45", "0.49"])
    }

    func testOpenAIUsageOverlappingPagesCountEachBucketOnce() throws {
        let repo = try makeRepo()
        assertOK(try spend(repo, ["import", "openai-usage", Self.fixture("openai-usage-page.json")]))
        let r = try spend(repo, ["import", "openai-usage", Self.fixture("openai-usage-pages.jsonl")])
        assertOK(r)
        XCTAssertEqual(r.stdout, "imported 1 new, 2 already present, 0 rejected; cost $0.00195\n")
        XCTAssertEqual(try events(repo).count, 4)
    }

    func testOpenAIUsageMalformedPageIsLocatedAndNothingIsWritten() throws {
        let repo = try makeRepo()
        let r = try spend(repo, ["import", "openai-usage", Self.fixture("openai-usage-malformed.jsonl")])
        assertRejected(r)
        XCTAssertTrue(
            r.stderr.contains("openai-usage-malformed.jsonl:2: error[json]: not a valid usage page: duplicate key \"model\" (column 250)"),
            r.stderr)
        XCTAssertTrue(r.stderr.contains("spend: 1 error; nothing was written"), r.stderr)
        XCTAssertFalse(ledgerExists(repo))
    }

    func testOpenAIUsageDryRunWritesNothing() throws {
        let repo = try makeRepo()
        let r = try spend(repo, ["import", "openai-usage", "--dry-run", Self.fixture("openai-usage-page.json")])
        assertOK(r)
        XCTAssertEqual(r.stdout, "dry run: would import 3 new, 0 already present, 0 rejected; cost $4.24; nothing written\n")
        XCTAssertFalse(ledgerExists(repo))
    }

    func testOpenAIUsageRejectFileGetsTheBadPageAndTheGoodOneIsWritten() throws {
        let repo = try makeRepo()
        let r = try spend(repo, ["import", "openai-usage", "--reject-file", "rejects.jsonl", Self.fixture("openai-usage-malformed.jsonl")])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(r.stdout, "imported 1 new, 0 already present, 1 rejected; cost $0.00195\n")
        XCTAssertTrue(r.stderr.contains("spend: rejected 1 record (written to rejects.jsonl)"), r.stderr)
        let rejects = try repo.read("rejects.jsonl").split(separator: "\n")
        XCTAssertEqual(rejects.count, 1)
        XCTAssertTrue(
            rejects[0].contains(
                "\"line\":2,\"error\":\"not a valid usage page: duplicate key \\\"model\\\" (column 250)\",\"rule\":\"json\",\"input\":\"{\\\"object\\\":\\\"page\\\""),
            String(rejects[0]))
        XCTAssertEqual(try events(repo).count, 1)
    }

    // MARK: anthropic-usage

    func testAnthropicUsagePageImportsWithExactCostAndTwiceAddsNothing() throws {
        let repo = try makeRepo()
        try assertIdempotent(
            repo, ["anthropic-usage", Self.fixture("anthropic-usage-page.json")],
            summary: "imported 3 new, 0 already present, 0 rejected; cost $11.125\n", present: 3)
        let e = try events(repo)
        XCTAssertEqual([e[0].inputTokens, e[0].cachedInputTokens ?? 0, e[0].cacheWriteTokens ?? 0, e[0].cacheWrite1hTokens ?? 0], [900_000, 2_000_000, 100_000, 50_000])
        XCTAssertEqual(e[2].batch, true)
    }

    func testAnthropicUsageOverlappingPagesCountEachBucketOnce() throws {
        let repo = try makeRepo()
        assertOK(try spend(repo, ["import", "anthropic-usage", Self.fixture("anthropic-usage-page.json")]))
        let r = try spend(repo, ["import", "anthropic-usage", Self.fixture("anthropic-usage-pages.jsonl")])
        assertOK(r)
        XCTAssertEqual(r.stdout, "imported 1 new, 1 already present, 0 rejected; cost $0.015\n")
        XCTAssertEqual(try events(repo).count, 4)
    }

    func testAnthropicUsageTruncatedFileIsLocatedAndNothingIsWritten() throws {
        let repo = try makeRepo()
        let text = try String(contentsOfFile: Self.fixture("anthropic-usage-page.json"), encoding: .utf8)
        try repo.write("usage.json", String(text.utf8.prefix(600))!)
        let r = try spend(repo, ["import", "anthropic-usage", "usage.json"])
        assertRejected(r)
        XCTAssertTrue(r.stderr.contains("usage.json:20: error[json]: not a valid usage page: unterminated string (column 16)"), r.stderr)
        XCTAssertFalse(ledgerExists(repo))
    }

    func testAnthropicUsageDryRunAndRejectFile() throws {
        let repo = try makeRepo()
        let dry = try spend(repo, ["import", "anthropic-usage", "--dry-run", Self.fixture("anthropic-usage-page.json")])
        assertOK(dry)
        XCTAssertEqual(dry.stdout, "dry run: would import 3 new, 0 already present, 0 rejected; cost $11.125; nothing written\n")
        XCTAssertFalse(ledgerExists(repo))
        // The ungrouped report has results without model/context_window.
        let r = try spend(repo, ["import", "anthropic-usage", "--reject-file", "rejects.jsonl", Self.fixture("anthropic-usage-ungrouped.json")])
        XCTAssertEqual(r.status, 1, r.stderr)
        let rejects = try repo.read("rejects.jsonl").split(separator: "\n")
        XCTAssertFalse(rejects.isEmpty)
        XCTAssertTrue(rejects.allSatisfy { $0.contains("\"rule\":\"import\"") && $0.contains("\"input\":{\"data\":[{") }, rejects.joined(separator: "\n"))
        XCTAssertTrue(r.stderr.contains("error[import]: result has no model"), r.stderr)
    }

    // MARK: csv

    func testCSVImportsWithTheCommandLineMapAndTwiceAddsNothing() throws {
        let repo = try makeRepo()
        try assertIdempotent(
            repo, ["csv", "--map", Self.callsMap, Self.fixture("llm-calls.csv")],
            summary: "imported 3 new, 0 already present, 0 rejected; cost $0.09433\n", present: 3)
        let e = try events(repo)
        XCTAssertEqual(e.map(\.id), ["csv:req_7f3a", "csv:req_7f3b", "csv:req_7f3c"])
        XCTAssertEqual(e.map { $0.cost?.description }, ["0.0314", "0.062", "0.00093"])
        XCTAssertEqual(e[1].tags, ["env": "prod", "feature": "summarize \"long\" threads", "team": "support, tier 2"])
    }

    func testCSVMapFlagsAddUpAsDocumented() throws {
        let repo = try makeRepo()
        let r = try spend(
            repo,
            [
                "import", "csv", Self.fixture("llm-calls.csv"), "--map", "id=request_id,ts=time,provider=vendor,model=model_name",
                "--map", "input_tokens=in,cached_input_tokens=cached,output_tokens=out",
                "--map", "tool_calls.web_search=searches,tag.team=Team,tag.feature=Feature,tag.env=env",
            ])
        assertOK(r)
        XCTAssertEqual(r.stdout, "imported 3 new, 0 already present, 0 rejected; cost $0.09433\n")
    }

    func testCSVMapFromSpendTomlAndIdenticalRowsStayTwoEvents() throws {
        let repo = try makeRepo()
        try repo.write(
            "spend.toml",
            """
            [import.csv]
            ts_format = "unix_ms"

            [import.csv.map]
            ts = "day"
            model = "model"
            provider = "provider"
            input_tokens = "prompt"
            output_tokens = "completion"
            requests = "requests"
            tag = { team = "team" }

            """)
        let r = try spend(repo, ["import", "csv", Self.fixture("daily-usage.csv")])
        assertOK(r)
        XCTAssertTrue(r.stdout.hasPrefix("imported 3 new, 0 already present, 0 rejected; cost $"), r.stdout)
        let again = try spend(repo, ["import", "csv", Self.fixture("daily-usage.csv")])
        XCTAssertEqual(again.stdout, "imported 0 new, 3 already present, 0 rejected\n")
        XCTAssertEqual(try events(repo).map(\.requests), [12, 12, 3])
    }

    func testCSVOverlappingExportsCountEachRowOnce() throws {
        let repo = try makeRepo()
        // CRLF rows: \r\n is one Character, so split the bytes.
        let bytes = try Data(contentsOf: Self.fixtures.appendingPathComponent("llm-calls.csv"))
        let lines = bytes.split(separator: 10, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        try repo.write("a.csv", lines[0...2].joined(separator: "\n") + "\n")
        try repo.write("b.csv", ([lines[0]] + lines[2...]).joined(separator: "\n"))
        assertOK(try spend(repo, ["import", "csv", "--map", Self.callsMap, "a.csv"]))
        let r = try spend(repo, ["import", "csv", "--map", Self.callsMap, "b.csv"])
        assertOK(r)
        XCTAssertEqual(r.stdout, "imported 1 new, 1 already present, 0 rejected; cost $0.00093\n")
        XCTAssertEqual(try events(repo).count, 3)
    }

    func testCSVMalformedFileIsLocatedAndNothingIsWritten() throws {
        let repo = try makeRepo()
        let r = try spend(repo, ["import", "csv", "--map", Self.callsMap, Self.fixture("llm-calls-malformed.csv")])
        assertRejected(r)
        for expected in [
            "llm-calls-malformed.csv:3: error[import]: input_tokens (column \"in\") must be a non-negative integer, not \"-5\"",
            "llm-calls-malformed.csv:7: error[import]: not CSV: text after the closing quote of a cell (a quote inside a quoted cell is written \"\") (column 85)",
            "llm-calls-malformed.csv:9: error[import]: not CSV: the quoted cell opened here never closes (a missing \") (column 77)",
            "spend: 6 errors; nothing was written",
        ] {
            XCTAssertTrue(r.stderr.contains(expected), "missing \(expected) in\n\(r.stderr)")
        }
        XCTAssertFalse(ledgerExists(repo))
    }

    func testCSVDryRunAndRejectFile() throws {
        let repo = try makeRepo()
        let dry = try spend(repo, ["import", "csv", "--dry-run", "--map", Self.callsMap, Self.fixture("llm-calls.csv")])
        assertOK(dry)
        XCTAssertEqual(dry.stdout, "dry run: would import 3 new, 0 already present, 0 rejected; cost $0.09433; nothing written\n")
        XCTAssertFalse(ledgerExists(repo))
        let r = try spend(repo, ["import", "csv", "--map", Self.callsMap, "--reject-file", "rejects.jsonl", Self.fixture("llm-calls-malformed.csv")])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(r.stdout, "imported 2 new, 0 already present, 6 rejected; cost $0.0056\n")
        let rejects = try repo.read("rejects.jsonl").split(separator: "\n")
        XCTAssertEqual(rejects.count, 6)
        XCTAssertTrue(
            rejects[0].hasSuffix(
                "\"line\":3,\"error\":\"input_tokens (column \\\"in\\\") must be a non-negative integer, not \\\"-5\\\"\",\"rule\":\"import\","
                    + "\"input\":\"req_9a02,2026-10-02T08:01:00Z,openai,gpt-4.1-2025-04-14,-5,0,100,0,search,ranker,prod\"}"),
            String(rejects[0]))
        XCTAssertEqual(try events(repo).map(\.id), ["csv:req_9a01", "csv:req_9a07"])
    }

    func testCSVWithoutAMappingNamesTheMissingFields() throws {
        let repo = try makeRepo()
        let r = try spend(repo, ["import", "csv", Self.fixture("llm-calls.csv")])
        assertRejected(r)
        XCTAssertTrue(r.stderr.contains("the column mapping has no provider"), r.stderr)
        XCTAssertFalse(ledgerExists(repo))
    }

    // MARK: litellm's CSV export on the one CSV reader

    func testLiteLLMCSVWithTextAfterAClosingQuoteIsALocatedError() throws {
        let repo = try makeRepo()
        let text = try String(contentsOfFile: ImportTests.litellmCSV, encoding: .utf8)
        try repo.write("logs.csv", text + "chatcmpl-broken,\"x\"y,z\n")
        let r = try spend(repo, ["import", "litellm", "logs.csv"])
        assertRejected(r)
        XCTAssertTrue(
            r.stderr.contains("logs.csv:5: error[import]: not CSV: text after the closing quote of a cell (a quote inside a quoted cell is written \"\") (column 20)"),
            r.stderr)
        XCTAssertFalse(ledgerExists(repo))
    }
}
