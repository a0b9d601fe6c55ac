import Foundation

/// One line of a report: the group's labels, usage and exact costs.
public struct ReportRow: Sendable, Hashable {
    public var keys: [String]
    public var usage: Usage
    public var events: Int
    /// The cost on the report's basis (`listCost` or `effectiveCost`).
    public var cost: ExactDecimal
    /// At list prices.
    public var listCost: ExactDecimal = .zero
    /// After contract discounts (`[[discount]]`); the list cost where none applies.
    public var effectiveCost: ExactDecimal = .zero
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
    /// Which cost `cost`, the order, shares and totals use.
    public var basis: CostBasis
    /// Invalid lines left out of every row (empty unless the aggregation kept going).
    public var excluded = ExcludedLines()
    /// Which prices `cost`, `listCost` and `effectiveCost` are at.
    public var prices = PriceBasis.current
    /// The rows at the other price basis, when it was compared.
    public var comparison: PriceComparison?

    /// Prices an aggregation: exact list and effective costs per (group, rate
    /// selection), summed; rows are ordered and shared by the `basis` cost.
    ///
    /// `prices`: `.asRecorded` takes each group's costs from the
    /// aggregation's as-recorded sums (made with `PriceBasis.asRecorded`);
    /// either way, the groups with as-recorded sums are compared with the
    /// other basis (`comparison`).
    public init(
        _ aggregation: Aggregation, book: PriceBook, query: ReportQuery, basis: CostBasis = .list, prices: PriceBasis = .current
    ) throws(SpendError) {
        self.basis = basis
        self.prices = prices
        var compared = PriceComparison(other: prices.other)
        columns = aggregation.columns
        var rows: [ReportRow] = []
        var total = ReportRow(keys: [], usage: Usage(requests: 0), events: 0, cost: .zero)
        var unattributed = ExactDecimal.zero
        for (labels, selections) in aggregation.groups {
            var usage = Usage(requests: 0)
            var list = ExactDecimal.zero
            var effective = ExactDecimal.zero
            let group = labels.joined(separator: ", ")
            for (selection, part) in selections {
                do {
                    let costs = try book.effectiveRates(selection).get().costs(part)
                    list = try Self.sum(list, costs.list, group)
                    effective = try Self.sum(effective, costs.effective, group)
                } catch {
                    throw SpendError.input([Diagnostic(path: "ledger", rule: error.rule, message: error.message)])
                }
                try Self.add(part, to: &usage, group)
            }
            if let recorded = aggregation.recorded[labels] {
                // The group's events with an as-recorded cost, at current prices, swapped for that cost.
                var currentList = ExactDecimal.zero
                var currentEffective = ExactDecimal.zero
                for (selection, part) in recorded.usage {
                    do {
                        let costs = try book.effectiveRates(selection).get().costs(part)
                        currentList = try Self.sum(currentList, costs.list, group)
                        currentEffective = try Self.sum(currentEffective, costs.effective, group)
                    } catch {
                        throw SpendError.input([Diagnostic(path: "ledger", rule: error.rule, message: error.message)])
                    }
                }
                let recordedList = try Self.checkedSum(try Self.difference(list, currentList, group), recorded.list, group)
                let recordedEffective = try Self.checkedSum(try Self.difference(effective, currentEffective, group), recorded.effective, group)
                compared.events += recorded.events
                if prices == .asRecorded {
                    try compared.add(shown: CostPair(list: recordedList, effective: recordedEffective)[basis], other: CostPair(list: list, effective: effective)[basis])
                    (list, effective) = (recordedList, recordedEffective)
                } else if basis == .list || aggregation.recordedEffective {
                    // Stored costs are list costs: at effective cost, only as-recorded effective sums compare.
                    try compared.add(shown: CostPair(list: list, effective: effective)[basis], other: CostPair(list: recordedList, effective: recordedEffective)[basis])
                }
            } else {
                let cost = CostPair(list: list, effective: effective)[basis]
                try compared.add(shown: cost, other: cost)
            }
            let cost = CostPair(list: list, effective: effective)[basis]
            let row = ReportRow(
                keys: labels, usage: usage, events: aggregation.eventCounts[labels] ?? 0, cost: cost, listCost: list, effectiveCost: effective)
            try Self.add(usage, to: &total.usage, "the total")
            total.events += row.events
            total.cost = try Self.checkedSum(total.cost, cost, "the total")
            total.listCost = try Self.checkedSum(total.listCost, list, "the total")
            total.effectiveCost = try Self.checkedSum(total.effectiveCost, effective, "the total")
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
        self.excluded = aggregation.excluded
        compared.uncompared = total.events - compared.events
        compared.storedOnly = !aggregation.recordedEffective
        if compared.events > 0 && (prices == .asRecorded || basis == .list || aggregation.recordedEffective) { comparison = compared }
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

    /// `a − b` for the costs of `group`, or `error[overflow]`.
    static func difference(_ a: ExactDecimal, _ b: ExactDecimal, _ group: String) throws(SpendError) -> ExactDecimal {
        do {
            return try a.subtracting(b)
        } catch {
            throw SpendError.input([Diagnostic(path: "ledger", rule: .overflow, message: "the cost of \(group) does not fit exact arithmetic (38 digits)")])
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

/// A report's rows at the other price basis (`Report.comparison`): what the
/// foot says when they differ.
public struct PriceComparison: Sendable, Hashable {
    /// The basis compared with (`Report.prices.other`).
    public var other: PriceBasis
    /// The total of the rows at the other basis, and the rows whose cost differs.
    public var total = ExactDecimal.zero
    public var rowsDiffering = 0
    /// Events with an as-recorded cost compared; events without one (on the
    /// current basis: no stored `cost`) count the same at both.
    public var events = 0
    public var uncompared = 0
    /// True when only stored costs were compared (current prices at list cost):
    /// the uncompared events are those without a stored `cost`; else those the
    /// recorded cards do not price.
    public var storedOnly = false
    /// `total − the report's total`, set by `Report`.
    public var difference = ExactDecimal.zero
    /// The shown total these sums go with (to form `difference`).
    var shownTotal = ExactDecimal.zero

    /// Adds a row: its cost as shown and at the other basis.
    mutating func add(shown: ExactDecimal, other: ExactDecimal) throws(SpendError) {
        total = try Report.checkedSum(total, other, "the total at the other price basis")
        shownTotal = try Report.checkedSum(shownTotal, shown, "the total")
        difference = try Report.difference(total, shownTotal, "the price-basis difference")
        if shown != other { rowsDiffering += 1 }
    }
}
