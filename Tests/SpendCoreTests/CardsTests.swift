import Foundation
import XCTest

@testable import SpendCore

/// `spend cards` in the library: LiteLLM's per-token floats as exact card
/// rates, the comparison with a card's latest points, and the text a sync appends.
final class CardsTests: XCTestCase {
    /// A small OpenAI card (Tests/Fixtures/litellm/openai-card.toml): gpt-4o with a priority tier, gpt-4o-mini, one alias.
    static let card = try! String(contentsOfFile: TestSupport.packageRoot + "/Tests/Fixtures/litellm/openai-card.toml", encoding: .utf8)

    static let fixture = TestSupport.packageRoot + "/Tests/Fixtures/litellm/model_prices_excerpt.json"

    func book() throws -> PriceBook {
        PriceBook(cards: [try RateCardParser.parse(Self.card, path: "ratecards/openai.toml", blobId: nil)])
    }

    func map() throws -> LiteLLMPriceMap {
        try LiteLLMPriceMap.read(path: Self.fixture, displayPath: "prices.json", providers: ["openai"])
    }

    // MARK: float → decimal

    func testPerTokenFloatsConvertWithoutArtefacts() {
        let cases: [(Double, String)] = [
            (1e-06, "1"), (2.5e-06, "2.5"), (0.0000025, "2.5"), (0.0000003, "0.3"), (1.25e-07, "0.125"), (1.375e-07, "0.1375"),
            (3e-06, "3"), (1.5625e-05, "15.625"), (0, "0"), (0.1, "100000"),
        ]
        for (double, text) in cases {
            XCTAssertEqual(LiteLLMRate.perMillion(NSNumber(value: double)), ExactDecimal(text), "\(double)")
            XCTAssertEqual(LiteLLMRate.perMillion(NSNumber(value: double)).map { "\($0)" }, text, "\(double)")
        }
        XCTAssertNil(LiteLLMRate.perMillion(NSNumber(value: -1e-06)))
        XCTAssertNil(LiteLLMRate.perMillion(NSNumber(value: Double.infinity)))
        XCTAssertNil(LiteLLMRate.perMillion("2.5e-06"))
        XCTAssertNil(LiteLLMRate.perMillion(nil))
    }

    func testRatesWithMoreThanTwelveDecimalsAreNotCardRates() throws {
        // 12 places per 1M tokens is a card's limit (RateCardParser.maxDecimals).
        XCTAssertEqual(LiteLLMRate.cardRate(try XCTUnwrap(LiteLLMRate.perMillion(NSNumber(value: 1.23456789012e-07)))), ExactDecimal("0.123456789012"))
        XCTAssertNil(LiteLLMRate.cardRate(try XCTUnwrap(LiteLLMRate.perMillion(NSNumber(value: 1.234567890123e-07)))), "13 places")
        let tooPrecise = try XCTUnwrap(LiteLLMRate.perMillion(NSNumber(value: 3.3333333333333335e-07)))
        XCTAssertEqual("\(tooPrecise)", "0.33333333333333335")
        XCTAssertNil(LiteLLMRate.cardRate(tooPrecise))
    }

    func testAMapRateACardCannotCarryIsALocatedError() throws {
        let dir = try TestSupport.temporaryDirectory()
        let path = dir + "/prices.json"
        try Data("{\n  \"gpt-4o\": {\"litellm_provider\": \"openai\", \"mode\": \"chat\",\n    \"input_cost_per_token\": 3.3333333333333335e-07, \"output_cost_per_token\": 1e-05}\n}\n".utf8)
            .write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try LiteLLMPriceMap.read(path: path, displayPath: "prices.json")) { error in
            XCTAssertEqual(
                "\(error)",
                "prices.json:2: error[ratecard-precision]: gpt-4o: input_cost_per_token is 0.33333333333333335 per 1M tokens, more than 12 decimal places; spend carries prices exactly to at most 12")
        }
    }

    func testAMalformedMapIsALocatedError() throws {
        let dir = try TestSupport.temporaryDirectory()
        let path = dir + "/prices.json"
        try Data("{\n  \"gpt-4o\": {\"input_cost_per_token\": 3e-06,,}\n}\n".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try LiteLLMPriceMap.read(path: path, displayPath: "prices.json")) { error in
            guard case .input(let diagnostics, _) = error as? SpendError else { return XCTFail("\(error)") }
            XCTAssertEqual(diagnostics.first?.path, "prices.json")
            XCTAssertEqual(diagnostics.first?.line, 2)
            XCTAssertEqual(diagnostics.first?.rule, "litellm")
            XCTAssertTrue(diagnostics.first?.message.hasPrefix("not LiteLLM's price map: ") ?? false, "\(diagnostics)")
        }
        XCTAssertThrowsError(try LiteLLMPriceMap.read(path: dir + "/absent.json", displayPath: "absent.json")) { error in
            XCTAssertEqual(error as? SpendError, .request(.referencePrices(path: "absent.json", .unreadable)))
        }
    }

    func testLabelIsTheVersionInTheNameElseTheGitBlobId() {
        XCTAssertEqual(LiteLLMPriceMap.label(fileName: "litellm-model-prices-1.109.1.json", bytes: []), "1.109.1")
        // `printf 'hello\n' | git hash-object --stdin` = ce013625030ba8dba906f756967f9e9ca394464a
        XCTAssertEqual(LiteLLMPriceMap.label(fileName: "prices.json", bytes: Array("hello\n".utf8)), "git blob ce013625030b")
    }

    // MARK: reading and comparing

    func testReadKeepsTextModelsOfTheCardsProviders() throws {
        let map = try map()
        XCTAssertEqual(map.models.map(\.key), ["gpt-4o", "gpt-4o-2024-11-20", "gpt-4o-mini", "gpt-9-test"])
        let gpt4o = try XCTUnwrap(map.models.first)
        XCTAssertEqual(gpt4o.rates, TokenRates(input: ExactDecimal("3"), cachedInput: ExactDecimal("1.25"), output: ExactDecimal("12")))
        XCTAssertEqual(gpt4o.batchRates, TokenRates(input: ExactDecimal("1.5"), output: ExactDecimal("6")))
    }

    func testCheckReportsEachDifferingFieldAndEachMissingModel() throws {
        let result = CardCheck.run(book: try book(), map: try map())
        XCTAssertFalse(result.isClean)
        XCTAssertEqual(result.compared, 3)
        XCTAssertEqual(result.missing.map(\.name), ["gpt-9-test"])
        XCTAssertEqual(result.differences.map(\.listed.name), ["gpt-4o", "gpt-4o-2024-11-20"])
        let fields = result.differences[0].differences.map { "\($0.field) \($0.card.map { "\($0)" } ?? "-") → \($0.map)" }
        // batch_* compare with rate × batch_discount; cached_input agrees; gpt-4o-mini agrees everywhere.
        XCTAssertEqual(fields, ["input 2.5 → 3", "output 10 → 12", "batch_input 1.25 → 1.5", "batch_output 5 → 6"])
        XCTAssertEqual(result.differences[0].point.id, "openai/gpt-4o@2024-10-01")
        XCTAssertTrue(result.differences[1].viaAlias)
    }

    /// Vertex AI keys (`vertex_ai/NAME`) are compared with the vertex card under
    /// the served name; a Vertex name the card does not price is not missing.
    func testCheckComparesVertexKeysWithTheVertexCardByServedName() throws {
        let json = #"""
            {"vertex_ai/gemini-2.0-flash": {"litellm_provider": "vertex_ai", "mode": "chat", "input_cost_per_token": 1.5e-07, "output_cost_per_token": 6e-07},
             "vertex_ai/xai/grok-4.7": {"litellm_provider": "vertex_ai", "mode": "chat", "input_cost_per_token": 2e-06, "output_cost_per_token": 6e-06}}
            """#
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cards-vertex-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("prices.json").path
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        let map = try LiteLLMPriceMap.read(path: path)
        XCTAssertEqual(map.models.map(\.name), ["gemini-2.0-flash", "xai/grok-4.7"])
        XCTAssertEqual(map.models.map(\.provider), ["vertex", "vertex"])
        let card = """
            provider = "vertex"
            [[price]]
            model = "gemini-2.0-flash"
            effective = 2025-02-05
            input = 0.10
            output = 0.40
            """
        let result = CardCheck.run(book: PriceBook(cards: [try RateCardParser.parse(card, path: "ratecards/vertex.toml", blobId: nil)]), map: map)
        XCTAssertEqual(result.compared, 1)
        XCTAssertEqual(result.missing.map(\.name), [])
        XCTAssertEqual(
            result.differences.first?.differences.map { "\($0.field) \($0.card.map { "\($0)" } ?? "-") → \($0.map)" },
            ["input 0.1 → 0.15", "output 0.4 → 0.6"])
    }

    func testCheckIsCleanWhenTheMapAgrees() throws {
        let map = try map()
        let agreeing = LiteLLMPriceMap(path: map.path, label: map.label, models: map.models.filter { $0.name == "gpt-4o-mini" })
        let result = CardCheck.run(book: try book(), map: agreeing)
        XCTAssertTrue(result.isClean)
        XCTAssertEqual(result.compared, 1)
    }

    // MARK: sync

    func testSyncAppendsNewPointsAndLeavesEveryOldLineAsItWas() throws {
        let map = try map()
        let plan = try CardSync.plan(
            book: try book(), cardTexts: ["ratecards/openai.toml": Self.card], map: map,
            request: CardSyncRequest(effective: "2026-12-01", syncedOn: "2026-12-02"))
        XCTAssertEqual(plan.points.map(\.model), ["gpt-4o", "gpt-9-test"])
        XCTAssertEqual(plan.skipped.map(\.key), ["gpt-4o-2024-11-20"])
        let label = map.label
        XCTAssertTrue(label.hasPrefix("git blob "), label)
        XCTAssertEqual(
            plan.files["ratecards/openai.toml"],
            Self.card + """

                # source: LiteLLM model_prices_and_context_window.json \(label), synced 2026-12-02
                # follows openai/gpt-4o@2024-10-01: input 2.5 → 3, output 10 → 12, batch_input 1.25 → 1.5, batch_output 5 → 6
                # carried over from openai/gpt-4o@2024-10-01 (not in the map; review): batch_discount, service_tiers
                [[price]]
                model = "gpt-4o"
                effective = 2026-12-01
                input = 3
                cached_input = 1.25
                output = 12
                batch_input = 1.5
                batch_output = 6
                batch_discount = 0.5
                service_tiers = { priority = { input = 4.25, output = 17.00 } }

                # source: LiteLLM model_prices_and_context_window.json \(label), synced 2026-12-02
                [[price]]
                model = "gpt-9-test"
                effective = 2026-12-01
                input = 0.125
                output = 1

                """)
        // The result parses, and the new points are the latest.
        let synced = PriceBook(cards: [try RateCardParser.parse(plan.files["ratecards/openai.toml"]!, path: "ratecards/openai.toml", blobId: nil)])
        let check = CardCheck.run(book: synced, map: map)
        XCTAssertTrue(check.isClean, "the alias's own entry agrees with the new gpt-4o point: \(check.differences)")
        XCTAssertEqual(
            CardCatalog.list(book: synced, at: TestSupport.ms("2026-12-01T00:00:00Z")).map { $0.point?.id ?? "-" },
            ["openai/gpt-4o@2026-12-01", "openai/gpt-4o@2026-12-01", "openai/gpt-4o-mini@2024-07-18", "openai/gpt-9-test@2026-12-01"])
    }

    func testSyncCopiesABlockWithACommentInsideButNotTheNextBlocksComment() throws {
        let card = """
            provider = "openai"
            currency = "USD"

            [[price]]
            model = "gpt-4o"
            effective = 2024-10-01
            input = 2.50
            # priority per the pricing page
            output = 10.00
            service_tiers = { priority = { input = 4.25, output = 17.00 } }
            # source: the next block, without a blank line
            [[price]]
            model = "gpt-4o-mini"
            effective = 2024-07-18
            input = 0.15
            output = 0.60

            """
        let book = PriceBook(cards: [try RateCardParser.parse(card, path: "ratecards/openai.toml", blobId: nil)])
        let plan = try CardSync.plan(
            book: book, cardTexts: ["ratecards/openai.toml": card], map: try map(),
            request: CardSyncRequest(effective: "2026-12-01", syncedOn: "2026-12-02", models: "gpt-4o"))
        XCTAssertEqual(
            plan.points.first?.text.split(separator: "\n").dropFirst(3).joined(separator: "\n"),
            """
            [[price]]
            model = "gpt-4o"
            effective = 2026-12-01
            input = 3
            cached_input = 1.25
            # priority per the pricing page
            output = 12
            batch_input = 1.5
            batch_output = 6
            service_tiers = { priority = { input = 4.25, output = 17.00 } }
            """)
    }

    func testSyncNarrowsToAGlobAndAProvider() throws {
        let plan = try CardSync.plan(
            book: try book(), cardTexts: ["ratecards/openai.toml": Self.card], map: try map(),
            request: CardSyncRequest(effective: "2026-12-01", syncedOn: "2026-12-02", provider: "openai", models: "gpt-9-*"))
        XCTAssertEqual(plan.points.map(\.model), ["gpt-9-test"])
        XCTAssertThrowsError(
            try CardSync.plan(
                book: try book(), cardTexts: [:], map: try map(),
                request: CardSyncRequest(effective: "2026-12-01", syncedOn: "2026-12-02", provider: "mistral"))
        ) { error in
            XCTAssertEqual("\(error)", "no rate card for provider \"mistral\" (cards: openai)")
        }
    }

    func testSyncRefusesADateNotAfterTheLatestPoint() throws {
        XCTAssertThrowsError(
            try CardSync.plan(
                book: try book(), cardTexts: ["ratecards/openai.toml": Self.card], map: try map(),
                request: CardSyncRequest(effective: "2024-10-01", syncedOn: "2026-12-02"))
        ) { error in
            XCTAssertEqual(
                "\(error)",
                "ratecards/openai.toml:8: error[ratecard-sync]: openai/gpt-4o@2024-10-01 is effective on or after 2024-10-01: a synced point must be later than the model's latest point")
        }
    }

    // MARK: list and show

    func testListGivesThePointInEffectForModelsAndAliases() throws {
        let rows = CardCatalog.list(book: try book(), at: TestSupport.ms("2024-09-01T00:00:00Z"))
        XCTAssertEqual(rows.map(\.name), ["gpt-4o", "gpt-4o-2024-11-20", "gpt-4o-mini"])
        XCTAssertNil(rows[0].point, "gpt-4o is priced from 2024-10-01")
        XCTAssertEqual(rows[1].pricedModel, "gpt-4o")
        XCTAssertEqual(rows[2].point?.id, "openai/gpt-4o-mini@2024-07-18")
    }

    func testShowNamesTheAliasAndThePointInEffect() throws {
        let shown = try CardCatalog.show(book: try book(), model: "gpt-4o-2024-11-20", at: TestSupport.ms("2025-01-01T00:00:00Z"), history: nil)
        XCTAssertEqual(shown.count, 1)
        XCTAssertEqual(shown[0].alias?.pattern, "gpt-4o-2024-11-20")
        XCTAssertEqual(shown[0].pricedModel, "gpt-4o")
        XCTAssertEqual(shown[0].inEffect, 0)
        XCTAssertEqual(shown[0].points.first?.point.location.description, "ratecards/openai.toml:8")
        XCTAssertThrowsError(try CardCatalog.show(book: try book(), model: "gpt-7", at: 0, history: nil)) { error in
            XCTAssertEqual("\(error)", "ratecards: error[unknown-model]: model \"gpt-7\" matches no price or alias in ratecards/openai.toml; did you mean gpt-4o?")
        }
    }
}
