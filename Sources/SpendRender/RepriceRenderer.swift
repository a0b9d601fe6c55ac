import SpendCore

/// Renders a reprice (``RepriceResult``, from ``Repricer``) as a table, CSV or JSON:
/// the grouped comparison, or with `list` the drifting events.
public struct RepriceRenderer {
    /// Decimal places of costs in tables.
    public var precision: Int
    /// How `--format csv` writes fields (`--csv-raw` turns formula neutralising off).
    public var csvWriter = CSV()

    public init(precision: Int = 2) {
        self.precision = precision
    }

    /// The grouped comparison, or with `list` the drifting events.
    public func render(_ result: RepriceResult, as format: OutputFormat, list: Bool) -> String {
        switch (format, list) {
        case (.table, false): return table(result)
        case (.csv, false): return csv(result)
        case (.json, _): return json(result, list: list)
        case (.table, true): return listTable(result)
        case (.csv, true): return listCSV(result)
        }
    }

    /// `…,events,stored_cost,recomputed_cost,drift` with exact decimals, one row per group.
    public func csv(_ result: RepriceResult) -> String {
        var out = csvWriter.row(result.columns + ["events", "stored_cost", "recomputed_cost", "drift"])
        for row in result.rows {
            let fields = row.keys + [String(row.events), row.stored.description, row.recomputed.description, row.drift.description]
            out += csvWriter.row(fields)
        }
        return out
    }

    /// `{"basis": …, "rows": [{…, "events": n, "stored_cost": "…", …}], "total": {…}, "events": [...]}`.
    public func json(_ result: RepriceResult, list: Bool) -> String {
        func object(_ row: RepriceRow, keys: Bool) -> String {
            var fields: [String] = []
            if keys { for (name, value) in zip(result.columns, row.keys) { fields.append("\(JSON.quote(name)):\(JSON.quote(value))") } }
            fields += [
                "\"events\":\(row.events)", "\"stored_cost\":\(JSON.quote(row.stored.description))",
                "\"recomputed_cost\":\(JSON.quote(row.recomputed.description))", "\"drift\":\(JSON.quote(row.drift.description))",
                "\"drifting_events\":\(row.drifting)",
            ]
            return "{" + fields.joined(separator: ",") + "}"
        }
        var out = "{\"basis\":\(JSON.quote(result.basisDescription)),\"reference\":\(JSON.quote(result.otherDescription)),"
        out += "\"columns\":[" + result.columns.map(JSON.quote).joined(separator: ",") + "],"
        out += "\"rows\":[" + result.rows.map { object($0, keys: true) }.joined(separator: ",") + "],"
        out += "\"total\":" + object(result.total, keys: false)
        if list {
            out += ",\"events\":[" + result.driftingEvents.map { e in
                var fields = [
                    "\"path\":\(JSON.quote(e.path))", "\"line\":\(e.line)", "\"id\":\(JSON.quote(e.id))",
                    "\"ts\":\(JSON.quote(Timestamp.format(millis: e.ts)))", "\"provider\":\(JSON.quote(e.provider))",
                    "\"model\":\(JSON.quote(e.model))", "\"stored_cost\":\(JSON.quote(e.stored.description))",
                    "\"recomputed_cost\":\(JSON.quote(e.recomputed.description))", "\"drift\":\(JSON.quote(e.drift.description))",
                ]
                if let p = e.pricedWith { fields.append("\"priced_with\":\(JSON.quote(p))") }
                return "{" + fields.joined(separator: ",") + "}"
            }.joined(separator: ",") + "]"
        }
        return out + "}"
    }

    private func money(_ d: ExactDecimal) -> String { Format.money(d, places: precision) }

    private func signed(_ d: ExactDecimal) -> String { Format.signedMoney(d, places: precision) }

    /// An aligned table with a total row, costs rounded to `precision` places, and the basis notes.
    public func table(_ result: RepriceResult) -> String {
        let header = result.columns + ["events", "stored", "recomputed", "drift"]
        var rows: [[String]] = result.rows.map { row in
            row.keys + [Format.integer(Int64(row.events)), money(row.stored), money(row.recomputed), signed(row.drift)]
        }
        let t = result.total
        rows.append(
            ["total"] + Array(repeating: "", count: max(result.columns.count - 1, 0))
                + [Format.integer(Int64(t.events)), money(t.stored), money(t.recomputed), signed(t.drift)])
        let numeric = Set(result.columns.count..<header.count)
        var out = TextTable.render(header: header, rows: rows, rightAligned: numeric, ruleBeforeLast: true)
        out += "\nrecomputed: \(result.basisDescription)"
        if result.cost == .effective {
            out += "\nstored: \(result.otherDescription) (events' stored costs are list costs, not compared)"
        } else {
            out += "\nstored: the event's cost (\(Format.integer(Int64(result.eventsWithCost))) of \(Format.integer(Int64(t.events))) events carry one); else \(result.otherDescription)"
        }
        if t.drifting == 0 {
            out += "\nno drift: every event's cost is reproduced"
        } else {
            out += "\n\(Format.integer(Int64(t.drifting))) event\(t.drifting == 1 ? "" : "s") drift (spend reprice --list shows them)"
        }
        out += "\ncosts in USD rounded to \(precision) decimals for display; totals are exact sums (--format csv for exact values)"
        return out
    }

    /// One line per drifting event: `path:line: id ts provider/model stored → recomputed (drift)`.
    public func listTable(_ result: RepriceResult) -> String {
        guard !result.driftingEvents.isEmpty else { return "no drift: every event's cost is reproduced" }
        var lines: [String] = []
        for e in result.driftingEvents {
            var line = "\(e.path):\(e.line): \(e.id) \(Timestamp.format(millis: e.ts)) \(e.provider)/\(e.model) stored \(e.stored) recomputed \(e.recomputed) drift \(e.drift.isNegative ? "" : "+")\(e.drift)"
            if let p = e.pricedWith { line += " (priced_with \(p))" }
            lines.append(TerminalText.escaped(line))
        }
        lines.append("\(result.driftingEvents.count) event\(result.driftingEvents.count == 1 ? "" : "s") drift; recomputed with \(result.basisDescription)")
        return lines.joined(separator: "\n")
    }

    /// `path,line,id,ts,provider,model,stored_cost,recomputed_cost,drift,priced_with`.
    public func listCSV(_ result: RepriceResult) -> String {
        var out = "path,line,id,ts,provider,model,stored_cost,recomputed_cost,drift,priced_with\n"
        for e in result.driftingEvents {
            let fields = [
                e.path, String(e.line), e.id, Timestamp.format(millis: e.ts), e.provider, e.model, e.stored.description,
                e.recomputed.description, e.drift.description, e.pricedWith ?? "",
            ]
            out += csvWriter.row(fields)
        }
        return out
    }
}
