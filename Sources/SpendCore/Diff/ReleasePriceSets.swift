import Foundation

/// Every release's usage at each set of constant prices `spend releases` compares it at, with each
/// event priced at most once per set of price points it needs.
///
/// A release is compared at its previous release's prices (as the later side) and, when a release
/// follows it, at its own (as the earlier side). Releases whose last days fall in one price epoch
/// share one ``ConstantPrices`` (one id). A release whose days with calls all fall in one price
/// epoch (no point takes effect from the start of its first day to the end of its last) was already
/// priced at those points by ``ReleaseUsage``: at that epoch's constant prices its rows are its own
/// costs, not priced again. Only the other releases are read through ``ConstantPriceUsage`` (the
/// shards holding their events), once per id.
public struct ReleasePriceSets: Sendable {
    /// The constant prices by id (``id(of:)``).
    public var prices: [String: ConstantPrices] = [:]
    /// Each id's rows: of every release compared at those prices, or compared with one that is.
    public var readings: [String: ConstantPriceUsage] = [:]
    /// For each release with a previous one (`previousOf`), the id of the previous release's prices.
    public var comparedAt: [String: String] = [:]

    /// The prices `release` is compared with its previous release at, and its rows and the previous one's there.
    public func reading(comparing release: String) -> ConstantPriceUsage? {
        comparedAt[release].flatMap { readings[$0] }
    }

    /// Reads the constant-price rows each pair of `previousOf` (release → the previous release) needs.
    public static func read(
        snapshot: Snapshot, query: ReportQuery, attributor: ReleaseAttributor, summaries: SummaryEngine, usage: ReleaseUsage,
        previousOf: [String: String]
    ) throws -> ReleasePriceSets {
        var sets = ReleasePriceSets()
        var needed: [String: Set<String>] = [:]
        for (name, previous) in previousOf {
            let prices = ConstantPrices(
                book: snapshot.priceBook, at: ReleaseDiffEngine.priceInstant(previous, days: usage.days[previous], tag: attributor.tag(named: previous)))
            let id = id(of: prices)
            sets.comparedAt[name] = id
            sets.prices[id] = prices
            needed[id, default: []].formUnion([name, previous])
        }
        var ownSet: [String: String] = [:]
        for name in Set(needed.values.joined()) { ownSet[name] = ownPriceSet(days: usage.days[name], book: snapshot.priceBook) }
        for (id, prices) in sets.prices.sorted(by: { $0.key < $1.key }) {
            let releases = needed[id] ?? []
            let atOwn = releases.filter { ownSet[$0] == id }
            let priced = releases.subtracting(atOwn)
            var reading =
                priced.isEmpty
                ? ConstantPriceUsage(prices: prices)
                : try ConstantPriceUsage.read(
                    snapshot: snapshot, query: query, attributor: attributor, summaries: summaries, prices: prices, releases: priced)
            for name in atOwn { reading.rows[name] = (usage.rows[name] ?? [:]).mapValues(ConstantSide.init(atOwnPrices:)) }
            sets.readings[id] = reading
        }
        return sets
    }

    /// A set of constant prices' identity: its book's key (releases in one price epoch share it).
    static func id(of prices: ConstantPrices) -> String {
        SummaryEngine.bookKey(prices.book) ?? "at \(prices.instant)"
    }

    /// The id of the one set of price points that priced a release's events at their own prices: when
    /// the constant prices at the start of its first day with calls and at the end of its last are the
    /// same (no point takes effect in between); nil otherwise, or without days.
    static func ownPriceSet(days: Set<String>?, book: PriceBook) -> String? {
        guard let first = days?.min(), let last = days?.max(), let start = Timestamp.parseDateOrTimestamp(first),
            let end = ConstantPrices.endOfDay(last)
        else { return nil }
        let atStart = id(of: ConstantPrices(book: book, at: start))
        return atStart == id(of: ConstantPrices(book: book, at: end)) ? atStart : nil
    }
}

extension ConstantSide {
    /// A row whose events the constant prices price exactly as their own did: its own cost, nothing repriced.
    init(atOwnPrices side: ReleaseSide) {
        self.init()
        cost = side.usage.cost
    }
}
