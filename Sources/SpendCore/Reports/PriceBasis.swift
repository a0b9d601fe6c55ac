/// Which prices a report's costs are at.
public enum PriceBasis: String, Sendable, Hashable, CaseIterable {
    /// Today's rate cards: the price in effect at each event's `ts` (the default).
    case current
    /// What the books said then (`RecordedCost`, reprice's rule): the event's
    /// stored `cost`, else the cards it was priced with or committed at its `ts`.
    case asRecorded = "as-recorded"

    /// The other basis (the one a report's foot compares with).
    public var other: PriceBasis { self == .current ? .asRecorded : .current }
}

/// What a report aggregation sums beside the usage it prices at current prices.
enum RecordedSums: Sendable {
    /// Nothing (diff, releases).
    case none
    /// The stored `cost` of the events that carry one (list cost): the foot's
    /// comparison, read in the same scan.
    case stored
    /// Every event's as-recorded cost, list and effective: `required` on
    /// `PriceBasis.asRecorded` (an event without one is an error), else only
    /// compared (an event without one is left out of the comparison).
    case asRecorded(RecordedBooks, required: Bool)
}

/// The as-recorded costs of one group's events that have one, and their
/// usage (to price the same events at current prices).
public struct RecordedGroup: Sendable {
    public var usage: [RateSelection: Usage] = [:]
    public var list = ExactDecimal.zero
    /// Summed for `PriceBasis.asRecorded` only (stored costs are list costs).
    public var effective = ExactDecimal.zero
    public var events = 0
}

extension RecordedBooks {
    /// The card history of a cost repository (at `revision`, else HEAD) as
    /// recorded books, or nil when the repository has no git history to read.
    static func of(_ repository: CostRepository, revision: String?) throws(SpendError) -> RecordedBooks {
        let history = try CardHistory(costRepository: repository, revision: revision)
        history.preloadCards()
        return try RecordedBooks(history: history)
    }
}

extension Aggregator {
    /// Makes the aggregation a report on `prices` at `basis` reads: on
    /// `.current` at list cost, the stored costs summed beside (the
    /// comparison, in the same scan); on `.asRecorded`, or at effective cost
    /// (stored costs are list costs), every event's as-recorded cost, from the
    /// card history of `repository` at `revision` (else HEAD) — on
    /// `.current`, nothing is compared when there is no history to read.
    public mutating func record(prices: PriceBasis, basis: CostBasis, repository: CostRepository, revision: String?) throws(SpendError) {
        switch (prices, basis) {
        case (.current, .list): recording = .stored
        case (.current, .effective):
            guard let books = try? RecordedBooks.of(repository, revision: revision) else {
                recording = .none
                return
            }
            recording = .asRecorded(books, required: false)
        case (.asRecorded, _): recording = .asRecorded(try RecordedBooks.of(repository, revision: revision), required: true)
        }
    }
}
