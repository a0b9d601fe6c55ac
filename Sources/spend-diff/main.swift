import SpendCLI

Console.main(DiffCommand.self)
