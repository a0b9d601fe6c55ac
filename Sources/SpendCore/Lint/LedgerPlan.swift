/// The plan of the ledger checks: which shards are read, how far each is
/// checked (see ``ShardPlan``), and the chunks handed to the scanners.
///
/// Made from the target and base trees, completed by the history comparison
/// (``adopt(_:of:incremental:recheck:cache:)``), then read back for the
/// torn-line check, the history id sets and the id-set cache.
struct LedgerPlan {
    /// One plan per shard of the target, in its order (path order).
    var shards: [ShardPlan] = []
    /// The base version of every shard that changed, by plan index: compared with it.
    var changed: [Int: LintFile] = [:]
    /// The plan index of each buffer read, for the chunks cut from it.
    var planOfBuffer: [ObjectIdentifier: Int] = [:]
    /// Plan indices whose target bytes are read.
    private var reading: [Int] = []

    /// Plans every shard of `target` against `base`. Incremental: a shard whose
    /// blob is unchanged is history only (its ids from the cache, or scanned
    /// once and cached; its prices and policy as `recheck` says); any other shard is
    /// read, checked for a torn line, and compared with its base version if it has one.
    init(target: LintTree, base: LintTree?, incremental: Bool, recheck: HistoryRecheck, cache: IdSetCache?) {
        var baseByPath: [String: LintFile] = [:]
        for file in base?.shards ?? [] { baseByPath[file.path] = file }
        for file in target.shards {
            var plan = ShardPlan(file: file, fullFrom: 0)
            plan.month = LedgerLint.month(ofShard: file.path)
            let old = baseByPath[file.path]
            let unchanged = old != nil && file.blob != nil && old!.blob == file.blob
            if incremental && unchanged {
                // History only: ids from the cache, or scanned once and cached.
                plan.fullFrom = Int.max
                plan.historySet = file.blob.flatMap { cache?.load($0) }
                plan.prefixIds = plan.historySet == nil
                plan.prefixPricing = recheck.pricing
                plan.prefixPolicy = recheck.policy
                if plan.prefixIds { plan.storeAs = file.blob }
                if plan.prefixIds || plan.prefixPricing || plan.prefixPolicy { reading.append(shards.count) }
            } else {
                plan.checkTorn = true
                plan.storeAs = file.blob
                reading.append(shards.count)
                if let old, !unchanged { changed[shards.count] = old }
            }
            shards.append(plan)
        }
    }

    /// Reads the bytes of the shards the plan reads (mapped files or git blobs).
    mutating func read(from workspace: LintWorkspace) throws(SpendError) {
        let buffers = try workspace.buffers(reading.map { shards[$0].file })
        for (k, i) in reading.enumerated() { shards[i].buffer = buffers[k] }
        for (i, plan) in shards.enumerated() {
            if let buffer = plan.buffer { planOfBuffer[ObjectIdentifier(buffer)] = i }
        }
    }

    /// The shards compared with their base version, in plan order.
    var compared: [Int] { changed.keys.sorted() }

    /// The chunks of the shards `indices`: the history part where it is
    /// scanned, then the new lines.
    func chunks(_ indices: [Int]) -> [LedgerChunk] {
        var out: [LedgerChunk] = []
        for i in indices {
            guard let buffer = shards[i].buffer else { continue }
            let count = buffer.bytes.count
            let from = min(shards[i].fullFrom, count)
            if from > 0 && (shards[i].prefixIds || shards[i].prefixPricing || shards[i].prefixPolicy) {
                out += LedgerLint.chunks(buffer, 0..<from)
            }
            if from < count { out += LedgerLint.chunks(buffer, from..<count) }
        }
        return out
    }

    /// Scans `chunks` on all cores: every check on new lines, ids (and prices
    /// when the cards changed) on history parts; `now`: the time of the check (`future-ts`).
    func scan(
        _ chunks: [LedgerChunk], policy: Policy, book: PriceBook, pricingEnabled: Bool, limit: Int, now: Int64, corrected: CorrectionSet = .none
    ) -> [ChunkOutcome] {
        let shards = self.shards
        let planOfBuffer = self.planOfBuffer
        return LedgerReader.map(chunks) { chunk in
            let plan = shards[planOfBuffer[ObjectIdentifier(chunk.buffer)]!]
            let full = chunk.range.lowerBound >= plan.fullFrom
            if !full && !(plan.prefixPricing && pricingEnabled) && !plan.prefixPolicy { return LedgerLint.scanIds(chunk) }
            return LedgerLint.scan(
                chunk, plan: plan, full: full, policy: policy, book: book, pricingEnabled: pricingEnabled, limit: limit, now: now,
                corrected: corrected)
        }
    }

    /// Takes in the history comparison of the shards `order` (see
    /// ``Linter/compareHistories(_:baseLabel:)``): in incremental modes, new
    /// lines start where the base ends, and the lines before are history.
    /// Returns the `append-only` findings.
    mutating func adopt(
        _ comparisons: [(Int, Int, Diagnostic?, Set<UInt64>?)], of order: [Int], incremental: Bool, recheck: HistoryRecheck,
        cache: IdSetCache?
    ) -> [Diagnostic] {
        var findings: [Diagnostic] = []
        for (k, i) in order.enumerated() {
            let (from, oldSize, finding, known) = comparisons[k]
            if let finding { findings.append(finding) }
            guard incremental else { continue }
            shards[i].knownLines = known
            shards[i].fullFrom = from
            if from > 0 {
                // The history part: the base blob's cached set when it is exactly the base.
                let baseBlob = changed[i]!.blob
                if finding == nil && from == oldSize, let baseBlob, let set = cache?.load(baseBlob) {
                    shards[i].historySet = set
                } else {
                    shards[i].prefixIds = true
                    if finding == nil && from == oldSize { shards[i].storeHistoryAs = baseBlob }
                }
            }
            shards[i].prefixPricing = recheck.pricing && from > 0
            shards[i].prefixPolicy = recheck.policy && from > 0
            // Lines kept from the base after a history change are history too (their ids).
            if known != nil { shards[i].prefixIds = true }
        }
        return findings
    }

    /// Shards with lines checked in full.
    var shardsChecked: Int { shards.filter(\.hasNewLines).count }

    /// The id set of every shard's history part, in ledger order: cached, or
    /// collected by the scan (and cached when it is a whole base blob).
    mutating func historyIdSets(_ scanned: ScannedLedger, cache: IdSetCache?) -> [(path: String, set: IdSet)] {
        var history: [(path: String, set: IdSet)] = []
        var collected: [Int: [(hash: UInt64, line: UInt64)]] = [:]
        for (c, outcome) in scanned.outcomes.enumerated() where !outcome.oldIds.isEmpty {
            let i = planOfBuffer[ObjectIdentifier(scanned.chunks[c].buffer)]!
            collected[i, default: []] += outcome.oldIds.map { ($0.hash, UInt64(scanned.linesBefore[c] + Int($0.relLine) + 1)) }
        }
        for (i, plan) in shards.enumerated() {
            if let set = plan.historySet {
                history.append((plan.file.path, set))
            } else if plan.prefixIds {
                let set = IdSet(entries: collected[i] ?? [])
                shards[i].historySet = set
                history.append((plan.file.path, set))
                if let blob = plan.storeHistoryAs { cache?.store(set, for: blob) }
            }
        }
        return history
    }

    /// Caches the complete id set of every shard read whose blob has none yet,
    /// for the next run (after ``historyIdSets(_:cache:)``), and prunes the cache.
    func storeIdSets(_ scanned: ScannedLedger, in cache: IdSetCache) {
        for plan in shards {
            guard let blob = plan.storeAs, let buffer = plan.buffer, !cache.isValid(blob) else { continue }
            let from = min(plan.fullFrom, buffer.bytes.count)
            guard from == 0 || plan.historySet != nil else { continue }
            var added: [(hash: UInt64, line: UInt64)] = []
            for (c, chunk) in scanned.chunks.enumerated() where chunk.buffer === buffer {
                for id in scanned.outcomes[c].newIds { added.append((id.hash, UInt64(scanned.linesBefore[c] + Int(id.relLine) + 1))) }
            }
            let base = plan.historySet ?? IdSet(entries: [])
            cache.store(base.adding(added), for: blob)
        }
        cache.prune()
    }
}

extension LedgerPlan {
    /// `append-only`: a shard of the base that the target no longer has.
    static func deletedShardFindings(target: LintTree, base: LintTree?, baseLabel: String) -> [Diagnostic] {
        let targetPaths = Set(target.shards.map(\.path))
        return (base?.shards ?? []).filter { !targetPaths.contains($0.path) }.map { file in
            Diagnostic(
                path: file.path, rule: .appendOnly,
                message: "shard deleted (it is in \(baseLabel)): ledger lines may never be removed — corrections are new events")
        }
    }

    /// `shard-name`: shards whose path is not `ledger/YYYY/YYYY-MM.jsonl`.
    var shardNameFindings: [Diagnostic] {
        shards.filter { $0.month == nil }.map { plan in
            Diagnostic(
                path: plan.file.path, rule: .shardName,
                message: "ledger shards are named ledger/YYYY/YYYY-MM.jsonl after the UTC month of their events")
        }
    }

    /// `torn-line`: a shard read whole whose last byte is not a newline.
    var tornLineFindings: [Diagnostic] {
        shards.compactMap { plan in
            guard plan.checkTorn, let bytes = plan.buffer?.bytes, bytes.count > 0, bytes[bytes.count - 1] != 10 else { return nil }
            let start = LedgerLint.lineStart(bytes, bytes.count)
            let line = LedgerLint.countLines(bytes, 0..<start) + 1
            return Diagnostic(
                path: plan.file.path, line: line, column: bytes.count - start + 1, rule: .tornLine,
                message: "the last line does not end with a newline (a torn write?): the next append would join two events",
                sourceLine: LedgerLint.lineText(bytes, from: start))
        }
    }
}
