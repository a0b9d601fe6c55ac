import Foundation
import XCTest

@testable import SpendCore

/// The bundled cards (`ratecards/`) price every current text and embedding
/// model of OpenAI, Anthropic and Google that LiteLLM's price map
/// (`../shared/data/litellm-model-prices-*.json`, the newest by name) lists,
/// at the map's current rates — except the documented exceptions below,
/// mirrored in docs/FORMAT.md ("Bundled cards").
final class BundledRateCardsCoverageTests: XCTestCase {
    /// Models the map lists that the cards deliberately do not price as the
    /// map does (map name without `provider/` → reason). Keep in step with
    /// docs/FORMAT.md "Bundled cards"; an entry that is no longer needed fails.
    static let exceptions: [String: String] = [
        // Anthropic (LiteLLM's Vertex AI entries)
        "claude-3-5-haiku": "LiteLLM's Vertex entry lists Claude 3.5 Haiku's launch price $1 / $5; the Claude API's is $0.80 / $4 from 2024-12-03 and no Vertex page confirms a different one: the Vertex name claude-3-5-haiku@20241022 is left unaliased (unknown-model, never a guessed price)",
        "claude-3-5-haiku@20241022": "LiteLLM's Vertex entry lists Claude 3.5 Haiku's launch price $1 / $5; the Claude API's is $0.80 / $4 from 2024-12-03 and no Vertex page confirms a different one: the Vertex name claude-3-5-haiku@20241022 is left unaliased (unknown-model, never a guessed price)",
        "claude-opus-5-5@default": "LiteLLM's Vertex entries list Batch at $2.50 / $12.50, the Claude API's is half of $4 / $20 ($2 / $10) and no Vertex page confirms either: the Vertex name is left unaliased (unknown-model), so a Vertex batch call is never underpriced",
        // Google
        "gemini-3.6-flash": "the introductory price ($0.75 / $3.75, cached $0.075) ends 2026-12-31: the card's latest point is the list price $1.50 / $7.50 from 2027-01-01, written ahead of time; LiteLLM 1.109.1 lists the introductory price",
        "gemini-4-argon": "Google doubled the launch price on 2026-12-01 ($4 / $20, cached $0.20); LiteLLM 1.109.1 still lists the launch price $2 / $10",
        "gemini-exp-1206": "an experimental model that was free on the Gemini API (LiteLLM's gemini entry: $0); never a paid model",
        "gemini-gemma-2-27b-it": "a Gemma open model, free on the Gemini API; LiteLLM keeps an old hosted rate",
        "gemini-gemma-2-9b-it": "a Gemma open model, free on the Gemini API; LiteLLM keeps an old hosted rate",
        "gemini-omni-1.1-flash": "video and audio output (video at $17.50 per 1M tokens, https://github.com/SergeevDmitry/llm-kit/releases/tag/usage-tab%401.3.0) would price as text: events carry one output count, so Gemini Omni stays unpriced (unknown-model), never underpriced",
        "gemini-omni-flash-preview": "video and audio output (video at $17.50 per 1M tokens, https://github.com/SergeevDmitry/llm-kit/releases/tag/usage-tab%401.3.0) would price as text: events carry one output count, so Gemini Omni stays unpriced (unknown-model), never underpriced",
        "gemini-robotics-er-1.5-preview": "LiteLLM lists a cached-input rate of 0 that no Google page shows: the card leaves it out, so cached tokens stay an error, never $0",
        "gemini-robotics-er-2-streaming-preview": "not a text model: the Live API (realtime audio and video streaming) endpoint of Robotics ER 2",
        "multimodalembedding": "a Vertex AI image/video embedding billed per image and per second",
        "multimodalembedding@001": "a Vertex AI image/video embedding billed per image and per second",
        "text-embedding-004": "a Vertex AI embedding billed per 1,000 characters, not tokens: no Gemini API token price",
        "text-embedding-005": "a Vertex AI embedding billed per 1,000 characters, not tokens: no Gemini API token price",
        "text-embedding-large-exp-03-07": "a Vertex AI embedding billed per 1,000 characters, not tokens: no Gemini API token price",
        "text-embedding-preview-0409": "a Vertex AI embedding billed per 1,000 characters, not tokens: no Gemini API token price",
        "text-multilingual-embedding-002": "a Vertex AI embedding billed per 1,000 characters, not tokens: no Gemini API token price",
    ]

    /// One first-party text or embedding model of the map: USD per 1M tokens.
    struct Listed {
        var key: String
        var name: String
        var card: String
        var input: ExactDecimal?
        var output: ExactDecimal?
        var cachedInput: ExactDecimal?
        var cacheWrite: ExactDecimal?
    }

    /// The map's first-party text and embedding models, or a skip that says why the check did not run.
    func listedModels() throws -> (file: String, models: [Listed]) {
        let dir = TestSupport.packageRoot + "/../shared/data"
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
            .filter { $0.hasPrefix("litellm-model-prices-") && $0.hasSuffix(".json") }.sorted()
        guard let file = names.last else {
            let reason = "no LiteLLM price map (litellm-model-prices-*.json) in \(dir): bundled card coverage not checked"
            print("skipped: " + reason)
            throw XCTSkip(reason)
        }
        let data = try XCTUnwrap(FileManager.default.contents(atPath: dir + "/" + file))
        let map = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var out: [Listed] = []
        for key in map.keys.sorted() {
            guard let fields = map[key] as? [String: Any], LiteLLMPriceMap.skipReason(key: key, fields: fields) == nil,
                let provider = fields["litellm_provider"] as? String, let card = LiteLLMPriceMap.cardOfProvider[provider]
            else { continue }
            out.append(
                Listed(
                    key: key, name: key.split(separator: "/").last.map(String.init) ?? key, card: card,
                    input: LiteLLMRate.perMillion(fields["input_cost_per_token"]),
                    output: LiteLLMRate.perMillion(fields["output_cost_per_token"]),
                    cachedInput: LiteLLMRate.perMillion(fields["cache_read_input_token_cost"]),
                    cacheWrite: LiteLLMRate.perMillion(fields["cache_creation_input_token_cost"])))
        }
        return (file, out)
    }

    /// What is wrong with the bundled price of `model`, or nil when the latest
    /// point of the model it resolves to has the map's rates.
    static func problem(_ model: Listed, book: PriceBook) -> String? {
        guard case .success(let m) = book.resolve(provider: model.card, model: model.name) else {
            return "\(model.key): not priced by ratecards/\(model.card).toml"
        }
        guard let latest = book.models[m].pointIndices.last else { return "\(model.key): no price point" }
        let point = book.points[Int(latest)]
        var diffs: [String] = []
        func check(_ field: String, _ listed: ExactDecimal?, _ ours: ExactDecimal?) {
            guard let listed, listed != ours else { return }
            diffs.append("\(field) \(ours.map { "\($0.normalized())" } ?? "unset") (map: \(listed.normalized()))")
        }
        check("input", model.input, point.rates.input)
        check("output", model.output, point.rates.output)
        check("cached_input", model.cachedInput, point.rates.cachedInput)
        check("cache_write", model.cacheWrite, point.rates.cacheWrite)
        return diffs.isEmpty ? nil : "\(model.key) → \(point.id): " + diffs.joined(separator: ", ")
    }

    func testEveryListedTextModelIsPricedAtTheMapsRates() throws {
        let (file, models) = try listedModels()
        XCTAssertFalse(models.isEmpty, "\(file) lists no first-party text model")
        let problems = models.filter { Self.exceptions[$0.name] == nil }.compactMap { Self.problem($0, book: TestSupport.bundledBook) }
        XCTAssertEqual(problems, [], "the bundled cards disagree with \(file); fix the card or add a documented exception")
    }

    func testEveryExceptionIsStillNeeded() throws {
        let (file, models) = try listedModels()
        for (name, reason) in Self.exceptions.sorted(by: { $0.key < $1.key }) {
            XCTAssertFalse(reason.isEmpty, name)
            let listed = models.filter { $0.name == name }
            XCTAssertFalse(listed.isEmpty, "exception \(name) is not a first-party text model of \(file): remove it")
            XCTAssertTrue(
                listed.contains { Self.problem($0, book: TestSupport.bundledBook) != nil },
                "exception \(name) now agrees with \(file): remove it")
        }
    }

    /// Cloud model names the cards price differently from the map (name →
    /// reason); mirrored in docs/FORMAT.md "Bundled cards".
    static let cloudExceptions: [String: String] = [
        "eu/gpt-4.1-nano": "LiteLLM rounds the 10% data-zone surcharge: cached input 0.028 for 0.025 × 1.1 = 0.0275",
        "us/gpt-4.1-nano": "LiteLLM rounds the 10% data-zone surcharge: cached input 0.028 for 0.0275",
        "us/gpt-4.1-nano-2025-04-14": "LiteLLM rounds the 10% data-zone surcharge: cached input 0.028 for 0.0275",
        "eu/gpt-4o-mini": "LiteLLM rounds the 10% data-zone surcharge: cached input 0.083 for 0.075 × 1.1 = 0.0825",
        "eu/gpt-4o-mini-2024-07-18": "LiteLLM rounds the 10% data-zone surcharge: cached input 0.083 for 0.0825",
        "us/gpt-4o-mini": "LiteLLM rounds the 10% data-zone surcharge: cached input 0.083 for 0.0825",
        "us/gpt-4o-mini-2024-07-18": "LiteLLM rounds the 10% data-zone surcharge: cached input 0.083 for 0.0825",
        "eu/codex-mini": "LiteLLM rounds the 10% data-zone surcharge: cached input 0.413 for 0.375 × 1.1 = 0.4125",
        "us/codex-mini": "LiteLLM rounds the 10% data-zone surcharge: cached input 0.413 for 0.375 × 1.1 = 0.4125",
        "eu/gpt-5-codex": "LiteLLM rounds the 10% data-zone surcharge: cached input 0.138 for 0.125 × 1.1 = 0.1375",
        "us/gpt-5-codex": "LiteLLM rounds the 10% data-zone surcharge: cached input 0.138 for 0.1375",
        "eu/o4-mini": "LiteLLM rounds the 10% data-zone surcharge: cached input 0.303 for 0.275 × 1.1 = 0.3025",
        "eu/o4-mini-2025-04-16": "LiteLLM rounds the 10% data-zone surcharge: cached input 0.303 for 0.3025",
        "us/o4-mini": "LiteLLM rounds the 10% data-zone surcharge: cached input 0.303 for 0.3025",
        "us/o4-mini-2025-04-16": "LiteLLM rounds the 10% data-zone surcharge: cached input 0.303 for 0.3025",
        "eu/gpt-4o": "LiteLLM lists a cache-write rate 1.38 (OpenAI models have no cache-write charge; 1.375 is the cached-input rate)",
        "eu/gpt-4o-2024-11-20": "LiteLLM lists a cache-write rate 1.38 (OpenAI models have no cache-write charge)",
        "us/gpt-4o": "LiteLLM lists a cache-write rate 1.38 (OpenAI models have no cache-write charge)",
        "us/gpt-4o-2024-11-20": "LiteLLM lists a cache-write rate 1.38 (OpenAI models have no cache-write charge)",
        "gpt-5.4-pro": "LiteLLM lists a cached-input rate of 3 that neither OpenAI's nor Azure's page shows: cached tokens stay an error",
        "gpt-5.4-pro-2026-03-05": "LiteLLM lists a cached-input rate of 3 (see gpt-5.4-pro)",
        "gpt-5.5-pro": "LiteLLM lists a cached-input rate of 3 (see gpt-5.4-pro)",
        "gpt-5.5-pro-2026-04-23": "LiteLLM lists a cached-input rate of 3 (see gpt-5.4-pro)",
        "openai.gpt-6-luna": "the bare ID is served by the in-Region Mantle endpoint only (https://github.com/pydantic/genai-prices/pull/676) at 10% above global, as LiteLLM's bedrock_mantle entry lists; its bedrock_converse entry for the same ID lists the global rate",
        "openai.gpt-6-sol": "the bare ID is served by the in-Region Mantle endpoint only (https://github.com/pydantic/genai-prices/pull/676) at 10% above global, as LiteLLM's bedrock_mantle entry lists; its bedrock_converse entry for the same ID lists the global rate",
    ]

    /// Every model name of the map that a cloud card prices has the map's
    /// rates (or a documented exception); each cloud card prices some of them.
    func testCloudCardsPriceTheMapsModelIDsAtTheMapsRates() throws {
        let (file, _) = try listedModels()
        let data = try XCTUnwrap(FileManager.default.contents(atPath: TestSupport.packageRoot + "/../shared/data/" + file))
        let map = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var checked: [String: Int] = [:]
        var problems: [String] = []
        var excepted: Set<String> = []
        for key in map.keys.sorted() {
            guard let fields = map[key] as? [String: Any], let provider = fields["litellm_provider"] as? String,
                let card = LiteLLMPriceMap.cloudCardOfProvider[provider]
            else { continue }
            let name = LiteLLMPriceMap.cloudName(key: key, card: card)
            guard case .success = TestSupport.bundledBook.resolve(provider: card, model: name) else { continue }
            let model = Listed(
                key: key, name: name, card: card,
                input: LiteLLMRate.perMillion(fields["input_cost_per_token"]),
                output: LiteLLMRate.perMillion(fields["output_cost_per_token"]),
                cachedInput: LiteLLMRate.perMillion(fields["cache_read_input_token_cost"]),
                cacheWrite: LiteLLMRate.perMillion(fields["cache_creation_input_token_cost"]))
            checked[card, default: 0] += 1
            guard let problem = Self.problem(model, book: TestSupport.bundledBook) else { continue }
            if Self.cloudExceptions[name] != nil { excepted.insert(name) } else { problems.append(problem) }
        }
        XCTAssertEqual(problems, [], "a cloud card disagrees with \(file); fix the card or add a documented exception")
        XCTAssertEqual(Set(Self.cloudExceptions.keys).subtracting(excepted).sorted(), [], "cloud exceptions no longer needed: remove them")
        for card in Set(LiteLLMPriceMap.cloudCardOfProvider.values).sorted() {
            XCTAssertGreaterThan(checked[card] ?? 0, 0, "ratecards/\(card).toml prices no model name of \(file)")
        }
    }

    /// Every Bedrock Claude point that prices 5-minute cache writes also
    /// prices 1-hour writes, at the map's rate for each Bedrock model ID it
    /// resolves (`cache_creation_input_token_cost_above_1hr`: 2x input).
    func testBedrockPointsPriceOneHourCacheWritesAtTheMapsRates() throws {
        let (file, _) = try listedModels()
        let data = try XCTUnwrap(FileManager.default.contents(atPath: TestSupport.packageRoot + "/../shared/data/" + file))
        let map = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let book = TestSupport.bundledBook
        var checked = 0
        var problems: [String] = []
        for key in map.keys.sorted() {
            guard let fields = map[key] as? [String: Any], LiteLLMPriceMap.cloudCardOfProvider[fields["litellm_provider"] as? String ?? ""] == "bedrock",
                let listed = LiteLLMRate.perMillion(fields["cache_creation_input_token_cost_above_1hr"]),
                case .success(let m) = book.resolve(provider: "bedrock", model: key),
                let latest = book.models[m].pointIndices.last
            else { continue }
            let point = book.points[Int(latest)]
            checked += 1
            if point.rates.cacheWrite1h != listed {
                problems.append("\(key) → \(point.id): cache_write_1h \(point.rates.cacheWrite1h.map { "\($0.normalized())" } ?? "unset") (map: \(listed.normalized()))")
            }
        }
        XCTAssertGreaterThan(checked, 0, "no Bedrock model ID of \(file) with a 1-hour cache-write rate resolves in ratecards/bedrock.toml")
        XCTAssertEqual(problems, [])
        // Claude points only: OpenAI's models on Bedrock have 30-minute cache writes, no 1-hour rate.
        for point in book.points where point.id.hasPrefix("bedrock/claude-") && point.rates.cacheWrite != nil {
            XCTAssertEqual(point.rates.cacheWrite1h, point.rates.input.map { $0 * ExactDecimal(2) }, point.id)
        }
    }

    func testExceptionsAreDocumented() throws {
        let docs = try String(contentsOfFile: TestSupport.packageRoot + "/docs/FORMAT.md", encoding: .utf8)
        for name in (Array(Self.exceptions.keys) + Array(Self.cloudExceptions.keys)).sorted() {
            XCTAssertTrue(docs.contains("`\(name)`"), "exception \(name) is missing from docs/FORMAT.md \"Bundled cards\"")
        }
        // litellm-known.toml (`spend cards check --known`) holds the same documented exceptions.
        let path = TestSupport.packageRoot + "/litellm-known.toml"
        let known = try KnownDifferences.parse(try String(contentsOfFile: path, encoding: .utf8), path: "litellm-known.toml")
        XCTAssertEqual(
            Set(Self.exceptions.keys).union(Self.cloudExceptions.keys).subtracting(known.entries.map(\.model)).sorted(), [],
            "an exception is missing from litellm-known.toml")
        for entry in known.entries {
            XCTAssertTrue(docs.contains("`\(entry.model)`"), "litellm-known.toml's \(entry.model) is missing from docs/FORMAT.md \"Bundled cards\"")
        }
    }
}
