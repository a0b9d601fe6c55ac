/// `duplicate-id`: the ids of new lines against each other (an
/// open-addressing table of first occurrences) and against the id sets of
/// the history parts (a merge-join on sorted hashes). Hashes find the
/// candidates; new-against-new is confirmed on the id text (a 64-bit
/// collision is not a duplicate).
struct DuplicateIds {
    /// An id on a new line.
    struct NewId {
        var hash: UInt64
        /// Index of its chunk in the ``ScannedLedger``.
        var chunk: Int32
        /// 1-based line in its shard.
        var line: Int32
        var lineStart: Int
    }

    let scanned: ScannedLedger
    /// Every new id, in ledger order.
    private(set) var newIds: [NewId] = []

    /// Collects the new ids of `scanned` with their line numbers.
    init(_ scanned: ScannedLedger) {
        self.scanned = scanned
        newIds.reserveCapacity(scanned.outcomes.reduce(0) { $0 + $1.newIds.count })
        for (c, outcome) in scanned.outcomes.enumerated() {
            for id in outcome.newIds {
                newIds.append(
                    NewId(hash: id.hash, chunk: Int32(c), line: Int32(scanned.linesBefore[c]) + id.relLine + 1, lineStart: id.lineStart))
            }
        }
    }

    /// Calls `found` for every new id seen before it, with where the first
    /// one is (`path:line`): first among the new ids, then in each history set.
    func find(against history: [(path: String, set: IdSet)], _ found: (NewId, String) -> Void) {
        let firsts = firstOccurrences(found)
        // New against history: merge-join on sorted hashes.
        guard !history.isEmpty && !firsts.isEmpty else { return }
        let sorted = firsts.sorted { newIds[$0].hash < newIds[$1].hash }
        for (path, set) in history {
            var j = 0
            for k in sorted {
                let h = newIds[k].hash
                while j < set.entries.count && set.entries[j].hash < h { j += 1 }
                if j < set.entries.count && set.entries[j].hash == h {
                    found(newIds[k], "\(path):\(set.entries[j].line)")
                }
            }
        }
    }

    /// New against new: reports repeats to `found` and returns the indices
    /// of the first occurrences.
    private func firstOccurrences(_ found: (NewId, String) -> Void) -> [Int] {
        var firsts: [Int] = []
        guard !newIds.isEmpty else { return firsts }
        var size = 16
        while size < newIds.count * 2 { size <<= 1 }
        var slots = [Int32](repeating: -1, count: size)
        let mask = size - 1
        for (k, n) in newIds.enumerated() {
            var slot = Int(truncatingIfNeeded: n.hash) & mask
            var dup = -1
            while slots[slot] >= 0 {
                if newIds[Int(slots[slot])].hash == n.hash {
                    dup = Int(slots[slot])
                    break
                }
                slot = (slot + 1) & mask
            }
            if dup < 0 {
                slots[slot] = Int32(k)
                firsts.append(k)
                continue
            }
            let first = newIds[dup]
            // Confirm on the text (a 64-bit hash collision is not a duplicate).
            if let a = idText(first)?.0, let b = idText(n)?.0, a == b {
                found(n, "\(scanned.chunks[Int(first.chunk)].path):\(first.line)")
            } else {
                firsts.append(k)
            }
        }
        return firsts
    }

    /// The id's text and its byte offset, read again from its line.
    private func idText(_ n: NewId) -> (String, Int)? {
        let buffer = scanned.chunks[Int(n.chunk)].buffer
        var scanner = LedgerScanner(buffer: buffer.bytes, range: n.lineStart..<buffer.bytes.count)
        var e = EventRecord()
        guard (try? scanner.next(into: &e)) == true, let s = scanner.string(e.id) else { return nil }
        return (s, e.id.start - 1)
    }

    /// The finding for `n`, whose id is also at `other`.
    func diagnostic(_ n: NewId, alsoAt other: String) -> Diagnostic? {
        guard let (id, offset) = idText(n) else { return nil }
        let chunk = scanned.chunks[Int(n.chunk)]
        return Diagnostic(
            path: chunk.path, line: Int(n.line), column: offset - n.lineStart + 1, rule: .duplicateId,
            message: "duplicate id \"\(id)\" (also at \(other)): ids must be unique in the ledger",
            sourceLine: LedgerLint.lineText(chunk.buffer.bytes, from: n.lineStart))
    }
}
