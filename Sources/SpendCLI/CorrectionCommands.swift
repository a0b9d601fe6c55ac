import ArgumentParser
import SpendCore
import SpendRender

/// The flags every correcting verb shares.
public struct CorrectionOptions: ParsableArguments {
    @Flag(help: "Check and print the lines that would be written; write nothing.")
    public var dryRun = false
    @Flag(name: .shortAndLong, help: "Print nothing on success.")
    public var quiet = false

    public init() {}

    /// Checks each `--tag KEY=VALUE` (for `validate()`).
    static func validate(tags: [String]) throws {
        for tag in tags {
            do { _ = try DefaultTags.parsePair(tag) } catch { throw ValidationError(error) }
        }
    }

    /// The changes of `--tag KEY=VALUE` flags (`KEY=` removes the tag).
    static func changes(tags: [String]) throws -> EventChanges {
        var changes = EventChanges()
        for tag in tags {
            let (key, value) = try DefaultTags.parsePair(tag)
            changes.tags[key] = value.isEmpty ? .some(nil) : value
        }
        return changes
    }

    /// Prepares the corrections with a corrector of the repository (stamped now), then writes them (`finish`).
    func run(
        _ repository: RepositoryOptions, _ prepare: (Corrector, AppendSettings) throws -> [PreparedCorrection]
    ) throws {
        let corrector = try Corrector(repository: try repository.repository())
        let settings = Corrector.settings(now: Timestamp.now())
        try finish(corrector, try prepare(corrector, settings), settings)
    }

    /// Writes (or with --dry-run prints) the corrections and says what was done.
    func finish(_ corrector: Corrector, _ corrections: [PreparedCorrection], _ settings: AppendSettings) throws {
        let outcome = try corrector.write(corrections, settings: settings, dryRun: dryRun)
        if dryRun {
            var text = ""
            for event in outcome.events { text += String(decoding: event.line, as: UTF8.self) }
            Console.data(text)
            if !quiet { Console.err(AppendSummary.dryRunNote(outcome)) }
            return
        }
        if !quiet { Console.out(CorrectionSummary.summary(corrections)) }
    }
}

/// `spend void`: exclude events from every report by appending a void for each.
public struct VoidCommand: ParsableCommand, RejectsInput {
    public static let rejectionNote = "nothing was written"
    public static let configuration = CommandConfiguration(
        commandName: "void",
        abstract: "Exclude events from every report: append a void for each (the original lines are never touched).",
        discussion: """
            Each ID must be an event of the ledger (a line that cannot be read counts by the id written on it) \
            that no correction corrects yet; to undo a replace, void the replace's id. The voids are stamped \
            now, checked like appended events and written under the ledger lock; see docs/corrections.md.
            """,
        version: SpendVersion.string)

    @OptionGroup public var repository: RepositoryOptions
    @Argument(help: ArgumentHelp("Ids of the events to void.", valueName: "id"))
    public var ids: [String] = []
    @Option(help: ArgumentHelp("Why the events do not count (required; kept on each void line).", valueName: "text"))
    public var reason: String
    @OptionGroup public var options: CorrectionOptions

    public init() {}

    public func validate() throws {
        if ids.isEmpty { throw ValidationError("give the id of at least one event to void") }
    }

    public func run() throws {
        try options.run(repository) { corrector, settings in try corrector.voids(ids, reason: reason, settings: settings) }
    }
}

/// `spend retag`: replace an event with a copy whose tags are changed.
public struct RetagCommand: ParsableCommand, RejectsInput {
    public static let rejectionNote = "nothing was written"
    public static let configuration = CommandConfiguration(
        commandName: "retag",
        abstract: "Fix an event's tags: append a replace with the changed tags (the original line is never touched).",
        discussion: """
            The replace copies the event (same ts, so the same shard and period; same recorded cost), sets each \
            --tag KEY=VALUE (KEY= removes the tag), and is checked against spend.toml like any appended event. \
            See docs/corrections.md.
            """,
        version: SpendVersion.string)

    @OptionGroup public var repository: RepositoryOptions
    @Argument(help: ArgumentHelp("Id of the event to re-tag.", valueName: "id"))
    public var id: String
    @Option(name: .customLong("tag"), help: ArgumentHelp("A tag KEY=VALUE to set (KEY= removes it); repeatable.", valueName: "key=value"))
    public var tags: [String] = []
    @Option(help: ArgumentHelp("Why (kept on the replace line).", valueName: "text"))
    public var reason: String?
    @OptionGroup public var options: CorrectionOptions

    public init() {}

    public func validate() throws {
        if tags.isEmpty { throw ValidationError("give at least one --tag KEY=VALUE") }
        try CorrectionOptions.validate(tags: tags)
    }

    public func run() throws {
        let changes = try CorrectionOptions.changes(tags: tags)
        try options.run(repository) { corrector, settings in
            try corrector.replacement(of: id, changes: changes, reason: reason, settings: settings)
        }
    }
}

/// `spend replace`: replace an event with a copy whose model, provider, token counts or tags are changed.
public struct ReplaceCommand: ParsableCommand, RejectsInput {
    public static let rejectionNote = "nothing was written"
    public static let configuration = CommandConfiguration(
        commandName: "replace",
        abstract: "Fix an event's model, provider, tokens or tags: append a replace (the original line is never touched).",
        discussion: """
            The replace copies the event (same ts, so the same shard and period) with the changes; a change of \
            model, provider or tokens prices it again. See docs/corrections.md.
            """,
        version: SpendVersion.string)

    @OptionGroup public var repository: RepositoryOptions
    @Argument(help: ArgumentHelp("Id of the event to replace.", valueName: "id"))
    public var id: String
    @Option(help: "The provider that served the call.")
    public var provider: String?
    @Option(help: "The model that served the call.")
    public var model: String?
    @Option(name: .customLong("input"), parsing: .unconditional, help: ArgumentHelp("Uncached input tokens.", valueName: "n"))
    public var inputTokens: Int64?
    @Option(name: .customLong("output"), parsing: .unconditional, help: ArgumentHelp("Output tokens.", valueName: "n"))
    public var outputTokens: Int64?
    @Option(name: .customLong("cached-input"), parsing: .unconditional, help: ArgumentHelp("Input tokens read from the prompt cache.", valueName: "n"))
    public var cachedInputTokens: Int64?
    @Option(name: .customLong("cache-write"), parsing: .unconditional, help: ArgumentHelp("Input tokens written to the prompt cache.", valueName: "n"))
    public var cacheWriteTokens: Int64?
    @Option(name: .customLong("tag"), help: ArgumentHelp("A tag KEY=VALUE to set (KEY= removes it); repeatable.", valueName: "key=value"))
    public var tags: [String] = []
    @Option(help: ArgumentHelp("Why (kept on the replace line).", valueName: "text"))
    public var reason: String?
    @OptionGroup public var options: CorrectionOptions

    public init() {}

    public func validate() throws {
        try CorrectionOptions.validate(tags: tags)
        for (flag, value) in [("--input", inputTokens), ("--output", outputTokens), ("--cached-input", cachedInputTokens), ("--cache-write", cacheWriteTokens)] {
            if let value, value < 0 { throw ValidationError("\(flag) must be a non-negative integer, got \(value)") }
        }
    }

    public func run() throws {
        var changes = try CorrectionOptions.changes(tags: tags)
        changes.provider = provider
        changes.model = model
        changes.inputTokens = inputTokens
        changes.outputTokens = outputTokens
        changes.cachedInputTokens = cachedInputTokens
        changes.cacheWriteTokens = cacheWriteTokens
        try options.run(repository) { corrector, settings in
            try corrector.replacement(of: id, changes: changes, reason: reason, settings: settings)
        }
    }
}
