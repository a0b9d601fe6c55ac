import SpendCore

/// Renders what `spend void`, `spend retag` and `spend replace` wrote: one
/// line per correction, naming the corrected event and where it is, the new
/// event's id and shard (and its cost for a replace); escaped (``TerminalText``).
public enum CorrectionSummary {
    /// `voided req-1 (ledger/2025/2025-01.jsonl:2) with 01J… in ledger/2026/2026-12.jsonl`
    public static func summary(_ corrections: [PreparedCorrection]) -> String {
        corrections.map { c in
            let verb = c.kind == .void ? "voided" : "replaced"
            let cost = c.event.cost.map { ", cost $\($0)" } ?? ""
            return TerminalText.escaped("\(verb) \(c.corrects) (\(c.original)) with \(c.event.id) in \(c.event.shard)\(cost)")
        }.joined(separator: "\n")
    }
}
