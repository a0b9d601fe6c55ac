/// The engine's state while it scans one chunk, handed to the consumer
/// with each event: the scanner and the current event, the chunk's
/// interner, the priced model, the group key, diagnostics (up to the
/// scope's limit), the running totals and line numbers. One worker owns it.
public struct ChunkScan {
    public let chunk: LedgerChunk
    /// The scanner over the chunk (its scratch arrays hold the event's tags and tool calls).
    public internal(set) var scanner: LedgerScanner
    /// The event being handed over.
    public internal(set) var event = EventRecord()
    /// The chunk's interner: ids are only meaningful within the chunk.
    public var interner = StringInterner()
    /// A pricer for the scope's book (nil without one); its rate selections index `PricedEvent.selection`.
    public var pricer: EventPricer?
    /// Diagnostics kept (at most the scope's limit) and how many more there were.
    public private(set) var diagnostics: [Diagnostic] = []
    public private(set) var omitted = 0
    /// Diagnostics recorded so far, kept or not (what `ScanEngine.scan` compares around a line).
    public private(set) var failures = 0
    /// Running totals of the events counted with `addToTotals()`, from the chunk's prefix.
    public private(set) var totals: RunningTotals
    /// The corrected ids this scan excludes (see `CorrectionSet`).
    public let corrections: CorrectionSet
    /// Hashes of the ids this chunk's correction events correct (every line read, in scope or not).
    public private(set) var declaredCorrections: [UInt64] = []
    private let appliesCorrections: Bool
    /// Some events are corrected away (so every id is looked up); false on the usual ledger.
    private let excludesIds: Bool

    private let limit: Int
    private var locator: ChunkLocator
    let since: Int64
    let until: Int64
    private let period: Period?
    private let dimensions: [CompiledDimension]
    private let filters: [(dimension: CompiledDimension, id: Int32, negated: Bool)]
    private let trueID: Int32
    private let falseID: Int32
    private var pricedModelIDs: [Int32] = []
    /// The current event's priced model: -2 not resolved yet, -1 unresolvable.
    private var resolved: Int32 = -2
    private var providerID: Int32 = -1
    private var modelID: Int32 = -1
    /// Newlines counted in `[chunk start, lineCursor)`.
    private var lineCursor: Int
    private var line = 0

    /// A grouping or filtering dimension, ready for the hot path.
    enum CompiledDimension {
        /// An event field, with the value id of its default when absent.
        case field(EventField, absent: Int32)
        /// A tag name's bytes.
        case tag([UInt8], name: String)
    }

    init(_ chunk: LedgerChunk, _ scope: ScanScope, prefix: RunningTotals, corrections: CorrectionSet) {
        self.chunk = chunk
        self.corrections = corrections
        appliesCorrections = scope.appliesCorrections
        excludesIds = scope.appliesCorrections && !corrections.isEmpty
        scanner = LedgerScanner(buffer: chunk.buffer.bytes, range: chunk.range)
        locator = ChunkLocator(chunk)
        limit = scope.diagnosticLimit
        totals = prefix
        lineCursor = chunk.range.lowerBound
        since = scope.since ?? Int64.min
        until = scope.until ?? Int64.max
        period = scope.period
        var interner = StringInterner()
        if let book = scope.book { pricer = EventPricer(book: book, interner: &interner) }
        func compile(_ dimension: Dimension) -> CompiledDimension {
            switch dimension {
            case .tag(let name): return .tag(Array(name.utf8), name: name)
            case .field(let f):
                let value = f.defaultValue
                return .field(f, absent: value == Dimension.noneLabel ? GroupKey.none : interner.intern(value))
            }
        }
        dimensions = scope.dimensions.map(compile)
        trueID = interner.intern("true")
        falseID = interner.intern("false")
        filters = scope.filters.map { clause in
            (compile(clause.dimension), GroupKey.id(ofFilterValue: clause.value, &interner), clause.negated)
        }
        self.interner = interner
    }

    // MARK: Diagnostics

    /// Records a diagnostic at a byte offset of the shard (kept up to the scope's limit, counted beyond it).
    public mutating func fail(at offset: Int, rule: Rule, message: String) {
        failures += 1
        if diagnostics.count < limit {
            diagnostics.append(locator.diagnostic(at: offset, rule: rule, message: message))
        } else {
            omitted += 1
        }
    }

    /// The stored `cost` of the current event, when it carries a valid one (an excluded line's).
    func storedCost() -> ExactDecimal? {
        event.cost.isAbsent ? nil : ExactDecimal(string(event.cost))
    }

    /// Adds the event to the running totals; on overflow records
    /// `error[overflow]` at the event and returns false (skip the event).
    /// Every sum of the chunk is at most these totals, so checking them
    /// names the event that overflows.
    public mutating func addToTotals() -> Bool {
        do throws(SumOverflow) {
            try totals.add(event, scanner: scanner)
            return true
        } catch {
            fail(at: event.lineStart, rule: .overflow, message: error.message)
            return false
        }
    }

    // MARK: Lines

    /// The 0-based line number, relative to the chunk's start, of the line
    /// holding `offset` (not before a previous call's offset).
    public mutating func line(at offset: Int) -> Int {
        guard let base = chunk.buffer.bytes.baseAddress else { return line }
        var p = lineCursor
        while p < offset, let hit = memchr(base + p, 10, offset - p) {
            line += 1
            p = base.distance(to: UnsafeRawPointer(hit)) + 1
        }
        lineCursor = max(lineCursor, offset)
        return line
    }

    /// After an event: when lines are counted up to its start, its body
    /// (no newline in it) need not be searched again.
    @inline(__always) mutating func passEvent() {
        if lineCursor >= event.lineStart { lineCursor = max(lineCursor, event.lineEnd) }
    }

    /// After a line the scanner rejected: skip it, keeping the line count
    /// (its newline is still to count) when lines are counted up to it.
    mutating func skipBadLine() {
        scanner.skipLine()
        guard lineCursor >= event.lineStart else { return }
        let p = scanner.position
        lineCursor = max(lineCursor, p > event.lineStart && chunk.buffer.bytes[p - 1] == 10 ? p - 1 : p)
    }

    // MARK: Corrections

    /// Notes the event's correction, if it is one, and says whether the
    /// event is corrected away: a void (it records no usage) or an event
    /// whose id a correction corrects. Nothing when the scope does not apply
    /// corrections (lint reads every line as written).
    @inline(__always) mutating func isCorrectedAway() -> Bool {
        if event.correction != .none {
            declaredCorrections.append(IdSet.hash(event.corrects, scanner))
            if appliesCorrections && event.correction == .void { return true }
        }
        return excludesIds && corrections.contains(IdSet.hash(event.id, scanner))
    }

    /// True when a line the scanner rejected is corrected (its id read
    /// leniently): it is skipped without a diagnostic.
    mutating func isRejectedLineCorrected() -> Bool {
        guard excludesIds, let id = scanner.idOfRejectedLine(at: event.lineStart) else { return false }
        return corrections.contains(IdSet.hash(id, scanner))
    }

    // MARK: Values and keys

    @inline(__always) public mutating func intern(_ span: ByteSpan) -> Int32 {
        EventPricer.intern(span, scanner, &interner)
    }

    /// The text of a span of the event ("" for an absent one).
    public func string(_ span: ByteSpan) -> String { scanner.string(span) ?? "" }

    /// The priced model the event's provider and model resolve to in the
    /// scope's book, or -1 (then `resolutionError()` says why).
    @inline(__always) public mutating func resolvedModel() -> Int32 {
        if resolved == -2 {
            providerID = intern(event.provider)
            modelID = intern(event.model)
            resolved = pricer?.resolve(providerID: providerID, modelID: modelID, interner: interner) ?? -1
        }
        return resolved
    }

    /// Why the event's model did not resolve (after `resolvedModel()` returned -1).
    public func resolutionError() -> PricingError {
        pricer?.resolutionError(providerID: providerID, modelID: modelID) ?? PricingError(rule: .unknownModel, message: "unknown model")
    }

    /// Prices the event with the scope's book, its model resolved to `model` (by `resolvedModel()`).
    @inline(__always) public mutating func price(model: Int32) -> Result<PricedEvent, EventPricingFailure> {
        pricer!.price(event, model: model, scanner: scanner, interner: &interner)
    }

    /// The event's group: its dimension values, then its period bucket.
    @inline(__always) public mutating func groupKey() -> GroupKey {
        var lanes = GroupKey(repeating: 0)
        for i in 0..<dimensions.count { lanes[i] = value(dimensions[i]) }
        if let period { lanes[GroupKey.periodLane] = period.bucket(event.ts) }
        return lanes
    }

    /// True when the event passes every `--where` clause (and lies in the window).
    @inline(__always) mutating func inScope() -> Bool {
        if event.ts < since || event.ts >= until { return false }
        resolved = -2
        for i in 0..<filters.count where (value(filters[i].dimension) == filters[i].id) == filters[i].negated { return false }
        return true
    }

    /// The value id of a dimension for the event (or a sentinel).
    mutating func value(_ dim: CompiledDimension) -> Int32 {
        switch dim {
        case .tag(let name, let text):
            for k in event.tags {
                let key = scanner.tags[k].key
                if key.count == name.count && !key.escaped
                    && name.withUnsafeBufferPointer({ bytesEqual(scanner.base + key.start, $0.baseAddress!, name.count) })
                {
                    let v = scanner.tags[k].value
                    return v.count == 0 ? GroupKey.unattributed : intern(v)
                }
                if key.escaped, scanner.string(key) == text {
                    let v = scanner.tags[k].value
                    return v.count == 0 ? GroupKey.unattributed : intern(v)
                }
            }
            return GroupKey.unattributed
        case .field(let f, let absent):
            @inline(__always) func optional(_ span: ByteSpan) -> Int32 { span.isAbsent ? absent : intern(span) }
            switch f {
            case .provider: return intern(event.provider)
            case .model: return intern(event.model)
            case .modelRequested: return optional(event.modelRequested)
            case .serviceTier: return optional(event.serviceTier)
            case .status: return optional(event.status)
            case .release: return optional(event.release)
            case .commit: return optional(event.commit)
            case .traceId: return optional(event.traceId)
            case .id: return intern(event.id)
            case .batch: return event.batch ? trueID : falseID
            case .attempt: return interner.intern(String(event.attempt))
            case .pricedModel:
                let resolved = resolvedModel()
                guard resolved >= 0, let book = pricer?.book else { return GroupKey.none }
                let m = Int(resolved)
                if m < pricedModelIDs.count, pricedModelIDs[m] >= 0 { return pricedModelIDs[m] }
                let id = interner.intern(book.models[m].name)
                if m >= pricedModelIDs.count { pricedModelIDs += Array(repeating: -1, count: m + 1 - pricedModelIDs.count) }
                pricedModelIDs[m] = id
                return id
            }
        }
    }
}
