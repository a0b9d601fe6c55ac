import Foundation

/// Reads shard summaries (grouped, priced usage per shard), from the diff
/// cache when it has them, parsing only the shards it does not. Within one
/// run each (shard blob, price book, query) is summarized once, so two
/// revisions that share most shards parse the shared ones once at most.
///
/// Corrections: what a shard contributes depends on the corrections of the
/// whole snapshot (a void in November's shard excludes an October event).
/// Each blob's declared corrections are cached by blob id
/// (`CorrectionIndexCache`, found whenever the blob is parsed); a snapshot's
/// corrections are their union, and every summary key carries its digest
/// (nothing when there are none, so a ledger without corrections keeps its
/// keys). A blob whose declared corrections are not known yet is parsed; if
/// it declares new ones, the snapshot is summarized again with them.
///
/// `@unchecked Sendable`, safe because `cache` is a `let` of a Sendable type
/// and the mutable state (the memo and the counters) is read and written only
/// inside `locked`, which holds `lock`. Parsing runs outside the lock: two
/// threads that summarize the same shard at once may both parse it (the memo
/// is an optimization; both store the same summary).
public final class SummaryEngine: @unchecked Sendable {
    public let cache: SummaryCache?
    /// Stop at invalid lines (the default), or leave them out (`ShardSummary.excluded`).
    public let invalidLines: InvalidLinePolicy
    /// The declared corrections of shard blobs (with `cache`).
    public let corrections: CorrectionIndexCache?
    /// Shards parsed and shards served from the disk cache (memoized repeats count as neither).
    public var parsedShards: Int { locked { $0.parsedShards } }
    public var cachedShards: Int { locked { $0.cachedShards } }

    private struct State {
        var parsedShards = 0
        var cachedShards = 0
        var memo: [String: ShardSummary] = [:]
        /// Declared corrections by blob id.
        var declared: [String: [UInt64]] = [:]
    }
    private let lock = NSLock()
    /// Guarded by `lock`: use `locked`.
    private var state = State()

    private func locked<Result>(_ body: (inout State) -> Result) -> Result {
        lock.lock()
        defer { lock.unlock() }
        return body(&state)
    }

    public init(cache: SummaryCache?, invalidLines: InvalidLinePolicy = .strict, corrections: CorrectionIndexCache? = nil) {
        self.cache = cache
        self.invalidLines = invalidLines
        self.corrections = corrections
    }

    /// A cache for the repository around `repository`, unless `useCache` is
    /// false (the CLI's `SPEND_DIFF_CACHE=0`).
    public static func forRepository(
        _ repository: CostRepository, useCache: Bool = true, invalidLines: InvalidLinePolicy = .strict
    ) -> SummaryEngine {
        if !useCache { return SummaryEngine(cache: nil, invalidLines: invalidLines) }
        guard let (git, _) = try? repository.git() else { return SummaryEngine(cache: nil, invalidLines: invalidLines) }
        return SummaryEngine(
            cache: SummaryCache(gitCommonDirectory: git.commonDirectory), invalidLines: invalidLines,
            corrections: CorrectionIndexCache(gitCommonDirectory: git.commonDirectory))
    }

    /// The price book's identity: rate-card paths and blob ids (nil when a card has none).
    public static func bookKey(_ book: PriceBook) -> String? {
        var parts: [String] = []
        for card in book.cards.sorted(by: { $0.path < $1.path }) {
            guard let blob = card.blobId else { return nil }
            parts.append(card.path + "=" + blob)
        }
        return parts.joined(separator: ",")
    }

    static func queryKey(_ q: ReportQuery) -> String {
        var parts = ["v1", q.dimensions.map(\.description).joined(separator: ","), q.period?.rawValue ?? "-"]
        parts.append(q.since.map(String.init) ?? "-")
        parts.append(q.until.map(String.init) ?? "-")
        parts.append(q.filters.map { "\($0.dimension)\($0.negated ? "!=" : "=")\($0.value)" }.joined(separator: "\u{1}"))
        return parts.joined(separator: ";")
    }

    /// The summed summary of every shard of `snapshot`, priced with `book`
    /// (by default the snapshot's own). With `lenient`, events the book cannot
    /// price are left out instead of failing (callers compare event counts).
    public func summary(of snapshot: Snapshot, book: PriceBook? = nil, query: ReportQuery, lenient: Bool = false) throws -> ShardSummary {
        let book = book ?? snapshot.priceBook
        let results = try shardSummaries(of: snapshot, book: book, query: query, lenient: lenient)
        var total = ShardSummary()
        // The snapshot's sum of every cell bounds every row and total a diff forms from them.
        var everything = UsageCell()
        for case let r? in results {
            total.excluded.add(r.excluded)
            for (labels, cell) in r.cells {
                do {
                    try everything.add(cell)
                    try total.cells[labels, default: UsageCell()].add(cell)
                } catch {
                    throw try Self.overflow(snapshot, book, query, error, across: "the ledger's shards")
                }
            }
        }
        return total
    }

    /// The summary of each shard of `snapshot` (in `snapshot.shards` order), priced with `book`;
    /// with `only`, just those shards (the others are nil and are neither read nor priced).
    public func shardSummaries(of snapshot: Snapshot, book: PriceBook? = nil, query: ReportQuery, lenient: Bool = false, only: Set<Int>? = nil)
        throws -> [ShardSummary?]
    {
        let book = book ?? snapshot.priceBook
        let bookKey = Self.bookKey(book)
        let plainQueryKey = Self.queryKey(query)
        // Blob ids: from git; for a working-tree file, the index's id when the
        // file is certainly unchanged since it was staged (git's stat check),
        // else hashed from the file.
        let clean = snapshot.shards.contains(where: { !$0.isBlob }) ? CleanLedgerFiles(snapshot.repository) : nil
        var blobs: [String] = []
        for shard in snapshot.shards {
            switch shard.content {
            case .blob(let id): blobs.append(id.hex)
            case .file(let path):
                if let id = clean?.blob(path: shard.path, absolutePath: path) {
                    blobs.append(id.hex)
                    continue
                }
                let file = try MappedFile(path: path)
                blobs.append(file.withBytes { ObjectID.blob(of: $0).hex })
            }
        }
        // The snapshot's corrections, as far as they are known without parsing.
        var known = CorrectionSet()
        var undeclared: Set<Int> = []
        for (i, blob) in blobs.enumerated() {
            if let hashes = declaredCorrections(of: blob) {
                known = known.union(hashes)
            } else {
                undeclared.insert(i)
            }
        }
        let queryKey = known.isEmpty ? plainQueryKey : plainQueryKey + "|corrections " + known.digest
        var results: [ShardSummary?] = Array(repeating: nil, count: snapshot.shards.count)
        var missing: [Int] = []
        // Without card blob ids there is no sound key: nothing is memoized or cached.
        let memoKey: String? = bookKey.map { $0 + "|" + queryKey }
        // Shards outside `only` are read only to learn their corrections (once per blob).
        for (i, blob) in blobs.enumerated() where only?.contains(i) ?? true || undeclared.contains(i) {
            if undeclared.contains(i) {
                missing.append(i)
            } else if let memoKey, let m = locked({ $0.memo[blob + "|" + memoKey] }) {
                results[i] = m
            } else if let bookKey, let cache, let s = cache.load(blob: blob, key: bookKey + "|" + queryKey) {
                results[i] = s
                locked {
                    $0.memo[blob + "|" + bookKey + "|" + queryKey] = s
                    $0.cachedShards += 1
                }
            } else if let j = missing.first(where: { blobs[$0] == blob }) {
                _ = j  // the same content twice in one snapshot: parsed once below
                missing.append(i)
            } else {
                missing.append(i)
            }
        }
        if !missing.isEmpty {
            // Parse each distinct missing blob once.
            var firstOf: [String: Int] = [:]
            var toParse: [LedgerShard] = []
            for i in missing where firstOf[blobs[i]] == nil {
                firstOf[blobs[i]] = toParse.count
                toParse.append(snapshot.shards[i])
            }
            // While some shards' corrections are unknown, a rejected line may
            // turn out to be voided: errors wait until the corrections are known.
            let parsed = try parse(
                snapshot: snapshot, shards: toParse, book: book, query: query, lenient: lenient || !undeclared.isEmpty, corrections: known)
            locked { $0.parsedShards += toParse.count }
            var found = known
            for (blob, k) in firstOf where undeclared.contains(where: { blobs[$0] == blob }) {
                remember(parsed[k].declared, of: blob)
                found = found.union(parsed[k].declared)
            }
            if found != known {
                // A shard parsed just now declares corrections that were not
                // known: every shard's contribution may change. All are known now.
                return try shardSummaries(of: snapshot, book: book, query: query, lenient: lenient, only: only)
            }
            if !lenient && !undeclared.isEmpty && parsed.contains(where: { !$0.complete }) {
                // The corrections were right: the errors stand (read again to throw them).
                _ = try parse(snapshot: snapshot, shards: toParse, book: book, query: query, lenient: false, corrections: known)
            }
            for i in missing {
                let s = parsed[firstOf[blobs[i]]!]
                if only?.contains(i) ?? true { results[i] = s.summary }
                if let memoKey { locked { $0.memo[blobs[i] + "|" + memoKey] = s.summary } }
                if s.complete, let bookKey, let cache { cache.store(s.summary, blob: blobs[i], key: bookKey + "|" + queryKey) }
            }
            cache?.prune()
            corrections?.prune()
        }
        return results
    }

    /// A blob's declared corrections: memoized, else from the disk cache, else nil (parse it).
    private func declaredCorrections(of blob: String) -> [UInt64]? {
        if let known = locked({ $0.declared[blob] }) { return known }
        guard let hashes = corrections?.load(blob) else { return nil }
        locked { $0.declared[blob] = hashes }
        return hashes
    }

    private func remember(_ hashes: [UInt64], of blob: String) {
        locked { $0.declared[blob] = hashes }
        corrections?.store(hashes, for: blob)
    }

    /// The error for a sum of shard summaries that overflows: the event at
    /// which the snapshot's running totals overflow (read again, in ledger
    /// order), else (a cost sum) the ledger.
    static func overflow(_ snapshot: Snapshot, _ book: PriceBook, _ query: ReportQuery, _ error: SumOverflow, across what: String) throws(SpendError)
        -> SpendError
    {
        if let located = try Aggregator(book: book, query: query).locateOverflow(snapshot) { return SpendError.input([located]) }
        return Aggregator.overflow(error, across: what)
    }

    /// Parses shards in parallel and summarizes each; the lines rejected are
    /// left out with `lenient` or under `InvalidLinePolicy.exclude` (each
    /// summary's `excluded`), else thrown. `corrections`: the snapshot's
    /// (events with those ids are left out); each shard's own declared
    /// corrections come back with its summary.
    func parse(
        snapshot: Snapshot, shards: [LedgerShard], book: PriceBook, query: ReportQuery, lenient: Bool, corrections: CorrectionSet
    ) throws(SpendError) -> [(summary: ShardSummary, complete: Bool, declared: [UInt64])] {
        let aggregator = Aggregator(book: book, query: query)
        let parts = try ScanEngine.run(snapshot, shards: shards, corrections: corrections, aggregator.consumer)
        var out = Array(repeating: (summary: ShardSummary(), complete: true, declared: [UInt64]()), count: shards.count)
        for (i, part) in parts { out[i].declared += part.declaredCorrections }
        var diagnostics: [Diagnostic] = []
        var omitted = 0
        var overflow: (error: SumOverflow, path: String)?
        for (i, part) in parts {
            if !part.diagnostics.isEmpty || part.omitted > 0 {
                out[i].complete = false
                out[i].summary.excluded.add(part)
            }
            part.forEachGroup(query) { (labels: [String], selection: RateSelection, usage: Usage, events: Int64) -> Void in
                let cost: ExactDecimal
                do throws(PricingError) {
                    cost = try book.effectiveRates(selection).get().cost(usage)
                } catch {
                    out[i].complete = false
                    diagnostics.append(Diagnostic(path: shards[i].path, rule: error.rule, message: error.message))
                    return
                }
                do throws(SumOverflow) {
                    let cell = UsageCell(
                        events: events, requests: usage.requests, inputTokens: try usage.promptTokens(), outputTokens: usage.outputTokens,
                        cost: cost)
                    try out[i].summary.cells[labels, default: UsageCell()].add(cell)
                } catch {
                    overflow = overflow ?? (error, shards[i].path)
                }
            }
        }
        var lines = ExcludedLines()
        for i in out.indices { lines.add(out[i].summary.excluded) }
        do {
            _ = try invalidLines.admit(lines)  // left out (each summary's `excluded`), unless the policy stops at them
        } catch {
            diagnostics += lines.diagnostics
            omitted += lines.omitted
        }
        // Never lenient: a sum that does not fit is bad input, not an unpriced event (an event's own is a line left out).
        if let costOverflow = diagnostics.first(where: { $0.rule == .overflow }) { throw SpendError.input([costOverflow]) }
        if diagnostics.isEmpty, let overflow {
            throw try Self.overflow(snapshot, book, query, overflow.error, across: "the chunks of \(overflow.path)")
        }
        if !lenient && !diagnostics.isEmpty {
            diagnostics.sort()
            throw SpendError.input(diagnostics, omitted: omitted)
        }
        return out
    }
}
