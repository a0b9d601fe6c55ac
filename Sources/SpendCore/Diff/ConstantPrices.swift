import Foundation

/// A release's prices held constant: the rate cards with every priced model
/// reduced to the one point in effect at an instant (the end of the last UTC
/// day on which the release made calls), so events of any date price at the
/// rates that release's events used. A model with no point in effect then
/// (priced only from a later date) keeps all its points: its events price as
/// they do normally, with no price effect.
///
/// It is one extra price book per comparison: the shards holding the compared
/// releases' events are summarized with it once more (through the summary
/// cache, keyed by the card blobs and the instant's price epoch), so a release
/// diff prices an event twice at most (`spend releases`: ``ReleasePriceSets``).
public struct ConstantPrices: Sendable {
    /// The instant the prices are taken at (ms since the epoch).
    public var instant: Int64
    /// The book with every point frozen at `instant`.
    public var book: PriceBook
    /// False when freezing changed nothing (every model has one point, or none yet): the own-price summary stands in.
    public var differs: Bool

    /// The end of a UTC day (`YYYY-MM-DD`): its last millisecond.
    public static func endOfDay(_ day: String) -> Int64? {
        guard let start = Timestamp.parseDateOrTimestamp(day) else { return nil }
        return start + Timestamp.millisPerDay - 1
    }

    /// `book` with every model's points reduced to the point in effect at `instant`.
    public init(book: PriceBook, at instant: Int64) {
        self.instant = instant
        var differs = false
        var cards: [RateCard] = []
        for card in book.cards {
            var byModel: [String: [PricePoint]] = [:]
            var order: [String] = []
            for p in card.points {
                if byModel[p.model] == nil { order.append(p.model) }
                byModel[p.model, default: []].append(p)
            }
            var points: [PricePoint] = []
            var epoch: Int64?
            for model in order {
                let all = byModel[model]!
                // The latest point effective at or before the instant (the first in card order among equals, as PriceBook sorts stably).
                var chosen: PricePoint?
                for p in all where p.effective <= instant && (chosen == nil || p.effective > chosen!.effective) { chosen = p }
                guard var point = chosen else {
                    points += all  // priced only from a later date: its own prices
                    continue
                }
                epoch = max(epoch ?? point.effective, point.effective)
                if all.count > 1 { differs = true }
                point.effective = Int64.min
                points.append(point)
            }
            var frozen = card
            frozen.points = points
            // The frozen card's identity: the card's blob and its price epoch at the instant
            // (two instants with no point effective in between freeze alike and share the cache).
            frozen.blobId = card.blobId.map { $0 + "@" + (epoch.map(String.init) ?? "-") }
            cards.append(frozen)
        }
        self.book = differs ? PriceBook(cards: cards) : book
        self.differs = differs
    }
}
