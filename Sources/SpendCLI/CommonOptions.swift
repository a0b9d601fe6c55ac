import ArgumentParser
import SpendCore
import SpendRender

/// `-C DIR`: run as if started in DIR (like git).
public struct RepositoryOptions: ParsableArguments {
    @Option(name: .customShort("C"), help: ArgumentHelp("Run as if spend was started in <dir>.", valueName: "dir"))
    public var directory: String?

    public init() {}

    /// The cost repository to work on (`-C DIR` taken from the invocation's directory).
    public func repository() throws -> CostRepository {
        let invocation = Invocation.current
        var repository = try CostRepository(directory: directory ?? invocation.directory, relativeTo: invocation.directory)
        repository.gitEnvironment = invocation.gitEnvironment
        let standardError = invocation.standardError
        repository.notice = { standardError.write($0 + "\n") }
        return repository
    }

    /// The directory `-C` names (resolved), or the invocation's.
    public var resolvedDirectory: String {
        let invocation = Invocation.current
        return directory.map(invocation.resolve) ?? invocation.directory
    }
}

/// `--since` / `--until`: a time range, from inclusive to exclusive (event
/// times for report, diff and reprice; commit dates for audit).
public struct DateRangeOptions: ParsableArguments {
    @Option(help: ArgumentHelp("From this date on (YYYY-MM-DD or RFC 3339).", valueName: "date"))
    public var since: String?

    @Option(help: ArgumentHelp("Before this date (exclusive).", valueName: "date"))
    public var until: String?

    public init() {}

    public func validate() throws {
        if let since, Timestamp.parseDateOrTimestamp(since) == nil {
            throw ValidationError("--since expects a date like 2026-11-01 or an RFC 3339 timestamp, got '\(since)'")
        }
        if let until, Timestamp.parseDateOrTimestamp(until) == nil {
            throw ValidationError("--until expects a date like 2026-12-01 or an RFC 3339 timestamp, got '\(until)'")
        }
    }

    /// `--since` in milliseconds since the epoch (UTC).
    public var sinceMillis: Int64? { since.flatMap(Timestamp.parseDateOrTimestamp) }
    /// `--until` in milliseconds since the epoch (UTC).
    public var untilMillis: Int64? { until.flatMap(Timestamp.parseDateOrTimestamp) }
}

/// `--by`, `--period`, `--since`, `--until`, `--where`: what to group and which events count.
public struct QueryOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Group by these event fields and tags (comma list; tags.NAME is always a tag).", valueName: "names"))
    public var by: String = "team"

    @Option(help: "Add a leading period column: day, week, month, quarter or year.")
    public var period: PeriodArgument?

    @OptionGroup public var range: DateRangeOptions

    @Option(name: .customLong("where"), help: ArgumentHelp("Keep events where KEY=VALUE (or KEY!=VALUE); repeatable.", valueName: "key=value"))
    public var filters: [String] = []

    public init() {}

    public func validate() throws {
        do { _ = try ReportQuery.groupingNames(parsing: by) } catch { throw ValidationError(error) }
    }

    /// The query these options describe.
    public func query() throws -> ReportQuery {
        try ReportQuery(parsing: by, period: period?.period, since: range.sinceMillis, until: range.untilMillis, filters: filters)
    }
}

/// `--format` and `--precision`.
public struct OutputOptions: ParsableArguments {
    @Option(help: "Output format: table, csv or json.")
    public var format: FormatArgument = .table

    @Option(parsing: .unconditional, help: ArgumentHelp("Decimal places of costs in tables (csv and json are always exact).", valueName: "n"))
    public var precision: Int = 2

    @Flag(name: .customLong("csv-raw"), help: "With --format csv, write text starting with = + - @ as it is (no leading ').")
    public var csvRaw = false

    public init() {}

    public func validate() throws {
        guard (0...12).contains(precision) else { throw ValidationError("--precision must be between 0 and 12") }
        if csvRaw && format != .csv { throw ValidationError("--csv-raw applies to --format csv") }
    }

    /// The CSV writer: formula-leading text neutralised unless `--csv-raw`.
    public var csvWriter: CSV { CSV(neutralizesFormulas: !csvRaw) }
}

public enum PeriodArgument: String, ExpressibleByArgument, CaseIterable, Sendable {
    case day, week, month, quarter, year
    var period: Period { Period(rawValue: rawValue)! }
}

public enum FormatArgument: String, ExpressibleByArgument, CaseIterable, Sendable {
    case table, csv, json
    var format: OutputFormat { OutputFormat(rawValue: rawValue)! }
}

import Foundation
