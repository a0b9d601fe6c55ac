import Foundation

/// `spend lint`: validates ledger, rate cards and policy of the working tree,
/// the index, a revision or every commit of a range, each against its base
/// (HEAD or the first parent), and reports findings with stable rule ids.
public struct Linter {
    public let workspace: LintWorkspace
    /// "Today" (ms since the epoch) for the working tree and the index: for
    /// `ratecard-backdated`, and for telling a point or discount that takes
    /// effect later (editable) from one in effect. Commits use their own time.
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
        case .workingTree, .all:
            let target = try workspace.workingTree()
            var base: LintTree?
            if let git = workspace.git, let head = try? git.headCommit() {
                base = try workspace.commitTree(head)
            }
            let section = try check(target: target, base: base, baseLabel: "HEAD", incremental: mode != .all, now: now)
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
        if let parent {
            do {
                base = try workspace.commitTree(parent)
            } catch {
                // CI's depth-1 checkout: the commit is there, its parent is not.
                guard case .git = error, git.isShallow else { throw error }
                throw SpendError.git(
                    GitError(message: "the parent \(parent.short) of commit \(id.short) is not in this repository; " + GitRepository.shallowNote))
            }
        }
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
        var policyText: String?
        if let file = target.policy {
            let text = try workspace.text(file)
            do {
                policy = try Policy.parse(text, path: file.path)
                policyText = text
            } catch {
                diagnostics += error.diagnostics
                notes.append("spend.toml has errors: events were checked without a tagging policy")
            }
        }
        // A changed policy is not applied to history; history is only counted against it.
        if let base, let policyText {
            let baseText = try base.policy.map { file throws(SpendError) in try workspace.text(file) }
            stats.policyChanged = baseText != policyText
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
            let history = RateCardLint.history(target: cards, base: baseCards, baseLabel: baseLabel, now: now)
            diagnostics += history.findings
            // Changes that start after `now` are corrections when no event is priced with them yet.
            let later = history.changes.map(\.from).filter { $0 > now }
            let latest = try later.min().flatMap { instant throws(SpendError) in try latestEvent(atOrAfter: instant, in: target) }
            for change in history.changes {
                switch change.verdict(now: now, latestEvent: latest.flatMap { $0 >= change.from ? $0 : nil }, baseLabel: baseLabel) {
                case .finding(let d): diagnostics.append(d)
                case .note(let text): notes.append(text)
                }
            }
            // By content: a working-tree card has no blob id, and an unchanged one is no change.
            cardsChanged = Set(cardTexts.map { $0.path + "\u{0}" + $0.text }) != Set(baseTexts.map { $0.path + "\u{0}" + $0.text })
        }
        stats.cardsChanged = cardsChanged
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
            pricingEnabled: pricingEnabled, recheckPricing: incremental && cardsChanged && pricingEnabled,
            countPolicy: incremental && stats.policyChanged, now: now)
        diagnostics += ledger.diagnostics
        notes += ledger.notes
        stats.eventsChecked = ledger.events
        stats.shardsChecked = ledger.shardsChecked
        stats.policyPredating = ledger.policyPredating
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
        guard let gitdir = workspace.git?.gitdir, let environment = workspace.git?.environment else {
            throw SpendError.usage("no git repository")
        }
        let results = parallelMap(pairs.count) { k -> Result<(Int, Int, Diagnostic?, Set<UInt64>?), SpendError> in
            let (base, target) = pairs[k]
            guard case .blob(let id) = base.source else {
                return .failure(SpendError.usage("cannot read \(base.path) of \(baseLabel)"))
            }
            do {
                let repo = try GitRepository(at: gitdir, environment: environment)
                repo.adoptEnvironmentObjectDirectories()
                let new = target.bytes
                // Streamed (loose objects), else by content hash (packed objects: no inflating 100 MB).
                if let (isPrefix, size) = try repo.blobIsPrefix(id, of: new) ?? repo.blobIsPrefixByHash(id, of: new), isPrefix {
                    let from = size == 0 || new[size - 1] == 10 ? size : LedgerLint.lineStart(new, size)
                    return .success((from, size, nil, nil))
                }
                let result = try repo.withBlob(id) { old in
                    let (from, finding) = LedgerLint.compareHistory(path: base.path, old: old, new: new, baseLabel: baseLabel)
                    let known = finding == nil ? nil : LedgerLint.lineHashes(old, from: min(from, old.count))
                    return (from, old.count, finding, known)
                }
                return .success(result)
            } catch {
                return .failure(SpendError.usage("cannot read \(base.path) of \(baseLabel): \(error)"))
            }
        }
        var out: [(Int, Int, Diagnostic?, Set<UInt64>?)] = []
        for result in results {
            switch result {
            case .success(let r): out.append(r)
            case .failure(let e): throw e
            }
        }
        return out
    }

    /// What the ledger checks found and read.
    struct LedgerOutcome {
        var diagnostics: [Diagnostic] = []
        var errors = 0
        var warnings = 0
        var omitted = 0
        var events = 0
        var shardsChecked = 0
        /// History events that the policy, changed in this snapshot, rejects (counted, not reported).
        var policyPredating = 0
        /// Corrected lines whose findings were not reported (`CorrectedLines`).
        var notes: [String] = []

        /// Keeps and counts findings.
        mutating func report(_ findings: [Diagnostic]) {
            for d in findings {
                diagnostics.append(d)
                if d.severity == .error { errors += 1 } else { warnings += 1 }
            }
        }

        /// Counts an error, kept unless 8 × `limit` findings are already
        /// kept: kept findings are cut to the limit after sorting, this only bounds memory.
        mutating func reportBounded(_ d: Diagnostic, limit: Int) {
            errors += 1
            if limit > 0 && diagnostics.count >= limit * 8 { omitted += 1 } else { diagnostics.append(d) }
        }
    }

    /// The ledger checks of one snapshot, step by step: plan what to read of
    /// each shard, read it, compare changed shards with their base while the
    /// rest is scanned, scan what the comparison left new, then the ids.
    func checkLedger(
        target: LintTree, base: LintTree?, baseLabel: String, incremental: Bool, policy: Policy, book: PriceBook,
        pricingEnabled: Bool, recheckPricing: Bool, countPolicy: Bool, now: Int64
    ) throws(SpendError) -> LedgerOutcome {
        var out = LedgerOutcome()
        let cache: IdSetCache? = useCache ? workspace.git.map { IdSetCache(gitCommonDirectory: $0.commonDirectory) } : nil
        out.report(LedgerPlan.deletedShardFindings(target: target, base: base, baseLabel: baseLabel))
        var plan = LedgerPlan(
            target: target, base: base, incremental: incremental, recheck: HistoryRecheck(pricing: recheckPricing, policy: countPolicy), cache: cache)
        out.report(plan.shardNameFindings)
        try plan.read(from: workspace)
        let scan = { (plan: LedgerPlan, chunks: [LedgerChunk], corrected: CorrectionSet) in
            plan.scan(chunks, policy: policy, book: book, pricingEnabled: pricingEnabled, limit: limit > 0 ? limit : 0, now: now, corrected: corrected)
        }

        // Changed shards are compared with their base versions while the
        // others (new shards, history ids) are scanned; in --all every line
        // is checked whatever the comparison says, so nothing waits for it.
        let compared = plan.compared
        let dependent = incremental ? compared : []
        let chunksA = plan.chunks(plan.shards.indices.filter { !dependent.contains($0) })
        let planA = plan
        let (comparisons, outcomesA) = try compareHistories(
            compared.map { (plan.changed[$0]!, plan.shards[$0].buffer!) }, baseLabel: baseLabel,
            whileScanning: { scan(planA, chunksA, .none) })
        out.report(
            plan.adopt(comparisons, of: compared, incremental: incremental, recheck: HistoryRecheck(pricing: recheckPricing, policy: countPolicy), cache: cache))
        out.report(plan.tornLineFindings)

        let chunksB = plan.chunks(dependent)
        var scanned = ScannedLedger(chunksA + chunksB, outcomesA + scan(plan, chunksB, .none), planOfBuffer: plan.planOfBuffer)
        CorrectedLines.recheck(&scanned, corrected: CorrectedLines.targets(scanned)) { scan(plan, $0, $1) }
        scanned.collectFindings(into: &out)
        out.notes = CorrectedLines.notes(scanned, limit: limit)
        out.shardsChecked = plan.shardsChecked

        let history = plan.historyIdSets(scanned, cache: cache)
        let duplicates = DuplicateIds(scanned)
        duplicates.find(against: history) { id, other in
            guard let d = duplicates.diagnostic(id, alsoAt: other) else { return }
            out.reportBounded(d, limit: limit)
        }
        for d in try CorrectionLint.findings(scanned, target: target, workspace: workspace) { out.reportBounded(d, limit: limit) }
        // Incremental modes only: --all reads everything anyway.
        if let cache, incremental { plan.storeIdSets(scanned, in: cache) }
        return out
    }

    /// The history comparison: compares `pairs` with
    /// ``compareHistories(_:baseLabel:)`` while `scanAll` runs on the other
    /// core; with nothing to compare, only scans.
    func compareHistories(
        _ pairs: [(base: LintFile, target: ShardBuffer)], baseLabel: String, whileScanning scanAll: @escaping () -> [ChunkOutcome]
    ) throws(SpendError) -> ([(Int, Int, Diagnostic?, Set<UInt64>?)], [ChunkOutcome]) {
        if pairs.isEmpty { return ([], scanAll()) }
        // Two different jobs side by side: the comparison, and the scan of the shards that do not wait for it.
        // Both only read the linter and the plans (nothing is mutated until both are done).
        let me = UncheckedSendable(self)
        let scanA = UncheckedSendable(scanAll)
        let both = parallelMap(2) { k -> (compared: Result<[(Int, Int, Diagnostic?, Set<UInt64>?)], SpendError>?, scanned: [ChunkOutcome]?) in
            if k == 1 { return (nil, scanA.value()) }
            do throws(SpendError) {
                return (.success(try me.value.compareHistories(pairs, baseLabel: baseLabel)), nil)
            } catch {
                return (.failure(error), nil)
            }
        }
        return (try both[0].compared!.get(), both[1].scanned!)
    }
}
