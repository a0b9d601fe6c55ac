import Foundation

/// What `spend import` is asked to do.
public struct ImportRequest: Sendable {
    /// The files: absolute path and the name to show in messages.
    public var files: [(absolute: String, path: String)]
    /// Write the valid events and hand back the rejected records
    /// (`--reject-file`); otherwise one rejected record refuses the import.
    public var keepValid = false
    /// Check and price everything; write nothing.
    public var dryRun = false
    /// Bytes of prepared lines held before they are written: an import that
    /// makes more is written in parts of about this size (one batch all the
    /// same: `LedgerWriteSession`), so memory stays bounded and the last
    /// part, written after the last record is read, is short. A dry run
    /// holds every event, to count duplicates exactly, but not its line
    /// (about a fifth of the memory).
    public var memoryBudget = 32 << 20

    public init(files: [(absolute: String, path: String)]) {
        self.files = files
    }
}

/// How far an import has read (for a progress line).
public struct ImportProgress: Sendable {
    public var path: String
    public var bytesRead: Int
    public var totalBytes: Int
    public var records: Int
}

/// What an import did.
public struct ImportOutcome: Sendable {
    /// Records read from the files (including ones skipped by design, e.g.
    /// spans that are not GenAI calls).
    public var records = 0
    /// Events the records made (before duplicates are set aside).
    public var events = 0
    /// Events new to the ledger (written, or with a dry run that would be).
    public var new = 0
    /// Events whose id the ledger (or an earlier record of the import) already has.
    public var alreadyPresent = 0
    /// The exact cost of the new events; nil if the sum leaves exact arithmetic.
    public var cost: ExactDecimal? = .zero
    /// Parts written (more than one when the import outgrew the memory
    /// budget); the parts are one batch, committed together.
    public var writes = 0
    /// Records refused, in file order.
    public var rejected: [RejectedRecord] = []
    /// Warnings (`tag-missing`, `input-limit`); they do not refuse a record.
    public var warnings: [Diagnostic] = []
    public var dryRun = false
}

/// `spend import`: streams each file in pieces of whole records, has the
/// source convert them to drafts (in parallel), prepares the drafts exactly
/// like `append` (policy, priceability, the exact cost), then writes once
/// through the locked append path, skipping ids already in the ledger.
/// Without `keepValid` a single rejected record refuses the whole import and
/// nothing is written.
public struct ImportPipeline {
    public let appender: LedgerAppender
    public let source: any ImportSource

    public init(appender: LedgerAppender, source: any ImportSource) {
        self.appender = appender
        self.source = source
    }

    /// Pieces in flight at once (read and not yet collected): four per core,
    /// each ~4 MiB of input (32 MiB on 2 cores). The pieces stream through
    /// `orderedPipeline`: while the workers convert, this thread reads and
    /// frames the next pieces and collects and writes the finished ones, so
    /// no core waits for a batch's slowest piece or for the serial part.
    static var window: Int { max(2, ProcessInfo.processInfo.activeProcessorCount * 4) }

    /// The settings an import appends with: ids skipped when present, no
    /// stamped commit or release (the records are history, not this checkout's calls).
    public static func settings(now: Int64) -> AppendSettings {
        var settings = AppendSettings(now: now, code: CodeVersion(commit: nil, release: nil))
        settings.skipDuplicates = true
        return settings
    }

    /// Runs the import; `progress` is called after each piece is collected.
    /// Without `keepValid`, rejected records throw their diagnostics and
    /// nothing is written: parts written before the rejection was read are
    /// rolled back. The parts are committed together at the end; an error or
    /// a crash before then leaves the ledger as it was.
    public func run(
        _ request: ImportRequest, settings: AppendSettings, progress: ((ImportProgress) -> Void)? = nil
    ) throws(SpendError) -> ImportOutcome {
        var outcome = ImportOutcome()
        outcome.dryRun = request.dryRun
        var events: [PreparedEvent] = []
        var held = 0
        // The exact cost of `events`, summed by the workers piece by piece.
        var heldCost: ExactDecimal? = .zero
        var writeSettings = settings
        writeSettings.skipDuplicates = true
        let session = request.dryRun ? nil : try appender.openSession(settings: writeSettings)
        func flush() throws(SpendError) {
            guard !events.isEmpty else { return }
            let written = try appender.write(events, settings: writeSettings, dryRun: request.dryRun, session: session)
            outcome.new += written.count
            outcome.alreadyPresent += written.skipped.count
            outcome.cost = Self.newCost(held: heldCost, written: written, into: outcome.cost)
            outcome.writes += request.dryRun ? 0 : 1
            events.removeAll()
            held = 0
            heldCost = .zero
        }
        do throws(SpendError) {
            let (book, policy, source) = (appender.book, appender.policy, self.source)
            for file in request.files {
                var reader = try ImportFileReader(absolute: file.absolute, path: file.path)
                defer { reader.close() }
                try reader.start { source.framing(start: $0) }
                let (path, size) = (file.path, reader.size)
                try orderedPipeline(
                    window: Self.window,
                    produce: { () throws(SpendError) -> ImportPiece? in try reader.next() },
                    transform: { piece in
                        piece.bytes.withUnsafeBytes { bytes in
                            Self.prepare(
                                source.convert(bytes, path: path, firstLine: piece.firstLine), piece: bytes, book: book, policy: policy,
                                settings: settings, end: piece.end, keepLines: !request.dryRun)
                        }
                    },
                    consume: { (result: PieceResult) throws(SpendError) in
                        outcome.records += result.records
                        outcome.events += result.events.count + result.refusedEvents
                        outcome.warnings += result.warnings
                        outcome.rejected += result.rejected
                        if outcome.rejected.isEmpty || request.keepValid {
                            events += result.events
                            held += result.bytes
                            heldCost = result.cost.flatMap { cost in try? heldCost?.adding(cost) }
                        }
                        if !request.dryRun && held > request.memoryBudget && (outcome.rejected.isEmpty || request.keepValid) { try flush() }
                        progress?(ImportProgress(path: path, bytesRead: result.end, totalBytes: size, records: outcome.records))
                    })
            }
            if !request.keepValid && !outcome.rejected.isEmpty {
                let diagnostics = outcome.rejected.flatMap(\.diagnostics)
                throw SpendError.input(Array(diagnostics.prefix(50)), omitted: max(0, diagnostics.count - 50))
            }
            try flush()
            try session?.commit()
            return outcome
        } catch {
            // Nothing of a refused or failed import stays: its parts are taken back.
            try? session?.rollBack()
            throw error
        }
    }

    /// `total` plus the cost of the events `written` wrote: the cost held
    /// less that of the duplicates skipped (no pass over every written
    /// event), or, when the held sum left exact arithmetic, their own sum.
    static func newCost(held: ExactDecimal?, written: AppendOutcome, into total: ExactDecimal?) -> ExactDecimal? {
        var new = held
        for event in written.skipped { if let cost = event.cost { new = try? new?.subtracting(cost) } }
        if new == nil {
            new = .zero
            for shard in written.shards {
                for i in shard.indices { if let cost = written.batch[i].cost { new = try? new?.adding(cost) } }
            }
        }
        return new.flatMap { new in try? total?.adding(new) }
    }

    /// What one piece made.
    struct PieceResult: Sendable {
        var records = 0
        var events: [PreparedEvent] = []
        var refusedEvents = 0
        /// Bytes of the prepared lines.
        var bytes = 0
        /// The exact cost of `events` (nil if the sum leaves exact arithmetic).
        var cost: ExactDecimal? = .zero
        var warnings: [Diagnostic] = []
        var rejected: [RejectedRecord] = []
        /// Bytes of the file read up to the end of the piece.
        var end = 0
    }

    /// Prepares a piece's drafts (one worker), setting refused ones aside;
    /// a refused draft's text is its `origin.sourceLine`, else its
    /// `sourceRange` of `piece`.
    static func prepare(
        _ converted: ImportedRecords, piece: UnsafeRawBufferPointer, book: PriceBook, policy: Policy, settings: AppendSettings,
        end: Int = 0, keepLines: Bool = true
    ) -> PieceResult {
        var worker = EventPreparer(book: book, policy: policy, settings: settings)
        worker.rejecting = true
        worker.events.reserveCapacity(converted.drafts.count)
        converted.drafts.withUnsafeBufferPointer { drafts in
            for i in drafts.indices {
                worker.add(drafts[i])
                worker.settle(drafts[i].origin) {
                    if let text = drafts[i].origin.sourceLine { return text }
                    guard let range = drafts[i].sourceRange, range.lowerBound >= 0, range.upperBound <= piece.count else { return "" }
                    return String(decoding: UnsafeRawBufferPointer(rebasing: piece[range]), as: UTF8.self)
                }
            }
        }
        var result = PieceResult()
        result.end = end
        result.records = converted.records
        result.refusedEvents = worker.rejected.count
        result.events = worker.events
        worker.events = []  // `result` holds the only reference: no copy when a line is let go below
        for i in result.events.indices {
            result.bytes += result.events[i].line.count + 128  // a line and its event's bookkeeping
            if let cost = result.events[i].cost { result.cost = try? result.cost?.adding(cost) }
            // A dry run writes nothing and holds every event to count duplicates: not its line.
            if !keepLines { result.events[i].line = [] }
        }
        result.warnings = worker.warnings
        var rejected = converted.rejected.map { r in
            var origin = r.origin
            origin.sourceLine = nil
            return RejectedRecord(
                origin: origin, diagnostics: [origin.diagnostic(rule: r.rule, message: r.message)], input: r.origin.sourceLine ?? "")
        }
        for var r in worker.rejected {
            r.origin.sourceLine = nil
            r.diagnostics = r.diagnostics.map { d in
                var d = d
                d.sourceLine = nil
                return d
            }
            rejected.append(r)
        }
        // File order: conversion and preparation refusals interleave by line.
        result.rejected = rejected.enumerated().sorted { a, b in
            (a.element.origin.line ?? 0, a.offset) < (b.element.origin.line ?? 0, b.offset)
        }.map(\.element)
        return result
    }
}
