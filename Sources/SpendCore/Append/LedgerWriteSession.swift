/// Several appends made as one batch: `spend import` writes a large file in
/// parts (so that it holds only a part's lines), and the parts must still be
/// all-or-nothing, like one `append`.
///
/// The session holds the append journal's lock — the ledger-wide writer
/// lock — from its start to its end, so other writers wait for the whole
/// import, as they wait for any batch. Each part records the shards it is
/// about to touch in the journal *added to* the earlier parts' record (a
/// shard keeps its size from before the first part), and the record is
/// cleared only by `commit()`. So:
/// - `rollBack()` (a record refused after parts were written, without
///   `--reject-file`) cuts every shard back to its size before the session;
/// - a crash at any instant leaves the record behind, and the next writer or
///   reader rolls the whole session back (docs/append.md, "Crashes").
public final class LedgerWriteSession {
    let journal: LedgerJournal
    /// Each shard's entry from the first part that touched it, in that order.
    private var entries: [LedgerJournal.Entry] = []
    private var finished = false

    /// Opens the journal of the cost repository at `root` and takes its
    /// lock (waiting for a live writer; rolling back what a dead one left).
    init(root: String, cacheDirectory: String?, sync: Bool, notice: (String) -> Void) throws(SpendError) {
        journal = try LedgerJournal(root: root, cacheDirectory: cacheDirectory, sync: sync, notice: notice)
    }

    /// Adds a part's shards to the record (before any of them is touched).
    func record(_ part: [LedgerJournal.Entry]) throws(SpendError) {
        for entry in part where !entries.contains(where: { $0.path == entry.path }) { entries.append(entry) }
        try journal.record(entries)
    }

    /// The parts are in: clears the record (the session's moment of commit).
    public func commit() throws(SpendError) {
        guard !finished else { return }
        finished = true
        try journal.clear()
    }

    /// Takes every written part back: each shard is cut to its size before
    /// the session (a shard the session created is removed), then the record is cleared.
    public func rollBack() throws(SpendError) {
        guard !finished else { return }
        finished = true
        try journal.rollBack(notice: { _ in })
    }
}
