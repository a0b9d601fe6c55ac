import Foundation

/// A row of a release diff.
public struct ReleaseDiffRow: Sendable, Hashable {
    public var keys: [String]
    public var a = ReleaseSide()
    public var b = ReleaseSide()
    public var costPerRequestA: ExactDecimal?
    public var costPerRequestB: ExactDecimal?
    public var costPerDayA: ExactDecimal?
    public var costPerDayB: ExactDecimal?
    public var spike = false

    /// `cost_b − cost_a` (checked once by `ReleaseDiffEngine.diff`, so it cannot trap here).
    public var delta: ExactDecimal { b.usage.cost - a.usage.cost }
    public var deltaPercent: ExactDecimal? { percentChange(a.usage.cost, b.usage.cost) }
    public var costPerRequestChange: ExactDecimal? { percentChange(costPerRequestA, costPerRequestB) }
    public var costPerDayChange: ExactDecimal? { percentChange(costPerDayA, costPerDayB) }
}

/// Commits that may explain a spike.
public struct Pin: Sendable, Hashable {
    public var keys: [String]
    /// The mapping's globs (empty when the row has none).
    public var paths: [String]
    /// Newest first; with a mapping, only the commits that touched its paths (`files` = the matching ones);
    /// without, every commit of the range ranked by files touched.
    public var commits: [CommitSummary]
    public var mapped: Bool
    public var mappingKind: String
}

/// A release compared: its name, and its tag when the repository has one.
public struct ReleaseRef: Sendable, Hashable {
    public var name: String
    public var tag: ReleaseTag?

    /// `v1.3 (236bbc5, 2026-03-01)`, or `v1.3 (no tag here)`.
    public var label: String { tag.map { "\(name) (\($0.commit.short), \($0.day))" } ?? "\(name) (no tag in this repository)" }
}

public struct ReleaseDiff: Sendable {
    public var columns: [String]
    public var from: ReleaseRef
    public var to: ReleaseRef
    /// Why commits could not be listed (a release without a tag here), if so.
    public var unpinnable: String?
    public var daysA: Int
    public var daysB: Int
    public var threshold: ExactDecimal
    public var rows: [ReleaseDiffRow]
    public var total: ReleaseDiffRow
    public var pins: [Pin]
    public var hidden = 0
    public var placed: (field: Int64, commit: Int64, date: Int64) = (0, 0, 0)
}

public struct ReleaseDiffEngine {
    public let repository: CostRepository
    public let summaries: SummaryEngine

    public init(repository: CostRepository, summaries: SummaryEngine) {
        self.repository = repository
        self.summaries = summaries
    }

    public func diff(_ r1: String, _ r2: String, query: ReportQuery, threshold: ExactDecimal, top: Int?) throws -> ReleaseDiff {
        let snapshot = try repository.snapshot(.workingTree)
        let (repo, _) = try repository.git()
        let attributor = try ReleaseAttributor(repo: repo, pattern: nil)
        let usage = try ReleaseUsage.read(snapshot: snapshot, query: query, attributor: attributor, summaries: summaries)
        // A release is a tag here, or a name events carry (the code may live in another repository).
        for r in [r1, r2] where attributor.tag(named: r) == nil && usage.rows[r] == nil {
            throw SpendError.usage("no tag or event release named \"\(r)\" (spend releases lists them)")
        }
        let t1 = attributor.tag(named: r1)
        let t2 = attributor.tag(named: r2)
        let daysA = usage.days[r1]?.count ?? 0
        let daysB = usage.days[r2]?.count ?? 0
        var keys = Set((usage.rows[r1] ?? [:]).keys)
        keys.formUnion((usage.rows[r2] ?? [:]).keys)
        var rows: [ReleaseDiffRow] = []
        for k in keys {
            var row = ReleaseDiffRow(keys: k)
            row.a = usage.rows[r1]?[k] ?? ReleaseSide()
            row.b = usage.rows[r2]?[k] ?? ReleaseSide()
            Self.normalize(&row, daysA: daysA, daysB: daysB, threshold: threshold)
            _ = try checkedDifference(row.b.usage.cost, row.a.usage.cost, for: "the release diff row " + k.joined(separator: ", "))
            rows.append(row)
        }
        rows.sort { x, y in
            if x.spike != y.spike { return x.spike }
            let dx = x.delta.isNegative ? -x.delta : x.delta
            let dy = y.delta.isNegative ? -y.delta : y.delta
            if dx != dy { return dx > dy }
            return x.keys.lexicographicallyPrecedes(y.keys)
        }
        var total = ReleaseDiffRow(keys: ["total"])
        total.a = try usage.total(r1)
        total.b = try usage.total(r2)
        _ = try checkedDifference(total.b.usage.cost, total.a.usage.cost, for: "the release diff total")
        Self.normalize(&total, daysA: daysA, daysB: daysB, threshold: threshold)
        var hidden = 0
        if let top, rows.count > top {
            hidden = rows.count - top
            rows = Array(rows.prefix(top))
        }
        var policy = Policy.empty
        if let text = snapshot.policyText {
            do { policy = try Policy.parse(text, path: "spend.toml") } catch { throw SpendError.input(error.diagnostics) }
        }
        var pins: [Pin] = []
        let spikes = rows.filter(\.spike)
        var unpinnable: String?
        if !spikes.isEmpty, t1 == nil || t2 == nil {
            let missing = [t1 == nil ? r1 : nil, t2 == nil ? r2 : nil].compactMap { $0 }
            unpinnable = "\(missing.joined(separator: " and ")) \(missing.count == 1 ? "has" : "have") no tag in this repository, so the commits in between cannot be listed; run spend diff where the code is tagged, or tag the release here"
        } else if !spikes.isEmpty, let t1, let t2 {
            let ids = try repo.walk(push: [t2.commit], hide: [t1.commit]).reversed()
            var commits: [CommitSummary] = []
            for id in ids { commits.append(try repo.commitSummary(id)) }
            for row in spikes { pins.append(Self.pin(row, query: query, policy: policy, commits: commits)) }
        }
        var result = ReleaseDiff(
            columns: query.dimensionNames, from: ReleaseRef(name: r1, tag: t1), to: ReleaseRef(name: r2, tag: t2), daysA: daysA, daysB: daysB, threshold: threshold, rows: rows, total: total,
            pins: pins, hidden: hidden)
        result.placed = (usage.placedByField, usage.placedByCommit, usage.placedByDate)
        result.unpinnable = unpinnable
        return result
    }

    static func normalize(_ row: inout ReleaseDiffRow, daysA: Int, daysB: Int, threshold: ExactDecimal) {
        row.costPerRequestA = row.a.costPerRequest()
        row.costPerRequestB = row.b.costPerRequest()
        row.costPerDayA = row.a.costPerDay(daysA)
        row.costPerDayB = row.b.costPerDay(daysB)
        let rises = [row.costPerRequestChange, row.costPerDayChange].compactMap { $0 }
        row.spike = rises.contains { $0 > threshold }
    }

    /// The commits of the range that touched the row's mapped paths (newest first), or every commit ranked by files touched.
    static func pin(_ row: ReleaseDiffRow, query: ReportQuery, policy: Policy, commits: [CommitSummary]) -> Pin {
        var mapping: PathMapping?
        var kind = "features"
        for (i, dim) in query.dimensions.enumerated() {
            guard case .tag(let tag) = dim, tag == "feature" || tag == "team" else { continue }
            let list = tag == "feature" ? policy.features : policy.teams
            if let m = list.first(where: { $0.name == row.keys[i] }), !m.paths.isEmpty {
                mapping = m
                kind = tag == "feature" ? "features" : "teams"
                break
            }
            kind = tag == "feature" ? "features" : "teams"
        }
        guard let mapping else {
            let ranked = commits.enumerated().sorted { x, y in
                x.element.files.count != y.element.files.count ? x.element.files.count > y.element.files.count : x.offset < y.offset
            }.map(\.element)
            return Pin(keys: row.keys, paths: [], commits: ranked, mapped: false, mappingKind: kind)
        }
        let globs = mapping.paths.map { Glob($0, pathMode: true) }
        var hits: [CommitSummary] = []
        for c in commits {
            let files = c.files.filter { f in globs.contains { $0.matches(f) } }
            if !files.isEmpty {
                var hit = c
                hit.files = files
                hits.append(hit)
            }
        }
        return Pin(keys: row.keys, paths: mapping.paths, commits: hits, mapped: true, mappingKind: kind)
    }
}

/// Renders release diffs.
public struct ReleaseDiffRenderer {
    public var precision: Int
    /// How `--format csv` writes fields (`--csv-raw` turns formula neutralising off).
    public var csvWriter = CSV()
    public init(precision: Int) { self.precision = precision }

    public static let csvColumns = [
        "requests_a", "requests_b", "cost_a", "cost_b", "delta", "delta_pct", "cost_per_request_a", "cost_per_request_b",
        "cost_per_request_pct", "cost_per_day_a", "cost_per_day_b", "cost_per_day_pct", "retry_share_a", "retry_share_b", "spike",
    ]

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
        ]
    }

    public func csv(_ d: ReleaseDiff) -> String {
        var out = csvWriter.row(d.columns + Self.csvColumns)
        for r in d.rows { out += csvWriter.row(r.keys + fields(r)) }
        return out
    }

    public func json(_ d: ReleaseDiff) -> String {
        func object(_ r: ReleaseDiffRow, keys: Bool) -> String {
            var parts: [String] = []
            if keys { for (n, v) in zip(d.columns, r.keys) { parts.append("\(JSON.quote(n)):\(JSON.quote(v))") } }
            for (n, v) in zip(Self.csvColumns, fields(r)) {
                if n.hasPrefix("requests") { parts.append("\(JSON.quote(n)):\(v)") } else if n == "spike" { parts.append("\"spike\":\(v)") } else {
                    parts.append("\(JSON.quote(n)):" + (v.isEmpty ? "null" : JSON.quote(v)))
                }
            }
            return "{" + parts.joined(separator: ",") + "}"
        }
        func commit(_ c: CommitSummary) -> String {
            "{\"commit\":\(JSON.quote(c.id.hex)),\"author\":\(JSON.quote(c.author)),\"date\":\(JSON.quote(Timestamp.dateString(days: Timestamp.day(ofMillis: c.time * 1000)))),\"subject\":\(JSON.quote(c.subject)),\"files\":[\(c.files.map(JSON.quote).joined(separator: ","))]}"
        }
        var out = "{\"from\":\(JSON.quote(d.from.name)),\"to\":\(JSON.quote(d.to.name)),\"days_a\":\(d.daysA),\"days_b\":\(d.daysB),"
        out += "\"threshold_pct\":\(JSON.quote(d.threshold.description)),\"columns\":[\(d.columns.map(JSON.quote).joined(separator: ","))],\"rows\":[\n"
        out += d.rows.map { "  " + object($0, keys: true) }.joined(separator: ",\n")
        out += "\n],\"total\":" + object(d.total, keys: false) + ",\"pins\":[\n"
        out += d.pins.map { p in
            "  {\"row\":[\(p.keys.map(JSON.quote).joined(separator: ","))],\"mapped\":\(p.mapped),\"paths\":[\(p.paths.map(JSON.quote).joined(separator: ","))],\"commits\":[\(p.commits.map(commit).joined(separator: ","))]}"
        }.joined(separator: ",\n")
        return out + "\n]}\n"
    }

    static func pct(_ v: ExactDecimal?) -> String {
        guard let v else { return "-" }
        return (v.isNegative || v.isZero ? "" : "+") + v.formatted(places: 1) + "%"
    }

    func money(_ v: ExactDecimal?, extra: Int = 0) -> String {
        guard let v else { return "-" }
        return "$" + v.formatted(places: precision + extra, grouping: true)
    }

    public func table(_ d: ReleaseDiff) -> String {
        let header = d.columns + [
            "req_\(d.from.name)", "req_\(d.to.name)", "cost_\(d.from.name)", "cost_\(d.to.name)", "cost/req", "Δ cost/req", "cost/day",
            "Δ cost/day", "retries", "",
        ]
        func cells(_ r: ReleaseDiffRow, _ label: [String]) -> [String] {
            label + [
                Format.integer(r.a.usage.requests), Format.integer(r.b.usage.requests), money(r.a.usage.cost), money(r.b.usage.cost),
                money(r.costPerRequestA, extra: 3) + "→" + money(r.costPerRequestB, extra: 3), Self.pct(r.costPerRequestChange),
                money(r.costPerDayA) + "→" + money(r.costPerDayB), Self.pct(r.costPerDayChange),
                (r.a.retryShare().map { $0.description + "%" } ?? "-") + "→" + (r.b.retryShare().map { $0.description + "%" } ?? "-"),
                r.spike ? "SPIKE" : "",
            ]
        }
        var rows = d.rows.map { cells($0, $0.keys) }
        rows.append(cells(d.total, ["total"] + Array(repeating: "", count: max(0, d.columns.count - 1))))
        var text = "spend diff --releases \(d.from.label) → \(d.to.label)\n"
        text += "days with calls: \(d.from.name) \(d.daysA), \(d.to.name) \(d.daysB); spike = cost per request or per day up more than \(d.threshold)%\n\n"
        text += TextTable.render(header: header, rows: rows, rightAligned: Set(d.columns.count..<(header.count - 1)), ruleBeforeLast: true) + "\n"
        for (pin, row) in zip(d.pins, d.rows.filter(\.spike)) {
            text += "\n" + diagnosis(pin, row, d)
        }
        if let why = d.unpinnable { text += "\nspikes: " + d.rows.filter(\.spike).map { $0.keys.joined(separator: "/") }.joined(separator: ", ") + "; " + why + "\n" }
        var notes: [String] = []
        if d.hidden > 0 { notes.append("\(d.hidden) more rows not shown (--top)") }
        notes.append(
            "events placed by their release field: \(d.placed.field), by commit ancestry: \(d.placed.commit), by tag dates: \(d.placed.date)")
        notes.append("costs in USD rounded for display; --format csv gives exact values")
        return text + "\n" + notes.joined(separator: "\n") + "\n"
    }

    /// "summaries: cost/request +212% v1.2.0→v1.3.0; retries 4%→61%; …" and the commits.
    public func diagnosis(_ pin: Pin, _ r: ReleaseDiffRow, _ d: ReleaseDiff) -> String {
        // Tag values, paths and commit lines show escaped (TerminalText), each on its one line.
        let name = TerminalText.escaped(pin.keys.joined(separator: "/"))
        // Lead with the figure that spiked.
        let perRequest = "cost/request \(Self.pct(r.costPerRequestChange))"
        let perDay = "cost/day \(Self.pct(r.costPerDayChange))"
        let requestSpiked = r.costPerRequestChange.map { $0 > d.threshold } ?? false
        var facts = requestSpiked
            ? ["\(perRequest) \(d.from.name)→\(d.to.name)", perDay] : ["\(perDay) \(d.from.name)→\(d.to.name)", perRequest]
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
