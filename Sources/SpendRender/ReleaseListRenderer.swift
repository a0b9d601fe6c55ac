import SpendCore

/// Renders `spend releases` (``ReleaseList``, from ``ReleaseList/build(repository:summaries:pattern:query:threshold:)``)
/// as a table with notes, CSV (``csvColumns``, exact decimals) or JSON.
public struct ReleaseListRenderer {
    public var precision: Int
    /// How `--format csv` writes fields (`--csv-raw` turns formula neutralising off).
    public var csvWriter = CSV()
    public init(precision: Int) { self.precision = precision }

    public static let csvColumns = [
        "release", "date", "requests", "cost", "days", "cost_per_request", "cost_per_day", "cost_per_request_pct", "cost_per_day_pct",
        "retry_share", "spike",
    ]

    func fields(_ r: ReleaseRow) -> [String] {
        [
            r.name, r.tag?.day ?? "", String(r.side.usage.requests), r.side.usage.cost.description, String(r.days),
            r.costPerRequest?.description ?? "", r.costPerDay?.description ?? "", r.costPerRequestChange?.description ?? "",
            r.costPerDayChange?.description ?? "", r.side.retryShare()?.description ?? "", r.spike ? "true" : "false",
        ]
    }

    /// The release list in `format`.
    public func render(_ list: ReleaseList, as format: OutputFormat) -> String {
        switch format {
        case .csv:
            return ([Self.csvColumns] + list.rows.map(fields)).map(csvWriter.row).joined()
        case .json:
            let rows = list.rows.map { r in
                "  {" + zip(Self.csvColumns, fields(r)).map { n, v in
                    if ["requests", "days"].contains(n) { return "\(JSON.quote(n)):\(v)" }
                    if n == "spike" { return "\"spike\":\(v)" }
                    return "\(JSON.quote(n)):" + (v.isEmpty ? "null" : JSON.quote(v))
                }.joined(separator: ",") + "}"
            }
            return "{\"threshold_pct\":\(JSON.quote(list.threshold.description)),\"currency\":\"USD\",\"rows\":[\n" + rows.joined(separator: ",\n")
                + "\n],\"excluded_lines\":\(ExcludedLinesNote.json(list.excluded))}\n"
        case .table:
            let header = ["release", "date", "requests", "cost", "days", "cost/req", "Δ cost/req", "cost/day", "Δ cost/day", "retries", ""]
            let rows = list.rows.map { r -> [String] in
                [
                    r.name, r.tag?.day ?? "", Format.integer(r.side.usage.requests), Format.dollars(r.side.usage.cost, places: precision),
                    String(r.days), r.costPerRequest.map { Format.dollars($0, places: precision + 3, grouping: false) } ?? "-",
                    ReleaseDiffRenderer.pct(r.costPerRequestChange), r.costPerDay.map { Format.dollars($0, places: precision) } ?? "-",
                    ReleaseDiffRenderer.pct(r.costPerDayChange), r.side.retryShare().map { "\($0)%" } ?? "-", r.spike ? "SPIKE" : "",
                ]
            }
            var text = TextTable.render(header: header, rows: rows, rightAligned: Set(2..<10)) + "\n\n"
            text += "spike = cost per request or per day up more than \(list.threshold)% from the previous release\n"
            text += "events placed by their release field: \(list.placed.field), by commit ancestry: \(list.placed.commit), by tag dates: \(list.placed.date)\n"
            if let note = ExcludedLinesNote.line(list.excluded, places: precision) { text += note + "\n" }
            text += "costs in USD rounded for display; --format csv gives exact values\n"
            return text
        }
    }
}
