/// A price point or `[[discount]]` of the base that the target edited or
/// deleted: prices change from `from` on. Whether that restates history
/// (`ratecard-rewrite`) or only corrects what nothing recorded has used yet
/// (a note) is decided by ``verdict(now:latestEvent:baseLabel:)``.
struct CardChange {
    enum Subject {
        case point, discount
    }

    var subject: Subject
    /// `openai/gpt-4o@2024-10-01`, `openai discount 15% from 2026-01-01`.
    var name: String
    /// The target card's path, and the line where the target still has it.
    var path: String
    var line: Int?
    /// nil: deleted; else what changed (`input 2.5 → 2.25`).
    var change: String?
    /// Where a deleted one was: `ratecards/openai.toml:12`.
    var wasAt: String
    /// The earliest instant whose prices change, and how it is written.
    var from: Int64
    var fromText: String
    /// `from` is where the point or discount takes effect (rather than, say, a changed `until`).
    var fromEffective: Bool

    /// What lint says about it: an error, or a note when the change only
    /// affects instants after `now` and after every recorded event.
    enum Verdict {
        case finding(Diagnostic)
        case note(String)
    }

    /// `latestEvent`: the latest `ts` of the ledger at or after `from`, nil when there is none.
    func verdict(now: Int64, latestEvent: Int64?, baseLabel: String) -> Verdict {
        let what = subject == .point ? "price point \(name)" : "discount \(name)"
        let detail = change ?? "it was at \(wasAt) in \(baseLabel)"
        if from > now && latestEvent == nil {
            let today = Timestamp.dateString(days: Timestamp.day(ofMillis: now))
            let verb = change == nil ? "was withdrawn before it takes effect" : fromEffective ? "was edited before it takes effect" : "was edited"
            let reason =
                fromEffective
                ? "nothing recorded is priced with it yet (it starts after today, \(today), and after every event of the ledger)"
                : "prices change only from \(fromText) on, after today (\(today)) and after every event of the ledger"
            return .note("\(path)\(line.map { ":\($0)" } ?? ""): \(what) \(verb) (\(detail)): \(reason)")
        }
        var restated = "history is restated"
        if from > now, let latestEvent {
            restated += " (recorded events up to \(Timestamp.format(millis: latestEvent)) are priced with it)"
        }
        let advice: String
        switch (subject, change) {
        case (.point, _): advice = "add a new point instead"
        case (.discount, nil): advice = "end it (until) instead"
        case (.discount, _): advice = "end it (until) and add a new [[discount]] instead"
        }
        let verb = change == nil ? "was deleted" : "was edited in place"
        return .finding(
            Diagnostic(path: path, line: line, rule: .ratecardRewrite, message: "\(what) \(verb) (\(detail)): \(restated) — \(advice)"))
    }
}

extension RateCardLint {
    /// The points and discounts of `old` that `new` (the same provider's card) edited or deleted.
    static func changes(from old: RateCard, to new: RateCard) -> [CardChange] {
        func key(_ p: PricePoint) -> String { p.model + "\u{0}" + String(p.effective) }
        var out: [CardChange] = []
        var newPoints: [String: PricePoint] = [:]
        for p in new.points { newPoints[key(p)] = p }
        for p in old.points.sorted(by: { $0.location.line < $1.location.line }) {
            let now = newPoints[key(p)]
            if let now, difference(p, now) == nil { continue }
            out.append(
                CardChange(
                    subject: .point, name: p.id, path: new.path, line: now?.location.line, change: now.flatMap { difference(p, $0) },
                    wasAt: "\(old.path):\(p.location.line)", from: p.effective, fromText: p.effectiveText, fromEffective: true))
        }
        out += discountChanges(from: old, to: new)
        return out
    }

    /// How the discounts of `old` fare in `new` (the same provider's card):
    /// an unchanged one is matched first, then one of `new` with the same
    /// `effective` is the old one edited, and none is a deletion (`changed`,
    /// in `old`'s order); the discounts of `new` left over were `added`.
    static func matchDiscounts(
        from old: RateCard, to new: RateCard
    ) -> (changed: [(old: ContractDiscount, new: ContractDiscount?)], added: [ContractDiscount]) {
        func same(_ a: ContractDiscount, _ b: ContractDiscount) -> Bool {
            a.effective == b.effective && a.until == b.until && a.percent == b.percent && Set(a.models) == Set(b.models)
        }
        var remaining = new.discounts
        var unmatched: [ContractDiscount] = []
        for d in old.discounts {
            if let k = remaining.firstIndex(where: { same(d, $0) }) { remaining.remove(at: k) } else { unmatched.append(d) }
        }
        var changed: [(old: ContractDiscount, new: ContractDiscount?)] = []
        for d in unmatched {
            let k = remaining.firstIndex { $0.effective == d.effective }
            changed.append((d, k.map { remaining.remove(at: $0) }))
        }
        return (changed, remaining)
    }

    /// The discounts of `old` that `new` edited or deleted (``matchDiscounts(from:to:)``).
    static func discountChanges(from old: RateCard, to new: RateCard) -> [CardChange] {
        var out: [CardChange] = []
        for (d, edited) in matchDiscounts(from: old, to: new).changed {
            var change = CardChange(
                subject: .discount, name: d.id, path: new.path, line: nil, change: nil, wasAt: "\(old.path):\(d.location.line)",
                from: d.effective, fromText: d.effectiveText, fromEffective: true)
            if let e = edited {
                var changes: [String] = []
                if d.percent != e.percent { changes.append("percent \(d.percent) → \(e.percent)") }
                if Set(d.models) != Set(e.models) { changes.append("models \(list(d.models)) → \(list(e.models))") }
                if d.until != e.until { changes.append("until \(d.untilText ?? "none") → \(e.untilText ?? "none")") }
                change.line = e.location.line
                change.change = changes.joined(separator: ", ")
                if d.percent == e.percent && Set(d.models) == Set(e.models) {
                    // Only the end moved: prices change from the earlier of the two ends on.
                    let ends = [(d.until, d.untilText), (e.until, e.untilText)].compactMap { end in end.0.map { ($0, end.1 ?? "") } }
                    let first = ends.min { $0.0 < $1.0 }!
                    (change.from, change.fromText, change.fromEffective) = (first.0, first.1, false)
                }
            }
            out.append(change)
        }
        return out
    }

    /// `["gpt-4o", "gpt-4o-mini"]`.
    static func list(_ names: [String]) -> String {
        "[" + names.map { JSONString.quoted($0) }.joined(separator: ", ") + "]"
    }
}
