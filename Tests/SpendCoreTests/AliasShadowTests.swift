import Foundation
import XCTest

@testable import SpendCore

/// `ratecard-alias-shadow`: a glob alias that also claims a model which
/// LiteLLM's price map prices differently from the glob's model.
final class AliasShadowTests: XCTestCase {
    static let card = """
        provider = "acme"

        [aliases]
        "acme-pro-preview-*" = "acme-pro"
        "acme-pro-preview-exact" = "acme-pro"
        "acme-mini-*" = "acme-mini"

        [[price]]
        model = "acme-pro"
        effective = 2025-01-01
        input = 2.00
        output = 8.00

        [[price]]
        model = "acme-pro"
        effective = 2025-06-01
        input = 1.25
        output = 10.00

        [[price]]
        model = "acme-pro-preview-priced"
        effective = 2025-01-01
        input = 9
        output = 9

        [[price]]
        model = "acme-mini"
        effective = 2025-01-01
        input = 0.1
        output = 0.4

        """

    /// A LiteLLM map, as JSON text (per-token prices as LiteLLM writes them).
    static let litellm = """
        {
          "sample_spec": {"input_cost_per_token": 0.0, "litellm_provider": "one of …", "mode": "one of …"},
          "acme-pro-preview-tts": {"input_cost_per_token": 1e-06, "output_cost_per_token": 2e-05, "mode": "audio_speech"},
          "vertex/acme-pro-preview-tts": {"input_cost_per_token": 5e-07, "output_cost_per_token": 1e-05},
          "acme-pro-preview-05-06": {"input_cost_per_token": 1.25e-06, "output_cost_per_token": 1e-05},
          "acme-pro-preview-exact": {"input_cost_per_token": 3e-06, "output_cost_per_token": 3e-05},
          "acme-pro-preview-priced": {"input_cost_per_token": 3e-06, "output_cost_per_token": 3e-05},
          "bedrock/acme-mini-embed": {"input_cost_per_token": 1e-07, "mode": "embedding"},
          "gateway/acme-mini-large": {"input_cost_per_token": 1e-07, "output_cost_per_token": 8e-07},
          "acme-mini-speech": {"output_cost_per_token": 5e-07},
          "unrelated-model": {"input_cost_per_token": 1e-06, "output_cost_per_token": 1e-06}
        }
        """

    func reference() throws -> ReferencePrices {
        let dir = try TestSupport.temporaryDirectory()
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/litellm.json"
        try Self.litellm.write(toFile: path, atomically: true, encoding: .utf8)
        return try ReferencePrices.litellm(path: path)
    }

    func testLoaderReadsPerTokenPricesAsExactPricesPerMillion() throws {
        let entries = try reference().entries
        // The bare key wins over "vertex/…"; per-token 1e-06 is exactly 1 per 1M.
        XCTAssertEqual(entries["acme-pro-preview-tts"], .init(key: "acme-pro-preview-tts", input: ExactDecimal(1), output: ExactDecimal(20)))
        XCTAssertEqual(entries["acme-pro-preview-05-06"]?.input, ExactDecimal("1.25"))
        XCTAssertEqual(entries["acme-mini-large"]?.key, "gateway/acme-mini-large")
        XCTAssertEqual(entries["acme-mini-large"]?.output, ExactDecimal("0.8"))
        // sample_spec is documentation: a 0 input price, so it is listed, but it matches no glob.
        XCTAssertEqual(entries["sample_spec"]?.input, ExactDecimal(0))
    }

    func testAGlobClaimingADifferentlyPricedModelIsAWarning() throws {
        let card = try RateCardParser.parse(Self.card, path: "ratecards/acme.toml")
        let findings = RateCardLint.shadowFindings(PriceBook(cards: [card]), reference: try reference())
        // acme-pro-preview-05-06 is priced alike (1.25 / 10 as the latest point), -exact and -priced are
        // not claimed by the glob; acme-mini-embed has only an input price, the same 0.1.
        XCTAssertEqual(
            findings.map(\.description),
            [
                #"ratecards/acme.toml:6: warning[ratecard-alias-shadow]: alias glob "acme-mini-*" (→ acme-mini) also matches "acme-mini-large", which LiteLLM (gateway/acme-mini-large) prices at 0.1 / 0.8 per 1M input / output tokens, not 0.1 / 0.4 as acme/acme-mini@2025-01-01: narrow the glob, or alias or price "acme-mini-large" on its own"#,
                #"ratecards/acme.toml:6: warning[ratecard-alias-shadow]: alias glob "acme-mini-*" (→ acme-mini) also matches "acme-mini-speech", which LiteLLM (acme-mini-speech) prices at unset / 0.5 per 1M input / output tokens, not 0.1 / 0.4 as acme/acme-mini@2025-01-01: narrow the glob, or alias or price "acme-mini-speech" on its own"#,
                #"ratecards/acme.toml:4: warning[ratecard-alias-shadow]: alias glob "acme-pro-preview-*" (→ acme-pro) also matches "acme-pro-preview-tts", which LiteLLM (acme-pro-preview-tts) prices at 1 / 20 per 1M input / output tokens, not 1.25 / 10 as acme/acme-pro@2025-06-01: narrow the glob, or alias or price "acme-pro-preview-tts" on its own"#,
            ])
        XCTAssertEqual(Set(findings.map(\.severity)), [.warning])
    }

    func testANarrowedGlobIsClean() throws {
        let narrowed = Self.card
            .replacingOccurrences(of: #""acme-pro-preview-*""#, with: #""acme-pro-preview-??-??""#)
            .replacingOccurrences(of: #""acme-mini-*""#, with: #""acme-mini-20??""#)
        let card = try RateCardParser.parse(narrowed, path: "ratecards/acme.toml")
        XCTAssertEqual(RateCardLint.shadowFindings(PriceBook(cards: [card]), reference: try reference()), [])
    }

    func testAnUnreadableOrMalformedMapIsAUsageError() throws {
        let dir = try TestSupport.temporaryDirectory()
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        // The library names the problem; the CLI words it with --litellm (ErrorMessagesTests).
        func problem(_ path: String) -> RequestProblem? {
            do {
                _ = try ReferencePrices.litellm(path: path)
                return nil
            } catch {
                guard case .request(let problem) = error else { XCTFail("\(error)"); return nil }
                return problem
            }
        }
        XCTAssertEqual(problem(dir + "/missing.json"), .referencePrices(path: dir + "/missing.json", .unreadable))
        XCTAssertEqual(problem(dir + "/missing.json")?.description, "\(dir)/missing.json: cannot read the file")
        try "[1, 2]".write(toFile: dir + "/array.json", atomically: true, encoding: .utf8)
        XCTAssertEqual(problem(dir + "/array.json"), .referencePrices(path: dir + "/array.json", .notObject))
        XCTAssertEqual(
            problem(dir + "/array.json")?.description,
            "\(dir)/array.json: expected a JSON object of model names (LiteLLM's model_prices_and_context_window.json)")
        try "{oops".write(toFile: dir + "/bad.json", atomically: true, encoding: .utf8)
        XCTAssertEqual(problem(dir + "/bad.json"), .referencePrices(path: dir + "/bad.json", .notJSON))
        XCTAssertEqual(
            problem(dir + "/bad.json")?.description, "\(dir)/bad.json: not valid JSON (expected LiteLLM's model_prices_and_context_window.json)")
    }
}
