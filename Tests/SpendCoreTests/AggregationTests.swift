import Foundation
import XCTest

@testable import SpendCore
@testable import SpendRender

/// Reports over a hand-written cost repository in a temporary directory:
/// the bundled rate cards and two ledger shards.
final class AggregationTests: XCTestCase {
    /// Events of November 2026 with their exact costs (bundled cards).
    static let november: [(line: String, cost: String)] = [
        (#"{"ts":"2026-11-02T10:00:00Z","id":"e1","provider":"openai","model":"gpt-4o","input_tokens":2000,"output_tokens":500,"tags":{"team":"search","env":"prod"}}"#, "0.01"),
        (#"{"ts":"2026-11-03T14:22:05.123Z","id":"e2","provider":"openai","model":"gpt-5.4-mini","input_tokens":8000,"cached_input_tokens":2000,"output_tokens":1200,"tags":{"team":"search","env":"staging"}}"#, "0.01155"),
        (#"{"ts":"2026-11-05T09:00:00Z","id":"e3","provider":"openai","model":"gpt-5","input_tokens":1000,"output_tokens":0,"tool_calls":{"web_search":2},"tags":{"team":"research","env":"prod"}}"#, "0.02125"),
        (#"{"ts":"2026-11-09T08:00:00Z","id":"e4","provider":"anthropic","model":"claude-sonnet-4-20250514","input_tokens":8000,"output_tokens":1200,"tags":{"team":"support","env":"prod"}}"#, "0.042"),
        (#"{"ts":"2026-11-10T00:00:00Z","id":"e5","provider":"anthropic","model":"claude-sonnet-4","requests":10,"input_tokens":1500000,"output_tokens":20000,"tags":{"team":"support","env":"prod"}}"#, "4.8"),
        (#"{"tags":{"env":"prod","team":"support"},"ts":"2026-11-15T23:59:59.999Z","id":"e6","provider":"anthropic","model":"claude-sonnet-4","input_tokens":250000,"output_tokens":2000}"#, "1.545"),
        (#"{"ts":"2026-11-20T12:00:00Z","id":"e7","provider":"openai","model":"gpt-4o","input_tokens":2000,"output_tokens":500,"tags":{"env":"dev"}}"#, "0.01"),
        (#"{"ts":"2026-11-30T23:00:00Z","id":"e8","provider":"google","model":"gemini-1.5-pro","input_tokens":128001,"output_tokens":1000,"tags":{"team":"search","env":"prod","provider":"gateway-x"}}"#, "0.3300025"),
    ]
    static let december: [(line: String, cost: String)] = [
        (#"{"ts":"2026-12-01T00:00:00Z","id":"e9","provider":"openai","model":"gpt-4o","input_tokens":2000,"output_tokens":500,"tags":{"team":"search","env":"prod"}}"#, "0.01")
    ]

    var directories: [String] = []

    override func tearDown() {
        for d in directories { try? FileManager.default.removeItem(atPath: d) }
        directories = []
        super.tearDown()
    }

    /// A cost repository with the bundled cards and the given shards.
    func makeRepository(_ shards: [String: String]) throws -> String {
        let root = try TestSupport.temporaryDirectory()
        directories.append(root)
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/ratecards", withIntermediateDirectories: true)
        for name in TestSupport.bundledCardNames {
            try fm.copyItem(atPath: TestSupport.packageRoot + "/ratecards/" + name, toPath: root + "/ratecards/" + name)
        }
        for (path, text) in shards {
            let full = root + "/" + path
            try fm.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: full, atomically: true, encoding: .utf8)
        }
        return root
    }

    func standardRepository() throws -> String {
        try makeRepository([
            "ledger/2026/2026-11.jsonl": Self.november.map(\.line).joined(separator: "\n") + "\n\n",
            "ledger/2026/2026-12.jsonl": Self.december.map(\.line).joined(separator: "\n") + "\n",
        ])
    }

    func snapshot(_ root: String) throws -> Snapshot {
        try CostRepository(directory: root).snapshot(.workingTree)
    }

    func makeReport(
        _ root: String, by names: [String] = ["team"], period: Period? = nil, since: String? = nil, until: String? = nil,
        where clauses: [String] = []
    ) throws -> Report {
        let snapshot = try snapshot(root)
        let query = try ReportQuery(
            by: names, period: period, since: since.map(TestSupport.ms), until: until.map(TestSupport.ms),
            filters: clauses.map { text throws(SpendError) in try WhereClause(parsing: text) })
        let aggregation = try Aggregator(book: snapshot.priceBook, query: query).run(snapshot)
        return try Report(aggregation, book: snapshot.priceBook, query: query)
    }

    /// `label → exact cost` of a report's rows (labels joined by "|").
    func costs(_ report: Report) -> [String: String] {
        Dictionary(uniqueKeysWithValues: report.rows.map { ($0.keys.joined(separator: "|"), $0.cost.description) })
    }

    /// The diagnostics of a run that must be rejected.
    func rejection(_ root: String) throws -> [Diagnostic] {
        let snapshot = try snapshot(root)
        let query = try ReportQuery(by: ["team"])
        do {
            _ = try Aggregator(book: snapshot.priceBook, query: query).run(snapshot)
            XCTFail("ledger accepted")
            return []
        } catch {
            guard case .input(let diagnostics, _) = error else {
                XCTFail("expected SpendError.input, got \(error)")
                return []
            }
            return diagnostics
        }
    }

    // MARK: Repository

    func testRepositoryIsFoundFromASubdirectory() throws {
        let root = try standardRepository()
        let repo = try CostRepository(directory: root + "/ledger/2026")
        XCTAssertEqual(
            URL(fileURLWithPath: repo.root).resolvingSymlinksInPath().path, URL(fileURLWithPath: root).resolvingSymlinksInPath().path)
        let snapshot = try repo.snapshot(.workingTree)
        XCTAssertEqual(snapshot.shards.map(\.path), ["ledger/2026/2026-11.jsonl", "ledger/2026/2026-12.jsonl"])
        XCTAssertEqual(snapshot.priceBook.cards.map(\.path).sorted(), TestSupport.bundledCardNames.map { "ratecards/" + $0 })
    }

    // MARK: Grouping

    func testGroupsByTeamWithUnattributedBucket() throws {
        let report = try makeReport(try standardRepository())
        XCTAssertEqual(report.columns, ["team"])
        XCTAssertEqual(report.rows.map(\.keys), [["support"], ["search"], ["research"], ["(unattributed)"]])
        XCTAssertEqual(
            costs(report), ["support": "6.387", "search": "0.3615525", "research": "0.02125", "(unattributed)": "0.01"])
        XCTAssertEqual(report.unattributed.description, "0.01")
        XCTAssertEqual(report.groupingTags, ["team"])
        XCTAssertEqual(report.rows.map(\.events), [3, 4, 1, 1])
    }

    func testTotalIsTheExactSumOfPerEventCosts() throws {
        let report = try makeReport(try standardRepository())
        let events = Self.november + Self.december
        // Each listed cost is the price book's own exact cost of the event.
        let book = TestSupport.bundledBook
        for (line, expected) in events {
            let e = try LedgerEvent.parse(line: line)
            let priced = try book.price(
                provider: e.provider, model: e.model, at: e.ts, usage: e.usage, batch: e.batch ?? false, serviceTier: e.serviceTier)
            XCTAssertEqual(priced.cost.description, expected, e.id)
        }
        let sum = events.reduce(ExactDecimal.zero) { $0 + ExactDecimal.d($1.cost) }
        XCTAssertEqual(sum.description, "6.7798025")
        XCTAssertEqual(report.total.cost, sum)
        XCTAssertEqual(report.total.cost.description, "6.7798025")
        XCTAssertEqual(report.rows.reduce(ExactDecimal.zero) { $0 + $1.cost }, sum)
        XCTAssertEqual(report.total.events, 9)
        XCTAssertEqual(report.stats.events, 9)
        XCTAssertEqual(report.stats.shards, 2)
    }

    func testRowUsageSumsTokens() throws {
        let report = try makeReport(try standardRepository())
        let support = try XCTUnwrap(report.rows.first { $0.keys == ["support"] })
        XCTAssertEqual(
            support.usage, Usage(requests: 12, inputTokens: 1_758_000, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 23_200))
        let research = try XCTUnwrap(report.rows.first { $0.keys == ["research"] })
        XCTAssertEqual(research.usage.toolCalls, ["web_search": 2])
        XCTAssertEqual(report.total.usage.requests, 18)
        XCTAssertEqual(report.total.usage.inputTokens, 1_901_001)
    }

    func testByFieldVersusByTag() throws {
        let root = try standardRepository()
        let byField = try makeReport(root, by: ["provider"])
        XCTAssertEqual(byField.columns, ["provider"])
        XCTAssertEqual(costs(byField), ["anthropic": "6.387", "google": "0.3300025", "openai": "0.0628"])
        XCTAssertEqual(byField.unattributed, .zero)
        XCTAssertEqual(byField.groupingTags, [])

        let byTag = try makeReport(root, by: ["tags.provider"])
        XCTAssertEqual(byTag.columns, ["tags.provider"])
        XCTAssertEqual(costs(byTag), ["gateway-x": "0.3300025", "(unattributed)": "6.4498"])
        XCTAssertEqual(byTag.unattributed.description, "6.4498")
        XCTAssertEqual(byTag.groupingTags, ["provider"])
    }

    func testGroupsByTwoDimensions() throws {
        let report = try makeReport(try standardRepository(), by: ["team", "env"])
        XCTAssertEqual(report.columns, ["team", "env"])
        XCTAssertEqual(
            costs(report),
            [
                "support|prod": "6.387", "search|prod": "0.3500025", "search|staging": "0.01155", "research|prod": "0.02125",
                "(unattributed)|dev": "0.01",
            ])
        XCTAssertEqual(report.unattributed.description, "0.01")
    }

    func testGroupsByPricedModelAndDefaultedFields() throws {
        let root = try standardRepository()
        XCTAssertEqual(
            costs(try makeReport(root, by: ["priced_model"])),
            [
                "claude-sonnet-4": "6.387", "gemini-1.5-pro": "0.3300025", "gpt-4o": "0.03", "gpt-5": "0.02125",
                "gpt-5.4-mini": "0.01155",
            ])
        XCTAssertEqual(costs(try makeReport(root, by: ["service_tier"])), ["standard": "6.7798025"])
        XCTAssertEqual(costs(try makeReport(root, by: ["release"])), ["(none)": "6.7798025"])
    }

    // MARK: Filters and bounds

    func testWhereEqualsKeepsOnlyMatchingEvents() throws {
        let report = try makeReport(try standardRepository(), where: ["env=prod"])
        XCTAssertEqual(report.total.cost.description, "6.7582525")
        XCTAssertEqual(report.total.events, 7)
        XCTAssertEqual(costs(report)["(unattributed)"], "0")
    }

    func testWhereNotEqualsDropsMatchingEvents() throws {
        let report = try makeReport(try standardRepository(), where: ["env!=prod"])
        XCTAssertEqual(report.total.cost.description, "0.02155")
        XCTAssertEqual(costs(report), ["search": "0.01155", "(unattributed)": "0.01"])
    }

    func testWhereOnAFieldAndOnAMissingTag() throws {
        let root = try standardRepository()
        XCTAssertEqual(try makeReport(root, where: ["provider=anthropic"]).total.cost.description, "6.387")
        XCTAssertEqual(try makeReport(root, where: ["tags.provider=gateway-x"]).total.cost.description, "0.3300025")
        // An empty value selects the events without the tag.
        XCTAssertEqual(try makeReport(root, where: ["team="]).total.cost.description, "0.01")
        XCTAssertEqual(try makeReport(root, where: ["env=prod", "team!=support"]).total.cost.description, "0.3712525")
    }

    func testSinceIsInclusiveAndUntilIsExclusive() throws {
        let root = try standardRepository()
        // e4 is exactly at `since`; e8 is exactly at `until`.
        let window = try makeReport(root, since: "2026-11-09T08:00:00Z", until: "2026-11-30T23:00:00Z")
        XCTAssertEqual(window.total.cost.description, "6.397")
        XCTAssertEqual(window.total.events, 4)
        let later = try makeReport(root, since: "2026-11-09T08:00:00.001Z", until: "2026-11-30T23:00:00.001Z")
        XCTAssertEqual(later.total.cost.description, "6.6850025")
        XCTAssertEqual(later.total.events, 4)
    }

    func testDateBoundsSelectWholeMonths() throws {
        let root = try standardRepository()
        XCTAssertEqual(try makeReport(root, since: "2026-11-01", until: "2026-12-01").total.cost.description, "6.7698025")
        XCTAssertEqual(try makeReport(root, since: "2026-12-01").total.cost.description, "0.01")
    }

    // MARK: Periods

    func testMonthPeriods() throws {
        let report = try makeReport(try standardRepository(), by: [], period: .month)
        XCTAssertEqual(report.columns, ["period"])
        XCTAssertEqual(report.rows.map(\.keys), [["2026-11"], ["2026-12"]])
        XCTAssertEqual(report.rows.map(\.cost.description), ["6.7698025", "0.01"])
    }

    func testISOWeekPeriods() throws {
        let report = try makeReport(try standardRepository(), by: [], period: .week)
        XCTAssertEqual(report.rows.map(\.keys), [["2026-W45"], ["2026-W46"], ["2026-W47"], ["2026-W49"]])
        XCTAssertEqual(report.rows.map(\.cost.description), ["0.0428", "6.387", "0.01", "0.3400025"])
    }

    func testDayPeriodsWithTeam() throws {
        let report = try makeReport(try standardRepository(), period: .day)
        XCTAssertEqual(report.columns, ["period", "team"])
        let c = costs(report)
        XCTAssertEqual(c["2026-11-15|support"], "1.545")
        XCTAssertEqual(c["2026-11-30|search"], "0.3300025")
        XCTAssertEqual(c["2026-12-01|search"], "0.01")
        XCTAssertEqual(c["2026-11-20|(unattributed)"], "0.01")
        // Rows are ordered by period first.
        let periods = report.rows.map { $0.keys[0] }
        XCTAssertEqual(periods, periods.sorted())
    }

    func testEveryPeriodShowsItsUnattributedBucket() throws {
        let report = try makeReport(try standardRepository(), period: .month)
        XCTAssertEqual(costs(report)["2026-12|(unattributed)"], "0")
        XCTAssertEqual(costs(report)["2026-11|(unattributed)"], "0.01")
    }

    // MARK: Rendering

    func testCSVHeaderAndExactRows() throws {
        let csv = ReportRenderer().csv(try makeReport(try standardRepository()))
        XCTAssertEqual(
            csv,
            """
            team,requests,input_tokens,cached_input_tokens,cache_write_tokens,output_tokens,cost,list_cost,effective_cost
            support,12,1758000,0,0,23200,6.387,6.387,6.387
            search,4,140001,2000,0,3200,0.3615525,0.3615525,0.3615525
            research,1,1000,0,0,0,0.02125,0.02125,0.02125
            (unattributed),1,2000,0,0,500,0.01,0.01,0.01

            """)
    }

    func testCSVHeaderWithPeriodAndTagName() throws {
        let csv = ReportRenderer().csv(try makeReport(try standardRepository(), by: ["tags.provider"], period: .month))
        XCTAssertEqual(
            csv.split(separator: "\n").first,
            "period,tags.provider,requests,input_tokens,cached_input_tokens,cache_write_tokens,output_tokens,cost,list_cost,effective_cost")
    }

    func testJSONCarriesExactCostsAndUnattributed() throws {
        let json = ReportRenderer().json(try makeReport(try standardRepository()))
        XCTAssertTrue(json.contains(#""unattributed_cost":"0.01""#), json)
        XCTAssertTrue(json.contains(#""cost":"6.7798025""#), json)
        XCTAssertTrue(json.contains(#"{"team":"support","requests":12,"events":3,"input_tokens":1758000"#), json)
        XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(json.utf8)))
    }

    func testTableRoundsForDisplayAndSaysSo() throws {
        let table = ReportRenderer().table(try makeReport(try standardRepository()))
        XCTAssertTrue(table.contains("$6.39"), table)
        XCTAssertTrue(table.contains("$6.78"), table)
        XCTAssertTrue(table.contains("1,758,000"), table)
        XCTAssertTrue(table.contains("unattributed: $0.01 (0.1% of total) — events missing tag \"team\""), table)
        XCTAssertTrue(table.contains("costs in USD rounded to 2 decimals for display; totals are exact sums"), table)
    }

    func testCSVQuotesFieldsWithCommasAndQuotes() {
        XCTAssertEqual(CSV().field("search"), "search")
        XCTAssertEqual(CSV().field("a,b"), "\"a,b\"")
        XCTAssertEqual(CSV().field("say \"hi\""), "\"say \"\"hi\"\"\"")
    }

    func testCSVQuotesAGroupLabelWithAComma() throws {
        let line = Self.november[0].line.replacingOccurrences(of: #""team":"search""#, with: #""team":"search, west""#)
        let root = try makeRepository(["ledger/2026/2026-11.jsonl": line + "\n"])
        let csv = ReportRenderer().csv(try makeReport(root))
        XCTAssertTrue(csv.contains("\n\"search, west\",1,2000,0,0,500,0.01,0.01,0.01\n"), csv)
    }

    func testEmptyShardAndMissingFinalNewlineAreFine() throws {
        let root = try makeRepository([
            "ledger/2026/2026-10.jsonl": "",
            "ledger/2026/2026-11.jsonl": Self.november.map(\.line).joined(separator: "\n"),
        ])
        let report = try makeReport(root)
        XCTAssertEqual(report.total.cost.description, "6.7698025")
        XCTAssertEqual(report.stats.shards, 2)
    }

    // MARK: Rejected ledgers

    func testUnknownModelRejectsTheRunWithItsLocation() throws {
        let bad = #"{"ts":"2026-11-04T00:00:00Z","id":"x","provider":"openai","model":"gpt-9","input_tokens":1,"output_tokens":1,"tags":{"team":"search"}}"#
        let root = try makeRepository([
            "ledger/2026/2026-11.jsonl": Self.november[0].line + "\n" + Self.november[1].line + "\n" + bad + "\n"
        ])
        let diagnostics = try rejection(root)
        XCTAssertEqual(diagnostics.count, 1)
        let d = try XCTUnwrap(diagnostics.first)
        XCTAssertEqual(d.path, "ledger/2026/2026-11.jsonl")
        XCTAssertEqual(d.line, 3)
        XCTAssertEqual(d.column, TestSupport.offset(of: #""gpt-9""#, in: bad) + 1)
        XCTAssertEqual(d.rule, "unknown-model")
        XCTAssertEqual(d.message, "model \"gpt-9\" matches no price or alias in ratecards/openai.toml; did you mean gpt-4 or gpt-5?")
        XCTAssertEqual(d.sourceLine, bad)
        XCTAssertEqual(d.severity, .error)
    }

    func testFilteredOutEventsAreNotJudged() throws {
        let bad = #"{"ts":"2026-11-04T00:00:00Z","id":"x","provider":"openai","model":"gpt-9","input_tokens":1,"output_tokens":1,"tags":{"team":"search"}}"#
        let root = try makeRepository(["ledger/2026/2026-11.jsonl": Self.november[0].line + "\n" + bad + "\n"])
        XCTAssertEqual(try makeReport(root, since: "2026-11-04T00:00:00.001Z").total.events, 0)
        XCTAssertEqual(try makeReport(root, until: "2026-11-04").total.cost.description, "0.01")
    }

    func testSchemaAndPriceErrorsAreAllReportedInOrder() throws {
        let wrongType = Self.november[0].line.replacingOccurrences(of: #""input_tokens":2000"#, with: #""input_tokens":"12""#)
        let tooEarly = Self.november[0].line.replacingOccurrences(of: "2026-11-02T10:00:00Z", with: "2024-01-01T00:00:00Z")
        let root = try makeRepository([
            "ledger/2026/2026-11.jsonl": [Self.november[1].line, tooEarly, wrongType].joined(separator: "\n") + "\n"
        ])
        let diagnostics = try rejection(root)
        XCTAssertEqual(diagnostics.map(\.line), [2, 3])
        XCTAssertEqual(diagnostics.map(\.rule), ["no-price", "schema"])
        XCTAssertEqual(diagnostics[1].message, "input_tokens must be a non-negative integer")
        XCTAssertEqual(diagnostics[1].column, TestSupport.offset(of: #""12""#, in: wrongType) + 1)
        XCTAssertEqual(
            diagnostics[1].description,
            "ledger/2026/2026-11.jsonl:3:\(diagnostics[1].column!): error[schema]: input_tokens must be a non-negative integer")
    }

    // MARK: Chunking

    func testSmallChunksGiveIdenticalTotals() throws {
        let root = try standardRepository()
        let snapshot = try snapshot(root)
        let query = try ReportQuery(by: ["team"], period: .week)
        let aggregator = Aggregator(book: snapshot.priceBook, query: query)
        let whole = try Report(try aggregator.run(snapshot), book: snapshot.priceBook, query: query)

        let buffers = try LedgerReader.load(snapshot)
        let chunks = LedgerReader.chunks(buffers, chunkSize: 100)
        XCTAssertGreaterThan(chunks.count, buffers.count + 5)
        // Chunks tile each shard and end on line boundaries.
        for buffer in buffers {
            let mine = chunks.filter { $0.buffer === buffer }
            XCTAssertEqual(mine.first?.range.lowerBound, 0)
            XCTAssertEqual(mine.last?.range.upperBound, buffer.bytes.count)
            for (a, b) in zip(mine, mine.dropFirst()) {
                XCTAssertEqual(a.range.upperBound, b.range.lowerBound)
                XCTAssertEqual(buffer.bytes[a.range.upperBound - 1], 10)
            }
        }
        let parts = chunks.map { aggregator.aggregate($0) }
        let chunked = try Report(try aggregator.merge(parts), book: snapshot.priceBook, query: query)
        XCTAssertEqual(chunked.total.cost.description, "6.7798025")
        XCTAssertEqual(chunked.total.cost, whole.total.cost)
        XCTAssertEqual(chunked.total.usage, whole.total.usage)
        XCTAssertEqual(chunked.rows, whole.rows)
        XCTAssertEqual(chunked.unattributed, whole.unattributed)
    }

    func testChunkingAHugeChunkSizeGivesOneChunkPerShard() throws {
        let snapshot = try snapshot(try standardRepository())
        let buffers = try LedgerReader.load(snapshot)
        XCTAssertEqual(LedgerReader.chunks(buffers, chunkSize: 1 << 20).count, 2)
        XCTAssertEqual(LedgerReader.chunks(buffers, chunkSize: 1).count, 10)  // one per line, the trailing blank line included
    }

    // MARK: Query parsing

    func testDimensionParsing() throws {
        XCTAssertEqual(try Dimension(parsing: "provider"), .field(.provider))
        XCTAssertEqual(try Dimension(parsing: "tags.provider"), .tag("provider"))
        XCTAssertEqual(try Dimension(parsing: "team"), .tag("team"))
        XCTAssertEqual(try Dimension(parsing: "priced_model"), .field(.pricedModel))
        XCTAssertThrowsError(try Dimension(parsing: "tags."))
        XCTAssertThrowsError(try Dimension(parsing: ""))
    }

    func testWhereClauseParsing() throws {
        let eq = try WhereClause(parsing: "env=prod")
        XCTAssertEqual(eq, WhereClause(dimension: .tag("env"), value: "prod", negated: false))
        let ne = try WhereClause(parsing: "tags.provider!=gateway-x")
        XCTAssertEqual(ne, WhereClause(dimension: .tag("provider"), value: "gateway-x", negated: true))
        XCTAssertEqual(try WhereClause(parsing: "model=a=b").value, "a=b")
        XCTAssertThrowsError(try WhereClause(parsing: "env"))
    }
}
