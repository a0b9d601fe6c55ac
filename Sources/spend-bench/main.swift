import SpendCLI

Console.main(BenchCommand.self)
