import ArgumentParser
import SpendCore

/// `spend hooks`: git hooks of a cost repository.
public struct HooksCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "hooks",
        abstract: "Install the pre-commit hook that runs `spend lint --staged`.",
        subcommands: [HooksInstallCommand.self, HooksShowCommand.self])

    public init() {}
}

/// `spend hooks install`.
public struct HooksInstallCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Install the pre-commit hook (honours core.hooksPath; keeps an existing hook and runs it first).",
        discussion: """
            Writes a pre-commit hook that runs `spend lint --staged` into the repository's hooks \
            directory (core.hooksPath when set, else .git/hooks). An existing hook that is not spend's \
            is moved to pre-commit.local and still runs, first. Installing again only refreshes spend's hook.
            """)

    @OptionGroup public var repository: RepositoryOptions

    public init() {}

    public func run() throws {
        let workspace = LintWorkspace(costRepository: try repository.repository())
        let git = try workspace.requireGit(for: "spend hooks install")
        let done = try PreCommitHook.install(into: git, costDirectory: workspace.prefix)
        if let chained = done.chained {
            Console.out("installed \(done.path) (the hook that was there is now \(chained) and runs first)")
        } else if done.updated {
            Console.out("updated \(done.path)")
        } else {
            Console.out("installed \(done.path)")
        }
    }
}

/// `spend hooks show`: print the hook script.
public struct HooksShowCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Print the pre-commit hook script that `install` writes.")

    @OptionGroup public var repository: RepositoryOptions

    public init() {}

    public func run() throws {
        var prefix = ""
        if let repo = try? repository.repository() { prefix = LintWorkspace(costRepository: repo).prefix }
        var text = PreCommitHook.script(costDirectory: prefix)
        if text.hasSuffix("\n") { text.removeLast() }
        Console.data(text)
    }
}
