import Foundation

/// One line of a report: the group's labels, usage and exact cost.
public struct ReportRow: Sendable, Hashable {
    public var keys: [String]
    public var usage: Usage
    public var events: Int
    public var cost: ExactDecimal
}

/// Spend grouped by the query's dimensions, with a total.
public struct Report: Sendable {
    public var columns: [String]
    /// Sorted: by period, then by cost (largest first), then by labels.
    public var rows: [ReportRow]
    public var total: ReportRow
    /// Cost of the rows where some grouping tag was missing.
    public var unattributed: ExactDecimal
    /// The grouping tags that events can miss (for the unattributed note).
    public var groupingTags: [String]
    public var stats: (events: Int, bytes: Int, shards: Int)

    /// Prices an aggregation: one exact cost per (group, rate selection), summed.
    public init(_ aggregation: Aggregation, book: PriceBook, query: ReportQuery) throws(SpendError) {
        columns = aggregation.columns
        var rows: [ReportRow] = []
        var total = ReportRow(keys: [], usage: Usage(requests: 0), events: 0, cost: .zero)
        var unattributed = ExactDecimal.zero
        for (labels, selections) in aggregation.groups {
            var usage = Usage(requests: 0)
            var cost = ExactDecimal.zero
            let group = labels.joined(separator: ", ")
            for (selection, part) in selections {
                do {
                    cost = try Self.sum(cost, book.effectiveRates(selection).get().cost(part), group)
                } catch {
                    throw SpendError.input([Diagnostic(path: "ledger", rule: error.rule, message: error.message)])
                }
                try Self.add(part, to: &usage, group)
            }
            let row = ReportRow(keys: labels, usage: usage, events: aggregation.eventCounts[labels] ?? 0, cost: cost)
            try Self.add(usage, to: &total.usage, "the total")
            total.events += row.events
            total.cost = try Self.checkedSum(total.cost, cost, "the total")
            if labels.contains(Dimension.unattributedLabel) { unattributed = try Self.checkedSum(unattributed, cost, "the unattributed total") }
            rows.append(row)
        }
        groupingTags = query.dimensions.compactMap {
            if case .tag(let t) = $0 { return t }
            return nil
        }
        // The unattributed bucket is always shown when grouping by one tag.
        if query.dimensions.count == 1, !groupingTags.isEmpty {
            var periods: Set<String> = []
            if query.period != nil { periods = Set(rows.map { $0.keys[0] }) }
            let keysList: [[String]] = query.period == nil ? [[Dimension.unattributedLabel]] : periods.map { [$0, Dimension.unattributedLabel] }
            for keys in keysList where !rows.contains(where: { $0.keys == keys }) {
                rows.append(ReportRow(keys: keys, usage: Usage(requests: 0), events: 0, cost: .zero))
            }
            if rows.isEmpty {
                rows.append(ReportRow(keys: [Dimension.unattributedLabel], usage: Usage(requests: 0), events: 0, cost: .zero))
            }
        }
        let hasPeriod = query.period != nil
        rows.sort { a, b in
            if hasPeriod && a.keys[0] != b.keys[0] { return a.keys[0] < b.keys[0] }
            if a.cost != b.cost { return a.cost > b.cost }
            return a.keys.lexicographicallyPrecedes(b.keys)
        }
        self.rows = rows
        self.total = total
        self.unattributed = unattributed
        self.stats = (aggregation.events, aggregation.bytes, aggregation.shards)
    }

    /// `a + b` for the costs of `group`, or `error[overflow]`.
    static func sum(_ a: ExactDecimal, _ b: ExactDecimal, _ group: String) throws(PricingError) -> ExactDecimal {
        do {
            return try a.adding(b)
        } catch {
            throw PricingError(rule: .overflow, message: "the cost of \(group) does not fit exact arithmetic (38 digits)")
        }
    }

    static func checkedSum(_ a: ExactDecimal, _ b: ExactDecimal, _ group: String) throws(SpendError) -> ExactDecimal {
        do {
            return try sum(a, b, group)
        } catch {
            throw SpendError.input([Diagnostic(path: "ledger", rule: error.rule, message: error.message)])
        }
    }

    /// `usage += part` for `group`, or `error[overflow]`.
    static func add(_ part: Usage, to usage: inout Usage, _ group: String) throws(SpendError) {
        do {
            try usage.add(part)
        } catch {
            throw Aggregator.overflow(error, across: group)
        }
    }

    /// Share of the total cost, in percent with one decimal (nil when the total is zero).
    public func share(_ cost: ExactDecimal) -> ExactDecimal? {
        cost.percent(of: total.cost, places: 1)
    }
}

/// Output formats of reporting verbs.
public enum OutputFormat: String, Sendable, CaseIterable {
    case table, csv, json
}

/// Renders a report as an aligned table, CSV or JSON.
public struct ReportRenderer {
    public var precision: Int
    /// How `--format csv` writes fields (`--csv-raw` turns formula neutralising off).
    public var csvWriter: CSV

    public init(precision: Int = 2, csvWriter: CSV = CSV()) {
        self.precision = precision
        self.csvWriter = csvWriter
    }

    static let usageColumns = ["requests", "input_tokens", "cached_input_tokens", "cache_write_tokens", "output_tokens", "cost"]

    public func render(_ report: Report, as format: OutputFormat) -> String {
        switch format {
        case .table: table(report)
        case .csv: csv(report)
        case .json: json(report)
        }
    }

    /// CSV: the `--by` names, then `requests,input_tokens,cached_input_tokens,cache_write_tokens,output_tokens,cost`; exact costs.
    public func csv(_ report: Report) -> String {
        var out = csvWriter.row(report.columns + Self.usageColumns)
        for row in report.rows {
            let u = row.usage
            let fields = row.keys + [
                String(u.requests), String(u.inputTokens), String(u.cachedInputTokens), String(u.cacheWriteTokens),
                String(u.outputTokens), row.cost.description,
            ]
            out += csvWriter.row(fields)
        }
        return out
    }

    /// JSON: `{"columns": …, "rows": [{…, "cost": "0.01155", "share": "12.5"}], "total": {…}}`.
    public func json(_ report: Report) -> String {
        func object(_ row: ReportRow, keys: Bool) -> String {
            var parts: [String] = []
            if keys {
                for (name, value) in zip(report.columns, row.keys) { parts.append("\(JSON.quote(name)):\(JSON.quote(value))") }
            }
            let u = row.usage
            parts += [
                "\"requests\":\(u.requests)", "\"events\":\(row.events)", "\"input_tokens\":\(u.inputTokens)",
                "\"cached_input_tokens\":\(u.cachedInputTokens)", "\"cache_write_tokens\":\(u.cacheWriteTokens)",
                "\"output_tokens\":\(u.outputTokens)", "\"cost\":\(JSON.quote(row.cost.description))",
            ]
            if keys, let share = report.share(row.cost) { parts.append("\"share\":\(JSON.quote(share.description))") }
            return "{" + parts.joined(separator: ",") + "}"
        }
        var out = "{\"columns\":[" + report.columns.map(JSON.quote).joined(separator: ",") + "],\"currency\":\"USD\",\"rows\":[\n"
        out += report.rows.map { "  " + object($0, keys: true) }.joined(separator: ",\n")
        out += "\n],\"total\":" + object(report.total, keys: false)
        out += ",\"unattributed_cost\":\(JSON.quote(report.unattributed.description))}\n"
        return out
    }

    /// An aligned table with a total row, costs rounded to `precision` places (the footer says so).
    public func table(_ report: Report) -> String {
        let header = report.columns + ["requests", "input", "cached", "cache_write", "output", "cost", "share"]
        func cells(_ row: ReportRow, label: [String]) -> [String] {
            let u = row.usage
            return label + [
                Format.integer(u.requests), Format.integer(u.inputTokens), Format.integer(u.cachedInputTokens),
                Format.integer(u.cacheWriteTokens), Format.integer(u.outputTokens),
                "$" + row.cost.formatted(places: precision, grouping: true),
                report.share(row.cost).map { $0.formatted(places: 1) + "%" } ?? "-",
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
                "unattributed: $\(report.unattributed.formatted(places: precision, grouping: true)) (\(share)% of total) — events missing tag \(report.groupingTags.map { "\"\(TerminalText.escaped($0))\"" }.joined(separator: " or "))"
            )
        }
        notes.append("costs in USD rounded to \(precision) decimals for display; totals are exact sums (--format csv for exact values)")
        text += "\n" + notes.joined(separator: "\n") + "\n"
        return text
    }
}

/// Number formatting for tables.
public enum Format {
    /// `1234567` → `1,234,567`.
    public static func integer(_ n: Int64) -> String {
        ExactDecimal(n).formatted(places: 0, grouping: true)
    }
}

/// Aligned plain-text tables.
public enum TextTable {
    /// Renders `header` and `rows` in columns two spaces apart. Every cell shows
    /// escaped (``TerminalText``: control characters as `\n`, `\u001b`, bidi
    /// overrides as `\u202e`) and at most ``TerminalText/maxCellWidth`` characters
    /// wide, cut with `…`; CSV and JSON carry the full values.
    public static func render(header: [String], rows: [[String]], rightAligned: Set<Int>, ruleBeforeLast: Bool = false) -> String {
        let header = header.map { TerminalText.cell($0) }
        let rows = rows.map { $0.map { TerminalText.cell($0) } }
        var widths = header.map(\.count)
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            var parts: [String] = []
            for (i, cell) in cells.enumerated() {
                let pad = String(repeating: " ", count: max(0, widths[i] - cell.count))
                parts.append(rightAligned.contains(i) ? pad + cell : cell + pad)
            }
            var s = parts.joined(separator: "  ")
            while s.hasSuffix(" ") { s.removeLast() }
            return s
        }
        let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
        var out = [line(header), rule]
        for (i, row) in rows.enumerated() {
            if ruleBeforeLast && i == rows.count - 1 { out.append(rule) }
            out.append(line(row))
        }
        return out.joined(separator: "\n")
    }
}

/// The one CSV writer of every `--format csv`: RFC 4180 quoting, and text a
/// spreadsheet would run as a formula neutralised (OWASP "CSV injection").
///
/// - A field holding `,`, `"`, CR or LF is quoted, `"` doubled (RFC 4180 2.6–2.7);
///   CR and LF stay inside the quotes, so a value never splits a row. Rows end with LF.
/// - A field that is a plain decimal number (`42`, `-1.25`, `0.0000075`) is a number
///   and is written as it is, in whichever column.
/// - Any other field starting with `=`, `+`, `-`, `@`, tab, CR or NUL gets a leading
///   `'` and is quoted: `"'=HYPERLINK(…)"` (unless ``neutralizesFormulas`` is off: `--csv-raw`).
public struct CSV: Sendable {
    /// Whether formula-leading text fields get a leading `'`.
    public var neutralizesFormulas: Bool

    /// The default writer neutralises formulas; `CSV(neutralizesFormulas: false)` is `--csv-raw`.
    public init(neutralizesFormulas: Bool = true) {
        self.neutralizesFormulas = neutralizesFormulas
    }

    /// One row: the fields, comma-separated, and a LF.
    public func row(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\n"
    }

    /// One field, quoted and neutralised as needed.
    public func field(_ text: String) -> String {
        var text = text
        var quote = false
        if neutralizesFormulas, let first = text.unicodeScalars.first, Self.formulaLeads.contains(first), !Self.isNumber(text) {
            text = "'" + text
            quote = true
        }
        if quote || text.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return text
    }

    /// First characters that make a spreadsheet read a cell as a formula.
    static let formulaLeads: Set<Unicode.Scalar> = ["=", "+", "-", "@", "\t", "\r", "\0"]

    /// `-?digits(.digits)?`: how every count, cost and percentage is written.
    static func isNumber(_ text: String) -> Bool {
        var bytes = Substring(text).utf8[...]
        if bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        let parts = bytes.split(separator: UInt8(ascii: "."), maxSplits: 1, omittingEmptySubsequences: false)
        guard !parts.isEmpty, parts.count <= 2 else { return false }
        return parts.allSatisfy { part in !part.isEmpty && part.allSatisfy { (0x30...0x39).contains($0) } }
    }
}

/// JSON string quoting.
public enum JSON {
    /// `s` as a JSON string. Besides what JSON requires (`"`, `\\`, U+0000–U+001F),
    /// DEL, C1 controls and bidi overrides are written as `\uXXXX` too (``TerminalText``):
    /// the value decodes the same, and JSON shown on a terminal stays inert.
    public static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case let c where TerminalText.isUnsafe(c): out += TerminalText.escape(c)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
