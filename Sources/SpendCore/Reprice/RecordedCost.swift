/// An event's cost "as recorded" — reprice's rule, shared with `spend report`
/// on the as-recorded price basis: its stored `cost` (a list cost), else the
/// card blob its `priced_with` names, else the cards as committed at its `ts`.
/// Per chunk (it caches one pricer per recorded book); the books are shared.
struct RecordedCost {
    let books: RecordedBooks
    /// Pricers of the recorded books, by book index, made on first use.
    private var pricers: [EventPricer?] = []

    init(books: RecordedBooks) { self.books = books }

    /// The event's stored cost when `basis` is list (stored costs are list
    /// costs), nil when it has none or the basis is effective; a cost that is
    /// not a decimal string is `error[schema]`.
    static func stored(_ scan: inout ChunkScan, basis: CostBasis) -> Result<ExactDecimal?, PricingError> {
        let e = scan.event
        guard !e.cost.isAbsent, basis == .list else { return .success(nil) }
        guard let parsed = ExactDecimal(scan.string(e.cost)) else {
            return .failure(PricingError(rule: .schema, message: "cost must be a decimal string, got \"\(scan.string(e.cost))\""))
        }
        return .success(parsed)
    }

    /// The event's cost with the recorded cards: its `priced_with` blob, else the cards committed at its ts.
    mutating func cards(_ scan: inout ChunkScan, basis: CostBasis) -> Result<ExactDecimal, PricingError> {
        let e = scan.event
        var index: Int?
        if !e.pricedWith.isAbsent, let named = RecordedBooks.parsePricedWith(scan.string(e.pricedWith)),
            let found = books.book(blob: named.blob, path: named.path)
        {
            index = found.index
        }
        guard let k = index ?? books.book(at: e.ts) else {
            return .failure(PricingError(rule: .noPrice, message: "no rate cards were ever committed"))
        }
        if k >= pricers.count { pricers += Array(repeating: nil, count: k + 1 - pricers.count) }
        if pricers[k] == nil { pricers[k] = EventPricer(book: books.book(k).book, interner: &scan.interner) }
        switch pricers[k]!.price(e, scanner: scan.scanner, interner: &scan.interner) {
        case .failure(let f):
            return .failure(PricingError(rule: f.error.rule, message: "as recorded (\(books.book(k).label)): \(f.error.message)"))
        case .success(let priced):
            return Result { () throws(PricingError) in try pricers[k]!.cost(e, priced, scanner: scan.scanner, basis: basis) }
        }
    }

    /// The event's cost as recorded: stored (list basis), else the recorded cards.
    mutating func cost(_ scan: inout ChunkScan, basis: CostBasis) -> Result<ExactDecimal, PricingError> {
        switch Self.stored(&scan, basis: basis) {
        case .failure(let error): return .failure(error)
        case .success(let stored?): return .success(stored)
        case .success(nil): return cards(&scan, basis: basis)
        }
    }
}
