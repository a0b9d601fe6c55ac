import Foundation

/// What `spend audit` walks and shows.
public struct AuditQuery: Sendable {
    /// Audit the history reachable from this revision, and its ledger (default:
    /// HEAD, with the working-tree ledger).
    public var revision: String?
    /// Walk every reachable commit, not only the first-parent chain.
    public var allParents = false
    /// Commits at or after / before these instants (committer time, ms).
    public var since: Int64?
    public var until: Int64?
    public var provider: String?
    public var model: String?

    public init(
        revision: String? = nil, allParents: Bool = false, since: Int64? = nil, until: Int64? = nil,
        provider: String? = nil,
        model: String? = nil
    ) {
        self.revision = revision
        self.allParents = allParents
        self.since = since
        self.until = until
        self.provider = provider
        self.model = model
    }
}

/// One commit that changed a price, its changes, and what it restated.
public struct AuditedCommit: Sendable {
    public var commit: CardCommit
    public var changes: [PriceChange]
    /// Cost of the ledger's events with the cards after the commit minus before,
    /// over the events both versions price (filtered like the changes).
    public var impact: ExactDecimal
    /// Events whose cost changed.
    public var eventsRestated: Int
    /// The first and last `ts` of the events whose cost changed.
    public var firstRestated: Int64?
    public var lastRestated: Int64?
    /// Events only the version after (before) the commit can price.
    public var newlyPriced: Int
    public var noLongerPriced: Int
    /// Card files that could not be read at this commit.
    public var notes: [String]
}

/// The result of `spend audit`.
public struct AuditResult: Sendable {
    public var commits: [AuditedCommit]
    /// Commits that touched `ratecards/` in the walked history.
    public var cardCommits: Int
    /// Events of the ledger priced for impacts, and where the ledger was read.
    public var ledgerEvents: Int
    public var ledgerLabel: String
}

/// Walks the rate-card history, classifies every price change and re-prices
/// the ledger before and after each commit — from cells summed in one pass
/// (`UsageCells`), and only for the models a commit touched.
public struct Auditor {
    public var repository: CostRepository
    public var query: AuditQuery
    /// Told each phase's time (`history: 12 ms`) when set (the CLI's `SPEND_TIMING`, for profiling).
    public var phaseTimings: ((String) -> Void)?

    public init(repository: CostRepository, query: AuditQuery) {
        self.repository = repository
        self.query = query
    }

    public func run() throws(SpendError) -> AuditResult {
        let clock = PhaseClock(report: phaseTimings)
        let history = try CardHistory(
            costRepository: repository, revision: query.revision, allParents: query.allParents)
        clock.lap("history")
        history.preloadCards()
        clock.lap("parse cards")
        // Every card version, parsed once per blob; unreadable ones become notes.
        var cardsByBlob: [String: RateCard?] = [:]
        var notes: [String: [String]] = [:]
        func cards(_ files: [String: ObjectID], commit: ObjectID) -> [RateCard] {
            var out: [RateCard] = []
            for (path, blob) in files.sorted(by: { $0.key < $1.key }) {
                if cardsByBlob[blob.hex] == nil {
                    do {
                        cardsByBlob[blob.hex] = .some(try history.card(path: path, blob: blob))
                    } catch {
                        cardsByBlob[blob.hex] = .some(nil)
                        notes[commit.hex, default: []].append(
                            "\(path) (blob \(blob.short)) does not parse: \(error.description.split(separator: "\n").first ?? "")"
                        )
                    }
                }
                if let card = cardsByBlob[blob.hex]!, !out.contains(where: { $0.provider == card.provider }) {
                    out.append(card)
                }
            }
            return out
        }
        var versions: [(before: [RateCard], after: [RateCard])] = []
        var instants: [Int64] = []
        var thresholds: [Int64] = []
        for commit in history.commits {
            let before = cards(commit.parentCards, commit: commit.id)
            let after = cards(commit.cards, commit: commit.id)
            versions.append((before, after))
        }
        for case let card? in cardsByBlob.values {
            for p in card.points {
                instants.append(p.effective)
                thresholds += p.tiers.map(\.aboveInputTokens)
                for st in p.serviceTiers.values { thresholds += st.tiers.map(\.aboveInputTokens) }
            }
        }
        let snapshot = try repository.snapshot(query.revision.map { .revision($0) } ?? .workingTree)
        clock.lap("changes")
        let cells = try UsageCells.build(snapshot, instants: instants, thresholds: thresholds)
        clock.lap("cells (\(cells.cells.count))")
        if !cells.diagnostics.isEmpty { throw SpendError.input(cells.diagnostics.sorted()) }

        var books: [String: PriceBook] = [:]
        func book(_ card: RateCard?) -> PriceBook {
            guard let card else { return PriceBook(cards: []) }
            let key = card.blobId ?? card.path
            if let known = books[key] { return known }
            let b = PriceBook(cards: [card])
            books[key] = b
            return b
        }
        var cellsByModel: [String: [String: [Int]]] = [:]
        for (k, cell) in cells.cells.enumerated() {
            cellsByModel[cell.provider, default: [:]][cell.model, default: []].append(k)
        }
        var resolutions: [String: Int?] = [:]
        var out: [AuditedCommit] = []
        for (commit, version) in zip(history.commits, versions) {
            if let since = query.since, commit.time < since { continue }
            if let until = query.until, commit.time >= until { continue }
            var changes = PriceChanges.between(
                old: version.before, new: version.after, commitTime: commit.time)
            if let provider = query.provider { changes = changes.filter { $0.provider == provider } }
            if let model = query.model {
                changes = changes.filter {
                    $0.model == model || ($0.kind == .alias && ($0.old == model || $0.new == model))
                }
            }
            guard !changes.isEmpty || !(notes[commit.id.hex] ?? []).isEmpty else { continue }
            var audited = AuditedCommit(
                commit: commit, changes: changes, impact: .zero, eventsRestated: 0, newlyPriced: 0,
                noLongerPriced: 0,
                notes: notes[commit.id.hex] ?? [])
            for provider in Set(changes.map(\.provider)).sorted() {
                let old = book(version.before.first { $0.provider == provider })
                let new = book(version.after.first { $0.provider == provider })
                let providerChanges = changes.filter { $0.provider == provider }
                let aliasesChanged = providerChanges.contains { $0.kind == .alias }
                let models = Set(providerChanges.map(\.model))
                let oldKey =
                    version.before.first { $0.provider == provider }.map { $0.blobId ?? $0.path } ?? ""
                let newKey =
                    version.after.first { $0.provider == provider }.map { $0.blobId ?? $0.path } ?? ""
                /// The priced model a served name resolves to in a book (cached per card blob and name).
                func resolve(_ book: PriceBook, _ key: String, _ served: String) -> Int? {
                    let cacheKey = key + "\u{0}" + served
                    if let known = resolutions[cacheKey] { return known }
                    var m: Int?
                    if case .success(let x) = book.resolve(provider: provider, model: served) { m = x }
                    resolutions[cacheKey] = .some(m)
                    return m
                }
                for (served, indices) in cellsByModel[provider] ?? [:] {
                    let before = resolve(old, oldKey, served)
                    let after = resolve(new, newKey, served)
                    let beforeName = before.map { old.models[$0].name }
                    let afterName = after.map { new.models[$0].name }
                    if let model = query.model, beforeName != model, afterName != model, served != model {
                        continue
                    }
                    guard
                        aliasesChanged || beforeName.map(models.contains) == true
                            || afterName.map(models.contains) == true
                    else { continue }
                    for k in indices {
                        let cell = cells.cells[k]
                        let priceBefore =
                            before.map { UsageCells.price(cell, book: old, model: $0) }
                            ?? .failure(PricingError(rule: .unknownModel, message: ""))
                        let priceAfter =
                            after.map { UsageCells.price(cell, book: new, model: $0) }
                            ?? .failure(PricingError(rule: .unknownModel, message: ""))
                        // An event too large to price is bad input, not "unpriced".
                        for case .failure(let error) in [priceBefore, priceAfter] where error.rule == .overflow {
                            throw SpendError.input([Diagnostic(path: "ledger", rule: error.rule, message: error.message)])
                        }
                        switch (priceBefore, priceAfter) {
                        case (.success(let a), .success(let b)):
                            guard a != b else { continue }
                            do {
                                audited.impact = try audited.impact.adding(b.subtracting(a))
                            } catch {
                                throw Aggregator.overflow(SumOverflow.cost("impact"), across: "the audit of \(audited.commit.id.short)")
                            }
                            audited.eventsRestated += cell.events
                            audited.firstRestated = min(audited.firstRestated ?? cell.firstTs, cell.firstTs)
                            audited.lastRestated = max(audited.lastRestated ?? cell.lastTs, cell.lastTs)
                        case (.failure, .success): audited.newlyPriced += cell.events
                        case (.success, .failure): audited.noLongerPriced += cell.events
                        case (.failure, .failure): break
                        }
                    }
                }
            }
            out.append(audited)
        }
        clock.lap("impacts")
        let ledgerLabel = query.revision.map { "the ledger at \($0)" } ?? "the working-tree ledger"
        return AuditResult(
            commits: out, cardCommits: history.commits.count, ledgerEvents: cells.events,
            ledgerLabel: ledgerLabel)
    }
}

/// Phase timings, one line each to `report` when there is one (for profiling).
final class PhaseClock {
    private var last = Timestamp.monotonicSeconds()
    private let report: ((String) -> Void)?

    init(report: ((String) -> Void)?) {
        self.report = report
    }

    func lap(_ name: String) {
        guard let report else { return }
        let now = Timestamp.monotonicSeconds()
        report("\(name): \(Int((now - last) * 1000)) ms")
        last = now
    }
}
