/// The scanned chunks back in ledger order (shard path, then offset), each
/// with the number of lines before it in its shard: findings get their line
/// numbers from it, and the "first occurrence" of an id follows its order.
struct ScannedLedger {
    var chunks: [LedgerChunk]
    var outcomes: [ChunkOutcome]
    /// Newlines of the chunk's shard before the chunk.
    var linesBefore: [Int]

    /// Orders `chunks` and their `outcomes` by shard (`planOfBuffer`) and
    /// offset, and counts the lines before each.
    init(_ chunks: [LedgerChunk], _ outcomes: [ChunkOutcome], planOfBuffer: [ObjectIdentifier: Int]) {
        let ordered = zip(chunks, outcomes).sorted {
            let a = planOfBuffer[ObjectIdentifier($0.0.buffer)]!
            let b = planOfBuffer[ObjectIdentifier($1.0.buffer)]!
            return a != b ? a < b : $0.0.range.lowerBound < $1.0.range.lowerBound
        }
        self.chunks = ordered.map(\.0)
        self.outcomes = ordered.map(\.1)
        var linesBefore: [Int] = Array(repeating: 0, count: ordered.count)
        var running: [Int: (end: Int, lines: Int)] = [:]
        for (c, chunk) in self.chunks.enumerated() {
            let i = planOfBuffer[ObjectIdentifier(chunk.buffer)]!
            if let r = running[i], r.end == chunk.range.lowerBound {
                linesBefore[c] = r.lines
            } else {
                linesBefore[c] = LedgerLint.countLines(chunk.buffer.bytes, 0..<chunk.range.lowerBound)
            }
            running[i] = (chunk.range.upperBound, linesBefore[c] + self.outcomes[c].lines)
        }
        self.linesBefore = linesBefore
    }

    /// The event checks' findings as diagnostics, with their counts, the
    /// findings not kept and the events checked.
    func collectFindings(into out: inout Linter.LedgerOutcome) {
        for (c, outcome) in outcomes.enumerated() {
            out.errors += outcome.errors
            out.warnings += outcome.warnings
            out.omitted += outcome.omitted
            out.events += outcome.events
            out.policyPredating += outcome.policyPredating
            let bytes = chunks[c].buffer.bytes
            for f in outcome.findings {
                out.diagnostics.append(
                    Diagnostic(
                        path: chunks[c].path, line: linesBefore[c] + f.relLine + 1, column: f.offset - f.lineStart + 1,
                        severity: f.severity, rule: f.rule, message: f.message, sourceLine: LedgerLint.lineText(bytes, from: f.lineStart)))
            }
        }
    }
}
