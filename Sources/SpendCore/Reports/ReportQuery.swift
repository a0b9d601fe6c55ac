/// An event field a report can group or filter by.
public enum EventField: String, Sendable, CaseIterable {
    case provider, model, status, release, commit, batch, attempt
    case modelRequested = "model_requested"
    case serviceTier = "service_tier"
    case traceId = "trace_id"
    case id
    /// The rate-card model the served name resolves to (`gpt-4o-2024-11-20` → `gpt-4o`).
    case pricedModel = "priced_model"

    /// A `--where` value as events are read: `service_tier` `default` is
    /// `standard` (the scanner records a `"default"` tier as absent).
    func normalized(_ value: String) -> String {
        self == .serviceTier && value == "default" ? "standard" : value
    }

    /// Shown when the event does not carry the field.
    public var defaultValue: String {
        switch self {
        case .serviceTier: "standard"
        case .status: "ok"
        case .batch: "false"
        case .attempt: "1"
        default: Dimension.noneLabel
        }
    }
}

/// A grouping or filtering key: an event field or a tag.
public enum Dimension: Sendable, Hashable, CustomStringConvertible {
    case field(EventField)
    case tag(String)

    /// Label of events that lack a grouping tag.
    public static let unattributedLabel = "(unattributed)"
    /// Label of events that lack an optional field.
    public static let noneLabel = "(none)"

    /// Parses a `--by`/`--where` name: an event field, else a tag; `tags.NAME` is always a tag.
    public init(parsing name: String) throws(SpendError) {
        if name.hasPrefix("tags.") {
            let tag = String(name.dropFirst(5))
            guard !tag.isEmpty else { throw SpendError.usage("'tags.' needs a tag name, e.g. tags.team") }
            self = .tag(tag)
        } else if let field = EventField(rawValue: name) {
            self = .field(field)
        } else {
            guard !name.isEmpty, !name.contains("=") else {
                throw SpendError.usage("invalid grouping name '\(name)'")
            }
            self = .tag(name)
        }
    }

    public var description: String {
        switch self {
        case .field(let f): f.rawValue
        case .tag(let t): "tags.\(t)"
        }
    }
}

/// Calendar buckets for `--period`.
public enum Period: String, Sendable, CaseIterable {
    case day, week, month, quarter, year

    /// The bucket number of an instant: day number, ISO week number since the
    /// epoch, month number, quarter number (year × 4 + quarter − 1) or year.
    @inline(__always)
    func bucket(_ ts: Int64) -> Int32 {
        let day = Timestamp.day(ofMillis: ts)
        switch self {
        case .day: return Int32(day)
        // 1970-01-01 was a Thursday; ISO weeks start on Monday.
        case .week: return Int32((day + 3 >= 0 ? day + 3 : day - 3) / 7)
        case .month:
            let (y, m, _) = Timestamp.civil(fromDays: day)
            return Int32(y * 12 + m - 1)
        case .quarter:
            let (y, m, _) = Timestamp.civil(fromDays: day)
            return Int32(y * 4 + (m - 1) / 3)
        case .year:
            return Int32(Timestamp.civil(fromDays: day).0)
        }
    }

    /// The label of a bucket: `2026-11-03`, `2026-W45`, `2026-11`, `2026-Q4`, `2026`.
    func label(_ bucket: Int32) -> String {
        switch self {
        case .day: return Timestamp.dateString(days: Int64(bucket))
        case .week:
            let monday = Int64(bucket) * 7 - 3
            let thursday = monday + 3
            let (y, _, _) = Timestamp.civil(fromDays: thursday)
            let week = (thursday - Timestamp.daysFromCivil(year: y, month: 1, day: 1)) / 7 + 1
            return "\(y)-W" + Timestamp.pad(week, 2)
        case .month:
            return Timestamp.pad(Int64(bucket) / 12, 4) + "-" + Timestamp.pad(Int64(bucket) % 12 + 1, 2)
        case .quarter:
            return Timestamp.pad(Int64(bucket) / 4, 4) + "-Q" + String(Int64(bucket) % 4 + 1)
        case .year:
            return Timestamp.pad(Int64(bucket), 4)
        }
    }
}

/// `--where KEY=VALUE` or `KEY!=VALUE`.
public struct WhereClause: Sendable, Hashable {
    public var dimension: Dimension
    public var value: String
    public var negated: Bool

    /// Parses `KEY=VALUE` / `KEY!=VALUE`.
    public init(parsing text: String) throws(SpendError) {
        if let range = text.range(of: "!=") {
            dimension = try Dimension(parsing: String(text[..<range.lowerBound]))
            value = String(text[range.upperBound...])
            negated = true
        } else if let eq = text.firstIndex(of: "=") {
            dimension = try Dimension(parsing: String(text[..<eq]))
            value = String(text[text.index(after: eq)...])
            negated = false
        } else {
            throw SpendError.request(.badFilter(text))
        }
        if case .field(let field) = dimension { value = field.normalized(value) }
    }

    public init(dimension: Dimension, value: String, negated: Bool) {
        self.dimension = dimension
        self.value = value
        self.negated = negated
    }
}

/// What to aggregate: grouping, period, time window and filters.
public struct ReportQuery: Sendable, Hashable {
    /// At most this many `--by` names.
    public static let maxDimensions = 11

    public var dimensions: [Dimension]
    /// The names as given to `--by` (column headers).
    public var dimensionNames: [String]
    public var period: Period?
    /// Inclusive lower bound on `ts` (ms).
    public var since: Int64?
    /// Exclusive upper bound on `ts` (ms).
    public var until: Int64?
    public var filters: [WhereClause]

    public init(
        by names: [String] = ["team"], period: Period? = nil, since: Int64? = nil, until: Int64? = nil,
        filters: [WhereClause] = []
    ) throws(SpendError) {
        guard names.count <= Self.maxDimensions else {
            throw SpendError.request(.tooManyGroupingNames(max: Self.maxDimensions, inDiff: false))
        }
        var dims: [Dimension] = []
        for name in names { dims.append(try Dimension(parsing: name)) }
        self.dimensions = dims
        self.dimensionNames = names
        self.period = period
        self.since = since
        self.until = until
        self.filters = filters
    }
}

/// The one parser of grouping lists and filters as people type them (the
/// CLI's `--by` and `--where` for report, reprice, diff and releases).
extension ReportQuery {
    /// Splits a comma list of grouping names, each trimmed (`"team, model"` →
    /// `["team", "model"]`); an empty name (or an empty list) is
    /// ``RequestProblem/emptyGroupingName(example:)`` with `example`.
    public static func groupingNames(parsing list: String, example: String = "team,model") throws(SpendError) -> [String] {
        let names = list.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        if names.contains(where: \.isEmpty) { throw SpendError.request(.emptyGroupingName(example: example)) }
        return names
    }

    /// Parses each `KEY=VALUE` / `KEY!=VALUE` filter.
    public static func filters(parsing texts: [String]) throws(SpendError) -> [WhereClause] {
        var clauses: [WhereClause] = []
        for text in texts { clauses.append(try WhereClause(parsing: text)) }
        return clauses
    }

    /// A query from a comma list of grouping names and filter texts.
    public init(
        parsing list: String, period: Period? = nil, since: Int64? = nil, until: Int64? = nil, filters: [String] = []
    ) throws(SpendError) {
        try self.init(
            by: try Self.groupingNames(parsing: list), period: period, since: since, until: until,
            filters: try Self.filters(parsing: filters))
    }
}
