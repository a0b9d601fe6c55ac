/// Where an event given to `append` came from, for messages:
/// `<stdin>:3`, `<json>`, `<flags>`, or a response file's path.
public struct EventOrigin: Sendable, Hashable {
    public var path: String
    /// 1-based line, for JSON Lines input.
    public var line: Int?
    /// The input line, for a caret under a JSON error.
    public var sourceLine: String?

    public init(path: String, line: Int? = nil, sourceLine: String? = nil) {
        self.path = path
        self.line = line
        self.sourceLine = sourceLine
    }

    /// A diagnostic at this origin (column relative to `sourceLine`).
    public func diagnostic(rule: Rule, message: String, column: Int? = nil, severity: Diagnostic.Severity? = nil) -> Diagnostic {
        Diagnostic(
            path: path, line: line, column: line == nil ? nil : column, severity: severity, rule: rule, message: message,
            sourceLine: column == nil ? nil : sourceLine)
    }
}

/// An event as given to `append`, before stamping: `ts` and `id` may be
/// missing (the appender stamps them), and so may `commit`, `release`,
/// `cost` and `priced_with`.
public struct EventDraft: Sendable {
    public var event: LedgerEvent
    public var hasTimestamp: Bool
    public var hasId: Bool
    public var origin: EventOrigin
    /// The record's text as a byte range of the piece an import source
    /// converted it from, when the source leaves `origin.sourceLine` empty:
    /// the text is only made (by the import pipeline) if the record is refused.
    public var sourceRange: Range<Int>?

    public init(event: LedgerEvent, hasTimestamp: Bool, hasId: Bool, origin: EventOrigin) {
        self.event = event
        self.hasTimestamp = hasTimestamp
        self.hasId = hasId
        self.origin = origin
    }
}

/// Reads drafts from JSON (one object, or JSON Lines) with the ledger's own
/// byte scanner: the same syntax and schema rules as a ledger line, except
/// that `ts`, `id` and `tags` may be left for `append` to fill in. Keys the
/// schema does not know are refused: `append` writes only documented keys,
/// and a misspelt optional key must not vanish silently.
public enum DraftReader {
    /// Parses every non-blank line of `bytes`; returns the drafts, or every
    /// problem found (nothing is half-accepted).
    public static func read(
        _ bytes: UnsafeRawBufferPointer, path: String, numbered: Bool
    ) -> Result<[EventDraft], DiagnosticsError> {
        var drafts: [EventDraft] = []
        let failure = read(bytes, path: path, firstLine: numbered ? 1 : nil) { drafts.append($0) }
        if let failure { return .failure(failure) }
        return .success(drafts)
    }

    /// Streams the drafts of `bytes` to `body` (numbering lines from
    /// `firstLine`, or not at all when nil); returns the problems found, if any.
    /// After the first problem, drafts are no longer passed on.
    public static func read(
        _ bytes: UnsafeRawBufferPointer, path: String, firstLine: Int?, _ body: (EventDraft) -> Void
    ) -> DiagnosticsError? {
        scan(bytes, path: path, firstLine: firstLine) { record, scanner, origin in
            var event = LedgerEvent(record, scanner: scanner)
            if !record.has(.ts) { event.ts = 0 }
            body(EventDraft(event: event, hasTimestamp: record.has(.ts), hasId: record.has(.id), origin: origin))
        }
    }

    /// The text of the line of `bytes` that starts at `start`.
    static func lineText(_ bytes: UnsafeRawBufferPointer, _ start: Int) -> String {
        var end = start
        while end < bytes.count && bytes[end] != 10 { end += 1 }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
    }

    /// Like `read`, but hands over each scanned record (valid until the next
    /// call). With `rejecting`, a line that cannot be read is handed to it
    /// (its diagnostic and its text) and the following lines still reach `body`.
    static func scan(
        _ bytes: UnsafeRawBufferPointer, path: String, firstLine: Int?,
        rejecting: ((Diagnostic, String) -> Void)? = nil,
        _ body: (EventRecord, LedgerScanner, EventOrigin) -> Void
    ) -> DiagnosticsError? {
        var scanner = LedgerScanner(buffer: bytes)
        scanner.requiredKeys = EventKey.draftRequiredMask
        var record = EventRecord()
        var problems: [Diagnostic] = []
        var omitted = 0
        var line = firstLine ?? 1
        var lineStartOffset = 0
        // Counts newlines between the last position and `offset`.
        func advance(to offset: Int) {
            guard offset > lineStartOffset else { return }
            var p = bytes.baseAddress! + lineStartOffset
            let end = bytes.baseAddress! + offset
            while p < end, let nl = memchr(p, 10, end - p) {
                line += 1
                p = UnsafeRawPointer(nl) + 1
            }
            lineStartOffset = offset
        }
        func lineText(around offset: Int) -> (start: Int, text: String) {
            var start = offset
            while start > 0 && bytes[start - 1] != 10 { start -= 1 }
            var end = offset
            while end < bytes.count && bytes[end] != 10 { end += 1 }
            return (start, String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self))
        }
        func report(_ diagnostic: Diagnostic, line text: String) {
            if let rejecting { return rejecting(diagnostic, text) }
            if problems.count < 50 { problems.append(diagnostic) } else { omitted += 1 }
        }
        while true {
            do throws(LedgerScanError) {
                guard try scanner.next(into: &record) else { break }
                advance(to: record.lineStart)
                let origin = EventOrigin(path: path, line: firstLine == nil ? nil : line)
                if record.unknownKeyOffset >= 0 {
                    let (start, text) = lineText(around: record.unknownKeyOffset)
                    var o = origin
                    o.sourceLine = text
                    let key = unknownKeyName(bytes, at: record.unknownKeyOffset)
                    let hint = Suggestions.didYouMean(key, in: EventKey.allCases.map(\.name)).map { "; \($0)" } ?? ""
                    report(
                        o.diagnostic(
                            rule: .schema, message: "unknown key \"\(key)\" (append writes only the keys of docs/FORMAT.md)\(hint)",
                            column: record.unknownKeyOffset - start + 1),
                        line: text)
                    continue
                }
                if !problems.isEmpty { continue }
                body(record, scanner, origin)
            } catch {
                let (start, text) = lineText(around: min(error.offset, bytes.count))
                advance(to: start)
                let origin = EventOrigin(path: path, line: firstLine == nil ? nil : line, sourceLine: text)
                report(origin.diagnostic(rule: error.rule, message: error.message, column: error.offset - start + 1), line: text)
                scanner.skipLine()
            }
        }
        return problems.isEmpty ? nil : DiagnosticsError(problems, omitted: omitted)
    }

    private static func unknownKeyName(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> String {
        var end = offset + 1
        while end < bytes.count && bytes[end] != 34 {
            end += bytes[end] == 92 ? 2 : 1
        }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(offset + 1)..<min(end, bytes.count)]), as: UTF8.self)
    }
}
