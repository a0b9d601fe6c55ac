import Foundation

/// LiteLLM's per-token price floats as exact card rates (USD per 1M tokens).
public enum LiteLLMRate {
    /// USD per token (a JSON number) as USD per 1M tokens, exactly as written:
    /// a double's shortest round-trip text times 10^6 (`2.5e-06` → 2.5, never
    /// 2.4999999…). Nil for anything but a finite, non-negative number.
    public static func perMillion(_ value: Any?) -> ExactDecimal? {
        guard let number = value as? NSNumber else { return nil }
        let double = number.doubleValue
        guard double.isFinite, double >= 0, let exact = ExactDecimal("\(double)") else { return nil }
        return (exact * ExactDecimal(1_000_000)).normalized()
    }

    /// A per-1M rate a card can carry: at most `RateCardParser.maxDecimals`
    /// decimal places (the parser's own limit), else nil.
    public static func cardRate(_ perMillion: ExactDecimal) -> ExactDecimal? {
        let value = perMillion.normalized()
        return value.scale <= RateCardParser.maxDecimals ? value : nil
    }
}

/// The models of a LiteLLM `model_prices_and_context_window.json` that spend's
/// cards price: first-party text and embedding models of OpenAI, Anthropic and
/// Google, and the Azure, Bedrock and Vertex AI model ids, as exact per-1M rates.
public struct LiteLLMPriceMap: Sendable {
    /// One listed model, named as the card would name it.
    public struct Model: Sendable, Hashable {
        /// The key in the file (`gemini/gemini-2.5-pro`).
        public var key: String
        /// The file's `litellm_provider` (`gemini`).
        public var litellmProvider: String
        /// The card's provider (`google`).
        public var provider: String
        /// The model name in the card (`gemini-2.5-pro`; Azure keeps `eu/gpt-4o`).
        public var name: String
        /// True for a cloud card (Azure, Bedrock, Vertex): it prices only where prices differ,
        /// so a model it lacks is not a gap.
        public var isCloud: Bool
        /// Input, cached input (cache read), cache write and output per 1M tokens.
        public var rates: TokenRates
        /// Batch input and output per 1M tokens (`*_cost_per_token_batches`).
        public var batchRates: TokenRates
    }

    /// LiteLLM `litellm_provider` → the card that prices its first-party models.
    public static let cardOfProvider: [String: String] = [
        "openai": "openai", "text-completion-openai": "openai",
        "anthropic": "anthropic", "vertex_ai-anthropic_models": "anthropic",
        "gemini": "google", "vertex_ai-language-models": "google", "vertex_ai-embedding-models": "google",
    ]

    /// LiteLLM `litellm_provider` → cloud card; the card's names are the keys
    /// without the card's key prefix (`cloudKeyPrefix`).
    public static let cloudCardOfProvider: [String: String] = [
        "azure": "azure", "bedrock": "bedrock", "bedrock_converse": "bedrock", "vertex_ai": "vertex",
    ]

    /// Cloud card → the prefix of its LiteLLM keys that is not part of the served
    /// name (`azure/eu/gpt-4o` → `eu/gpt-4o`, `vertex_ai/gemini-2.0-flash` → `gemini-2.0-flash`).
    public static let cloudKeyPrefix: [String: String] = ["azure": "azure/", "bedrock": "bedrock/", "vertex": "vertex_ai/"]

    /// The name a cloud card gives the map's `key`.
    public static func cloudName(key: String, card: String) -> String {
        guard let prefix = cloudKeyPrefix[card], key.hasPrefix(prefix) else { return key }
        return String(key.dropFirst(prefix.count))
    }

    /// Which entry wins when two keys name the same card model: the first-party
    /// API before Vertex (`gemini/…` before the bare Vertex key).
    static let providerRank = [
        "openai", "text-completion-openai", "anthropic", "vertex_ai-anthropic_models", "gemini", "vertex_ai-language-models", "vertex_ai-embedding-models",
        "azure", "bedrock", "bedrock_converse", "vertex_ai",
    ]

    /// LiteLLM `mode`s of text and embedding models.
    public static let textModes: Set<String> = ["chat", "responses", "completion", "embedding"]

    /// Name parts of models that are not text models although listed as `chat`.
    public static let nonTextNameParts = ["audio", "tts", "realtime", "transcribe", "image", "lyria"]

    /// The file read.
    public let path: String
    /// How a source comment names the file: its version when the file name
    /// carries one (`1.109.1`), else `git blob <12 hex digits>` (`git hash-object FILE`).
    public let label: String
    /// Listed models by card provider, then name (one entry per name).
    public let models: [Model]

    public init(path: String, label: String, models: [Model]) {
        self.path = path
        self.label = label
        self.models = models
    }

    /// Why a map entry is not a model a card prices, or nil when it is one.
    public static func skipReason(key: String, fields: [String: Any]) -> String? {
        guard let provider = fields["litellm_provider"] as? String,
            cardOfProvider[provider] != nil || cloudCardOfProvider[provider] != nil
        else { return "not a provider with a card" }
        guard let mode = fields["mode"] as? String, textModes.contains(mode) else { return "not a text or embedding model" }
        if key.hasPrefix("ft:") { return "a fine-tuned model (per-organization names)" }
        let name = key.split(separator: "/").last.map(String.init) ?? key
        if nonTextNameParts.contains(where: { name.contains($0) }) { return "an audio, speech, image or music model" }
        let input = LiteLLMRate.perMillion(fields["input_cost_per_token"]) ?? 0
        let output = LiteLLMRate.perMillion(fields["output_cost_per_token"]) ?? 0
        if input == 0 && output == 0 { return "no token price (free experimental model or not token-billed)" }
        return nil
    }

    /// Reads the file at `path` (relative to `base` when not absolute; shown as `displayPath` in messages), keeping
    /// the models of `providers` (card providers; nil: all). A file that is not
    /// JSON is a located error; a kept rate with more decimal places than a
    /// card carries is an error at its key's line.
    public static func read(
        path: String, relativeTo base: String? = nil, displayPath: String? = nil, providers: Set<String>? = nil
    ) throws(SpendError) -> LiteLLMPriceMap {
        let shown = displayPath ?? path
        guard let data = FileManager.default.contents(atPath: WorkingDirectory.absolute(path, from: base)) else {
            throw SpendError.request(.referencePrices(path: shown, .unreadable))
        }
        let bytes = [UInt8](data)
        if let problem = bytes.withUnsafeBytes({ LedgerScanner.validateDocument($0) }) {
            let at = bytes.withUnsafeBytes { SourcePosition.locate(offset: problem.offset, in: $0) }
            throw SpendError.input([
                Diagnostic(
                    path: shown, line: at.line, column: at.column, rule: .litellm,
                    message: "not LiteLLM's price map: \(problem.message)", sourceLine: at.lineText)
            ])
        }
        guard let map = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw SpendError.request(.referencePrices(path: shown, .notObject))
        }
        var best: [String: (rank: Int, model: Model)] = [:]
        var problems: [Diagnostic] = []
        let text = String(decoding: bytes, as: UTF8.self)
        for key in map.keys.sorted() {
            guard let fields = map[key] as? [String: Any], skipReason(key: key, fields: fields) == nil,
                let litellm = fields["litellm_provider"] as? String
            else { continue }
            let cloud = cloudCardOfProvider[litellm]
            guard let card = cloud ?? cardOfProvider[litellm], providers?.contains(card) ?? true else { continue }
            let name = cloud != nil
                ? cloudName(key: key, card: card)
                : (key.split(separator: "/").last.map(String.init) ?? key)
            func rate(_ field: String) -> ExactDecimal? {
                guard let exact = LiteLLMRate.perMillion(fields[field]) else { return nil }
                if let rate = LiteLLMRate.cardRate(exact) { return rate }
                let line = lineOfKey(key, in: text)
                problems.append(
                    Diagnostic(
                        path: shown, line: line, rule: .ratecardPrecision,
                        message: "\(key): \(field) is \(exact) per 1M tokens, more than \(RateCardParser.maxDecimals) decimal places; spend carries prices exactly to at most \(RateCardParser.maxDecimals)"))
                return nil
            }
            let model = Model(
                key: key, litellmProvider: litellm, provider: card, name: name, isCloud: cloud != nil,
                rates: TokenRates(
                    input: rate("input_cost_per_token"), cachedInput: rate("cache_read_input_token_cost"),
                    cacheWrite: rate("cache_creation_input_token_cost"), output: rate("output_cost_per_token")),
                batchRates: TokenRates(input: rate("input_cost_per_token_batches"), output: rate("output_cost_per_token_batches")))
            let rank = providerRank.firstIndex(of: litellm) ?? providerRank.count
            let id = card + "\u{0}" + name
            if let known = best[id], known.rank <= rank { continue }
            best[id] = (rank, model)
        }
        if !problems.isEmpty { throw SpendError.input(problems) }
        let models = best.values.map(\.model).sorted { ($0.provider, $0.name) < ($1.provider, $1.name) }
        return LiteLLMPriceMap(path: shown, label: label(fileName: (path as NSString).lastPathComponent, bytes: bytes), models: models)
    }

    /// `1.109.1` from `litellm-model-prices-1.109.1.json`, else `git blob <12 hex>` of the bytes.
    static func label(fileName: String, bytes: [UInt8]) -> String {
        if let range = fileName.range(of: #"[0-9]+\.[0-9]+\.[0-9]+"#, options: .regularExpression) {
            return String(fileName[range])
        }
        return "git blob " + String(bytes.withUnsafeBytes { ObjectID.blob(of: $0).hex }.prefix(12))
    }

    /// The 1-based line where `"key":` is written (nil when not found).
    static func lineOfKey(_ key: String, in text: String) -> Int? {
        let needle = JSONString.quoted(key) + ":"
        for (k, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where line.contains(needle) {
            return k + 1
        }
        return nil
    }
}
