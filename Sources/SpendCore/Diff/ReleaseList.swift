import Foundation

/// One row of `spend releases`: a release, or with `--by` one group of a release.
public struct ReleaseRow: Sendable, Hashable {
    public var name: String
    public var tag: ReleaseTag?
    /// The `--by` labels of a group row; empty for the release's own row.
    public var keys: [String] = []
    public var side = ReleaseSide()
    public var days = 0
    public var costPerRequest: ExactDecimal?
    public var costPerDay: ExactDecimal?
    /// Change from the previous release, in percent.
    public var costPerRequestChange: ExactDecimal?
    public var costPerDayChange: ExactDecimal?
    /// A usage spike from the previous release (at its prices; see ``PriceSplit``).
    public var spike = false
    /// The release compared with (the previous one that made calls), if any.
    public var previous: String?
    /// The change from `previous` split into usage and price; meaningful when `previous` is set.
    public var split = PriceSplit()
}

public struct ReleaseList: Sendable {
    /// Releases in order; with `--by`, each release's row is followed by its groups' rows (largest cost first).
    public var rows: [ReleaseRow]
    /// The `--by` names (empty without a breakdown).
    public var columns: [String] = []
    public var threshold: ExactDecimal
    public var placed: (field: Int64, commit: Int64, date: Int64) = (0, 0, 0)
    /// For each row (in row order) whose prices alone moved it more than the threshold: the rate-card commits.
    public var pricePins: [PricePin] = []
    /// The release of each price pin (parallel to `pricePins`).
    public var pricePinReleases: [String] = []
    /// Invalid lines left out (`SummaryEngine.invalidLines`).
    public var excluded = ExcludedLines()

    /// Every tag matching `pattern` (all tags when nil) and every release name events carry
    /// (matching `pattern`) in release order (``ReleaseOrder``), then spend of no release;
    /// with `breakdown`, each release split by the query's dimensions.
    public static func build(
        repository: CostRepository, summaries: SummaryEngine, pattern: String?, query: ReportQuery, threshold: ExactDecimal,
        breakdown: Bool = false
    ) throws -> ReleaseList {
        let snapshot = try repository.snapshot(.workingTree)
        let (repo, _) = try repository.git()
        let attributor = try ReleaseAttributor(repo: repo, pattern: pattern)
        let usage = try ReleaseUsage.read(snapshot: snapshot, query: query, attributor: attributor, summaries: summaries)
        let glob = pattern.map { Glob($0) }
        var candidates = attributor.tags.map(\.name)
        let known = Set(candidates)
        candidates += usage.rows.keys.filter { !known.contains($0) && $0 != ReleaseAttributor.untagged && (glob?.matches($0) ?? true) }
            .sorted(by: VersionOrder.less)
        if candidates.isEmpty {
            throw SpendError.usage(
                pattern.map { "no tag or event release matches \"\($0)\"" }
                    ?? "no releases: the repository has no tags and no event carries a release (tag releases, e.g. git tag v1.0, or stamp events with their release)"
            )
        }
        var names = ReleaseOrder.sorted(candidates, tag: attributor.tag(named:), days: usage.days)
        if usage.rows[ReleaseAttributor.untagged] != nil { names.append(ReleaseAttributor.untagged) }

        // Each release that made calls is compared with the previous one that did, at that one's prices.
        var previousOf: [String: String] = [:]
        var last: String?
        for name in names where name != ReleaseAttributor.untagged && (usage.rows[name].map { !$0.isEmpty } ?? false) {
            if let last { previousOf[name] = last }
            last = name
        }
        // Each release priced once per set of price points it needs (see ReleasePriceSets).
        let priceSets = try ReleasePriceSets.read(
            snapshot: snapshot, query: query, attributor: attributor, summaries: summaries, usage: usage, previousOf: previousOf)

        var list = ReleaseList(rows: [], columns: breakdown ? query.dimensionNames : [], threshold: threshold)
        var rowsOfRelease: [String: ReleaseRow] = [:]
        for name in names {
            var row = ReleaseRow(name: name, tag: attributor.tag(named: name))
            row.side = try usage.total(name)
            row.days = usage.days[name]?.count ?? 0
            let previous = previousOf[name]
            let reading = priceSets.reading(comparing: name)
            if let previous, let reading {
                try compare(
                    &row, with: rowsOfRelease[previous]!, constantA: try reading.total(previous), constantB: try reading.total(name),
                    threshold: threshold)
            } else {
                fill(&row)
            }
            rowsOfRelease[name] = row
            list.rows.append(row)
            guard breakdown else { continue }
            var groups: [ReleaseRow] = []
            for (keys, side) in usage.rows[name] ?? [:] {
                var group = ReleaseRow(name: name, tag: row.tag, keys: keys, side: side, days: row.days)
                if let previous, let reading {
                    var before = ReleaseRow(name: previous, keys: keys, side: usage.rows[previous]?[keys] ?? ReleaseSide(), days: rowsOfRelease[previous]!.days)
                    fill(&before)
                    try compare(
                        &group, with: before, constantA: reading.rows[previous]?[keys] ?? ConstantSide(), constantB: reading.rows[name]?[keys] ?? ConstantSide(),
                        threshold: threshold)
                } else {
                    fill(&group)
                }
                groups.append(group)
            }
            groups.sort { x, y in x.side.usage.cost != y.side.usage.cost ? x.side.usage.cost > y.side.usage.cost : x.keys.lexicographicallyPrecedes(y.keys) }
            list.rows += groups
        }
        list.placed = (usage.placedByField, usage.placedByCommit, usage.placedByDate)
        let moved = list.rows.filter(\.split.priceMoved)
        if !moved.isEmpty {
            let blame = RateCardBlame(repository: repository)
            for row in moved {
                guard let prices = priceSets.reading(comparing: row.name)?.prices else { continue }
                var repriced = row.split.constantA.repriced
                for (m, days) in row.split.constantB.repriced { repriced[m] = repriced[m].map { ConstantSide.union($0, days) } ?? days }
                list.pricePins.append(blame.pin(keys: row.keys, repriced: repriced, book: snapshot.priceBook, prices: prices))
                list.pricePinReleases.append(row.name)
            }
        }
        list.excluded = usage.excluded
        return list
    }

    /// Cost per request and per day of a row with nothing to compare.
    static func fill(_ row: inout ReleaseRow) {
        row.costPerRequest = row.side.costPerRequest()
        row.costPerDay = row.side.costPerDay(row.days)
    }

    /// Fills `row` and its change from `before`, split at the constant prices.
    static func compare(
        _ row: inout ReleaseRow, with before: ReleaseRow, constantA: ConstantSide, constantB: ConstantSide, threshold: ExactDecimal
    ) throws(SpendError) {
        fill(&row)
        row.previous = before.name
        row.costPerRequestChange = percentChange(before.costPerRequest, row.costPerRequest)
        row.costPerDayChange = percentChange(before.costPerDay, row.costPerDay)
        row.split.constantA = constantA
        row.split.constantB = constantB
        let what = "release \(row.name)" + (row.keys.isEmpty ? "" : " (\(row.keys.joined(separator: ", ")))")
        try row.split.compute(a: before.side, b: row.side, daysA: before.days, daysB: row.days, threshold: threshold, what: what)
        row.spike = row.split.usageSpike
    }
}

/// The order of releases: names that parse as versions (`v1.2`, `1.10.0`,
/// `v2.0-rc1`) in version order (`v1.2 < v1.10`); other names by when they
/// started (a tag's commit date, else the first day with calls), never by
/// spelling; the two sequences merged by that date.
public enum ReleaseOrder {
    /// True for `[v]N[.N…][-suffix]`.
    public static func isVersion(_ name: String) -> Bool {
        var s = Substring(name)
        if s.hasPrefix("v") || s.hasPrefix("V") { s = s.dropFirst() }
        guard let first = s.first, first.isASCII, first.isNumber else { return false }
        let core = s.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        guard !core.hasSuffix("."), !core.contains("..") else { return false }
        let rest = s.dropFirst(core.count)
        return rest.isEmpty || ((rest.first == "-" || rest.first == "+") && rest.count > 1 && rest.dropFirst().allSatisfy { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" })
    }

    /// `names` in release order.
    public static func sorted(_ names: [String], tag: (String) -> ReleaseTag?, days: [String: Set<String>]) -> [String] {
        func start(_ name: String) -> Int64 {
            if let t = tag(name) { return t.time * 1000 }
            return days[name]?.min().flatMap { Timestamp.parseDateOrTimestamp($0) } ?? Int64.max
        }
        let versions = names.filter(isVersion).sorted(by: VersionOrder.less)
        // Same start: the order the names were found (tags in version order, then event names).
        let others = names.filter { !isVersion($0) }.enumerated().sorted { x, y in
            let (a, b) = (start(x.element), start(y.element))
            return a != b ? a < b : x.offset < y.offset
        }.map(\.element)
        var out: [String] = []
        var (i, j) = (0, 0)
        while i < versions.count || j < others.count {
            if j == others.count || (i < versions.count && start(versions[i]) <= start(others[j])) {
                out.append(versions[i])
                i += 1
            } else {
                out.append(others[j])
                j += 1
            }
        }
        return out
    }
}
