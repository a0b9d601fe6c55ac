import SpendCore

/// Renders what `spend import` did (``ImportOutcome``) as the lines it prints.
public enum ImportSummary {
    /// `imported 1,204 new, 0 already present, 3 rejected; cost $1.234567`
    /// (with a dry run: `dry run: would import … nothing written`); the cost
    /// is the exact sum of the new events' costs.
    public static func summary(_ outcome: ImportOutcome) -> String {
        let counts =
            "\(Format.integer(Int64(outcome.new))) new, \(Format.integer(Int64(outcome.alreadyPresent))) already present, "
            + "\(Format.integer(Int64(outcome.rejected.count))) rejected"
        let cost = outcome.new == 0 ? "" : outcome.cost.map { "; cost $\($0)" } ?? ""
        let text = outcome.dryRun ? "dry run: would import \(counts)\(cost); nothing written" : "imported \(counts)\(cost)"
        return TerminalText.escaped(text)
    }

    /// `importing spans.jsonl: 45% (120,000 records)`.
    public static func progress(_ p: ImportProgress) -> String {
        let percent = p.totalBytes == 0 ? 100 : Int64(p.bytesRead) * 100 / Int64(p.totalBytes)
        return TerminalText.escaped("importing \(p.path): \(percent)% (\(Format.integer(Int64(p.records))) records)")
    }
}
