import Foundation

/// One row of one release at constant prices (see ``ConstantPrices``).
public struct ConstantSide: Sendable, Hashable {
    /// Cost of the usage at the constant prices; for events those prices cannot price, their own cost.
    public var cost: ExactDecimal = .zero
    /// Events the constant prices could not price (no price effect is counted for them).
    public var unpriced: Int64 = 0
    /// Models (`provider/model` as served) whose cost differs at the constant prices, with the
    /// first and last UTC day of those events: where to look for the rate-card change.
    public var repriced: [String: ClosedRange<String>] = [:]

    public init() {}

    /// Adds another part of the same release, checked.
    mutating func add(_ other: ConstantSide, for what: String) throws(SpendError) {
        do {
            cost = try cost.adding(other.cost)
            unpriced = try TokenCounts.add(unpriced, other.unpriced, field: "events")
        } catch {
            throw Aggregator.overflow(SumOverflow.cost(), across: what)
        }
        for (model, days) in other.repriced { repriced[model] = repriced[model].map { Self.union($0, days) } ?? days }
    }

    static func union(_ a: ClosedRange<String>, _ b: ClosedRange<String>) -> ClosedRange<String> {
        min(a.lowerBound, b.lowerBound)...max(a.upperBound, b.upperBound)
    }
}

/// Every release's rows at one set of constant prices, attributed like ``ReleaseUsage``.
public struct ConstantPriceUsage: Sendable {
    public var prices: ConstantPrices
    /// release → row keys → side.
    public var rows: [String: [[String]: ConstantSide]] = [:]

    /// The sum of a release's rows, checked.
    public func total(_ release: String) throws(SpendError) -> ConstantSide {
        var t = ConstantSide()
        for side in (rows[release] ?? [:]).values { try t.add(side, for: "the total of release \(release) at constant prices") }
        return t
    }

    /// Reads the ledger at `prices` for the releases in `releases` (all when nil), placing each
    /// group as ``ReleaseUsage/read(snapshot:query:attributor:summaries:)`` did. Only the shards
    /// holding events of those releases are priced again (through the summary cache, like the first
    /// reading): an event is priced twice at most.
    public static func read(
        snapshot: Snapshot, query: ReportQuery, attributor: ReleaseAttributor, summaries: SummaryEngine, prices: ConstantPrices,
        releases: Set<String>? = nil
    ) throws -> ConstantPriceUsage {
        let sq = try ReleaseUsage.summaryQuery(query)
        let n = query.dimensions.count
        func release(_ labels: [String]) -> String { attributor.place(release: labels[n + 4], commit: labels[n + 5], day: labels[0]).0 }
        // The own-price shard summaries: already read (memoized) by ReleaseUsage.read.
        let own = try summaries.shardSummaries(of: snapshot, query: sq)
        var wanted = Set<Int>()
        for (i, shard) in own.enumerated() {
            guard let shard else { continue }
            if let releases, !shard.cells.keys.contains(where: { releases.contains(release($0)) }) { continue }
            wanted.insert(i)
        }
        let constant =
            prices.differs && !wanted.isEmpty
            ? try summaries.shardSummaries(of: snapshot, book: prices.book, query: sq, lenient: true, only: wanted) : own
        var out = ConstantPriceUsage(prices: prices)
        for i in wanted.sorted() {
            guard let shard = own[i] else { continue }
            let frozen = constant[i]?.cells ?? [:]
            for (labels, cell) in shard.cells {
                let name = release(labels)
                if let releases, !releases.contains(name) { continue }
                let keys = Array(labels[1...n])
                var part = ConstantSide()
                if let c = frozen[labels], c.events == cell.events {
                    part.cost = c.cost
                } else {
                    part.cost = cell.cost
                    part.unpriced = cell.events - (frozen[labels]?.events ?? 0)
                }
                if part.cost != cell.cost { part.repriced[labels[n + 1] + "/" + labels[n + 2]] = labels[0]...labels[0] }
                try out.rows[name, default: [:]][keys, default: ConstantSide()].add(
                    part, for: "release \(name) (\(keys.joined(separator: ", "))) at constant prices")
            }
        }
        return out
    }
}

/// A change between two releases split into usage (at constant prices) and price (the rest).
///
///     usage Δ = cost of R2's usage at R1's prices − cost of R1's usage at R1's prices
///     price Δ = actual Δ − usage Δ
///
/// "R1's prices" are ``ConstantPrices`` at the end of R1's last day with calls; R1's own
/// usage is priced at them too, so a price change in the middle of R1 is price, not usage.
public struct PriceSplit: Sendable, Hashable {
    /// Each side's usage at the constant prices.
    public var constantA = ConstantSide()
    public var constantB = ConstantSide()
    public var usageDelta: ExactDecimal = .zero
    public var priceDelta: ExactDecimal = .zero
    /// Change of cost per request and per day at constant prices, in percent.
    public var usageCostPerRequestChange: ExactDecimal?
    public var usageCostPerDayChange: ExactDecimal?
    /// What the prices alone did to cost per request (and per day), in percent:
    /// `(cost_b / usage_cost_b) × (usage_cost_a / cost_a) − 1`.
    public var priceChange: ExactDecimal?
    /// Usage per request or per day up more than the threshold.
    public var usageSpike = false
    /// Prices alone moved cost per request more than the threshold, up or down.
    public var priceMoved = false

    public init() {}

    /// Events of either side the constant prices could not price (their own cost counts as usage).
    public var unpricedEvents: Int64 { constantA.unpriced + constantB.unpriced }

    /// Fills the figures from both sides' actual usage and their constant-price costs.
    mutating func compute(a: ReleaseSide, b: ReleaseSide, daysA: Int, daysB: Int, threshold: ExactDecimal, what: String) throws(SpendError) {
        usageDelta = try checkedDifference(constantB.cost, constantA.cost, for: what)
        priceDelta = try checkedDifference(try checkedDifference(b.usage.cost, a.usage.cost, for: what), usageDelta, for: what)
        func perRequest(_ cost: ExactDecimal, _ s: ReleaseSide) -> ExactDecimal? {
            s.usage.requests == 0 ? nil : cost.ratio(to: ExactDecimal(s.usage.requests), places: 8)
        }
        func perDay(_ cost: ExactDecimal, _ s: ReleaseSide, _ days: Int) -> ExactDecimal? {
            days == 0 || s.usage.requests == 0 ? nil : cost.ratio(to: ExactDecimal(days), places: 6)
        }
        usageCostPerRequestChange = percentChange(perRequest(constantA.cost, a), perRequest(constantB.cost, b))
        usageCostPerDayChange = percentChange(perDay(constantA.cost, a, daysA), perDay(constantB.cost, b, daysB))
        priceChange = nil
        if a.usage.requests > 0, b.usage.requests > 0, let num = try? b.usage.cost.multiplied(by: constantA.cost),
            let den = try? constantB.cost.multiplied(by: a.usage.cost)
        {
            priceChange = percentChange(den, num)
        }
        usageSpike = [usageCostPerRequestChange, usageCostPerDayChange].compactMap { $0 }.contains { $0 > threshold }
        priceMoved = priceChange.map { ($0.isNegative ? -$0 : $0) > threshold } ?? false
    }
}

extension ReleaseUsage {
    /// The summary query a release comparison reads: the day, the `--by` names, then provider, model, attempt, release and commit.
    static func summaryQuery(_ query: ReportQuery) throws(SpendError) -> ReportQuery {
        try DiffLayout.summaryQuery(query, extra: ["provider", "model", "attempt", "release", "commit"], period: .day)
    }
}
