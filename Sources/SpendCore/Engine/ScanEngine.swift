/// What the engine returns for one chunk: the consumer's partial result
/// and what the engine collected (interner, diagnostics, running totals,
/// lines). Ids in the partial are the interner's.
public struct ScannedChunk<Partial> {
    public var partial: Partial
    public var interner: StringInterner
    public var diagnostics: [Diagnostic]
    /// Diagnostics beyond the scope's limit (counted, not kept).
    public var omitted: Int
    /// Running totals of the events added with `ChunkScan.addToTotals()`, from the chunk's prefix.
    public var totals: RunningTotals
    /// Where the chunk starts in its shard (to read it again), and its size.
    public var start: Int
    public var bytes: Int
    /// Newlines in the chunk (counted when the scope's `countsLines`, else 0).
    public var lines: Int
    /// Lines the consumer rejected (a diagnostic recorded, nothing counted).
    public var excluded = ExcludedTally()
}

/// The one loop over ledger lines (see `ScanConsumer` for the contract):
/// scans each chunk, skips and reports unreadable lines, applies the
/// window and `--where`, and hands every event in scope to the consumer.
/// Chunks run in parallel (`LedgerReader`); results come back in ledger order.
public enum ScanEngine {
    /// Scans one chunk (on the calling thread); `prefix`: the running totals
    /// of the ledger before it, when it is read again to name an overflow.
    public static func scan<C: ScanConsumer>(_ chunk: LedgerChunk, _ consumer: C, prefix: RunningTotals = RunningTotals()) -> ScannedChunk<
        C.Partial
    > {
        var scan = ChunkScan(chunk, consumer.scope, prefix: prefix)
        var partial = consumer.begin(&scan)
        var excluded = ExcludedTally()
        while true {
            do {
                guard try scan.scanner.next(into: &scan.event) else { break }
            } catch {
                let failures = scan.failures
                consumer.reject(error, &scan, &partial)
                if scan.failures != failures { excluded.add(cost: nil) }
                scan.skipBadLine()
                continue
            }
            guard scan.inScope() else { continue }
            let failures = scan.failures
            consumer.consume(&scan, &partial)
            if scan.failures != failures { excluded.add(cost: scan.storedCost()) }
            scan.passEvent()
        }
        consumer.end(&scan, &partial)
        let lines = consumer.scope.countsLines ? scan.line(at: chunk.range.upperBound) : 0
        return ScannedChunk(
            partial: partial, interner: scan.interner, diagnostics: scan.diagnostics, omitted: scan.omitted, totals: scan.totals,
            start: chunk.range.lowerBound, bytes: chunk.range.count, lines: lines, excluded: excluded)
    }

    /// Scans every chunk of a snapshot's shards (default: all) in parallel;
    /// results with the index of their shard, in ledger order.
    public static func run<C: ScanConsumer>(_ snapshot: Snapshot, shards: [LedgerShard]? = nil, _ consumer: C) throws(SpendError) -> [(
        shard: Int, result: ScannedChunk<C.Partial>
    )] {
        try LedgerReader.mapChunks(snapshot, shards: shards) { chunk in scan(chunk, consumer) }
    }

    /// Scans loaded chunks in parallel; results in chunk order.
    public static func run<C: ScanConsumer>(_ chunks: [LedgerChunk], _ consumer: C) -> [ScannedChunk<C.Partial>] {
        LedgerReader.map(chunks) { chunk in scan(chunk, consumer) }
    }

    /// The input error of the chunks' diagnostics (sorted), or nil when there are none.
    public static func rejection<P>(_ parts: [ScannedChunk<P>]) -> SpendError? {
        ExcludedLines(parts).rejection
    }

    /// When the running totals of the snapshot's chunks (in ledger order)
    /// overflow only once summed, the chunk where the sum breaks read again
    /// from the totals before it (its diagnostics then name the event that
    /// overflows); nil when the sum fits.
    public static func rereadOverflowingChunk<C: ScanConsumer>(
        _ snapshot: Snapshot, _ parts: [(shard: Int, result: ScannedChunk<C.Partial>)], _ consumer: C
    ) throws(SpendError) -> ScannedChunk<C.Partial>? {
        try RunningTotals.rereadOverflowingChunk(snapshot, parts.map { ($0.shard, $0.result.start, $0.result.totals) }) {
            scan($0, consumer, prefix: $1)
        }
    }
}
