import SpendCore

/// Renders a release diff (``ReleaseDiff``, from ``ReleaseDiffEngine``) as a table with the
/// spikes' diagnoses, CSV (one row per group) or JSON (rows, total and the pinned commits).
public struct ReleaseDiffRenderer {
    public var precision: Int
    /// How `--format csv` writes fields (`--csv-raw` turns formula neutralising off).
    public var csvWriter = CSV()
    public init(precision: Int) { self.precision = precision }

    public static let csvColumns = [
        "requests_a", "requests_b", "cost_a", "cost_b", "delta", "delta_pct", "cost_per_request_a", "cost_per_request_b",
        "cost_per_request_pct", "cost_per_day_a", "cost_per_day_b", "cost_per_day_pct", "retry_share_a", "retry_share_b", "spike",
    ] + PriceSplitText.columns

    /// The release diff in `format`.
    public func render(_ d: ReleaseDiff, as format: OutputFormat) -> String {
        switch format {
        case .csv: return csv(d)
        case .json: return json(d)
        case .table: return table(d)
        }
    }

    func fields(_ r: ReleaseDiffRow) -> [String] {
        [
            String(r.a.usage.requests), String(r.b.usage.requests), r.a.usage.cost.description, r.b.usage.cost.description,
            r.delta.description, r.deltaPercent?.description ?? "", r.costPerRequestA?.description ?? "",
            r.costPerRequestB?.description ?? "", r.costPerRequestChange?.description ?? "", r.costPerDayA?.description ?? "",
            r.costPerDayB?.description ?? "", r.costPerDayChange?.description ?? "", r.a.retryShare()?.description ?? "",
            r.b.retryShare()?.description ?? "", r.spike ? "true" : "false",
        ] + PriceSplitText.fields(r.split)
    }

    /// The `--by` names, then ``csvColumns``; exact decimals, no total row.
    public func csv(_ d: ReleaseDiff) -> String {
        var out = csvWriter.row(d.columns + Self.csvColumns)
        for r in d.rows { out += csvWriter.row(r.keys + fields(r)) }
        return out
    }

    /// One object: both releases, their days with calls, the threshold, rows, total and pins.
    public func json(_ d: ReleaseDiff) -> String {
        func object(_ r: ReleaseDiffRow, keys: Bool) -> String {
            var parts: [String] = []
            if keys { for (n, v) in zip(d.columns, r.keys) { parts.append("\(JSON.quote(n)):\(JSON.quote(v))") } }
            for (n, v) in zip(Self.csvColumns, fields(r)) {
                if n.hasPrefix("requests") || n == "spike" || n == "price_change" { parts.append("\(JSON.quote(n)):\(v)") } else {
                    parts.append("\(JSON.quote(n)):" + (v.isEmpty ? "null" : JSON.quote(v)))
                }
            }
            return "{" + parts.joined(separator: ",") + "}"
        }
        func commit(_ c: CommitSummary) -> String {
            "{\"commit\":\(JSON.quote(c.id.hex)),\"author\":\(JSON.quote(c.author)),\"date\":\(JSON.quote(Timestamp.dateString(days: Timestamp.day(ofMillis: c.time * 1000)))),\"subject\":\(JSON.quote(c.subject)),\"files\":[\(c.files.map(JSON.quote).joined(separator: ","))]}"
        }
        var out = "{\"from\":\(JSON.quote(d.from.name)),\"to\":\(JSON.quote(d.to.name)),\"days_a\":\(d.daysA),\"days_b\":\(d.daysB),"
        out += "\"prices_as_of\":" + (d.prices.map { JSON.quote(Timestamp.format(millis: $0.instant)) } ?? "null") + ","
        out += "\"threshold_pct\":\(JSON.quote(d.threshold.description)),\"columns\":[\(d.columns.map(JSON.quote).joined(separator: ","))],\"rows\":[\n"
        out += d.rows.map { "  " + object($0, keys: true) }.joined(separator: ",\n")
        out += "\n],\"total\":" + object(d.total, keys: false) + ",\"pins\":[\n"
        out += d.pins.map { p in
            "  {\"row\":[\(p.keys.map(JSON.quote).joined(separator: ","))],\"mapped\":\(p.mapped),\"paths\":[\(p.paths.map(JSON.quote).joined(separator: ","))],\"commits\":[\(p.commits.map(commit).joined(separator: ","))]}"
        }.joined(separator: ",\n")
        out += "\n],\"price_pins\":[\n" + d.pricePins.map { "  " + PriceSplitText.json($0) }.joined(separator: ",\n")
        return out + "\n],\"excluded_lines\":\(ExcludedLinesNote.json(d.excluded))}\n"
    }

    /// `+12.5%`, or `-` when there is no base.
    static func pct(_ v: ExactDecimal?) -> String { Format.percentChange(v, none: "-") }

    /// `$1.23` with `precision + extra` places, or `-` when there is none.
    func money(_ v: ExactDecimal?, extra: Int = 0) -> String {
        v.map { Format.dollars($0, places: precision + extra) } ?? "-"
    }

    /// A title, an aligned table with a total row, one diagnosis per pinned spike, and notes.
    public func table(_ d: ReleaseDiff) -> String {
        let header = d.columns + [
            "req_\(d.from.name)", "req_\(d.to.name)", "cost_\(d.from.name)", "cost_\(d.to.name)", "Δ", "usage Δ", "price Δ", "cost/req",
            "usage/req", "usage/day", "price", "retries", "",
        ]
        func cells(_ r: ReleaseDiffRow, _ label: [String]) -> [String] {
            label + [
                Format.integer(r.a.usage.requests), Format.integer(r.b.usage.requests), money(r.a.usage.cost), money(r.b.usage.cost),
                Format.delta(r.delta, places: precision), Format.delta(r.split.usageDelta, places: precision),
                Format.delta(r.split.priceDelta, places: precision),
                money(r.costPerRequestA, extra: 3) + "→" + money(r.costPerRequestB, extra: 3), Self.pct(r.split.usageCostPerRequestChange),
                Self.pct(r.split.usageCostPerDayChange), Self.pct(r.split.priceChange),
                (r.a.retryShare().map { $0.description + "%" } ?? "-") + "→" + (r.b.retryShare().map { $0.description + "%" } ?? "-"),
                PriceSplitText.marker(spike: r.spike, r.split),
            ]
        }
        var rows = d.rows.map { cells($0, $0.keys) }
        rows.append(cells(d.total, ["total"] + Array(repeating: "", count: max(0, d.columns.count - 1))))
        var text = "spend diff --releases \(d.from.label) → \(d.to.label)\n"
        text += "days with calls: \(d.from.name) \(d.daysA), \(d.to.name) \(d.daysB)\n"
        text += PriceSplitText.legend(base: d.from.name, prices: d.prices, threshold: d.threshold) + "\n\n"
        text += TextTable.render(header: header, rows: rows, rightAligned: Set(d.columns.count..<(header.count - 1)), ruleBeforeLast: true) + "\n"
        for (pin, row) in zip(d.pins, d.rows.filter(\.spike)) {
            text += "\n" + diagnosis(pin, row, d)
        }
        for (pin, row) in zip(d.pricePins, d.rows.filter(\.split.priceMoved)) {
            text += "\n" + PriceSplitText.priceDiagnosis(label: pin.keys.joined(separator: "/"), pin, row.split, from: d.from.name, to: d.to.name, precision: precision, delta: row.delta)
        }
        if let why = d.unpinnable { text += "\nspikes: " + d.rows.filter(\.spike).map { $0.keys.joined(separator: "/") }.joined(separator: ", ") + "; " + why + "\n" }
        var notes: [String] = []
        if d.hidden > 0 { notes.append("\(d.hidden) more rows not shown (--top)") }
        if let note = PriceSplitText.unpricedNote(d.total.split, base: d.from.name) { notes.append(note) }
        notes.append(
            "events placed by their release field: \(d.placed.field), by commit ancestry: \(d.placed.commit), by tag dates: \(d.placed.date)")
        if let note = ExcludedLinesNote.line(d.excluded, places: precision) { notes.append(note) }
        notes.append("costs in USD rounded for display; --format csv gives exact values")
        return text + "\n" + notes.joined(separator: "\n") + "\n"
    }

    /// "summaries: cost/request +212% v1.2.0→v1.3.0; retries 4%→61%; …" and the commits.
    public func diagnosis(_ pin: Pin, _ r: ReleaseDiffRow, _ d: ReleaseDiff) -> String {
        // Tag values, paths and commit lines show escaped (TerminalText), each on its one line.
        let name = TerminalText.escaped(pin.keys.joined(separator: "/"))
        // Lead with the figure that spiked.
        let perRequest = "usage cost/request \(Self.pct(r.split.usageCostPerRequestChange))"
        let perDay = "usage cost/day \(Self.pct(r.split.usageCostPerDayChange))"
        let requestSpiked = r.split.usageCostPerRequestChange.map { $0 > d.threshold } ?? false
        var facts = requestSpiked
            ? ["\(perRequest) \(d.from.name)→\(d.to.name)", perDay] : ["\(perDay) \(d.from.name)→\(d.to.name)", perRequest]
        facts.append(PriceSplitText.deltas(r.delta, r.split, precision: precision))
        facts.append("retries \(r.a.retryShare().map { "\($0)%" } ?? "-")→\(r.b.retryShare().map { "\($0)%" } ?? "-")")
        facts.append(
            "tokens/request \(r.a.tokensPerRequest().map { Format.integer(Int64($0.description) ?? 0) } ?? "-")→\(r.b.tokensPerRequest().map { Format.integer(Int64($0.description) ?? 0) } ?? "-")"
        )
        facts.append("models " + Self.mix(r.a, r.b))
        var text = "\(name): " + facts.joined(separator: "; ") + "\n"
        func line(_ c: CommitSummary) -> String {
            let date = Timestamp.dateString(days: Timestamp.day(ofMillis: c.time * 1000))
            return TerminalText.escaped(
                "  \(c.id.short)  \(date)  \(c.author)  \(c.subject)  [\(c.files.prefix(5).joined(separator: ", "))\(c.files.count > 5 ? ", …" : "")]")
        }
        if pin.mapped {
            let paths = TerminalText.escaped(pin.paths.joined(separator: ", "))
            if pin.commits.isEmpty {
                text += "  no commit in \(d.from.name)..\(d.to.name) touched \(paths): look at traffic, prompts outside these paths, or the rate cards\n"
            } else {
                text += "  commits touching \(paths) (newest first):\n" + pin.commits.map(line).joined(separator: "\n") + "\n"
            }
        } else {
            text += "  no [\(pin.mappingKind).\(pin.keys.first ?? "")] paths in spend.toml; every commit of \(d.from.name)..\(d.to.name), most files touched first (a mapping would sharpen this):\n"
            text += pin.commits.prefix(10).map(line).joined(separator: "\n") + "\n"
            if pin.commits.count > 10 { text += "  … \(pin.commits.count - 10) more\n" }
        }
        return text
    }

    /// Request shares of the models on both sides: "gpt-4o 100%→40%, gpt-4o-mini 0%→60%".
    static func mix(_ a: ReleaseSide, _ b: ReleaseSide) -> String {
        let names = Set(a.models.keys).union(b.models.keys).sorted()
        func share(_ s: ReleaseSide, _ m: String) -> ExactDecimal {
            ExactDecimal(s.models[m] ?? 0).percent(of: ExactDecimal(max(s.usage.requests, 1)), places: 0) ?? .zero
        }
        return names.prefix(4).map { "\($0) \(share(a, $0))%→\(share(b, $0))%" }.joined(separator: ", ")
    }
}
