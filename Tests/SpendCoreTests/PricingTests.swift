import XCTest

@testable import SpendCore
@testable import SpendPricing

/// Prices against the REAL bundled rate cards (`ratecards/*.toml`): every
/// worked example of the brief, to the exact decimal.
final class PricingTests: XCTestCase {
    var book: PriceBook { TestSupport.bundledBook }

    /// The exact cost of one request or roll-up line, as a decimal string.
    func cost(
        _ provider: String, _ model: String, at ts: String, input: Int64 = 0, cached: Int64 = 0, write: Int64 = 0,
        output: Int64 = 0, requests: Int64 = 1, tools: [String: Int64] = [:], batch: Bool = false, serviceTier: String? = nil
    ) throws -> String {
        let usage = Usage(
            requests: requests, inputTokens: input, cachedInputTokens: cached, cacheWriteTokens: write, outputTokens: output,
            toolCalls: tools)
        return try book.price(
            provider: provider, model: model, at: TestSupport.ms(ts), usage: usage, batch: batch, serviceTier: serviceTier
        ).cost.description
    }

    /// The point used for a request.
    func pointId(_ provider: String, _ model: String, at ts: String) throws -> String {
        try book.price(provider: provider, model: model, at: TestSupport.ms(ts), usage: Usage(inputTokens: 1)).point.id
    }

    /// The pricing error for a request, or nil if it priced.
    func pricingError(
        _ provider: String, _ model: String, at ts: String, input: Int64 = 1, cached: Int64 = 0, write: Int64 = 0,
        output: Int64 = 0, tools: [String: Int64] = [:], batch: Bool = false, serviceTier: String? = nil
    ) -> PricingError? {
        do {
            _ = try cost(
                provider, model, at: ts, input: input, cached: cached, write: write, output: output, tools: tools, batch: batch,
                serviceTier: serviceTier)
            return nil
        } catch {
            return error as? PricingError
        }
    }

    /// The priced model a served name resolves to.
    func resolved(_ provider: String, _ model: String) -> String? {
        guard case .success(let m) = book.resolve(provider: provider, model: model) else { return nil }
        return book.models[m].name
    }

    /// Line of the `[[price]]` header of the first point of `model` in a bundled card.
    func headerLine(of model: String, in card: String) throws -> Int {
        let lines = try String(contentsOfFile: TestSupport.packageRoot + "/ratecards/" + card, encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false)
        let modelLine = try XCTUnwrap(lines.firstIndex { $0 == "model = \"\(model)\"" })
        return try XCTUnwrap(lines[..<modelLine].lastIndex { $0.hasPrefix("[[price]]") }) + 1
    }

    // MARK: Worked examples of the brief

    func testGPT4o2000In500OutCostsOneCent() throws {
        XCTAssertEqual(try cost("openai", "gpt-4o", at: "2025-01-01", input: 2_000, output: 500), "0.01")
        XCTAssertEqual(try pointId("openai", "gpt-4o", at: "2025-01-01"), "openai/gpt-4o@2024-10-01")
    }

    func testGPT54MiniWithCachedInput() throws {
        // 8,000 × 0.75 + 2,000 × 0.075 + 1,200 × 4.50 = 11,550 per 1M.
        XCTAssertEqual(
            try cost("openai", "gpt-5.4-mini", at: "2026-06-01", input: 8_000, cached: 2_000, output: 1_200), "0.01155")
        XCTAssertEqual(
            try cost("openai", "gpt-5.4-mini-2026-03-17", at: "2026-06-01", input: 8_000, cached: 2_000, output: 1_200), "0.01155")
    }

    func testClaudeSonnet4BaseRate() throws {
        XCTAssertEqual(
            try cost("anthropic", "claude-sonnet-4-20250514", at: "2025-07-01", input: 8_000, output: 1_200), "0.042")
    }

    func testClaudeSonnet4LongContextTierPricesAllTokens() throws {
        // 250,000 × 6.00 + 2,000 × 22.50: the whole request at the tier's rates.
        XCTAssertEqual(
            try cost("anthropic", "claude-sonnet-4-20250514", at: "2025-07-01", input: 250_000, output: 2_000), "1.545")
    }

    func testTierThresholdCountsAllThreeInputKinds() throws {
        // 150,000 + 60,000 cached = 210,000 > 200,000: tier rates (6.00, 0.60).
        XCTAssertEqual(
            try cost("anthropic", "claude-sonnet-4", at: "2025-07-01", input: 150_000, cached: 60_000), "0.936")
        // 150,000 + 50,000 cache writes = 200,000 (not above): base rates (3.00, 3.75).
        XCTAssertEqual(
            try cost("anthropic", "claude-sonnet-4", at: "2025-07-01", input: 150_000, write: 50_000), "0.6375")
        // Exactly at the threshold is still the base rate.
        XCTAssertEqual(try cost("anthropic", "claude-sonnet-4", at: "2025-07-01", input: 200_000), "0.6")
        XCTAssertEqual(try cost("anthropic", "claude-sonnet-4", at: "2025-07-01", input: 200_001), "1.200006")
    }

    func testGemini15ProTierBoundary() throws {
        // google.toml, gemini-1.5-pro @2024-10-01: 1.25 / 5.00; above 128,000: 2.50 / 10.00.
        XCTAssertEqual(try cost("google", "gemini-1.5-pro", at: "2025-01-01", input: 128_000, output: 1_000), "0.165")
        XCTAssertEqual(try cost("google", "gemini-1.5-pro", at: "2025-01-01", input: 128_001, output: 1_000), "0.3300025")
        // The cached part counts toward the threshold: 127,000 + 1,001 cached.
        XCTAssertEqual(
            try cost("google", "gemini-1.5-pro-002", at: "2025-01-01", input: 127_000, cached: 1_001), "0.318125625")
    }

    func testGemini15ProLaunchPriceAndTier() throws {
        // gemini-1.5-pro @2024-05-14: 3.50 / 10.50; above 128,000: 7.00 / 21.00.
        XCTAssertEqual(try cost("google", "gemini-1.5-pro", at: "2024-06-01", input: 128_000, output: 1_000), "0.4585")
        XCTAssertEqual(try cost("google", "gemini-1.5-pro", at: "2024-06-01", input: 128_001, output: 1_000), "0.917007")
    }

    // MARK: Batch and service tiers

    func testBatchHalvesThePrice() throws {
        XCTAssertEqual(try cost("openai", "gpt-4o", at: "2025-01-01", input: 2_000, output: 500, batch: true), "0.005")
        XCTAssertEqual(
            try cost("anthropic", "claude-sonnet-4", at: "2025-07-01", input: 8_000, output: 1_200, batch: true), "0.021")
    }

    func testBatchDiscountAppliesToTheTier() throws {
        XCTAssertEqual(
            try cost("anthropic", "claude-sonnet-4", at: "2025-07-01", input: 250_000, output: 2_000, batch: true), "0.7725")
    }

    func testBatchWithoutABatchPriceIsNoPrice() {
        let error = pricingError("openai", "gpt-4-32k", at: "2024-01-01", batch: true)
        XCTAssertEqual(error?.rule, "no-price")
        XCTAssertEqual(error?.message, "openai/gpt-4-32k@2023-03-14 has no batch price (batch_discount or batch_input/batch_output)")
    }

    func testPriorityServiceTier() throws {
        // gpt-4o priority: 4.25 / 2.125 cached / 17.00.
        XCTAssertEqual(
            try cost("openai", "gpt-4o", at: "2025-01-01", input: 2_000, output: 500, serviceTier: "priority"), "0.017")
        XCTAssertEqual(
            try cost("openai", "gpt-4o", at: "2025-01-01", input: 2_000, cached: 1_000, output: 500, serviceTier: "priority"),
            "0.019125")
        // A batch call is billed at batch rates: priority has no batch rates of its own, so the
        // standard batch price applies (2.50 × 0.5, 10.00 × 0.5), not priority × 0.5 (0.0085).
        XCTAssertEqual(
            try cost("openai", "gpt-4o", at: "2025-01-01", input: 2_000, output: 500, batch: true, serviceTier: "priority"),
            "0.005")
    }

    func testStandardAndDefaultServiceTiersAreTheBaseRates() throws {
        XCTAssertEqual(
            try cost("openai", "gpt-4o", at: "2025-01-01", input: 2_000, output: 500, serviceTier: "standard"), "0.01")
        XCTAssertEqual(
            try cost("openai", "gpt-4o", at: "2025-01-01", input: 2_000, output: 500, serviceTier: "default"), "0.01")
    }

    func testServiceTierUsesItsOwnLongContextTiers() throws {
        // gpt-5.4 above 272,000: standard 5.00 / 22.50; flex has its own tier 2.50 / 11.25; priority has none.
        XCTAssertEqual(try cost("openai", "gpt-5.4", at: "2026-06-01", input: 300_000, output: 1_000), "1.5225")
        XCTAssertEqual(
            try cost("openai", "gpt-5.4", at: "2026-06-01", input: 300_000, output: 1_000, serviceTier: "flex"), "0.76125")
        XCTAssertEqual(
            try cost("openai", "gpt-5.4", at: "2026-06-01", input: 300_000, output: 1_000, serviceTier: "priority"), "1.53")
    }

    func testUnknownServiceTierIsNoPrice() {
        let error = pricingError("openai", "gpt-4o", at: "2025-01-01", serviceTier: "flex")
        XCTAssertEqual(error?.rule, "no-price")
        XCTAssertEqual(error?.message, "openai/gpt-4o@2024-10-01 has no price for service tier \"flex\" (has: priority)")
        let none = pricingError("anthropic", "claude-sonnet-4", at: "2025-07-01", serviceTier: "priority")
        XCTAssertEqual(none?.message, "anthropic/claude-sonnet-4@2025-05-22 has no price for service tier \"priority\"")
    }

    // MARK: Tool calls and roll-ups

    func testWebSearchFeeIsPerThousandCalls() throws {
        // gpt-5: 1,000 × 1.25 per 1M = 0.00125; 2 searches × $10 / 1,000 = 0.02.
        XCTAssertEqual(try cost("openai", "gpt-5", at: "2025-09-01", input: 1_000, tools: ["web_search": 2]), "0.02125")
        XCTAssertEqual(try cost("openai", "gpt-5", at: "2025-09-01", tools: ["web_search": 1_000]), "10")
        XCTAssertEqual(try cost("openai", "gpt-5", at: "2025-09-01", tools: ["web_search": 1]), "0.01")
    }

    func testUnpricedToolIsNoPrice() {
        let error = pricingError("openai", "gpt-5", at: "2025-09-01", tools: ["code_interpreter": 1])
        XCTAssertEqual(error?.rule, "no-price")
        XCTAssertEqual(error?.message, "openai/gpt-5@2025-08-07 has no price for tool calls \"code_interpreter\"")
    }

    func testRollUpLinePicksTheTierByTokensPerRequest() throws {
        let sonnet = ("anthropic", "claude-sonnet-4")
        // 10 requests, 150,000 input each: base rates (3.00 / 15.00).
        XCTAssertEqual(
            try cost(sonnet.0, sonnet.1, at: "2025-07-01", input: 1_500_000, output: 20_000, requests: 10), "4.8")
        // The same totals as one request are above 200,000: tier rates (6.00 / 22.50).
        XCTAssertEqual(try cost(sonnet.0, sonnet.1, at: "2025-07-01", input: 1_500_000, output: 20_000), "9.45")
        // 10 requests, 250,000 each: tier.
        XCTAssertEqual(
            try cost(sonnet.0, sonnet.1, at: "2025-07-01", input: 2_500_000, output: 20_000, requests: 10), "15.45")
        // Exactly 200,000 per request stays at the base rate; one token more does not.
        XCTAssertEqual(
            try cost(sonnet.0, sonnet.1, at: "2025-07-01", input: 2_000_000, output: 20_000, requests: 10), "6.3")
        XCTAssertEqual(
            try cost(sonnet.0, sonnet.1, at: "2025-07-01", input: 2_000_001, output: 20_000, requests: 10), "12.450006")
    }

    func testZeroUsageCostsZero() throws {
        XCTAssertEqual(try cost("openai", "gpt-4o", at: "2025-01-01"), "0")
    }

    func testInputOnlyModelWithZeroOutputPrice() throws {
        XCTAssertEqual(try cost("openai", "text-embedding-3-small", at: "2025-01-01", input: 1_000_000, output: 5), "0.02")
    }

    // MARK: Effective dating

    func testEffectiveDatingAcrossAPriceChange() throws {
        XCTAssertEqual(
            try cost("openai", "gpt-4o", at: "2024-09-30", input: 1_000_000, output: 1_000_000), "20")
        XCTAssertEqual(
            try cost("openai", "gpt-4o", at: "2024-09-30T23:59:59.999Z", input: 1_000_000, output: 1_000_000), "20")
        XCTAssertEqual(
            try cost("openai", "gpt-4o", at: "2024-10-01T00:00:00Z", input: 1_000_000, output: 1_000_000), "12.5")
        XCTAssertEqual(try pointId("openai", "gpt-4o", at: "2024-09-30"), "openai/gpt-4o@2024-05-13")
        XCTAssertEqual(try pointId("openai", "gpt-4o", at: "2024-10-01"), "openai/gpt-4o@2024-10-01")
        XCTAssertEqual(try pointId("openai", "gpt-4o", at: "2026-11-03"), "openai/gpt-4o@2025-08-07")
    }

    /// GPT-4o and GPT-4o mini price web search ($25 per 1,000 calls) from
    /// 2025-08-07, the date recorded for GPT-4.1; before it a web_search call
    /// on them is no-price, never $0.
    func testGPT4oWebSearchFeeFromAugust2025() throws {
        // 2,000 × 2.50 + 500 × 10.00 = 10,000 per 1M = 0.01, + 2 × 25 / 1,000 = 0.05.
        XCTAssertEqual(try cost("openai", "gpt-4o", at: "2026-11-03T00:00:00Z", input: 2000, output: 500, tools: ["web_search": 2]), "0.06")
        XCTAssertEqual(try cost("openai", "gpt-4o-2024-11-20", at: "2026-11-03T00:00:00Z", tools: ["web_search": 1]), "0.025")
        XCTAssertEqual(try cost("openai", "gpt-4o-mini", at: "2025-08-07T00:00:00Z", input: 1000, tools: ["web_search": 4]), "0.10015")
        XCTAssertEqual(
            pricingError("openai", "gpt-4o", at: "2025-08-06T23:59:59Z", tools: ["web_search": 1])?.message,
            "openai/gpt-4o@2024-10-01 has no price for tool calls \"web_search\"")
    }

    /// GPT-5.6: preview prices from 2026-06-26, GA with the 272K tier on
    /// 2026-07-09, Terra and Luna cut on 2026-07-30, Sol's promotional $4 / $20
    /// from 2026-08-21 (what LiteLLM 1.109.1 lists); `gpt-5.6` is Sol.
    func testGPT56PriceHistory() throws {
        // The preview point has no long-context tier: 1M input tokens at $5.
        XCTAssertEqual(try cost("openai", "gpt-5.6-sol", at: "2026-06-30T00:00:00Z", input: 1_000_000), "5")
        // GA: 300,000 input tokens cross the 272K cliff: 300,000 × 10 + 1,000 × 45 per 1M.
        XCTAssertEqual(try cost("openai", "gpt-5.6-sol", at: "2026-07-15T00:00:00Z", input: 300_000, output: 1_000), "3.045")
        XCTAssertEqual(try cost("openai", "gpt-5.6-terra", at: "2026-07-29T23:59:59Z", input: 100_000, output: 100_000), "1.75")
        XCTAssertEqual(try cost("openai", "gpt-5.6-terra", at: "2026-07-30T00:00:00Z", input: 100_000, output: 100_000), "1.4")
        XCTAssertEqual(try cost("openai", "gpt-5.6-luna", at: "2026-07-30T00:00:00Z", input: 100_000, output: 100_000), "0.14")
        XCTAssertEqual(try cost("openai", "gpt-5.6", at: "2026-08-21T00:00:00Z", input: 100_000, output: 100_000), "2.4")
        XCTAssertEqual(try pointId("openai", "gpt-daybreak-blue-latest", at: "2026-12-01"), "openai/gpt-5.6-sol@2026-08-21")
    }

    /// Azure kept GPT-5.6's preview prices after OpenAI's cuts and cut on its
    /// own dates: Sol (a promotion) on 2026-09-01, Terra and Luna on 2026-10-03.
    func testAzureGPT56KeepsThePreviewPricesUntilAzuresOwnCuts() throws {
        // 2026-08-01: OpenAI already charges $2 / $12 for Terra, Azure still $2.50 / $15.
        XCTAssertEqual(try cost("openai", "gpt-5.6-terra", at: "2026-08-01T00:00:00Z", input: 100_000, output: 100_000), "1.4")
        XCTAssertEqual(try cost("azure", "gpt-5.6-terra-2026-07-09", at: "2026-08-01T00:00:00Z", input: 100_000, output: 100_000), "1.75")
        XCTAssertEqual(try cost("azure", "gpt-5.6-luna", at: "2026-10-02T23:59:59Z", input: 100_000, output: 100_000), "0.7")
        XCTAssertEqual(try cost("azure", "gpt-5.6-luna", at: "2026-10-03T00:00:00Z", input: 100_000, output: 100_000), "0.14")
        XCTAssertEqual(try cost("azure", "gpt-5.6", at: "2026-08-31T23:59:59Z", input: 100_000, output: 100_000), "3.5")
        XCTAssertEqual(try cost("azure", "gpt-5.6", at: "2026-09-01T00:00:00Z", input: 100_000, output: 100_000), "2.4")
        // A data-zone call: 10% above Global, the 272K cliff included (300,000 × 8.80 + 1,000 × 33 per 1M).
        XCTAssertEqual(try cost("azure", "eu/gpt-5.6-sol", at: "2026-09-15T00:00:00Z", input: 300_000, output: 1_000), "2.673")
        XCTAssertEqual(try pointId("azure", "us/gpt-5.6-terra", at: "2026-10-03"), "azure/gpt-5.6-terra-data-zone@2026-10-03")
    }

    /// From GPT-6 on, Azure's data-zone premium depends on the zone: US 10%, EU and APAC 20%.
    func testAzureGPT6DataZonePremiumsDifferByZone() throws {
        let at = "2026-11-01T00:00:00Z"
        XCTAssertEqual(try cost("azure", "gpt-6.1-sol", at: at, input: 200_000, output: 100_000), "1.4")
        XCTAssertEqual(try cost("azure", "us/gpt-6.1-sol", at: at, input: 200_000, output: 100_000), "1.54")
        XCTAssertEqual(try cost("azure", "eu/gpt-6.1-sol", at: at, input: 200_000, output: 100_000), "1.68")
        XCTAssertEqual(try cost("azure", "apac/gpt-6.1-sol", at: at, input: 200_000, output: 100_000), "1.68")
        XCTAssertEqual(try pointId("azure", "apac/gpt-6.1-terra", at: "2026-11-01"), "azure/gpt-6.1-terra-data-zone-apac@2026-10-26")
        XCTAssertEqual(try cost("azure", "eu/gpt-6-astra", at: at, input: 100_000, output: 10_000), "1.8")
        XCTAssertEqual(try cost("azure", "us/gpt-6-astra", at: at, input: 100_000, output: 10_000), "1.65")
        // GPT-6 had no APAC data zone: an unknown model, never a guessed premium.
        XCTAssertEqual(pricingError("azure", "apac/gpt-6-sol", at: "2026-11-01")?.rule, "unknown-model")
    }

    /// Vertex AI charges more than the Gemini API for Gemini 2.0 Flash, and
    /// its batch embeddings cost $0.12, not half of $0.15.
    func testVertexPricesWhereTheyDifferFromTheGeminiAPI() throws {
        let at = "2026-11-01T00:00:00Z"
        XCTAssertEqual(try cost("google", "gemini-2.0-flash", at: at, input: 1_000_000, output: 1_000_000), "0.5")
        XCTAssertEqual(try cost("vertex", "gemini-2.0-flash-001", at: at, input: 1_000_000, output: 1_000_000), "0.75")
        XCTAssertEqual(try cost("vertex", "gemini-2.0-flash", at: at, input: 1_000_000, output: 1_000_000, batch: true), "0.375")
        XCTAssertEqual(try cost("google", "gemini-embedding-001", at: at, input: 1_000_000, batch: true), "0.075")
        XCTAssertEqual(try cost("vertex", "gemini-embedding-001", at: at, input: 1_000_000, batch: true), "0.12")
        // A Gemini model Vertex prices like the Gemini API is recorded as google: not on the vertex card.
        XCTAssertEqual(pricingError("vertex", "gemini-2.5-pro", at: "2026-11-01")?.rule, "unknown-model")
    }

    func testValidityIntervalEndsAtTheNextPoint() throws {
        let m = try book.resolve(provider: "openai", model: "gpt-4o").get()
        let first = try XCTUnwrap(book.pointIndex(model: m, at: TestSupport.ms("2024-06-01")))
        XCTAssertEqual(book.validity(ofPoint: first, model: m), TestSupport.ms("2024-05-13")..<TestSupport.ms("2024-10-01"))
        let last = try XCTUnwrap(book.pointIndex(model: m, at: TestSupport.ms("2026-01-01")))
        XCTAssertEqual(book.validity(ofPoint: last, model: m).upperBound, Int64.max)
    }

    func testNoPriceBeforeTheFirstPoint() throws {
        let error = pricingError("openai", "gpt-4o", at: "2024-01-01")
        XCTAssertEqual(error?.rule, "no-price")
        let line = try headerLine(of: "gpt-4o", in: "openai.toml")
        XCTAssertEqual(
            error?.message,
            "no price for openai/gpt-4o in effect at 2024-01-01T00:00:00.000Z (first point is effective 2024-05-13, ratecards/openai.toml:\(line))")
        XCTAssertNil(pricingError("openai", "gpt-4o", at: "2024-05-13"))
        XCTAssertEqual(pricingError("openai", "gpt-4o", at: "2024-05-12T23:59:59.999Z")?.rule, "no-price")
    }

    func testCachedTokensOnAPointWithoutCachedPriceIsNoPrice() {
        // gpt-4o @2024-05-13 has no cached_input.
        let error = pricingError("openai", "gpt-4o", at: "2024-09-30", input: 0, cached: 100)
        XCTAssertEqual(error?.rule, "no-price")
        XCTAssertEqual(error?.message, "openai/gpt-4o@2024-05-13 has no cached_input price, but 100 cached_input tokens were used")
    }

    func testCacheWritesWithoutCacheWritePriceIsNoPrice() {
        let error = pricingError("openai", "gpt-4o", at: "2025-01-01", input: 0, write: 5)
        XCTAssertEqual(error?.rule, "no-price")
        XCTAssertEqual(error?.message, "openai/gpt-4o@2024-10-01 has no cache_write price, but 5 cache_write tokens were used")
    }

    // MARK: Model resolution

    func testExactAliasResolves() {
        XCTAssertEqual(resolved("anthropic", "claude-sonnet-4-20250514"), "claude-sonnet-4")
        XCTAssertEqual(resolved("openai", "gpt-4o-2024-11-20"), "gpt-4o")
        XCTAssertEqual(resolved("google", "gemini-1.5-pro-latest"), "gemini-1.5-pro")
    }

    func testGlobAliasResolves() {
        XCTAssertEqual(resolved("anthropic", "claude-sonnet-4-20250601"), "claude-sonnet-4")
        XCTAssertEqual(resolved("openai", "gpt-5.4-mini-2026-09-01"), "gpt-5.4-mini")
        XCTAssertEqual(resolved("google", "gemini-1.5-pro-003"), "gemini-1.5-pro")
    }

    func testNarrowGlobsDoNotSwallowSiblingModels() {
        XCTAssertEqual(resolved("anthropic", "claude-sonnet-4-5-20250929"), "claude-sonnet-4-5")
        XCTAssertEqual(resolved("anthropic", "claude-sonnet-4-5-20260101"), "claude-sonnet-4-5")
        XCTAssertEqual(resolved("openai", "gpt-4o-mini"), "gpt-4o-mini")
        XCTAssertEqual(resolved("openai", "gpt-4o-2024-05-13"), "gpt-4o-2024-05-13")
    }

    func testPricedNameNeedsNoAlias() {
        XCTAssertEqual(resolved("openai", "gpt-4o"), "gpt-4o")
        XCTAssertEqual(resolved("anthropic", "claude-sonnet-4"), "claude-sonnet-4")
    }

    func testUnknownModelNamesTheCard() {
        let error = pricingError("openai", "gpt-9", at: "2025-01-01")
        XCTAssertEqual(error?.rule, "unknown-model")
        XCTAssertEqual(error?.message, "model \"gpt-9\" matches no price or alias in ratecards/openai.toml; did you mean gpt-4 or gpt-5?")
        XCTAssertTrue(error?.message.contains("matches no price or alias in ratecards/openai.toml") ?? false)
    }

    func testModelOfAnotherProviderIsUnknown() {
        let error = pricingError("anthropic", "gpt-4o", at: "2025-01-01")
        XCTAssertEqual(error?.rule, "unknown-model")
        XCTAssertEqual(error?.message, "model \"gpt-4o\" matches no price or alias in ratecards/anthropic.toml")
    }

    func testUnknownProviderIsUnknownModel() {
        let error = pricingError("mistral", "mistral-large", at: "2025-01-01")
        XCTAssertEqual(error?.rule, "unknown-model")
        XCTAssertEqual(error?.message, "no rate card for provider \"mistral\" (cards: anthropic, azure, bedrock, google, openai, vertex)")
    }

    // MARK: Aliases and batch rates on a hand-written card

    func customBook() throws -> PriceBook {
        let text = """
            provider = "acme"
            [aliases]
            "a-*" = "wide"
            "a-b-*" = "narrow"
            "a-b-exact" = "exact"
            "chain" = "hop"
            "hop" = "exact"
            "dangling" = "nowhere"
            "loop-1" = "loop-2"
            "loop-2" = "loop-1"

            [[price]]
            model = "wide"
            effective = 2025-01-01
            input = 1
            output = 1

            [[price]]
            model = "narrow"
            effective = 2025-01-01
            input = 2
            output = 2

            [[price]]
            model = "exact"
            effective = 2025-01-01
            input = 2.00
            output = 8.00
            batch_discount = 0.5
            batch_input = 0.3
            """
        return PriceBook(cards: [try RateCardParser.parse(text, path: "ratecards/acme.toml")])
    }

    func testExactAliasBeatsGlobAndMostSpecificGlobWins() throws {
        let book = try customBook()
        func name(_ model: String) -> String? {
            guard case .success(let m) = book.resolve(provider: "acme", model: model) else { return nil }
            return book.models[m].name
        }
        XCTAssertEqual(name("a-x"), "wide")
        XCTAssertEqual(name("a-b-x"), "narrow")
        XCTAssertEqual(name("a-b-exact"), "exact")
        XCTAssertEqual(name("chain"), "exact")
    }

    func testAliasToNothingAndAliasLoopsAreUnknownModels() throws {
        let book = try customBook()
        guard case .failure(let dangling) = book.resolve(provider: "acme", model: "dangling") else { return XCTFail() }
        XCTAssertEqual(dangling.rule, "unknown-model")
        XCTAssertEqual(dangling.message, "model \"dangling\" (via alias to \"nowhere\") matches no price or alias in ratecards/acme.toml")
        guard case .failure(let loop) = book.resolve(provider: "acme", model: "loop-1") else { return XCTFail() }
        XCTAssertEqual(loop.rule, "unknown-model")
        XCTAssertEqual(loop.message, "aliases for \"loop-1\" loop in ratecards/acme.toml: loop-1 → loop-2 → loop-1")
        XCTAssertEqual(Set(book.aliasDiagnostics().map(\.rule)), ["ratecard-alias"])
        XCTAssertEqual(book.aliasDiagnostics().count, 3)
    }

    /// A card whose aliases are `m0 → m1 → … → m<links>`, with `m<links>` priced (and `extra` lines in `[aliases]`).
    func chainBook(links: Int, extra: String = "") throws -> PriceBook {
        var text = "provider = \"acme\"\n[aliases]\n" + extra
        for i in 0..<links { text += "\"m\(i)\" = \"m\(i + 1)\"\n" }
        text += "\n[[price]]\nmodel = \"m\(links)\"\neffective = 2025-01-01\ninput = 1\noutput = 1\n"
        return PriceBook(cards: [try RateCardParser.parse(text, path: "ratecards/acme.toml")])
    }

    /// Chains of 17 or more links used to be reported as loops; up to the cap they resolve.
    func testAliasChainUpToTheCapResolves() throws {
        let book = try chainBook(links: AliasTable.maxLinks)
        guard case .success(let m) = book.resolve(provider: "acme", model: "m0") else { return XCTFail() }
        XCTAssertEqual(book.models[m].name, "m64")
        XCTAssertEqual(book.aliasDiagnostics(), [])
    }

    func testAliasChainOverTheCapGivesItsLengthNotALoop() throws {
        let book = try chainBook(links: 5_000)
        guard case .failure(let e) = book.resolve(provider: "acme", model: "m0") else { return XCTFail() }
        XCTAssertEqual(e.rule, "unknown-model")
        XCTAssertEqual(
            e.message,
            "alias chain for \"m0\" in ratecards/acme.toml is too long: 5000 links (m0 → m1 → m2 → m3 → m4 → m5 → m6 → m7 → m8 → m9 → m10 → m11 → m12 → m13 → m14 → m15 → … → m5000); at most 64 are followed: alias \"m0\" to \"m5000\" directly"
        )
        // 64 links from m4936 on: resolves.
        guard case .success = book.resolve(provider: "acme", model: "m4936") else { return XCTFail() }
        // Reported once, where the chain starts.
        let diagnostics = book.aliasDiagnostics()
        XCTAssertEqual(diagnostics.count, 1)
        XCTAssertEqual(diagnostics.first?.line, 3)
        XCTAssertEqual(diagnostics.first?.message, "alias \"m0\" → \"m1\": " + e.message)
    }

    func testAliasLoopsAreStillLoopsNamingTheCycle() throws {
        let book = try chainBook(links: 2, extra: "\"x\" = \"a\"\n\"a\" = \"b\"\n\"b\" = \"c\"\n\"c\" = \"a\"\n")
        guard case .failure(let into) = book.resolve(provider: "acme", model: "x") else { return XCTFail() }
        XCTAssertEqual(into.message, "aliases for \"x\" loop in ratecards/acme.toml: x → a → b → c → a")
        guard case .failure(let on) = book.resolve(provider: "acme", model: "b") else { return XCTFail() }
        XCTAssertEqual(on.message, "aliases for \"b\" loop in ratecards/acme.toml: b → c → a → b")
        XCTAssertEqual(book.aliasDiagnostics().count, 4)  // x, a, b, c; the m0 → m1 → m2 chain is fine

        // A long loop: named by its first names, its length and the name that repeats.
        var text = "provider = \"acme\"\n[aliases]\n"
        for i in 0..<3_000 { text += "\"m\(i)\" = \"m\((i + 1) % 3_000)\"\n" }
        text += "\n[[price]]\nmodel = \"p\"\neffective = 2025-01-01\ninput = 1\noutput = 1\n"
        let long = PriceBook(cards: [try RateCardParser.parse(text, path: "ratecards/acme.toml")])
        guard case .failure(let e) = long.resolve(provider: "acme", model: "m0") else { return XCTFail() }
        XCTAssertEqual(
            e.message,
            "aliases for \"m0\" loop in ratecards/acme.toml: m0 → m1 → m2 → m3 → m4 → m5 → m6 → m7 → m8 → m9 → m10 → m11 → m12 → m13 → m14 → m15 → … → m0 (a loop of 3000 aliases through \"m0\")"
        )
        XCTAssertEqual(long.aliasDiagnostics().count, 3_000)
    }

    func testExplicitBatchRateWinsOverTheDiscount() throws {
        let book = try customBook()
        let usage = Usage(inputTokens: 1_000_000, outputTokens: 1_000_000)
        // batch_input = 0.3 explicitly; output is 8.00 × 0.5.
        let batch = try book.price(provider: "acme", model: "exact", at: TestSupport.ms("2025-02-01"), usage: usage, batch: true)
        XCTAssertEqual(batch.cost.description, "4.3")
        let plain = try book.price(provider: "acme", model: "exact", at: TestSupport.ms("2025-02-01"), usage: usage)
        XCTAssertEqual(plain.cost.description, "10")
    }

    // MARK: The scanner's pricer agrees with the book

    func testEventPricerAgreesWithPriceBook() throws {
        let lines = [
            #"{"ts":"2025-01-01T00:00:00Z","id":"1","provider":"openai","model":"gpt-4o","input_tokens":2000,"output_tokens":500,"tags":{}}"#,
            #"{"ts":"2026-06-01T00:00:00Z","id":"2","provider":"openai","model":"gpt-5.4-mini","input_tokens":8000,"cached_input_tokens":2000,"output_tokens":1200,"tags":{}}"#,
            #"{"ts":"2025-07-01T00:00:00Z","id":"3","provider":"anthropic","model":"claude-sonnet-4-20250514","input_tokens":250000,"output_tokens":2000,"tags":{}}"#,
            #"{"ts":"2025-07-01T00:00:00Z","id":"4","provider":"anthropic","model":"claude-sonnet-4","requests":10,"input_tokens":1500000,"output_tokens":20000,"tags":{}}"#,
            #"{"ts":"2025-01-01T00:00:00Z","id":"5","provider":"openai","model":"gpt-4o","service_tier":"priority","batch":true,"input_tokens":2000,"output_tokens":500,"tags":{}}"#,
            #"{"ts":"2025-09-01T00:00:00Z","id":"6","provider":"openai","model":"gpt-5","input_tokens":1000,"output_tokens":0,"tool_calls":{"web_search":2},"tags":{}}"#,
            #"{"ts":"2025-01-01T00:00:00Z","id":"7","provider":"google","model":"gemini-1.5-pro","input_tokens":128001,"output_tokens":1000,"tags":{}}"#,
        ]
        let expected = ["0.01", "0.01155", "1.545", "4.8", "0.0085", "0.02125", "0.3300025"]
        let bytes = Array(lines.joined(separator: "\n").utf8)
        let book = self.book
        try bytes.withUnsafeBytes { buffer in
            var interner = StringInterner()
            var pricer = EventPricer(book: book, interner: &interner)
            var scanner = LedgerScanner(buffer: buffer)
            var e = EventRecord()
            var costs: [String] = []
            while try scanner.next(into: &e) {
                switch pricer.price(e, scanner: scanner, interner: &interner) {
                case .success(let priced): costs.append(try pricer.cost(e, priced, scanner: scanner).description)
                case .failure(let failure): XCTFail("\(failure.error)")
                }
            }
            XCTAssertEqual(costs, expected)
        }
    }

    func testEventPricerRejectsWhatThePriceBookRejects() throws {
        let lines = [
            #"{"ts":"2025-01-01T00:00:00Z","id":"1","provider":"openai","model":"gpt-9","input_tokens":1,"output_tokens":1,"tags":{}}"#,
            #"{"ts":"2024-01-01T00:00:00Z","id":"2","provider":"openai","model":"gpt-4o","input_tokens":1,"output_tokens":1,"tags":{}}"#,
            #"{"ts":"2024-09-30T00:00:00Z","id":"3","provider":"openai","model":"gpt-4o","input_tokens":1,"cached_input_tokens":5,"output_tokens":1,"tags":{}}"#,
            #"{"ts":"2025-01-01T00:00:00Z","id":"4","provider":"openai","model":"gpt-4o","service_tier":"flex","input_tokens":1,"output_tokens":1,"tags":{}}"#,
            #"{"ts":"2025-09-01T00:00:00Z","id":"5","provider":"openai","model":"gpt-5","input_tokens":1,"output_tokens":1,"tool_calls":{"python":1},"tags":{}}"#,
        ]
        let bytes = Array(lines.joined(separator: "\n").utf8)
        let book = self.book
        try bytes.withUnsafeBytes { buffer in
            var interner = StringInterner()
            var pricer = EventPricer(book: book, interner: &interner)
            var scanner = LedgerScanner(buffer: buffer)
            var e = EventRecord()
            var rules: [String] = []
            while try scanner.next(into: &e) {
                switch pricer.price(e, scanner: scanner, interner: &interner) {
                case .success: rules.append("priced")
                case .failure(let failure): rules.append(failure.error.rule.id)
                }
            }
            XCTAssertEqual(rules, ["unknown-model", "no-price", "no-price", "no-price", "no-price"])
        }
    }
}
