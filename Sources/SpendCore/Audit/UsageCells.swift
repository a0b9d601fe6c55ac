/// A ledger summed once into cells that every rate-card version prices
/// alike: events of one provider and served model, between two consecutive
/// effective instants of any card version, with the same batch flag, service
/// tier, and position of their per-request prompt tokens among every
/// long-context threshold of any version. Pricing a version is pricing the
/// cells (cost is linear in tokens at fixed rates), never the events again.
public struct UsageCells: Sendable {
    /// One cell: what pricing depends on, a representative event, and the sums.
    public struct Cell: Sendable {
        public var provider: String
        public var model: String
        public var batch: Bool
        /// nil: standard.
        public var serviceTier: String?
        /// A representative event (first seen): its ts, prompt tokens and requests.
        public var ts: Int64
        public var promptTokens: Int64
        public var requests: Int64
        public var usage: Usage
        public var events: Int
        public var firstTs: Int64
        public var lastTs: Int64
    }

    public var cells: [Cell]
    /// Cell indices by provider.
    public var byProvider: [String: [Int]]
    /// Events summed, and lines that could not be read.
    public var events = 0
    public var diagnostics: [Diagnostic] = []

    /// Sums a snapshot's ledger; `instants` and `thresholds` are the union of
    /// effective instants and `above_input_tokens` over every card version to price.
    public static func build(
        _ snapshot: Snapshot, instants: [Int64], thresholds: [Int64], diagnosticLimit: Int = 50
    ) throws(SpendError) -> UsageCells {
        let instants = Array(Set(instants)).sorted()
        let thresholds = Array(Set(thresholds)).sorted()
        let consumer = Summer(instants: instants, thresholds: thresholds, scope: ScanScope(diagnosticLimit: diagnosticLimit))
        let chunks = try ScanEngine.run(snapshot, consumer)
        // A sum over chunks that overflows: read the chunk where it breaks again, from the totals before it.
        if !chunks.contains(where: { !$0.result.diagnostics.isEmpty }),
            let again = try ScanEngine.rereadOverflowingChunk(
                snapshot, chunks, Summer(instants: instants, thresholds: thresholds, scope: ScanScope(diagnosticLimit: 1)))
        {
            let located = again.diagnostics.first { $0.rule == .overflow }
            throw SpendError.input([located ?? Diagnostic(path: "ledger", rule: .overflow, message: "a sum of the ledger's counts exceeds \(Int64.max)")])
        }
        let parts = chunks.map(\.result)
        var merged: [CellKey: Int] = [:]
        var out = UsageCells(cells: [], byProvider: [:])
        for part in parts {
            out.events += part.partial.events
            out.diagnostics += part.diagnostics
            for (k, local) in part.partial.cells.enumerated() {
                let key = CellKey(
                    provider: part.interner.string(local.key[0]), model: part.interner.string(local.key[1]), bucket: local.key[2],
                    batch: local.key[3], serviceTier: local.key[4] < 0 ? nil : part.interner.string(local.key[4]), tier: local.key[5])
                let tools = part.partial.tools[k].map { (part.interner.string($0.key), $0.value) }
                if let index = merged[key] {
                    do {
                        try out.cells[index].usage.add(
                            Usage(
                                requests: local.usage.requests, inputTokens: local.usage.inputTokens,
                                cachedInputTokens: local.usage.cachedInputTokens, cacheWriteTokens: local.usage.cacheWriteTokens,
                                cacheWrite1hTokens: local.usage.cacheWrite1hTokens,
                                outputTokens: local.usage.outputTokens, toolCalls: Dictionary(tools, uniquingKeysWith: +)))
                    } catch {
                        throw SpendError.input([Diagnostic(path: "ledger", rule: .overflow, message: "\(error.message) (\(key.provider)/\(key.model))")])
                    }
                    out.cells[index].events += local.events
                    out.cells[index].firstTs = min(out.cells[index].firstTs, local.firstTs)
                    out.cells[index].lastTs = max(out.cells[index].lastTs, local.lastTs)
                } else {
                    var usage = local.usage
                    usage.toolCalls = Dictionary(tools, uniquingKeysWith: +)
                    merged[key] = out.cells.count
                    out.byProvider[key.provider, default: []].append(out.cells.count)
                    out.cells.append(
                        Cell(
                            provider: key.provider, model: key.model, batch: key.batch != 0, serviceTier: key.serviceTier, ts: local.ts,
                            promptTokens: local.prompt, requests: local.requests, usage: usage, events: local.events, firstTs: local.firstTs,
                            lastTs: local.lastTs))
                }
            }
        }
        return out
    }

    struct CellKey: Hashable {
        var provider: String
        var model: String
        var bucket: Int32
        var batch: Int32
        var serviceTier: String?
        var tier: Int32
    }

    struct LocalCell {
        var key: SIMD8<Int32>
        var ts: Int64
        var prompt: Int64
        var requests: Int64
        var usage = Usage(requests: 0)
        var events = 0
        var firstTs: Int64
        var lastTs: Int64
    }

    /// A chunk's cells (the `ScanConsumer.Partial` of `Summer`).
    struct Part {
        var index: [SIMD8<Int32>: Int] = [:]
        var cells: [LocalCell] = []
        var tools: [[Int32: Int64]] = []
        var events = 0
        /// Interned `standard` and `default` (the standard service tier).
        var standard: Int32 = 0
        var defaultID: Int32 = 0
    }

    /// Sums every event of the ledger into its cell (a scan consumer).
    struct Summer: ScanConsumer {
        let instants: [Int64]
        let thresholds: [Int64]
        let scope: ScanScope

        func begin(_ scan: inout ChunkScan) -> Part {
            var out = Part()
            out.standard = scan.interner.intern("standard")
            out.defaultID = scan.interner.intern("default")
            return out
        }

        func consume(_ scan: inout ChunkScan, _ out: inout Part) {
            let e = scan.event
            var lo = 0
            var hi = instants.count
            while lo < hi {
                let mid = (lo + hi) >> 1
                if instants[mid] <= e.ts { lo = mid + 1 } else { hi = mid }
            }
            let prompt = e.promptTokens
            var tier: Int32 = 0
            for t in thresholds where TokenCounts.exceeds(prompt, threshold: t, requests: e.requests) { tier += 1 }
            guard scan.addToTotals() else { return }
            var serviceTier: Int32 = -1
            if !e.serviceTier.isAbsent {
                let id = scan.intern(e.serviceTier)
                if id != out.standard && id != out.defaultID { serviceTier = id }
            }
            let key = SIMD8<Int32>(scan.intern(e.provider), scan.intern(e.model), Int32(lo), e.batch ? 1 : 0, serviceTier, tier, 0, 0)
            let k: Int
            if let known = out.index[key] {
                k = known
            } else {
                k = out.cells.count
                out.index[key] = k
                out.cells.append(LocalCell(key: key, ts: e.ts, prompt: prompt, requests: e.requests, firstTs: e.ts, lastTs: e.ts))
                out.tools.append([:])
            }
            // A cell's sums are at most the running totals checked above; checked all the same.
            do throws(SumOverflow) {
                try out.cells[k].usage.add(e)
                for t in e.toolCalls {
                    let call = scan.scanner.toolCalls[t]
                    let name = scan.intern(call.name)
                    out.tools[k][name] = try TokenCounts.add(out.tools[k][name] ?? 0, call.count, field: "tool_calls")
                }
            } catch {
                scan.fail(at: e.lineStart, rule: .overflow, message: error.message)
                return
            }
            out.cells[k].events += 1
            if e.ts < out.cells[k].firstTs { out.cells[k].firstTs = e.ts }
            if e.ts > out.cells[k].lastTs { out.cells[k].lastTs = e.ts }
            out.events += 1
        }
    }

    /// The exact cost of a cell under a book, or why it cannot be priced.
    public static func price(_ cell: Cell, book: PriceBook) -> Result<ExactDecimal, PricingError> {
        switch book.resolve(provider: cell.provider, model: cell.model) {
        case .success(let m): return price(cell, book: book, model: m)
        case .failure(let e): return .failure(e)
        }
    }

    /// The exact effective cost (after any contract discount in effect; the
    /// list cost where none is) of a cell whose served model resolves to
    /// priced model `m` of `book`.
    public static func price(_ cell: Cell, book: PriceBook, model m: Int) -> Result<ExactDecimal, PricingError> {
        guard let point = book.pointIndex(model: m, at: cell.ts) else { return .failure(book.noPriceError(model: m, ts: cell.ts)) }
        var selection = book.selection(
            point: point, promptTokens: cell.promptTokens, requests: cell.requests, batch: cell.batch, serviceTier: cell.serviceTier)
        selection.discount = book.discountIndex(model: m, at: cell.ts)
        switch book.effectiveRates(selection) {
        case .failure(let e): return .failure(e)
        case .success(let rates):
            do {
                return .success(try rates.cost(cell.usage, basis: .effective))
            } catch {
                return .failure(error)
            }
        }
    }
}
