import Foundation

/// One line of a report: the group's labels, usage and exact cost.
public struct ReportRow: Sendable, Hashable {
    public var keys: [String]
    public var usage: Usage
    public var events: Int
    public var cost: ExactDecimal
}

/// Spend grouped by the query's dimensions, with a total.
public struct Report: Sendable {
    public var columns: [String]
    /// Sorted: by period, then by cost (largest first), then by labels.
    public var rows: [ReportRow]
    public var total: ReportRow
    /// Cost of the rows where some grouping tag was missing.
    public var unattributed: ExactDecimal
    /// The grouping tags that events can miss (for the unattributed note).
    public var groupingTags: [String]
    public var stats: (events: Int, bytes: Int, shards: Int)

    /// Prices an aggregation: one exact cost per (group, rate selection), summed.
    public init(_ aggregation: Aggregation, book: PriceBook, query: ReportQuery) throws(SpendError) {
        columns = aggregation.columns
        var rows: [ReportRow] = []
        var total = ReportRow(keys: [], usage: Usage(requests: 0), events: 0, cost: .zero)
        var unattributed = ExactDecimal.zero
        for (labels, selections) in aggregation.groups {
            var usage = Usage(requests: 0)
            var cost = ExactDecimal.zero
            let group = labels.joined(separator: ", ")
            for (selection, part) in selections {
                do {
                    cost = try Self.sum(cost, book.effectiveRates(selection).get().cost(part), group)
                } catch {
                    throw SpendError.input([Diagnostic(path: "ledger", rule: error.rule, message: error.message)])
                }
                try Self.add(part, to: &usage, group)
            }
            let row = ReportRow(keys: labels, usage: usage, events: aggregation.eventCounts[labels] ?? 0, cost: cost)
            try Self.add(usage, to: &total.usage, "the total")
            total.events += row.events
            total.cost = try Self.checkedSum(total.cost, cost, "the total")
            if labels.contains(Dimension.unattributedLabel) { unattributed = try Self.checkedSum(unattributed, cost, "the unattributed total") }
            rows.append(row)
        }
        groupingTags = query.dimensions.compactMap {
            if case .tag(let t) = $0 { return t }
            return nil
        }
        // The unattributed bucket is always shown when grouping by one tag.
        if query.dimensions.count == 1, !groupingTags.isEmpty {
            var periods: Set<String> = []
            if query.period != nil { periods = Set(rows.map { $0.keys[0] }) }
            let keysList: [[String]] = query.period == nil ? [[Dimension.unattributedLabel]] : periods.map { [$0, Dimension.unattributedLabel] }
            for keys in keysList where !rows.contains(where: { $0.keys == keys }) {
                rows.append(ReportRow(keys: keys, usage: Usage(requests: 0), events: 0, cost: .zero))
            }
            if rows.isEmpty {
                rows.append(ReportRow(keys: [Dimension.unattributedLabel], usage: Usage(requests: 0), events: 0, cost: .zero))
            }
        }
        let hasPeriod = query.period != nil
        rows.sort { a, b in
            if hasPeriod && a.keys[0] != b.keys[0] { return a.keys[0] < b.keys[0] }
            if a.cost != b.cost { return a.cost > b.cost }
            return a.keys.lexicographicallyPrecedes(b.keys)
        }
        self.rows = rows
        self.total = total
        self.unattributed = unattributed
        self.stats = (aggregation.events, aggregation.bytes, aggregation.shards)
    }

    /// `a + b` for the costs of `group`, or `error[overflow]`.
    static func sum(_ a: ExactDecimal, _ b: ExactDecimal, _ group: String) throws(PricingError) -> ExactDecimal {
        do {
            return try a.adding(b)
        } catch {
            throw PricingError(rule: .overflow, message: "the cost of \(group) does not fit exact arithmetic (38 digits)")
        }
    }

    static func checkedSum(_ a: ExactDecimal, _ b: ExactDecimal, _ group: String) throws(SpendError) -> ExactDecimal {
        do {
            return try sum(a, b, group)
        } catch {
            throw SpendError.input([Diagnostic(path: "ledger", rule: error.rule, message: error.message)])
        }
    }

    /// `usage += part` for `group`, or `error[overflow]`.
    static func add(_ part: Usage, to usage: inout Usage, _ group: String) throws(SpendError) {
        do {
            try usage.add(part)
        } catch {
            throw Aggregator.overflow(error, across: group)
        }
    }

    /// Share of the total cost, in percent with one decimal (nil when the total is zero).
    public func share(_ cost: ExactDecimal) -> ExactDecimal? {
        cost.percent(of: total.cost, places: 1)
    }
}
