import SpendCLI

Console.main(ReportCommand.self)
