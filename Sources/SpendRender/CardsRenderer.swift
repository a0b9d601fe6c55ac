import SpendCore

/// Renders `spend cards` results (``CardCheckResult``, ``CardSyncPlan``,
/// ``CardListRow``, ``CardModelHistory``): tables for people, CSV and JSON with
/// exact rates (USD per 1M tokens, as the cards write them).
public struct CardsRenderer {
    /// How `--format csv` writes fields.
    public var csvWriter = CSV()

    public init() {}

    public static let checkColumns = ["finding", "provider", "model", "map_key", "point", "location", "field", "card", "map", "reason"]
    public static let listColumns = [
        "provider", "model", "priced_model", "effective", "input", "cached_input", "cache_write", "output", "location",
    ]
    public static let showColumns = [
        "provider", "model", "priced_model", "effective", "input", "cached_input", "cache_write", "output", "batch_input",
        "batch_output", "location", "commit", "in_effect",
    ]

    static func rate(_ value: ExactDecimal?) -> String { value.map { "\($0.normalized())" } ?? "" }

    /// One row per differing, missing or known field, and per stale known entry.
    func checkRows(_ result: CardCheckResult) -> [[String]] {
        var rows: [[String]] = []
        for d in result.differences {
            for f in d.differences {
                rows.append([
                    "differs", d.listed.provider, d.listed.name, d.listed.key, d.point.id, d.point.location.description, f.field,
                    Self.rate(f.card), Self.rate(f.map), "",
                ])
            }
        }
        for m in result.missing {
            for field in CardCheck.fields {
                guard let value = CardCheck.mapRate(field, of: m) else { continue }
                rows.append(["missing", m.provider, m.name, m.key, "", "", field, "", Self.rate(value), ""])
            }
        }
        for k in result.known {
            let location = k.point?.location.description ?? ""
            if k.differences.isEmpty {
                rows.append(["known", k.listed.provider, k.listed.name, k.listed.key, "", "", "", "", "", k.entry.reason])
            }
            for f in k.differences {
                rows.append([
                    "known", k.listed.provider, k.listed.name, k.listed.key, k.point?.id ?? "", location, f.field, Self.rate(f.card),
                    Self.rate(f.map), k.entry.reason,
                ])
            }
        }
        for e in result.stale {
            rows.append(["stale", e.provider ?? "", e.model, "", "", "\(result.knownPath ?? ""):\(e.line)", "", "", "", e.reason])
        }
        return rows
    }

    /// The text table: one block per model (its finding, the card point
    /// compared and the map's key when it is not the name), then its
    /// fields with the card's and the map's rate; narrow enough for 100
    /// columns whatever the model names. Known differences are counted, not listed.
    func checkText(_ result: CardCheckResult) -> String {
        var out: [String] = []
        func block(_ finding: String, _ listed: LiteLLMPriceMap.Model, _ point: PricePoint?, _ fields: [(String, ExactDecimal?, ExactDecimal)]) {
            out.append(TerminalText.cell("\(finding)  \(listed.provider)/\(listed.name)", maxWidth: 200))
            if listed.key != listed.name && listed.key != "\(listed.provider)/\(listed.name)" {
                out.append(TerminalText.cell("  map key: \(listed.key)", maxWidth: 200))
            }
            if let point { out.append(TerminalText.cell("  card: \(point.id) at \(point.location)", maxWidth: 200)) }
            let table = TextTable.render(
                header: ["field", "card", "map"], rows: fields.map { [$0.0, Self.rate($0.1).isEmpty ? "-" : Self.rate($0.1), Self.rate($0.2)] },
                rightAligned: [1, 2])
            out += table.split(separator: "\n").enumerated().filter { $0.offset != 1 }.map { "  " + $0.element }  // no rule line
        }
        for d in result.differences { block("differs", d.listed, d.point, d.differences.map { ($0.field, $0.card, $0.map) }) }
        for m in result.missing {
            block("missing", m, nil, CardCheck.fields.compactMap { f in CardCheck.mapRate(f, of: m).map { (f, nil, $0) } })
        }
        for e in result.stale {
            out.append(TerminalText.cell("stale    \(e.provider.map { $0 + "/" } ?? "")\(e.model)", maxWidth: 200))
            out.append("  \(result.knownPath ?? ""):\(e.line): no finding of this model any more: remove the entry")
        }
        return out.isEmpty ? "" : out.joined(separator: "\n") + "\n"
    }

    /// `spend cards check`'s findings; the table ends with a summary line.
    public func renderCheck(_ result: CardCheckResult, as format: OutputFormat) -> String {
        let rows = checkRows(result)
        func models(_ n: Int) -> String { n == 1 ? "1 model" : "\(n) models" }
        var summary =
            "\(models(result.differences.count)) differ\(result.differences.count == 1 ? "s" : ""), \(models(result.missing.count)) missing"
        if !result.stale.isEmpty { summary += ", \(result.stale.count) stale known difference\(result.stale.count == 1 ? "" : "s")" }
        summary += "; \(models(result.compared)) compared with LiteLLM \(result.mapLabel) (\(result.mapPath))"
        if let path = result.knownPath {
            let models = Set(result.known.map { "\($0.listed.provider)/\($0.listed.name)" }).count
            summary += "; \(models == 1 ? "1 model" : "\(models) models") with known differences (\(path)) not listed"
        }
        switch format {
        case .table:
            return result.isClean ? "ok: " + summary + "\n" : checkText(result) + summary + "\n"
        case .csv, .json:
            return table(Self.checkColumns, rows, as: format)
        }
    }

    /// `spend cards sync`: the blocks written (or that would be), then a summary.
    public func renderSync(_ plan: CardSyncPlan, written: Bool) -> String {
        var out = ""
        for point in plan.points {
            out += "\(point.path): \(point.replaces.map { "new point after \($0)" } ?? "new model \(point.provider)/\(point.model)")\n"
            out += point.text.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n") + "\n\n"
        }
        for skipped in plan.skipped { out += "skipped \(skipped.key): \(skipped.reason)\n" }
        let files = plan.files.keys.sorted().joined(separator: ", ")
        if plan.points.isEmpty {
            out += "nothing to sync: the cards agree with the map\n"
        } else {
            let count = plan.points.count == 1 ? "1 new point" : "\(plan.points.count) new points"
            out += written
                ? "wrote \(count) to \(files); review with `git diff`, then `spend lint` and `spend audit`\n"
                : "dry run: \(count) would be written to \(files); nothing written\n"
        }
        return out
    }

    /// `spend cards list`: one row per priced model and alias.
    public func renderList(_ rows: [CardListRow], as format: OutputFormat) -> String {
        let cells = rows.map { r -> [String] in
            let p = r.point
            return [
                r.provider, r.name, r.pricedModel ?? "", p?.effectiveText ?? "", Self.rate(p?.rates.input), Self.rate(p?.rates.cachedInput),
                Self.rate(p?.rates.cacheWrite), Self.rate(p?.rates.output), p?.location.description ?? "",
            ]
        }
        if format == .table {
            return TextTable.render(header: Self.listColumns, rows: cells.map { $0.map { $0.isEmpty ? "-" : $0 } }, rightAligned: [4, 5, 6, 7]) + "\n"
        }
        return table(Self.listColumns, cells, as: format)
    }

    /// `spend cards show`: per matching card, how the name resolves, the point in
    /// effect and its commit, then every point of the priced model.
    public func renderShow(_ histories: [CardModelHistory], at date: String, as format: OutputFormat) -> String {
        var all: [[String]] = []
        var text = ""
        for h in histories {
            let rows = h.points.enumerated().map { k, entry -> [String] in
                let p = entry.point
                return [
                    h.provider, h.name, h.pricedModel, p.effectiveText, Self.rate(p.rates.input), Self.rate(p.rates.cachedInput),
                    Self.rate(p.rates.cacheWrite), Self.rate(p.rates.output), Self.rate(CardCheck.cardRate("batch_input", of: p)),
                    Self.rate(CardCheck.cardRate("batch_output", of: p)), p.location.description, entry.commit?.id.short ?? "",
                    k == h.inEffect ? "true" : "false",
                ]
            }
            all += rows
            let via = h.alias.map { "alias \(JSONString.quoted($0.pattern)) → \($0.target) (\(h.cardPath):\($0.line))" } ?? "priced by name in \(h.cardPath)"
            text += "\(h.provider)/\(h.name): \(via)\n"
            if let k = h.inEffect {
                let point = h.points[k].point
                let commit = h.points[k].commit
                let from = commit.map { "from commit \($0.id.short) (\(Timestamp.format(millis: $0.time).prefix(10))) \(JSONString.quoted($0.summary))" } ?? "not committed"
                text += "in effect at \(date): \(point.id) (\(point.location)), \(from)\n"
            } else {
                text += "in effect at \(date): none (the first point is \(h.points.first?.point.id ?? "-"))\n"
            }
            let header = ["effective", "input", "cached_input", "cache_write", "output", "batch_input", "batch_output", "location", "commit", ""]
            let cells = rows.map { r in Array(r[3...11]).map { $0.isEmpty ? "-" : $0 } + [r[12] == "true" ? "← in effect" : ""] }
            text += TextTable.render(header: header, rows: cells, rightAligned: [1, 2, 3, 4, 5, 6]) + "\n\n"
        }
        switch format {
        case .table: return String(text.dropLast())
        case .csv, .json: return table(Self.showColumns, all, as: format)
        }
    }

    /// Rows as CSV, or as a JSON array of objects (empty cells are null; `in_effect` a boolean).
    func table(_ columns: [String], _ rows: [[String]], as format: OutputFormat) -> String {
        if format == .csv { return ([columns] + rows).map(csvWriter.row).joined() }
        let objects = rows.map { row in
            "  {" + zip(columns, row).map { name, value in
                if name == "in_effect" { return "\(JSON.quote(name)):\(value)" }
                return "\(JSON.quote(name)):" + (value.isEmpty ? "null" : JSON.quote(value))
            }.joined(separator: ",") + "}"
        }
        return "[\n" + objects.joined(separator: ",\n") + (objects.isEmpty ? "]\n" : "\n]\n")
    }
}
