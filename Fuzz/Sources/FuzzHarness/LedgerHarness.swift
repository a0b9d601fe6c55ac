import Foundation
import SpendCore

/// The ledger line scanner against the reference decoder, line by line, and
/// a whole-buffer scan against the line-by-line one.
enum LedgerHarness {
    static func check(_ data: UnsafeRawBufferPointer, pending: Set<PendingRule>) -> String? {
        let bytes = Array(data)
        // Lines as the reader sees them: split on \n only.
        var lines: [(start: Int, bytes: [UInt8])] = []
        var start = 0
        for (i, b) in bytes.enumerated() where b == 10 {
            lines.append((start, Array(bytes[start..<i])))
            start = i + 1
        }
        if start < bytes.count { lines.append((start, Array(bytes[start...]))) }

        var perLine: [(line: Int, outcome: String)] = []
        for (index, line) in lines.enumerated() {
            let scanned = scanLine(line.bytes)
            if case .blank = scanned.outcome {} else { perLine.append((index, scanned.summary)) }
            let reference = ReferenceLedger.decode(line.bytes)
            if let problem = compare(scanned, reference, line.bytes, pending: pending) {
                return """
                    line \(index + 1): \(show(line.bytes))
                      scanner:   \(scanned.outcome)
                      reference: \(reference)
                      \(problem)
                    """
            }
        }
        // The whole buffer at once must give the same outcomes.
        if pending.contains(.escapedNewline) && zip(bytes, bytes.dropFirst()).contains(where: { $0 == 92 && $1 == 10 }) { return nil }
        var whole: [(line: Int, outcome: String)] = []
        var scanner = LedgerScanner(buffer: data)
        var event = EventRecord()
        func lineIndex(_ offset: Int) -> Int { (lines.lastIndex { $0.start <= offset }) ?? 0 }
        while true {
            do {
                guard try scanner.next(into: &event) else { break }
                whole.append((lineIndex(event.lineStart), "accepted: \(values(event, scanner))"))
            } catch {
                whole.append((lineIndex(scanner.position), "rejected [\(error.rule)]"))
                scanner.skipLine()
            }
        }
        if whole.map(\.line) != perLine.map(\.line) || whole.map(\.outcome) != perLine.map(\.outcome) {
            return "whole-buffer scan differs from line-by-line scan:\n  whole:    \(whole)\n  per line: \(perLine)"
        }
        // append's reader (same scanner, draft rules): must not crash.
        _ = DraftReader.read(data, path: "fuzz.jsonl", numbered: true)
        return nil
    }

    struct Scanned {
        var outcome: LineOutcome
        var rule: String?
        var offset = 0
        var summary: String {
            switch outcome {
            case .accepted(let v): return "accepted: \(v)"
            default: return "rejected [\(rule ?? "")]"
            }
        }
    }

    /// Scans one line in a buffer of exactly its size (so AddressSanitizer
    /// sees any read past it).
    static func scanLine(_ line: [UInt8]) -> Scanned {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: line.count, alignment: 1)
        defer { buffer.deallocate() }
        line.withUnsafeBytes { buffer.copyMemory(from: $0) }
        var scanner = LedgerScanner(buffer: UnsafeRawBufferPointer(buffer))
        var event = EventRecord()
        do {
            guard try scanner.next(into: &event) else { return Scanned(outcome: .blank) }
            let v = values(event, scanner)
            // One line holds at most one event.
            if (try? scanner.next(into: &event)) == true { return Scanned(outcome: .rejected(rules: [], reason: "two events on one line", pending: nil)) }
            return Scanned(outcome: .accepted(v))
        } catch {
            return Scanned(
                outcome: .rejected(rules: [error.rule.id], reason: "\(error.message) at \(error.offset)", pending: nil), rule: error.rule.id,
                offset: error.offset)
        }
    }

    static func decoded(_ span: ByteSpan, _ scanner: LedgerScanner) -> [UInt8] {
        let raw = scanner.bytes(span)
        if !span.escaped { return Array(raw) }
        switch JSONStringDecoder.decode(raw) {
        case .success(let d): return d
        case .failure(let e): return Array("<undecodable: \(e.message)>".utf8)
        }
    }

    static func values(_ e: EventRecord, _ scanner: LedgerScanner) -> EventValues {
        var v = EventValues()
        v.ts = e.ts
        let spans: [ByteSpan] = [e.id, e.provider, e.model, e.modelRequested, e.serviceTier, e.status, e.release, e.commit, e.traceId, e.pricedWith]
        for (key, span) in zip(EventValues.stringKeys, spans) where !span.isAbsent {
            v.strings[key.name] = decoded(span, scanner)
        }
        if !e.corrects.isAbsent { v.strings["corrects"] = decoded(e.corrects, scanner) }
        if let kind = e.correction.name { v.strings["correction"] = Array(kind.utf8) }
        if !e.reason.isAbsent { v.strings["reason"] = decoded(e.reason, scanner) }
        if !e.cost.isAbsent { v.cost = Array(scanner.bytes(e.cost)) }
        v.batch = e.batch
        v.integers = [
            e.requests, e.inputTokens, e.cachedInputTokens, e.cacheWriteTokens, e.cacheWrite1hTokens, e.outputTokens, e.attempt, e.latencyMs,
        ]
        v.tags = scanner.tags[e.tags].map { [decoded($0.key, scanner), decoded($0.value, scanner)] }
        v.toolCalls = scanner.toolCalls[e.toolCalls].map { "\(show(decoded($0.name, scanner)))=\($0.count)" }
        return v
    }

    /// Why the scanner's outcome is wrong by the reference, or nil.
    static func compare(_ scanned: Scanned, _ reference: LineOutcome, _ line: [UInt8], pending: Set<PendingRule>) -> String? {
        switch (scanned.outcome, reference) {
        case (.blank, .blank): return nil
        case (.accepted(let a), .accepted(let b)):
            return a == b ? nil : "the parsed values differ"
        case (.accepted, .rejected(_, _, let p)):
            if let p, pending.contains(p) { return nil }
            return "the scanner accepts a line the reference rejects"
        case (.rejected, .accepted):
            return "the scanner rejects a line the reference accepts"
        case (.rejected(let scanRules, _, _), .rejected(let rules, _, let p)):
            if scanRules.isEmpty { return "the scanner read two events from one line" }
            if scanned.rule == "json" && !rules.contains("json") {
                if let p, pending.contains(p) { return nil }
                return "the scanner says json, the reference says \(rules.sorted())"
            }
            if scanned.rule != "json" && !ReferenceJSON.startsValue(line, scanned.offset) && !pending.contains(.valueJSON) {
                return "the scanner reports rule \(scanned.rule ?? "") at offset \(scanned.offset), where the text is not a JSON value (rule json)"
            }
            return nil
        default:
            return "blank line on one side only"
        }
    }
}
