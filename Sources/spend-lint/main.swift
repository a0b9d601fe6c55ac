import SpendCLI

Console.main(LintCommand.self)
