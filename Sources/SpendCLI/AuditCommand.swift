import ArgumentParser
import SpendCore

/// `spend audit`: every rate-card change in history, classified, with its
/// dollar impact on the recorded events.
public struct AuditCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
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

    @Option(help: ArgumentHelp("Only commits at or after this date (YYYY-MM-DD or RFC 3339).", valueName: "date"))
    public var since: String?

    @Option(help: ArgumentHelp("Only commits before this date (exclusive).", valueName: "date"))
    public var until: String?

    @Option(help: ArgumentHelp("Only changes of this provider.", valueName: "name"))
    public var provider: String?

    @Option(help: ArgumentHelp("Only changes of this model (a priced model, or an alias pattern or target).", valueName: "name"))
    public var model: String?

    @OptionGroup public var output: OutputOptions

    public init() {}

    public func validate() throws {
        if let since, Timestamp.parseDateOrTimestamp(since) == nil {
            throw ValidationError("--since expects a date like 2026-11-01 or an RFC 3339 timestamp, got '\(since)'")
        }
        if let until, Timestamp.parseDateOrTimestamp(until) == nil {
            throw ValidationError("--until expects a date like 2026-12-01 or an RFC 3339 timestamp, got '\(until)'")
        }
    }

    public func run() throws {
        let query = AuditQuery(
            revision: rev, allParents: allParents, since: since.flatMap(Timestamp.parseDateOrTimestamp),
            until: until.flatMap(Timestamp.parseDateOrTimestamp), provider: provider, model: model)
        let result = try Auditor(repository: try repository.repository(), query: query).run()
        Console.out(AuditRenderer(precision: output.precision).render(result, as: output.format.format))
    }
}
