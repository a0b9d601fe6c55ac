import Foundation

/// Token prices of model names from an outside price list — LiteLLM's
/// `model_prices_and_context_window.json` — that `spend lint --litellm FILE`
/// checks glob aliases against (`ratecard-alias-shadow`). Only lint reads it;
/// pricing never does.
public struct ReferencePrices: Sendable {
    /// Input and output USD per 1M tokens of one listed model (nil: not listed).
    public struct Entry: Sendable, Hashable {
        /// The key in the file (`gemini/gemini-2.5-pro-preview-tts`).
        public var key: String
        public var input: ExactDecimal?
        public var output: ExactDecimal?
    }

    /// By model name without any `prefix/` (`gemini-2.5-pro-preview-tts`): the
    /// entry whose key is the bare name, else the first key in sorted order.
    public let entries: [String: Entry]

    public init(entries: [String: Entry]) {
        self.entries = entries
    }

    /// Reads LiteLLM's JSON map: `{"model": {"input_cost_per_token": 1.25e-06,
    /// "output_cost_per_token": 1e-05, …}, …}` (entries without either price,
    /// such as `sample_spec`'s documentation, are skipped).
    public static func litellm(path: String, relativeTo base: String? = nil) throws(SpendError) -> ReferencePrices {
        guard let data = FileManager.default.contents(atPath: WorkingDirectory.absolute(path, from: base)) else {
            throw SpendError.request(.referencePrices(path: path, .unreadable))
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw SpendError.request(.referencePrices(path: path, .notJSON))
        }
        guard let map = object as? [String: Any] else {
            throw SpendError.request(.referencePrices(path: path, .notObject))
        }
        var entries: [String: Entry] = [:]
        for key in map.keys.sorted() {
            guard let fields = map[key] as? [String: Any] else { continue }
            let input = perMillion(fields["input_cost_per_token"])
            let output = perMillion(fields["output_cost_per_token"])
            guard input != nil || output != nil else { continue }
            let name = key.split(separator: "/").last.map(String.init) ?? key
            // The bare key wins over `provider/name` keys; otherwise the first in sorted order.
            if entries[name] == nil || key == name { entries[name] = Entry(key: key, input: input, output: output) }
        }
        return ReferencePrices(entries: entries)
    }

    /// USD per token (a JSON number) as USD per 1M tokens, exactly as written
    /// (a double's shortest round-trip text, e.g. `1.25e-06` → 1.25).
    static func perMillion(_ value: Any?) -> ExactDecimal? {
        guard let number = value as? NSNumber else { return nil }
        let double = number.doubleValue
        guard double.isFinite, double >= 0, let exact = ExactDecimal("\(double)") else { return nil }
        return (exact * ExactDecimal(1_000_000)).normalized()
    }
}
