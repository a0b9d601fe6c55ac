/// How a rate-card commit changed its contract discounts (`[[discount]]`), as
/// `PriceChange`s of field `discount`: one per priced model a changed
/// discount covers (before or after), so that `--model` and the impact
/// select the events it restates like any price change.
///
/// Discounts are keyed by their `effective` instant and `models` list. A
/// discount is `added` (or `backdated` when it takes effect before the
/// commit's UTC date), `edited` (its percent or `until` changed) or `deleted`;
/// old and new read `15% until 2027-01-01`, `""` when absent.
enum DiscountChanges {
    static func between(old: RateCard?, new: RateCard?, provider: String, commitDay: Int64) -> [PriceChange] {
        func key(_ d: ContractDiscount) -> String { String(d.effective) + "\u{0}" + d.models.joined(separator: "\u{0}") }
        var before: [String: ContractDiscount] = [:]
        for d in old?.discounts ?? [] { before[key(d)] = d }
        var after: [String: ContractDiscount] = [:]
        for d in new?.discounts ?? [] { after[key(d)] = d }
        // Priced models of either version, for the globs to select.
        let models = Set((old?.points ?? []).map(\.model) + (new?.points ?? []).map(\.model)).sorted()
        var keys = Array(Set(before.keys).union(after.keys))
        keys.sort { a, b in
            let x = after[a] ?? before[a]!
            let y = after[b] ?? before[b]!
            return (x.effective, x.models.joined(separator: ",")) < (y.effective, y.models.joined(separator: ","))
        }
        var out: [PriceChange] = []
        for k in keys {
            let a = before[k]
            let b = after[k]
            guard a?.percent != b?.percent || a?.until != b?.until else { continue }
            let kind: PriceChangeKind
            switch (a, b) {
            case (_?, _?): kind = .edited
            case (nil, let d?): kind = d.effective < commitDay ? .backdated : .added
            default: kind = .deleted
            }
            let discount = (b ?? a)!
            for model in models where (a?.applies(toModel: model) ?? false) || (b?.applies(toModel: model) ?? false) {
                out.append(
                    PriceChange(
                        kind: kind, provider: provider, model: model, effective: discount.effectiveText, field: "discount",
                        old: a.map(terms) ?? "", new: b.map(terms) ?? ""))
            }
        }
        return out
    }

    /// `15%`, `15% until 2027-01-01`.
    static func terms(_ d: ContractDiscount) -> String {
        "\(d.percent)%" + (d.untilText.map { " until \($0)" } ?? "")
    }
}
