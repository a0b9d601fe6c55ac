import ArgumentParser
import Foundation
import SpendCLI
import SpendCore
import SpendTestSupport

/// `spend-bench`: the repository's own benchmark and sample-ledger generator.
public struct BenchCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "spend-bench",
        abstract: "Generate deterministic ledgers and time spend on them.",
        subcommands: [
            RunBenchmarkCommand.self, AppendBenchmarkCommand.self, LintBenchmarkCommand.self, AuditBenchmarkCommand.self, DiffBenchmarkCommand.self,
            ImportBenchmarkCommand.self,
            GenerateLedgerCommand.self,
        ],
        defaultSubcommand: RunBenchmarkCommand.self)

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
        let (events, bytes) = try generator.write(to: Invocation.current.resolve(dir))
        Console.out("wrote \(events) events (\(bytes) bytes) in \(months) shards under \(dir)/ledger")
    }
}

/// `spend-bench run`: generate N events in monthly shards and time
/// `spend report --by team` on them (release build), beside DuckDB when installed.
public struct RunBenchmarkCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Time `spend report --by team` over N synthetic events (and DuckDB on the same files, if installed).")

    @Option(help: "Number of events.")
    public var events: Int = 1_000_000

    @Option(help: "Number of monthly shards.")
    public var months: Int = 4

    @Option(help: "Timed runs (the median is reported).")
    public var runs: Int = 5

    @Option(help: "Where to write the benchmark repository (kept between runs; regenerated when the size differs).")
    public var dir: String = "/tmp/spend-bench"

    @OptionGroup public var target: BenchmarkTarget

    @Flag(help: "Also time DuckDB (python3 -m duckdb) on the same files.")
    public var duckdb = false

    public init() {}

    public func run() throws {
        let fm = FileManager.default
        let spendPath = target.spendPath
        let sourceRoot = try target.sourceRoot()
        let perMonth = events / months
        let marker = dir + "/.generated-\(perMonth)x\(months)"
        if !fm.fileExists(atPath: marker) {
            try? fm.removeItem(atPath: dir)
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let started = Date()
            let (n, bytes) = try SyntheticLedger(months: months, eventsPerMonth: perMonth, seed: 7).write(to: dir)
            Console.out("generated \(n) events, \(bytes / 1_000_000) MB in \(months) shards (\(String(format: "%.1f", Date().timeIntervalSince(started))) s)")
            fm.createFile(atPath: marker, contents: nil)
        }
        try? fm.removeItem(atPath: dir + "/ratecards")
        try fm.copyItem(atPath: sourceRoot + "/ratecards", toPath: dir + "/ratecards")
        let bytes = try fm.subpathsOfDirectory(atPath: dir + "/ledger").filter { $0.hasSuffix(".jsonl") }.reduce(0) {
            $0 + ((try fm.attributesOfItem(atPath: dir + "/ledger/" + $1)[.size] as? Int) ?? 0)
        }
        let total = perMonth * months
        Console.out("ledger: \(total) events, \(String(format: "%.1f", Double(bytes) / 1e6)) MB, \(months) shards; \(ProcessInfo.processInfo.activeProcessorCount) cores")

        // The first run warms the page cache.
        let times = try BenchProcess.time(spendPath, ["report", "-C", dir, "--by", "team", "--format", "csv"], runs: runs).sorted
        let median = times.sorted()[times.count / 2]
        Console.out(
            String(
                format: "spend report --by team: median %.3f s over %d runs (min %.3f) — %.0f events/s, %.0f MB/s",
                median, times.count, times.min()!, Double(total) / median, Double(bytes) / 1e6 / median))

        if duckdb {
            let script = sourceRoot + "/scripts/duckdb_report.py"
            let (status, output) = try BenchProcess.execute("/usr/bin/env", ["python3", script, dir + "/ledger", String(runs + 1)])
            guard status == 0 else {
                Console.out("duckdb: not run (\(output.split(separator: "\n").last ?? "python3 -c 'import duckdb' failed"))")
                return
            }
            var duck = output.split(separator: "\n").compactMap { line -> Double? in
                line.hasPrefix("duckdb_seconds ") ? Double(line.dropFirst(15)) : nil
            }
            duck.removeFirst()
            let duckMedian = duck.sorted()[duck.count / 2]
            Console.out(
                String(
                    format: "duckdb read_json + GROUP BY team: median %.3f s over %d runs (min %.3f) — %.0f events/s, %.0f MB/s",
                    duckMedian, duck.count, duck.min()!, Double(total) / duckMedian, Double(bytes) / 1e6 / duckMedian))
            Console.out(String(format: "spend / duckdb wall: %.2f×", median / duckMedian))
        }
    }
}
