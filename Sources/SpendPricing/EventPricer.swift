import SpendBase
import SpendFormats

/// Where and why a scanned event could not be priced.
public struct EventPricingFailure: Error, Sendable {
    /// Byte offset in the buffer (the model value, or the line start).
    public var offset: Int
    public var error: PricingError
}

/// How a scanned event is priced: its model, point, tier, service tier, and
/// the index of its rate selection in `EventPricer.selectionRates`.
public struct PricedEvent: Sendable {
    public var model: Int32
    public var point: Int32
    public var tier: Int32
    /// Interned id of the service tier, -1 for standard.
    public var serviceTier: Int32
    public var selection: Int32
}

/// A rate selection by ids (thread-local: the service tier is an interned id).
public struct RateSelectionKey: Hashable, Sendable {
    public var point: Int32
    public var tier: Int32
    public var batch: Bool
    public var serviceTier: Int32
    /// Index into `PriceBook.discounts`, -1: none.
    public var discount: Int32 = -1
}

/// Prices scanned events against a price book, one per thread, caching model
/// resolution by interned name and rates by selection. The one place a
/// ledger line is judged priceable: reports, lint and append all use it.
public struct EventPricer {
    public let book: PriceBook
    private var modelCache: [UInt64: Int32] = [:]
    private var modelErrors: [UInt64: PricingError] = [:]
    // Resolved model by model-name id (first provider seen): the common case.
    private var fastModel: [(provider: Int32, model: Int32)] = []
    private var selectionIndex: [RateSelectionKey: Int32] = [:]
    /// Rates (or why there are none) by selection index.
    public private(set) var selectionRates: [Result<EffectiveRates, PricingError>] = []
    /// The selections, by index, with service tier names.
    public private(set) var selections: [RateSelection] = []
    /// What the hot path checks of each selection without copying its rates
    /// (``EffectiveRates`` is large: a copy per event costs a memcpy).
    private var selectionFacts: [SelectionFacts] = []
    private var serviceTierNames: [Int32: String] = [:]
    private let standardTiers: [[Int64]]
    private let standardID: Int32
    private let defaultID: Int32

    public init(book: PriceBook, interner: inout StringInterner) {
        self.book = book
        standardTiers = book.points.map { $0.tiers.map(\.aboveInputTokens) }
        standardID = interner.intern("standard")
        defaultID = interner.intern("default")
    }

    /// The priced model a (provider, model) pair of interned names resolves to, or -1.
    @inline(__always)
    public mutating func resolve(providerID: Int32, modelID: Int32, interner: StringInterner) -> Int32 {
        let slot = Int(modelID)
        if slot < fastModel.count && fastModel[slot].provider == providerID { return fastModel[slot].model }
        let key = UInt64(UInt32(bitPattern: providerID)) << 32 | UInt64(UInt32(bitPattern: modelID))
        if let cached = modelCache[key] { return cached }
        let model: Int32
        switch book.resolve(provider: interner.string(providerID), model: interner.string(modelID)) {
        case .success(let m): model = Int32(m)
        case .failure(let error):
            model = -1
            modelErrors[key] = error
        }
        modelCache[key] = model
        if slot >= fastModel.count { fastModel += Array(repeating: (-1, -1), count: slot + 64 - fastModel.count) }
        if fastModel[slot].provider < 0 { fastModel[slot] = (providerID, model) }
        return model
    }

    /// Why a pair did not resolve.
    public func resolutionError(providerID: Int32, modelID: Int32) -> PricingError {
        modelErrors[UInt64(UInt32(bitPattern: providerID)) << 32 | UInt64(UInt32(bitPattern: modelID))]
            ?? PricingError(rule: .unknownModel, message: "unknown model")
    }

    /// Chooses the point, tier, service tier and batch rates of an event whose
    /// model resolved to `model`, and checks every kind of token and tool it
    /// uses has a price.
    @inline(__always)
    public mutating func price(
        _ e: EventRecord, model: Int32, scanner: LedgerScanner, interner: inout StringInterner
    ) -> Result<PricedEvent, EventPricingFailure> {
        guard let point = book.pointIndex(model: Int(model), at: e.ts) else {
            return .failure(EventPricingFailure(offset: e.lineStart, error: book.noPriceError(model: Int(model), ts: e.ts)))
        }
        var serviceTier: Int32 = -1
        if !e.serviceTier.isAbsent {
            let id: Int32
            if e.serviceTier.escaped {
                id = interner.intern(scanner.string(e.serviceTier) ?? "")
            } else {
                id = interner.intern(scanner.base + e.serviceTier.start, e.serviceTier.count)
            }
            if id != standardID && id != defaultID { serviceTier = id }
        }
        var tier: Int32 = -1
        let prompt = e.promptTokens
        var serviceTierName: String?
        if serviceTier < 0 {
            let thresholds = standardTiers[Int(point)]
            for k in 0..<thresholds.count where TokenCounts.exceeds(prompt, threshold: thresholds[k], requests: e.requests) { tier = Int32(k) }
        } else {
            let name = serviceTierNames[serviceTier] ?? interner.string(serviceTier)
            serviceTierNames[serviceTier] = name
            serviceTierName = name
            tier = Int32(book.selection(point: point, promptTokens: prompt, requests: e.requests, batch: e.batch, serviceTier: name).tier)
        }
        let discount = book.discountIndex(model: Int(model), at: e.ts)
        let key = RateSelectionKey(point: point, tier: tier, batch: e.batch, serviceTier: serviceTier, discount: discount)
        let index: Int32
        if let known = selectionIndex[key] {
            index = known
        } else {
            let selection = RateSelection(point: point, tier: Int8(tier), batch: e.batch, serviceTier: serviceTierName, discount: discount)
            index = Int32(selections.count)
            selections.append(selection)
            let rates = book.effectiveRates(selection)
            selectionRates.append(rates)
            selectionFacts.append(SelectionFacts(rates))
            selectionIndex[key] = index
        }
        let facts = selectionFacts[Int(index)]
        // The common case — priced, every cache kind it uses has a rate, no
        // tool calls — needs nothing more; anything else is checked in full.
        if facts.priced && e.toolCalls.isEmpty && (e.cachedInputTokens == 0 || facts.cachedInput)
            && (e.cacheWriteTokens == 0 || facts.cacheWrite) && (e.cacheWrite1hTokens == 0 || facts.cacheWrite1h)
        {
            return .success(PricedEvent(model: model, point: point, tier: tier, serviceTier: serviceTier, selection: index))
        }
        return checked(e, model: model, point: point, tier: tier, serviceTier: serviceTier, selection: index, scanner: scanner)
    }

    /// The full check of an event against its selection's rates: the missing
    /// cache or tool price it uses, else the priced event.
    @inline(never)
    private func checked(
        _ e: EventRecord, model: Int32, point: Int32, tier: Int32, serviceTier: Int32, selection index: Int32, scanner: LedgerScanner
    ) -> Result<PricedEvent, EventPricingFailure> {
        switch selectionRates[Int(index)] {
        case .failure(let error):
            return .failure(EventPricingFailure(offset: e.lineStart, error: error))
        case .success(let rates):
            if e.cachedInputTokens > 0 || e.cacheWriteTokens > 0 || e.cacheWrite1hTokens > 0,
                let error = rates.check(
                    cached: e.cachedInputTokens > 0, cacheWrite: e.cacheWriteTokens > 0, cacheWrite1h: e.cacheWrite1hTokens > 0)
            {
                return .failure(EventPricingFailure(offset: e.lineStart, error: error))
            }
            for k in e.toolCalls where scanner.toolCalls[k].count > 0 {
                let name = scanner.string(scanner.toolCalls[k].name) ?? ""
                if rates.toolCallFees[name] == nil {
                    return .failure(
                        EventPricingFailure(
                            offset: e.lineStart,
                            error: PricingError(rule: .noPrice, message: "\(rates.pointId) has no price for tool calls \"\(name)\"")))
                }
            }
        }
        return .success(PricedEvent(model: model, point: point, tier: tier, serviceTier: serviceTier, selection: index))
    }

    /// Resolves and prices in one step (interning provider and model).
    public mutating func price(_ e: EventRecord, scanner: LedgerScanner, interner: inout StringInterner) -> Result<PricedEvent, EventPricingFailure> {
        let providerID = Self.intern(e.provider, scanner, &interner)
        let modelID = Self.intern(e.model, scanner, &interner)
        let model = resolve(providerID: providerID, modelID: modelID, interner: interner)
        guard model >= 0 else {
            return .failure(EventPricingFailure(offset: e.model.start - 1, error: resolutionError(providerID: providerID, modelID: modelID)))
        }
        return price(e, model: model, scanner: scanner, interner: &interner)
    }

    /// The exact cost of one scanned event on `basis` (list, or after the contract discount in effect).
    public func cost(_ e: EventRecord, _ priced: PricedEvent, scanner: LedgerScanner, basis: CostBasis = .list) throws(PricingError) -> ExactDecimal {
        var usage = Usage(
            requests: e.requests, inputTokens: e.inputTokens, cachedInputTokens: e.cachedInputTokens,
            cacheWriteTokens: e.cacheWriteTokens, cacheWrite1hTokens: e.cacheWrite1hTokens, outputTokens: e.outputTokens)
        for k in e.toolCalls {
            // Each count ≤ TokenCounts.perEventLimit (the scanner's bound); a name repeated in one event sums checked.
            let name = scanner.string(scanner.toolCalls[k].name) ?? ""
            do {
                usage.toolCalls[name] = try TokenCounts.add(usage.toolCalls[name] ?? 0, scanner.toolCalls[k].count, field: "tool_calls \"\(name)\"")
            } catch {
                throw PricingError(rule: .overflow, message: error.message)
            }
        }
        return try selectionRates[Int(priced.selection)].get().cost(usage, basis: basis)
    }

    @inline(__always)
    package static func intern(_ span: ByteSpan, _ scanner: LedgerScanner, _ interner: inout StringInterner) -> Int32 {
        span.escaped ? interner.intern(scanner.string(span) ?? "") : interner.intern(scanner.base + span.start, span.count)
    }
}

/// Which optional rates a selection has, for the pricer's hot path.
private struct SelectionFacts {
    var priced: Bool
    var cachedInput: Bool
    var cacheWrite: Bool
    var cacheWrite1h: Bool

    init(_ rates: Result<EffectiveRates, PricingError>) {
        switch rates {
        case .success(let r):
            (priced, cachedInput, cacheWrite, cacheWrite1h) = (true, r.rates.cachedInput != nil, r.rates.cacheWrite != nil, r.rates.cacheWrite1h != nil)
        case .failure:
            (priced, cachedInput, cacheWrite, cacheWrite1h) = (false, false, false, false)
        }
    }
}
