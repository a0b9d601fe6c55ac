import XCTest

@testable import SpendCore

/// Which batch rate a `batch = true` event pays when its point has long-context
/// tiers or service tiers (docs/FORMAT.md, "Computing a cost"): the explicit
/// `batch_*` rate of the rate set in effect, else that set's rate ×
/// `batch_discount`, else `no-price`. Every expected cost is worked by hand.
final class BatchRatePrecedenceTests: XCTestCase {
    static let card = """
        provider = "acme"

        [[price]]
        model = "tiered"
        effective = 2025-01-01
        input = 2.00
        cached_input = 0.50
        output = 8.00
        batch_discount = 0.5
        batch_input = 0.80
        tiers = [ { above_input_tokens = 200000, input = 4.00, cached_input = 1.00, output = 12.00, batch_input = 1.50 } ]
        service_tiers.priority = { input = 3.50, output = 14.00, batch_output = 9.00, tiers = [ { above_input_tokens = 200000, input = 7.00, output = 21.00, batch_input = 2.00, batch_output = 10.00 } ] }
        service_tiers.flex = { input = 1.00, output = 4.00 }

        [[price]]
        model = "no-discount"
        effective = 2025-01-01
        input = 2.00
        output = 8.00
        batch_input = 1.00
        batch_output = 4.00
        tiers = [ { above_input_tokens = 200000, input = 4.00, output = 12.00 }, { above_input_tokens = 500000, input = 6.00, output = 18.00, batch_input = 3.00, batch_output = 9.00 } ]
        service_tiers = { priority = { input = 3.50, output = 14.00 } }

        """

    var book: PriceBook {
        get throws { PriceBook(cards: [try RateCardParser.parse(Self.card, path: "ratecards/acme.toml")]) }
    }

    func cost(
        _ model: String, input: Int64, cached: Int64 = 0, output: Int64, requests: Int64 = 1, batch: Bool = true,
        serviceTier: String? = nil
    ) throws -> String {
        let usage = Usage(requests: requests, inputTokens: input, cachedInputTokens: cached, outputTokens: output)
        return try book.price(
            provider: "acme", model: model, at: TestSupport.ms("2025-02-01"), usage: usage, batch: batch, serviceTier: serviceTier
        ).cost.description
    }

    func error(_ model: String, input: Int64, output: Int64, serviceTier: String? = nil) throws -> PricingError? {
        do {
            _ = try cost(model, input: input, output: output, serviceTier: serviceTier)
            return nil
        } catch let error as PricingError {
            return error
        }
    }

    // MARK: Base rates

    func testBaseRatesUseTheirExplicitBatchRateAndTheDiscountForTheRest() throws {
        // input 0.80 explicit; cached 0.50 × 0.5 = 0.25; output 8.00 × 0.5 = 4.00:
        // 100,000 × 0.80 + 20,000 × 0.25 + 10,000 × 4.00 = 80,000 + 5,000 + 40,000 = 125,000 per 1M.
        XCTAssertEqual(try cost("tiered", input: 100_000, cached: 20_000, output: 10_000), "0.125")
    }

    func testBaseRatesWithOnlyExplicitBatchRatesNeedNoDiscount() throws {
        // 100,000 × 1.00 + 10,000 × 4.00 = 140,000 per 1M.
        XCTAssertEqual(try cost("no-discount", input: 100_000, output: 10_000), "0.14")
    }

    // MARK: Long-context tiers

    func testATierUsesItsOwnExplicitBatchRate() throws {
        // 320,000 prompt tokens > 200,000: the tier. input 1.50 (the tier's batch_input, not the point's 0.80);
        // cached 1.00 × 0.5 = 0.50; output 12.00 × 0.5 = 6.00:
        // 300,000 × 1.50 + 20,000 × 0.50 + 10,000 × 6.00 = 450,000 + 10,000 + 60,000 = 520,000 per 1M.
        XCTAssertEqual(try cost("tiered", input: 300_000, cached: 20_000, output: 10_000), "0.52")
        // Not batch: 300,000 × 4.00 + 20,000 × 1.00 + 10,000 × 12.00 = 1,340,000 per 1M.
        XCTAssertEqual(try cost("tiered", input: 300_000, cached: 20_000, output: 10_000, batch: false), "1.34")
    }

    func testATierWithItsOwnBatchRatesNeedsNoDiscount() throws {
        // 600,000 > 500,000: the second tier, batch 3.00 / 9.00: 1,800,000 + 90,000 = 1,890,000 per 1M.
        XCTAssertEqual(try cost("no-discount", input: 600_000, output: 10_000), "1.89")
        // A roll-up of 2 requests of 600,000 each picks the second tier per request: 2 × 1.89.
        XCTAssertEqual(try cost("no-discount", input: 1_200_000, output: 20_000, requests: 2), "3.78")
    }

    func testATierWithoutBatchRatesDoesNotBorrowTheBaseRatesBatchRates() throws {
        // The first tier of "no-discount" has no batch_* and the point no batch_discount: the point's
        // batch_input 1.00 / batch_output 4.00 are for requests below 200,000 and do not apply.
        let e = try error("no-discount", input: 300_000, output: 10_000)
        XCTAssertEqual(e?.rule, "no-price")
        XCTAssertEqual(
            e?.message,
            "acme/no-discount@2025-01-01 has no batch price for its tier above 200000 input tokens (batch_input/batch_output there, or a batch_discount on the point)"
        )
    }

    // MARK: Service tiers

    func testAServiceTierUsesItsOwnExplicitBatchRateAndTheDiscountForTheRest() throws {
        // priority: input 3.50 × 0.5 = 1.75; output 9.00 (its batch_output):
        // 100,000 × 1.75 + 10,000 × 9.00 = 175,000 + 90,000 = 265,000 per 1M.
        XCTAssertEqual(try cost("tiered", input: 100_000, output: 10_000, serviceTier: "priority"), "0.265")
    }

    func testABatchCallOnAServiceTierWithoutBatchRatesPaysTheStandardBatchPrice() throws {
        // flex has no batch rates of its own: a batch call is billed at the standard rates' batch
        // price: input 0.80 (the point's batch_input), output 8.00 × 0.5 = 4.00:
        // 100,000 × 0.80 + 10,000 × 4.00 = 120,000 per 1M (not flex × discount = 0.07).
        XCTAssertEqual(try cost("tiered", input: 100_000, output: 10_000, serviceTier: "flex"), "0.12")
        // Above 200,000 the standard long-context tier applies: input 1.50, output 12.00 × 0.5 = 6.00:
        // 300,000 × 1.50 + 10,000 × 6.00 = 510,000 per 1M.
        XCTAssertEqual(try cost("tiered", input: 300_000, output: 10_000, serviceTier: "flex"), "0.51")
    }

    func testAPriorityBatchCallUsesTheExplicitBatchRatesNotPriorityTimesTheDiscount() throws {
        // The case: priority has no batch rates, the point has batch_input/batch_output and
        // no batch_discount. Before, this failed "has no batch price"; with a discount it paid
        // priority × discount. Now: 100,000 × 1.00 + 10,000 × 4.00 = 140,000 per 1M.
        XCTAssertEqual(try cost("no-discount", input: 100_000, output: 10_000, serviceTier: "priority"), "0.14")
    }

    func testAServiceTiersLongContextTierUsesItsOwnBatchRates() throws {
        // priority above 200,000: batch 2.00 / 10.00: 300,000 × 2.00 + 10,000 × 10.00 = 700,000 per 1M.
        XCTAssertEqual(try cost("tiered", input: 300_000, output: 10_000, serviceTier: "priority"), "0.7")
    }

    func testABatchCallWithNoBatchPriceAnywhereIsNoPrice() throws {
        let text = """
            provider = "acme"

            [[price]]
            model = "plain"
            effective = 2025-01-01
            input = 2.00
            output = 8.00
            service_tiers = { priority = { input = 3.50, output = 14.00 } }

            """
        let book = PriceBook(cards: [try RateCardParser.parse(text, path: "ratecards/acme.toml")])
        let usage = Usage(inputTokens: 100_000, outputTokens: 10_000)
        XCTAssertThrowsError(
            try book.price(
                provider: "acme", model: "plain", at: TestSupport.ms("2025-02-01"), usage: usage, batch: true,
                serviceTier: "priority")
        ) { error in
            XCTAssertEqual((error as? PricingError)?.rule, "no-price")
            XCTAssertEqual(
                (error as? PricingError)?.message,
                "acme/plain@2025-01-01 has no batch price (batch_discount or batch_input/batch_output)")
        }
    }

    func testAKindTheSetsBatchRatesLeaveOutIsNotPricedWithoutADiscount() throws {
        let text = Self.card.replacingOccurrences(of: "batch_discount = 0.5\n", with: "")
        let book = PriceBook(cards: [try RateCardParser.parse(text, path: "ratecards/acme.toml")])
        let usage = Usage(inputTokens: 300_000, cachedInputTokens: 20_000, outputTokens: 10_000)
        XCTAssertThrowsError(
            try book.price(provider: "acme", model: "tiered", at: TestSupport.ms("2025-02-01"), usage: usage, batch: true)
        ) { error in
            XCTAssertEqual(
                (error as? PricingError)?.message,
                "acme/tiered@2025-01-01 has no cached_input price, but 20000 cached_input tokens were used")
        }
    }

    // MARK: The card format

    func testTiersAndServiceTiersCarryBatchRates() throws {
        let card = try RateCardParser.parse(Self.card, path: "ratecards/acme.toml")
        let tiered = try XCTUnwrap(card.points.first { $0.model == "tiered" })
        XCTAssertEqual(tiered.tiers[0].batchRates, TokenRates(input: ExactDecimal("1.5")))
        XCTAssertEqual(tiered.serviceTiers["priority"]?.batchRates, TokenRates(output: ExactDecimal("9")))
        XCTAssertEqual(
            tiered.serviceTiers["priority"]?.tiers[0].batchRates, TokenRates(input: ExactDecimal("2"), output: ExactDecimal("10")))
        XCTAssertEqual(tiered.serviceTiers["flex"]?.batchRates, TokenRates())
    }

    func testAuditListsTheBatchRatesOfTiersAndServiceTiers() throws {
        let card = try RateCardParser.parse(Self.card, path: "ratecards/acme.toml")
        let tiered = try XCTUnwrap(card.points.first { $0.model == "tiered" })
        let fields = PriceChanges.fields(tiered).map { "\($0.name)=\($0.value.normalized())" }
        XCTAssertTrue(fields.contains("tiers>200000.batch_input=1.5"), "\(fields)")
        XCTAssertTrue(fields.contains("service_tiers.priority.batch_output=9"), "\(fields)")
        XCTAssertTrue(fields.contains("service_tiers.priority.tiers>200000.batch_output=10"), "\(fields)")
    }

    func testBatchDiscountBelongsToThePointOnly() {
        let text = "provider = \"acme\"\n[[price]]\nmodel = \"m\"\neffective = 2025-01-01\ninput = 1\noutput = 2\n"
            + "tiers = [ { above_input_tokens = 1000, input = 2, output = 4, batch_discount = 0.5 } ]\n"
        XCTAssertThrowsError(try RateCardParser.parse(text, path: "ratecards/acme.toml")) { error in
            XCTAssertEqual((error as? DiagnosticsError)?.diagnostics.map(\.message), ["unknown key \"batch_discount\" in a tier of \"m\""])
        }
    }

    func testANegativeBatchRateInATierIsRejected() {
        let text = "provider = \"acme\"\n[[price]]\nmodel = \"m\"\neffective = 2025-01-01\ninput = 1\noutput = 2\n"
            + "service_tiers = { priority = { input = 2, output = 4, batch_output = -1 } }\n"
        XCTAssertThrowsError(try RateCardParser.parse(text, path: "ratecards/acme.toml")) { error in
            let d = (error as? DiagnosticsError)?.diagnostics
            XCTAssertEqual(d?.map(\.rule), ["ratecard-negative"])
            XCTAssertEqual(d?.map(\.message), ["batch_output of \"m\" service tier \"priority\" is negative (-1)"])
        }
    }
}
