/// The latest `ts` among the ledger's events at or after an instant: has a
/// rate-card point or discount that starts then priced anything recorded?
/// (See ``CardChange``.) A consumer of the scan engine, whose window does
/// the filtering.
struct LatestEventScan: ScanConsumer {
    let scope: ScanScope

    struct Partial {
        var latest: Int64?
    }

    func begin(_ scan: inout ChunkScan) -> Partial { Partial() }

    /// Unreadable lines are the ledger checks' findings, not this question's.
    func reject(_ error: LedgerScanError, _ scan: inout ChunkScan, _ partial: inout Partial) {}

    func consume(_ scan: inout ChunkScan, _ partial: inout Partial) {
        partial.latest = max(partial.latest ?? scan.event.ts, scan.event.ts)
    }
}

extension Linter {
    /// The latest `ts` of the events of `tree` at or after `instant`, nil when
    /// there is none. Only shards whose month ends after `instant` are read (an
    /// event outside its shard's month is `wrong-shard`); so is a misnamed one.
    func latestEvent(atOrAfter instant: Int64, in tree: LintTree) throws(SpendError) -> Int64? {
        let files = tree.shards.filter { LedgerLint.month(ofShard: $0.path).map { $0.upperBound > instant } ?? true }
        if files.isEmpty { return nil }
        var scope = ScanScope()
        scope.since = instant
        let chunks = try workspace.buffers(files).flatMap { LedgerLint.chunks($0, 0..<$0.bytes.count) }
        return ScanEngine.run(chunks, LatestEventScan(scope: scope)).compactMap(\.partial.latest).max()
    }
}
