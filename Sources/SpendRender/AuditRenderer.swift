import SpendCore

/// Renders an audit (``AuditResult``, from ``Auditor``) as a table, CSV or JSON:
/// one block (table) or one row per changed field (CSV) or object (JSON) per commit.
public struct AuditRenderer {
    /// Decimal places of impacts in tables.
    public var precision: Int
    /// How `--format csv` writes fields (`--csv-raw` turns formula neutralising off).
    public var csvWriter = CSV()

    public init(precision: Int = 2) {
        self.precision = precision
    }

    /// The audit in `format`.
    public func render(_ result: AuditResult, as format: OutputFormat) -> String {
        switch format {
        case .table: table(result)
        case .csv: csv(result)
        case .json: json(result)
        }
    }

    static func date(_ ms: Int64) -> String { Timestamp.dateString(days: Timestamp.day(ofMillis: ms)) }

    static func percent(_ change: PriceChange) -> String {
        Format.percentChange(change.percentChange, none: "", plusOnZero: true)
    }

    /// `commit,date,author,provider,model,effective,field,old,new,kind,impact`: one row per
    /// changed field; `impact` is the commit's (exact), repeated on each of its rows.
    public func csv(_ result: AuditResult) -> String {
        var out = "commit,date,author,provider,model,effective,field,old,new,kind,impact\n"
        for c in result.commits {
            for change in c.changes {
                let fields = [
                    c.commit.id.short, Self.date(c.commit.time), c.commit.author, change.provider, change.model, change.effective, change.field,
                    change.old, change.new, change.kind.rawValue, c.impact.description,
                ]
                out += csvWriter.row(fields)
            }
        }
        return out
    }

    /// One object: the ledger, its event count, the card commits, and every price-changing commit with its changes.
    public func json(_ result: AuditResult) -> String {
        func q(_ s: String) -> String { JSON.quote(s) }
        let commits = result.commits.map { c -> String in
            var fields = [
                "\"commit\":\(q(c.commit.id.hex))", "\"short\":\(q(c.commit.id.short))", "\"date\":\(q(Timestamp.format(millis: c.commit.time)))",
                "\"author\":\(q(c.commit.author))", "\"email\":\(q(c.commit.authorEmail))", "\"subject\":\(q(c.commit.summary))",
                "\"impact\":\(q(c.impact.description))", "\"events_restated\":\(c.eventsRestated)",
                "\"newly_priced_events\":\(c.newlyPriced)", "\"no_longer_priced_events\":\(c.noLongerPriced)",
            ]
            if let first = c.firstRestated, let last = c.lastRestated {
                fields.append("\"restated_from\":\(q(Timestamp.format(millis: first)))")
                fields.append("\"restated_until\":\(q(Timestamp.format(millis: last)))")
            }
            let changes = c.changes.map { ch -> String in
                var f = [
                    "\"kind\":\(q(ch.kind.rawValue))", "\"provider\":\(q(ch.provider))", "\"model\":\(q(ch.model))",
                    "\"effective\":\(q(ch.effective))", "\"field\":\(q(ch.field))", "\"old\":\(q(ch.old))", "\"new\":\(q(ch.new))",
                ]
                if let p = ch.percentChange { f.append("\"percent_change\":\(q(p.description))") }
                return "{" + f.joined(separator: ",") + "}"
            }
            fields.append("\"changes\":[" + changes.joined(separator: ",") + "]")
            if !c.notes.isEmpty { fields.append("\"notes\":[" + c.notes.map(q).joined(separator: ",") + "]") }
            return "{" + fields.joined(separator: ",") + "}"
        }
        return "{\"ledger\":\(q(result.ledgerLabel)),\"ledger_events\":\(result.ledgerEvents),\"card_commits\":\(result.cardCommits),\"commits\":["
            + commits.joined(separator: ",") + "]}"
    }


    /// One block per commit: header, the changes, and the restatement.
    public func table(_ result: AuditResult) -> String {
        guard !result.commits.isEmpty else {
            return "no price changes in \(result.cardCommits) rate-card commit\(result.cardCommits == 1 ? "" : "s")"
        }
        var blocks: [String] = []
        for c in result.commits {
            // Author, subject and notes are the committer's text: each shows on its one line, escaped.
            var lines = [TerminalText.escaped("\(c.commit.id.short)  \(Self.date(c.commit.time))  \(c.commit.author)  \(c.commit.summary)")]
            let rows = c.changes.map { ch -> [String] in
                let arrow = ch.old.isEmpty && ch.new.isEmpty ? "" : "\(ch.old.isEmpty ? "—" : ch.old) → \(ch.new.isEmpty ? "—" : ch.new)"
                return ["  " + ch.kind.rawValue, ch.provider, ch.model + (ch.effective.isEmpty ? "" : "@" + ch.effective), ch.field, arrow, Self.percent(ch)]
            }
            if !rows.isEmpty {
                let t = TextTable.render(header: ["  kind", "provider", "point", "field", "old → new", "change"], rows: rows, rightAligned: [5])
                lines += t.split(separator: "\n").dropFirst(2).map(String.init)
            }
            var impact: String
            if c.eventsRestated == 0 {
                impact = "  impact: no recorded event restated"
            } else {
                let range = c.firstRestated.map { Timestamp.monthString(millis: $0) } ?? ""
                let end = c.lastRestated.map { Timestamp.monthString(millis: $0) } ?? ""
                impact = "  impact: restated \(Format.impact(c.impact, places: precision)) on \(Format.integer(Int64(c.eventsRestated))) event\(c.eventsRestated == 1 ? "" : "s") across \(range == end ? range : range + "–" + end)"
            }
            if c.newlyPriced > 0 { impact += "; \(Format.integer(Int64(c.newlyPriced))) events newly priced" }
            if c.noLongerPriced > 0 { impact += "; \(Format.integer(Int64(c.noLongerPriced))) events no longer priced" }
            lines.append(impact)
            for note in c.notes { lines.append("  note: " + TerminalText.escaped(note)) }
            blocks.append(lines.joined(separator: "\n"))
        }
        var out = blocks.joined(separator: "\n\n")
        out += "\n\n\(result.commits.count) commit\(result.commits.count == 1 ? "" : "s") changed prices (of \(result.cardCommits) touching ratecards/); impacts re-price \(result.ledgerLabel) (\(Format.integer(Int64(result.ledgerEvents))) events) with the cards before and after each commit"
        out += "\ncosts in USD rounded to \(precision) decimals for display (--format csv for exact values)"
        return out
    }
}
