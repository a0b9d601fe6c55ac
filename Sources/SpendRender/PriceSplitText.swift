import SpendCore

/// How release comparisons show a change split into usage and price
/// (``PriceSplit``), and the rate-card commits behind a price effect
/// (``PricePin``): shared by `spend diff --releases` and `spend releases`.
enum PriceSplitText {
    /// The CSV/JSON columns after the release renderers' own, in order.
    static let columns = [
        "usage_cost_a", "usage_cost_b", "usage_delta", "price_delta", "usage_cost_per_request_pct", "usage_cost_per_day_pct", "price_pct",
        "price_change",
    ]

    /// Exact values of ``columns``.
    static func fields(_ s: PriceSplit) -> [String] {
        [
            s.constantA.cost.description, s.constantB.cost.description, s.usageDelta.description, s.priceDelta.description,
            s.usageCostPerRequestChange?.description ?? "", s.usageCostPerDayChange?.description ?? "", s.priceChange?.description ?? "",
            s.priceMoved ? "true" : "false",
        ]
    }

    /// `SPIKE`, `PRICE +85.6%`, both, or "".
    static func marker(spike: Bool, _ s: PriceSplit) -> String {
        var parts: [String] = []
        if spike { parts.append("SPIKE") }
        if s.priceMoved { parts.append("PRICE " + Format.percentChange(s.priceChange, none: "")) }
        return parts.joined(separator: " ")
    }

    /// What usage, spike and PRICE mean, with the instant the prices are held at.
    static func legend(base: String, prices: ConstantPrices?, threshold: ExactDecimal) -> String {
        let day = prices.map { " (the rate cards in effect on " + Timestamp.dateString(days: Timestamp.day(ofMillis: $0.instant)) + ")" } ?? ""
        return "usage = at \(base)'s prices\(day); price = the rest; "
            + "SPIKE = usage cost per request or per day up more than \(threshold)%; PRICE = prices alone moved cost more than \(threshold)%"
    }

    /// `Δ +$5.19 = usage +$5.19 + price $0.00`.
    static func deltas(_ delta: ExactDecimal, _ s: PriceSplit, precision: Int) -> String {
        "Δ \(Format.delta(delta, places: precision)) = usage \(Format.delta(s.usageDelta, places: precision)) + price \(Format.delta(s.priceDelta, places: precision))"
    }

    /// The note for events the constant prices (`base`'s) could not price, if any: shared by
    /// `spend diff --releases` (its total) and `spend releases` (each row it applies to).
    static func unpricedNote(_ s: PriceSplit, base: String) -> String? {
        let events = s.unpricedEvents
        guard events > 0 else { return nil }
        return "\(events) events have no price at \(base)'s prices (a model or rate added later): their own cost counts as usage"
    }

    /// "search: PRICE -33.8% v1.2→v1.3; Δ … = usage … + price …; usage cost/request +0.0%" and the card commits.
    static func priceDiagnosis(label: String, _ pin: PricePin, _ s: PriceSplit, from: String, to: String, precision: Int, delta: ExactDecimal? = nil)
        -> String
    {
        let name = TerminalText.escaped(label)
        var facts = ["PRICE \(Format.percentChange(s.priceChange, none: "-")) \(from)→\(to)"]
        if let delta { facts.append(deltas(delta, s, precision: precision)) }
        facts.append("usage cost/request \(Format.percentChange(s.usageCostPerRequestChange, none: "-"))")
        var text = "\(name): " + facts.joined(separator: "; ") + "\n"
        if pin.commits.isEmpty && pin.uncommitted.isEmpty {
            text += "  no rate-card commit found for the prices these events used\n"
        }
        if !pin.commits.isEmpty { text += "  rate-card commits that changed the prices these events used:\n" }
        for c in pin.commits {
            let date = Timestamp.dateString(days: Timestamp.day(ofMillis: c.time))
            text += TerminalText.escaped("  \(c.id.short)  \(date)  \(c.author)  \(c.subject)") + "\n"
            var byPoint: [(String, [PriceChange])] = []
            for change in c.changes {
                let point = "\(change.provider)/\(change.model)@\(change.effective) \(change.kind.rawValue)"
                if let k = byPoint.firstIndex(where: { $0.0 == point }) { byPoint[k].1.append(change) } else { byPoint.append((point, [change])) }
            }
            for (point, changes) in byPoint {
                let fields = changes.filter { !$0.field.isEmpty }.map { "\($0.field) \($0.old.isEmpty ? "-" : $0.old) → \($0.new.isEmpty ? "-" : $0.new)" }
                text += TerminalText.escaped("    \(point)" + (fields.isEmpty ? "" : ": " + fields.joined(separator: ", "))) + "\n"
            }
        }
        if !pin.uncommitted.isEmpty {
            text += TerminalText.escaped("  not in any commit (a working-tree change to the rate cards): " + pin.uncommitted.joined(separator: ", ")) + "\n"
        }
        return text
    }

    /// One price pin as a JSON object.
    static func json(_ pin: PricePin, release: String? = nil) -> String {
        func change(_ c: PriceChange) -> String {
            "{\"kind\":\(JSON.quote(c.kind.rawValue)),\"provider\":\(JSON.quote(c.provider)),\"model\":\(JSON.quote(c.model)),\"effective\":\(JSON.quote(c.effective)),\"field\":\(JSON.quote(c.field)),\"old\":\(JSON.quote(c.old)),\"new\":\(JSON.quote(c.new))}"
        }
        func commit(_ c: PriceCommit) -> String {
            "{\"commit\":\(JSON.quote(c.id.hex)),\"author\":\(JSON.quote(c.author)),\"date\":\(JSON.quote(Timestamp.dateString(days: Timestamp.day(ofMillis: c.time)))),\"subject\":\(JSON.quote(c.subject)),\"changes\":[\(c.changes.map(change).joined(separator: ","))]}"
        }
        var out = "{"
        if let release { out += "\"release\":\(JSON.quote(release)),"}
        out += "\"row\":[\(pin.keys.map(JSON.quote).joined(separator: ","))],\"commits\":[\(pin.commits.map(commit).joined(separator: ","))],"
        return out + "\"uncommitted\":[\(pin.uncommitted.map(JSON.quote).joined(separator: ","))]}"
    }
}
