extension RunningTotals {
    /// When the totals of a snapshot's chunks (in ledger order) overflow
    /// only once summed, reads the chunk where the sum breaks again with
    /// `work`, given the totals before it (so its own per-event check names
    /// the event); nil when the sum fits.
    static func rereadOverflowingChunk<T>(
        _ snapshot: Snapshot, _ parts: [(shard: Int, start: Int, totals: RunningTotals)], _ work: @Sendable (LedgerChunk, RunningTotals) -> T
    ) throws(SpendError) -> T? {
        guard let (k, prefix) = firstOverflow(parts.map(\.totals)) else { return nil }
        let start = parts[k].start
        let again = try LedgerReader.mapChunks(snapshot, shards: [snapshot.shards[parts[k].shard]]) { chunk in
            chunk.range.lowerBound == start ? work(chunk, prefix) : nil
        }
        return again.lazy.compactMap(\.result).first
    }
}
