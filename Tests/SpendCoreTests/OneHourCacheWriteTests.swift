import XCTest

@testable import SpendCore

/// `cache_write_1h_tokens` (events) and `cache_write_1h` (cards): read,
/// written, priced, summed and linted like the other token kinds.
final class OneHourCacheWriteTests: XCTestCase {
    static let card = """
        provider = "acme"
        [[price]]
        model = "m"
        effective = 2025-01-01
        input = 3.00
        cached_input = 0.30
        cache_write = 3.75
        cache_write_1h = 6.00
        output = 15.00
        batch_discount = 0.5
        tiers = [ { above_input_tokens = 200000, input = 6.00, cached_input = 0.60, cache_write = 7.50, cache_write_1h = 12.00, output = 22.50 } ]

        [[price]]
        model = "old"
        effective = 2025-01-01
        input = 3.00
        cache_write = 3.75
        output = 15.00
        """

    func book() throws -> PriceBook { PriceBook(cards: [try RateCardParser.parse(Self.card, path: "ratecards/acme.toml")]) }

    func testTheEventFieldRoundTrips() throws {
        let line = #"{"ts":"2025-11-25T10:00:00.000Z","id":"a","provider":"anthropic","model":"claude-sonnet-4-5","input_tokens":10,"cache_write_tokens":20,"cache_write_1h_tokens":30,"output_tokens":5,"tags":{}}"#
        let event = try LedgerEvent.parse(line: line)
        XCTAssertEqual(event.cacheWriteTokens, 20)
        XCTAssertEqual(event.cacheWrite1hTokens, 30)
        XCTAssertEqual(event.jsonLine, line, "canonical order: cache_write_1h_tokens after cache_write_tokens")
        XCTAssertEqual(event.usage.cacheWrite1hTokens, 30)
        XCTAssertEqual(try event.usage.promptTokens(), 60)
        try Array(line.utf8).withUnsafeBytes { buffer in
            var scanner = LedgerScanner(buffer: buffer)
            var record = EventRecord()
            XCTAssertTrue((try? scanner.next(into: &record)) ?? false)
            XCTAssertEqual(record.cacheWrite1hTokens, 30)
            XCTAssertEqual(record.promptTokens, 60, "tiers count 1-hour writes as input")
            var usage = Usage(requests: 0)
            XCTAssertNoThrow(try usage.add(record))
            XCTAssertEqual(usage.cacheWrite1hTokens, 30)
            XCTAssertEqual(usage.allCacheWriteTokens, 50)
        }
        XCTAssertThrowsError(try LedgerEvent.parse(line: line.replacingOccurrences(of: #""cache_write_1h_tokens":30"#, with: #""cache_write_1h_tokens":-1"#)))
    }

    func testOneHourWritesArePricedByTheirOwnRate() throws {
        let book = try book()
        let at = TestSupport.ms("2025-06-01")
        // 1,000 × 3 + 2,000 × 3.75 + 4,000 × 6 + 100 × 15 = 3,000 + 7,500 + 24,000 + 1,500 = 36,000 per 1M
        let usage = Usage(inputTokens: 1000, cacheWriteTokens: 2000, cacheWrite1hTokens: 4000, outputTokens: 100)
        XCTAssertEqual(try book.price(provider: "acme", model: "m", at: at, usage: usage).cost, ExactDecimal("0.036"))
        // Batch: half of each.
        XCTAssertEqual(try book.price(provider: "acme", model: "m", at: at, usage: usage, batch: true).cost, ExactDecimal("0.018"))
        // 1-hour writes count toward the long-context tier: 210,000 × 12 = 2,520,000 per 1M.
        XCTAssertEqual(
            try book.price(provider: "acme", model: "m", at: at, usage: Usage(cacheWrite1hTokens: 210_000)).cost, ExactDecimal("2.52"))
        // A point without cache_write_1h: an error, never $0 and never the 5-minute rate.
        XCTAssertThrowsError(try book.price(provider: "acme", model: "old", at: at, usage: Usage(inputTokens: 1, cacheWrite1hTokens: 5))) { error in
            XCTAssertEqual(error as? PricingError, PricingError(rule: "no-price", message: "acme/old@2025-01-01 has no cache_write_1h price, but 5 cache_write_1h tokens were used"))
        }
    }

    func testTheEventPricerChecksTheRateBeforePricing() throws {
        let book = try book()
        let line = #"{"ts":"2025-06-01T00:00:00Z","id":"1","provider":"acme","model":"old","input_tokens":1,"cache_write_1h_tokens":5,"output_tokens":1,"tags":{}}"#
        try Array(line.utf8).withUnsafeBytes { buffer in
            var interner = StringInterner()
            var pricer = EventPricer(book: book, interner: &interner)
            var scanner = LedgerScanner(buffer: buffer)
            var e = EventRecord()
            XCTAssertTrue(try scanner.next(into: &e))
            guard case .failure(let failure) = pricer.price(e, scanner: scanner, interner: &interner) else { return XCTFail("priced") }
            XCTAssertEqual(failure.error.message, "acme/old@2025-01-01 has no cache_write_1h price, but 1-hour cache write tokens were used")
        }
    }

    func testCardsCheckTheRateLikeTheOthers() throws {
        let precise = Self.card.replacingOccurrences(of: "cache_write_1h = 6.00\n", with: "cache_write_1h = 6.0000000000001\n")
        XCTAssertThrowsError(try RateCardParser.parse(precise, path: "c.toml")) { error in
            let d = (error as? DiagnosticsError)?.diagnostics.first
            XCTAssertEqual(d?.rule, "ratecard-precision")
            XCTAssertEqual(d?.message, "cache_write_1h of \"m\" has 13 decimal places; spend carries prices exactly to at most 12")
        }
        let negative = Self.card.replacingOccurrences(of: "cache_write_1h = 6.00\n", with: "cache_write_1h = -6\n")
        XCTAssertThrowsError(try RateCardParser.parse(negative, path: "c.toml")) { error in
            XCTAssertEqual((error as? DiagnosticsError)?.diagnostics.first?.rule, "ratecard-negative")
        }
        let batch = Self.card.replacingOccurrences(of: "batch_discount = 0.5\n", with: "batch_discount = 0.5\nbatch_cache_write_1h = 2.5\n")
        let book = PriceBook(cards: [try RateCardParser.parse(batch, path: "c.toml")])
        XCTAssertEqual(
            try book.price(provider: "acme", model: "m", at: TestSupport.ms("2025-06-01"), usage: Usage(cacheWrite1hTokens: 1000), batch: true).cost,
            ExactDecimal("0.0025"), "an explicit batch_cache_write_1h wins over the discount")
    }

    /// Adding `cache_write_1h` to a point that had none restates nothing: not a rewrite.
    func testAddingTheOneHourRateIsNotARewrite() throws {
        let without = Self.card.replacingOccurrences(of: "cache_write_1h = 6.00\n", with: "")
            .replacingOccurrences(of: " cache_write_1h = 12.00,", with: "")
        let a = try RateCardParser.parse(without, path: "a").points[0]
        let b = try RateCardParser.parse(Self.card, path: "b").points[0]
        XCTAssertNil(a.rates.cacheWrite1h)
        XCTAssertNil(RateCardLint.difference(a, b))
        let changed = try RateCardParser.parse(Self.card.replacingOccurrences(of: "cache_write_1h = 6.00", with: "cache_write_1h = 7"), path: "c").points[0]
        XCTAssertEqual(RateCardLint.difference(b, changed), "cache_write_1h 6 → 7")
        XCTAssertEqual(RateCardLint.difference(b, a), "cache_write_1h 6 → unset, tiers", "removing it is")
    }

    /// The bundled Anthropic points that price cache writes price 1-hour writes at 2× input.
    func testBundledAnthropicPointsPriceOneHourWritesAtTwiceInput() throws {
        let anthropic = try XCTUnwrap(TestSupport.bundledCards().first { $0.provider == "anthropic" })
        var checked = 0
        for point in anthropic.points where point.rates.cacheWrite != nil {
            XCTAssertEqual(point.rates.cacheWrite1h, point.rates.input.map { $0 * ExactDecimal(2) }, point.id)
            for tier in point.tiers { XCTAssertEqual(tier.rates.cacheWrite1h, tier.rates.input.map { $0 * ExactDecimal(2) }, point.id) }
            checked += 1
        }
        XCTAssertGreaterThan(checked, 15)
    }
}
