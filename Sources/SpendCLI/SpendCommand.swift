import ArgumentParser
import SpendCore

/// The umbrella `spend` command: every verb as a subcommand (`spend report` ≡ `spend-report`).
public struct SpendCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "spend",
        abstract: "A git-native ledger for LLM API spend.",
        discussion: "Cost events (JSON Lines) and provider rate cards (TOML) live as plain text in git; spend prices, reports and explains them.",
        version: SpendVersion.string,
        subcommands: [
            ReportCommand.self, AppendCommand.self, LintCommand.self, DiffCommand.self, ReleasesCommand.self, RepriceCommand.self,
            AuditCommand.self, CardsCommand.self, InitCommand.self, HooksCommand.self, DemoCommand.self, ImportCommand.self, VoidCommand.self, RetagCommand.self,
            ReplaceCommand.self,
        ])

    public init() {}
}

/// The version printed by `--version`.
public enum SpendVersion {
    public static let string = "0.1.0"
}
