import Foundation

/// A release tag: name, commit and date (the commit's committer time).
public struct ReleaseTag: Sendable, Hashable {
    public var name: String
    public var commit: ObjectID
    /// Seconds since the epoch.
    public var time: Int64
    /// The UTC day of `time`, `YYYY-MM-DD`.
    public var day: String { Timestamp.dateString(days: Timestamp.day(ofMillis: time * 1000)) }
}

/// Tags in version order: `v1.2.0 < v1.10.0`, numeric parts compared as numbers.
public enum VersionOrder {
    public static func less(_ a: String, _ b: String) -> Bool {
        let pa = parts(a)
        let pb = parts(b)
        for (x, y) in zip(pa, pb) where x != y {
            if let ix = Int(x), let iy = Int(y) { return ix < iy }
            if Int(x) != nil { return false }  // 1.0 after 1.0-rc: a number sorts after text
            if Int(y) != nil { return true }
            return x < y
        }
        if pa.count != pb.count {
            // "1.0" before "1.0.1", but "1.0-rc1" before "1.0".
            let longer = pa.count > pb.count ? pa : pb
            let next = longer[min(pa.count, pb.count)]
            let extraIsNumber = Int(next) != nil
            return pa.count < pb.count ? extraIsNumber : !extraIsNumber
        }
        return a < b
    }

    static func parts(_ s: String) -> [String] {
        var t = Substring(s)
        if t.hasPrefix("v") || t.hasPrefix("V") { t = t.dropFirst() }
        var out: [String] = []
        var cur = ""
        var curIsDigit: Bool?
        for c in t {
            let isAlnum = c.isLetter || c.isNumber
            if !isAlnum {
                if !cur.isEmpty { out.append(cur) }
                cur = ""
                curIsDigit = nil
                continue
            }
            let d = c.isNumber
            if let cd = curIsDigit, cd != d, !cur.isEmpty {
                out.append(cur)
                cur = ""
            }
            cur.append(c)
            curIsDigit = d
        }
        if !cur.isEmpty { out.append(cur) }
        return out
    }
}

/// Attributes events to releases: the event's `release`; else the tag whose
/// commit is the nearest ancestor of the event's `commit` (git describe);
/// else the tag dates: an event belongs to the latest tag dated on or before
/// its UTC day (events before the first tag are untagged).
public final class ReleaseAttributor {
    public let repo: GitRepository
    /// Tags in version order.
    public let tags: [ReleaseTag]
    public let pattern: String?
    private var byTime: [ReleaseTag]
    private var describeMemo: [String: String?] = [:]
    /// Events placed by each rule.
    public private(set) var byField: Int64 = 0
    public private(set) var byCommit: Int64 = 0
    public private(set) var byDate: Int64 = 0

    /// Events no rule places: no release field, no tagged commit, before the first tag.
    public static let untagged = "(no release)"

    public init(repo: GitRepository, pattern: String?) throws(SpendError) {
        self.repo = repo
        self.pattern = pattern
        var tags: [ReleaseTag] = []
        do {
            let glob = pattern.map { Glob($0) }
            for name in try repo.tagNames() where glob?.matches(name) ?? true {
                let commit = try repo.commitID("refs/tags/" + name)
                tags.append(ReleaseTag(name: name, commit: commit, time: try repo.commitInfo(commit).time))
            }
        } catch {
            throw SpendError.usage("reading tags: \(error.message)")
        }
        tags.sort { VersionOrder.less($0.name, $1.name) }
        self.tags = tags
        byTime = tags.sorted { $0.time != $1.time ? $0.time < $1.time : VersionOrder.less($0.name, $1.name) }
    }

    public func tag(named name: String) -> ReleaseTag? { tags.first { $0.name == name } }

    /// The release of an event group, counted in the placement figures.
    public func release(release: String, commit: String, day: String, events: Int64) -> String {
        let (name, rule) = place(release: release, commit: commit, day: day)
        switch rule {
        case .field: byField += events
        case .commit: byCommit += events
        case .date: byDate += events
        }
        return name
    }

    /// Which rule placed an event group.
    public enum PlacementRule: Sendable { case field, commit, date }

    /// The release of an event group and the rule that placed it (not counted).
    public func place(release: String, commit: String, day: String) -> (String, PlacementRule) {
        if release != Dimension.noneLabel { return (release, .field) }
        if commit != Dimension.noneLabel {
            let found: String?
            if let memo = describeMemo[commit] {
                found = memo
            } else {
                found = (try? repo.commitID(commit)).flatMap { repo.nearestTag(of: $0, pattern: pattern) }
                describeMemo[commit] = found
            }
            if let found { return (found, .commit) }
        }
        var best: String?
        for t in byTime where t.day <= day { best = t.name }
        return (best ?? Self.untagged, .date)
    }
}

/// One side of a release comparison for one row.
public struct ReleaseSide: Sendable, Hashable {
    public var usage = UsageCell()
    /// Requests with attempt > 1.
    public var retries: Int64 = 0
    /// Requests per model.
    public var models: [String: Int64] = [:]

    public init() {}

    public func costPerRequest() -> ExactDecimal? { usage.requests == 0 ? nil : usage.cost.ratio(to: ExactDecimal(usage.requests), places: 8) }
    public func costPerDay(_ days: Int) -> ExactDecimal? { days == 0 || usage.requests == 0 ? nil : usage.cost.ratio(to: ExactDecimal(days), places: 6) }
    public func tokensPerRequest() -> ExactDecimal? {
        usage.requests == 0 ? nil : ExactDecimal(significand: usage.tokens).ratio(to: ExactDecimal(usage.requests), places: 0)
    }
    public func retryShare() -> ExactDecimal? {
        usage.requests == 0 ? nil : ExactDecimal(retries).percent(of: ExactDecimal(usage.requests), places: 0)
    }

    /// Adds `cell` (its requests to `model`, and to the retries when `retry`), checked.
    mutating func add(_ cell: UsageCell, model: String, retry: Bool, for what: String) throws(SpendError) {
        var side = self
        try side.usage.add(cell, for: what)
        do {
            if retry { side.retries = try TokenCounts.add(side.retries, cell.requests, field: "requests") }
            side.models[model] = try TokenCounts.add(side.models[model] ?? 0, cell.requests, field: "requests")
        } catch {
            throw Aggregator.overflow(error, across: what)
        }
        self = side
    }
}

/// Usage of every release (and every row) of a ledger, attributed.
public struct ReleaseUsage: Sendable {
    /// release → row keys → side.
    public var rows: [String: [[String]: ReleaseSide]] = [:]
    /// release → the UTC days on which it made calls.
    public var days: [String: Set<String>] = [:]
    public var placedByField: Int64 = 0
    public var placedByCommit: Int64 = 0
    public var placedByDate: Int64 = 0
    /// Invalid lines left out (`SummaryEngine.invalidLines`).
    public var excluded = ExcludedLines()

    /// The sum of a release's rows, checked (`error[overflow]` when it does not fit).
    public func total(_ release: String) throws(SpendError) -> ReleaseSide {
        var t = ReleaseSide()
        let what = "the total of release \(release)"
        for side in (rows[release] ?? [:]).values {
            try t.usage.add(side.usage, for: what)
            do {
                t.retries = try TokenCounts.add(t.retries, side.retries, field: "requests")
                for (m, r) in side.models { t.models[m] = try TokenCounts.add(t.models[m] ?? 0, r, field: "requests") }
            } catch {
                throw Aggregator.overflow(error, across: what)
            }
        }
        return t
    }

    /// Reads a snapshot's ledger (through the summary cache) and attributes it.
    public static func read(
        snapshot: Snapshot, query: ReportQuery, attributor: ReleaseAttributor, summaries: SummaryEngine
    ) throws -> ReleaseUsage {
        let sq = try summaryQuery(query)
        let summary = try summaries.summary(of: snapshot, query: sq)
        let n = query.dimensions.count
        var out = ReleaseUsage()
        out.excluded = summary.excluded
        for (labels, cell) in summary.cells.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            let day = labels[0]
            let keys = Array(labels[1...n])
            let model = labels[n + 2]
            let retry = labels[n + 3] != "1"
            let release = attributor.release(release: labels[n + 4], commit: labels[n + 5], day: day, events: cell.events)
            var side = out.rows[release, default: [:]][keys] ?? ReleaseSide()
            try side.add(cell, model: model, retry: retry, for: "release \(release) (\(keys.joined(separator: ", ")))")
            out.rows[release, default: [:]][keys] = side
            out.days[release, default: []].insert(day)
        }
        out.placedByField = attributor.byField
        out.placedByCommit = attributor.byCommit
        out.placedByDate = attributor.byDate
        return out
    }
}

/// Percentage change `(b − a) / a × 100`, one decimal; nil when a is missing or zero.
func percentChange(_ a: ExactDecimal?, _ b: ExactDecimal?) -> ExactDecimal? {
    guard let a, let b, !a.isZero else { return nil }
    return (try? b.subtracting(a))?.percent(of: a, places: 1)
}
