import SpendCLI

Console.main(AppendCommand.self)
