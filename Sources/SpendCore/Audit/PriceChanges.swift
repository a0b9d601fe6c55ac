/// How a rate-card commit changed a price.
public enum PriceChangeKind: String, Sendable, CaseIterable {
    /// A new point effective on or after the commit date.
    case added
    /// A new point effective before the commit date: history restated.
    case backdated
    /// An existing point's value changed in place: history restated.
    case edited
    /// A point removed.
    case deleted
    /// An alias added, removed or repointed.
    case alias
}

/// One changed field of one price point (or one alias) in one commit.
public struct PriceChange: Sendable, Hashable {
    public var kind: PriceChangeKind
    public var provider: String
    /// The point's model, or the alias pattern.
    public var model: String
    /// The point's `effective` as written ("" for aliases).
    public var effective: String
    /// `input`, `output`, `batch_discount`, `tiers>200000.input`,
    /// `service_tiers.priority.output`, `tool_calls.web_search`, `alias`,
    /// `discount` (a `[[discount]]`: old and new read `15% until 2027-01-01`),
    /// or "" when nothing priced changed.
    public var field: String
    /// Value before ("" when none): a decimal, an alias target, or discount terms.
    public var old: String
    /// Value after ("" when none).
    public var new: String

    /// `new / old − 1` in percent, one decimal, when both are decimals and old ≠ 0.
    public var percentChange: ExactDecimal? {
        guard let o = ExactDecimal(old), let n = ExactDecimal(new), !o.isZero else { return nil }
        return (try? n.subtracting(o))?.percent(of: o, places: 1)
    }
}

/// Compares two versions of the rate cards point by point (points are keyed
/// by model and effective instant, as `spend lint`'s `ratecard-rewrite` does).
public enum PriceChanges {
    /// The priced fields of a point, in a stable order, with their values.
    public static func fields(_ p: PricePoint) -> [(name: String, value: ExactDecimal)] {
        var out: [(String, ExactDecimal)] = []
        func rates(_ prefix: String, _ r: TokenRates) {
            for (name, value) in r.fields { if let value { out.append((prefix + name, value)) } }
        }
        rates("", p.rates)
        rates("batch_", p.batchRates)
        if let d = p.batchDiscount { out.append(("batch_discount", d)) }
        for t in p.tiers {
            rates("tiers>\(t.aboveInputTokens).", t.rates)
            rates("tiers>\(t.aboveInputTokens).batch_", t.batchRates)
        }
        for (name, fee) in p.toolCallFees.sorted(by: { $0.key < $1.key }) { out.append(("tool_calls.\(name)", fee)) }
        for (name, st) in p.serviceTiers.sorted(by: { $0.key < $1.key }) {
            rates("service_tiers.\(name).", st.rates)
            rates("service_tiers.\(name).batch_", st.batchRates)
            for t in st.tiers {
                rates("service_tiers.\(name).tiers>\(t.aboveInputTokens).", t.rates)
                rates("service_tiers.\(name).tiers>\(t.aboveInputTokens).batch_", t.batchRates)
            }
        }
        return out
    }

    /// True when two versions of a point price alike (where they were written aside).
    static func pricesAlike(_ a: PricePoint, _ b: PricePoint) -> Bool {
        a.rates == b.rates && a.batchRates == b.batchRates && a.batchDiscount == b.batchDiscount && a.tiers == b.tiers
            && a.toolCallFees == b.toolCallFees && a.serviceTiers == b.serviceTiers
    }

    /// Field-by-field differences between two (optional) points, in field order.
    static func diff(_ a: PricePoint?, _ b: PricePoint?) -> [(field: String, old: String, new: String)] {
        let fa = a.map(fields) ?? []
        let fb = b.map(fields) ?? []
        var oldValues: [String: ExactDecimal] = [:]
        for f in fa { oldValues[f.name] = f.value }
        var newValues: [String: ExactDecimal] = [:]
        for f in fb { newValues[f.name] = f.value }
        var names: [String] = []
        var seen = Set<String>()
        for f in fa + fb where seen.insert(f.name).inserted { names.append(f.name) }
        var out: [(String, String, String)] = []
        for name in names where oldValues[name] != newValues[name] {
            out.append((name, oldValues[name]?.description ?? "", newValues[name]?.description ?? ""))
        }
        return out
    }

    /// The changes from `old` to `new` (cards by provider) made by a commit at
    /// `commitTime` (ms): a new point effective before the commit's UTC date is `backdated`.
    public static func between(old: [RateCard], new: [RateCard], commitTime: Int64) -> [PriceChange] {
        var oldByProvider: [String: RateCard] = [:]
        for c in old { oldByProvider[c.provider] = c }
        var newByProvider: [String: RateCard] = [:]
        for c in new { newByProvider[c.provider] = c }
        let commitDay = Timestamp.day(ofMillis: commitTime) * Timestamp.millisPerDay
        var out: [PriceChange] = []
        for provider in Set(oldByProvider.keys).union(newByProvider.keys).sorted() {
            let a = oldByProvider[provider]
            let b = newByProvider[provider]
            // The same blob on both sides: nothing changed (most providers of most commits).
            if let x = a?.blobId, x == b?.blobId { continue }
            func key(_ p: PricePoint) -> String { p.model + "\u{0}" + String(p.effective) }
            var oldPoints: [String: PricePoint] = [:]
            for p in a?.points ?? [] { oldPoints[key(p)] = p }
            var newPoints: [String: PricePoint] = [:]
            for p in b?.points ?? [] { newPoints[key(p)] = p }
            let history = PointHistory(b)
            var changes: [PriceChange] = []
            // Every key once, by model then effective (compared directly, not looked up per comparison).
            var ordered: [(model: String, effective: Int64, key: String)] = []
            ordered.reserveCapacity(newPoints.count + oldPoints.count)
            for (k, p) in newPoints { ordered.append((p.model, p.effective, k)) }
            for (k, p) in oldPoints where newPoints[k] == nil { ordered.append((p.model, p.effective, k)) }
            ordered.sort { ($0.model, $0.effective) < ($1.model, $1.effective) }
            for (_, _, k) in ordered {
                let p = newPoints[k] ?? oldPoints[k]!
                func emit(_ kind: PriceChangeKind, _ rows: [(field: String, old: String, new: String)]) {
                    let rows = rows.isEmpty ? [("", "", "")] : rows
                    for r in rows {
                        changes.append(
                            PriceChange(
                                kind: kind, provider: provider, model: p.model, effective: p.effectiveText, field: r.field, old: r.old, new: r.new))
                    }
                }
                switch (oldPoints[k], newPoints[k]) {
                case (let x?, let y?):
                    if pricesAlike(x, y) { continue }
                    let rows = diff(x, y)
                    if !rows.isEmpty { emit(.edited, rows) }
                case (nil, let y?):
                    emit(y.effective < commitDay ? .backdated : .added, diff(history.previous(y.model, before: y.effective), y))
                case (let x?, nil):
                    // What the deleted point's instant now prices with: the earlier point that remains.
                    emit(.deleted, diff(x, history.previous(x.model, before: x.effective)))
                case (nil, nil): break
                }
            }
            out += changes
            out += DiscountChanges.between(old: a, new: b, provider: provider, commitDay: commitDay)
            var oldAliases: [String: String] = [:]
            for alias in a?.aliases ?? [] { oldAliases[alias.pattern] = alias.target }
            var newAliases: [String: String] = [:]
            for alias in b?.aliases ?? [] { newAliases[alias.pattern] = alias.target }
            for pattern in Set(oldAliases.keys).union(newAliases.keys).sorted() where oldAliases[pattern] != newAliases[pattern] {
                out.append(
                    PriceChange(
                        kind: .alias, provider: provider, model: pattern, effective: "", field: "alias", old: oldAliases[pattern] ?? "",
                        new: newAliases[pattern] ?? ""))
            }
        }
        return out
    }
}

/// The points of one card by model, sorted by effective date: the point in
/// force before an instant is a binary search, not a scan of the card (a
/// card created with 60,000 points made the scan quadratic).
struct PointHistory {
    private var byModel: [String: [PricePoint]] = [:]

    init(_ card: RateCard?) {
        for p in card?.points ?? [] { byModel[p.model, default: []].append(p) }
        for model in byModel.keys {
            // Stable: among points with one effective date, card order is kept.
            byModel[model] = byModel[model]!.enumerated().sorted { ($0.element.effective, $0.offset) < ($1.element.effective, $1.offset) }
                .map(\.element)
        }
    }

    /// The point of `model` in force just before `effective` (the latest
    /// strictly earlier; the first in card order among equals).
    func previous(_ model: String, before effective: Int64) -> PricePoint? {
        guard let points = byModel[model] else { return nil }
        var lo = 0
        var hi = points.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if points[mid].effective < effective { lo = mid + 1 } else { hi = mid }
        }
        guard lo > 0 else { return nil }
        var k = lo - 1
        while k > 0 && points[k - 1].effective == points[k].effective { k -= 1 }
        return points[k]
    }
}
