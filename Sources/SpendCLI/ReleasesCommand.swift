import ArgumentParser
import Foundation
import SpendCore
import SpendRender

/// `spend releases`: spend per release tag.
public struct ReleasesCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "releases",
        abstract: "Spend per release: requests, cost, cost per request and per day, change from the previous release split into usage and price.",
        discussion: """
            Events belong to a release by their release field, else by the nearest tag of their commit, else by \
            the tag dates (docs/releases.md); without tags, the release names events carry are listed. Each change \
            from the previous release splits into usage (at the previous release's prices) and price. A release whose \
            usage cost per request or per day rises more than --threshold is marked SPIKE (spend diff --releases PREV \
            SPIKED pins it on commits); one whose prices alone moved cost more than that is marked PRICE, with the \
            rate-card commits. --by splits each release by tags or fields. Exit 0, or 1 with --check and a usage spike.

            Examples:
              spend releases
              spend releases --by feature --check
              spend releases --tags 'v1.*' --where env=prod --format csv
            """,
        version: SpendVersion.string)

    @OptionGroup public var repository: RepositoryOptions
    @OptionGroup public var query: DiffQueryOptions
    @OptionGroup public var output: OutputOptions
    @OptionGroup public var invalidLines: InvalidLineOptions

    @Option(help: ArgumentHelp("Only tags and event release names matching this glob (default: all).", valueName: "glob"))
    public var tags: String?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "A rise of cost per request or per day at constant prices above this percentage is a spike; prices alone moving cost by more is PRICE.",
            valueName: "percent"))
    public var threshold: String = "30"

    @Flag(help: "Exit 1 when a release has a usage spike (a CI gate); price changes alone never fail it.")
    public var check = false

    public init() {}

    public func validate() throws {
        guard let t = ExactDecimal(threshold), !t.isNegative else {
            throw ValidationError("--threshold expects a non-negative percentage, e.g. 30, got '\(threshold)'")
        }
    }

    public func run() throws {
        let repo = try repository.repository()
        let list = try ReleaseList.build(
            repository: repo, summaries: SummaryEngine.forRepository(
                repo, useCache: Invocation.current.environment["SPEND_DIFF_CACHE"] != "0", invalidLines: invalidLines.policy), pattern: tags, query: try query.query(defaultBy: "team"),
            threshold: ExactDecimal(threshold)!, breakdown: query.by != nil)
        var renderer = ReleaseListRenderer(precision: output.precision)
        renderer.csvWriter = output.csvWriter
        Console.show(renderer.render(list, as: output.format.format), as: output.format)
        try invalidLines.finish(list.excluded)
        if check && list.rows.contains(where: \.spike) { throw ExitCode(1) }
    }
}
