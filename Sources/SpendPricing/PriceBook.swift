import SpendBase
import SpendFormats

/// Why an event could not be priced.
public struct PricingError: Error, Sendable, Hashable {
    /// `unknown-model`, `no-price` …
    public var rule: Rule
    public var message: String

    package init(rule: Rule, message: String) {
        self.rule = rule
        self.message = message
    }
}

/// Which rates of which point apply to a request: the point, the long-context
/// tier (or none), batch, and the service tier.
public struct RateSelection: Sendable, Hashable {
    public var point: Int32
    /// Index into the tier list in force (-1: base rates).
    public var tier: Int8
    public var batch: Bool
    /// nil: standard.
    public var serviceTier: String?
    /// Index into `PriceBook.discounts` of the contract discount in effect, -1: none.
    public var discount: Int32

    public init(point: Int32, tier: Int8, batch: Bool, serviceTier: String?, discount: Int32 = -1) {
        self.point = point
        self.tier = tier
        self.batch = batch
        self.serviceTier = serviceTier
        self.discount = discount
    }
}

/// The rates one `RateSelection` resolves to, ready to multiply.
public struct EffectiveRates: Sendable, Hashable {
    /// Per 1M tokens, after any batch discount.
    public var rates: TokenRates
    /// Per 1,000 calls.
    public var toolCallFees: [String: ExactDecimal]
    /// Names the point for messages: `openai/gpt-4o@2024-10-01`.
    public var pointId: String
    /// The contract discount in effect and the rates after it; nil: none
    /// (the effective cost is the list cost).
    public var discount: DiscountedRates?

    /// The exact cost of `usage` on `basis`: list rates, or the rates after
    /// the contract discount in effect; `overflow` when it needs more than
    /// ExactDecimal's 38 digits (beyond any realistic ledger).
    public func cost(_ usage: Usage, basis: CostBasis = .list) throws(PricingError) -> ExactDecimal {
        guard basis == .effective, let discount else { return try cost(usage, rates: rates, toolCallFees: toolCallFees) }
        return try cost(usage, rates: discount.rates, toolCallFees: discount.toolCallFees)
    }

    /// The list and effective costs of `usage`.
    public func costs(_ usage: Usage) throws(PricingError) -> CostPair {
        let list = try cost(usage)
        return CostPair(list: list, effective: discount == nil ? list : try cost(usage, basis: .effective))
    }

    private func cost(_ usage: Usage, rates: TokenRates, toolCallFees: [String: ExactDecimal]) throws(PricingError) -> ExactDecimal {
        var perMillion = ExactDecimal.zero
        func add(_ tokens: Int64, _ rate: ExactDecimal?, _ name: String) throws(PricingError) {
            guard tokens != 0 else { return }
            guard let rate else {
                throw PricingError(rule: .noPrice, message: "\(pointId) has no \(name) price, but \(tokens) \(name) tokens were used")
            }
            do {
                perMillion = try perMillion.adding(rate.times(tokens))
            } catch {
                throw overflow("\(tokens) \(name) tokens at \(rate) per 1M")
            }
        }
        try add(usage.inputTokens, rates.input, "input")
        try add(usage.cachedInputTokens, rates.cachedInput, "cached_input")
        try add(usage.cacheWriteTokens, rates.cacheWrite, "cache_write")
        try add(usage.cacheWrite1hTokens, rates.cacheWrite1h, "cache_write_1h")
        try add(usage.outputTokens, rates.output, "output")
        var total: ExactDecimal
        do {
            total = try perMillion.shifted(right: 6)
        } catch {
            throw overflow("\(perMillion) per 1M")
        }
        for (name, calls) in usage.toolCalls.sorted(by: { $0.key < $1.key }) where calls != 0 {
            guard let fee = toolCallFees[name] else {
                throw PricingError(rule: .noPrice, message: "\(pointId) has no price for tool calls \"\(name)\"")
            }
            do {
                total = try total.adding(fee.times(calls).shifted(right: 3))
            } catch {
                throw overflow("\(calls) \"\(name)\" tool calls at \(fee) per 1,000")
            }
        }
        return total
    }

    /// The `overflow` error for a cost that does not fit.
    private func overflow(_ what: String) -> PricingError {
        PricingError(
            rule: .overflow,
            message: "the cost at \(pointId) does not fit exact arithmetic (38 digits) at \(what)")
    }

    /// Checks that every kind of token/call used has a rate (without pricing).
    public func check(cached: Bool, cacheWrite: Bool, cacheWrite1h: Bool = false) -> PricingError? {
        if cached && rates.cachedInput == nil {
            return PricingError(rule: .noPrice, message: "\(pointId) has no cached_input price, but cached input tokens were used")
        }
        if cacheWrite && rates.cacheWrite == nil {
            return PricingError(rule: .noPrice, message: "\(pointId) has no cache_write price, but cache write tokens were used")
        }
        if cacheWrite1h && rates.cacheWrite1h == nil {
            return PricingError(rule: .noPrice, message: "\(pointId) has no cache_write_1h price, but 1-hour cache write tokens were used")
        }
        return nil
    }
}

/// Which cost a report shows and sums: list price, or list price after the
/// contract discount in effect (`[[discount]]`).
public enum CostBasis: String, Sendable, CaseIterable {
    case list
    case effective
}

/// The list and effective cost of the same usage.
public struct CostPair: Sendable, Hashable {
    public var list: ExactDecimal
    public var effective: ExactDecimal

    public init(list: ExactDecimal, effective: ExactDecimal) {
        self.list = list
        self.effective = effective
    }

    /// The cost on `basis`.
    public subscript(basis: CostBasis) -> ExactDecimal { basis == .list ? list : effective }
}

/// A contract discount applied to one rate selection: the rates and fees after it.
public struct DiscountedRates: Sendable, Hashable {
    public var discount: ContractDiscount
    /// Per 1M tokens, after batch and contract discounts.
    public var rates: TokenRates
    /// Per 1,000 calls, after the contract discount.
    public var toolCallFees: [String: ExactDecimal]
}

/// All rate cards of a repository, indexed for lookup: model names resolve
/// through aliases to a priced model, whose points are sorted by effective
/// date and found by binary search (beancount's price map).
public struct PriceBook: Sendable {
    public let cards: [RateCard]
    /// Every point of every card; `RateSelection.point` indexes this.
    public let points: [PricePoint]
    /// Priced models: provider, name, and point indices ordered by effective.
    public let models: [PricedModel]
    private let modelIndex: [String: Int]  // "provider\0model"
    private let cardIndex: [String: Int]  // provider → card
    private let aliasTables: [AliasTable]  // parallel to cards
    /// Every contract discount of every card; `RateSelection.discount` indexes this.
    public let discounts: [ContractDiscount]
    /// Per priced model (parallel to `models`): indices into `discounts` of
    /// the discounts that apply to it, by effective date (they never overlap).
    private let discountsByModel: [[Int32]]

    /// A priced model and its history.
    public struct PricedModel: Sendable {
        public var provider: String
        public var name: String
        public var pointIndices: [Int32]
        public var effectives: [Int64]
    }

    /// Builds the book. Alias problems (a target that is not priced, a loop)
    /// are returned as diagnostics; the book is usable for everything else.
    public init(cards: [RateCard]) {
        self.cards = cards
        var points: [PricePoint] = []
        var byModel: [String: [Int32]] = [:]
        var cardIndex: [String: Int] = [:]
        for (c, card) in cards.enumerated() {
            cardIndex[card.provider] = c
            for point in card.points {
                byModel[card.provider + "\u{0}" + point.model, default: []].append(Int32(points.count))
                points.append(point)
            }
        }
        var models: [PricedModel] = []
        var modelIndex: [String: Int] = [:]
        for key in byModel.keys.sorted() {
            let indices = byModel[key]!.sorted { points[Int($0)].effective < points[Int($1)].effective }
            let first = points[Int(indices[0])]
            modelIndex[key] = models.count
            models.append(
                PricedModel(
                    provider: first.provider, name: first.model, pointIndices: indices,
                    effectives: indices.map { points[Int($0)].effective }))
        }
        self.points = points
        self.models = models
        self.modelIndex = modelIndex
        self.cardIndex = cardIndex
        self.aliasTables = cards.map { card in AliasTable(card: card) { modelIndex[card.provider + "\u{0}" + $0] } }
        var discounts: [ContractDiscount] = []
        var discountsByModel = Array(repeating: [Int32](), count: models.count)
        for card in cards {
            for discount in card.discounts {
                for (m, model) in models.enumerated() where model.provider == card.provider && discount.applies(toModel: model.name) {
                    discountsByModel[m].append(Int32(discounts.count))
                }
                discounts.append(discount)
            }
        }
        self.discounts = discounts
        self.discountsByModel = discountsByModel.map { list in list.sorted { discounts[Int($0)].effective < discounts[Int($1)].effective } }
    }

    /// The contract discount of a priced model in effect at `ts` (an index
    /// into `discounts`), or -1.
    @inline(__always)
    public func discountIndex(model: Int, at ts: Int64) -> Int32 {
        for d in discountsByModel[model] where discounts[Int(d)].covers(ts) { return d }
        return -1
    }

    /// The card of a provider.
    public func card(provider: String) -> RateCard? {
        cardIndex[provider].map { cards[$0] }
    }

    /// The names a card prices or aliases exactly (what "did you mean" offers
    /// for an unknown model; only computed on that error path).
    public func knownModelNames(card c: Int) -> [String] {
        let card = cards[c]
        return models.filter { $0.provider == card.provider }.map(\.name) + card.aliases.filter { !$0.isGlob }.map(\.pattern)
    }

    /// Resolves a served model name to a priced model index.
    public func resolve(provider: String, model: String) -> Result<Int, PricingError> {
        guard let c = cardIndex[provider] else {
            let known = cards.map(\.provider).sorted().joined(separator: ", ")
            let hint = Suggestions.didYouMean(provider, in: cards.map(\.provider)).map { "; \($0)" } ?? ""
            return .failure(PricingError(rule: .unknownModel, message: "no rate card for provider \"\(provider)\" (cards: \(known))\(hint)"))
        }
        let card = cards[c]
        if let m = modelIndex[provider + "\u{0}" + model] { return .success(m) }
        let aliases = aliasTables[c]
        guard let target = aliases.target(of: model), let end = aliases.end(from: target) else {
            let hint = Suggestions.didYouMean(model, in: knownModelNames(card: c)).map { "; \($0)" } ?? ""
            return .failure(PricingError(rule: .unknownModel, message: "model \"\(model)\" matches no price or alias in \(card.path)\(hint)"))
        }
        switch end {
        case .priced(let m, let links):
            if links + 1 > AliasTable.maxLinks {
                return .failure(PricingError(rule: .unknownModel, message: tooLong(model, links: links + 1, to: m, card: c)))
            }
            return .success(m)
        case .nowhere(let name, _):
            return .failure(
                PricingError(
                    rule: .unknownModel,
                    message: "model \"\(model)\" (via alias to \"\(name)\") matches no price or alias in \(card.path)"))
        case .loop(let entry, let cycle, let links):
            // The chain stops at the first name met twice: `model` itself when it is on the loop.
            let onLoop = aliases.end(from: model) == .loop(entry: model, cycle: cycle, links: 0)
            let repeated = onLoop ? model : entry
            let length = onLoop ? cycle : links + 1 + cycle
            return .failure(
                PricingError(
                    rule: .unknownModel,
                    message: "aliases for \"\(model)\" loop in \(card.path): \(chainText(from: model, to: repeated, in: aliases, links: length))"
                        + (length > Self.chainShown ? " (a loop of \(cycle) aliases through \"\(repeated)\")" : "")))
        }
    }

    /// "alias chain for "a" … is too long: N links (a → b → … → z); …"
    private func tooLong(_ name: String, links: Int, to model: Int, card c: Int) -> String {
        let last = models[model].name
        return "alias chain for \"\(name)\" in \(cards[c].path) is too long: \(links) links "
            + "(\(chainText(from: name, to: last, in: aliasTables[c], links: links))); at most \(AliasTable.maxLinks) are followed: "
            + "alias \"\(name)\" to \"\(last)\" directly"
    }

    /// Names shown in full in a chain message; a longer chain shows its first
    /// names, "…", and its last name.
    static let chainShown = 16

    /// `a → b → c`: the alias chain of `links` links from `name` to `last`,
    /// elided in the middle when long (`a → b → … → z`). Reads at most
    /// `chainShown` links.
    private func chainText(from name: String, to last: String, in aliases: AliasTable, links: Int) -> String {
        var names = [name]
        var current = name
        while names.count < min(links, Self.chainShown), let next = aliases.target(of: current) {
            names.append(next)
            current = next
        }
        if links >= Self.chainShown { names.append("…") }
        names.append(last)
        return names.joined(separator: " → ")
    }

    /// The alias that claims a name: an exact alias, else the most specific glob.
    package static func matchingAlias(of name: String, in card: RateCard) -> ModelAlias? {
        if let exact = card.aliases.first(where: { !$0.isGlob && $0.pattern == name }) { return exact }
        var best: (specificity: Int, alias: ModelAlias)?
        for alias in card.aliases where alias.isGlob {
            let glob = Glob(alias.pattern)
            if glob.matches(name), best == nil || glob.literalCount > best!.specificity {
                best = (glob.literalCount, alias)
            }
        }
        return best?.alias
    }

    /// The point of a priced model in effect at `ts`, or nil before its first point.
    @inline(__always)
    public func pointIndex(model: Int, at ts: Int64) -> Int32? {
        let effectives = models[model].effectives
        var lo = 0
        var hi = effectives.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if effectives[mid] <= ts { lo = mid + 1 } else { hi = mid }
        }
        return lo == 0 ? nil : models[model].pointIndices[lo - 1]
    }

    /// Validity interval `[from, until)` of a point (until = next point's effective, or Int64.max).
    public func validity(ofPoint index: Int32, model: Int) -> Range<Int64> {
        let m = models[model]
        let k = m.pointIndices.firstIndex(of: index)!
        let from = m.effectives[k]
        let until = k + 1 < m.effectives.count ? m.effectives[k + 1] : Int64.max
        return from..<until
    }

    /// The error for a model priced only from a later date.
    public func noPriceError(model: Int, ts: Int64) -> PricingError {
        let m = models[model]
        let first = points[Int(m.pointIndices[0])]
        return PricingError(
            rule: .noPrice,
            message: "no price for \(m.provider)/\(m.name) in effect at \(Timestamp.format(millis: ts)) (first point is effective \(first.effectiveText), \(first.location))")
    }

    /// Chooses the rates for a request at a point: service tier, long-context
    /// tier (per request: `prompt tokens > threshold × requests`), batch.
    public func selection(
        point index: Int32, promptTokens: Int64, requests: Int64, batch: Bool, serviceTier: String?
    ) -> RateSelection {
        let point = points[Int(index)]
        var standard = serviceTier == nil || serviceTier == "standard" || serviceTier == "default"
        var tier = standard ? Self.tierIndex(point.tiers, promptTokens: promptTokens, requests: requests) : -1
        if !standard, let rates = point.serviceTiers[serviceTier!] {
            tier = Self.tierIndex(rates.tiers, promptTokens: promptTokens, requests: requests)
            // A batch call is billed at batch rates: a service tier applies to it only where that
            // tier (or its long-context tier in effect) has batch rates of its own; otherwise the
            // standard rates' batch price does (docs/FORMAT.md, "Computing a cost").
            if batch, (tier >= 0 ? rates.tiers[Int(tier)].batchRates : rates.batchRates).isEmpty {
                standard = true
                tier = Self.tierIndex(point.tiers, promptTokens: promptTokens, requests: requests)
            }
        }
        return RateSelection(point: index, tier: tier, batch: batch, serviceTier: standard ? nil : serviceTier)
    }

    /// The highest long-context tier whose threshold × requests the prompt tokens pass, or -1.
    static func tierIndex(_ tiers: [PriceTier], promptTokens: Int64, requests: Int64) -> Int8 {
        var tier: Int8 = -1
        for (k, t) in tiers.enumerated() where TokenCounts.exceeds(promptTokens, threshold: t.aboveInputTokens, requests: max(requests, 1)) {
            tier = Int8(k)
        }
        return tier
    }

    /// The rates of a selection, or why there are none (unknown service tier, no batch price).
    public func effectiveRates(_ s: RateSelection) -> Result<EffectiveRates, PricingError> {
        let point = points[Int(s.point)]
        var rates: TokenRates
        // The explicit batch rates written next to `rates`, and how messages name that rate set.
        var batchRates: TokenRates
        var rateSet = ""
        if let name = s.serviceTier {
            guard let serviceTier = point.serviceTiers[name] else {
                let known = point.serviceTiers.keys.sorted()
                return .failure(
                    PricingError(
                        rule: .noPrice,
                        message: "\(point.id) has no price for service tier \"\(name)\"\(known.isEmpty ? "" : " (has: \(known.joined(separator: ", ")))")"))
            }
            let tier = s.tier >= 0 ? serviceTier.tiers[Int(s.tier)] : nil
            rates = tier?.rates ?? serviceTier.rates
            batchRates = tier?.batchRates ?? serviceTier.batchRates
            rateSet = " for service tier \"\(name)\"" + (tier.map { " above \($0.aboveInputTokens) input tokens" } ?? "")
        } else {
            let tier = s.tier >= 0 ? point.tiers[Int(s.tier)] : nil
            rates = tier?.rates ?? point.rates
            batchRates = tier?.batchRates ?? point.batchRates
            rateSet = tier.map { " for its tier above \($0.aboveInputTokens) input tokens" } ?? ""
        }
        if s.batch {
            guard let batch = Self.batchRates(rates, explicit: batchRates, discount: point.batchDiscount) else {
                let fix = rateSet.isEmpty ? "batch_discount or batch_input/batch_output" : "batch_input/batch_output there, or a batch_discount on the point"
                return .failure(PricingError(rule: .noPrice, message: "\(point.id) has no batch price\(rateSet) (\(fix))"))
            }
            rates = batch
        }
        var discount: DiscountedRates?
        if s.discount >= 0 {
            // RateCardParser bounds every discounted rate and fee to 12 places below 10^6: the products fit.
            let d = discounts[Int(s.discount)]
            let multiplier = d.multiplier
            discount = DiscountedRates(
                discount: d, rates: rates.scaled(by: multiplier), toolCallFees: point.toolCallFees.mapValues { $0 * multiplier })
        }
        return .success(EffectiveRates(rates: rates, toolCallFees: point.toolCallFees, pointId: point.id, discount: discount))
    }

    /// The batch rates of one rate set (the point's base rates, a long-context
    /// tier, a service tier or a service tier's tier): per token kind, the
    /// set's own explicit `batch_*` rate, else its rate × `batch_discount`;
    /// nil when the set has neither. Explicit batch rates never cross sets: a
    /// tier without its own uses the discount, not the base rates' batch rates.
    static func batchRates(_ rates: TokenRates, explicit: TokenRates, discount: ExactDecimal?) -> TokenRates? {
        guard !explicit.isEmpty || discount != nil else { return nil }
        let discounted = discount.map { rates.scaled(by: $0) }
        return TokenRates(
            input: explicit.input ?? discounted?.input, cachedInput: explicit.cachedInput ?? discounted?.cachedInput,
            cacheWrite: explicit.cacheWrite ?? discounted?.cacheWrite, cacheWrite1h: explicit.cacheWrite1h ?? discounted?.cacheWrite1h,
            output: explicit.output ?? discounted?.output)
    }

    /// Prices one request or roll-up line end to end, on `basis`.
    public func price(
        provider: String, model: String, at ts: Int64, usage: Usage, batch: Bool = false, serviceTier: String? = nil,
        basis: CostBasis = .list
    ) throws(PricingError) -> (cost: ExactDecimal, point: PricePoint) {
        let m = try resolve(provider: provider, model: model).get()
        guard let index = pointIndex(model: m, at: ts) else { throw noPriceError(model: m, ts: ts) }
        let promptTokens: Int64
        do {
            promptTokens = try usage.promptTokens()
        } catch {
            throw PricingError(rule: .overflow, message: error.message)
        }
        var selection = self.selection(
            point: index, promptTokens: promptTokens, requests: usage.requests, batch: batch, serviceTier: serviceTier)
        selection.discount = discountIndex(model: m, at: ts)
        let rates = try effectiveRates(selection).get()
        return (try rates.cost(usage, basis: basis), points[Int(index)])
    }

    /// Alias targets that are not priced, alias loops, and alias chains longer
    /// than `AliasTable.maxLinks` (reported once, at the alias that starts
    /// the chain), as diagnostics.
    public func aliasDiagnostics() -> [Diagnostic] {
        var out: [Diagnostic] = []
        for (c, card) in cards.enumerated() {
            let targets = Set(card.aliases.map(\.target))
            for alias in card.aliases {
                guard let end = aliasTables[c].end(from: alias.target) else { continue }
                if case .priced(let m, let links) = end {
                    // Too long: once per chain, at the alias no other alias points to.
                    guard links + 1 > AliasTable.maxLinks, !targets.contains(alias.pattern) else { continue }
                    out.append(
                        Diagnostic(
                            path: card.path, line: alias.line, rule: .ratecardAlias,
                            message: "alias \"\(alias.pattern)\" → \"\(alias.target)\": "
                                + tooLong(alias.pattern, links: links + 1, to: m, card: c)))
                } else if case .failure(let e) = resolve(provider: card.provider, model: alias.target) {
                    out.append(
                        Diagnostic(
                            path: card.path, line: alias.line, rule: .ratecardAlias,
                            message: "alias \"\(alias.pattern)\" → \"\(alias.target)\" points nowhere: \(e.message)"))
                }
            }
        }
        return out
    }
}
