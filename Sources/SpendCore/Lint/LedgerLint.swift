/// What lint does with one shard: lines from `fullFrom` on are new and get
/// every check; lines before it are history, read only for their ids (and
/// their priceability when the rate cards changed).
struct ShardPlan: Sendable {
    var file: LintFile
    var buffer: ShardBuffer?
    /// Byte offset (a line start) where fully checked lines begin; `Int.max`: none.
    var fullFrom: Int
    /// Collect the ids of the history part (no cached set for it).
    var prefixIds = false
    /// Check the history part's priceability (rate cards changed).
    var prefixPricing = false
    /// Count the history part's events that the policy rejects (the policy changed).
    var prefixPolicy = false
    /// The ids of the history part, when known without scanning.
    var historySet: IdSet?
    /// UTC month of the shard (from its path), for `wrong-shard`.
    var month: Range<Int64>?
    /// Check the last byte is a newline.
    var checkTorn = false
    /// Lines of the base version (by hash) after a history change: not new, not re-checked.
    var knownLines: Set<UInt64>?
    /// Store the shard's complete id set under this blob when done.
    var storeAs: ObjectID?
    /// Store the history part's id set under this blob (the whole base blob) when scanned.
    var storeHistoryAs: ObjectID?

    var hasNewLines: Bool {
        guard let buffer else { return false }
        return fullFrom < buffer.bytes.count
    }
}

/// What lint reads of the history part of a shard besides its ids: its
/// priceability when the rate cards changed, and how many of its events the
/// policy rejects when the policy changed (counted, never reported: history
/// is not re-judged).
struct HistoryRecheck {
    var pricing = false
    var policy = false
}

/// A finding in a chunk, by position; turned into a `Diagnostic` once line numbers are known.
struct RawFinding {
    var lineStart: Int
    var offset: Int
    /// 0-based line number relative to the chunk start.
    var relLine: Int
    var severity: Diagnostic.Severity
    var rule: Rule
    var message: String
}

/// A finding on a line that a correction takes out of the ledger: not
/// reported, only named in a note (docs/lint.md, "Corrected lines").
struct SuppressedFinding {
    /// 0-based line number relative to the chunk start.
    var relLine: Int
    /// The hash of the line's id (the id the correction names).
    var id: UInt64
    var severity: Diagnostic.Severity
    var rule: Rule
}

/// An id seen in a chunk.
struct SeenId {
    var hash: UInt64
    var relLine: Int32
    var lineStart: Int
}

/// What one worker found in one chunk.
struct ChunkOutcome {
    var findings: [RawFinding] = []
    var errors = 0
    var warnings = 0
    var omitted = 0
    var newIds: [SeenId] = []
    var oldIds: [SeenId] = []
    /// Corrections on new lines (checked against the whole ledger by `CorrectionLint`).
    var newCorrections: [SeenId] = []
    /// Corrections on every line read as an event (new or history), by the
    /// hash of the id they correct: their targets' findings are not reported.
    var corrections: [SeenId] = []
    /// The id hashes of lines with findings (reported or counted), a line once.
    var flagged: [UInt64] = []
    /// Findings on lines that `ChunkChecks.corrected` takes out.
    var suppressed: [SuppressedFinding] = []
    /// Newlines in the chunk.
    var lines = 0
    var events = 0
    /// History events the (changed) policy rejects.
    var policyPredating = 0
}

/// The ledger checks of `spend lint`: events (scanner, policy, prices,
/// shard month), duplicate ids, torn last lines, and append-only history.
enum LedgerLint {
    /// `ledger/YYYY/YYYY-MM.jsonl` → the month's `[start, end)` in ms, or nil.
    static func month(ofShard path: String) -> Range<Int64>? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "ledger", parts[1].count == 4, parts[2].count == 13, parts[2].hasSuffix(".jsonl"),
            let year = Int64(parts[1]), parts[2].hasPrefix(parts[1] + "-")
        else { return nil }
        let m = parts[2].dropFirst(5).prefix(2)
        guard m.allSatisfy(\.isNumber), let month = Int64(m), (1...12).contains(month) else { return nil }
        let start = Timestamp.daysFromCivil(year: year, month: month, day: 1) * Timestamp.millisPerDay
        let (ny, nm) = month == 12 ? (year + 1, Int64(1)) : (year, month + 1)
        let end = Timestamp.daysFromCivil(year: ny, month: nm, day: 1) * Timestamp.millisPerDay
        return start..<end
    }

    /// Newlines in `bytes[range]`.
    static func countLines(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int {
        guard let base = bytes.baseAddress, !range.isEmpty else { return 0 }
        var n = 0
        var p = range.lowerBound
        let end = range.upperBound
        while p < end, let hit = memchr(base + p, 10, end - p) {
            n += 1
            p = base.distance(to: UnsafeRawPointer(hit)) + 1
        }
        return n
    }

    /// The start of the line holding `offset`.
    static func lineStart(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> Int {
        var p = min(offset, bytes.count)
        while p > 0 && bytes[p - 1] != 10 { p -= 1 }
        return p
    }

    /// The text of the line starting at `start`.
    static func lineText(_ bytes: UnsafeRawBufferPointer, from start: Int) -> String {
        var end = start
        while end < bytes.count && bytes[end] != 10 { end += 1 }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
    }

    /// Hashes of the lines of `bytes` from `from` on.
    static func lineHashes(_ bytes: UnsafeRawBufferPointer, from: Int) -> Set<UInt64> {
        var out = Set<UInt64>()
        guard let base = bytes.baseAddress else { return out }
        var p = from
        while p < bytes.count {
            let nl = memchr(base + p, 10, bytes.count - p).map { base.distance(to: UnsafeRawPointer($0)) } ?? bytes.count
            out.insert(StringInterner.hash(base + p, nl - p))
            p = nl + 1
        }
        return out
    }

    /// Splits `range` of a buffer into line-aligned chunks of about `size` bytes.
    static func chunks(_ buffer: ShardBuffer, _ range: Range<Int>, size: Int = LedgerReader.chunkSize) -> [LedgerChunk] {
        var out: [LedgerChunk] = []
        let bytes = buffer.bytes
        var start = range.lowerBound
        while start < range.upperBound {
            var end = min(start + size, range.upperBound)
            while end < range.upperBound && bytes[end - 1] != 10 { end += 1 }
            out.append(LedgerChunk(buffer: buffer, range: start..<end))
            start = end
        }
        return out
    }

    /// Checks one chunk. `full`: every check on every line; otherwise the
    /// history part: ids and/or priceability only.
    static func scan(
        _ chunk: LedgerChunk, plan: ShardPlan, full: Bool, policy: Policy, book: PriceBook, pricingEnabled: Bool,
        limit: Int, now: Int64? = nil, corrected: CorrectionSet = .none
    ) -> ChunkOutcome {
        guard chunk.buffer.bytes.baseAddress != nil else { return ChunkOutcome() }
        let historyPricing = !full && plan.prefixPricing && pricingEnabled
        let historyPolicy = !full && plan.prefixPolicy
        var scope = ScanScope(book: historyPricing ? book : nil)
        scope.countsLines = true
        scope.appliesCorrections = false
        let consumer = ChunkChecks(
            plan: plan, full: full, policy: policy, book: book, pricingEnabled: pricingEnabled, historyPricing: historyPricing,
            historyPolicy: historyPolicy, limit: limit, scope: scope, now: now, corrected: corrected)
        let scanned = ScanEngine.scan(chunk, consumer)
        var out = scanned.partial.outcome
        out.lines = scanned.lines
        return out
    }

    /// The checks of one chunk as a scan consumer: every event of the chunk
    /// (no window, no filter), numbered by line.
    struct ChunkChecks: ScanConsumer {
        let plan: ShardPlan
        let full: Bool
        let policy: Policy
        let book: PriceBook
        let pricingEnabled: Bool
        /// Price history lines (with `scope.book`, the engine's pricer).
        let historyPricing: Bool
        /// Count the history lines the policy rejects.
        let historyPolicy: Bool
        /// Findings kept (0: all); the rest are counted.
        let limit: Int
        let scope: ScanScope
        /// The time of the check: new events more than a day after it are `future-ts`.
        let now: Int64?
        /// The ids the ledger's corrections correct: findings on lines with
        /// those ids are set aside (`ChunkOutcome.suppressed`), not reported.
        var corrected = CorrectionSet.none

        struct Partial {
            var outcome = ChunkOutcome()
            var checker: EventChecker?
            var scratch: [EventFinding] = []
        }

        func begin(_ scan: inout ChunkScan) -> Partial {
            Partial(checker: full || historyPolicy ? EventChecker(policy: policy, book: book, now: now) : nil)
        }

        /// True for a line already in the base version (moved by a history change).
        func known(_ start: Int, _ chunk: LedgerChunk) -> Bool {
            guard let lines = plan.knownLines, let base = chunk.buffer.bytes.baseAddress else { return false }
            let end = chunk.range.upperBound
            let nl = memchr(base + start, 10, end - start).map { base.distance(to: UnsafeRawPointer($0)) } ?? end
            return lines.contains(StringInterner.hash(base + start, nl - start))
        }

        /// Records a finding on the line with id hash `id` (nil: a line
        /// without a readable id, which no correction can name).
        func add(
            _ out: inout ChunkOutcome, _ line: Int, _ lineStart: Int, _ offset: Int, _ severity: Diagnostic.Severity, _ rule: Rule,
            _ message: String, id: UInt64?
        ) {
            if let id {
                if corrected.contains(id) {
                    out.suppressed.append(SuppressedFinding(relLine: line, id: id, severity: severity, rule: rule))
                    return
                }
                if out.flagged.last != id { out.flagged.append(id) }
            }
            if severity == .error { out.errors += 1 } else { out.warnings += 1 }
            if limit > 0 && out.findings.count >= limit {
                out.omitted += 1
                return
            }
            out.findings.append(RawFinding(lineStart: lineStart, offset: offset, relLine: line, severity: severity, rule: rule, message: message))
        }

        func reject(_ error: LedgerScanError, _ scan: inout ChunkScan, _ partial: inout Partial) {
            let lineStart = scan.event.lineStart
            let line = scan.line(at: lineStart)
            guard full && !known(lineStart, scan.chunk) else { return }
            let id = scan.scanner.idOfRejectedLine(at: lineStart).map { IdSet.hash($0, scan.scanner) }
            add(&partial.outcome, line, lineStart, error.offset, .error, error.rule, error.message, id: id)
        }

        func consume(_ scan: inout ChunkScan, _ partial: inout Partial) {
            // The event is read in place (no copy of the record per line).
            let lineStart = scan.event.lineStart
            let line = scan.line(at: lineStart)
            let isNew = full && (plan.knownLines == nil || !known(lineStart, scan.chunk))
            let idHash = IdSet.hash(scan.event.id, scan.scanner)
            if full || plan.prefixIds {
                let id = SeenId(hash: idHash, relLine: Int32(line), lineStart: lineStart)
                if isNew { partial.outcome.newIds.append(id) } else { partial.outcome.oldIds.append(id) }
            }
            if scan.event.correction != .none {
                let target = SeenId(hash: IdSet.hash(scan.event.corrects, scan.scanner), relLine: Int32(line), lineStart: lineStart)
                partial.outcome.corrections.append(target)
                if isNew { partial.outcome.newCorrections.append(target) }
            }
            if isNew {
                partial.outcome.events += 1
                if let month = plan.month, !month.contains(scan.event.ts) {
                    let ts = scan.event.ts
                    let actual = Timestamp.monthString(millis: ts)
                    add(
                        &partial.outcome, line, lineStart, lineStart, .error, .wrongShard,
                        "event at \(Timestamp.format(millis: ts)) belongs to \(actual), not this shard's \(Timestamp.monthString(millis: month.lowerBound)): append it to ledger/\(actual.prefix(4))/\(actual).jsonl",
                        id: idHash
                    )
                }
                partial.scratch.removeAll(keepingCapacity: true)
                partial.checker!.check(scan.event, scanner: scan.scanner, into: &partial.scratch)
                for f in partial.scratch where pricingEnabled || (f.rule != .unknownModel && f.rule != .noPrice) {
                    add(&partial.outcome, line, lineStart, f.offset, f.severity, f.rule, f.message, id: idHash)
                }
            } else if historyPolicy {
                partial.scratch.removeAll(keepingCapacity: true)
                partial.checker!.check(scan.event, scanner: scan.scanner, into: &partial.scratch)
                var rejected = false
                for f in partial.scratch where f.severity == .error {
                    if f.rule == .unknownModel || f.rule == .noPrice {
                        if historyPricing {
                            add(&partial.outcome, line, lineStart, f.offset, .error, f.rule, f.message + " (after this rate-card change)", id: idHash)
                        }
                    } else {
                        rejected = true
                    }
                }
                if rejected { partial.outcome.policyPredating += 1 }
            } else if historyPricing && scan.event.correction != .void {
                if case .failure(let failure) = scan.pricer!.price(scan.event, scanner: scan.scanner, interner: &scan.interner) {
                    add(
                        &partial.outcome, line, lineStart, failure.offset, .error, failure.error.rule,
                        failure.error.message + " (after this rate-card change)", id: idHash)
                }
            }
        }
    }

    /// Collects the ids of history lines quickly: lines as the tools write
    /// them (`{"ts":"…","id":"…",…`) are read without parsing the rest;
    /// any other line goes through the scanner.
    static func scanIds(_ chunk: LedgerChunk) -> ChunkOutcome {
        var out = ChunkOutcome()
        let bytes = chunk.buffer.bytes
        guard let base = bytes.baseAddress else { return out }
        var p = chunk.range.lowerBound
        let end = chunk.range.upperBound
        var line: Int32 = 0
        let head: StaticString = "{\"ts\":\""
        let sep: StaticString = "\",\"id\":\""
        while p < end {
            let nl = memchr(base + p, 10, end - p).map { base.distance(to: UnsafeRawPointer($0)) } ?? end
            var hash: UInt64?
            if nl - p > 16 && memcmp(base + p, head.utf8Start, 7) == 0,
                let q = memchr(base + p + 7, 34, nl - p - 7).map({ base.distance(to: UnsafeRawPointer($0)) }),
                q + 8 < nl, memcmp(base + q, sep.utf8Start, 8) == 0,
                memchr(base + p + 7, 92, q - p - 7) == nil,
                let r = memchr(base + q + 8, 34, nl - q - 8).map({ base.distance(to: UnsafeRawPointer($0)) }),
                r > q + 8, memchr(base + q + 8, 92, r - q - 8) == nil
            {
                hash = IdSet.hash(base + q + 8, r - q - 8)
            } else if nl > p {
                var scanner = LedgerScanner(buffer: bytes, range: p..<nl)
                var e = EventRecord()
                if (try? scanner.next(into: &e)) == true { hash = IdSet.hash(e.id, scanner) }
            }
            if let hash { out.oldIds.append(SeenId(hash: hash, relLine: line, lineStart: p)) }
            if nl < end { line += 1 }
            p = nl + 1
        }
        out.lines = Int(line)
        return out
    }

    /// The append-only rule: `new` must start with all of `old`. Returns where
    /// fully checked lines begin in `new`, and the finding when history changed.
    static func compareHistory(
        path: String, old: UnsafeRawBufferPointer, new: UnsafeRawBufferPointer, baseLabel: String
    ) -> (fullFrom: Int, finding: Diagnostic?) {
        let common = min(old.count, new.count)
        var d = 0
        if common > 0 {
            if memcmp(old.baseAddress!, new.baseAddress!, common) == 0 {
                d = common
            } else {
                // First differing byte, 4 KiB blocks at a time.
                while d + 4096 <= common && memcmp(old.baseAddress! + d, new.baseAddress! + d, 4096) == 0 { d += 4096 }
                while d < common && old[d] == new[d] { d += 1 }
            }
        }
        if d == old.count {
            // A clean append (a torn last line of the old version is re-checked whole).
            let from = old.count == 0 || old[old.count - 1] == 10 ? old.count : lineStart(old, old.count)
            return (from, nil)
        }
        let start = lineStart(new, d)
        let line = countLines(new, 0..<start) + 1
        let oldStart = lineStart(old, d)
        let oldLine = lineText(old, from: oldStart)
        let oldLines = countLines(old, 0..<old.count) + (old.last == 10 ? 0 : 1)
        let message: String
        if d == new.count && start == d {
            let newLines = countLines(new, 0..<new.count)
            message =
                "lines \(line)–\(oldLines) of \(baseLabel) were deleted (the shard had \(oldLines) lines, now \(newLines)): ledger lines may only be appended at the end — corrections are new events"
            let last = new.count > 0 ? lineStart(new, new.count - 1) : 0
            return (
                new.count,
                Diagnostic(
                    path: path, line: max(1, newLines), column: nil, rule: .appendOnly, message: message,
                    sourceLine: new.count > 0 ? lineText(new, from: last) : nil)
            )
        }
        let newLine = lineText(new, from: start)
        let oldNextStart = oldStart + oldLine.utf8.count + 1
        let newNextStart = start + newLine.utf8.count + 1
        let oldNext = oldNextStart < old.count ? lineText(old, from: oldNextStart) : nil
        let newNext = newNextStart < new.count ? lineText(new, from: newNextStart) : nil
        let shown = oldLine.count > 120 ? String(oldLine.prefix(120)) + "…" : oldLine
        if newNext == oldLine {
            message = "a line was inserted before line \(line) of \(baseLabel): ledger lines may only be appended at the end"
        } else if oldNext == newLine {
            message = "line \(line) of \(baseLabel) was deleted (it was: \(shown)): ledger lines may only be appended at the end — corrections are new events"
        } else {
            message = "line \(line) was edited (\(baseLabel) has: \(shown)): ledger lines may only be appended at the end — corrections are new events"
        }
        return (
            start,
            Diagnostic(
                path: path, line: line, column: d - start + 1, rule: .appendOnly, message: message, sourceLine: newLine)
        )
    }
}
