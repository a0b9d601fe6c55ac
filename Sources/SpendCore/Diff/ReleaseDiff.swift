import Foundation

/// A row of a release diff.
public struct ReleaseDiffRow: Sendable, Hashable {
    public var keys: [String]
    public var a = ReleaseSide()
    public var b = ReleaseSide()
    public var costPerRequestA: ExactDecimal?
    public var costPerRequestB: ExactDecimal?
    public var costPerDayA: ExactDecimal?
    public var costPerDayB: ExactDecimal?
    /// A usage spike: cost per request or per day at constant prices up more than the threshold.
    public var spike = false
    /// The change split into usage and price (see ``PriceSplit``).
    public var split = PriceSplit()

    /// `cost_b − cost_a` (checked once by `ReleaseDiffEngine.diff`, so it cannot trap here).
    public var delta: ExactDecimal { b.usage.cost - a.usage.cost }
    public var deltaPercent: ExactDecimal? { percentChange(a.usage.cost, b.usage.cost) }
    public var costPerRequestChange: ExactDecimal? { percentChange(costPerRequestA, costPerRequestB) }
    public var costPerDayChange: ExactDecimal? { percentChange(costPerDayA, costPerDayB) }
}

/// Commits that may explain a spike.
public struct Pin: Sendable, Hashable {
    public var keys: [String]
    /// The mapping's globs (empty when the row has none).
    public var paths: [String]
    /// Newest first; with a mapping, only the commits that touched its paths (`files` = the matching ones);
    /// without, every commit of the range ranked by files touched.
    public var commits: [CommitSummary]
    public var mapped: Bool
    public var mappingKind: String
}

/// A release compared: its name, and its tag when the repository has one.
public struct ReleaseRef: Sendable, Hashable {
    public var name: String
    public var tag: ReleaseTag?

    /// `v1.3 (236bbc5, 2026-03-01)`, or `v1.3 (no tag here)`.
    public var label: String { tag.map { "\(name) (\($0.commit.short), \($0.day))" } ?? "\(name) (no tag in this repository)" }
}

public struct ReleaseDiff: Sendable {
    public var columns: [String]
    public var from: ReleaseRef
    public var to: ReleaseRef
    /// Why commits could not be listed (a release without a tag here), if so.
    public var unpinnable: String?
    public var daysA: Int
    public var daysB: Int
    public var threshold: ExactDecimal
    public var rows: [ReleaseDiffRow]
    public var total: ReleaseDiffRow
    public var pins: [Pin]
    /// One per row whose prices alone moved it more than the threshold, in row order: the rate-card commits.
    public var pricePins: [PricePin] = []
    /// The constant prices: R1's (see ``ConstantPrices``).
    public var prices: ConstantPrices?
    public var hidden = 0
    public var placed: (field: Int64, commit: Int64, date: Int64) = (0, 0, 0)
    /// Invalid lines left out (`SummaryEngine.invalidLines`).
    public var excluded = ExcludedLines()
}

public struct ReleaseDiffEngine {
    public let repository: CostRepository
    public let summaries: SummaryEngine

    public init(repository: CostRepository, summaries: SummaryEngine) {
        self.repository = repository
        self.summaries = summaries
    }

    public func diff(_ r1: String, _ r2: String, query: ReportQuery, threshold: ExactDecimal, top: Int?) throws -> ReleaseDiff {
        let snapshot = try repository.snapshot(.workingTree)
        let (repo, _) = try repository.git()
        let attributor = try ReleaseAttributor(repo: repo, pattern: nil)
        let usage = try ReleaseUsage.read(snapshot: snapshot, query: query, attributor: attributor, summaries: summaries)
        // A release is a tag here, or a name events carry (the code may live in another repository).
        for r in [r1, r2] where attributor.tag(named: r) == nil && usage.rows[r] == nil {
            throw SpendError.usage("no tag or event release named \"\(r)\" (spend releases lists them)")
        }
        let t1 = attributor.tag(named: r1)
        let t2 = attributor.tag(named: r2)
        let daysA = usage.days[r1]?.count ?? 0
        let daysB = usage.days[r2]?.count ?? 0
        let prices = ConstantPrices(book: snapshot.priceBook, at: Self.priceInstant(r1, days: usage.days[r1], tag: t1))
        let constant = try ConstantPriceUsage.read(
            snapshot: snapshot, query: query, attributor: attributor, summaries: summaries, prices: prices, releases: [r1, r2])
        var keys = Set((usage.rows[r1] ?? [:]).keys)
        keys.formUnion((usage.rows[r2] ?? [:]).keys)
        var rows: [ReleaseDiffRow] = []
        for k in keys {
            var row = ReleaseDiffRow(keys: k)
            row.a = usage.rows[r1]?[k] ?? ReleaseSide()
            row.b = usage.rows[r2]?[k] ?? ReleaseSide()
            row.split.constantA = constant.rows[r1]?[k] ?? ConstantSide()
            row.split.constantB = constant.rows[r2]?[k] ?? ConstantSide()
            try Self.normalize(&row, daysA: daysA, daysB: daysB, threshold: threshold)
            _ = try checkedDifference(row.b.usage.cost, row.a.usage.cost, for: "the release diff row " + k.joined(separator: ", "))
            rows.append(row)
        }
        rows.sort { x, y in
            if x.spike != y.spike { return x.spike }
            let dx = x.delta.isNegative ? -x.delta : x.delta
            let dy = y.delta.isNegative ? -y.delta : y.delta
            if dx != dy { return dx > dy }
            return x.keys.lexicographicallyPrecedes(y.keys)
        }
        var total = ReleaseDiffRow(keys: ["total"])
        total.a = try usage.total(r1)
        total.b = try usage.total(r2)
        total.split.constantA = try constant.total(r1)
        total.split.constantB = try constant.total(r2)
        _ = try checkedDifference(total.b.usage.cost, total.a.usage.cost, for: "the release diff total")
        try Self.normalize(&total, daysA: daysA, daysB: daysB, threshold: threshold)
        var hidden = 0
        if let top, rows.count > top {
            hidden = rows.count - top
            rows = Array(rows.prefix(top))
        }
        var policy = Policy.empty
        if let text = snapshot.policyText {
            do { policy = try Policy.parse(text, path: "spend.toml") } catch { throw SpendError.input(error.diagnostics) }
        }
        var pins: [Pin] = []
        let spikes = rows.filter(\.spike)
        var unpinnable: String?
        if !spikes.isEmpty, t1 == nil || t2 == nil {
            let missing = [t1 == nil ? r1 : nil, t2 == nil ? r2 : nil].compactMap { $0 }
            unpinnable = "\(missing.joined(separator: " and ")) \(missing.count == 1 ? "has" : "have") no tag in this repository, so the commits in between cannot be listed; run spend diff where the code is tagged, or tag the release here"
        } else if !spikes.isEmpty, let t1, let t2 {
            let ids = try repo.walk(push: [t2.commit], hide: [t1.commit]).reversed()
            var commits: [CommitSummary] = []
            for id in ids { commits.append(try repo.commitSummary(id)) }
            for row in spikes { pins.append(Self.pin(row, query: query, policy: policy, commits: commits)) }
        }
        var result = ReleaseDiff(
            columns: query.dimensionNames, from: ReleaseRef(name: r1, tag: t1), to: ReleaseRef(name: r2, tag: t2), daysA: daysA, daysB: daysB, threshold: threshold, rows: rows, total: total,
            pins: pins, hidden: hidden)
        result.placed = (usage.placedByField, usage.placedByCommit, usage.placedByDate)
        result.unpinnable = unpinnable
        result.prices = prices
        let moved = rows.filter(\.split.priceMoved)
        if !moved.isEmpty {
            let blame = RateCardBlame(repository: repository)
            result.pricePins = moved.map { row in
                var repriced = row.split.constantA.repriced
                for (m, days) in row.split.constantB.repriced { repriced[m] = repriced[m].map { ConstantSide.union($0, days) } ?? days }
                return blame.pin(keys: row.keys, repriced: repriced, book: snapshot.priceBook, prices: prices)
            }
        }
        result.excluded = usage.excluded
        return result
    }

    static func normalize(_ row: inout ReleaseDiffRow, daysA: Int, daysB: Int, threshold: ExactDecimal) throws(SpendError) {
        row.costPerRequestA = row.a.costPerRequest()
        row.costPerRequestB = row.b.costPerRequest()
        row.costPerDayA = row.a.costPerDay(daysA)
        row.costPerDayB = row.b.costPerDay(daysB)
        try row.split.compute(
            a: row.a, b: row.b, daysA: daysA, daysB: daysB, threshold: threshold, what: "the release diff row " + row.keys.joined(separator: ", "))
        row.spike = row.split.usageSpike
    }

    /// The instant R1's prices are taken at: the end of its last UTC day with calls; without calls, its tag's time
    /// (else the latest prices).
    static func priceInstant(_ release: String, days: Set<String>?, tag: ReleaseTag?) -> Int64 {
        if let last = days?.max(), let end = ConstantPrices.endOfDay(last) { return end }
        if let tag { return tag.time * 1000 }
        return Int64.max
    }

    /// The commits of the range that touched the row's mapped paths (newest first), or every commit ranked by files touched.
    static func pin(_ row: ReleaseDiffRow, query: ReportQuery, policy: Policy, commits: [CommitSummary]) -> Pin {
        var mapping: PathMapping?
        var kind = "features"
        for (i, dim) in query.dimensions.enumerated() {
            guard case .tag(let tag) = dim, tag == "feature" || tag == "team" else { continue }
            let list = tag == "feature" ? policy.features : policy.teams
            if let m = list.first(where: { $0.name == row.keys[i] }), !m.paths.isEmpty {
                mapping = m
                kind = tag == "feature" ? "features" : "teams"
                break
            }
            kind = tag == "feature" ? "features" : "teams"
        }
        guard let mapping else {
            let ranked = commits.enumerated().sorted { x, y in
                x.element.files.count != y.element.files.count ? x.element.files.count > y.element.files.count : x.offset < y.offset
            }.map(\.element)
            return Pin(keys: row.keys, paths: [], commits: ranked, mapped: false, mappingKind: kind)
        }
        let globs = mapping.paths.map { Glob($0, pathMode: true) }
        var hits: [CommitSummary] = []
        for c in commits {
            let files = c.files.filter { f in globs.contains { $0.matches(f) } }
            if !files.isEmpty {
                var hit = c
                hit.files = files
                hits.append(hit)
            }
        }
        return Pin(keys: row.keys, paths: mapping.paths, commits: hits, mapped: true, mappingKind: kind)
    }
}
