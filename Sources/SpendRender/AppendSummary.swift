import SpendCore

/// Renders what `spend append` did (``AppendOutcome``, from ``LedgerAppender``) as the
/// human-readable lines it prints; append has no `--format` (`--dry-run` writes the ledger lines).
public enum AppendSummary {
    /// `appended <id> to <shard>, cost $…`, or `appended N events (<shard> +n, …), cost $…`,
    /// and the duplicates skipped; every line escaped (``TerminalText``).
    public static func summary(_ outcome: AppendOutcome) -> String {
        var lines: [String] = []
        let count = outcome.count
        if count == 1, let event = outcome.events.first(where: { _ in true }) {
            let cost = event.cost.map { ", cost $\($0)" } ?? ""
            lines.append("appended \(event.id) to \(event.shard)\(cost)")
        } else if count > 0 {
            // nil once the sum leaves exact arithmetic (the events are written; only the summary omits it).
            var total: ExactDecimal? = .zero
            var priced = false
            for shard in outcome.shards {
                for i in shard.indices {
                    if let cost = outcome.batch[i].cost {
                        total = try? total?.adding(cost)
                        priced = true
                    }
                }
            }
            let shards = outcome.shards.map { "\($0.shard) +\($0.indices.count)" }.joined(separator: ", ")
            lines.append("appended \(count) events (\(shards))\(priced ? total.map { ", cost $\($0)" } ?? "" : "")")
        } else {
            lines.append("appended nothing")
        }
        if !outcome.skipped.isEmpty {
            lines.append("skipped \(outcome.skipped.count) duplicate\(outcome.skipped.count == 1 ? "" : "s") (already in the ledger)")
        }
        // One line each, whatever an id or shard path holds.
        return lines.map(TerminalText.escaped).joined(separator: "\n")
    }

    /// `dry run: N events checked; nothing written (M duplicates would be skipped)`.
    public static func dryRunNote(_ outcome: AppendOutcome) -> String {
        let n = outcome.count
        var note = "dry run: \(n) event\(n == 1 ? "" : "s") checked; nothing written"
        if !outcome.skipped.isEmpty { note += " (\(outcome.skipped.count) duplicate\(outcome.skipped.count == 1 ? "" : "s") would be skipped)" }
        return note
    }
}
