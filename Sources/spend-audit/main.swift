import SpendCLI

Console.main(AuditCommand.self)
