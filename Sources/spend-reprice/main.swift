import SpendCLI

Console.main(RepriceCommand.self)
