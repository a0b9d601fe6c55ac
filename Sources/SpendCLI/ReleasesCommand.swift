import ArgumentParser
import Foundation
import SpendCore
import SpendRender

/// `spend releases`: spend per release tag.
public struct ReleasesCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "releases",
        abstract: "Spend per release tag: requests, cost, cost per request and per day, change from the previous release.",
        discussion: """
            Events belong to a release by their release field, else by the nearest tag of their commit, else by \
            the tag dates (docs/releases.md). A release whose cost per request or per day rises more than \
            --threshold from the previous one is marked SPIKE; spend diff --releases PREV SPIKED pins it on commits.

            Examples:
              spend releases
              spend releases --tags 'v1.*' --where env=prod --format csv
            """,
        version: SpendVersion.string)

    @OptionGroup public var repository: RepositoryOptions
    @OptionGroup public var query: DiffQueryOptions
    @OptionGroup public var output: OutputOptions
    @OptionGroup public var invalidLines: InvalidLineOptions

    @Option(help: ArgumentHelp("Only tags matching this glob (default: every tag, in version order).", valueName: "glob"))
    public var tags: String?

    @Option(help: ArgumentHelp("A rise of cost per request or per day above this percentage is a spike.", valueName: "percent"))
    public var threshold: String = "30"

    public init() {}

    public func validate() throws {
        guard let t = ExactDecimal(threshold), !t.isNegative else {
            throw ValidationError("--threshold expects a non-negative percentage, e.g. 30, got '\(threshold)'")
        }
        if query.by != nil { throw ValidationError("spend releases has one row per release; use spend diff --releases R1 R2 --by NAMES to split one") }
    }

    public func run() throws {
        let repo = try repository.repository()
        let list = try ReleaseList.build(
            repository: repo, summaries: SummaryEngine.forRepository(
                repo, useCache: Invocation.current.environment["SPEND_DIFF_CACHE"] != "0", invalidLines: invalidLines.policy), pattern: tags, query: try query.query(defaultBy: "team"),
            threshold: ExactDecimal(threshold)!)
        var renderer = ReleaseListRenderer(precision: output.precision)
        renderer.csvWriter = output.csvWriter
        Console.show(renderer.render(list, as: output.format.format), as: output.format)
        try invalidLines.finish(list.excluded)
    }
}
