import SpendCLI

Console.main(SpendCommand.self)
