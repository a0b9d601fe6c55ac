import SpendCore

/// Renders a state diff (``SpendDiff``, from ``DiffEngine``) as a table, CSV or JSON;
/// `explain` adds the volume, intensity, price and mix effects (JSON always has them).
public struct DiffRenderer {
    public var precision: Int
    public var explain: Bool
    /// How `--format csv` writes fields (`--csv-raw` turns formula neutralising off).
    public var csvWriter = CSV()

    public init(precision: Int = 2, explain: Bool) {
        self.precision = precision
        self.explain = explain
    }

    public static let csvColumns = ["requests_a", "requests_b", "cost_a", "cost_b", "delta", "delta_pct"]
    public static let effectColumns = ["volume_effect", "intensity_effect", "price_effect", "mix_effect"]

    /// The diff in `format`.
    public func render(_ diff: SpendDiff, as format: OutputFormat) -> String {
        switch format {
        case .table: table(diff)
        case .csv: csv(diff)
        case .json: json(diff)
        }
    }

    /// CSV: the `--by` names, then `requests_a,requests_b,cost_a,cost_b,delta,delta_pct`
    /// (and the four effects with `--explain`); exact decimals, no total row.
    public func csv(_ diff: SpendDiff) -> String {
        var header = diff.columns + Self.csvColumns
        if explain { header += Self.effectColumns }
        var out = csvWriter.row(header)
        for r in diff.rows {
            var fields = r.keys + [
                String(r.a.requests), String(r.b.requests), r.a.cost.description, r.b.cost.description, r.delta.description,
                r.deltaPercent?.description ?? "",
            ]
            if explain {
                fields += [r.effects.volume.description, r.effects.intensity.description, r.effects.price.description, r.effects.mix.description]
            }
            out += csvWriter.row(fields)
        }
        return out
    }

    /// One object: `from`, `to`, the columns, every row with its effects, the total and `unpriced_at_a`.
    public func json(_ diff: SpendDiff) -> String {
        func object(_ r: DiffRow, keys: Bool) -> String {
            var parts: [String] = []
            if keys { for (name, value) in zip(diff.columns, r.keys) { parts.append("\(JSON.quote(name)):\(JSON.quote(value))") } }
            parts += [
                "\"requests_a\":\(r.a.requests)", "\"requests_b\":\(r.b.requests)", "\"cost_a\":\(JSON.quote(r.a.cost.description))",
                "\"cost_b\":\(JSON.quote(r.b.cost.description))", "\"delta\":\(JSON.quote(r.delta.description))",
                "\"delta_pct\":" + (r.deltaPercent.map { JSON.quote($0.description) } ?? "null"),
                "\"volume_effect\":\(JSON.quote(r.effects.volume.description))",
                "\"intensity_effect\":\(JSON.quote(r.effects.intensity.description))",
                "\"price_effect\":\(JSON.quote(r.effects.price.description))", "\"mix_effect\":\(JSON.quote(r.effects.mix.description))",
            ]
            return "{" + parts.joined(separator: ",") + "}"
        }
        var out = "{\"from\":\(JSON.quote(diff.from)),\"to\":\(JSON.quote(diff.to)),\"columns\":["
        out += diff.columns.map(JSON.quote).joined(separator: ",") + "],\"currency\":\"USD\",\"rows\":[\n"
        out += diff.rows.map { "  " + object($0, keys: true) }.joined(separator: ",\n")
        out += "\n],\"total\":" + object(diff.total, keys: false) + ",\"unpriced_at_a\":\(diff.unpricedAtA)"
        out += ",\"excluded_lines\":{\"from\":\(ExcludedLinesNote.json(diff.excludedFrom)),\"to\":\(ExcludedLinesNote.json(diff.excludedTo))}}\n"
        return out
    }

    /// A title, an aligned table with a total row (costs rounded to `precision` places) and notes.
    public func table(_ diff: SpendDiff) -> String {
        var header = diff.columns + ["requests_a", "requests_b", "cost_a", "cost_b", "delta", "delta%"]
        if explain { header += ["volume", "intensity", "price", "mix"] }
        func cells(_ r: DiffRow, _ label: [String]) -> [String] {
            var c = label + [
                Format.integer(r.a.requests), Format.integer(r.b.requests), Format.dollars(r.a.cost, places: precision), Format.dollars(r.b.cost, places: precision),
                Format.delta(r.delta, places: precision), r.a.cost.isZero && r.b.cost.isZero ? "0.0%" : Format.percentChange(r.deltaPercent, none: "new"),
            ]
            if explain {
                c += [r.effects.volume, r.effects.intensity, r.effects.price, r.effects.mix].map { Format.delta($0, places: precision) }
            }
            return c
        }
        var rows = diff.rows.map { cells($0, $0.keys) }
        var totalLabel = ["total"] + Array(repeating: "", count: max(0, diff.columns.count - 1))
        if diff.columns.isEmpty { totalLabel = [] }
        rows.append(cells(diff.total, totalLabel))
        let right = Set(diff.columns.count..<header.count)
        var text = "spend diff: \(diff.from) → \(diff.to)\n\n"
        text += TextTable.render(header: header, rows: rows, rightAligned: right, ruleBeforeLast: true) + "\n"
        var notes: [String] = []
        if diff.hidden > 0 { notes.append("\(diff.hidden) more rows not shown (--top); the total covers every row") }
        if explain {
            notes.append("delta = volume (requests) + intensity (tokens per request) + price (rate cards) + mix (models), exactly; see docs/diff.md")
        }
        if diff.unpricedAtA > 0 {
            notes.append("\(diff.unpricedAtA) events have no price in A's rate cards: their B cost stands in (no price effect)")
        }
        for (side, lines) in [(diff.from, diff.excludedFrom), (diff.to, diff.excludedTo)] {
            if let note = ExcludedLinesNote.line(lines, places: precision, side: side) { notes.append(note) }
        }
        notes.append("costs in USD rounded to \(precision) decimals for display; --format csv gives exact values")
        return text + "\n" + notes.joined(separator: "\n") + "\n"
    }
}
