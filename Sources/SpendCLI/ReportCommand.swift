import ArgumentParser
import SpendCore
import SpendRender

/// `spend report`: spend grouped by any fields and tags, priced exactly.
public struct ReportCommand: ParsableCommand {
    public static var configuration: CommandConfiguration { Console.named(baseConfiguration) }
    static let baseConfiguration = CommandConfiguration(
        commandName: "report",
        abstract: "Spend grouped by event fields and tags, priced exactly against the rate cards.",
        discussion: """
            Reads ledger/**/*.jsonl and ratecards/*.toml (of the working tree, or of --rev through git) \
            and prices every event with the price in effect at its ts. Events missing a grouping tag are \
            shown as (unattributed).

            Examples:
              spend report
              spend report --by team,model --period month
              spend report --by feature --where env=prod --since 2026-10-01 --format csv
              spend report --rev v1.2.0 --by provider
              spend report --by team --cost effective
            """,
        version: SpendVersion.string)

    @OptionGroup public var repository: RepositoryOptions
    @OptionGroup public var query: QueryOptions
    @OptionGroup public var output: OutputOptions
    @OptionGroup public var invalidLines: InvalidLineOptions

    @Option(help: ArgumentHelp("Read ledger and rate cards as of this git revision (no checkout).", valueName: "rev"))
    public var rev: String?

    @Option(
        help: ArgumentHelp(
            "Which cost to show and sum: list price, or effective (after the [[discount]]s of the rate cards); CSV and JSON carry both.",
            valueName: "basis"))
    public var cost: CostBasisArgument = .list

    @Option(
        help: ArgumentHelp(
            "Which prices: current (today's rate cards at each event's ts) or as-recorded (the stored cost, else the cards committed at ts).",
            valueName: "basis"))
    public var prices: PriceBasisArgument = .current

    public init() {}

    public func run() throws {
        let frontend = ReportFrontend(
            repository: try repository.repository(), source: rev.map { .revision($0) } ?? .workingTree)
        let report = try frontend.report(query: try query.query(), basis: cost.basis, prices: prices.basis, invalidLines: invalidLines.policy)
        Console.show(ReportRenderer(precision: output.precision, csvWriter: output.csvWriter).render(report, as: output.format.format), as: output.format)
        try invalidLines.finish(report.excluded)
    }
}

/// `--cost list|effective` (report, reprice).
public enum CostBasisArgument: String, ExpressibleByArgument, CaseIterable, Sendable {
    case list, effective
    var basis: CostBasis { self == .list ? .list : .effective }
}

/// `--prices current|as-recorded` (report).
public enum PriceBasisArgument: String, ExpressibleByArgument, CaseIterable, Sendable {
    case current
    case asRecorded = "as-recorded"
    var basis: PriceBasis { self == .current ? .current : .asRecorded }
}

/// Runs a report end to end: snapshot, aggregate, price, render.
public struct ReportFrontend {
    public var repository: CostRepository
    public var source: SnapshotSource

    public init(repository: CostRepository, source: SnapshotSource) {
        self.repository = repository
        self.source = source
    }

    /// The report; a grouping tag no event has, or filters that match
    /// nothing, also print a "did you mean" warning (``QueryWarnings``).
    /// `invalidLines`: stop at invalid committed lines (the default), or leave them out (`Report.excluded`).
    /// `prices`: the price basis (compared with the other one at the foot).
    public func report(
        query: ReportQuery, basis: CostBasis = .list, prices: PriceBasis = .current, invalidLines: InvalidLinePolicy = .strict
    ) throws -> Report {
        let snapshot = try repository.snapshot(source)
        var aggregator = Aggregator(book: snapshot.priceBook, query: query)
        aggregator.invalidLines = invalidLines
        var revision: String?
        if case .revision(let rev) = source { revision = rev }
        try aggregator.record(prices: prices, basis: basis, repository: repository, revision: revision)
        let aggregation = try aggregator.run(snapshot)
        let report = try Report(aggregation, book: snapshot.priceBook, query: query, basis: basis, prices: prices)
        let groups = report.rows.filter { $0.events > 0 }.map { query.period == nil ? $0.keys : Array($0.keys.dropFirst()) }
        try QueryWarnings.show(query, groups: groups, matched: report.total.events, in: snapshot)
        return report
    }

    public func render(
        query: ReportQuery, basis: CostBasis = .list, format: OutputFormat, precision: Int, csvWriter: CSV = CSV()
    ) throws -> String {
        ReportRenderer(precision: precision, csvWriter: csvWriter).render(try report(query: query, basis: basis), as: format)
    }
}
