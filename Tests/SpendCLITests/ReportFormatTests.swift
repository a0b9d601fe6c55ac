import Foundation
import XCTest

/// `--format csv|json`: exact headers, exact decimal costs.
final class ReportFormatTests: XCTestCase {
    static let usageHeader = "requests,input_tokens,cached_input_tokens,cache_write_tokens,output_tokens,cost,list_cost,effective_cost"

    func testCSVHeaderAndExactCosts() throws {
        let repo = try makeRepo()
        try repo.writeLedger("ledger/2025/2025-01.jsonl", [Fixture.growth, Fixture.search])
        let r = try repo.spend("report", "--format", "csv")
        assertOK(r)
        XCTAssertEqual(
            r.stdout,
            """
            team,requests,input_tokens,cached_input_tokens,cache_write_tokens,output_tokens,cost,list_cost,effective_cost
            growth,1,2000,0,0,500,0.01,0.01,0.01
            search,1,1000,0,0,100,0.0035,0.0035,0.0035
            (unattributed),0,0,0,0,0,0,0,0

            """)
    }

    func testCSVByTeamModelPerMonth() throws {
        let repo = try makeRepo()
        let feb = event(ts: "2025-02-10T00:00:00Z", id: "req-feb", input: 4000, output: 1000, tags: [("team", "search")])
        try repo.writeLedger("ledger/2025/2025-01.jsonl", [Fixture.growth, Fixture.search])
        try repo.writeLedger("ledger/2025/2025-02.jsonl", [feb])
        let r = try repo.spend("report", "--by", "team,model", "--period", "month", "--format", "csv")
        assertOK(r)
        XCTAssertEqual(r.lines.first, "period,team,model," + Self.usageHeader)
        XCTAssertEqual(
            Array(r.lines.dropFirst()),
            [
                "2025-01,growth,gpt-4o,1,2000,0,0,500,0.01,0.01,0.01",
                "2025-01,search,gpt-4o,1,1000,0,0,100,0.0035,0.0035,0.0035",
                "2025-02,search,gpt-4o,1,4000,0,0,1000,0.02,0.02,0.02",
            ])
    }

    func testPeriodMonthByTeamShowsUnattributedPerPeriod() throws {
        let repo = try makeRepo()
        let feb = event(ts: "2025-02-10T00:00:00Z", id: "req-feb", input: 4000, output: 1000, tags: [("team", "search")])
        try repo.writeLedger("ledger/2025/2025-01.jsonl", [Fixture.growth])
        try repo.writeLedger("ledger/2025/2025-02.jsonl", [feb])
        let r = try repo.spend("report", "--period", "month", "--format", "csv")
        assertOK(r)
        XCTAssertEqual(
            r.lines,
            [
                "period,team," + Self.usageHeader,
                "2025-01,growth,1,2000,0,0,500,0.01,0.01,0.01",
                "2025-01,(unattributed),0,0,0,0,0,0,0,0",
                "2025-02,search,1,4000,0,0,1000,0.02,0.02,0.02",
                "2025-02,(unattributed),0,0,0,0,0,0,0,0",
            ])
    }

    func testPeriodQuarterAndYearUseCalendarQuartersAndYears() throws {
        let repo = try makeRepo()
        let events = [
            event(ts: "2025-12-31T23:59:59Z", id: "q4", input: 2000, output: 500, tags: [("team", "a")]),
            event(ts: "2026-01-01T00:00:00Z", id: "q1a", input: 2000, output: 500, tags: [("team", "a")]),
            event(ts: "2026-03-31T23:59:59Z", id: "q1b", input: 2000, output: 500, tags: [("team", "a")]),
            event(ts: "2026-04-01T00:00:00Z", id: "q2", input: 2000, output: 500, tags: [("team", "a")]),
        ]
        try repo.writeLedger("ledger/2025/2025-12.jsonl", [events[0]])
        try repo.writeLedger("ledger/2026/2026-01.jsonl", [events[1]])
        try repo.writeLedger("ledger/2026/2026-03.jsonl", [events[2]])
        try repo.writeLedger("ledger/2026/2026-04.jsonl", [events[3]])
        let quarters = try repo.spend("report", "--by", "provider", "--period", "quarter", "--format", "csv")
        assertOK(quarters)
        XCTAssertEqual(
            quarters.lines,
            [
                "period,provider," + Self.usageHeader,
                "2025-Q4,openai,1,2000,0,0,500,0.01,0.01,0.01",
                "2026-Q1,openai,2,4000,0,0,1000,0.02,0.02,0.02",
                "2026-Q2,openai,1,2000,0,0,500,0.01,0.01,0.01",
            ])
        let years = try repo.spend("report", "--by", "provider", "--period", "year", "--format", "csv")
        assertOK(years)
        XCTAssertEqual(
            years.lines,
            [
                "period,provider," + Self.usageHeader,
                "2025,openai,1,2000,0,0,500,0.01,0.01,0.01",
                "2026,openai,3,6000,0,0,1500,0.03,0.03,0.03",
            ])
        let bad = try repo.spend("report", "--period", "decade")
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("Please provide one of 'day', 'week', 'month', 'quarter' or 'year'"), bad.stderr)
    }

    func testPeriodWeekUsesISOWeeks() throws {
        let repo = try makeRepo()
        // 2024-12-29 is a Sunday (ISO 2024-W52); 2024-12-30 is the Monday of ISO 2025-W01.
        let sunday = event(ts: "2024-12-29T23:59:59Z", id: "sun", input: 2000, output: 500, tags: [("team", "a")])
        let monday = event(ts: "2024-12-30T00:00:00Z", id: "mon", input: 2000, output: 500, tags: [("team", "a")])
        let newYear = event(ts: "2025-01-01T00:00:00Z", id: "ny", input: 2000, output: 500, tags: [("team", "a")])
        try repo.writeLedger("ledger/2024/2024-12.jsonl", [sunday, monday])
        try repo.writeLedger("ledger/2025/2025-01.jsonl", [newYear])
        let r = try repo.spend("report", "--by", "provider", "--period", "week", "--format", "csv")
        assertOK(r)
        XCTAssertEqual(
            r.lines,
            [
                "period,provider," + Self.usageHeader,
                "2024-W52,openai,1,2000,0,0,500,0.01,0.01,0.01",
                "2025-W01,openai,2,4000,0,0,1000,0.02,0.02,0.02",
            ])
        let day = try repo.spend("report", "--by", "provider", "--period", "day", "--format", "csv")
        assertOK(day)
        XCTAssertEqual(
            Array(day.lines.dropFirst().map { $0.split(separator: ",").first.map(String.init) ?? "" }),
            ["2024-12-29", "2024-12-30", "2025-01-01"])
    }

    func testJSONParsesAndCostsAreStrings() throws {
        let repo = try makeRepo()
        try repo.writeLedger("ledger/2025/2025-01.jsonl", [Fixture.growth, Fixture.search])
        let r = try repo.spend("report", "--format", "json")
        assertOK(r)
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let json = try XCTUnwrap(object, r.stdout)
        XCTAssertEqual(json["columns"] as? [String], ["team"])
        XCTAssertEqual(json["currency"] as? String, "USD")
        let rows = try XCTUnwrap(json["rows"] as? [[String: Any]])
        XCTAssertEqual(rows.count, 3)
        for row in rows {
            XCTAssertTrue(row["cost"] is String, "cost must be a decimal string: \(row)")
        }
        let growth = try XCTUnwrap(rows.first { $0["team"] as? String == "growth" })
        XCTAssertEqual(growth["cost"] as? String, "0.01")
        XCTAssertEqual(growth["requests"] as? Int, 1)
        XCTAssertEqual(growth["input_tokens"] as? Int, 2000)
        XCTAssertEqual(growth["output_tokens"] as? Int, 500)
        let search = try XCTUnwrap(rows.first { $0["team"] as? String == "search" })
        XCTAssertEqual(search["cost"] as? String, "0.0035")
        let unattributed = try XCTUnwrap(rows.first { $0["team"] as? String == "(unattributed)" })
        XCTAssertTrue(unattributed["cost"] is String)
        let total = try XCTUnwrap(json["total"] as? [String: Any])
        XCTAssertEqual(total["cost"] as? String, "0.0135")
        XCTAssertEqual(total["requests"] as? Int, 2)
        XCTAssertTrue(json["unattributed_cost"] is String)
    }

    /// Exact decimal pricing through the CLI: caching, tiers (a cliff, per request for roll-ups),
    /// batch, service tiers and tool calls.
    func testExactPricingOfTokenKinds() throws {
        let repo = try makeRepo()
        let sonnet = "claude-sonnet-4-20250514"
        try repo.writeLedger(
            "ledger/2025/2025-09.jsonl",
            [
                // 1000×3 + 2000×0.30 + 3000×3.75 + 400×15 = 20,850 µ$ → 0.02085
                event(ts: "2025-09-01T00:00:00Z", id: "cache", provider: "anthropic", model: sonnet, input: 1000, cached: 2000, cacheWrite: 3000, output: 400),
                // 250,000 input > 200,000: every token at the tier: 250000×6 + 1000×22.5 → 1.5225
                event(ts: "2025-09-01T00:00:01Z", id: "tier", provider: "anthropic", model: sonnet, input: 250_000, output: 1000),
                // roll-up of 2 requests, 150,000 input each: below the tier: 300000×3 + 1000×15 → 0.915
                event(ts: "2025-09-01T00:00:02Z", id: "rollup", provider: "anthropic", model: sonnet, input: 300_000, output: 1000, extra: "\"requests\":2"),
                // batch: half of 0.01 → 0.005
                event(ts: "2025-09-01T00:00:03Z", id: "batch", input: 2000, output: 500, extra: "\"batch\":true"),
                // priority tier: 1000×4.25 + 1000×17 → 0.02125
                event(ts: "2025-09-01T00:00:04Z", id: "priority", input: 1000, output: 1000, extra: "\"service_tier\":\"priority\""),
                // 2 web searches at $10 per 1,000 → 0.02
                event(ts: "2025-09-01T00:00:05Z", id: "tools", provider: "anthropic", model: sonnet, input: 0, output: 0, extra: "\"tool_calls\":{\"web_search\":2}"),
            ])
        let r = try repo.spend("report", "--by", "id", "--format", "csv")
        assertOK(r)
        var costs: [String: String] = [:]
        for line in r.lines.dropFirst() {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            costs[cells[0]] = cells.last
        }
        XCTAssertEqual(costs["cache"], "0.02085")
        XCTAssertEqual(costs["tier"], "1.5225")
        XCTAssertEqual(costs["rollup"], "0.915")
        XCTAssertEqual(costs["batch"], "0.005")
        XCTAssertEqual(costs["priority"], "0.02125")
        XCTAssertEqual(costs["tools"], "0.02")
        XCTAssertEqual(costs.count, 6, r.stdout)
        let json = try repo.spend("report", "--by", "id", "--format", "json")
        assertOK(json)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let total = object?["total"] as? [String: Any]
        // 0.02085 + 1.5225 + 0.915 + 0.005 + 0.02125 + 0.02 = 2.5046
        XCTAssertEqual(total?["cost"] as? String, "2.5046")
    }

    func testCSVQuotesFieldsWithCommas() throws {
        let repo = try makeRepo()
        let e = event(ts: "2025-01-01T10:00:00Z", id: "q", input: 2000, output: 500, tags: [("team", "a,b \\\"x\\\"")])
        try repo.writeLedger("ledger/2025/2025-01.jsonl", [e])
        let r = try repo.spend("report", "--format", "csv")
        assertOK(r)
        XCTAssertEqual(r.lines.dropFirst().first, "\"a,b \"\"x\"\"\",1,2000,0,0,500,0.01,0.01,0.01")
    }

    /// A hand-written card: decimal-string and float prices, an alias glob, a tier cliff counting
    /// cached and cache-write tokens, and a price change at a datetime.
    func testCustomRateCardIsPricedExactly() throws {
        let repo = try makeRepo()
        try repo.write(
            "ratecards/acme.toml",
            """
            provider = "acme"
            currency = "USD"

            [aliases]
            "acme-large-*" = "acme-large"

            [[price]]
            model = "acme-large"
            effective = 2025-01-01
            input = "0.1"
            cached_input = 0.01
            cache_write = 0.125
            output = 0.3
            tiers = [ { above_input_tokens = 1000, input = "0.2", cached_input = "0.02", cache_write = "0.25", output = "0.6" } ]

            [[price]]
            model = "acme-large"
            effective = 2025-03-01T12:00:00Z
            input = 1
            output = 3

            """)
        func acme(_ ts: String, _ id: String, model: String = "acme-large", input: Int, cached: Int? = nil, write: Int? = nil, output: Int, extra: String = "") -> String {
            event(ts: ts, id: id, provider: "acme", model: model, input: input, cached: cached, cacheWrite: write, output: output, tags: [("team", "t")], extra: extra)
        }
        try repo.writeLedger(
            "ledger/2025/2025-01.jsonl",
            [
                // exactly at the threshold: base rates. 1000×0.1 + 10×0.3 = 103 µ$
                acme("2025-01-05T00:00:00Z", "at-threshold", model: "acme-large-v1", input: 1000, output: 10),
                // 500 + 300 + 201 = 1001 > 1000: all at the tier. 500×0.2 + 300×0.02 + 201×0.25 + 10×0.6 = 162.25 µ$
                acme("2025-01-05T00:00:01Z", "above", model: "acme-large-v1", input: 500, cached: 300, write: 201, output: 10),
            ])
        try repo.writeLedger(
            "ledger/2025/2025-03.jsonl",
            [
                acme("2025-03-01T11:59:59.999Z", "before", input: 1000, output: 0),  // 1000×0.1 = 100 µ$
                acme("2025-03-01T12:00:00Z", "after", input: 1000, output: 0),  // 1000×1 = 1000 µ$
                // roll-up: 3 requests, 3000 tokens, 1000 each: not above the tier (new point has none anyway)
                acme("2025-03-02T00:00:00Z", "rollup", input: 3000, output: 1, extra: "\"requests\":3"),  // 3000 + 3 µ$
            ])
        let r = try repo.spend("report", "--by", "id", "--format", "csv")
        assertOK(r)
        XCTAssertEqual(
            r.lines,
            [
                "id,requests,input_tokens,cached_input_tokens,cache_write_tokens,output_tokens,cost,list_cost,effective_cost",
                "rollup,3,3000,0,0,1,0.003003,0.003003,0.003003",
                "after,1,1000,0,0,0,0.001,0.001,0.001",
                "above,1,500,300,201,10,0.00016225,0.00016225,0.00016225",
                "at-threshold,1,1000,0,0,10,0.000103,0.000103,0.000103",
                "before,1,1000,0,0,0,0.0001,0.0001,0.0001",
            ])
        let total = try repo.spend("report", "--by", "priced_model", "--format", "csv")
        assertOK(total)
        // 0.003003 + 0.001 + 0.00016225 + 0.000103 + 0.0001
        XCTAssertEqual(total.lines.last, "acme-large,7,6500,300,201,21,0.00436825,0.00436825,0.00436825")
    }

    func testOptionalFieldDefaultsAsDimensions() throws {
        let repo = try makeRepo()
        try repo.writeLedger(
            "ledger/2025/2025-01.jsonl",
            [Fixture.growth, event(ts: "2025-01-02T00:00:00Z", id: "b", input: 2000, output: 500, extra: "\"batch\":true,\"release\":\"v1.2.0\"")])
        let r = try repo.spend("report", "--by", "service_tier,batch,status,release", "--format", "csv")
        assertOK(r)
        XCTAssertEqual(
            r.lines,
            [
                "service_tier,batch,status,release," + Self.usageHeader,
                "standard,false,ok,(none),1,2000,0,0,500,0.01,0.01,0.01",
                "standard,true,ok,v1.2.0,1,2000,0,0,500,0.005,0.005,0.005",
            ])
    }
}
