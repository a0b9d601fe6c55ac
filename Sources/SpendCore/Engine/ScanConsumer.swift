/// A verb that reads the ledger through the scan engine: report
/// aggregation, reprice, audit's usage cells, ledger lint — and the verbs
/// to come (import, budgets, anomalies, export, reconcile). The shape is
/// ripgrep's Searcher → Sink: `ScanEngine` owns the loop over a chunk's
/// lines (scanner, skip-line after a bad line, the since/until window,
/// `--where`, diagnostics up to a limit, line counting, group keys) and
/// hands each event that passes to the consumer; the consumer only says
/// what to do with it.
///
/// ## Contract
///
/// - **Threading.** A snapshot's shards are cut into chunks of whole lines
///   and the chunks are scanned in parallel, one worker thread per chunk.
///   `begin`, `reject`, `consume` and `end` are called on that worker, in
///   that order, for ONE chunk: `begin` once, then `reject` or `consume` once
///   per line in line order, then `end` once. Calls for different chunks run
///   at the same time, so the consumer itself is immutable (`Sendable`) and
///   everything it accumulates lives in its `Partial`, which one worker owns.
/// - **Merging.** The engine returns one `ScannedChunk<Partial>` per chunk,
///   in ledger order (shards in snapshot order, chunks in byte order). The
///   verb merges them on the calling thread after every worker has finished
///   (for example summing group sums by their labels: interned ids are
///   per chunk, so partial results are combined by their decoded labels,
///   never by ids). `ScanEngine.rejection(_:)` turns the chunks'
///   diagnostics into the one input error; a verb that may keep going past
///   invalid lines collects them as `ExcludedLines` and lets its
///   `InvalidLinePolicy` decide (a line is excluded when the consumer
///   recorded a diagnostic for it: `ScannedChunk.excluded`).
/// - **What `consume` sees.** Events that parsed, lie in the scope's window
///   and pass every `--where` clause. Corrections (docs/FORMAT.md,
///   "Corrections") are applied by the engine before `consume`, once for
///   every consumer: a void never reaches it, nor does an event whose id a
///   correction anywhere in the snapshot corrects (nor a rejected line whose
///   id is corrected: no diagnostic), and a replace counts as itself.
///   `ScanEngine.run` finds the snapshot's corrections while it scans (no
///   extra pass when there are none) and reads the chunks again with them
///   when there are; a verb that scans chunks one by one passes them in. A
///   scope with `appliesCorrections` false (lint) sees every line as
///   written, voids included. The event, its buffer, the chunk's interner, the group key
///   and the priced model (when the scope has a grouping book) are on the
///   `ChunkScan` passed in; `consume` may record a diagnostic with
///   `scan.fail(at:rule:message:)` and skip the event.
/// - **Allocation.** The engine allocates nothing per event; a consumer that
///   keeps to interned ids and fixed-size keys keeps the hot path that way.
public protocol ScanConsumer: Sendable {
    /// Per-chunk state: built by `begin`, filled by `consume`, merged by the verb.
    associatedtype Partial

    /// What the engine filters and how it groups, and the per-chunk diagnostic limit.
    var scope: ScanScope { get }

    /// Called once per chunk, on its worker, before any line.
    func begin(_ scan: inout ChunkScan) -> Partial

    /// A line the scanner could not read (JSON, schema, a count out of range).
    /// The default records it as a diagnostic; the engine then skips the line.
    func reject(_ error: LedgerScanError, _ scan: inout ChunkScan, _ partial: inout Partial)

    /// One event in scope (window and `--where` passed): `scan.event`.
    func consume(_ scan: inout ChunkScan, _ partial: inout Partial)

    /// Called once per chunk, on its worker, after the last line.
    func end(_ scan: inout ChunkScan, _ partial: inout Partial)
}

extension ScanConsumer {
    public func reject(_ error: LedgerScanError, _ scan: inout ChunkScan, _ partial: inout Partial) {
        scan.fail(at: error.offset, rule: error.rule, message: error.message)
    }

    public func end(_ scan: inout ChunkScan, _ partial: inout Partial) {}
}

/// Which events reach a consumer and how they are grouped: the
/// since/until window, the `--where` clauses, the `--by` dimensions and
/// the period. `priced_model` (in a dimension or a clause) resolves
/// against `book`.
public struct ScanScope: Sendable {
    /// Grouping dimensions (at most `GroupKey.dimensionLanes`).
    public var dimensions: [Dimension] = []
    public var period: Period?
    /// Inclusive lower bound on `ts` (ms).
    public var since: Int64?
    /// Exclusive upper bound on `ts` (ms).
    public var until: Int64?
    public var filters: [WhereClause] = []
    /// The book that `priced_model` and `ChunkScan.resolvedModel()` resolve against.
    public var book: PriceBook?
    /// Diagnostics kept per chunk (the rest are counted in `omitted`).
    public var diagnosticLimit = 50
    /// Count the chunk's newlines to its end (`ScannedChunk.lines`), for verbs that number lines across chunks.
    public var countsLines = false
    /// Apply corrections (the default); false for a consumer that checks every line as written (lint).
    public var appliesCorrections = true

    /// Every event, no grouping.
    public init(book: PriceBook? = nil, diagnosticLimit: Int = 50) {
        self.book = book
        self.diagnosticLimit = diagnosticLimit
    }

    /// The window, filters, dimensions and period of a report query.
    public init(_ query: ReportQuery, book: PriceBook?, diagnosticLimit: Int = 50) {
        dimensions = query.dimensions
        period = query.period
        since = query.since
        until = query.until
        filters = query.filters
        self.book = book
        self.diagnosticLimit = diagnosticLimit
    }
}
