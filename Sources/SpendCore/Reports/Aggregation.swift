/// The grouped, priced usage of a snapshot: for every group (the values of
/// the query's dimensions, period first), the usage per rate selection. Costs
/// are computed from this exactly, once per (group, selection), which is the
/// same as summing per-event costs because a cost is linear in tokens at fixed
/// rates.
public struct Aggregation: Sendable {
    /// Column names: `period` (when asked) then the `--by` names.
    public var columns: [String]
    /// Usage by group, then by rate selection.
    public var groups: [[String]: [RateSelection: Usage]]
    /// Events counted per group.
    public var eventCounts: [[String]: Int]
    /// Lines left out (only under `InvalidLinePolicy.exclude`; else they are an error).
    public var excluded = ExcludedLines()
    /// By group: the as-recorded costs of the events that have one (stored
    /// costs, or every event on the as-recorded basis), with their usage.
    public var recorded: [[String]: RecordedGroup] = [:]
    /// True when `recorded` holds effective costs too (every event's as-recorded cost was read).
    public var recordedEffective = false
    /// Events read (in scope), bytes scanned, shards read.
    public var events = 0
    public var bytes = 0
    public var shards = 0
}

/// A report's per-chunk groups (the `ScanConsumer.Partial` of `ReportConsumer`).
struct ReportGroups {
    struct Sums {
        /// Requests and tokens (tool calls are kept in `tools`).
        var usage = Usage(requests: 0)
        var events: Int64 = 0
    }

    /// Groups by key: the dimensions, the period, the rate selection in `ReportConsumer.selectionLane`.
    var buckets = BucketTable()
    var sums: [Sums] = []
    /// Tool calls by (bucket << 32 | interned tool name).
    var tools: [UInt64: Int64] = [:]
    var selections: [RateSelection] = []
    var events = 0
    /// As-recorded sums by bucket (buckets with `recordedLane` 1 only).
    var recorded: [Int: (list: ExactDecimal, effective: ExactDecimal, events: Int)] = [:]
    /// Prices events as recorded (`RecordedSums.asRecorded` only).
    var recordedCost: RecordedCost?
    /// The consumer's `RecordedSums`, flattened for the hot path (set by `begin`;
    /// kept here so that `consume` reads nothing of the consumer itself).
    var sumsStored = false
    var recordedRequired = false
}

/// The per-chunk result of an aggregation.
typealias ChunkAggregate = ScannedChunk<ReportGroups>

extension ScannedChunk where Partial == ReportGroups {
    /// Events aggregated.
    var events: Int { partial.events }

    /// Each bucket in turn: its labels (the period first when `query` has
    /// one, then one per dimension), rate selection, usage and event count.
    func forEachGroup(_ query: ReportQuery, _ body: (_ labels: [String], _ selection: RateSelection, _ usage: Usage, _ events: Int64) -> Void) {
        forEachBucket(query) { _, labels, selection, usage, events in body(labels, selection, usage, events) }
    }

    /// The buckets holding events with an as-recorded cost: labels, rate
    /// selection, usage and the as-recorded sums.
    func forEachRecorded(
        _ query: ReportQuery,
        _ body: (_ labels: [String], _ selection: RateSelection, _ usage: Usage, _ sums: (list: ExactDecimal, effective: ExactDecimal, events: Int)) -> Void
    ) {
        guard !partial.recorded.isEmpty else { return }
        forEachBucket(query) { b, labels, selection, usage, _ in
            if let sums = partial.recorded[b] { body(labels, selection, usage, sums) }
        }
    }

    private func forEachBucket(
        _ query: ReportQuery, _ body: (_ bucket: Int, _ labels: [String], _ selection: RateSelection, _ usage: Usage, _ events: Int64) -> Void
    ) {
        var toolsByBucket: [Int: [String: Int64]] = [:]
        // Distinct keys: one (bucket, tool) each, so nothing is summed here.
        for (key, count) in partial.tools {
            toolsByBucket[Int(key >> 32), default: [:]][interner.string(Int32(truncatingIfNeeded: key & 0xFFFF_FFFF))] = count
        }
        for (b, lanes) in partial.buckets.keys.enumerated() {
            let labels = lanes.labels(dimensions: query.dimensions.count, period: query.period, interner)
            var usage = partial.sums[b].usage
            usage.toolCalls = toolsByBucket[b] ?? [:]
            body(b, labels, partial.selections[Int(lanes[ReportConsumer.selectionLane])], usage, partial.sums[b].events)
        }
    }
}

/// Report aggregation as a scan consumer: prices each event in scope and
/// sums its usage into its group and rate selection.
struct ReportConsumer: ScanConsumer {
    /// The key lane holding the event's rate selection index.
    static let selectionLane = GroupKey.firstConsumerLane
    /// 1 when the event's as-recorded cost is summed in `ReportGroups.recorded`.
    static let recordedLane = GroupKey.firstConsumerLane + 1
    let scope: ScanScope
    /// `RecordedSums`, flattened for the hot path (no enum switched per event):
    /// sum stored costs, or price every event as recorded with these books.
    private let sumsStored: Bool
    private let recordedBooks: RecordedBooks?
    private let recordedRequired: Bool

    init(scope: ScanScope, recording: RecordedSums = .none) {
        self.scope = scope
        switch recording {
        case .none: (sumsStored, recordedBooks, recordedRequired) = (false, nil, false)
        case .stored: (sumsStored, recordedBooks, recordedRequired) = (true, nil, false)
        case .asRecorded(let books, let required): (sumsStored, recordedBooks, recordedRequired) = (false, books, required)
        }
    }

    func begin(_ scan: inout ChunkScan) -> ReportGroups {
        var groups = ReportGroups()
        if let recordedBooks { groups.recordedCost = RecordedCost(books: recordedBooks) }
        (groups.sumsStored, groups.recordedRequired) = (sumsStored, recordedRequired)
        return groups
    }

    /// The event's stored cost (list), nil when it has none or it is not a
    /// decimal (an invalid one is lint's).
    @inline(never)
    private static func storedCost(_ scan: borrowing ChunkScan) -> (list: ExactDecimal, effective: ExactDecimal)? {
        scan.storedCost().map { ($0, .zero) }
    }

    /// The event's as-recorded costs (list, effective), nil when they are
    /// not compared; false after recording a diagnostic (skip the event).
    @inline(never)
    private static func asRecorded(_ scan: inout ChunkScan, _ out: inout ReportGroups) -> (ok: Bool, cost: (list: ExactDecimal, effective: ExactDecimal)?) {
        let list = out.recordedCost!.cost(&scan, basis: .list)
        let effective = out.recordedCost!.cards(&scan, basis: .effective)
        switch (list, effective) {
        case (.success(let l), .success(let e)): return (true, (l, e))
        case (.failure(let error), _), (_, .failure(let error)):
            guard out.recordedRequired else { return (true, nil) }
            scan.fail(at: scan.event.model.start - 1, rule: error.rule, message: error.message)
            return (false, nil)
        }
    }

    func consume(_ scan: inout ChunkScan, _ out: inout ReportGroups) {
        let model = scan.resolvedModel()
        if model < 0 {
            let error = scan.resolutionError()
            scan.fail(at: scan.event.model.start - 1, rule: error.rule, message: error.message)
            return
        }
        let priced: PricedEvent
        switch scan.price(model: model) {
        case .success(let p): priced = p
        case .failure(let failure):
            scan.fail(at: failure.offset, rule: failure.error.rule, message: failure.error.message)
            return
        }
        // Stored costs are only read when present: a ledger without them takes the path without recorded sums.
        if out.sumsStored ? !scan.event.cost.isAbsent : out.recordedCost != nil {
            let (ok, cost) = out.sumsStored ? (true, Self.storedCost(scan)) : Self.asRecorded(&scan, &out)
            guard ok else { return }
            add(&scan, &out, priced, recorded: cost)
        } else {
            add(&scan, &out, priced, recorded: nil)
        }
    }

    /// Adds a priced event to its bucket, with its as-recorded cost when it has one
    /// (inlined twice: the path with `nil` carries no recorded sums at all).
    @inline(__always)
    private func add(
        _ scan: inout ChunkScan, _ out: inout ReportGroups, _ priced: PricedEvent, recorded recordedCost: (list: ExactDecimal, effective: ExactDecimal)?
    ) {
        guard scan.addToTotals() else { return }
        var lanes = scan.groupKey()
        lanes[Self.selectionLane] = priced.selection
        if recordedCost != nil { lanes[Self.recordedLane] = 1 }
        var added = false
        let b = out.buckets.index(lanes, added: &added)
        if added { out.sums.append(ReportGroups.Sums()) }
        var recordedSums: (list: ExactDecimal, effective: ExactDecimal, events: Int)?
        if let recordedCost {
            let sums = out.recorded[b] ?? (.zero, .zero, 0)
            do throws(ExactDecimalOverflow) {
                recordedSums = (try sums.list.adding(recordedCost.list), try sums.effective.adding(recordedCost.effective), sums.events + 1)
            } catch {
                scan.fail(at: scan.event.lineStart, rule: .overflow, message: SumOverflow.cost().message)
                return
            }
        }
        // At most the running totals checked above; checked all the same (never a wrap or a trap).
        do throws(SumOverflow) {
            for k in scan.event.toolCalls {
                let call = scan.scanner.toolCalls[k]
                let key = UInt64(b) << 32 | UInt64(UInt32(bitPattern: scan.intern(call.name)))
                out.tools[key] = try TokenCounts.add(out.tools[key] ?? 0, call.count, field: "tool_calls")
            }
            try out.sums[b].usage.add(scan.event)
        } catch {
            scan.fail(at: scan.event.lineStart, rule: .overflow, message: error.message)
            return
        }
        out.sums[b].events += 1
        out.events += 1
        if let recordedSums { out.recorded[b] = recordedSums }
    }

    func end(_ scan: inout ChunkScan, _ out: inout ReportGroups) {
        out.selections = scan.pricer?.selections ?? []
    }
}

/// Aggregates ledger chunks for a query against a price book.
public struct Aggregator: Sendable {
    public let book: PriceBook
    public let query: ReportQuery
    /// Diagnostics kept per chunk (the rest are counted).
    public var diagnosticLimit = 50
    /// Stop at invalid lines (the default), or leave them out (`Aggregation.excluded`).
    public var invalidLines = InvalidLinePolicy.strict
    /// What to sum beside the current cost (`Aggregation.recorded`).
    var recording = RecordedSums.none

    public init(book: PriceBook, query: ReportQuery) {
        self.book = book
        self.query = query
    }

    var consumer: ReportConsumer {
        ReportConsumer(scope: ScanScope(query, book: book, diagnosticLimit: diagnosticLimit), recording: recording)
    }

    /// Reads and aggregates a whole snapshot.
    public func run(_ snapshot: Snapshot) throws(SpendError) -> Aggregation {
        let parts = try ScanEngine.run(snapshot, consumer)
        if !parts.contains(where: { !$0.result.diagnostics.isEmpty }), let diagnostic = try locateOverflow(snapshot, parts) {
            throw SpendError.input([diagnostic])
        }
        var result = try merge(parts.map(\.result))
        result.shards = snapshot.shards.count
        return result
    }

    /// The event at which the running totals of the whole snapshot (in
    /// ledger order) overflow, when no single chunk's do: the chunk where the
    /// sum of totals breaks is read again from the totals before it. `parts`
    /// are this snapshot's aggregated chunks (read here when nil).
    func locateOverflow(_ snapshot: Snapshot, _ given: [(shard: Int, result: ChunkAggregate)]? = nil) throws(SpendError) -> Diagnostic? {
        let consumer = self.consumer
        let parts: [(shard: Int, result: ChunkAggregate)]
        if let given {
            parts = given
        } else {
            parts = try ScanEngine.run(snapshot, consumer)
        }
        if let found = parts.lazy.flatMap(\.result.diagnostics).first(where: { $0.rule == .overflow }) { return found }
        let again = try ScanEngine.rereadOverflowingChunk(snapshot, parts, consumer)
        return again?.diagnostics.first { $0.rule == .overflow }
    }

    /// Aggregates one chunk (runs on a worker thread); `prefix`: the running
    /// totals of the ledger before it, when it is read again to name an overflow.
    func aggregate(_ chunk: LedgerChunk, prefix: RunningTotals = RunningTotals()) -> ChunkAggregate {
        ScanEngine.scan(chunk, consumer, prefix: prefix)
    }

    /// The error for a sum that overflows only once chunks (or groups) are
    /// combined: no single event to point at, so it names the ledger.
    static func overflow(_ error: SumOverflow, across what: String) -> SpendError {
        SpendError.input([Diagnostic(path: "ledger", rule: .overflow, message: "\(error.message) across \(what)")])
    }

    /// Combines chunk results into labelled groups; the lines rejected are
    /// thrown or left out, as `invalidLines` says.
    func merge(_ parts: [ChunkAggregate]) throws(SpendError) -> Aggregation {
        let excluded = try invalidLines.admit(ExcludedLines(parts))
        var columns = query.dimensionNames
        if query.period != nil { columns.insert("period", at: 0) }
        var result = Aggregation(columns: columns, groups: [:], eventCounts: [:])
        result.excluded = excluded
        if case .asRecorded = recording { result.recordedEffective = true }
        for part in parts {
            result.events += part.events
            result.bytes += part.bytes
            var overflow: SumOverflow?
            part.forEachGroup(query) { (labels: [String], selection: RateSelection, usage: Usage, events: Int64) -> Void in
                do throws(SumOverflow) {
                    try result.groups[labels, default: [:]][selection, default: Usage(requests: 0)].add(usage)
                } catch {
                    overflow = overflow ?? error
                }
                result.eventCounts[labels, default: 0] += Int(events)
            }
            part.forEachRecorded(query) { labels, selection, usage, sums in
                do throws(SumOverflow) {
                    var group = result.recorded[labels] ?? RecordedGroup()
                    try group.usage[selection, default: Usage(requests: 0)].add(usage)
                    do {
                        (group.list, group.effective) = (try group.list.adding(sums.list), try group.effective.adding(sums.effective))
                    } catch {
                        throw SumOverflow.cost()
                    }
                    group.events += sums.events
                    result.recorded[labels] = group
                } catch {
                    overflow = overflow ?? error
                }
            }
            if let overflow { throw Self.overflow(overflow, across: "the ledger's chunks") }
        }
        return result
    }
}
