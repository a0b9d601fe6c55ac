import ArgumentParser
import Foundation
import SpendCore

/// `spend-bench`: the repository's own benchmark and sample-ledger generator.
public struct BenchCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "spend-bench",
        abstract: "Generate deterministic ledgers and time spend on them.",
        subcommands: [GenerateLedgerCommand.self])

    public init() {}
}

/// `spend-bench generate`: write a deterministic synthetic ledger.
public struct GenerateLedgerCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write a deterministic synthetic ledger under <dir>/ledger/ (the bundled sample is made with this).")

    @Option(help: "Directory of the cost repository to write into.")
    public var dir: String = "."

    @Option(help: "Events per month.")
    public var eventsPerMonth: Int = 1000

    @Option(help: "Number of monthly shards.")
    public var months: Int = 4

    @Option(help: "First month, YYYY-MM.")
    public var start: String = "2026-08"

    @Option(help: "Random seed.")
    public var seed: UInt64 = 42

    public init() {}

    public func run() throws {
        let parts = start.split(separator: "-")
        guard parts.count == 2, let year = Int64(parts[0]), let month = Int64(parts[1]), (1...12).contains(month) else {
            throw ValidationError("--start expects YYYY-MM")
        }
        let generator = SyntheticLedger(startYear: year, startMonth: month, months: months, eventsPerMonth: eventsPerMonth, seed: seed)
        let (events, bytes) = try generator.write(to: dir)
        Console.out("wrote \(events) events (\(bytes) bytes) in \(months) shards under \(dir)/ledger")
    }
}
