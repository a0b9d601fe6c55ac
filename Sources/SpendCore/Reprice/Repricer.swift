import Foundation

/// Which rate cards recompute an event's cost.
public enum RepriceBasis: Sendable, Hashable {
    /// The cards of one snapshot (the working tree or `--cards-at REV`), for every event.
    case cards(SnapshotSource)
    /// "What the books said then": the card blob named by the event's
    /// `priced_with`, else the cards as committed at the event's `ts` (the last
    /// first-parent commit touching `ratecards/` at or before it).
    case asRecorded
}

/// What `spend reprice` compares: grouping, window, filters, basis.
public struct RepriceQuery: Sendable {
    /// Grouping dimensions (`--by` without the period name).
    public var query: ReportQuery
    /// Column names in order, the period name (`month`…) included where given.
    public var columns: [String]
    /// Where the period column sits among `columns`, if any.
    public var periodColumn: Int?
    public var basis: RepriceBasis
    /// Collect the events whose stored cost is not reproduced.
    public var list: Bool
    /// Recompute list costs (compared with stored costs, which `append`
    /// writes at list price), or effective costs (after contract discounts),
    /// compared with the other basis at effective cost for every event.
    public var cost: CostBasis = .list

    /// Parses `--by` names: `day`, `week` or `month` (at most one) make a period
    /// column; anything else is an event field or tag as in `spend report`.
    public init(
        by names: [String] = ["month", "model"], since: Int64? = nil, until: Int64? = nil, filters: [WhereClause] = [],
        basis: RepriceBasis = .cards(.workingTree), list: Bool = false
    ) throws(SpendError) {
        var dimensions: [String] = []
        var period: Period?
        var periodColumn: Int?
        for (k, name) in names.enumerated() {
            if let p = Period(rawValue: name) {
                guard period == nil else { throw SpendError.request(.repeatedPeriod(period!.rawValue, name)) }
                period = p
                periodColumn = k
            } else {
                guard !name.isEmpty, !name.contains("="), !name.contains(" ") else {
                    throw SpendError.request(.unknownGroupingName(name))
                }
                dimensions.append(name)
            }
        }
        guard !names.isEmpty else { throw SpendError.request(.emptyGroupingName(example: "month,model")) }
        self.query = try ReportQuery(by: dimensions, period: period, since: since, until: until, filters: filters)
        self.columns = names
        self.periodColumn = periodColumn
        self.basis = basis
        self.list = list
    }

    /// A reprice query from a comma list of names (periods, event fields,
    /// tags) and filter texts, parsed as ``ReportQuery/init(parsing:period:since:until:filters:)`` parses them.
    public init(
        parsing list: String, since: Int64? = nil, until: Int64? = nil, filters: [String] = [],
        basis: RepriceBasis = .cards(.workingTree), list listEvents: Bool = false
    ) throws(SpendError) {
        try self.init(
            by: try ReportQuery.groupingNames(parsing: list, example: "month,model"), since: since, until: until,
            filters: try ReportQuery.filters(parsing: filters), basis: basis, list: listEvents)
    }
}

/// One group of a reprice: events, what the books say, what the basis says.
public struct RepriceRow: Sendable, Hashable {
    public var keys: [String]
    public var events: Int
    /// The events' stored `cost` (or, for events without one, the other basis).
    public var stored: ExactDecimal
    public var recomputed: ExactDecimal
    /// Events whose stored cost (or other-basis cost) differs from the recomputed one.
    public var drifting: Int
    /// `recomputed − stored` (checked once by the merge, so it cannot trap here).
    public var drift: ExactDecimal { recomputed - stored }

    /// Adds a group's sums, checked: `error[overflow]` naming `what`.
    mutating func add(_ events: Int, _ stored: ExactDecimal, _ recomputed: ExactDecimal, _ drifting: Int, for what: String) throws(SpendError) {
        do {
            (self.stored, self.recomputed) = (try self.stored.adding(stored), try self.recomputed.adding(recomputed))
            _ = try self.recomputed.subtracting(self.stored)
        } catch {
            throw Aggregator.overflow(SumOverflow.cost(), across: what)
        }
        self.events += events
        self.drifting += drifting
    }
}

/// An event whose stored cost the basis does not reproduce.
public struct DriftingEvent: Sendable, Hashable, Comparable {
    public var path: String
    public var line: Int
    public var id: String
    public var ts: Int64
    public var provider: String
    public var model: String
    public var stored: ExactDecimal
    public var recomputed: ExactDecimal
    public var pricedWith: String?
    /// `recomputed − stored` (checked when the event was read, so it cannot trap here).
    public var drift: ExactDecimal { recomputed - stored }

    public static func < (a: DriftingEvent, b: DriftingEvent) -> Bool { (a.path, a.line) < (b.path, b.line) }
}

/// The result of `spend reprice`.
public struct RepriceResult: Sendable {
    public var columns: [String]
    public var rows: [RepriceRow]
    public var total: RepriceRow
    /// Events carrying a stored `cost`.
    public var eventsWithCost: Int
    /// Events whose stored cost the basis does not reproduce (the `--list`).
    public var driftingEvents: [DriftingEvent]
    /// Describes the basis and the reference, for the footer.
    public var basisDescription: String
    public var otherDescription: String
    /// True when any event drifts (what `--check` fails on).
    public var hasDrift: Bool { total.drifting > 0 }
    /// The cost compared (`RepriceQuery.cost`).
    public var cost: CostBasis = .list
}

/// Recomputes every event's cost on one basis and compares it with the
/// stored cost, or with the other basis for events without one.
public struct Repricer {
    public var repository: CostRepository
    public var query: RepriceQuery
    /// Diagnostics kept per chunk.
    public var diagnosticLimit = 50

    public init(repository: CostRepository, query: RepriceQuery) {
        self.repository = repository
        self.query = query
    }

    /// Reads the working-tree ledger and reprices it.
    public func run() throws(SpendError) -> RepriceResult {
        // Both bases are always needed (the other one prices events without a stored cost).
        let history = try CardHistory(costRepository: repository)
        history.preloadCards()
        let currentSource: SnapshotSource
        if case .cards(let source) = query.basis { currentSource = source } else { currentSource = .workingTree }
        let current: PriceBook
        var currentLabel: String
        switch currentSource {
        case .workingTree:
            current = try repository.workingTreePricing().book
            currentLabel = "the rate cards of the working tree"
        case .revision(let rev):
            let snapshot = try repository.snapshot(.revision(rev))
            current = snapshot.priceBook
            currentLabel = "the rate cards at \(rev) (\(snapshot.commit?.short ?? rev))"
        }
        let recorded = try RecordedBooks(history: history)
        let ledger = try repository.snapshot(.workingTree)
        let asRecorded = query.basis == .asRecorded
        let work = RepriceWork(query: query, current: current, recorded: recorded, asRecorded: asRecorded, limit: diagnosticLimit)
        let chunks = LedgerReader.chunks(try LedgerReader.load(ledger))
        let parts = ScanEngine.run(chunks, work)
        var recordedLabel = "the rate cards as recorded (priced_with blob, else the cards committed at the event's ts)"
        if query.cost == .effective {
            recordedLabel += ", at effective cost"
            currentLabel += ", at effective cost"
        }
        var result = try work.merge(
            parts, chunks: chunks, basis: asRecorded ? recordedLabel : currentLabel, other: asRecorded ? currentLabel : recordedLabel)
        result.cost = query.cost
        return result
    }
}

/// The price books of the card history, shared by the workers: one per
/// card commit (time-based lookup) and one per card blob (`priced_with`).
///
/// `@unchecked Sendable`, safe because `schedule` is a `let` and every
/// access to the mutable state (`books`, `labels`, `blobBooks`, `missing`,
/// and `history`, a non-Sendable class) after `init` holds `lock`.
final class RecordedBooks: @unchecked Sendable {
    /// Card commit times (ms), sorted, with the book index in force from each.
    let schedule: [(time: Int64, book: Int)]
    private var books: [PriceBook] = []
    private var blobBooks: [String: Int] = [:]
    private var missing: Set<String> = []
    private let lock = NSLock()
    private let history: CardHistory
    /// A short name per book, for messages.
    private var labels: [String] = []

    init(history: CardHistory) throws(SpendError) {
        self.history = history
        var schedule: [(time: Int64, book: Int)] = []
        for commit in history.commits {
            let book = try history.book(commit.cards)
            books.append(book)
            labels.append("cards of \(commit.id.short)")
            schedule.append((commit.time, books.count - 1))
            for (path, blob) in commit.cards where blobBooks[blob.hex] == nil {
                books.append(PriceBook(cards: [try history.card(path: path, blob: blob)]))
                labels.append("\(path)@\(blob.short)")
                blobBooks[blob.hex] = books.count - 1
            }
        }
        // Later in history wins among equal times (stable sort).
        self.schedule = schedule.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
    }

    /// The book in force at `ts`: the last card commit at or before it; the
    /// first one for events older than every card commit; nil without history.
    func book(at ts: Int64) -> Int? {
        guard !schedule.isEmpty else { return nil }
        var lo = 0
        var hi = schedule.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if schedule[mid].time <= ts { lo = mid + 1 } else { hi = mid }
        }
        return schedule[max(lo - 1, 0)].book
    }

    /// The book of one card blob named by `priced_with` (read through git on
    /// first use), or nil when the repository does not hold it.
    func book(blob hex: String, path: String) -> (index: Int, book: PriceBook)? {
        lock.lock()
        defer { lock.unlock() }
        if let k = blobBooks[hex] { return (k, books[k]) }
        if missing.contains(hex) { return nil }
        guard let card = try? history.card(path: path, blob: ObjectID(hex: hex)) else {
            missing.insert(hex)
            return nil
        }
        books.append(PriceBook(cards: [card]))
        labels.append("\(path)@\(String(hex.prefix(7)))")
        blobBooks[hex] = books.count - 1
        return (books.count - 1, books[books.count - 1])
    }

    func book(_ index: Int) -> (book: PriceBook, label: String) {
        lock.lock()
        defer { lock.unlock() }
        return (books[index], labels[index])
    }

    /// `openai/gpt-4o@2024-10-01 ratecards/openai.toml@<40 hex>` → (path, blob).
    static func parsePricedWith(_ text: String) -> (path: String, blob: String)? {
        guard let space = text.lastIndex(of: " ") else { return nil }
        let locator = text[text.index(after: space)...]
        guard let at = locator.lastIndex(of: "@") else { return nil }
        let blob = String(locator[locator.index(after: at)...])
        guard blob.count == 40, blob.allSatisfy({ $0.isHexDigit }) else { return nil }
        return (String(locator[..<at]), blob.lowercased())
    }
}

/// A reprice's per-chunk sums (the `ScanConsumer.Partial` of `RepriceWork`).
struct RepricePartial {
    struct Acc {
        var events = 0
        var stored = ExactDecimal.zero
        var recomputed = ExactDecimal.zero
        var drifting = 0
    }
    var groups: [GroupKey: Acc] = [:]
    /// Running totals of the chunk (checked per event, as each group is: the event that overflows is named).
    var storedTotal = ExactDecimal.zero
    var recomputedTotal = ExactDecimal.zero
    var withCost = 0
    /// Drifting events with their line number relative to the chunk (0-based).
    var drifting: [DriftingEvent] = []
    /// Prices events with the recorded books (made in `begin`).
    var recorded: RecordedCost
}

/// Reprice as a scan consumer: recomputes each event's cost on the basis
/// and sums it by group beside the stored (or other-basis) cost.
/// Sendable: everything it reads is immutable or locked (`RecordedBooks`).
struct RepriceWork: ScanConsumer, Sendable {
    let query: RepriceQuery
    let recorded: RecordedBooks
    let asRecorded: Bool
    /// The working-tree (or `--cards-at`) book is the scope's: `ChunkScan.pricer` prices with it.
    let scope: ScanScope

    init(query: RepriceQuery, current: PriceBook, recorded: RecordedBooks, asRecorded: Bool, limit: Int) {
        self.query = query
        self.recorded = recorded
        self.asRecorded = asRecorded
        var scope = ScanScope(query.query, book: current, diagnosticLimit: limit)
        scope.countsLines = query.list
        self.scope = scope
    }

    func begin(_ scan: inout ChunkScan) -> RepricePartial { RepricePartial(recorded: RecordedCost(books: recorded)) }

    /// The event's cost with the recorded cards (`RecordedCost.cards`).
    func recordedCost(_ scan: inout ChunkScan, _ out: inout RepricePartial) -> Result<ExactDecimal, PricingError> {
        out.recorded.cards(&scan, basis: query.cost)
    }

    /// The event's cost with the scope's cards.
    func currentCost(_ scan: inout ChunkScan) -> Result<ExactDecimal, PricingError> {
        let model = scan.resolvedModel()
        guard model >= 0 else { return .failure(scan.resolutionError()) }
        switch scan.price(model: model) {
        case .failure(let f): return .failure(f.error)
        case .success(let priced): return Result { () throws(PricingError) in try scan.pricer!.cost(scan.event, priced, scanner: scan.scanner, basis: query.cost) }
        }
    }

    func consume(_ scan: inout ChunkScan, _ out: inout RepricePartial) {
        let e = scan.event
        var stored: ExactDecimal?
        // Stored costs are list costs: at effective cost, every event is compared with the other basis.
        switch RecordedCost.stored(&scan, basis: query.cost) {
        case .failure(let error):
            scan.fail(at: e.cost.start, rule: error.rule, message: error.message)
            return
        case .success(let cost):
            stored = cost
            if cost != nil { out.withCost += 1 }
        }
        let recomputed: ExactDecimal
        switch asRecorded ? recordedCost(&scan, &out) : currentCost(&scan) {
        case .success(let c): recomputed = c
        case .failure(let error):
            scan.fail(at: e.model.start - 1, rule: error.rule, message: error.message)
            return
        }
        let reference: ExactDecimal
        if let stored {
            reference = stored
        } else {
            switch asRecorded ? currentCost(&scan) : recordedCost(&scan, &out) {
            case .success(let c): reference = c
            case .failure(let error):
                scan.fail(at: e.model.start - 1, rule: error.rule, message: error.message)
                return
            }
        }
        let lanes = scan.groupKey()
        // The chunk's running totals bound every group's sums: checking them names the event that overflows.
        do throws(ExactDecimalOverflow) {
            _ = try recomputed.subtracting(reference)  // the event's drift, shown by --list
            let storedTotal = try out.storedTotal.adding(reference)
            let recomputedTotal = try out.recomputedTotal.adding(recomputed)
            var acc = out.groups[lanes, default: RepricePartial.Acc()]
            acc.stored = try acc.stored.adding(reference)
            acc.recomputed = try acc.recomputed.adding(recomputed)
            acc.events += 1
            if reference != recomputed { acc.drifting += 1 }
            (out.storedTotal, out.recomputedTotal, out.groups[lanes]) = (storedTotal, recomputedTotal, acc)
        } catch {
            scan.fail(at: e.lineStart, rule: .overflow, message: SumOverflow.cost().message)
            return
        }
        if reference != recomputed && query.list {
            out.drifting.append(
                DriftingEvent(
                    path: scan.chunk.path, line: scan.line(at: e.lineStart), id: scan.string(e.id), ts: e.ts, provider: scan.string(e.provider),
                    model: scan.string(e.model), stored: reference, recomputed: recomputed,
                    pricedWith: e.pricedWith.isAbsent ? nil : scan.string(e.pricedWith)))
        }
    }

    func merge(_ parts: [ScannedChunk<RepricePartial>], chunks: [LedgerChunk], basis: String, other: String) throws(SpendError) -> RepriceResult {
        if let rejection = ScanEngine.rejection(parts) { throw rejection }
        var groups: [[String]: RepriceRow] = [:]
        var drifting: [DriftingEvent] = []
        var withCost = 0
        var lineBase: [String: Int] = [:]
        for (part, chunk) in zip(parts, chunks) {
            withCost += part.partial.withCost
            let base = lineBase[chunk.path, default: 0]
            for var event in part.partial.drifting {
                event.line += base + 1
                drifting.append(event)
            }
            lineBase[chunk.path] = base + part.lines
            for (lanes, acc) in part.partial.groups {
                let keys = lanes.labels(
                    dimensions: scope.dimensions.count, period: scope.period, part.interner, periodAt: query.periodColumn ?? 0)
                var row = groups[keys] ?? RepriceRow(keys: keys, events: 0, stored: .zero, recomputed: .zero, drifting: 0)
                try row.add(acc.events, acc.stored, acc.recomputed, acc.drifting, for: keys.joined(separator: ", "))
                groups[keys] = row
            }
        }
        let rows = groups.values.sorted { $0.keys.lexicographicallyPrecedes($1.keys) }
        var total = RepriceRow(keys: ["total"], events: 0, stored: .zero, recomputed: .zero, drifting: 0)
        for row in rows {
            try total.add(row.events, row.stored, row.recomputed, row.drifting, for: "the total")
        }
        return RepriceResult(
            columns: query.columns, rows: rows, total: total, eventsWithCost: withCost, driftingEvents: drifting.sorted(),
            basisDescription: basis, otherDescription: other)
    }
}
