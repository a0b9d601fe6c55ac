import Foundation

/// `spend lint`: validates ledger, rate cards and policy of the working tree,
/// the index, a revision or every commit of a range, each against its base
/// (HEAD or the first parent), and reports findings with stable rule ids.
public struct Linter {
    public let workspace: LintWorkspace
    /// "Today" for `ratecard-backdated` in `--all` and `--staged` (ms since the epoch).
    public var now: Int64
    /// Findings kept per snapshot (0: all); the rest are counted.
    public var limit: Int
    /// Cache per-blob id sets under the git directory.
    public var useCache = true
    /// Outside prices to check glob aliases against (`--litellm FILE`): `ratecard-alias-shadow`.
    public var referencePrices: ReferencePrices?
    /// Rate cards parsed in this run.
    let cardMemo = RateCardLint.Memo()

    public init(workspace: LintWorkspace, now: Int64 = Int64(Date().timeIntervalSince1970 * 1000), limit: Int = 200) {
        self.workspace = workspace
        self.now = now
        self.limit = limit
    }

    public func run(_ mode: LintMode) throws(SpendError) -> LintResult {
        switch mode {
        case .workingTree:
            let target = try workspace.workingTree()
            var base: LintTree?
            if let git = workspace.git, let head = try? git.headCommit() {
                base = try workspace.commitTree(head)
            }
            let section = try check(target: target, base: base, baseLabel: "HEAD", incremental: false, now: now)
            return LintResult(mode: mode, sections: [section])
        case .staged:
            let git = try workspace.requireGit(for: .staged)
            let target = try workspace.index()
            let head: ObjectID?
            do { head = try git.headCommit() } catch { throw SpendError.git(error) }
            var base: LintTree?
            if let head { base = try workspace.commitTree(head) }
            let section = try check(target: target, base: base, baseLabel: "HEAD", incremental: true, now: now)
            return LintResult(mode: mode, sections: [section])
        case .revision(let rev):
            let git = try workspace.requireGit(for: .revision)
            let id: ObjectID
            do { id = try git.commitID(rev) } catch { throw SpendError.git(error) }
            return LintResult(mode: mode, sections: [try checkCommit(id)])
        case .commits(let range):
            let git = try workspace.requireGit(for: .commits)
            let ids: [ObjectID]
            do { ids = try git.commits(inRange: range) } catch { throw SpendError.git(error) }
            var sections: [LintSection] = []
            for id in ids { sections.append(try checkCommit(id)) }
            return LintResult(mode: mode, sections: sections)
        }
    }

    /// One commit against its first parent ("today" is its commit time).
    func checkCommit(_ id: ObjectID) throws(SpendError) -> LintSection {
        let git = try workspace.requireGit(for: "reading commits")
        let info: (parents: [ObjectID], time: Int64, summary: String)
        do { info = try git.commitInfo(id) } catch { throw SpendError.git(error) }
        let target = try workspace.commitTree(id)
        let parent = info.parents.first
        var base: LintTree?
        if let parent { base = try workspace.commitTree(parent) }
        var section = try check(
            target: target, base: base, baseLabel: parent.map { $0.short } ?? "", incremental: true, now: info.time * 1000)
        section.commit = id
        section.title = info.summary
        if parent == nil { section.stats.base = "(root commit)" }
        return section
    }

    /// Checks `target` against `base`. Incremental: only what changed gets
    /// event checks (ids are checked against the whole ledger).
    func check(target: LintTree, base: LintTree?, baseLabel: String, incremental: Bool, now: Int64) throws(SpendError) -> LintSection {
        var diagnostics: [Diagnostic] = target.problems
        var notes: [String] = []
        var stats = LintStats()
        stats.base = base == nil ? "" : "against \(baseLabel)"
        stats.shards = target.shards.count
        stats.cards = target.cards.count
        stats.policy = target.policy != nil

        // Policy.
        var policy = Policy.empty
        if let file = target.policy {
            let text = try workspace.text(file)
            do {
                policy = try Policy.parse(text, path: file.path)
            } catch {
                diagnostics += error.diagnostics
                notes.append("spend.toml has errors: events were checked without a tagging policy")
            }
        }

        // Rate cards.
        var cardTexts: [(path: String, text: String)] = []
        for file in target.cards { cardTexts.append((file.path, try workspace.text(file))) }
        let (cards, cardProblems) = RateCardLint.parse(cardTexts, memo: cardMemo)
        diagnostics += cardProblems
        let book = PriceBook(cards: cards.compactMap(\.card))
        diagnostics += RateCardLint.aliasFindings(book)
        if let referencePrices { diagnostics += RateCardLint.shadowFindings(book, reference: referencePrices) }
        let pricingEnabled = cards.allSatisfy { $0.card != nil }
        if !pricingEnabled {
            notes.append("a rate card has errors: events were not checked for prices (unknown-model, no-price)")
        }
        var cardsChanged = false
        if let base {
            var baseTexts: [(path: String, text: String)] = []
            for file in base.cards { baseTexts.append((file.path, try workspace.text(file))) }
            let (baseCards, _) = RateCardLint.parse(baseTexts, memo: cardMemo)
            diagnostics += RateCardLint.historyFindings(target: cards, base: baseCards, baseLabel: baseLabel, now: now)
            let a = Set(target.cards.map { "\($0.path)\u{0}\($0.blob?.hex ?? "")" })
            let b = Set(base.cards.map { "\($0.path)\u{0}\($0.blob?.hex ?? "")" })
            cardsChanged = a != b
        }
        // Give card findings their source line (each card split into lines once, not once per finding).
        let cardTextByPath = Dictionary(cardTexts.map { ($0.path, $0.text) }, uniquingKeysWith: { a, _ in a })
        var cardLines: [String: [Substring]] = [:]
        for i in diagnostics.indices where diagnostics[i].sourceLine == nil {
            let path = diagnostics[i].path
            guard let line = diagnostics[i].line, let text = cardTextByPath[path] else { continue }
            if cardLines[path] == nil { cardLines[path] = text.split(separator: "\n", omittingEmptySubsequences: false) }
            let lines = cardLines[path]!
            if line >= 1 && line <= lines.count { diagnostics[i].sourceLine = String(lines[line - 1]) }
        }

        // Ledger.
        let ledger = try checkLedger(
            target: target, base: base, baseLabel: baseLabel, incremental: incremental, policy: policy, book: book,
            pricingEnabled: pricingEnabled, recheckPricing: incremental && cardsChanged && pricingEnabled)
        diagnostics += ledger.diagnostics
        stats.eventsChecked = ledger.events
        stats.shardsChecked = ledger.shardsChecked
        if incremental && cardsChanged && pricingEnabled {
            notes.append("rate cards changed: every event of the ledger was re-checked for a price")
        }

        var errors = ledger.errors
        var warnings = ledger.warnings
        for d in diagnostics[..<(diagnostics.count - ledger.diagnostics.count)] {
            if d.severity == .error { errors += 1 } else { warnings += 1 }
        }
        diagnostics.sort()
        var omitted = ledger.omitted
        if limit > 0 && diagnostics.count > limit {
            omitted += diagnostics.count - limit
            diagnostics.removeLast(diagnostics.count - limit)
        }
        return LintSection(
            commit: target.commit, title: nil, diagnostics: diagnostics, errors: errors, warnings: warnings, omitted: omitted,
            stats: stats, notes: notes)
    }

    /// Compares shards with their base versions (git blobs), in parallel:
    /// streamed when the object database allows (no copy), else read whole.
    /// Returns where new lines start, the base size, and the append-only finding.
    /// When history changed, also the hashes of the base's lines from the
    /// first difference on: those lines are not new and are not re-checked.
    func compareHistories(_ pairs: [(base: LintFile, target: ShardBuffer)], baseLabel: String) throws(SpendError) -> [(Int, Int, Diagnostic?, Set<UInt64>?)] {
        if pairs.isEmpty { return [] }
        guard let gitdir = workspace.git?.gitdir else { throw SpendError.usage("no git repository") }
        let results = UnsafeMutableBufferPointer<Result<(Int, Int, Diagnostic?, Set<UInt64>?), SpendError>?>.allocate(capacity: pairs.count)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        let slots = UncheckedSendable(results)
        let work = UncheckedSendable(pairs)
        DispatchQueue.concurrentPerform(iterations: pairs.count) { k in
            let (base, target) = work.value[k]
            guard case .blob(let id) = base.source else {
                slots.value[k] = .failure(SpendError.usage("cannot read \(base.path) of \(baseLabel)"))
                return
            }
            do {
                let repo = try GitRepository(at: gitdir)
                repo.adoptEnvironmentObjectDirectories()
                let new = target.bytes
                // Streamed (loose objects), else by content hash (packed objects: no inflating 100 MB).
                if let (isPrefix, size) = try repo.blobIsPrefix(id, of: new) ?? repo.blobIsPrefixByHash(id, of: new), isPrefix {
                    let from = size == 0 || new[size - 1] == 10 ? size : LedgerLint.lineStart(new, size)
                    slots.value[k] = .success((from, size, nil, nil))
                    return
                }
                let result = try repo.withBlob(id) { old in
                    let (from, finding) = LedgerLint.compareHistory(path: base.path, old: old, new: new, baseLabel: baseLabel)
                    let known = finding == nil ? nil : LedgerLint.lineHashes(old, from: min(from, old.count))
                    return (from, old.count, finding, known)
                }
                slots.value[k] = .success(result)
            } catch {
                slots.value[k] = .failure(SpendError.usage("cannot read \(base.path) of \(baseLabel): \(error)"))
            }
        }
        var out: [(Int, Int, Diagnostic?, Set<UInt64>?)] = []
        for result in results {
            switch result! {
            case .success(let r): out.append(r)
            case .failure(let e): throw e
            }
        }
        return out
    }

    /// A result handed back from a worker thread.
    final class ResultSlot<T>: @unchecked Sendable {
        var value: Result<T, SpendError>?
        func get() throws(SpendError) -> T {
            switch value! {
            case .success(let v): return v
            case .failure(let e): throw e
            }
        }
    }

    struct LedgerOutcome {
        var diagnostics: [Diagnostic] = []
        var errors = 0
        var warnings = 0
        var omitted = 0
        var events = 0
        var shardsChecked = 0
    }

    func checkLedger(
        target: LintTree, base: LintTree?, baseLabel: String, incremental: Bool, policy: Policy, book: PriceBook,
        pricingEnabled: Bool, recheckPricing: Bool
    ) throws(SpendError) -> LedgerOutcome {
        var out = LedgerOutcome()
        func report(_ d: Diagnostic) {
            out.diagnostics.append(d)
            if d.severity == .error { out.errors += 1 } else { out.warnings += 1 }
        }
        let cache: IdSetCache? = useCache ? workspace.git.map { IdSetCache(gitCommonDirectory: $0.commonDirectory) } : nil
        var baseByPath: [String: LintFile] = [:]
        for file in base?.shards ?? [] { baseByPath[file.path] = file }
        let targetPaths = Set(target.shards.map(\.path))

        // Deleted shards.
        for file in base?.shards ?? [] where !targetPaths.contains(file.path) {
            report(
                Diagnostic(
                    path: file.path, rule: "append-only",
                    message: "shard deleted (it is in \(baseLabel)): ledger lines may never be removed — corrections are new events"))
        }

        // Plans.
        var plans: [ShardPlan] = []
        var needTarget: [Int] = []  // plan indices whose target bytes are needed
        var needBase: [Int: LintFile] = [:]
        for file in target.shards {
            var plan = ShardPlan(file: file, fullFrom: 0)
            plan.month = LedgerLint.month(ofShard: file.path)
            if plan.month == nil {
                report(
                    Diagnostic(
                        path: file.path, rule: "shard-name",
                        message: "ledger shards are named ledger/YYYY/YYYY-MM.jsonl after the UTC month of their events"))
            }
            let old = baseByPath[file.path]
            let unchanged = old != nil && file.blob != nil && old!.blob == file.blob
            if incremental && unchanged {
                // History only: ids from the cache, or scanned once and cached.
                plan.fullFrom = Int.max
                plan.historySet = file.blob.flatMap { cache?.load($0) }
                plan.prefixIds = plan.historySet == nil
                plan.prefixPricing = recheckPricing
                if plan.prefixIds { plan.storeAs = file.blob }
                if plan.prefixIds || plan.prefixPricing { needTarget.append(plans.count) }
            } else {
                plan.checkTorn = true
                plan.storeAs = file.blob
                needTarget.append(plans.count)
                if let old, !unchanged { needBase[plans.count] = old }
            }
            plans.append(plan)
        }

        // Bytes.
        let targetBuffers = try workspace.buffers(needTarget.map { plans[$0].file })
        for (k, i) in needTarget.enumerated() { plans[i].buffer = targetBuffers[k] }
        var chunkPlan: [ObjectIdentifier: Int] = [:]
        for (i, plan) in plans.enumerated() {
            if let buffer = plan.buffer { chunkPlan[ObjectIdentifier(buffer)] = i }
        }
        let frozenChunkPlan = chunkPlan
        let perChunkLimit = limit > 0 ? limit : 0
        /// Chunks of some plans: history parts where scanned, then new lines.
        func makeChunks(_ indices: [Int]) -> [LedgerChunk] {
            var out: [LedgerChunk] = []
            for i in indices {
                guard let buffer = plans[i].buffer else { continue }
                let count = buffer.bytes.count
                let from = min(plans[i].fullFrom, count)
                if from > 0 && (plans[i].prefixIds || plans[i].prefixPricing) { out += LedgerLint.chunks(buffer, 0..<from) }
                if from < count { out += LedgerLint.chunks(buffer, from..<count) }
            }
            return out
        }
        func scanAll(_ chunks: [LedgerChunk]) -> [ChunkOutcome] {
            let frozenPlans = plans
            return LedgerReader.map(chunks) { chunk in
                let plan = frozenPlans[frozenChunkPlan[ObjectIdentifier(chunk.buffer)]!]
                let full = chunk.range.lowerBound >= plan.fullFrom
                if !full && !(plan.prefixPricing && pricingEnabled) { return LedgerLint.scanIds(chunk) }
                return LedgerLint.scan(
                    chunk, plan: plan, full: full, policy: policy, book: book, pricingEnabled: pricingEnabled, limit: perChunkLimit)
            }
        }

        // Shards that changed are compared with their base versions while the
        // others (new shards, history ids) are scanned.
        let baseOrder = needBase.keys.sorted()
        // In --all every line is checked whatever the comparison says: nothing waits for it.
        let dependent = incremental ? baseOrder : []
        let independent = plans.indices.filter { !dependent.contains($0) }
        let chunksA = makeChunks(independent)
        var outcomesA: [ChunkOutcome] = []
        var compared: [(Int, Int, Diagnostic?, Set<UInt64>?)] = []
        if baseOrder.isEmpty {
            outcomesA = scanAll(chunksA)
        } else {
            let pairs = baseOrder.map { (needBase[$0]!, plans[$0].buffer!) }
            let comparison = ResultSlot<[(Int, Int, Diagnostic?, Set<UInt64>?)]>()
            let scanned = ResultSlot<[ChunkOutcome]>()
            let me = UncheckedSendable(self)
            let scanA = UncheckedSendable({ scanAll(chunksA) })
            DispatchQueue.concurrentPerform(iterations: 2) { k in
                if k == 0 {
                    do throws(SpendError) {
                        comparison.value = .success(try me.value.compareHistories(pairs, baseLabel: baseLabel))
                    } catch {
                        comparison.value = .failure(error)
                    }
                } else {
                    scanned.value = .success(scanA.value())
                }
            }
            compared = try comparison.get()
            outcomesA = try scanned.get()
        }
        for (k, i) in baseOrder.enumerated() {
            let (from, oldSize, finding, known) = compared[k]
            if let finding { report(finding) }
            guard incremental else { continue }
            plans[i].knownLines = known
            plans[i].fullFrom = from
            if from > 0 {
                // The history part: the base blob's cached set when it is exactly the base.
                let baseBlob = needBase[i]!.blob
                if finding == nil && from == oldSize, let baseBlob, let set = cache?.load(baseBlob) {
                    plans[i].historySet = set
                } else {
                    plans[i].prefixIds = true
                    if finding == nil && from == oldSize { plans[i].storeHistoryAs = baseBlob }
                }
            }
            plans[i].prefixPricing = recheckPricing && from > 0
            // Lines kept from the base after a history change are history too (their ids).
            if known != nil { plans[i].prefixIds = true }
        }

        // Torn last lines.
        for plan in plans where plan.checkTorn {
            guard let bytes = plan.buffer?.bytes, bytes.count > 0, bytes[bytes.count - 1] != 10 else { continue }
            let start = LedgerLint.lineStart(bytes, bytes.count)
            let line = LedgerLint.countLines(bytes, 0..<start) + 1
            report(
                Diagnostic(
                    path: plan.file.path, line: line, column: bytes.count - start + 1, rule: "torn-line",
                    message: "the last line does not end with a newline (a torn write?): the next append would join two events",
                    sourceLine: LedgerLint.lineText(bytes, from: start)))
        }

        let chunksB = makeChunks(dependent)
        // Back in ledger order (shard path, then offset): "first occurrence" of an id follows it.
        let ordered = zip(chunksA + chunksB, outcomesA + scanAll(chunksB)).sorted {
            let a = chunkPlan[ObjectIdentifier($0.0.buffer)]!
            let b = chunkPlan[ObjectIdentifier($1.0.buffer)]!
            return a != b ? a < b : $0.0.range.lowerBound < $1.0.range.lowerBound
        }
        let chunks = ordered.map(\.0)
        let outcomes = ordered.map(\.1)

        // Line numbers: newlines before each chunk of its shard.
        var linesBefore: [Int] = Array(repeating: 0, count: chunks.count)
        var running: [Int: (end: Int, lines: Int)] = [:]
        for (c, chunk) in chunks.enumerated() {
            let i = chunkPlan[ObjectIdentifier(chunk.buffer)]!
            if let r = running[i], r.end == chunk.range.lowerBound {
                linesBefore[c] = r.lines
            } else {
                linesBefore[c] = LedgerLint.countLines(chunk.buffer.bytes, 0..<chunk.range.lowerBound)
            }
            running[i] = (chunk.range.upperBound, linesBefore[c] + outcomes[c].lines)
        }

        // Findings.
        for (c, outcome) in outcomes.enumerated() {
            out.errors += outcome.errors
            out.warnings += outcome.warnings
            out.omitted += outcome.omitted
            out.events += outcome.events
            let bytes = chunks[c].buffer.bytes
            for f in outcome.findings {
                out.diagnostics.append(
                    Diagnostic(
                        path: chunks[c].path, line: linesBefore[c] + f.relLine + 1, column: f.offset - f.lineStart + 1,
                        severity: f.severity, rule: f.rule, message: f.message, sourceLine: LedgerLint.lineText(bytes, from: f.lineStart)))
            }
        }
        out.shardsChecked = plans.filter(\.hasNewLines).count

        // Ids: history sets per shard, new ids in ledger order.
        var history: [(path: String, set: IdSet)] = []
        var scannedHistory: [Int: [(hash: UInt64, line: UInt64)]] = [:]
        for (c, outcome) in outcomes.enumerated() where !outcome.oldIds.isEmpty {
            let i = chunkPlan[ObjectIdentifier(chunks[c].buffer)]!
            scannedHistory[i, default: []] += outcome.oldIds.map { ($0.hash, UInt64(linesBefore[c] + Int($0.relLine) + 1)) }
        }
        for (i, plan) in plans.enumerated() {
            if let set = plan.historySet {
                history.append((plan.file.path, set))
            } else if plan.prefixIds {
                let set = IdSet(entries: scannedHistory[i] ?? [])
                plans[i].historySet = set
                history.append((plan.file.path, set))
                if let blob = plan.storeHistoryAs { cache?.store(set, for: blob) }
            }
        }
        struct NewId {
            var hash: UInt64
            var chunk: Int32
            var line: Int32
            var lineStart: Int
        }
        var newIds: [NewId] = []
        newIds.reserveCapacity(outcomes.reduce(0) { $0 + $1.newIds.count })
        for (c, outcome) in outcomes.enumerated() {
            for id in outcome.newIds {
                newIds.append(NewId(hash: id.hash, chunk: Int32(c), line: Int32(linesBefore[c]) + id.relLine + 1, lineStart: id.lineStart))
            }
        }
        func idText(_ n: NewId) -> (String, Int)? {
            let buffer = chunks[Int(n.chunk)].buffer
            var scanner = LedgerScanner(buffer: buffer.bytes, range: n.lineStart..<buffer.bytes.count)
            var e = EventRecord()
            guard (try? scanner.next(into: &e)) == true, let s = scanner.string(e.id) else { return nil }
            return (s, e.id.start - 1)
        }
        func duplicate(_ n: NewId, _ other: String) {
            guard let (id, offset) = idText(n) else { return }
            let bytes = chunks[Int(n.chunk)].buffer.bytes
            let d = Diagnostic(
                path: chunks[Int(n.chunk)].path, line: Int(n.line), column: offset - n.lineStart + 1, rule: "duplicate-id",
                message: "duplicate id \"\(id)\" (also at \(other)): ids must be unique in the ledger",
                sourceLine: LedgerLint.lineText(bytes, from: n.lineStart))
            out.errors += 1
            // Kept findings are cut to the limit after sorting; this only bounds memory.
            if limit > 0 && out.diagnostics.count >= limit * 8 { out.omitted += 1 } else { out.diagnostics.append(d) }
        }
        // New against new: an open-addressing table of first occurrences.
        var firsts: [Int] = []
        if !newIds.isEmpty {
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
                    duplicate(n, "\(chunks[Int(first.chunk)].path):\(first.line)")
                } else {
                    firsts.append(k)
                }
            }
        }
        // New against history: merge-join on sorted hashes.
        if !history.isEmpty && !firsts.isEmpty {
            let sorted = firsts.sorted { newIds[$0].hash < newIds[$1].hash }
            for (path, set) in history {
                var j = 0
                for k in sorted {
                    let h = newIds[k].hash
                    while j < set.entries.count && set.entries[j].hash < h { j += 1 }
                    if j < set.entries.count && set.entries[j].hash == h {
                        duplicate(newIds[k], "\(path):\(set.entries[j].line)")
                    }
                }
            }
        }

        // Cache the complete id sets of the shards read, for the next run
        // (incremental modes only: --all reads everything anyway).
        if let cache, incremental {
            for (i, plan) in plans.enumerated() {
                guard let blob = plan.storeAs, let buffer = plan.buffer, !cache.isValid(blob) else { continue }
                let from = min(plan.fullFrom, buffer.bytes.count)
                guard from == 0 || plans[i].historySet != nil else { continue }
                var added: [(hash: UInt64, line: UInt64)] = []
                for (c, chunk) in chunks.enumerated() where chunk.buffer === buffer {
                    for id in outcomes[c].newIds { added.append((id.hash, UInt64(linesBefore[c] + Int(id.relLine) + 1))) }
                }
                let base = plans[i].historySet ?? IdSet(entries: [])
                cache.store(base.adding(added), for: blob)
            }
            cache.prune()
        }
        return out
    }
}
