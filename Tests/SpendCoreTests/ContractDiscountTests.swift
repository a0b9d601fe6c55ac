import XCTest

@testable import SpendCore

/// `[[discount]]` (docs/FORMAT.md, "Contract discounts"): parsing, every
/// error with its message and line, and pricing after list price selection.
/// Every expected cost is worked by hand.
final class ContractDiscountTests: XCTestCase {
    static let path = "ratecards/acme.toml"

    static let card = """
        provider = "acme"

        [aliases]
        "big-latest" = "big"

        [[price]]
        model = "big"
        effective = 2025-01-01
        input = 2.00
        output = 8.00
        batch_discount = 0.5
        tool_calls = { web_search = 10.00 }
        tiers = [ { above_input_tokens = 200000, input = 4.00, output = 12.00 } ]
        service_tiers = { priority = { input = 3.50, output = 14.00 } }

        [[price]]
        model = "big-mini"
        effective = 2025-01-01
        input = 0.40
        output = 1.60

        [[price]]
        model = "other"
        effective = 2025-01-01
        input = 1
        output = 1

        [[discount]]
        effective = 2026-01-01
        until = 2027-01-01
        percent = "15"
        models = ["big*"]

        [[discount]]
        effective = 2027-01-01
        percent = 20
        models = ["big"]

        """

    func book(_ text: String = card) throws -> PriceBook {
        PriceBook(cards: [try RateCardParser.parse(text, path: Self.path)])
    }

    func cost(
        _ model: String, at ts: String, input: Int64, output: Int64 = 0, batch: Bool = false, serviceTier: String? = nil,
        toolCalls: [String: Int64] = [:], basis: CostBasis = .effective
    ) throws -> String {
        let usage = Usage(inputTokens: input, outputTokens: output, toolCalls: toolCalls)
        return try book().price(
            provider: "acme", model: model, at: TestSupport.ms(ts), usage: usage, batch: batch, serviceTier: serviceTier, basis: basis
        ).cost.description
    }

    /// `line: message (rule)` of each finding.
    func findings(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> [String] {
        do {
            _ = try RateCardParser.parse(text, path: Self.path)
            XCTFail("card accepted", file: file, line: line)
            return []
        } catch {
            return error.diagnostics.map { "\($0.line.map(String.init) ?? "-"): \($0.message) (\($0.rule))" }
        }
    }

    // MARK: Parsing

    func testParsesDiscounts() throws {
        let card = try RateCardParser.parse(Self.card, path: Self.path)
        XCTAssertEqual(card.discounts.count, 2)
        let first = card.discounts[0]
        XCTAssertEqual(first.percent.description, "15")
        XCTAssertEqual(first.multiplier.description, "0.85")
        XCTAssertEqual(first.effectiveText, "2026-01-01")
        XCTAssertEqual(first.untilText, "2027-01-01")
        XCTAssertEqual(first.models, ["big*"])
        XCTAssertEqual(first.location, SourceLocation(path: Self.path, line: 28))
        XCTAssertEqual(first.id, "acme discount 15% from 2026-01-01 until 2027-01-01")
        XCTAssertNil(card.discounts[1].until)
        XCTAssertEqual(card.discounts[1].id, "acme discount 20% from 2027-01-01")
    }

    // MARK: Pricing (list price selection first, then the discount)

    func testStandardRatesDiscounted() throws {
        // 100,000 in × 2 + 100,000 out × 8 per 1M = 1 list; × 0.85.
        XCTAssertEqual(try cost("big", at: "2026-06-01", input: 100_000, output: 100_000, basis: .list), "1")
        XCTAssertEqual(try cost("big", at: "2026-06-01", input: 100_000, output: 100_000), "0.85")
    }

    func testTierBatchServiceTierAndToolFeesThenDiscount() throws {
        // Long-context tier: 300,000 × 4 / 1M = 1.2 list → 1.02.
        XCTAssertEqual(try cost("big", at: "2026-06-01", input: 300_000), "1.02")
        // Batch: (0.2 + 0.8) × 0.5 = 0.5 list → 0.425.
        XCTAssertEqual(try cost("big", at: "2026-06-01", input: 100_000, output: 100_000, batch: true), "0.425")
        // Priority: 0.35 + 1.4 = 1.75 list → 1.4875.
        XCTAssertEqual(try cost("big", at: "2026-06-01", input: 100_000, output: 100_000, serviceTier: "priority"), "1.4875")
        // Tool calls: 3 × 10 / 1,000 = 0.03 list → 0.0255.
        XCTAssertEqual(try cost("big", at: "2026-06-01", input: 0, toolCalls: ["web_search": 3]), "0.0255")
    }

    func testEffectiveDatesAndUntilIsExclusive() throws {
        // 100,000 input tokens: big 0.2, big-mini 0.04, other 0.1 at list.
        XCTAssertEqual(try cost("big", at: "2025-12-31T23:59:59.999Z", input: 100_000), "0.2")
        XCTAssertEqual(try cost("big", at: "2026-01-01", input: 100_000), "0.17")
        XCTAssertEqual(try cost("big", at: "2026-12-31T23:59:59.999Z", input: 100_000), "0.17")
        // From 2027-01-01 the second discount (20%, "big" only) is in effect, the first is not.
        XCTAssertEqual(try cost("big", at: "2027-01-01", input: 100_000), "0.16")
        XCTAssertEqual(try cost("big-mini", at: "2026-06-01", input: 100_000), "0.034")
        XCTAssertEqual(try cost("big-mini", at: "2027-01-01", input: 100_000), "0.04")
        XCTAssertEqual(try cost("other", at: "2026-06-01", input: 100_000), "0.1")
    }

    func testGlobsMatchThePricedModelAfterAliases() throws {
        // "big-latest" is an alias of "big": the discount of "big" applies.
        XCTAssertEqual(try cost("big-latest", at: "2026-06-01", input: 100_000), "0.17")
    }

    func testCostsGivesListAndEffective() throws {
        let book = try book()
        let model = try book.resolve(provider: "acme", model: "big").get()
        var selection = book.selection(
            point: book.pointIndex(model: model, at: TestSupport.ms("2026-06-01"))!, promptTokens: 1000, requests: 1, batch: false,
            serviceTier: nil)
        selection.discount = book.discountIndex(model: model, at: TestSupport.ms("2026-06-01"))
        let costs = try book.effectiveRates(selection).get().costs(Usage(inputTokens: 1000, outputTokens: 1000))
        XCTAssertEqual(costs, CostPair(list: ExactDecimal("0.01")!, effective: ExactDecimal("0.0085")!))
    }

    func testHundredPercentIsFree() throws {
        let text = Self.card.replacingOccurrences(of: "percent = 20", with: "percent = 100.0")
        XCTAssertEqual(try book(text).price(provider: "acme", model: "big", at: TestSupport.ms("2027-02-01"), usage: Usage(inputTokens: 5), basis: .effective).cost.description, "0")
    }

    // MARK: Errors

    static let base = """
        provider = "acme"

        [[price]]
        model = "big"
        effective = 2025-01-01
        input = 2.00
        output = 8.00

        [[discount]]

        """

    func testPercentOutOfRange() {
        XCTAssertEqual(
            findings(Self.base + "effective = 2026-01-01\npercent = 120\nmodels = [\"big\"]\n"),
            ["11: percent of [[discount]] is 120; it must be between 0 and 100 (ratecard-discount)"])
        XCTAssertEqual(
            findings(Self.base + "effective = 2026-01-01\npercent = \"-5\"\nmodels = [\"big\"]\n"),
            ["11: percent of [[discount]] is negative (-5) (ratecard-negative)"])
    }

    func testPercentPrecision() {
        XCTAssertEqual(
            findings(Self.base + "effective = 2026-01-01\npercent = \"12.3456789012345\"\nmodels = [\"big\"]\n"),
            ["11: percent of [[discount]] has 13 decimal places; spend carries prices exactly to at most 12 (ratecard-precision)"])
    }

    func testDiscountedRateNeedsTooManyPlaces() {
        let text = Self.base.replacingOccurrences(of: "input = 2.00", with: "input = 0.123456789012")
            + "effective = 2026-01-01\npercent = 15\nmodels = [\"big\"]\n"
        XCTAssertEqual(
            findings(text),
            [
                "11: percent 15 of [[discount]] makes input of acme/big@2025-01-01 0.123456789012 × 0.85 = 0.1049382706602, more than 12 decimal places (ratecard-precision)"
            ])
    }

    func testUntilNotAfterEffective() {
        XCTAssertEqual(
            findings(Self.base + "effective = 2026-06-01\nuntil = 2026-01-01\npercent = 10\nmodels = [\"big\"]\n"),
            ["11: until 2026-01-01 of [[discount]] is not after its effective 2026-06-01 (until is exclusive) (ratecard-discount)"])
        XCTAssertEqual(
            findings(Self.base + "effective = 2026-06-01\nuntil = 2026-06-01\npercent = 10\nmodels = [\"big\"]\n"),
            ["11: until 2026-06-01 of [[discount]] is not after its effective 2026-06-01 (until is exclusive) (ratecard-discount)"])
    }

    func testModels() {
        XCTAssertEqual(
            findings(Self.base + "effective = 2026-01-01\npercent = 10\nmodels = []\n"),
            ["12: models of [[discount]] is empty; name the models it covers (globs allowed: \"gpt-4o*\") (ratecard-discount)"])
        XCTAssertEqual(
            findings(Self.base + "effective = 2026-01-01\npercent = 10\nmodels = \"big\"\n"),
            ["12: models of [[discount]] must be an array of model names or globs (ratecard-discount)"])
        XCTAssertEqual(
            findings(Self.base + "effective = 2026-01-01\npercent = 10\nmodels = [\"bgi*\"]\n"),
            [
                "12: models of [[discount]]: \"bgi*\" matches no model priced in this card (globs match the model of a [[price]] point, not aliases) (ratecard-discount)"
            ])
    }

    func testMissingFieldsAndUnknownKeys() {
        XCTAssertEqual(
            findings(Self.base + "percent = 10\nmodels = [\"big\"]\nprovider = \"x\"\n"),
            [
                "12: unknown key \"provider\" in [[discount]] (expected effective, until, percent, models) (ratecard-discount)",
                "9: [[discount]] needs an effective date (ratecard-discount)",
            ])
        XCTAssertEqual(
            findings(Self.base + "effective = 2026-01-01\n"),
            [
                "9: [[discount]] needs a percent, e.g. percent = \"15\" (ratecard-discount)",
                "9: [[discount]] needs models = [\"…\"] (globs allowed: \"gpt-4o*\") (ratecard-discount)",
            ])
        XCTAssertEqual(
            findings(Self.base + "effective = \"soon\"\npercent = 10\nmodels = [\"big\"]\n"),
            ["10: effective of [[discount]] must be a date (2024-10-01) or an RFC 3339 datetime (ratecard)"])
    }

    func testOverlappingDiscountsAreAnError() {
        let text = Self.base + """
            effective = 2026-01-01
            until = 2027-01-01
            percent = 15
            models = ["b*"]

            [[discount]]
            effective = 2026-06-01
            percent = 10
            models = ["big"]

            """
        XCTAssertEqual(
            findings(text),
            [
                "15: discounts acme discount 10% from 2026-06-01 and acme discount 15% from 2026-01-01 until 2027-01-01 (line 9) both cover \"big\" from 2026-06-01T00:00:00.000Z; end one (until) before the other starts, or write one discount with the combined percent (ratecard-discount-overlap)"
            ])
    }

    func testAdjacentDiscountsDoNotOverlap() throws {
        let text = Self.base + """
            effective = 2026-01-01
            until = 2026-06-01
            percent = 15
            models = ["big"]

            [[discount]]
            effective = 2026-06-01
            percent = 10
            models = ["big"]

            """
        XCTAssertEqual(try RateCardParser.parse(text, path: Self.path).discounts.count, 2)
    }
}
