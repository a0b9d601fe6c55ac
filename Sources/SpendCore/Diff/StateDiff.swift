import Foundation

/// One row of a diff: a group's usage and cost on both sides, and the effects its change splits into.
public struct DiffRow: Sendable, Hashable {
    public var keys: [String]
    public var a = UsageCell()
    public var b = UsageCell()
    /// Requests with `attempt` > 1 on each side.
    public var retriesA: Int64 = 0
    public var retriesB: Int64 = 0
    /// Usage per model (`provider/model`).
    public var models: [String: ModelUsage] = [:]
    public var effects = Effects()
    /// Cost of B's usage at A's prices (C3).
    public var costBAtA: ExactDecimal = .zero

    public init(keys: [String]) { self.keys = keys }

    /// `cost_b − cost_a` (checked once by `DiffLayout.finish`, so it cannot trap here).
    public var delta: ExactDecimal { b.cost - a.cost }
    /// Δ as a percentage of cost_a (one decimal), nil when cost_a is zero.
    public var deltaPercent: ExactDecimal? { delta.percent(of: a.cost, places: 1) }
}

/// Spend at revision A against spend at revision B, grouped and explained.
public struct SpendDiff: Sendable {
    public var columns: [String]
    /// Sorted by |Δ| (largest first), then labels.
    public var rows: [DiffRow]
    public var total: DiffRow
    public var from: String
    public var to: String
    /// Events of B that A's rate cards could not price: their B cost stands in (no price effect).
    public var unpricedAtA: Int64 = 0
    /// Rows left out by `--top`.
    public var hidden = 0
    /// Invalid lines left out of each side (`SummaryEngine.invalidLines`).
    public var excludedFrom = ExcludedLines()
    public var excludedTo = ExcludedLines()
}

/// Which summary labels a diff reads: the query's dimensions, then provider, model and attempt.
enum DiffLayout {
    static let extra = ["provider", "model", "attempt"]
    static let maxUserDimensions = ReportQuery.maxDimensions - 5

    static func summaryQuery(_ q: ReportQuery, extra: [String] = extra, period: Period? = nil) throws(SpendError) -> ReportQuery {
        guard q.dimensions.count <= maxUserDimensions else {
            throw SpendError.request(.tooManyGroupingNames(max: maxUserDimensions, inDiff: true))
        }
        var s = try ReportQuery(by: extra, period: period, since: q.since, until: q.until, filters: q.filters)
        s.dimensions = q.dimensions + s.dimensions
        s.dimensionNames = q.dimensionNames + extra
        return s
    }

    /// Builds rows from the three summaries (labels: dims…, provider, model, attempt).
    static func rows(
        dimensions n: Int, a: [[String]: UsageCell], b: [[String]: UsageCell], bAtA: [[String]: UsageCell], unpriced: inout Int64
    ) throws(SpendError) -> [[String]: DiffRow] {
        var rows: [[String]: DiffRow] = [:]
        func split(_ labels: [String]) -> (keys: [String], model: String, retry: Bool) {
            (Array(labels[0..<n]), labels[n] + "/" + labels[n + 1], labels[n + 2] != "1")
        }
        // Every sum here is part of a side's checked summary; checked all the same.
        func sum(_ x: Int64, _ y: Int64, _ what: String) throws(SpendError) -> Int64 {
            do {
                return try TokenCounts.add(x, y, field: "requests")
            } catch {
                throw Aggregator.overflow(error, across: what)
            }
        }
        func sum(_ x: ExactDecimal, _ y: ExactDecimal, _ what: String) throws(SpendError) -> ExactDecimal {
            do {
                return try x.adding(y)
            } catch {
                throw Aggregator.overflow(SumOverflow.cost(), across: what)
            }
        }
        for (labels, cell) in a {
            let (keys, model, retry) = split(labels)
            let what = "the diff row " + keys.joined(separator: ", ")
            var row = rows[keys] ?? DiffRow(keys: keys)
            try row.a.add(cell, for: what)
            if retry { row.retriesA = try sum(row.retriesA, cell.requests, what) }
            var m = row.models[model, default: ModelUsage()]
            m.requestsA = try sum(m.requestsA, cell.requests, what)
            m.costA = try sum(m.costA, cell.cost, what)
            row.models[model] = m
            rows[keys] = row
        }
        for (labels, cell) in b {
            let (keys, model, retry) = split(labels)
            let what = "the diff row " + keys.joined(separator: ", ")
            var row = rows[keys] ?? DiffRow(keys: keys)
            try row.b.add(cell, for: what)
            if retry { row.retriesB = try sum(row.retriesB, cell.requests, what) }
            var atA = cell.cost
            if let other = bAtA[labels], other.events == cell.events {
                atA = other.cost
            } else {
                unpriced += cell.events - (bAtA[labels]?.events ?? 0)
            }
            row.costBAtA = try sum(row.costBAtA, atA, what)
            var m = row.models[model, default: ModelUsage()]
            m.requestsB = try sum(m.requestsB, cell.requests, what)
            m.costB = try sum(m.costB, cell.cost, what)
            m.costBAtA = try sum(m.costBAtA, atA, what)
            row.models[model] = m
            rows[keys] = row
        }
        for key in rows.keys {
            do {
                rows[key]!.effects = try Decomposition.effects(rows[key]!.models)
            } catch {
                throw Aggregator.overflow(SumOverflow.cost("cost effects"), across: "the diff row " + key.joined(separator: ", "))
            }
        }
        return rows
    }

    static func finish(_ rows: [[String]: DiffRow], columns: [String], from: String, to: String, top: Int?) throws(SpendError) -> SpendDiff {
        var list = Array(rows.values)
        for r in list { _ = try checkedDifference(r.b.cost, r.a.cost, for: "the diff row " + r.keys.joined(separator: ", ")) }
        list.sort { x, y in
            let dx = x.delta.isNegative ? -x.delta : x.delta
            let dy = y.delta.isNegative ? -y.delta : y.delta
            if dx != dy { return dx > dy }
            return x.keys.lexicographicallyPrecedes(y.keys)
        }
        var total = DiffRow(keys: ["total"])
        do throws(SumOverflow) {
            for r in list {
                try total.a.add(r.a)
                try total.b.add(r.b)
                total.retriesA = try TokenCounts.add(total.retriesA, r.retriesA, field: "requests")
                total.retriesB = try TokenCounts.add(total.retriesB, r.retriesB, field: "requests")
                do {
                    total.costBAtA = try total.costBAtA.adding(r.costBAtA)
                    total.effects = try total.effects.adding(r.effects)
                } catch {
                    throw SumOverflow.cost()
                }
            }
        } catch {
            throw Aggregator.overflow(error, across: "the diff total")
        }
        _ = try checkedDifference(total.b.cost, total.a.cost, for: "the diff total")
        var hidden = 0
        if let top, list.count > top {
            hidden = list.count - top
            list = Array(list.prefix(top))
        }
        return SpendDiff(columns: columns, rows: list, total: total, from: from, to: to, hidden: hidden)
    }
}

/// Computes state diffs: spend of the ledger and rate cards as they were at A against B.
public struct DiffEngine {
    public let repository: CostRepository
    public let summaries: SummaryEngine

    public init(repository: CostRepository, summaries: SummaryEngine) {
        self.repository = repository
        self.summaries = summaries
    }

    /// A side's label: the revision as given and its short commit id, or "working tree".
    static func label(_ source: SnapshotSource, _ snapshot: Snapshot) -> String {
        switch source {
        case .workingTree: return "working tree"
        case .revision(let rev):
            guard let commit = snapshot.commit, !commit.hex.hasPrefix(rev.lowercased()) else { return rev }
            return "\(rev) (\(commit.short))"
        }
    }

    public func diff(from: SnapshotSource, to: SnapshotSource, query: ReportQuery, top: Int? = nil) throws -> SpendDiff {
        let sq = try DiffLayout.summaryQuery(query)
        let snapA = try repository.snapshot(from)
        let snapB = try repository.snapshot(to)
        let a = try summaries.summary(of: snapA, query: sq)
        let b = try summaries.summary(of: snapB, query: sq)
        let sameBook = SummaryEngine.bookKey(snapA.priceBook).map { $0 == SummaryEngine.bookKey(snapB.priceBook) } ?? false
        let bAtA = sameBook ? b : try summaries.summary(of: snapB, book: snapA.priceBook, query: sq, lenient: true)
        var unpriced: Int64 = 0
        let rows = try DiffLayout.rows(dimensions: query.dimensions.count, a: a.cells, b: b.cells, bAtA: bAtA.cells, unpriced: &unpriced)
        var result = try DiffLayout.finish(
            rows, columns: query.dimensionNames, from: Self.label(from, snapA), to: Self.label(to, snapB), top: top)
        result.unpricedAtA = unpriced
        (result.excludedFrom, result.excludedTo) = (a.excluded, b.excluded)
        return result
    }
}
