/// Findings on corrected lines (docs/lint.md, "Corrected lines"). A void or
/// a replace takes an event out of every report: it is how a committed bad
/// line is fixed without rewriting history. So lint does not report the
/// findings of a line whose id a correction among the lines read names; a
/// note names the line, what was not reported and the correction that
/// stands (the first in ledger order). A line without a readable id cannot
/// be named by a correction, and its findings stay.
enum CorrectedLines {
    /// The ids the corrections of the scanned lines correct.
    static func targets(_ scanned: ScannedLedger) -> CorrectionSet {
        CorrectionSet(scanned.outcomes.lazy.flatMap(\.corrections).map(\.hash))
    }

    /// Checks again, with `corrected`, the chunks that have a finding on a
    /// corrected line (usually none: then nothing is read again).
    static func recheck(
        _ scanned: inout ScannedLedger, corrected: CorrectionSet, scan: ([LedgerChunk], CorrectionSet) -> [ChunkOutcome]
    ) {
        if corrected.isEmpty { return }
        let again = scanned.outcomes.indices.filter { scanned.outcomes[$0].flagged.contains(where: corrected.contains) }
        if again.isEmpty { return }
        for (k, outcome) in scan(again.map { scanned.chunks[$0] }, corrected).enumerated() { scanned.outcomes[again[k]] = outcome }
    }

    /// One note per corrected line whose findings were not reported, in
    /// ledger order: the first `limit` (0: all), then how many more.
    static func notes(_ scanned: ScannedLedger, limit: Int) -> [String] {
        var lines: [(chunk: Int, relLine: Int, id: UInt64, findings: [String])] = []
        for (c, outcome) in scanned.outcomes.enumerated() {
            for f in outcome.suppressed {
                let finding = "\(f.severity.rawValue)[\(f.rule.id)]"
                if let last = lines.last, last.chunk == c, last.relLine == f.relLine {
                    lines[lines.count - 1].findings.append(finding)
                } else {
                    lines.append((c, f.relLine, f.id, [finding]))
                }
            }
        }
        if lines.isEmpty { return [] }
        let standing = corrections(of: Set(lines.map(\.id)), in: scanned)
        let shown = limit > 0 ? lines.prefix(limit) : lines[...]
        var notes = shown.map { line in
            "\(place(scanned, line.chunk, line.relLine)): \(line.findings.joined(separator: ", ")) not reported: the line is \(standing[line.id] ?? "corrected")"
        }
        if shown.count < lines.count {
            notes.append("\(lines.count - shown.count) more corrected lines with findings not reported (--limit 0 lists them)")
        }
        return notes
    }

    /// For each wanted id hash, the first correction of it in ledger order:
    /// `voided by "ID" (path:line)` or `replaced by …`.
    static func corrections(of wanted: Set<UInt64>, in scanned: ScannedLedger) -> [UInt64: String] {
        var out: [UInt64: String] = [:]
        for (c, outcome) in scanned.outcomes.enumerated() {
            for seen in outcome.corrections where wanted.contains(seen.hash) && out[seen.hash] == nil {
                let bytes = scanned.chunks[c].buffer.bytes
                var scanner = LedgerScanner(buffer: bytes, range: seen.lineStart..<bytes.count)
                var e = EventRecord()
                guard (try? scanner.next(into: &e)) == true else { continue }
                let verb = e.correction == .void ? "voided" : "replaced"
                out[seen.hash] = "\(verb) by \(JSONString.quoted(scanner.string(e.id) ?? "")) (\(place(scanned, c, Int(seen.relLine))))"
            }
        }
        return out
    }

    /// `path:line` of a line of chunk `c`.
    static func place(_ scanned: ScannedLedger, _ c: Int, _ relLine: Int) -> String {
        "\(scanned.chunks[c].path):\(scanned.linesBefore[c] + relLine + 1)"
    }
}
