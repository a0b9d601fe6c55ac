import SpendCore

/// Renders a report (``Report``, from report aggregation) as an aligned table,
/// CSV or JSON: `render(_:as:)` with `.table`, `.csv` or `.json`.
public struct ReportRenderer {
    public var precision: Int
    /// How `--format csv` writes fields (`--csv-raw` turns formula neutralising off).
    public var csvWriter: CSV

    public init(precision: Int = 2, csvWriter: CSV = CSV()) {
        self.precision = precision
        self.csvWriter = csvWriter
    }

    static let usageColumns = [
        "requests", "input_tokens", "cached_input_tokens", "cache_write_tokens", "output_tokens", "cost", "list_cost", "effective_cost",
    ]

    /// The report in `format`.
    public func render(_ report: Report, as format: OutputFormat) -> String {
        switch format {
        case .table: table(report)
        case .csv: csv(report)
        case .json: json(report)
        }
    }

    /// CSV: the `--by` names, then
    /// `requests,input_tokens,cached_input_tokens,cache_write_tokens,output_tokens,cost,list_cost,effective_cost`;
    /// exact costs (`cost` is the report's basis); cache writes count 5-minute and 1-hour writes together (as the table and JSON do).
    public func csv(_ report: Report) -> String {
        var out = csvWriter.row(report.columns + Self.usageColumns)
        for row in report.rows {
            let u = row.usage
            let fields = row.keys + [
                String(u.requests), String(u.inputTokens), String(u.cachedInputTokens), String(u.allCacheWriteTokens),
                String(u.outputTokens), row.cost.description, row.listCost.description, row.effectiveCost.description,
            ]
            out += csvWriter.row(fields)
        }
        if !report.excluded.isEmpty {
            // The lines left out: their count under `requests`, their stored cost when every one carried one.
            let e = report.excluded
            let list = e.unpriceable == 0 ? e.recordedCost.description : ""
            let labels = [Self.excludedLabel] + Array(repeating: "", count: max(report.columns.count - 1, 0))
            out += csvWriter.row(labels + [String(e.count), "", "", "", "", report.basis == .list ? list : "", list, ""])
        }
        return out
    }

    /// The label of the CSV row that counts the invalid lines left out.
    public static let excludedLabel = "(excluded)"

    /// JSON: `{"columns": …, "cost_basis": "list", "rows": [{…, "cost": "0.01155", "list_cost": …, "effective_cost": …, "share": "12.5"}], "total": {…}}`.
    public func json(_ report: Report) -> String {
        func object(_ row: ReportRow, keys: Bool) -> String {
            var parts: [String] = []
            if keys {
                for (name, value) in zip(report.columns, row.keys) { parts.append("\(JSON.quote(name)):\(JSON.quote(value))") }
            }
            let u = row.usage
            parts += [
                "\"requests\":\(u.requests)", "\"events\":\(row.events)", "\"input_tokens\":\(u.inputTokens)",
                "\"cached_input_tokens\":\(u.cachedInputTokens)", "\"cache_write_tokens\":\(u.allCacheWriteTokens)",
                "\"output_tokens\":\(u.outputTokens)", "\"cost\":\(JSON.quote(row.cost.description))",
                "\"list_cost\":\(JSON.quote(row.listCost.description))", "\"effective_cost\":\(JSON.quote(row.effectiveCost.description))",
            ]
            if keys, let share = report.share(row.cost) { parts.append("\"share\":\(JSON.quote(share.description))") }
            return "{" + parts.joined(separator: ",") + "}"
        }
        var out = "{\"columns\":[" + report.columns.map(JSON.quote).joined(separator: ",") + "],\"currency\":\"USD\",\"cost_basis\":\"\(report.basis.rawValue)\",\"rows\":[\n"
        out += report.rows.map { "  " + object($0, keys: true) }.joined(separator: ",\n")
        out += "\n],\"total\":" + object(report.total, keys: false)
        out += ",\"unattributed_cost\":\(JSON.quote(report.unattributed.description))"
        out += ",\"prices\":\(JSON.quote(report.prices.rawValue)),\"other_prices\":" + Self.json(report.comparison)
        out += ",\"excluded_lines\":\(ExcludedLinesNote.json(report.excluded))}\n"
        return out
    }

    /// `{"prices":"as-recorded","total":…,"difference":…,"rows_differing":…,"events_compared":…}`, or `null`.
    static func json(_ comparison: PriceComparison?) -> String {
        guard let c = comparison else { return "null" }
        return "{\"prices\":\(JSON.quote(c.other.rawValue)),\"total\":\(JSON.quote(c.total.description)),"
            + "\"difference\":\(JSON.quote(c.difference.description)),\"rows_differing\":\(c.rowsDiffering),\"events_compared\":\(c.events)}"
    }

    /// The foot line when the rows differ at the other price basis, else nil:
    /// `as recorded, these rows total $30.00, $2.07 more than at current prices (1 row differs) — see spend reprice`.
    func priceNote(_ report: Report) -> String? {
        guard let c = report.comparison, c.rowsDiffering > 0 else { return nil }
        let magnitude = Format.dollars(c.difference.isNegative ? -c.difference : c.difference, places: precision)
        let direction = c.difference.isNegative ? "less" : "more"
        let rows = "\(c.rowsDiffering) row\(c.rowsDiffering == 1 ? "" : "s") differ\(c.rowsDiffering == 1 ? "s" : "")"
        let total = Format.dollars(c.total, places: precision)
        var text: String
        switch c.other {
        case .asRecorded: text = "as recorded, these rows total \(total), \(magnitude) \(direction) than at current prices (\(rows))"
        case .current: text = "at current prices (today's rate cards), these rows total \(total), \(magnitude) \(direction) than as recorded (\(rows))"
        }
        if c.uncompared > 0 {
            let events = "\(Format.integer(Int64(c.uncompared))) event\(c.uncompared == 1 ? "" : "s")"
            text += c.storedOnly ? "; \(events) without a stored cost not compared" : "; \(events) the recorded cards do not price not compared"
        }
        return text + " — see spend reprice"
    }

    /// An aligned table with a total row, costs rounded to `precision` places (the footer says so).
    public func table(_ report: Report) -> String {
        let header = report.columns + ["requests", "input", "cached", "cache_write", "output", "cost", "share"]
        func cells(_ row: ReportRow, label: [String]) -> [String] {
            let u = row.usage
            return label + [
                Format.integer(u.requests), Format.integer(u.inputTokens), Format.integer(u.cachedInputTokens),
                Format.integer(u.allCacheWriteTokens), Format.integer(u.outputTokens),
                Format.dollars(row.cost, places: precision), report.share(row.cost).map(Format.percent) ?? "-",
            ]
        }
        var body = report.rows.map { cells($0, label: $0.keys) }
        var totalLabel = Array(repeating: "", count: report.columns.count)
        if !totalLabel.isEmpty { totalLabel[0] = "total" }
        let totalCells = cells(report.total, label: totalLabel)
        body.append(totalCells)
        let numeric = Set(report.columns.count..<header.count)
        var text = TextTable.render(header: header, rows: body, rightAligned: numeric, ruleBeforeLast: true)
        var notes: [String] = []
        if !report.groupingTags.isEmpty {
            let share = report.share(report.unattributed).map { $0.formatted(places: 1) } ?? "0.0"
            notes.append(
                "unattributed: \(Format.dollars(report.unattributed, places: precision)) (\(share)% of total) — events missing tag \(report.groupingTags.map { "\"\(TerminalText.escaped($0))\"" }.joined(separator: " or "))"
            )
        }
        if report.prices == .asRecorded {
            notes.append("costs are as recorded: each event's stored cost, else the rate cards it was priced with or committed at its ts")
        }
        if let note = priceNote(report) { notes.append(note) }
        if report.basis == .effective { notes.append("costs are effective: list price after contract discounts ([[discount]] in ratecards/)") }
        if let excluded = ExcludedLinesNote.line(report.excluded, places: precision) { notes.append(excluded) }
        notes.append("costs in USD rounded to \(precision) decimals for display; totals are exact sums (--format csv for exact values)")
        text += "\n" + notes.joined(separator: "\n") + "\n"
        return text
    }
}
