import ArgumentParser
import SpendCore
import SpendRender

/// `spend audit`: every rate-card change in history, classified, with its
/// dollar impact on the recorded events.
public struct AuditCommand: ParsableCommand {
    public static var configuration: CommandConfiguration { Console.named(baseConfiguration) }
    static let baseConfiguration = CommandConfiguration(
        commandName: "audit",
        abstract: "Every rate-card change in history: who changed which price when, retroactive edits, dollar impact.",
        discussion: """
            Walks the history of ratecards/ (first-parent from HEAD, or --all-parents) through libgit2 and \
            lists every commit that changed a price: each changed field of each price point, classified as \
            added, backdated (effective before the commit date), edited (changed in place), deleted or alias. \
            The impact of a commit is the ledger re-priced with the cards after the commit minus before \
            (the working-tree ledger, or the ledger at --rev).

            Examples:
              spend audit
              spend audit --provider openai --model gpt-4o --since 2026-01-01
              spend audit --format csv > audit.csv
            """,
        version: SpendVersion.string)

    @OptionGroup public var repository: RepositoryOptions

    @Option(help: ArgumentHelp("Audit the history reachable from this revision, with its ledger (default: HEAD, working-tree ledger).", valueName: "rev"))
    public var rev: String?

    @Flag(help: "Walk every reachable commit, not only the first-parent chain.")
    public var allParents = false

    @OptionGroup public var range: DateRangeOptions

    @Option(help: ArgumentHelp("Only changes of this provider.", valueName: "name"))
    public var provider: String?

    @Option(help: ArgumentHelp("Only changes of this model (a priced model, or an alias pattern or target).", valueName: "name"))
    public var model: String?

    @OptionGroup public var output: OutputOptions

    public init() {}

    public func run() throws {
        let query = AuditQuery(
            revision: rev, allParents: allParents, since: range.sinceMillis,
            until: range.untilMillis, provider: provider, model: model)
        var auditor = Auditor(repository: try repository.repository(), query: query)
        let invocation = Invocation.current
        if invocation.environment["SPEND_TIMING"] != nil {
            let standardError = invocation.standardError
            auditor.phaseTimings = { standardError.write($0 + "\n") }
        }
        let result = try auditor.run()
        var renderer = AuditRenderer(precision: output.precision)
        renderer.csvWriter = output.csvWriter
        Console.show(renderer.render(result, as: output.format.format), as: output.format)
    }
}
