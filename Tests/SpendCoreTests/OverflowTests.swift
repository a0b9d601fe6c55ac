import XCTest

@testable import SpendCore
@testable import SpendPricing

/// Overflow is an input error, never a wrap or a trap (issues 9 and 10).
final class OverflowTests: XCTestCase {
    let max = ExactDecimal(significand: .max)

    // MARK: ExactDecimal

    func testCheckedOperationsThrowInsteadOfTrapping() {
        XCTAssertThrowsError(try max.adding(1))
        XCTAssertThrowsError(try (-max).subtracting(2))
        XCTAssertThrowsError(try max.multiplied(by: 2))
        XCTAssertThrowsError(try max.times(Int64.max))
        // 31 decimals shifted by 6 (per 1M) needs 37 places: the old shift trapped.
        XCTAssertThrowsError(try ExactDecimal.d("3.0000000000000000000000000000001").shifted(right: 6))
        // Adding at a common scale: 10^30 raised to 12 places does not fit.
        XCTAssertThrowsError(try ExactDecimal.d("1000000000000000000000000000000").adding(.d("0.000000000001")))
        XCTAssertEqual(try ExactDecimal.d("0.1").adding(.d("0.25")), .d("0.35"))
        XCTAssertEqual(try ExactDecimal.d("2.5").multiplied(by: .d("0.5")), .d("1.25"))
    }

    func testComparisonRoundingAndRatioNeverTrap() {
        let huge = ExactDecimal(significand: .max / 10)
        let tiny = ExactDecimal(significand: 1, scale: 36)
        XCTAssertLessThan(tiny, huge)
        XCTAssertGreaterThan(huge, tiny)
        XCTAssertNotEqual(huge, tiny)
        XCTAssertLessThan(-huge, tiny)
        XCTAssertEqual(huge.formatted(places: 2), String(Int128.max / 10) + ".00")
        XCTAssertEqual(max.ratio(to: 1, places: 0), max)
        XCTAssertNil(max.ratio(to: 1, places: 2))
        XCTAssertEqual(max.ratio(to: max, places: 30), 1)
        XCTAssertEqual(ExactDecimal(1).percent(of: 3, places: 1), .d("33.3"))
        XCTAssertEqual(ExactDecimal(2).percent(of: 3, places: 1), .d("66.7"))
        XCTAssertEqual(ExactDecimal.d("-1").percent(of: 8, places: 1), .d("-12.5"))
        XCTAssertEqual(huge.percent(of: huge, places: 1), 100)
        XCTAssertNil(max.ratio(to: .d("0.5"), places: 0))
        XCTAssertEqual(ExactDecimal(5).ratio(to: .d("0.000000000000000000000000000000000002"), places: 0), .d("2500000000000000000000000000000000000"))
    }

    // MARK: Counts

    func testTierThresholdTimesRequestsDoesNotWrap() throws {
        // 200,000 × 46,116,860,184,275 wrapped to a negative number: 10 tokens "exceeded" it.
        XCTAssertFalse(TokenCounts.exceeds(10, threshold: 200_000, requests: 46_116_860_184_275))
        XCTAssertTrue(TokenCounts.exceeds(200_001, threshold: 200_000, requests: 1))
        XCTAssertFalse(TokenCounts.exceeds(200_000, threshold: 200_000, requests: 1))
        let card = try RateCardParser.parse(
            """
            provider = "anthropic"
            currency = "USD"
            [[price]]
            model = "claude-sonnet-4"
            effective = 2025-05-14
            input = 3
            output = 15
            tiers = [{ above_input_tokens = 200000, input = 6, output = 22.5 }]
            """, path: "ratecards/anthropic.toml")
        let book = PriceBook(cards: [card])
        let priced = try book.price(
            provider: "anthropic", model: "claude-sonnet-4", at: card.points[0].effective,
            usage: Usage(requests: 46_116_860_184_275, inputTokens: 10, outputTokens: 1))
        XCTAssertEqual(priced.cost, .d("0.000045"))
        XCTAssertEqual(book.selection(point: 0, promptTokens: 10, requests: 46_116_860_184_275, batch: false, serviceTier: nil).tier, -1)
    }

    func testUsageSumsAreCheckedAndNameTheField() {
        var usage = Usage(requests: 1, inputTokens: Int64.max)
        XCTAssertThrowsError(try usage.add(Usage(requests: 1, inputTokens: 1))) { error in
            XCTAssertEqual((error as? SumOverflow)?.message, "the sum of input_tokens exceeds 9223372036854775807")
        }
        XCTAssertEqual(usage.requests, 1, "unchanged after an overflow")
        var cell = UsageCell(requests: Int64.max)
        XCTAssertThrowsError(try cell.add(UsageCell(requests: 1))) { error in
            XCTAssertEqual((error as? SumOverflow)?.message, "the sum of requests exceeds 9223372036854775807")
        }
    }

    func testCostBeyondThirtyEightDigitsIsAnOverflowError() {
        let rates = EffectiveRates(
            rates: TokenRates(input: .d("999999.999999999999"), output: 1), toolCallFees: ["web_search": .d("999999.999999999999")],
            pointId: "acme/m@2025-01-01")
        XCTAssertThrowsError(try rates.cost(Usage(requests: 1, inputTokens: Int64.max, toolCalls: ["web_search": Int64.max]))) { error in
            XCTAssertEqual((error as? PricingError)?.rule, "overflow")
            XCTAssertEqual(
                (error as? PricingError)?.message,
                "the cost at acme/m@2025-01-01 does not fit exact arithmetic (38 digits) at 9223372036854775807 \"web_search\" tool calls at 999999.999999999999 per 1,000"
            )
        }
    }

    func testDecompositionOfAstronomicalRowsThrows() throws {
        XCTAssertThrowsError(try Decomposition.divide(ExactDecimal(significand: .max / 2), times: Int64.max, over: 1))
        // Fewer places rather than a trap when the exact product needs them.
        XCTAssertEqual(try Decomposition.divide(.d("1000000000000000000.000000000001"), times: 1_000_000_000, over: 3), .d("333333333333333333333333333.33333333333"))
    }

    // MARK: Limits in the inputs

    func testScannerRejectsCountsAboveThePerEventLimit() {
        let line = #"{"ts":"2025-06-01T10:00:00Z","id":"a","provider":"anthropic","model":"claude-sonnet-4","input_tokens":1000000000000001,"output_tokens":1,"tags":{}}"#
        XCTAssertThrowsError(try LedgerEvent.parse(line: line)) { error in
            let e = error as? LedgerScanError
            XCTAssertEqual(e?.rule, "overflow")
            XCTAssertEqual(e?.message, "input_tokens 1000000000000001 is above the per-event limit 1000000000000000 (10^15)")
            XCTAssertEqual(e?.offset, TestSupport.offset(of: "1000000000000001", in: line))
        }
        let beyond = line.replacingOccurrences(of: "1000000000000001", with: "99999999999999999999")
        XCTAssertThrowsError(try LedgerEvent.parse(line: beyond)) { error in
            XCTAssertEqual((error as? LedgerScanError)?.message, "input_tokens is above the per-event limit 1000000000000000 (10^15)")
        }
        let tools = line.replacingOccurrences(of: #""output_tokens":1"#, with: #""output_tokens":1,"tool_calls":{"web_search":1000000000000001}"#)
            .replacingOccurrences(of: "1000000000000001,", with: "1,")
        XCTAssertThrowsError(try LedgerEvent.parse(line: tools)) { error in
            XCTAssertEqual((error as? LedgerScanError)?.message, "tool_calls 1000000000000001 is above the per-event limit 1000000000000000 (10^15)")
        }
        XCTAssertNoThrow(try LedgerEvent.parse(line: line.replacingOccurrences(of: "1000000000000001", with: "1000000000000000")))
    }

    func testScannerRejectsCostsBeyondEighteenDigitsEachSide() {
        func line(_ cost: String) -> String {
            #"{"ts":"2025-06-01T10:00:00Z","id":"a","provider":"openai","model":"gpt-4o","input_tokens":1,"output_tokens":1,"cost":""# + cost + #"","tags":{}}"#
        }
        XCTAssertNoThrow(try LedgerEvent.parse(line: line("999999999999999999.123456789012345678")))
        XCTAssertNoThrow(try LedgerEvent.parse(line: line("000000000000000000001.5")))
        for bad in [String(repeating: "9", count: 200), "1000000000000000000", "0.1234567890123456789"] {
            XCTAssertThrowsError(try LedgerEvent.parse(line: line(bad))) { error in
                XCTAssertEqual((error as? LedgerScanError)?.rule, "overflow")
            }
        }
    }

    func card(_ rates: String) -> String {
        "provider = \"acme\"\ncurrency = \"USD\"\n[[price]]\nmodel = \"m\"\neffective = 2025-01-01\n" + rates + "\n"
    }

    func assertCardError(_ rates: String, line: Int, _ message: String, file: StaticString = #filePath, lineNumber: UInt = #line) {
        XCTAssertThrowsError(try RateCardParser.parse(card(rates), path: "ratecards/acme.toml"), file: file, line: lineNumber) { error in
            let d = (error as? DiagnosticsError)?.diagnostics.first
            XCTAssertEqual(d?.description, "ratecards/acme.toml:\(line): error[ratecard-precision]: " + message, file: file, line: lineNumber)
        }
    }

    func testCardRatesAreLimitedToTwelveDecimalsAndBelowAMillion() throws {
        assertCardError(
            "input = \"3.0000000000000000000000000000001\"\noutput = 15", line: 6,
            "input of \"m\" has 31 decimal places; spend carries prices exactly to at most 12")
        assertCardError(
            "input = 1\noutput = \"12345678901234567890123456789012345678\"", line: 7,
            "output of \"m\" is 12345678901234567890123456789012345678; prices must be below 1000000")
        assertCardError(
            "input = 1\noutput = 2\ntool_calls = { web_search = \"0.0000000000001\" }", line: 3,
            "web_search of \"m\" tool_calls has 13 decimal places; spend carries prices exactly to at most 12")
        assertCardError(
            "input = \"0.075\"\noutput = 1\nbatch_discount = \"0.3333333333\"", line: 8,
            "batch_discount 0.3333333333 of \"m\" makes input 0.075 × 0.3333333333 = 0.0249999999975, more than 12 decimal places")
        assertCardError(
            "input = 1\noutput = 1\nbatch_discount = 0.5\ntiers = [{ above_input_tokens = 10, input = \"0.000000000001\", output = 1 }]", line: 8,
            "batch_discount 0.5 of \"m\" makes input 0.000000000001 × 0.5 = 0.0000000000005, more than 12 decimal places")
        // More tiers than a rate selection's 8-bit tier index trapped when an event reached the 129th.
        let tiers = (1...129).map { "{ above_input_tokens = \($0), input = 1, output = 1 }" }.joined(separator: ", ")
        XCTAssertThrowsError(try RateCardParser.parse(card("input = 1\noutput = 1\ntiers = [\(tiers)]"), path: "ratecards/acme.toml")) { error in
            XCTAssertEqual(
                (error as? DiagnosticsError)?.diagnostics.first?.description,
                "ratecards/acme.toml:8: error[ratecard-tiers]: \"m\" has 129 tiers; at most 128")
        }
        // Trailing zeros are not precision; the limits themselves are accepted.
        XCTAssertNoThrow(
            try RateCardParser.parse(card("input = 3\noutput = 15\nbatch_discount = \"0.3333333333\""), path: "ratecards/acme.toml"))
        XCTAssertNoThrow(
            try RateCardParser.parse(
                card("input = \"3.000000000000000000000000\"\noutput = \"999999.999999999999\"\nbatch_input = 1\nbatch_output = 1"),
                path: "ratecards/acme.toml"))
    }
}
