import Foundation

/// What `append` fills in and how it writes.
public struct AppendSettings: Sendable {
    /// The time stamped on events without `ts` (ms since the epoch, UTC).
    public var now: Int64
    /// `commit` and `release` stamped on events without them.
    public var code: CodeVersion
    /// Tags added to events that lack them (`SPEND_TAGS`, then `--tag`).
    public var defaultTags: [String: String]
    /// Stamp `cost` and `priced_with` (`--no-price` turns it off).
    public var price = true
    /// fsync each shard (and a new shard's directory) before returning.
    public var sync = false
    /// Skip events whose id is already in the ledger (or earlier in the batch)
    /// instead of rejecting the batch.
    public var skipDuplicates = false
    /// The crash tests' hooks into the write phase (off unless set).
    public var writePhaseProbe = WritePhaseProbe.none

    public init(now: Int64, code: CodeVersion, defaultTags: [String: String] = [:]) {
        self.now = now
        self.code = code
        self.defaultTags = defaultTags
    }
}

/// An event ready to write: its canonical line (with the newline) and shard.
public struct PreparedEvent: Sendable {
    public var id: String
    public var shard: String
    public var line: [UInt8]
    public var cost: ExactDecimal?
    public var origin: EventOrigin
}

/// The outcome of an append.
public struct AppendOutcome: Sendable {
    /// The batch the indices below point into (shared, not copied).
    public var batch: [PreparedEvent] = []
    /// Indices (into `batch`) of the events written, per shard path, in input order.
    public var shards: [(shard: String, indices: [Int])] = []
    /// Events skipped as duplicates (`--skip-duplicates`).
    public var skipped: [PreparedEvent] = []
    /// Warnings (e.g. `input-limit`); they do not block the append.
    public var warnings: [Diagnostic] = []

    /// Events written, per shard path, in input order.
    public var written: [(shard: String, events: [PreparedEvent])] {
        shards.map { shard in (shard.shard, shard.indices.map { batch[$0] }) }
    }

    /// How many events were written.
    public var count: Int { shards.reduce(0) { $0 + $1.indices.count } }

    /// The events written, in shard order (no copies).
    public var events: LazyMapSequence<FlattenSequence<[[Int]]>, PreparedEvent> {
        shards.map(\.indices).joined().lazy.map { batch[$0] }
    }
}

/// Prepares drafts one by one (one per thread): stamps, encodes the
/// canonical line, checks it with `EventChecker` (the code `lint` runs) and
/// prices it.
struct EventPreparer {
    let book: PriceBook
    let settings: AppendSettings
    let cardOf: [String: RateCard]
    var checker: EventChecker
    var identifiers = EventIdentifier()
    var events: [PreparedEvent] = []
    var problems: [Diagnostic] = []
    var warnings: [Diagnostic] = []
    var omitted = 0
    /// With `rejecting`, an event that fails its checks is set aside in
    /// `rejected` (by `settle`) and the batch goes on (`--reject-file`).
    var rejecting = false
    var rejected: [RejectedRecord] = []
    /// The correction lines kept, checked against the ledger once the whole
    /// batch is prepared (`BatchCorrections`).
    var corrections: [BatchCorrection] = []
    /// The correction the event being added makes, recorded if it is kept.
    private var pending: BatchCorrection?
    private var findings: [EventFinding] = []
    private let canonical: CanonicalLine
    /// The line being encoded and the scanner that checks it, reused from
    /// event to event (their storage is kept: no allocation per event).
    private var scratch: [UInt8] = []
    private var lineScanner = LedgerScanner(buffer: UnsafeRawBufferPointer(start: nil, count: 0))
    /// `,"priced_with":"…"}` as bytes, per price point.
    private var pricedWithTail: [Int32: [UInt8]] = [:]
    /// The shard of the last event's month (most batches stay in one month).
    private var lastShard: (range: Range<Int64>, path: String) = (0..<0, "")

    private mutating func shardPath(_ ts: Int64) -> String {
        if lastShard.range.contains(ts) { return lastShard.path }
        let days = Timestamp.day(ofMillis: ts)
        let (y, m, _) = Timestamp.civil(fromDays: days)
        let first = Timestamp.daysFromCivil(year: y, month: m, day: 1) * Timestamp.millisPerDay
        let next = first + Timestamp.daysInMonth(year: y, month: m) * Timestamp.millisPerDay
        let event = LedgerEvent(ts: ts, id: "", provider: "", model: "", inputTokens: 0, outputTokens: 0, tags: [:])
        lastShard = (first..<next, event.shardPath)
        return lastShard.path
    }

    init(book: PriceBook, policy: Policy, settings: AppendSettings) {
        self.book = book
        self.settings = settings
        self.checker = EventChecker(policy: policy, book: book, now: settings.now)
        self.cardOf = Dictionary(book.cards.map { ($0.provider, $0) }, uniquingKeysWith: { a, _ in a })
        self.canonical = CanonicalLine(settings: settings)
    }

    /// In `rejecting` mode, after each event: sets the event's problems
    /// aside as a rejected record with its text, so the next event starts clean.
    mutating func settle(_ origin: EventOrigin, input: () -> String) {
        guard rejecting, !problems.isEmpty else { return }
        rejected.append(RejectedRecord(origin: origin, diagnostics: problems, input: input()))
        problems.removeAll(keepingCapacity: true)
        omitted = 0
    }

    private mutating func report(_ d: Diagnostic) {
        if problems.count < 50 { problems.append(d) } else { omitted += 1 }
    }

    mutating func add(_ draft: EventDraft) {
        pending = draft.event.corrects.map { BatchCorrection(target: $0, kind: draft.event.correction) }
        encode(draft)
    }

    /// Stamps, encodes and checks a draft (`pending` is the caller's).
    private mutating func encode(_ draft: EventDraft) {
        var event = draft.event
        for (key, value) in settings.defaultTags where event.tags[key] == nil { event.tags[key] = value }
        if !draft.hasTimestamp { event.ts = settings.now }
        if !draft.hasId { event.id = identifiers.next(millis: event.ts) }
        if event.commit == nil { event.commit = settings.code.commit }
        if event.release == nil { event.release = settings.code.release }
        if event.cost == nil { event.pricedWith = nil }  // priced_with describes a cost
        var line = scratch
        scratch = []
        line.removeAll(keepingCapacity: true)
        if line.capacity < 512 { line.reserveCapacity(512) }
        event.encodeLine(into: &line)
        complete(&line, id: event.id, ts: event.ts, costGiven: event.cost, origin: draft.origin)
        scratch = line
    }

    /// The `--stdin` path: encodes the scanned event straight from its bytes
    /// when `CanonicalLine` can, else materializes it (`add(_:)`).
    mutating func add(_ e: EventRecord, _ scanner: LedgerScanner, origin: EventOrigin) {
        pending = nil
        if e.correction != .none, let target = scanner.string(e.corrects) {
            let input = rejecting ? DraftReader.lineText(UnsafeRawBufferPointer(start: scanner.base, count: scanner.count), e.lineStart) : nil
            pending = BatchCorrection(target: target, kind: e.correction, input: input)
        }
        let ts = e.has(.ts) ? e.ts : settings.now
        let generated: String? = e.has(.id) ? nil : identifiers.next(millis: ts)
        var line = scratch
        scratch = []
        line.removeAll(keepingCapacity: true)
        if line.capacity < 512 { line.reserveCapacity(512) }
        defer { scratch = line }
        if canonical.usable && canonical.encode(e, scanner, ts: ts, id: generated, into: &line) {
            let id = generated ?? scanner.string(e.id) ?? ""
            if e.has(.ts) && canonical.defaultTags.isEmpty {
                // The scanned event is what will be written (stamps aside, which
                // no check reads): judge it where it lies, without a second scan.
                let (rejected, cost, pricedWith) = judge(e, scanner, origin: origin, costGiven: nil)
                if !rejected { keep(&line, id: id, ts: ts, cost: cost, pricedWith: pricedWith, costGiven: nil, origin: origin) }
                return
            }
            complete(&line, id: id, ts: ts, costGiven: nil, origin: origin)
            return
        }
        var event = LedgerEvent(e, scanner: scanner)
        if !e.has(.ts) { event.ts = 0 }
        if let generated { event.id = generated }
        encode(EventDraft(event: event, hasTimestamp: e.has(.ts), hasId: true, origin: origin))
    }

    /// Checks the canonical `line` (no `cost` / `priced_with` unless `costGiven`),
    /// prices it, and keeps it.
    private mutating func complete(_ line: inout [UInt8], id: String, ts: Int64, costGiven: ExactDecimal?, origin: EventOrigin) {
        var verdict: (rejected: Bool, cost: ExactDecimal?, pricedWith: Int32?) = (true, nil, nil)
        line.withUnsafeBytes { buffer in
            // `lineScanner` points into `line` only inside this closure.
            lineScanner.reset(buffer: buffer)
            var scanned = EventRecord()
            do throws(LedgerScanError) {
                _ = try lineScanner.next(into: &scanned)
            } catch {
                report(origin.diagnostic(rule: error.rule, message: error.message))
                return
            }
            verdict = judge(scanned, lineScanner, origin: origin, costGiven: costGiven)
        }
        if verdict.rejected { return }
        keep(&line, id: id, ts: ts, cost: verdict.cost, pricedWith: verdict.pricedWith, costGiven: costGiven, origin: origin)
    }

    /// Runs the policy and priceability checks on a scanned event and prices it.
    private mutating func judge(
        _ e: EventRecord, _ scanner: LedgerScanner, origin: EventOrigin, costGiven: ExactDecimal?
    ) -> (rejected: Bool, cost: ExactDecimal?, pricedWith: Int32?) {
        findings.removeAll(keepingCapacity: true)
        let priced = checker.check(e, scanner: scanner, into: &findings)
        var rejected = false
        for f in findings {
            let d = origin.diagnostic(rule: f.rule, message: f.message, severity: f.severity)
            if f.severity == .error {
                report(d)
                rejected = true
            } else {
                warnings.append(d)
            }
        }
        guard !rejected, let priced, settings.price, costGiven == nil else { return (rejected, costGiven, nil) }
        do throws(PricingError) {
            let cost = try checker.pricer.cost(e, priced, scanner: scanner)
            return (false, cost, priced.point)
        } catch {
            report(origin.diagnostic(rule: error.rule, message: error.message))
            return (true, nil, nil)
        }
    }

    /// Adds the stamps `cost` and `priced_with` (the last keys) to `line`
    /// (the reused scratch line) and keeps a copy of exactly its size.
    private mutating func keep(
        _ line: inout [UInt8], id: String, ts: Int64, cost: ExactDecimal?, pricedWith point: Int32?, costGiven: ExactDecimal?,
        origin: EventOrigin
    ) {
        if !problems.isEmpty { return }
        if costGiven == nil, let cost, let point, line.last == 125 {
            line.removeLast()
            var w = JSONWriter(out: line)
            line = []
            w.key("cost")
            w.decimal(cost)  // digits, '.', '-': nothing to escape
            w.out.append(contentsOf: pricedWithTail(point: point))
            line = w.out
        }
        line.append(10)
        // Kept until the write: exactly its size, not the scratch line's capacity
        // (a million imported events would otherwise hold twice their bytes).
        let count = line.count
        let kept = line.withUnsafeBytes { bytes in
            [UInt8](unsafeUninitializedCapacity: count) { buffer, n in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: bytes)
                n = count
            }
        }
        var origin = origin
        origin.sourceLine = nil  // an importer's record text is only needed when the record is refused
        events.append(PreparedEvent(id: id, shard: shardPath(ts), line: kept, cost: cost, origin: origin))
        if var correction = pending {
            correction.index = events.count - 1
            corrections.append(correction)
            pending = nil
        }
    }

    /// `,"priced_with":"…"}` for a price point, encoded once.
    private mutating func pricedWithTail(point: Int32) -> [UInt8] {
        if let known = pricedWithTail[point] { return known }
        var w = JSONWriter(out: [])
        w.key("priced_with")
        w.string(pricedWithText(point: point))
        w.byte(125)
        pricedWithTail[point] = w.out
        return w.out
    }

    /// `openai/gpt-4o@2024-10-01 ratecards/openai.toml@<blob id>`.
    private func pricedWithText(point: Int32) -> String {
        let p = book.points[Int(point)]
        return p.id + " " + (cardOf[p.provider].map { "\($0.path)@\($0.blobId ?? "worktree")" } ?? "")
    }
}

/// The `append` frontend: validates drafts with the same checks as `lint`
/// (schema, tagging policy, priceability), stamps what the caller left out,
/// prices, and writes through `ShardWriter`. All-or-nothing: a single
/// rejected event rejects the batch and nothing is written.
public struct LedgerAppender {
    public let repository: CostRepository
    public let book: PriceBook
    public let policy: Policy

    /// Reads the working tree's rate cards and `spend.toml`.
    ///
    /// With `providers` (known before reading, e.g. from flags), only those
    /// providers' cards are read; a card file that declares another provider
    /// then simply does not resolve, and the error says so.
    public init(repository: CostRepository, providers: Set<String>? = nil) throws(SpendError) {
        self.repository = repository
        (book, policy) = try repository.workingTreePricing(providers: providers)
    }

    /// Reads the rate cards for events of one `provider` (known before
    /// reading: from flags or a provider response body): only
    /// `ratecards/PROVIDER.toml` when it declares that provider, else every card
    /// (so a card file named after another provider is still found).
    public init(repository: CostRepository, provider: String) throws(SpendError) {
        let narrowed = try LedgerAppender(repository: repository, providers: [provider])
        if narrowed.book.cards.count == 1 && narrowed.book.card(provider: provider) == nil {
            self = try LedgerAppender(repository: repository)
        } else {
            self = narrowed
        }
    }

    /// Stamps, validates and prices every draft; checks correction drafts
    /// against the working tree's ledger (`BatchCorrections`). Throws every
    /// problem found (up to 50, with a count of the rest).
    public func prepare(_ drafts: [EventDraft], settings: AppendSettings) throws(SpendError) -> (events: [PreparedEvent], warnings: [Diagnostic]) {
        try prepare(drafts, settings: settings, survey: nil)
    }

    /// `prepare(_:settings:)` with the ledger's `survey` when the caller has
    /// read it already (the correcting verbs): the ledger is not read again.
    func prepare(
        _ drafts: [EventDraft], settings: AppendSettings, survey: CorrectionSurvey?
    ) throws(SpendError) -> (events: [PreparedEvent], warnings: [Diagnostic]) {
        var worker = EventPreparer(book: book, policy: policy, settings: settings)
        for draft in drafts { worker.add(draft) }
        if !worker.problems.isEmpty { throw SpendError.input(worker.problems, omitted: worker.omitted) }
        let check = if let survey { BatchCorrections(survey: survey) } else { try BatchCorrections(worker.corrections, repository: repository) }
        let refused = check.problems(worker.corrections, in: worker.events)
        if !refused.isEmpty { throw Self.inputError(refused.map(\.diagnostic), omitted: 0) }
        return (worker.events, worker.warnings)
    }

    /// The input error for `problems`, sorted, the first 50 kept.
    static func inputError(_ problems: [Diagnostic], omitted: Int) -> SpendError {
        var problems = problems.sorted()
        var omitted = omitted
        if problems.count > 50 {
            omitted += problems.count - 50
            problems.removeLast(problems.count - 50)
        }
        return SpendError.input(problems, omitted: omitted)
    }

    /// Reads, stamps, validates and prices JSON Lines (`--stdin`): the input is
    /// cut into chunks of whole lines prepared in parallel on all cores, then
    /// joined in input order. All-or-nothing like `prepare(_:settings:)`.
    public func prepare(
        jsonLines bytes: UnsafeRawBufferPointer, path: String, settings: AppendSettings
    ) throws(SpendError) -> (events: [PreparedEvent], warnings: [Diagnostic]) {
        let batch = try prepare(jsonLines: bytes, path: path, settings: settings, rejecting: false)
        return (batch.events, batch.warnings)
    }

    /// Like `prepare(jsonLines:path:settings:)`, but every line that fails
    /// (its JSON, its schema, the policy, its price) is set aside with its
    /// text and its problems, and the valid lines are kept (`--reject-file`).
    public func prepareKeepingValid(
        jsonLines bytes: UnsafeRawBufferPointer, path: String, settings: AppendSettings
    ) throws(SpendError) -> (events: [PreparedEvent], warnings: [Diagnostic], rejected: [RejectedRecord]) {
        try prepare(jsonLines: bytes, path: path, settings: settings, rejecting: true)
    }

    private func prepare(
        jsonLines bytes: UnsafeRawBufferPointer, path: String, settings: AppendSettings, rejecting: Bool
    ) throws(SpendError) -> (events: [PreparedEvent], warnings: [Diagnostic], rejected: [RejectedRecord]) {
        // Chunk boundaries just after a newline, with the line number each starts at.
        let target = max(1 << 20, bytes.count / (ProcessInfo.processInfo.activeProcessorCount * 4) + 1)
        var chunkList: [(range: Range<Int>, firstLine: Int)] = []
        var start = 0
        var line = 1
        while start < bytes.count {
            var end = min(bytes.count, start + target)
            while end < bytes.count && bytes[end - 1] != 10 { end += 1 }
            chunkList.append((start..<end, line))
            for b in bytes[start..<end] where b == 10 { line += 1 }
            start = end
        }
        let (book, policy) = (self.book, self.policy)
        // The input bytes are only read (each worker reads its own chunk of them).
        let input = UncheckedSendable(bytes)
        let chunks = chunkList
        let results = parallelMap(chunks.count) { i -> EventPreparer in
            var worker = EventPreparer(book: book, policy: policy, settings: settings)
            worker.rejecting = rejecting
            let chunk = UnsafeRawBufferPointer(rebasing: input.value[chunks[i].range])
            if rejecting {
                _ = DraftReader.scan(
                    chunk, path: path, firstLine: chunks[i].firstLine,
                    rejecting: { diagnostic, text in
                        let origin = EventOrigin(path: path, line: diagnostic.line)
                        worker.rejected.append(RejectedRecord(origin: origin, diagnostics: [diagnostic], input: text))
                    }
                ) { record, scanner, origin in
                    worker.add(record, scanner, origin: origin)
                    worker.settle(origin) { DraftReader.lineText(chunk, record.lineStart) }
                }
                return worker
            }
            let failure = DraftReader.scan(chunk, path: path, firstLine: chunks[i].firstLine) { worker.add($0, $1, origin: $2) }
            if let failure {
                worker.problems = failure.diagnostics + worker.problems
                worker.omitted += failure.omitted
            }
            return worker
        }
        var events: [PreparedEvent] = []
        var warnings: [Diagnostic] = []
        var problems: [Diagnostic] = []
        var rejected: [RejectedRecord] = []
        var corrections: [BatchCorrection] = []
        var omitted = 0
        events.reserveCapacity(results.reduce(0) { $0 + $1.events.count })
        for worker in results {
            problems += worker.problems
            omitted += worker.omitted
            warnings += worker.warnings
            rejected += worker.rejected
            guard problems.isEmpty else { continue }
            corrections += worker.corrections.map { c in
                var c = c
                c.index += events.count
                return c
            }
            events += worker.events
        }
        if !problems.isEmpty { throw Self.inputError(problems, omitted: omitted) }
        let refused = try BatchCorrections(corrections, repository: repository).problems(corrections, in: events)
        if refused.isEmpty { return (events, warnings, rejected) }
        guard rejecting else { throw Self.inputError(refused.map(\.diagnostic), omitted: 0) }
        // --reject-file: a refused correction is set aside like any invalid line.
        for (correction, diagnostic) in refused {
            let origin = events[correction.index].origin
            rejected.append(RejectedRecord(origin: origin, diagnostics: [diagnostic], input: correction.input ?? ""))
        }
        let gone = Set(refused.map(\.correction.index))
        events = events.enumerated().filter { !gone.contains($0.offset) }.map(\.element)
        rejected.sort { ($0.origin.line ?? 0) < ($1.origin.line ?? 0) }
        return (events, warnings, rejected)
    }

    /// Writes prepared events (see `ShardWriter`).
    /// With `dryRun`, every check runs (torn shards, duplicates) and nothing is written.
    /// With a `session`, the write is one part of the session's batch.
    public func write(
        _ events: [PreparedEvent], settings: AppendSettings, dryRun: Bool = false, session: LedgerWriteSession? = nil
    ) throws(SpendError) -> AppendOutcome {
        let writer = ShardWriter(root: repository.root, cacheDirectory: idCacheDirectory, sync: settings.sync, notice: repository.notice,
            probe: settings.writePhaseProbe)
        return try writer.append(events, skipDuplicates: settings.skipDuplicates, dryRun: dryRun, session: session)
    }

    /// Starts a batch written in several parts (`write(_:settings:session:)`),
    /// holding the ledger's writer lock until it is committed or rolled back.
    public func openSession(settings: AppendSettings) throws(SpendError) -> LedgerWriteSession {
        try LedgerWriteSession(root: repository.root, cacheDirectory: idCacheDirectory, sync: settings.sync, notice: repository.notice)
    }

    private var idCacheDirectory: String? { GitDirectory.discover(from: repository.root).map { $0.commonDirectory + "spend/ids" } }
}
