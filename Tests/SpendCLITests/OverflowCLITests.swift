import Foundation
import XCTest

/// Issues 9 and 10: sums, tier products and card precision that used to wrap
/// or trap (SIGILL, exit 132) are `error[overflow]` / `error[ratecard-precision]`
/// with a location, exit 2 (1 for lint), in every verb.
final class OverflowCLITests: XCTestCase {
    static let max = "9223372036854775807"

    /// An Anthropic event of 2025-06 (claude-sonnet-4: $3 in / $15 out per 1M, tier above 200K).
    func sonnet(_ id: String, input: String = "10", output: String = "1", requests: String? = nil, team: String = "x", extra: String = "")
        -> String
    {
        let req = requests.map { "\"requests\":\($0)," } ?? ""
        return
            "{\"ts\":\"2025-06-01T10:00:00Z\",\"id\":\"\(id)\",\"provider\":\"anthropic\",\"model\":\"claude-sonnet-4\",\(req)\"input_tokens\":\(input),\"output_tokens\":\(output),\(extra)\"tags\":{\"team\":\"\(team)\"},\"release\":\"\(team == "x" ? "v1" : "v2")\"}"
    }

    func repo(_ lines: [String]) throws -> TestRepo {
        let repo = try makeRepo()
        try repo.writeLedger("ledger/2025/2025-06.jsonl", lines)
        try repo.commitAll("ledger")
        try repo.git("tag", "v1")
        try repo.git("tag", "v2")
        return repo
    }

    /// Exit 2, no trap, and the message on stderr.
    func assertOverflow(_ r: RunResult, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        assertRejected(r, file: file, line: line)
        XCTAssertTrue(r.stderr.contains(message), "stderr:\n\(r.stderr)", file: file, line: line)
        XCTAssertFalse(r.stderr.contains("Signal"), r.stderr, file: file, line: line)
    }

    func testTwoMaximalEventsAreRejectedAtTheEventInEveryVerb() throws {
        for field in ["input_tokens", "requests"] {
            for teams in [("x", "x"), ("x", "y")] {
                let lines =
                    field == "input_tokens"
                    ? [sonnet("a", input: Self.max, team: teams.0), sonnet("b", input: Self.max, team: teams.1)]
                    : [sonnet("a", requests: Self.max, team: teams.0), sonnet("b", requests: Self.max, team: teams.1)]
                let repo = try repo(lines)
                let message = "ledger/2025/2025-06.jsonl:1:"
                let limit = "error[overflow]: \(field) \(Self.max) is above the per-event limit 1000000000000000 (10^15)"
                for by in ["team", "provider", "model", "team,model"] {
                    for period in ["", "day", "month"] {
                        let args = ["report", "--strict", "--by", by] + (period.isEmpty ? [] : ["--period", period])
                        let r = try runSpend("spend", args, in: repo.root)
                        assertOverflow(r, message)
                        XCTAssertTrue(r.stderr.contains(limit), r.stderr)
                    }
                }
                assertOverflow(try repo.spend("diff", "--strict", "HEAD"), limit)
                assertOverflow(try repo.spend("diff", "--strict", "--releases", "v1", "v2"), limit)
                assertOverflow(try repo.spend("releases", "--strict"), limit)
                assertOverflow(try repo.spend("reprice"), limit)
                assertOverflow(try repo.spend("audit"), limit)
                let lint = try repo.spend("lint", "--all")
                XCTAssertEqual(lint.status, 1, lint.stderr)
                XCTAssertTrue(lint.stdout.contains(limit), lint.stdout)
            }
        }
    }

    /// 9,224 events of 10^15 input tokens: each within the limit, the sum not.
    func testASumBeyondInt64IsAnErrorNamingTheEventThatOverflows() throws {
        for alternate in [false, true] {
            let lines = (0..<9_224).map { i in
                sonnet("e\(i)", input: "1000000000000000", team: alternate && i % 2 == 1 ? "y" : "x")
            }
            let repo = try repo(lines)
            let message = "ledger/2025/2025-06.jsonl:9224:1: error[overflow]: the sum of input_tokens exceeds 9223372036854775807"
            for args in [["report", "--strict"], ["report", "--strict", "--by", "provider"], ["report", "--strict", "--by", "team", "--period", "day"]] {
                assertOverflow(try runSpend("spend", args, in: repo.root), message)
            }
            assertOverflow(try repo.spend("diff", "--strict", "HEAD"), message)
            assertOverflow(try repo.spend("diff", "--strict", "--releases", "v1", "v2"), message)
            assertOverflow(try repo.spend("releases", "--strict"), message)
            assertOverflow(try repo.spend("audit"), message)
        }
    }

    /// `requests × above_input_tokens` wrapped negative and picked the >200K tier.
    func testHugeRequestCountsDoNotWrapIntoTheLongContextTier() throws {
        let repo = try repo([sonnet("a", requests: "46116860184275")])
        let r = try repo.spend("report", "--format", "csv")
        assertOK(r)
        XCTAssertTrue(r.stdout.contains("x,46116860184275,10,0,0,1,0.000045,0.000045,0.000045\n"), r.stdout)
        let append = try repo.spend(
            "append", "--provider", "anthropic", "--model", "claude-sonnet-4", "--requests", "46116860184275", "--input", "10", "--output", "1",
            "--tag", "team=x", "--ts", "2025-06-02T00:00:00Z")
        assertOK(append)
        XCTAssertTrue(append.stdout.contains("cost $0.000045"), append.stdout)
    }

    func testAppendRejectsCountsBeyondTheLimitAndWritesNothing() throws {
        let repo = try repo([sonnet("a")])
        let before = try repo.read("ledger/2025/2025-06.jsonl")
        let r = try repo.spend(
            "append", "--provider", "anthropic", "--model", "claude-sonnet-4", "--input", Self.max, "--output", "1", "--tag", "team=x",
            "--ts", "2025-06-02T00:00:00Z")
        assertOverflow(r, "error[overflow]: input_tokens \(Self.max) is above the per-event limit 1000000000000000 (10^15)")
        XCTAssertEqual(try repo.read("ledger/2025/2025-06.jsonl"), before)
    }

    /// lint used to accept a 200-digit `cost` that reprice rejected: both reject it now, alike.
    func testLintAndRepriceAgreeOnAnOversizedCost() throws {
        let cost = String(repeating: "9", count: 200)
        let repo = try repo([sonnet("a", extra: "\"cost\":\"\(cost)\",")])
        let message = "error[overflow]: cost has more digits than spend carries exactly (at most 18 before and 18 after the point)"
        let lint = try repo.spend("lint", "--all")
        XCTAssertEqual(lint.status, 1, lint.stderr)
        XCTAssertTrue(lint.stdout.contains("ledger/2025/2025-06.jsonl:1:131: " + message), lint.stdout)
        assertOverflow(try repo.spend("reprice"), message)
        assertOverflow(try repo.spend("report", "--strict"), message)
    }

    func card(_ rates: String) -> String {
        """
        provider = "anthropic"
        currency = "USD"

        [[price]]
        model = "claude-sonnet-4"
        effective = 2025-05-14
        \(rates)

        """
    }

    /// A 31-decimal price, a 24-decimal price with batch_discount 0.3333333333 and a 38-digit
    /// price crashed report, append and reprice (SIGILL) while lint said ok.
    func testOverPreciseOrHugePricesAreRejectedByLintAndEveryVerb() throws {
        let cases: [(rates: String, line: Int, message: String)] = [
            (
                "input = \"3.0000000000000000000000000000001\"\noutput = 15", 7,
                "error[ratecard-precision]: input of \"claude-sonnet-4\" has 31 decimal places; spend carries prices exactly to at most 12"
            ),
            (
                "input = \"3.000000000000000000000001\"\noutput = 15\nbatch_discount = \"0.3333333333\"", 7,
                "error[ratecard-precision]: input of \"claude-sonnet-4\" has 24 decimal places"
            ),
            (
                "input = 3\noutput = \"0.075\"\nbatch_discount = \"0.3333333333\"", 9,
                "error[ratecard-precision]: batch_discount 0.3333333333 of \"claude-sonnet-4\" makes output 0.075 × 0.3333333333 = 0.0249999999975, more than 12 decimal places"
            ),
            (
                "input = \"12345678901234567890123456789012345678\"\noutput = 15", 7,
                "error[ratecard-precision]: input of \"claude-sonnet-4\" is 12345678901234567890123456789012345678; prices must be below 1000000"
            ),
        ]
        for c in cases {
            let repo = try makeRepo(cards: false)
            try repo.write("ratecards/anthropic.toml", card(c.rates))
            try repo.writeLedger("ledger/2025/2025-06.jsonl", [sonnet("a", extra: "\"batch\":true,")])
            try repo.commitAll("card")
            let located = "ratecards/anthropic.toml:\(c.line): " + c.message
            let lint = try repo.spend("lint")
            XCTAssertEqual(lint.status, 1, lint.stderr)
            XCTAssertTrue(lint.stdout.contains(located), lint.stdout)
            for args in [["report"], ["report", "--by", "provider"], ["reprice"], ["diff", "HEAD"], ["releases"], ["audit"]] {
                assertOverflow(try runSpend("spend", args, in: repo.root), located)
            }
            assertOverflow(
                try repo.spend("append", "--provider", "anthropic", "--model", "claude-sonnet-4", "--input", "10", "--output", "1", "--tag", "team=x"),
                located)
        }
    }
}

extension OverflowCLITests {
    /// Two `--tool-call` values of one name were summed with a trapping `+=`.
    func testRepeatedToolCallFlagsThatOverflowAreAUsageError() throws {
        let repo = try repo([sonnet("a")])
        let r = try repo.spend(
            "append", "--provider", "anthropic", "--model", "claude-sonnet-4", "--input", "1", "--output", "1", "--tag", "team=x",
            "--tool-call", "web_search=\(Self.max)", "--tool-call", "web_search=1")
        assertOverflow(r, "--tool-call: the sum of tool_calls \"web_search\" exceeds 9223372036854775807")
    }

    /// `max_input_tokens × requests` wrapped: 10 tokens per request "exceeded" a 500,000 limit.
    func testInputLimitTimesRequestsDoesNotWrap() throws {
        let repo = try repo([sonnet("a")])
        try repo.write("spend.toml", "[policy.limits]\nmax_input_tokens = 500000\n")
        try repo.commitAll("policy")
        let r = try repo.spend(
            "append", "--provider", "anthropic", "--model", "claude-sonnet-4", "--requests", "18446744073710", "--input", "10", "--output", "1",
            "--tag", "team=x", "--ts", "2025-06-02T00:00:00Z")
        assertOK(r)
        XCTAssertFalse(r.stderr.contains("input-limit"), r.stderr)
    }
}

extension OverflowCLITests {
    /// The same sum spread over two monthly shards: no chunk overflows on its
    /// own, and the event that makes the ledger's sum overflow is still named.
    func testASumThatOverflowsAcrossShardsNamesTheEvent() throws {
        let repo = try makeRepo()
        let june = (0..<5_000).map { i in sonnet("j\(i)", input: "1000000000000000", team: i % 2 == 0 ? "x" : "y") }
        let july = (0..<5_000).map { i in
            sonnet("k\(i)", input: "1000000000000000", team: i % 2 == 0 ? "x" : "y").replacingOccurrences(of: "2025-06-01", with: "2025-07-01")
        }
        try repo.writeLedger("ledger/2025/2025-06.jsonl", june)
        try repo.writeLedger("ledger/2025/2025-07.jsonl", july)
        try repo.commitAll("ledger")
        try repo.git("tag", "v1")
        try repo.git("tag", "v2")
        // 5,000 + 4,224 events: the 4,224th line of July makes the sum pass 2^63 − 1.
        let message = "ledger/2025/2025-07.jsonl:4224:1: error[overflow]: the sum of input_tokens exceeds 9223372036854775807"
        assertOverflow(try repo.spend("report"), message)
        assertOverflow(try repo.spend("report", "--by", "model", "--period", "month"), message)
        assertOverflow(try repo.spend("diff", "HEAD"), message)
        assertOverflow(try repo.spend("releases"), message)
        assertOverflow(try repo.spend("audit"), message)
        // Within one month the sums fit: nothing to reject.
        assertOK(try repo.spend("report", "--since", "2025-07-01"))
    }
}
