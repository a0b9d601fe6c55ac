import ArgumentParser
import Foundation
import SpendCore
import SpendRender

/// `spend cards`: keep the rate cards current without losing history.
public struct CardsCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "cards",
        abstract: "Rate cards: check them against LiteLLM's price map, sync new dated points, list and show prices in effect.",
        version: SpendVersion.string,
        subcommands: [CardsCheckCommand.self, CardsSyncCommand.self, CardsListCommand.self, CardsShowCommand.self])

    public init() {}
}

/// `--litellm FILE`: relative to `-C DIR`, and that to the invocation's directory (as `spend lint --litellm`).
struct LiteLLMOption: ParsableArguments {
    @Option(help: ArgumentHelp("LiteLLM's model_prices_and_context_window.json.", valueName: "file"))
    var litellm: String?

    func validate() throws {
        if litellm == nil {
            throw ValidationError("--litellm FILE is required: LiteLLM's model_prices_and_context_window.json (from github.com/BerriAI/litellm)")
        }
    }

    /// The map, restricted to the providers `book` has cards for.
    func map(book: PriceBook, directory: String?) throws -> LiteLLMPriceMap {
        let litellm = litellm ?? ""
        let path = litellm.hasPrefix("/") ? litellm : (directory.map { $0 + "/" } ?? "") + litellm
        return try LiteLLMPriceMap.read(
            path: path, relativeTo: Invocation.current.directory, displayPath: litellm, providers: Set(book.cards.map(\.provider)))
    }
}

/// `--at DATE` (default: today, UTC).
struct AtDateOption: ParsableArguments {
    @Option(help: ArgumentHelp("The date whose prices to show (YYYY-MM-DD; default: today).", valueName: "date"))
    var at: String?

    func validate() throws {
        if let at, Timestamp.parseDateOrTimestamp(at) == nil {
            throw ValidationError("--at expects a date like 2026-11-01, got '\(at)'")
        }
    }

    var millis: Int64 { at.flatMap(Timestamp.parseDateOrTimestamp) ?? Timestamp.now() }
    var text: String { at ?? String(Timestamp.format(millis: Timestamp.now()).prefix(10)) }
}

public struct CardsCheckCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Compare the latest point of every card model with LiteLLM's price map (exit 1 on any finding).",
        discussion: """
            Reports each rate (input, cached_input, cache_write, output, batch_input, batch_output) that the map \
            states differently from the model's latest point, and the first-party models the map lists that no \
            card prices. With --known FILE, the differences its [[known]] entries cover are accepted (counted, \
            not listed) and an entry that covers nothing is a finding (stale). Exit 0 clean, 1 findings, 2 bad input.

            Example:
              spend cards check --litellm model_prices_and_context_window.json --known litellm-known.toml
            """)

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var litellm: LiteLLMOption
    @OptionGroup var output: OutputOptions

    @Option(help: ArgumentHelp("Reviewed differences to accept: a TOML file of [[known]] entries (model, reason, optional provider and fields).", valueName: "file"))
    var known: String?

    public init() {}

    public func run() throws {
        let book = try repository.repository().workingTreePricing().book
        var result = CardCheck.run(book: book, map: try litellm.map(book: book, directory: repository.directory))
        if let known {
            let path = known.hasPrefix("/") ? known : (repository.directory.map { $0 + "/" } ?? "") + known
            result = result.applying(try KnownDifferences.read(path: path, relativeTo: Invocation.current.directory, displayPath: known))
        }
        var renderer = CardsRenderer()
        renderer.csvWriter = output.csvWriter
        Console.show(renderer.renderCheck(result, as: output.format.format), as: output.format)
        if !result.isClean { throw ExitCode(1) }
    }
}

public struct CardsSyncCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Append a new dated point for every model whose price changed in LiteLLM's map, and a point for every new model.",
        discussion: """
            Never edits an existing point: each changed model gets a NEW [[price]] block effective --effective, \
            appended to its card with a source comment, so the result is a reviewable diff (`git diff`, then \
            `spend lint` and `spend audit`).

            Example:
              spend cards sync --litellm model_prices_and_context_window.json --effective 2026-12-01 --provider openai --dry-run
            """)

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var litellm: LiteLLMOption

    @Option(help: ArgumentHelp("The new points' effective date (YYYY-MM-DD).", valueName: "date"))
    var effective: String

    @Option(help: ArgumentHelp("Only this card's provider.", valueName: "name"))
    var provider: String?

    @Option(help: ArgumentHelp("Only map model names matching this glob (* and ?).", valueName: "glob"))
    var models: String?

    @Flag(help: "Print what would be written; write nothing.")
    var dryRun = false

    public init() {}

    public func validate() throws {
        guard effective.utf8.count == 10, Timestamp.parseDateOrTimestamp(effective) != nil else {
            throw ValidationError("--effective expects a date like 2026-12-01, got '\(effective)'")
        }
    }

    public func run() throws {
        let repo = try repository.repository()
        let book = try repo.workingTreePricing().book
        let map = try litellm.map(book: book, directory: repository.directory)
        var texts: [String: String] = [:]
        for card in book.cards {
            guard let data = FileManager.default.contents(atPath: repo.root + "/" + card.path) else { continue }
            texts[card.path] = String(decoding: data, as: UTF8.self)
        }
        let request = CardSyncRequest(
            effective: effective, syncedOn: String(Timestamp.format(millis: Timestamp.now()).prefix(10)), provider: provider,
            models: models)
        let plan = try CardSync.plan(book: book, cardTexts: texts, map: map, request: request)
        if !dryRun { try CardSync.write(plan, root: repo.root) }
        Console.out(CardsRenderer().renderSync(plan, written: !dryRun))
    }
}

public struct CardsListCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Every priced model and alias with the price in effect at a date.")

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var at: AtDateOption
    @OptionGroup var output: OutputOptions

    public init() {}

    public func run() throws {
        let book = try repository.repository().workingTreePricing().book
        var renderer = CardsRenderer()
        renderer.csvWriter = output.csvWriter
        Console.show(renderer.renderList(CardCatalog.list(book: book, at: at.millis), as: output.format.format), as: output.format)
    }
}

public struct CardsShowCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "What a model costs at a date: through which alias, from which point and commit, and its full point history.")

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: ArgumentHelp("The model name as served (a priced model or any name an alias claims).", valueName: "model"))
    var model: String

    @OptionGroup var at: AtDateOption
    @OptionGroup var output: OutputOptions

    public init() {}

    public func run() throws {
        let repo = try repository.repository()
        let book = try repo.workingTreePricing().book
        // Outside git, or before the first commit, points are shown without their commits.
        let history: CardHistory?
        do {
            history = try CardHistory(costRepository: repo)
        } catch SpendError.usage {
            history = nil
        }
        let histories = try CardCatalog.show(book: book, model: model, at: at.millis, history: history)
        var renderer = CardsRenderer()
        renderer.csvWriter = output.csvWriter
        Console.show(renderer.renderShow(histories, at: at.text, as: output.format.format), as: output.format)
    }
}
