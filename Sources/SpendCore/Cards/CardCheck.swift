/// One rate of a card point that the map states differently.
public struct RateDifference: Sendable, Hashable {
    /// The card field (`input`, `cached_input`, `cache_write`, `output`, `batch_input`, `batch_output`).
    public var field: String
    /// The card's rate (for batch fields: the explicit batch rate, else the
    /// rate × `batch_discount`); nil when the card does not price it.
    public var card: ExactDecimal?
    /// The map's rate, per 1M tokens.
    public var map: ExactDecimal
}

/// A map model whose latest card point has other rates.
public struct ModelDifference: Sendable, Hashable {
    public var listed: LiteLLMPriceMap.Model
    /// The priced model the name resolves to (itself, or an alias's target).
    public var pricedModel: String
    /// The latest point of `pricedModel`.
    public var point: PricePoint
    public var differences: [RateDifference]
    /// True when the map's name is priced through an alias.
    public var viaAlias: Bool { listed.name != pricedModel }
}

/// What `CardCheck.run` found.
public struct CardCheckResult: Sendable {
    /// The map's path and label (`1.109.1`).
    public var mapPath: String
    public var mapLabel: String
    /// Map models the cards price, compared.
    public var compared: Int
    /// Models whose latest point disagrees with the map.
    public var differences: [ModelDifference]
    /// First-party models the map lists that no card prices or aliases.
    public var missing: [LiteLLMPriceMap.Model]
    /// Findings that a known-differences file covers (`--known`): not counted.
    public var known: [KnownFinding] = []
    /// Known-differences entries that cover no finding any more: to be removed.
    public var stale: [KnownDifferences.Entry] = []
    /// The known-differences file applied, if any.
    public var knownPath: String? = nil
    /// True when there is nothing to report.
    public var isClean: Bool { differences.isEmpty && missing.isEmpty && stale.isEmpty }
}

/// Compares the latest point of every card model with LiteLLM's price map.
public enum CardCheck {
    /// The rate fields compared, in card order.
    public static let fields = ["input", "cached_input", "cache_write", "output", "batch_input", "batch_output"]

    /// The map's rate of a field.
    public static func mapRate(_ field: String, of model: LiteLLMPriceMap.Model) -> ExactDecimal? {
        switch field {
        case "input": return model.rates.input
        case "cached_input": return model.rates.cachedInput
        case "cache_write": return model.rates.cacheWrite
        case "output": return model.rates.output
        case "batch_input": return model.batchRates.input
        case "batch_output": return model.batchRates.output
        default: return nil
        }
    }

    /// The card's rate of a field on a point (batch: explicit, else rate × discount).
    public static func cardRate(_ field: String, of point: PricePoint) -> ExactDecimal? {
        func batch(_ explicit: ExactDecimal?, _ base: ExactDecimal?) -> ExactDecimal? {
            if let explicit { return explicit }
            guard let base, let discount = point.batchDiscount else { return nil }
            // Parsed cards bound both factors (12 places, below 10^6): the product fits.
            return base * discount
        }
        switch field {
        case "input": return point.rates.input
        case "cached_input": return point.rates.cachedInput
        case "cache_write": return point.rates.cacheWrite
        case "output": return point.rates.output
        case "batch_input": return batch(point.batchRates.input, point.rates.input)
        case "batch_output": return batch(point.batchRates.output, point.rates.output)
        default: return nil
        }
    }

    /// The fields the map states and the point prices otherwise (a field the map
    /// does not state is not compared).
    public static func differences(_ model: LiteLLMPriceMap.Model, point: PricePoint) -> [RateDifference] {
        fields.compactMap { field in
            guard let listed = mapRate(field, of: model) else { return nil }
            let ours = cardRate(field, of: point)?.normalized()
            return ours == listed.normalized() ? nil : RateDifference(field: field, card: ours, map: listed.normalized())
        }
    }

    /// Compares every map model of the providers `book` has cards for.
    public static func run(book: PriceBook, map: LiteLLMPriceMap) -> CardCheckResult {
        var result = CardCheckResult(mapPath: map.path, mapLabel: map.label, compared: 0, differences: [], missing: [])
        for listed in map.models where book.card(provider: listed.provider) != nil {
            guard case .success(let m) = book.resolve(provider: listed.provider, model: listed.name) else {
                if !listed.isCloud { result.missing.append(listed) }
                continue
            }
            guard let latest = book.models[m].pointIndices.last else { continue }
            result.compared += 1
            let point = book.points[Int(latest)]
            let differences = differences(listed, point: point)
            if !differences.isEmpty {
                result.differences.append(
                    ModelDifference(listed: listed, pricedModel: book.models[m].name, point: point, differences: differences))
            }
        }
        return result
    }
}
