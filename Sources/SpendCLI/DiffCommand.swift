import ArgumentParser
import Foundation
import SpendCore
import SpendRender

/// `spend diff`: spend between two revisions (or releases), explained.
public struct DiffCommand: ParsableCommand {
    public static var configuration: CommandConfiguration { Console.named(baseConfiguration) }
    static let baseConfiguration = CommandConfiguration(
        commandName: "diff",
        abstract: "Spend between two revisions or releases, explained, with the commits that caused it.",
        discussion: """
            State diff: spend computed from the ledger and rate cards as they were at revision A against \
            revision B (read through git, no checkout). With one revision, B is the working tree. Each row's \
            delta splits into volume, intensity, price and mix effects that add up exactly (docs/diff.md).

            Release diff (--releases R1 R2): the events made by the code of R1 against those made by R2 \
            (event release, else the nearest tag of the event's commit, else the tag dates), with cost per \
            request and per day, each change split into usage (at R1's prices) and price. A row whose usage \
            rises more than --threshold is a SPIKE, pinned on the commits of R1..R2 that touched its paths in \
            spend.toml; a row whose prices alone moved it more than that is PRICE, pinned on the rate-card \
            commits (docs/releases.md). With --check, exit 1 when there is a usage spike.

            Examples:
              spend diff HEAD~1 HEAD
              spend diff v1.2.0..v1.3.0 --by team,model --top 10
              spend diff main                      # main against the working tree
              spend diff --releases v1.2.0 v1.3.0 --by feature
            """,
        version: SpendVersion.string)

    @OptionGroup public var repository: RepositoryOptions
    @OptionGroup public var query: DiffQueryOptions
    @OptionGroup public var output: OutputOptions
    @OptionGroup public var invalidLines: InvalidLineOptions

    @Argument(help: ArgumentHelp("A B, A..B, or A alone (against the working tree); with --releases, R1 R2.", valueName: "revision"))
    public var revisions: [String] = []

    @Flag(help: "Compare the events made by the code of two releases (tags) instead of two states of the ledger.")
    public var releases = false

    @Flag(inversion: .prefixedNo, help: "Split each delta into volume, intensity, price and mix (default: on in tables).")
    public var explain: Bool?

    @Option(parsing: .unconditional, help: ArgumentHelp("Show only the N rows with the largest |delta|.", valueName: "n"))
    public var top: Int?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Release diff: a rise of cost per request or per day at constant prices above this percentage is a spike; prices alone moving cost by more is PRICE.",
            valueName: "percent"))
    public var threshold: String = "30"

    @Flag(help: "Release diff: exit 1 when a row has a usage spike (a CI gate); price changes alone never fail it.")
    public var check = false

    public init() {}

    public func validate() throws {
        if let top, top < 1 { throw ValidationError("--top must be at least 1") }
        guard let t = ExactDecimal(threshold), !t.isNegative else {
            throw ValidationError("--threshold expects a non-negative percentage, e.g. 30, got '\(threshold)'")
        }
        if check && !releases { throw ValidationError("--check applies to release diffs: spend diff --releases R1 R2 --check") }
    }

    public func run() throws {
        let environment = Invocation.current.environment
        let frontend = DiffFrontend(
            repository: try repository.repository(), useCache: environment["SPEND_DIFF_CACHE"] != "0", invalidLines: invalidLines.policy)
        let text: String
        var spiked = false
        var excluded: [ExcludedLines] = []
        if releases {
            let (r1, r2) = try DiffFrontend.releasePair(revisions)
            let diff = try frontend.releaseDiff(
                r1, r2, query: try query.query(defaultBy: "feature"), threshold: ExactDecimal(threshold)!, top: top)
            spiked = diff.rows.contains(where: \.spike) || diff.total.spike
            var renderer = ReleaseDiffRenderer(precision: output.precision)
            renderer.csvWriter = output.csvWriter
            text = renderer.render(diff, as: output.format.format)
            excluded = [diff.excluded]
        } else {
            let (a, b) = try DiffFrontend.sides(revisions)
            let stateQuery = try query.query(defaultBy: "team")
            let diff = try frontend.stateDiff(from: a, to: b, query: stateQuery, top: top)
            if diff.hidden == 0 {
                // A --by tag or --where that matched nothing: "did you mean" (names as of B).
                let matched = Int(clamping: diff.total.a.events + diff.total.b.events)
                try QueryWarnings.show(stateQuery, groups: diff.rows.map(\.keys), matched: matched, in: try frontend.repository.snapshot(b))
            }
            var renderer = DiffRenderer(precision: output.precision, explain: explain ?? (output.format == .table))
            renderer.csvWriter = output.csvWriter
            text = renderer.render(diff, as: output.format.format)
            excluded = [diff.excludedFrom, diff.excludedTo]
        }
        if environment["SPEND_DIFF_STATS"] == "1" { Console.err(frontend.statistics) }
        Console.show(text, as: output.format)
        try invalidLines.finish(excluded)
        if check && spiked { throw ExitCode(1) }
    }
}

/// `--by`, `--since`, `--until`, `--where` for diff and releases (the default `--by` depends on the mode).
public struct DiffQueryOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Group by these event fields and tags (comma list; diff: default team, --releases feature; spend releases: break each release down).",
            valueName: "names"))
    public var by: String?

    @OptionGroup public var range: DateRangeOptions

    @Option(name: .customLong("where"), help: ArgumentHelp("Keep events where KEY=VALUE (or KEY!=VALUE); repeatable.", valueName: "key=value"))
    public var filters: [String] = []

    public init() {}

    public func validate() throws {
        if let by {
            do { _ = try ReportQuery.groupingNames(parsing: by) } catch { throw ValidationError(error) }
        }
    }

    public func query(defaultBy: String) throws -> ReportQuery {
        try ReportQuery(parsing: by ?? defaultBy, since: range.sinceMillis, until: range.untilMillis, filters: filters)
    }
}
