import XCTest

@testable import SpendCore

final class RateCardParserTests: XCTestCase {
    static let path = "ratecards/acme.toml"

    static let card = """
        provider = "acme"
        currency = "USD"

        [aliases]
        "acme-large-2025-01-01" = "acme-large"
        "acme-large-*" = "acme-large"

        # the launch price
        [[price]]
        model = "acme-large"
        effective = 2025-01-01
        input = 2.50
        cached_input = "0.075"
        cache_write = 3
        output = 10.00
        batch_discount = 0.5
        tool_calls = { web_search = 10.00 }
        tiers = [ { above_input_tokens = 200000, input = 5.00, cached_input = 0.15, output = 20.00 }, { above_input_tokens = 500000, input = 7.5, output = 30 } ]
        service_tiers = { priority = { input = 4.25, cached_input = 2.125, output = 17.00 }, flex = { input = 1.25, output = 5, tiers = [ { above_input_tokens = 200000, input = 2.5, output = 10 } ] } }

        [[price]]
        model = "acme-large"
        effective = 2025-06-01T14:00:00+02:00
        input = 1e-05
        output = 0.1
        batch_input = 0.3
        batch_output = "0.4"

        [[price]]
        model = "acme-small"
        effective = "2025-02-01"
        input = 0.0375
        output = 0

        """

    func parse(_ text: String) throws -> RateCard {
        try RateCardParser.parse(text, path: Self.path)
    }

    /// The diagnostics of a card that must be rejected.
    func diagnostics(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> [Diagnostic] {
        do {
            _ = try RateCardParser.parse(text, path: Self.path)
            XCTFail("card accepted", file: file, line: line)
            return []
        } catch {
            XCTAssertTrue(error.diagnostics.allSatisfy { $0.path == Self.path }, file: file, line: line)
            return error.diagnostics
        }
    }

    /// A one-point card with `body` inside the `[[price]]` block (header on line 4).
    func point(_ body: String) -> String {
        "provider = \"acme\"\ncurrency = \"USD\"\n\n[[price]]\nmodel = \"m\"\neffective = 2025-01-01\n" + body + "\n"
    }

    // MARK: A valid card

    func testParsesHeaderAndAliases() throws {
        let card = try parse(Self.card)
        XCTAssertEqual(card.provider, "acme")
        XCTAssertEqual(card.currency, "USD")
        XCTAssertEqual(card.path, Self.path)
        XCTAssertEqual(card.aliases.count, 2)
        let exact = card.aliases.first { $0.pattern == "acme-large-2025-01-01" }
        XCTAssertEqual(exact?.target, "acme-large")
        XCTAssertEqual(exact?.isGlob, false)
        XCTAssertEqual(exact?.line, 5)
        let glob = card.aliases.first { $0.pattern == "acme-large-*" }
        XCTAssertEqual(glob?.isGlob, true)
        XCTAssertEqual(glob?.line, 6)
        XCTAssertEqual(card.points.count, 3)
    }

    func testReadsPricesAsTheExactDecimalsWritten() throws {
        let p = try parse(Self.card).points[0]
        XCTAssertEqual(p.model, "acme-large")
        XCTAssertEqual(p.provider, "acme")
        XCTAssertEqual(p.rates.input?.description, "2.5")
        XCTAssertEqual(p.rates.input, ExactDecimal(significand: 25, scale: 1))
        XCTAssertEqual(p.rates.cachedInput?.description, "0.075")
        XCTAssertEqual(p.rates.cachedInput, ExactDecimal(significand: 75, scale: 3))
        XCTAssertEqual(p.rates.cacheWrite?.description, "3")
        XCTAssertEqual(p.rates.output?.description, "10")
        XCTAssertEqual(p.batchDiscount?.description, "0.5")
        XCTAssertEqual(p.toolCallFees["web_search"]?.description, "10")
    }

    func testReadsExponentFloatsAndStringsExactly() throws {
        let points = try parse(Self.card).points
        XCTAssertEqual(points[1].rates.input?.description, "0.00001")
        XCTAssertEqual(points[1].rates.output?.description, "0.1")
        XCTAssertEqual(points[1].batchRates.input?.description, "0.3")
        XCTAssertEqual(points[1].batchRates.output?.description, "0.4")
        XCTAssertNil(points[1].batchDiscount)
        XCTAssertEqual(points[2].rates.input?.description, "0.0375")
        XCTAssertEqual(points[2].rates.output?.description, "0")
    }

    func testReadsEffectiveDatesDateTimesAndStrings() throws {
        let points = try parse(Self.card).points
        XCTAssertEqual(points[0].effective, TestSupport.ms("2025-01-01"))
        XCTAssertEqual(points[0].effectiveText, "2025-01-01")
        XCTAssertEqual(points[0].id, "acme/acme-large@2025-01-01")
        XCTAssertEqual(points[1].effective, TestSupport.ms("2025-06-01T12:00:00Z"))
        XCTAssertEqual(points[1].effectiveText, "2025-06-01T12:00:00.000Z")
        XCTAssertEqual(points[2].effective, TestSupport.ms("2025-02-01"))
        XCTAssertEqual(points[2].effectiveText, "2025-02-01")
    }

    func testRecordsThePriceHeaderLine() throws {
        let points = try parse(Self.card).points
        XCTAssertEqual(points.map(\.location.line), [9, 21, 29])
        XCTAssertEqual(points[0].location.description, "ratecards/acme.toml:9")
    }

    func testReadsTiers() throws {
        let tiers = try parse(Self.card).points[0].tiers
        XCTAssertEqual(tiers.map(\.aboveInputTokens), [200_000, 500_000])
        XCTAssertEqual(tiers[0].rates.input?.description, "5")
        XCTAssertEqual(tiers[0].rates.cachedInput?.description, "0.15")
        XCTAssertEqual(tiers[0].rates.output?.description, "20")
        XCTAssertNil(tiers[0].rates.cacheWrite)
        XCTAssertEqual(tiers[1].rates.input?.description, "7.5")
        XCTAssertEqual(tiers[1].rates.output?.description, "30")
    }

    func testReadsServiceTiersWithTheirOwnTiers() throws {
        let tiers = try parse(Self.card).points[0].serviceTiers
        XCTAssertEqual(Set(tiers.keys), ["priority", "flex"])
        XCTAssertEqual(tiers["priority"]?.rates.input?.description, "4.25")
        XCTAssertEqual(tiers["priority"]?.rates.cachedInput?.description, "2.125")
        XCTAssertEqual(tiers["priority"]?.rates.output?.description, "17")
        XCTAssertEqual(tiers["priority"]?.tiers.count, 0)
        XCTAssertEqual(tiers["flex"]?.rates.input?.description, "1.25")
        XCTAssertEqual(tiers["flex"]?.tiers.map(\.aboveInputTokens), [200_000])
        XCTAssertEqual(tiers["flex"]?.tiers.first?.rates.output?.description, "10")
    }

    func testBundledCardsParse() throws {
        let names = TestSupport.bundledCardNames
        XCTAssertTrue(names.contains("openai.toml") && names.contains("anthropic.toml") && names.contains("google.toml"), "\(names)")
        let cards = try TestSupport.bundledCards()
        XCTAssertTrue(Set(cards.map(\.provider)).isSuperset(of: ["openai", "anthropic", "google"]))
        for card in cards { XCTAssertFalse(card.points.isEmpty, card.path) }
        XCTAssertEqual(PriceBook(cards: cards).aliasDiagnostics(), [])
    }

    // MARK: Rejected cards

    func testInvalidTOMLIsATomlErrorWithALine() {
        let d = diagnostics("provider = \"acme\"\ncurrency = \"USD\"\ninput = \n")
        XCTAssertEqual(d.count, 1)
        XCTAssertEqual(d.first?.rule, "toml")
        XCTAssertEqual(d.first?.line, 3)
        XCTAssertTrue(d.first?.message.hasPrefix("invalid TOML: ") ?? false, d.first?.message ?? "")
        // The offending line is kept for the caret display.
        XCTAssertEqual(d.first?.sourceLine, "input = ")
        XCTAssertTrue(d.first?.renderedWithSource.contains("3 | input = ") ?? false)
    }

    func testTwoPointsWithTheSameModelAndDateAreDuplicates() {
        let text = point("input = 1\noutput = 2") + "\n[[price]]\nmodel = \"m\"\neffective = 2025-01-01\ninput = 3\noutput = 4\n"
        let d = diagnostics(text)
        XCTAssertEqual(d.count, 1)
        XCTAssertEqual(d.first?.rule, "ratecard-duplicate")
        XCTAssertEqual(d.first?.line, 10)
        XCTAssertEqual(
            d.first?.message,
            "two price points for \"m\" effective 2025-01-01 (the other is at line 4); a price change is a new point with a later effective date")
        XCTAssertEqual(d.first?.sourceLine, "[[price]]")
    }

    func testSameModelAtDifferentDatesIsAPriceChange() throws {
        let text = point("input = 1\noutput = 2") + "\n[[price]]\nmodel = \"m\"\neffective = 2025-01-02\ninput = 3\noutput = 4\n"
        XCTAssertEqual(try parse(text).points.count, 2)
    }

    func testNegativePriceIsRejected() {
        let d = diagnostics(point("input = -1.5\noutput = 2"))
        XCTAssertEqual(d.count, 1)
        XCTAssertEqual(d.first?.rule, "ratecard-negative")
        XCTAssertEqual(d.first?.message, "input of \"m\" is negative (-1.5)")
        XCTAssertEqual(d.first?.line, 7)
    }

    func testNegativeTierPriceIsRejected() {
        let d = diagnostics(point("input = 1\noutput = 2\ntiers = [ { above_input_tokens = 1000, input = 2, output = \"-4\" } ]"))
        XCTAssertEqual(d.map(\.rule), ["ratecard-negative"])
        XCTAssertEqual(d.first?.message, "output of \"m\" tier above 1000 is negative (-4)")
    }

    func testUnorderedTiersAreRejected() {
        let d = diagnostics(
            point(
                "input = 1\noutput = 2\ntiers = [ { above_input_tokens = 2000, input = 2, output = 4 }, { above_input_tokens = 1000, input = 3, output = 6 } ]"
            ))
        XCTAssertEqual(d.count, 1)
        XCTAssertEqual(d.first?.rule, "ratecard-tiers")
        XCTAssertEqual(d.first?.message, "tiers of \"m\" must be in increasing order of above_input_tokens (1000 follows 2000)")
        XCTAssertEqual(d.first?.line, 9)
    }

    func testEqualTierThresholdsAreRejected() {
        let d = diagnostics(
            point(
                "input = 1\noutput = 2\ntiers = [ { above_input_tokens = 1000, input = 2, output = 4 }, { above_input_tokens = 1000, input = 3, output = 6 } ]"
            ))
        XCTAssertEqual(d.map(\.rule), ["ratecard-tiers"])
    }

    func testUnknownKeyInPriceIsRejected() {
        let d = diagnostics(point("inptu = 1\noutput = 2"))
        let unknown = d.first { $0.message.hasPrefix("unknown key") }
        XCTAssertEqual(unknown?.rule, "ratecard")
        XCTAssertEqual(unknown?.message, "unknown key \"inptu\" in [[price]]; did you mean input?")
        XCTAssertEqual(unknown?.line, 7)
        // The misspelt key also leaves the point without an input price.
        XCTAssertTrue(d.contains { $0.rule == "ratecard" && $0.message == "\"m\" needs an input price" && $0.line == 4 }, "\(d)")
    }

    func testMissingOutputIsRejected() {
        let d = diagnostics(point("input = 1"))
        XCTAssertEqual(d.count, 1)
        XCTAssertEqual(d.first?.rule, "ratecard")
        XCTAssertEqual(d.first?.message, "\"m\" needs an output price")
        XCTAssertEqual(d.first?.line, 4)
    }

    func testMissingEffectiveIsRejected() {
        let d = diagnostics("provider = \"acme\"\n[[price]]\nmodel = \"m\"\ninput = 1\noutput = 2\n")
        XCTAssertEqual(d.map(\.message), ["[[price]] \"m\" needs an effective date"])
        XCTAssertEqual(d.first?.line, 2)
    }

    func testMissingModelIsRejected() {
        let d = diagnostics("provider = \"acme\"\n[[price]]\neffective = 2025-01-01\ninput = 1\noutput = 2\n")
        XCTAssertEqual(d.map(\.message), ["[[price]] needs a model name: model = \"…\""])
    }

    func testBadEffectiveIsRejected() {
        let d = diagnostics(point("input = 1\noutput = 2").replacingOccurrences(of: "effective = 2025-01-01", with: "effective = \"soon\""))
        XCTAssertEqual(d.map(\.message), ["effective of \"m\" must be a date (2024-10-01) or an RFC 3339 datetime"])
        XCTAssertEqual(d.first?.line, 6)
    }

    func testNonNumericPriceIsRejected() {
        let d = diagnostics(point("input = \"cheap\"\noutput = 2"))
        XCTAssertEqual(d.map(\.rule), ["ratecard"])
        XCTAssertEqual(d.first?.message, "input of \"m\" must be a number or a decimal string")
        XCTAssertEqual(d.first?.line, 7)
    }

    func testBatchDiscountOutOfRangeIsRejected() {
        let d = diagnostics(point("input = 1\noutput = 2\nbatch_discount = 1.5"))
        XCTAssertEqual(d.map(\.message), ["batch_discount of \"m\" must be a multiplier in (0, 1], e.g. 0.5"])
        XCTAssertEqual(d.first?.line, 9)
    }

    func testUnknownKeyInTierIsRejected() {
        let d = diagnostics(point("input = 1\noutput = 2\ntiers = [ { above_input_tokens = 1000, inptu = 2, input = 2, output = 4 } ]"))
        XCTAssertEqual(d.map(\.message), ["unknown key \"inptu\" in a tier of \"m\"; did you mean input?"])
    }

    func testUnknownKeyInServiceTierIsRejected() {
        let d = diagnostics(point("input = 1\noutput = 2\nservice_tiers = { priority = { input = 2, output = 4, ouput = 1 } }"))
        XCTAssertEqual(d.map(\.message), ["unknown key \"ouput\" in service tier \"priority\" of \"m\"; did you mean output?"])
    }

    func testUnknownTopLevelKeyIsRejected() {
        let d = diagnostics("provider = \"acme\"\nprovidr = \"x\"\n")
        XCTAssertEqual(d.map(\.message), ["unknown key \"providr\" (expected provider, currency, [aliases], [[price]], [[discount]]); did you mean provider?"])
        XCTAssertEqual(d.first?.line, 2)
    }

    func testNonUSDCurrencyIsRejected() {
        let d = diagnostics("provider = \"acme\"\ncurrency = \"EUR\"\n")
        XCTAssertEqual(d.map(\.message), ["currency \"EUR\" is not supported (prices are USD)"])
    }

    func testMissingProviderIsRejected() {
        let d = diagnostics("currency = \"USD\"\n")
        XCTAssertEqual(d.map(\.message), ["missing or empty string \"provider\""])
    }

    func testAliasToANonStringIsRejected() {
        let d = diagnostics("provider = \"acme\"\n[aliases]\n\"a-*\" = 3\n")
        XCTAssertEqual(d.map(\.message), ["alias \"a-*\" must map to a model name string"])
        XCTAssertEqual(d.first?.line, 3)
    }

    func testEveryProblemIsReportedAtOnce() {
        let d = diagnostics(point("input = -1\nouptut = 2"))
        XCTAssertEqual(
            Set(d.map(\.message)),
            ["input of \"m\" is negative (-1)", "unknown key \"ouptut\" in [[price]]; did you mean output?", "\"m\" needs an output price"])
    }

    func testDiagnosticPrintsLikeACompiler() {
        let d = diagnostics(point("input = 1"))
        XCTAssertEqual(d.first?.description, "ratecards/acme.toml:4: error[ratecard]: \"m\" needs an output price")
    }
}
