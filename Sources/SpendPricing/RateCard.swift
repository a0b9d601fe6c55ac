import SpendBase
import SpendFormats

/// Token prices in USD per 1M tokens. A nil rate means the card does not
/// price that kind of token; using it is an error, never $0.
public struct TokenRates: Sendable, Hashable {
    public var input: ExactDecimal?
    public var cachedInput: ExactDecimal?
    /// Cache writes kept for the default (5-minute) time to live.
    public var cacheWrite: ExactDecimal?
    /// Cache writes kept for one hour (Anthropic's `ttl: "1h"`).
    public var cacheWrite1h: ExactDecimal?
    public var output: ExactDecimal?

    public init(
        input: ExactDecimal? = nil, cachedInput: ExactDecimal? = nil, cacheWrite: ExactDecimal? = nil,
        cacheWrite1h: ExactDecimal? = nil, output: ExactDecimal? = nil
    ) {
        self.input = input
        self.cachedInput = cachedInput
        self.cacheWrite = cacheWrite
        self.cacheWrite1h = cacheWrite1h
        self.output = output
    }

    /// The rates in field order, with their TOML names.
    public var fields: [(name: String, value: ExactDecimal?)] {
        [("input", input), ("cached_input", cachedInput), ("cache_write", cacheWrite), ("cache_write_1h", cacheWrite1h), ("output", output)]
    }

    /// True when no rate is set.
    public var isEmpty: Bool { input == nil && cachedInput == nil && cacheWrite == nil && cacheWrite1h == nil && output == nil }

    /// Each rate multiplied by `factor`. Cannot trap on a parsed card:
    /// `RateCardParser` bounds rates and `batch_discount` (12 decimal places,
    /// below 10^6, discounted rates within 12 places), so each product fits.
    func scaled(by factor: ExactDecimal) -> TokenRates {
        TokenRates(
            input: input.map { $0 * factor }, cachedInput: cachedInput.map { $0 * factor },
            cacheWrite: cacheWrite.map { $0 * factor }, cacheWrite1h: cacheWrite1h.map { $0 * factor }, output: output.map { $0 * factor })
    }
}

/// A long-context cliff: when one request's `input + cached + cache_write (+ 1h)`
/// exceeds `aboveInputTokens`, all its tokens use these rates.
public struct PriceTier: Sendable, Hashable {
    public var aboveInputTokens: Int64
    public var rates: TokenRates
    /// This tier's own batch rates (`batch_input`, … inside the tier).
    public var batchRates = TokenRates()
}

/// Rates of a service tier (`priority`, `flex`, …) of a price point.
public struct ServiceTierPrice: Sendable, Hashable {
    public var rates: TokenRates
    public var tiers: [PriceTier]
    /// This service tier's own batch rates (`batch_input`, … inside the service tier).
    public var batchRates = TokenRates()
}

/// Where something was written: file and 1-based line.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var line: Int

    public init(path: String, line: Int) {
        self.path = path
        self.line = line
    }

    public var description: String { "\(path):\(line)" }
}

/// One `[[price]]` block: the prices of a model from `effective` until the
/// next point of the same model.
public struct PricePoint: Sendable, Hashable {
    public var provider: String
    public var model: String
    /// Start of validity, milliseconds since the epoch (UTC).
    public var effective: Int64
    /// `effective` as written (`2024-10-01`).
    public var effectiveText: String
    public var rates: TokenRates
    public var tiers: [PriceTier]
    /// Multiplier for `batch = true` events when no explicit batch rate is given.
    public var batchDiscount: ExactDecimal?
    /// Explicit batch rates (`batch_input`, …) of the base rates only; tiers
    /// and service tiers carry their own (`PriceTier.batchRates`).
    public var batchRates: TokenRates
    /// USD per 1,000 calls, by tool name.
    public var toolCallFees: [String: ExactDecimal]
    public var serviceTiers: [String: ServiceTierPrice]
    public var location: SourceLocation

    /// `openai/gpt-4o@2024-10-01`: how `priced_with` and messages name a point.
    public var id: String { "\(provider)/\(model)@\(effectiveText)" }
}

/// A name or glob that maps model names as served to a priced model.
public struct ModelAlias: Sendable, Hashable {
    public var pattern: String
    public var target: String
    public var line: Int
    public var isGlob: Bool { pattern.contains("*") || pattern.contains("?") }
}

/// One provider's rate card (`ratecards/PROVIDER.toml`).
public struct RateCard: Sendable {
    public var provider: String
    public var currency: String
    /// Repository-relative path.
    public var path: String
    /// Git blob id of the file's content, when known.
    public var blobId: String?
    public var aliases: [ModelAlias]
    public var points: [PricePoint]
    /// Contract discounts (`[[discount]]`), in file order; never two for one model and instant.
    public var discounts: [ContractDiscount]

    public init(
        provider: String, currency: String, path: String, blobId: String?, aliases: [ModelAlias], points: [PricePoint],
        discounts: [ContractDiscount] = []
    ) {
        self.provider = provider
        self.currency = currency
        self.path = path
        self.blobId = blobId
        self.aliases = aliases
        self.points = points
        self.discounts = discounts
    }
}

/// One `[[discount]]` block: a negotiated percentage off list price for the
/// card's models that match `models`, from `effective` (inclusive) until
/// `until` (exclusive; nil: open-ended). Applied after list price selection
/// (tiers, service tiers, batch): effective cost = list × (1 − percent/100).
public struct ContractDiscount: Sendable, Hashable {
    public var provider: String
    /// Start of validity, milliseconds since the epoch (UTC).
    public var effective: Int64
    /// `effective` as written (`2026-01-01`).
    public var effectiveText: String
    /// End of validity (exclusive), milliseconds since the epoch; nil: none.
    public var until: Int64?
    /// `until` as written.
    public var untilText: String?
    /// Percent off list, in [0, 100], at most `RateCardParser.maxDecimals` places.
    public var percent: ExactDecimal
    /// Globs over priced model names (the `model` of a `[[price]]` point).
    public var models: [String]
    public var location: SourceLocation

    /// `1 − percent/100`: what list costs are multiplied by.
    public var multiplier: ExactDecimal {
        // percent ≤ 100 with at most 12 places: the difference has at most 14 places and fits.
        ExactDecimal(1) - ExactDecimal(significand: percent.significand, scale: percent.scale + 2)
    }

    /// True when the discount is in effect at `ts`.
    public func covers(_ ts: Int64) -> Bool { ts >= effective && ts < (until ?? Int64.max) }

    /// True when one of `models` matches the priced model `name`.
    public func applies(toModel name: String) -> Bool { models.contains { Glob($0).matches(name) } }

    /// `openai discount 15% from 2026-01-01 until 2027-01-01`: how messages and audit name it.
    public var id: String {
        "\(provider) discount \(percent)% from \(effectiveText)" + (untilText.map { " until \($0)" } ?? "")
    }
}
