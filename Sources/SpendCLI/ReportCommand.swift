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

    @Option(help: ArgumentHelp("Read ledger and rate cards as of this git revision (no checkout).", valueName: "rev"))
    public var rev: String?

    @Option(
        help: ArgumentHelp(
            "Which cost to show and sum: list price, or effective (after the [[discount]]s of the rate cards); CSV and JSON carry both.",
            valueName: "basis"))
    public var cost: CostBasisArgument = .list

    public init() {}

    public func run() throws {
        let frontend = ReportFrontend(
            repository: try repository.repository(), source: rev.map { .revision($0) } ?? .workingTree)
        let text = try frontend.render(
            query: try query.query(), basis: cost.basis, format: output.format.format, precision: output.precision,
            csvWriter: output.csvWriter)
        Console.show(text, as: output.format)
    }
}

/// `--cost list|effective` (report, reprice).
public enum CostBasisArgument: String, ExpressibleByArgument, CaseIterable, Sendable {
    case list, effective
    var basis: CostBasis { self == .list ? .list : .effective }
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
    public func report(query: ReportQuery, basis: CostBasis = .list) throws -> Report {
        let snapshot = try repository.snapshot(source)
        let aggregation = try Aggregator(book: snapshot.priceBook, query: query).run(snapshot)
        let report = try Report(aggregation, book: snapshot.priceBook, query: query, basis: basis)
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
