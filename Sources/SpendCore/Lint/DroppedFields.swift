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
    /// batch prices, tiers, tool fees, service tiers (and their cache rates).
    static func lostFields(_ previous: PricePoint, _ point: PricePoint) -> [String] {
        var lost = lostRates(previous.rates, point.rates, prefix: "")
        // Batch prices, per token kind the point still prices.
        let before = batchPriced(previous)
        let after = batchPriced(point)
        let kinds = point.rates.fields.indices.filter { before[$0] && !after[$0] && point.rates.fields[$0].value != nil }
        if !kinds.isEmpty {
            if previous.batchDiscount != nil && point.batchDiscount == nil {
                lost.append("batch_discount")
            } else {
                lost += kinds.map { "batch_" + point.rates.fields[$0].name }
            }
        }
        let thresholds = Set(point.tiers.map(\.aboveInputTokens))
        let tiers = previous.tiers.map(\.aboveInputTokens).filter { !thresholds.contains($0) }
        if !tiers.isEmpty { lost.append("tiers (above_input_tokens \(tiers.map { String($0) }.joined(separator: ", ")))") }
        lost += previous.toolCallFees.keys.sorted().filter { point.toolCallFees[$0] == nil }.map { "tool_calls.\($0)" }
        for name in previous.serviceTiers.keys.sorted() {
            guard let now = point.serviceTiers[name] else {
                lost.append("service_tiers.\(name)")
                continue
            }
            lost += lostRates(previous.serviceTiers[name]!.rates, now.rates, prefix: "service_tiers.\(name).")
        }
        return lost
    }

    /// Rates set in `a` and not in `b`.
    static func lostRates(_ a: TokenRates, _ b: TokenRates, prefix: String) -> [String] {
        zip(a.fields, b.fields).filter { $0.0.value != nil && $0.1.value == nil }.map { prefix + $0.0.name }
    }

    /// For each token kind (in `TokenRates.fields` order): does a batch event get a price.
    static func batchPriced(_ p: PricePoint) -> [Bool] {
        zip(p.rates.fields, p.batchRates.fields).map { rate, batch in batch.value != nil || (p.batchDiscount != nil && rate.value != nil) }
    }
}
