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
    /// Events read (in scope), bytes scanned, shards read.
    public var events = 0
    public var bytes = 0
    public var shards = 0
}

/// The per-thread state of an aggregation over chunks.
struct ChunkAggregate {
    struct Sums {
        /// Requests and tokens (tool calls are kept in `tools`).
        var usage = Usage(requests: 0)
        var events: Int64 = 0
    }

    var interner = StringInterner()
    var buckets = BucketTable()
    var sums: [Sums] = []
    var tools: [UInt64: Int64] = [:]
    var selections: [RateSelection] = []
    var diagnostics: [Diagnostic] = []
    var omitted = 0
    var events = 0
    var bytes = 0
    /// Running totals of the events aggregated, from the chunk's prefix
    /// (checked per event: every bucket, and every total of buckets, is at most these).
    var totals = RunningTotals()
    /// Where the chunk starts in its shard (to read it again).
    var start = 0

    /// Each bucket in turn: its labels (the period first when `query` has
    /// one, then one per dimension), rate selection, usage and event count.
    func forEachGroup(_ query: ReportQuery, _ body: (_ labels: [String], _ selection: RateSelection, _ usage: Usage, _ events: Int64) -> Void) {
        var toolsByBucket: [Int: [String: Int64]] = [:]
        // Distinct keys: one (bucket, tool) each, so nothing is summed here.
        for (key, count) in tools {
            toolsByBucket[Int(key >> 32), default: [:]][interner.string(Int32(truncatingIfNeeded: key & 0xFFFF_FFFF))] = count
        }
        for (b, lanes) in buckets.keys.enumerated() {
            var labels: [String] = []
            if let period = query.period { labels.append(period.label(lanes[Lane.period])) }
            for i in 0..<query.dimensions.count {
                let id = lanes[i]
                let label: String
                switch id {
                case Lane.unattributed: label = Dimension.unattributedLabel
                case Lane.none: label = Dimension.noneLabel
                default: label = interner.string(id)
                }
                labels.append(label)
            }
            var usage = sums[b].usage
            usage.toolCalls = toolsByBucket[b] ?? [:]
            body(labels, selections[Int(lanes[Lane.selection])], usage, sums[b].events)
        }
    }
}

/// Buckets by their lanes: an open-addressing table with a cheap mixing
/// hash (the per-event lookup of the aggregation).
struct BucketTable {
    private(set) var keys: [SIMD16<Int32>] = []
    private var hashes: [UInt64] = []
    private var slots = [Int32](repeating: -1, count: 64)
    private var mask = 63

    @inline(__always) static func hash(_ lanes: SIMD16<Int32>) -> UInt64 {
        let wide = unsafeBitCast(lanes, to: SIMD8<UInt64>.self)
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15
        for i in 0..<8 { h = (h ^ wide[i]) &* 0xff51_afd7_ed55_8ccd }
        return h ^ (h >> 29)
    }

    /// The bucket of `lanes`, or nil.
    @inline(__always) func find(_ lanes: SIMD16<Int32>, hash h: UInt64) -> Int32? {
        var slot = Int(truncatingIfNeeded: h) & mask
        while true {
            let b = slots[slot]
            if b < 0 { return nil }
            if hashes[Int(b)] == h && keys[Int(b)] == lanes { return b }
            slot = (slot + 1) & mask
        }
    }

    /// Adds a bucket (not present) and returns its index.
    mutating func insert(_ lanes: SIMD16<Int32>, hash h: UInt64) -> Int32 {
        let b = Int32(keys.count)
        keys.append(lanes)
        hashes.append(h)
        if keys.count * 2 > slots.count {
            slots = [Int32](repeating: -1, count: slots.count * 2)
            mask = slots.count - 1
            for (k, kh) in hashes.enumerated() { place(Int32(k), kh) }
        } else {
            place(b, h)
        }
        return b
    }

    private mutating func place(_ b: Int32, _ h: UInt64) {
        var slot = Int(truncatingIfNeeded: h) & mask
        while slots[slot] >= 0 { slot = (slot + 1) & mask }
        slots[slot] = b
    }
}

/// Lanes of a bucket key: dimensions, then period and the rate selection index.
enum Lane {
    static let period = 11
    static let selection = 12
    /// Value id of a missing tag.
    static let unattributed: Int32 = -2
    /// Value id of a missing optional field.
    static let none: Int32 = -3
}

/// Aggregates ledger chunks for a query against a price book.
public struct Aggregator: Sendable {
    public let book: PriceBook
    public let query: ReportQuery
    /// Diagnostics kept per chunk (the rest are counted).
    public var diagnosticLimit = 50

    public init(book: PriceBook, query: ReportQuery) {
        self.book = book
        self.query = query
    }

    /// Reads and aggregates a whole snapshot.
    public func run(_ snapshot: Snapshot) throws(SpendError) -> Aggregation {
        let parts = try LedgerReader.mapChunks(snapshot) { chunk in aggregate(chunk) }
        if !parts.contains(where: { !$0.result.diagnostics.isEmpty }), let diagnostic = try locateOverflow(snapshot, parts) {
            throw SpendError.input([diagnostic])
        }
        var result = try merge(parts.map(\.result))
        result.shards = snapshot.shards.count
        return result
    }

    enum CompiledDimension {
        case field(EventField)
        case tag([UInt8])
    }

    /// The event at which the running totals of the whole snapshot (in
    /// ledger order) overflow, when no single chunk's do: the chunk where the
    /// sum of totals breaks is read again from the totals before it. `parts`
    /// are this snapshot's aggregated chunks (read here when nil).
    func locateOverflow(_ snapshot: Snapshot, _ given: [(shard: Int, result: ChunkAggregate)]? = nil) throws(SpendError) -> Diagnostic? {
        let parts: [(shard: Int, result: ChunkAggregate)]
        if let given {
            parts = given
        } else {
            parts = try LedgerReader.mapChunks(snapshot) { chunk in aggregate(chunk) }
        }
        if let found = parts.lazy.flatMap(\.result.diagnostics).first(where: { $0.rule == "overflow" }) { return found }
        let again = try RunningTotals.rereadOverflowingChunk(snapshot, parts.map { ($0.shard, $0.result.start, $0.result.totals) }) {
            aggregate($0, prefix: $1)
        }
        return again?.diagnostics.first { $0.rule == "overflow" }
    }

    /// Aggregates one chunk (runs on a worker thread); `prefix`: the running
    /// totals of the ledger before it, when it is read again to name an overflow.
    func aggregate(_ chunk: LedgerChunk, prefix: RunningTotals = RunningTotals()) -> ChunkAggregate {
        var out = ChunkAggregate()
        out.totals = prefix
        out.start = chunk.range.lowerBound
        var scanner = LedgerScanner(buffer: chunk.buffer.bytes, range: chunk.range)
        var pricer = EventPricer(book: book, interner: &out.interner)
        var e = EventRecord()
        let dims = query.dimensions.map(compile)
        var defaults: [Int32] = []
        for field in EventField.allCases {
            let value = field.defaultValue
            defaults.append(value == Dimension.noneLabel ? Lane.none : out.interner.intern(value))
        }
        let trueID = out.interner.intern("true")
        let falseID = out.interner.intern("false")
        let filters: [(CompiledDimension, Int32, Bool)] = query.filters.map { clause in
            let id: Int32
            if clause.value == Dimension.unattributedLabel || clause.value == "" {
                id = Lane.unattributed
            } else if clause.value == Dimension.noneLabel {
                id = Lane.none
            } else {
                id = out.interner.intern(clause.value)
            }
            return (compile(clause.dimension), id, clause.negated)
        }
        var resolvedModel: Int32 = -1
        var pricedModelIDs: [Int32] = []
        let since = query.since ?? Int64.min
        let until = query.until ?? Int64.max
        let period = query.period

        var locator = ChunkLocator(chunk)
        func fail(_ offset: Int, _ rule: String, _ message: String) {
            if out.diagnostics.count < diagnosticLimit {
                out.diagnostics.append(locator.diagnostic(at: offset, rule: rule, message: message))
            } else {
                out.omitted += 1
            }
        }

        @inline(__always) func intern(_ span: ByteSpan) -> Int32 {
            EventPricer.intern(span, scanner, &out.interner)
        }

        @inline(__always) func fieldValue(_ span: ByteSpan, _ field: EventField) -> Int32 {
            span.isAbsent ? defaults[fieldIndex(field)] : intern(span)
        }

        func value(_ dim: CompiledDimension) -> Int32 {
            switch dim {
            case .tag(let name):
                let tags = scanner.tags
                for k in e.tags {
                    let key = tags[k].key
                    if key.count == name.count && !key.escaped
                        && name.withUnsafeBufferPointer({ bytesEqual(scanner.base + key.start, $0.baseAddress!, name.count) })
                    {
                        let v = tags[k].value
                        return v.count == 0 ? Lane.unattributed : intern(v)
                    }
                    if key.escaped, scanner.string(key) == String(decoding: name, as: UTF8.self) {
                        let v = tags[k].value
                        return v.count == 0 ? Lane.unattributed : intern(v)
                    }
                }
                return Lane.unattributed
            case .field(let f):
                switch f {
                case .provider: return intern(e.provider)
                case .model: return intern(e.model)
                case .modelRequested: return fieldValue(e.modelRequested, f)
                case .serviceTier: return fieldValue(e.serviceTier, f)
                case .status: return fieldValue(e.status, f)
                case .release: return fieldValue(e.release, f)
                case .commit: return fieldValue(e.commit, f)
                case .traceId: return fieldValue(e.traceId, f)
                case .id: return intern(e.id)
                case .batch: return e.batch ? trueID : falseID
                case .attempt: return out.interner.intern(String(e.attempt))
                case .pricedModel:
                    guard resolvedModel >= 0 else { return Lane.none }
                    let m = Int(resolvedModel)
                    if m < pricedModelIDs.count, pricedModelIDs[m] >= 0 { return pricedModelIDs[m] }
                    let id = out.interner.intern(book.models[m].name)
                    if m >= pricedModelIDs.count { pricedModelIDs += Array(repeating: -1, count: m + 1 - pricedModelIDs.count) }
                    pricedModelIDs[m] = id
                    return id
                }
            }
        }

        while true {
            do {
                guard try scanner.next(into: &e) else { break }
            } catch {
                fail(error.offset, error.rule, error.message)
                scanner.skipLine()
                continue
            }
            if e.ts < since || e.ts >= until { continue }
            let providerID = intern(e.provider)
            let modelID = intern(e.model)
            resolvedModel = pricer.resolve(providerID: providerID, modelID: modelID, interner: out.interner)
            var keep = true
            for (dim, id, negated) in filters where (value(dim) == id) == negated {
                keep = false
                break
            }
            if !keep { continue }
            if resolvedModel < 0 {
                let error = pricer.resolutionError(providerID: providerID, modelID: modelID)
                fail(e.model.start - 1, error.rule, error.message)
                continue
            }
            let priced: PricedEvent
            switch pricer.price(e, model: resolvedModel, scanner: scanner, interner: &out.interner) {
            case .success(let p): priced = p
            case .failure(let failure):
                fail(failure.offset, failure.error.rule, failure.error.message)
                continue
            }
            // The running totals bound every sum below: checking them names the event that overflows.
            do throws(SumOverflow) {
                try out.totals.add(e, scanner: scanner)
            } catch {
                fail(e.lineStart, "overflow", error.message)
                continue
            }
            var lanes = SIMD16<Int32>(repeating: 0)
            for (i, dim) in dims.enumerated() { lanes[i] = value(dim) }
            if let period { lanes[Lane.period] = period.bucket(e.ts) }
            lanes[Lane.selection] = priced.selection
            let hash = BucketTable.hash(lanes)
            let bucket: Int32
            if let b = out.buckets.find(lanes, hash: hash) {
                bucket = b
            } else {
                bucket = out.buckets.insert(lanes, hash: hash)
                out.sums.append(ChunkAggregate.Sums())
            }
            let b = Int(bucket)
            // At most the running totals checked above; checked all the same (never a wrap or a trap).
            do throws(SumOverflow) {
                for k in e.toolCalls {
                    let call = scanner.toolCalls[k]
                    let key = UInt64(b) << 32 | UInt64(UInt32(bitPattern: intern(call.name)))
                    out.tools[key] = try TokenCounts.add(out.tools[key] ?? 0, call.count, field: "tool_calls")
                }
                try out.sums[b].usage.add(e)
            } catch {
                fail(e.lineStart, "overflow", error.message)
                continue
            }
            out.sums[b].events += 1
            out.events += 1
        }
        out.bytes = chunk.range.count
        out.selections = pricer.selections
        return out
    }

    private func compile(_ dimension: Dimension) -> CompiledDimension {
        switch dimension {
        case .field(let f): .field(f)
        case .tag(let t): .tag(Array(t.utf8))
        }
    }

    private func fieldIndex(_ f: EventField) -> Int {
        EventField.allCases.firstIndex(of: f)!
    }

    /// The error for a sum that overflows only once chunks (or groups) are
    /// combined: no single event to point at, so it names the ledger.
    static func overflow(_ error: SumOverflow, across what: String) -> SpendError {
        SpendError.input([Diagnostic(path: "ledger", rule: "overflow", message: "\(error.message) across \(what)")])
    }

    /// Combines chunk results into labelled groups; throws the diagnostics if any event was rejected.
    func merge(_ parts: [ChunkAggregate]) throws(SpendError) -> Aggregation {
        var diagnostics: [Diagnostic] = []
        var omitted = 0
        for part in parts {
            diagnostics += part.diagnostics
            omitted += part.omitted
        }
        if !diagnostics.isEmpty {
            diagnostics.sort()
            throw SpendError.input(diagnostics, omitted: omitted)
        }
        var columns = query.dimensionNames
        if query.period != nil { columns.insert("period", at: 0) }
        var result = Aggregation(columns: columns, groups: [:], eventCounts: [:])
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
            if let overflow { throw Self.overflow(overflow, across: "the ledger's chunks") }
        }
        return result
    }
}
