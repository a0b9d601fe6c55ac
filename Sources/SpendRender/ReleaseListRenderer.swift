import SpendCore

/// Renders `spend releases` (``ReleaseList``, from ``ReleaseList/build(repository:summaries:pattern:query:threshold:breakdown:)``)
/// as a table with notes, CSV (``csvColumns``, exact decimals) or JSON.
public struct ReleaseListRenderer {
    public var precision: Int
    /// How `--format csv` writes fields (`--csv-raw` turns formula neutralising off).
    public var csvWriter = CSV()
    public init(precision: Int) { self.precision = precision }

    /// Without `--by`; with it, the `--by` names come after `date`.
    public static let csvColumns = [
        "release", "date", "requests", "cost", "days", "cost_per_request", "cost_per_day", "cost_per_request_pct", "cost_per_day_pct",
        "retry_share", "spike", "compared_with", "usage_cost_per_request_pct", "usage_cost_per_day_pct", "price_pct", "price_change", "unpriced_events",
    ]

    func fields(_ r: ReleaseRow, _ list: ReleaseList) -> [String] {
        let figures = [
            String(r.side.usage.requests), r.side.usage.cost.description, String(r.days),
            r.costPerRequest?.description ?? "", r.costPerDay?.description ?? "", r.costPerRequestChange?.description ?? "",
            r.costPerDayChange?.description ?? "", r.side.retryShare()?.description ?? "", r.spike ? "true" : "false", r.previous ?? "",
            r.previous == nil ? "" : r.split.usageCostPerRequestChange?.description ?? "",
            r.previous == nil ? "" : r.split.usageCostPerDayChange?.description ?? "",
            r.previous == nil ? "" : r.split.priceChange?.description ?? "", r.split.priceMoved ? "true" : "false",
            String(r.split.unpricedEvents),
        ]
        return [r.name, r.tag?.day ?? ""] + (list.columns.isEmpty ? [] : r.keys) + figures
    }

    func header(_ list: ReleaseList) -> [String] {
        Array(Self.csvColumns.prefix(2)) + list.columns + Self.csvColumns.dropFirst(2)
    }

    /// The rows CSV and JSON carry: the releases, or with `--by` their groups.
    func dataRows(_ list: ReleaseList) -> [ReleaseRow] {
        list.columns.isEmpty ? list.rows : list.rows.filter { !$0.keys.isEmpty }
    }

    /// `v1.4`, or with `--by` a group's `v1.4 search/gpt-4o`.
    static func label(_ row: ReleaseRow) -> String {
        row.name + (row.keys.isEmpty ? "" : " " + row.keys.joined(separator: "/"))
    }

    /// The release list in `format`.
    public func render(_ list: ReleaseList, as format: OutputFormat) -> String {
        switch format {
        case .csv:
            return ([header(list)] + dataRows(list).map { fields($0, list) }).map(csvWriter.row).joined()
        case .json:
            let names = header(list)
            let rows = dataRows(list).map { r in
                "  {" + zip(names, fields(r, list)).map { n, v in
                    if ["requests", "days", "spike", "price_change", "unpriced_events"].contains(n) { return "\(JSON.quote(n)):\(v)" }
                    return "\(JSON.quote(n)):" + (v.isEmpty ? "null" : JSON.quote(v))
                }.joined(separator: ",") + "}"
            }
            let pins = zip(list.pricePinReleases, list.pricePins).map { "  " + PriceSplitText.json($1, release: $0) }
            return "{\"threshold_pct\":\(JSON.quote(list.threshold.description)),\"currency\":\"USD\",\"rows\":[\n" + rows.joined(separator: ",\n")
                + "\n],\"price_pins\":[\n" + pins.joined(separator: ",\n") + "\n],\"excluded_lines\":\(ExcludedLinesNote.json(list.excluded))}\n"
        case .table:
            let header = ["release", "date"] + list.columns + [
                "requests", "cost", "days", "cost/req", "Δ cost/req", "cost/day", "Δ cost/day", "usage/req", "usage/day", "price", "retries", "",
            ]
            let rows = list.rows.map { r -> [String] in
                let group = !r.keys.isEmpty
                let labels = list.columns.isEmpty ? [] : (group ? r.keys : Array(repeating: "", count: list.columns.count))
                let compared = r.previous != nil
                return [group ? "" : r.name, group ? "" : r.tag?.day ?? ""] + labels + [
                    Format.integer(r.side.usage.requests), Format.dollars(r.side.usage.cost, places: precision),
                    String(r.days), r.costPerRequest.map { Format.dollars($0, places: precision + 3, grouping: false) } ?? "-",
                    ReleaseDiffRenderer.pct(r.costPerRequestChange), r.costPerDay.map { Format.dollars($0, places: precision) } ?? "-",
                    ReleaseDiffRenderer.pct(r.costPerDayChange),
                    compared ? ReleaseDiffRenderer.pct(r.split.usageCostPerRequestChange) : "-",
                    compared ? ReleaseDiffRenderer.pct(r.split.usageCostPerDayChange) : "-",
                    compared ? ReleaseDiffRenderer.pct(r.split.priceChange) : "-",
                    r.side.retryShare().map { "\($0)%" } ?? "-", PriceSplitText.marker(spike: r.spike, r.split),
                ]
            }
            let first = 2 + list.columns.count
            var text = TextTable.render(header: header, rows: rows, rightAligned: Set(first..<(header.count - 1))) + "\n\n"
            text += "usage = at the previous release's prices (the rate cards in effect on its last day with calls); price = the rest\n"
            text += "SPIKE = usage cost per request or per day up more than \(list.threshold)% from the previous release; "
            text += "PRICE = prices alone moved cost more than \(list.threshold)%\n"
            let moved = list.rows.filter(\.split.priceMoved)
            for (pin, row) in zip(list.pricePins, moved) {
                text += "\n" + PriceSplitText.priceDiagnosis(label: Self.label(row), pin, row.split, from: row.previous ?? "", to: row.name, precision: precision)
            }
            if !moved.isEmpty { text += "\n" }
            for row in list.rows {
                guard let previous = row.previous, let note = PriceSplitText.unpricedNote(row.split, base: previous) else { continue }
                text += TerminalText.escaped(Self.label(row) + ": " + note) + "\n"
            }
            text += "events placed by their release field: \(list.placed.field), by commit ancestry: \(list.placed.commit), by tag dates: \(list.placed.date)\n"
            if let note = ExcludedLinesNote.line(list.excluded, places: precision) { text += note + "\n" }
            text += "costs in USD rounded for display; --format csv gives exact values\n"
            return text
        }
    }
}
