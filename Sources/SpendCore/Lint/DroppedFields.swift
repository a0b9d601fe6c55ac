/// `ratecard-dropped-field`: a point that prices less than the previous
/// point of its model did. A new point replaces the previous one whole, so
/// a service tier, tool fee, long-context tier, batch price or cache rate
/// left out of it stops being priced from its `effective` on (a priority
/// event becomes `no-price`, a long request is priced without its tier).
enum DroppedFields {
    /// Warnings for the points of `new` that `old` does not have as they are
    /// (new or edited), each against the point of its model in effect just before it.
    static func findings(old: RateCard, new: RateCard) -> [Diagnostic] {
        var oldPoints: [String: PricePoint] = [:]
        for p in old.points { oldPoints[p.model + "\u{0}" + String(p.effective)] = p }
        // Each model's effective dates in order, to find a point's predecessor by binary search.
        var byModel: [String: [PricePoint]] = [:]
        for p in new.points { byModel[p.model, default: []].append(p) }
        for model in byModel.keys { byModel[model]!.sort { $0.effective < $1.effective } }
        var out: [Diagnostic] = []
        for p in new.points {
            let before = oldPoints[p.model + "\u{0}" + String(p.effective)]
            if let before, RateCardLint.difference(before, p) == nil { continue }
            let points = byModel[p.model]!
            var low = 0
            var high = points.count
            while low < high {
                let mid = (low + high) / 2
                if points[mid].effective < p.effective { low = mid + 1 } else { high = mid }
            }
            guard low > 0 else { continue }
            let previous = points[low - 1]
            let lost = lostFields(previous, p)
            if lost.isEmpty { continue }
            out.append(
                Diagnostic(
                    path: new.path, line: p.location.line, rule: .ratecardDroppedField,
                    message:
                        "\(before == nil ? "new " : "")price point \(p.id) drops what \(previous.id) (line \(previous.location.line)) priced: \(lost.joined(separator: ", ")) — copy them into the new point unless the provider withdrew them (from \(p.effectiveText) on, events that use them no longer get those prices)"
                ))
        }
        return out
    }

    /// What `previous` prices and `point` does not, by TOML name: cache rates,
    /// batch prices, tiers, tool fees, service tiers, and inside each kept
    /// long-context tier or service tier (and its tiers) its cache rates and
    /// `batch_*` (`tiers (above_input_tokens 200000: batch_input)`,
    /// `service_tiers.priority.batch_output`).
    static func lostFields(_ previous: PricePoint, _ point: PricePoint) -> [String] {
        let discount = (before: previous.batchDiscount != nil, after: point.batchDiscount != nil)
        let base = lostInSet(RateSet(previous), RateSet(point), discount: discount)
        let tiers = lostInTiers(previous.tiers, point.tiers, serviceTier: false, discount: discount, prefix: "")
        var serviceTiers = Lost(names: [], batchDiscount: false)
        for name in previous.serviceTiers.keys.sorted() {
            let old = previous.serviceTiers[name]!
            guard let now = point.serviceTiers[name] else {
                serviceTiers.names.append("service_tiers.\(name)")
                continue
            }
            let prefix = "service_tiers.\(name)."
            let rates = lostInSet(RateSet(old), RateSet(now), discount: discount)
            serviceTiers.add(Lost(names: rates.names.map { prefix + $0 }, batchDiscount: rates.batchDiscount))
            serviceTiers.add(lostInTiers(old.tiers, now.tiers, serviceTier: true, discount: discount, prefix: prefix))
        }
        var lost = base.names
        if base.batchDiscount || tiers.batchDiscount || serviceTiers.batchDiscount { lost.append("batch_discount") }
        lost += tiers.names
        lost += previous.toolCallFees.keys.sorted().filter { point.toolCallFees[$0] == nil }.map { "tool_calls.\($0)" }
        return lost + serviceTiers.names
    }

    /// What a rate set lost: names, and whether a batch price it had only
    /// through the point's `batch_discount` went with that discount.
    struct Lost {
        var names: [String]
        var batchDiscount: Bool

        mutating func add(_ other: Lost) {
            names += other.names
            batchDiscount = batchDiscount || other.batchDiscount
        }
    }

    /// One rate set of a point as the pricer picks it: the base rates, a
    /// long-context tier, a service tier or a tier of a service tier.
    struct RateSet {
        var rates: TokenRates
        var batchRates: TokenRates
        /// A service tier's set prices a batch event only when it has `batch_*`
        /// of its own; otherwise the standard set does.
        var batchOnlyWhenOwn: Bool

        init(_ point: PricePoint) { (rates, batchRates, batchOnlyWhenOwn) = (point.rates, point.batchRates, false) }
        init(_ tier: PriceTier, serviceTier: Bool) { (rates, batchRates, batchOnlyWhenOwn) = (tier.rates, tier.batchRates, serviceTier) }
        init(_ serviceTier: ServiceTierPrice) { (rates, batchRates, batchOnlyWhenOwn) = (serviceTier.rates, serviceTier.batchRates, true) }
    }

    /// The rates of `old` that `new` leaves out, and the batch prices of the
    /// token kinds `new` still prices: an explicit `batch_<kind>` by name, one
    /// that came from a dropped `batch_discount` as `batchDiscount`.
    static func lostInSet(_ old: RateSet, _ new: RateSet, discount: (before: Bool, after: Bool)) -> Lost {
        var lost = Lost(names: lostRates(old.rates, new.rates, prefix: ""), batchDiscount: false)
        let before = batchPriced(old, discount: discount.before)
        let after = batchPriced(new, discount: discount.after)
        for k in new.rates.fields.indices where before[k] && !after[k] && new.rates.fields[k].value != nil {
            if old.batchRates.fields[k].value != nil {
                lost.names.append("batch_" + new.rates.fields[k].name)
            } else if discount.before && !discount.after {
                lost.batchDiscount = true
            }
        }
        return lost
    }

    /// Long-context tiers of `old` that `new` has no tier for (by
    /// `above_input_tokens`), then what each kept tier lost, named by its threshold.
    static func lostInTiers(
        _ old: [PriceTier], _ new: [PriceTier], serviceTier: Bool, discount: (before: Bool, after: Bool), prefix: String
    ) -> Lost {
        var byThreshold: [Int64: PriceTier] = [:]
        for tier in new { byThreshold[tier.aboveInputTokens] = tier }
        var lost = Lost(names: [], batchDiscount: false)
        let missing = old.map(\.aboveInputTokens).filter { byThreshold[$0] == nil }
        if !missing.isEmpty { lost.names.append("\(prefix)tiers (above_input_tokens \(missing.map { String($0) }.joined(separator: ", ")))") }
        for tier in old {
            guard let now = byThreshold[tier.aboveInputTokens] else { continue }
            let set = lostInSet(RateSet(tier, serviceTier: serviceTier), RateSet(now, serviceTier: serviceTier), discount: discount)
            if !set.names.isEmpty {
                lost.names.append("\(prefix)tiers (above_input_tokens \(tier.aboveInputTokens): \(set.names.joined(separator: ", ")))")
            }
            lost.batchDiscount = lost.batchDiscount || set.batchDiscount
        }
        return lost
    }

    /// Rates set in `a` and not in `b`.
    static func lostRates(_ a: TokenRates, _ b: TokenRates, prefix: String) -> [String] {
        zip(a.fields, b.fields).filter { $0.0.value != nil && $0.1.value == nil }.map { prefix + $0.0.name }
    }

    /// For each token kind (in `TokenRates.fields` order): does a batch event
    /// that uses this rate set get a price from it — its own `batch_<kind>`,
    /// else its rate × the point's `batch_discount`.
    static func batchPriced(_ set: RateSet, discount: Bool) -> [Bool] {
        if set.batchOnlyWhenOwn && set.batchRates.isEmpty { return set.rates.fields.map { _ in false } }
        return zip(set.rates.fields, set.batchRates.fields).map { rate, batch in batch.value != nil || (discount && rate.value != nil) }
    }
}
