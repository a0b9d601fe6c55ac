import Foundation

/// One row of `spend releases`.
public struct ReleaseRow: Sendable, Hashable {
    public var name: String
    public var tag: ReleaseTag?
    public var side = ReleaseSide()
    public var days = 0
    public var costPerRequest: ExactDecimal?
    public var costPerDay: ExactDecimal?
    /// Change from the previous release, in percent.
    public var costPerRequestChange: ExactDecimal?
    public var costPerDayChange: ExactDecimal?
    public var spike = false
}

public struct ReleaseList: Sendable {
    public var rows: [ReleaseRow]
    public var threshold: ExactDecimal
    public var placed: (field: Int64, commit: Int64, date: Int64) = (0, 0, 0)
    /// Invalid lines left out (`SummaryEngine.invalidLines`).
    public var excluded = ExcludedLines()

    /// Every tag matching `pattern` (all tags when nil) and every release name events carry
    /// (matching `pattern`), in version order, then untagged spend.
    public static func build(
        repository: CostRepository, summaries: SummaryEngine, pattern: String?, query: ReportQuery, threshold: ExactDecimal
    ) throws -> ReleaseList {
        let snapshot = try repository.snapshot(.workingTree)
        let (repo, _) = try repository.git()
        let attributor = try ReleaseAttributor(repo: repo, pattern: pattern)
        if attributor.tags.isEmpty {
            throw SpendError.usage(pattern.map { "no tag matches \"\($0)\"" } ?? "the repository has no tags: tag releases (git tag v1.0) to compare them")
        }
        let usage = try ReleaseUsage.read(snapshot: snapshot, query: query, attributor: attributor, summaries: summaries)
        // Tags and the release names events carry (matching --tags), in version order;
        // each compared with the previous release that made calls; untagged spend last.
        let glob = pattern.map { Glob($0) }
        var names = attributor.tags.map(\.name)
        let known = Set(names)
        for name in usage.rows.keys where !known.contains(name) && name != ReleaseAttributor.untagged && (glob?.matches(name) ?? true) {
            names.append(name)
        }
        names.sort(by: VersionOrder.less)
        if usage.rows[ReleaseAttributor.untagged] != nil { names.append(ReleaseAttributor.untagged) }
        var rows: [ReleaseRow] = []
        var previous: ReleaseRow?
        for name in names {
            var row = ReleaseRow(name: name, tag: attributor.tag(named: name))
            row.side = try usage.total(name)
            row.days = usage.days[name]?.count ?? 0
            row.costPerRequest = row.side.costPerRequest()
            row.costPerDay = row.side.costPerDay(row.days)
            if name != ReleaseAttributor.untagged, row.side.usage.requests > 0 {
                if let previous {
                    row.costPerRequestChange = percentChange(previous.costPerRequest, row.costPerRequest)
                    row.costPerDayChange = percentChange(previous.costPerDay, row.costPerDay)
                    row.spike = [row.costPerRequestChange, row.costPerDayChange].compactMap { $0 }.contains { $0 > threshold }
                }
                previous = row
            }
            rows.append(row)
        }
        var list = ReleaseList(rows: rows, threshold: threshold)
        list.placed = (usage.placedByField, usage.placedByCommit, usage.placedByDate)
        list.excluded = usage.excluded
        return list
    }
}
