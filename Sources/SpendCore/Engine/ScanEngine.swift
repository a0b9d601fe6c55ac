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
    /// The corrections the chunk was read with, and the hashes of the ids its own correction events correct.
    public var corrections: CorrectionSet
    public var declaredCorrections: [UInt64]
}

/// The one loop over ledger lines (see `ScanConsumer` for the contract):
/// scans each chunk, skips and reports unreadable lines, applies the
/// window and `--where`, and hands every event in scope to the consumer.
/// Chunks run in parallel (`LedgerReader`); results come back in ledger order.
public enum ScanEngine {
    /// Scans one chunk (on the calling thread); `prefix`: the running totals
    /// of the ledger before it, when it is read again to name an overflow.
    /// `corrections`: the snapshot's corrected ids (events with those ids are skipped).
    public static func scan<C: ScanConsumer>(
        _ chunk: LedgerChunk, _ consumer: C, prefix: RunningTotals = RunningTotals(), corrections: CorrectionSet = .none
    ) -> ScannedChunk<C.Partial> {
        var scan = ChunkScan(chunk, consumer.scope, prefix: prefix, corrections: corrections)
        var partial = consumer.begin(&scan)
        var excluded = ExcludedTally()
        while true {
            do {
                guard try scan.scanner.next(into: &scan.event) else { break }
            } catch {
                if !scan.isRejectedLineCorrected() {
                    let failures = scan.failures
                    consumer.reject(error, &scan, &partial)
                    if scan.failures != failures { excluded.add(cost: nil) }
                }
                scan.skipBadLine()
                continue
            }
            if scan.isCorrectedAway() { continue }
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
            start: chunk.range.lowerBound, bytes: chunk.range.count, lines: lines, excluded: excluded, corrections: scan.corrections,
            declaredCorrections: scan.declaredCorrections)
    }

    /// Scans every chunk of a snapshot's shards (default: all) in parallel;
    /// results with the index of their shard, in ledger order. Corrections
    /// are found while scanning; when there are any, the chunks are read
    /// again with them applied. `corrections`: the snapshot's corrected ids
    /// when the caller knows them (needed when `shards` is not every shard:
    /// a correction may sit in another one); then one pass.
    public static func run<C: ScanConsumer>(
        _ snapshot: Snapshot, shards: [LedgerShard]? = nil, corrections: CorrectionSet? = nil, _ consumer: C
    ) throws(SpendError) -> [(shard: Int, result: ScannedChunk<C.Partial>)] {
        let first = try LedgerReader.mapChunks(snapshot, shards: shards) { chunk in scan(chunk, consumer, corrections: corrections ?? .none) }
        guard corrections == nil, let found = found(first.map(\.result), consumer) else { return first }
        return try LedgerReader.mapChunks(snapshot, shards: shards) { chunk in scan(chunk, consumer, corrections: found) }
    }

    /// Scans loaded chunks in parallel; results in chunk order (two passes
    /// when the chunks hold corrections, like `run(_:shards:corrections:_:)`).
    public static func run<C: ScanConsumer>(_ chunks: [LedgerChunk], _ consumer: C) -> [ScannedChunk<C.Partial>] {
        let first = LedgerReader.map(chunks) { chunk in scan(chunk, consumer) }
        guard let found = found(first, consumer) else { return first }
        return LedgerReader.map(chunks) { chunk in scan(chunk, consumer, corrections: found) }
    }

    /// The corrections declared in chunks read without any, when there are
    /// some and the consumer applies them (else nil: the chunks stand).
    static func found<P, C: ScanConsumer>(_ parts: [ScannedChunk<P>], _ consumer: C) -> CorrectionSet? {
        guard consumer.scope.appliesCorrections, parts.contains(where: { !$0.declaredCorrections.isEmpty }) else { return nil }
        return CorrectionSet(parts.lazy.flatMap(\.declaredCorrections))
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
        let corrections = parts.first?.result.corrections ?? .none
        return try RunningTotals.rereadOverflowingChunk(snapshot, parts.map { ($0.shard, $0.result.start, $0.result.totals) }) {
            scan($0, consumer, prefix: $1, corrections: corrections)
        }
    }
}
