import XCTest

@testable import SpendCore

/// `spend import csv`: RFC 4180 CSV with a column mapping (Tests/Fixtures/import/*.csv).
final class CSVImportTests: XCTestCase {
    typealias S = ImportTestSupport

    static let callsMap = [
        "id=request_id,ts=time,provider=vendor,model=model_name", "input_tokens=in,cached_input_tokens=cached,output_tokens=out",
        "tool_calls.web_search=searches,tag.team=Team,tag.feature=Feature,tag.env=env",
    ]

    func source(_ toml: String = "", map: [String] = callsMap, provider: String? = nil, timeFormat: String? = nil) throws -> CSVImportSource {
        try CSVImportSource.make(settings: try S.settings("csv", toml), map: map, provider: provider, timeFormat: timeFormat)
    }

    func testRowsMapToExactDraftsThroughQuotesCommasAndCRLF() throws {
        let file = try S.fixture("llm-calls.csv")
        XCTAssertTrue(file.contains(13), "the fixture keeps its CRLF line ends")
        let out = S.convert(try source(), file, path: "calls.csv")
        XCTAssertEqual(out.rejected.map(\.message), [])
        XCTAssertEqual(out.records, 3)
        XCTAssertEqual(
            out.drafts.map(\.event.jsonLine),
            [
                #"{"ts":"2026-10-01T09:30:00.000Z","id":"csv:req_7f3a","provider":"openai","model":"gpt-4.1-2025-04-14","input_tokens":12000,"cached_input_tokens":2000,"output_tokens":800,"tags":{"env":"prod","feature":"ranker","team":"search"}}"#,
                #"{"ts":"2026-10-01T09:31:05.250Z","id":"csv:req_7f3b","provider":"anthropic","model":"claude-sonnet-4-5-20250929","input_tokens":8000,"output_tokens":1200,"tool_calls":{"web_search":2},"tags":{"env":"prod","feature":"summarize \"long\" threads","team":"support, tier 2"}}"#,
                #"{"ts":"2026-10-01T09:02:17.000Z","id":"csv:req_7f3c","provider":"openai","model":"gpt-4o-mini-2024-07-18","input_tokens":5000,"output_tokens":300,"tags":{"env":"dev","feature":"digest\r\n(two lines)"}}"#,
            ])
        XCTAssertEqual(out.drafts.map(\.origin.line), [2, 3, 4])
        XCTAssertEqual(
            out.drafts[1].origin.sourceLine,
            #"req_7f3b,2026-10-01T09:31:05.250Z,anthropic,claude-sonnet-4-5-20250929,8000,,1200,2,"support, tier 2","summarize ""long"" threads",prod"#)
        XCTAssertEqual(out.drafts.map(\.hasId), [true, true, true])
    }

    func testRowsPriceExactlyWithTheBundledCards() throws {
        let out = S.convert(try source(), try S.fixture("llm-calls.csv"), path: "calls.csv")
        // gpt-4.1: 12,000 × 2 + 2,000 × 0.50 + 800 × 8 per 1M = 0.0314
        // Sonnet 4.5: 8,000 × 3 + 1,200 × 15 per 1M + 2 searches × $10 / 1,000 = 0.062
        // gpt-4o-mini: 5,000 × 0.15 + 300 × 0.60 per 1M = 0.00093
        XCTAssertEqual(S.costs(out.drafts), [.d("0.0314"), .d("0.062"), .d("0.00093")])
    }

    func testSettingsTableMapsAndTheCommandLineWinsFieldByField() throws {
        let toml = """
            [import.csv]
            provider = "openai"
            ts_format = "unix_ms"

            [import.csv.map]
            ts = "day"
            model = "model"
            input_tokens = "prompt"
            output_tokens = "completion"
            requests = "requests"
            tag.team = "team"
            """
        let out = S.convert(try source(toml, map: ["output_tokens=completion"]), try S.fixture("daily-usage.csv"), path: "daily.csv")
        XCTAssertEqual(out.rejected.map(\.message), [])
        XCTAssertEqual(out.drafts.map(\.event.ts), [1_790_812_800_000, 1_790_812_800_000, 1_790_899_200_000])
        XCTAssertEqual(out.drafts.map(\.event.requests), [12, 12, 3])
        XCTAssertEqual(out.drafts.map(\.event.provider), ["openai", "openai", "openai"])
        XCTAssertEqual(out.drafts.map(\.event.tags), [["team": "search"], ["team": "search"], ["team": "search"]])
        // 40,000 × 0.15 + 5,000 × 0.60 per 1M = 0.009 each; 100,000 × 2 + 2,000 × 8 = 0.216
        XCTAssertEqual(S.costs(out.drafts), [.d("0.009"), .d("0.009"), .d("0.216")])
        // The command line's provider wins over the table's.
        let other = S.convert(try source(toml, map: [], provider: "azure"), try S.fixture("daily-usage.csv"), path: "daily.csv")
        XCTAssertEqual(other.drafts.first?.event.provider, "azure")
    }

    func testTheSameFileGivesTheSameLedgerLines() throws {
        let bytes = try S.fixture("llm-calls.csv")
        let first = S.lines(S.convert(try source(), bytes, path: "calls.csv").drafts)
        XCTAssertEqual(first.count, 3)
        XCTAssertEqual(S.lines(S.convert(try source(), bytes, path: "calls.csv").drafts), first)
    }

    func testHashedIdsAreDeterministicAndIdenticalRowsStayTwoEvents() throws {
        let map = ["ts=day,model=model,provider=provider,input_tokens=prompt,output_tokens=completion,requests=requests,tag.team=team"]
        let file = try S.fixture("daily-usage.csv")
        let ids = S.convert(try source(map: map, timeFormat: "unix_ms"), file, path: "a.csv").drafts.map(\.event.id)
        XCTAssertEqual(ids.count, 3)
        XCTAssertEqual(Set(ids).count, 3, "two identical rows are two calls: two ids")
        XCTAssertEqual(S.convert(try source(map: map, timeFormat: "unix_ms"), file, path: "b.csv").drafts.map(\.event.id), ids)
        // An export that overlaps it (the header and the last row) gives that row the same id.
        let lines = String(decoding: file, as: UTF8.self).split(separator: "\n")
        let overlap = Array((lines[0] + "\n" + lines[3] + "\n").utf8)
        XCTAssertEqual(S.convert(try source(map: map, timeFormat: "unix_ms"), overlap, path: "c.csv").drafts.map(\.event.id), [ids[2]])
        XCTAssertEqual(
            ids[2],
            ImportID.hashed(
                "csv",
                ["input_tokens=100000", "model=gpt-4.1-2025-04-14", "output_tokens=2000", "provider=openai", "requests=3",
                 "tag.team=search", "ts=1790899200000"]))
    }

    func testMalformedRowsAreLocatedRejectionsAndTheOthersConvert() throws {
        let out = S.convert(try source(), try S.fixture("llm-calls-malformed.csv"), path: "bad.csv")
        XCTAssertEqual(out.drafts.map(\.event.id), ["csv:req_9a01", "csv:req_9a07"])
        XCTAssertEqual(out.records, 8)
        XCTAssertEqual(
            out.rejected.map { "\($0.origin.line!): \($0.rule): \($0.message)" },
            [
                "3: import: input_tokens (column \"in\") must be a non-negative integer, not \"-5\"",
                "4: import: output_tokens (column \"out\") must be a non-negative integer, not \"1e3\"",
                "5: import: the row has 10 cells, the header 11",
                "6: timestamp: ts (column \"time\") \"1790899200\" is not an RFC 3339 time or a date within years 0001–9999 (it looks like a Unix time: set the time format to unix or unix_ms)",
                "7: import: not CSV: text after the closing quote of a cell (a quote inside a quoted cell is written \"\") (column 85)",
                "9: import: not CSV: the quoted cell opened here never closes (a missing \") (column 77)",
            ])
        XCTAssertEqual(out.rejected[0].origin.sourceLine, "req_9a02,2026-10-02T08:01:00Z,openai,gpt-4.1-2025-04-14,-5,0,100,0,search,ranker,prod")
    }

    func testAHeaderWithoutAMappedColumnRejectsTheFileAtLineOne() throws {
        let out = S.convert(try source(map: Self.callsMap + ["tag.customer=Customer"]), try S.fixture("llm-calls.csv"), path: "calls.csv")
        XCTAssertEqual(out.drafts.count, 0)
        XCTAssertEqual(out.records, 0)
        XCTAssertEqual(
            out.rejected.map(\.message),
            ["the header has no column \"Customer\" (mapped to tag.customer); its columns are: request_id, time, vendor, model_name, in, cached, out, searches, Team, Feature, env"])
        XCTAssertEqual(out.rejected.map(\.origin.line), [1])
    }

    func testMappingProblemsAreUsageAndPolicyErrors() throws {
        XCTAssertThrowsError(try source(map: ["ts=time,model=model_name"])) { error in
            XCTAssertEqual(
                error as? SpendError,
                .usage("the column mapping has no provider, input_tokens, output_tokens: map each to a column (e.g. provider=COLUMN), or give a provider for every row"))
        }
        XCTAssertThrowsError(try source(map: ["ts"])) { error in
            XCTAssertEqual(error as? SpendError, .usage("a column mapping item is FIELD=COLUMN (e.g. ts=time,model=model_name), got 'ts'"))
        }
        XCTAssertThrowsError(try source(map: Self.callsMap + ["input=in"])) { error in
            XCTAssertEqual(
                error as? SpendError,
                .usage("column mapping: unknown field \"input\" (expected: ts, id, provider, model, model_requested, service_tier, batch, requests, input_tokens, cached_input_tokens, cache_write_tokens, cache_write_1h_tokens, output_tokens, status, trace_id, latency_ms, tag.NAME, tool_calls.NAME)"))
        }
        XCTAssertThrowsError(try source(map: Self.callsMap, timeFormat: "epoch")) { error in
            XCTAssertEqual(error as? SpendError, .usage("time format \"epoch\" is not one of rfc3339, unix, unix_ms"))
        }
        let toml = """
            [import.csv]
            ts_format = "epoch"

            [import.csv.map]
            input = "in"
            """
        XCTAssertThrowsError(try source(toml)) { error in
            guard case .input(let diagnostics, _) = error as? SpendError else { return XCTFail("\(error)") }
            XCTAssertEqual(
                diagnostics.map(\.description),
                [
                    "spend.toml:2: error[policy]: time format \"epoch\" in [import.csv] is not one of rfc3339, unix, unix_ms",
                    "spend.toml:5: error[policy]: unknown field \"input\" (expected: ts, id, provider, model, model_requested, service_tier, batch, requests, input_tokens, cached_input_tokens, cache_write_tokens, cache_write_1h_tokens, output_tokens, status, trace_id, latency_ms, tag.NAME, tool_calls.NAME) in [import.csv.map]",
                ])
        }
    }

    func testACountAboveTheEventLimitIsAnOverflow() throws {
        let text = "t,m,p,in,out\n2026-10-01T00:00:00Z,gpt-4o-mini,openai,1000000000000001,1\n2026-10-01T00:00:00Z,gpt-4o-mini,openai,99999999999999999999,1\n"
        let out = S.convert(try source(map: ["ts=t,model=m,provider=p,input_tokens=in,output_tokens=out"]), Array(text.utf8), path: "o.csv")
        XCTAssertEqual(out.drafts.count, 0)
        XCTAssertEqual(
            out.rejected.map { "\($0.rule): \($0.message)" },
            [
                "overflow: input_tokens (column \"in\") is 1000000000000001, above the per-event limit 10^15",
                "overflow: input_tokens (column \"in\") is 99999999999999999999, above the per-event limit 10^15",
            ])
    }

    func testADateIsMidnightUTC() throws {
        let text = "d,m,p,in,out\n2026-10-01,gpt-4o-mini-2024-07-18,openai,1,1\n2026-10-32,gpt-4o-mini-2024-07-18,openai,1,1\n"
        let out = S.convert(try source(map: ["ts=d,model=m,provider=p,input_tokens=in,output_tokens=out"]), Array(text.utf8), path: "d.csv")
        XCTAssertEqual(out.drafts.map(\.event.ts), [TestSupport.ms("2026-10-01T00:00:00Z")])
        XCTAssertEqual(out.rejected.map(\.message), ["ts (column \"d\") \"2026-10-32\" is not an RFC 3339 time or a date within years 0001–9999"])
        XCTAssertEqual(out.rejected.map(\.origin.line), [3])
    }

    func testUnixSecondsBOMBatchAndInputThatIncludesCached() throws {
        let text = "\u{FEFF}t,m,p,in,c,out,b\n1790845800.25,gpt-4o-mini-2024-07-18,openai,10000,4000,100,true\n1790845800,gpt-4o-mini-2024-07-18,openai,1000,4000,100,no\n"
        let toml = """
            [import.csv]
            input_includes_cached = true
            """
        let map = ["ts=t,model=m,provider=p,input_tokens=in,cached_input_tokens=c,output_tokens=out,batch=b"]
        let out = S.convert(try source(toml, map: map, timeFormat: "unix"), Array(text.utf8), path: "x.csv")
        XCTAssertEqual(out.drafts.map(\.event.jsonLine).first.map { $0.hasPrefix(#"{"ts":"2026-10-01T09:10:00.250Z""#) }, true)
        XCTAssertEqual(out.drafts.map(\.event.inputTokens), [6000])
        XCTAssertEqual(out.drafts.map(\.event.batch), [true])
        XCTAssertEqual(
            out.rejected.map(\.message),
            ["input_tokens (column \"in\") is 1000, less than the 4000 cached and cache-write tokens it includes (input_includes_cached)"])
    }
}
