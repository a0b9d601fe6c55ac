import XCTest

@testable import SpendCore
@testable import SpendPricing

/// The cloud cards' prices that differ from the first-party ones: government
/// clouds, Azure's GPT-4-era names, Bedrock's older Claude models, and Azure's
/// GPT-5.6 Batch and service tiers.
extension PricingTests {
    /// Azure Government and AWS GovCloud (US) cost more than the commercial
    /// clouds; the government name resolves to its own priced model.
    func testGovernmentCloudsCostMoreThanCommercial() throws {
        let at = "2026-12-15T00:00:00Z"
        // Azure: 1M in + 1M out, $1.25 + $10 commercial, $1.71875 + $13.75 (37.5% more) in us-gov.
        XCTAssertEqual(try cost("azure", "gpt-5.1", at: at, input: 1_000_000, output: 1_000_000), "11.25")
        XCTAssertEqual(try cost("azure", "us-gov/gpt-5.1", at: at, input: 1_000_000, output: 1_000_000), "15.46875")
        XCTAssertEqual(try pointId("azure", "us-gov/o3-mini", at: at), "azure/o3-mini-us-gov@2026-12-01")
        XCTAssertEqual(try cost("azure", "us-gov/text-embedding-3-large", at: at, input: 1_000_000), "0.163")
        // Bedrock: Sonnet 4.5 $3 / $15 on the global profile, 20% more ($3.60 / $18) on the us-gov. profile.
        XCTAssertEqual(
            try cost("bedrock", "global.anthropic.claude-sonnet-4-5-20250929-v1:0", at: at, input: 100_000, output: 100_000), "1.8")
        XCTAssertEqual(
            try cost("bedrock", "us-gov.anthropic.claude-sonnet-4-5-20250929-v1:0", at: at, input: 100_000, output: 100_000), "2.16")
        // An in-Region GovCloud call is named with its region: 100,000 × 1.20 + 10,000 × 6 per 1M.
        XCTAssertEqual(
            try cost("bedrock", "us-gov-west-1/anthropic.claude-haiku-4-5-20251001-v1:0", at: at, input: 100_000, output: 10_000), "0.18")
        // OpenAI on Bedrock in GovCloud is priced per region: 100,000 × (2.70 + 16.20) per 1M for Terra in us-gov-west-1.
        XCTAssertEqual(
            try cost("bedrock", "us-gov-west-1/openai.gpt-5.6-terra", at: at, input: 100_000, output: 100_000), "1.89")
        XCTAssertEqual(try cost("bedrock", "us-gov-east-1/openai.gpt-5.4", at: at, input: 100_000, output: 100_000), "2.31")
        // The government prices carry LiteLLM's rates from 2026-12-01: earlier events are no-price, never a guess.
        let line = try headerLine(of: "gpt-5.1-us-gov", in: "azure.toml")
        XCTAssertEqual(
            pricingError("azure", "us-gov/gpt-5.1", at: "2026-11-30")?.message,
            "no price for azure/gpt-5.1-us-gov in effect at 2026-11-30T00:00:00.000Z (first point is effective 2026-12-01, ratecards/azure.toml:\(line))")
    }

    /// Azure charges $11 / $33 for GPT-4 Turbo (OpenAI $10 / $30) and names the
    /// GPT-3.5 models its own way.
    func testAzureGPT4TurboCostsTenPercentMoreThanOpenAI() throws {
        let at = "2025-01-01T00:00:00Z"
        XCTAssertEqual(try cost("openai", "gpt-4-turbo", at: at, input: 1_000_000, output: 1_000_000), "40")
        XCTAssertEqual(try cost("azure", "gpt-4-turbo", at: at, input: 1_000_000, output: 1_000_000), "44")
        XCTAssertEqual(try pointId("azure", "gpt-4-turbo", at: at), "azure/gpt-4-turbo-2024-04-09@2024-04-01")
        XCTAssertEqual(try cost("azure", "gpt-4", at: at, input: 1_000, output: 1_000), "0.09")
        XCTAssertEqual(try cost("azure", "gpt-35-turbo-16k", at: at, input: 1_000_000, output: 1_000_000), "7")
        XCTAssertEqual(resolved("azure", "gpt-3.5-turbo"), "gpt-35-turbo")
        // model-router is left unpriced: its fee comes on top of the routed model's tokens.
        XCTAssertEqual(pricingError("azure", "model-router", at: at)?.rule, "unknown-model")
    }

    /// Claude models before Sonnet 4.5 cost the Claude API price on every
    /// Bedrock endpoint, with their history (3.5 Haiku's cut on 2024-12-03).
    func testBedrockOlderClaudeCostsTheSameOnEveryEndpoint() throws {
        let ids = [
            "anthropic.claude-3-5-haiku-20241022-v1:0", "us.anthropic.claude-3-5-haiku-20241022-v1:0",
            "eu.anthropic.claude-3-5-haiku-20241022-v1:0",
        ]
        for id in ids {
            XCTAssertEqual(try cost("bedrock", id, at: "2024-11-20T00:00:00Z", input: 1_000_000, output: 1_000_000), "6", id)
            XCTAssertEqual(try cost("bedrock", id, at: "2024-12-03T00:00:00Z", input: 1_000_000, output: 1_000_000), "4.8", id)
        }
        // Sonnet 4's >200K tier on the global profile: 300,000 × 6 + 1,000 × 22.50 per 1M.
        XCTAssertEqual(
            try cost("bedrock", "global.anthropic.claude-sonnet-4-20250514-v1:0", at: "2025-09-01", input: 300_000, output: 1_000),
            "1.8225")
        XCTAssertEqual(try cost("bedrock", "us.anthropic.claude-3-7-sonnet-20250219-v1:0", at: "2025-03-01", input: 1_000_000, batch: true), "1.5")
        XCTAssertEqual(try pointId("bedrock", "apac.anthropic.claude-3-haiku-20240307-v1:0", at: "2024-06-01"), "bedrock/claude-3-haiku@2024-03-13")
        // Claude 3 Haiku has no prompt caching on Bedrock: cached tokens are an error, never $0.
        XCTAssertEqual(pricingError("bedrock", "anthropic.claude-3-haiku-20240307-v1:0", at: "2024-06-01", cached: 10)?.rule, "no-price")
    }

    /// Azure's GPT-5.6 Batch (50% off), priority and flex, GPT-6 Astra's Batch
    /// and GPT-6 Sol's priority, from 2026-12-01; before that a batch event has
    /// no price.
    func testAzureGPT56BatchAndServiceTiers() throws {
        let at = "2026-12-15T00:00:00Z"
        // Sol at Azure's $4 / $20: 100,000 × (4 + 20) per 1M = 2.4; batch half of it.
        XCTAssertEqual(try cost("azure", "gpt-5.6-sol", at: at, input: 100_000, output: 100_000), "2.4")
        XCTAssertEqual(try cost("azure", "gpt-5.6-sol", at: at, input: 100_000, output: 100_000, batch: true), "1.2")
        XCTAssertEqual(try cost("azure", "eu/gpt-5.6-terra", at: at, input: 100_000, output: 100_000, batch: true), "0.77")
        XCTAssertEqual(try cost("azure", "gpt-5.6-sol", at: at, input: 100_000, output: 100_000, serviceTier: "priority"), "4.8")
        XCTAssertEqual(try cost("azure", "gpt-5.6-luna", at: at, input: 100_000, output: 100_000, serviceTier: "flex"), "0.07")
        // Long context under a service tier: 300,000 × 16 + 1,000 × 60 per 1M.
        XCTAssertEqual(try cost("azure", "gpt-5.6-sol", at: at, input: 300_000, output: 1_000, serviceTier: "priority"), "4.86")
        // GPT-6: Astra's Batch (EU data zone: half of 100,000 × (12 + 60) per 1M), Sol's priority.
        XCTAssertEqual(try cost("azure", "eu/gpt-6-astra", at: at, input: 100_000, output: 100_000, batch: true), "3.6")
        XCTAssertEqual(try cost("azure", "us/gpt-6-sol", at: at, input: 100_000, output: 100_000, serviceTier: "priority"), "2.64")
        XCTAssertEqual(pricingError("azure", "gpt-6-sol", at: at, batch: true)?.rule, "no-price")
        XCTAssertEqual(
            pricingError("azure", "gpt-5.6-sol", at: "2026-11-30T23:59:59Z", batch: true)?.message,
            "azure/gpt-5.6-sol@2026-09-01 has no batch price (batch_discount or batch_input/batch_output)")
        XCTAssertEqual(
            pricingError("azure", "us/gpt-5.6-sol", at: at, serviceTier: "flex")?.message,
            "azure/gpt-5.6-sol-data-zone@2026-12-01 has no price for service tier \"flex\" (has: priority)")
    }
}

extension PricingTests {
    /// docs/FORMAT.md's regional Vertex example: a repository's own vertex
    /// card prices `LOCATION/NAME` at 10% above the global call.
    func testDocumentedRegionalVertexConventionPricesTheUplift() throws {
        let docs = try String(contentsOfFile: TestSupport.packageRoot + "/docs/FORMAT.md", encoding: .utf8)
        let section = try XCTUnwrap(docs.range(of: "**Regional Vertex endpoints**"))
        let rest = docs[section.upperBound...]
        let open = try XCTUnwrap(rest.range(of: "```toml\n"))
        let close = try XCTUnwrap(rest[open.upperBound...].range(of: "```"))
        let example = rest[open.upperBound..<close.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("  ") ? String($0.dropFirst(2)) : String($0) }.joined(separator: "\n")
        let card = try RateCardParser.parse("provider = \"vertex\"\ncurrency = \"USD\"\n\n" + example, path: "ratecards/vertex.toml")
        let regional = PriceBook(cards: [card])
        let usage = Usage(inputTokens: 100_000, outputTokens: 100_000)
        let at = TestSupport.ms("2026-11-01")
        XCTAssertEqual(
            try regional.price(provider: "vertex", model: "us-east5/claude-sonnet-4-5@20250929", at: at, usage: usage).cost.description,
            "1.98")
        XCTAssertEqual(
            try book.price(provider: "anthropic", model: "claude-sonnet-4-5@20250929", at: at, usage: usage).cost.description, "1.8")
    }
}

extension PricingTests {
    /// Bedrock's Sonnet 4.5 charges the >200K-input tier from the 2026-12-02
    /// points (the 2025-09-29 points lacked it and are not edited).
    func testBedrockSonnet45LongContextTierFromTheCorrectingPoint() throws {
        // 250,000 in + 10,000 out: above 200K, $6 / $22.50 global and $6.60 / $24.75 regional per 1M.
        XCTAssertEqual(
            try cost("bedrock", "global.anthropic.claude-sonnet-4-5-20250929-v1:0", at: "2026-12-03T00:00:00Z", input: 250_000, output: 10_000),
            "1.725")
        XCTAssertEqual(
            try cost("bedrock", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", at: "2026-12-03T00:00:00Z", input: 250_000, output: 10_000),
            "1.8975")
        XCTAssertEqual(
            try pointId("bedrock", "global.anthropic.claude-sonnet-4-5-20250929-v1:0", at: "2026-12-03T00:00:00Z"),
            "bedrock/claude-sonnet-4-5@2026-12-02")
        // Before it, the old point's flat rates: 250,000 × 3 + 10,000 × 15 per 1M.
        XCTAssertEqual(
            try cost("bedrock", "global.anthropic.claude-sonnet-4-5-20250929-v1:0", at: "2026-12-01T00:00:00Z", input: 250_000, output: 10_000),
            "0.9")
    }
}
