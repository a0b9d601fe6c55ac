import ArgumentParser
import Foundation
import SpendCore
import SpendRender

/// `spend lint`: validate ledger, rate cards and tagging policy.
public struct LintCommand: ParsableCommand {
    public static var configuration: CommandConfiguration { Console.named(baseConfiguration) }
    static let baseConfiguration = CommandConfiguration(
        commandName: "lint",
        abstract: "Validate the ledger, rate cards and tagging policy (pre-commit, CI).",
        discussion: """
            Checks events (JSON, schema, required/allowed/pattern tags, env rules, denied models, \
            prices, duplicate ids, month shards, torn lines, token limits), the append-only history \
            of the ledger, rate cards (TOML, duplicates, negative prices, tiers, aliases, points edited \
            in place or backdated, fields dropped) and spend.toml. Every finding names file, line and rule.

            Modes (one at a time; committed history is not re-judged unless --all):
              (default)        what the working tree adds to HEAD
              --all            every event of the working tree, re-judged
              --staged         the index (the next commit), against HEAD
              --rev REV        one commit, against its first parent
              --commits A..B   each commit of a range, against its parent

            Exit status: 0 clean (warnings allowed unless --strict), 1 findings, 2 usage error.

            Examples:
              spend lint --staged
              spend lint --commits origin/main..HEAD --format json
            """,
        version: SpendVersion.string)

    @OptionGroup public var repository: RepositoryOptions

    @Flag(help: "Check what is staged for the next commit (the index), against HEAD.")
    public var staged = false

    @Flag(help: "Re-judge every event of the working tree against today's policy and cards (the default checks new lines only).")
    public var all = false

    @Option(help: ArgumentHelp("Check every commit of a range A..B, each against its first parent.", valueName: "A..B"))
    public var commits: String?

    @Option(help: ArgumentHelp("Check one revision against its first parent.", valueName: "rev"))
    public var rev: String?

    @Option(help: "Output format: table or json.")
    public var format: LintFormat = .table

    @Flag(help: "Fail (exit 1) on warnings too.")
    public var strict = false

    @Option(parsing: .unconditional, help: ArgumentHelp("Show at most this many findings per commit (0: all); all are counted.", valueName: "n"))
    public var limit: Int = 200

    @Option(
        help: ArgumentHelp(
            "Warn when a glob alias also matches a model that this LiteLLM price map (model_prices_and_context_window.json) prices differently.",
            valueName: "file"))
    public var litellm: String?

    @Option(help: .hidden)
    public var today: String?

    @Flag(help: .hidden)
    public var noCache = false

    public init() {}

    public enum LintFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
        case table, json
    }

    public func validate() throws {
        let modes = [staged, all, commits != nil, rev != nil].filter { $0 }.count
        if modes > 1 { throw ValidationError("choose one of --staged, --all, --commits and --rev") }
        if limit < 0 { throw ValidationError("--limit must be 0 (all) or more") }
        if let today, Timestamp.parseDateOrTimestamp(today) == nil {
            throw ValidationError("--today expects a date like 2026-11-25")
        }
    }

    var mode: LintMode {
        if staged { return .staged }
        if let commits { return .commits(commits) }
        if let rev { return .revision(rev) }
        if all { return .all }
        return .workingTree
    }

    /// The cost repository, or, for --rev and --commits, a bare repository
    /// (server-side checks in a pre-receive or update hook).
    func workspace() throws -> LintWorkspace {
        do {
            return LintWorkspace(costRepository: try repository.repository())
        } catch let error as SpendError {
            switch mode {
            case .revision, .commits:
                if let git = try? GitRepository(discovering: repository.resolvedDirectory, environment: Invocation.current.gitEnvironment), git.workdir == nil {
                    return LintWorkspace(bare: git)
                }
            default: break
            }
            throw error
        }
    }

    public func run() throws {
        var linter = Linter(workspace: try workspace(), limit: limit)
        if let today, let ms = Timestamp.parseDateOrTimestamp(today) { linter.now = ms }
        linter.useCache = !noCache
        if let litellm {
            // Relative to -C DIR, as if started there.
            let path = litellm.hasPrefix("/") ? litellm : (repository.directory.map { $0 + "/" } ?? "") + litellm
            linter.referencePrices = try ReferencePrices.litellm(path: path, relativeTo: Invocation.current.directory)
        }
        let result = try linter.run(mode)
        switch format {
        case .table: Console.out(LintRenderer().text(result))
        case .json: Console.data(LintRenderer().json(result))
        }
        let code = result.exitCode(strict: strict)
        if code != 0 { throw ExitCode(code) }
    }
}
