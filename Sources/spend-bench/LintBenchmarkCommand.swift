import ArgumentParser
import Foundation
import SpendCLI
import SpendCore
import SpendTestSupport

/// `spend-bench lint`: time `spend lint --staged` (1,000 newly staged lines on a
/// committed ledger of N events), plain `spend lint` (the same lines, from the
/// working tree) and `spend lint --all` over the whole ledger.
public struct LintBenchmarkCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "lint",
        abstract: "Time `spend lint --staged` with 1,000 staged lines, plain `spend lint`, and `spend lint --all` over N committed events.")

    @Option(help: "Events in the committed ledger (4 monthly shards).")
    public var events: Int = 1_000_000

    @Option(help: "Lines appended and staged before `--staged`.")
    public var staged: Int = 1_000

    @Option(help: "Timed runs of each command (the median is reported).")
    public var runs: Int = 5

    @Option(help: "Where to build the benchmark repository (kept between runs).")
    public var dir: String = "/tmp/spend-bench-lint"

    @OptionGroup public var target: BenchmarkTarget

    public init() {}

    public func run() throws {
        let spendPath = target.spendPath
        let repository = BenchRepository(dir: dir)
        try repository.prepare(SyntheticLedger(months: 4, eventsPerMonth: events / 4, seed: 7), sourceRoot: try target.sourceRoot())
        // Start from the committed state, then append and stage `staged` lines.
        try repository.git("reset", "-q", "--hard")
        let shard = "ledger/2026/2026-10.jsonl"
        var lines = ""
        SyntheticLedger(startYear: 2026, startMonth: 10, months: 1, eventsPerMonth: staged, seed: 99).generate(month: 0) { event in
            lines += event.jsonLine + "\n"
        }
        try repository.append(lines, to: shard)
        try repository.git("add", shard)
        Console.out("ledger: \(events / 4 * 4) events committed in 4 shards, \(staged) lines staged; \(ProcessInfo.processInfo.activeProcessorCount) cores")

        // The default mode checks the same staged lines from the working tree.
        for arguments in [["lint", "-C", dir, "--staged"], ["lint", "-C", dir], ["lint", "-C", dir, "--all"]] {
            // The first run (reported apart) fills the id cache of the unchanged shards.
            let (first, times) = try BenchProcess.time(spendPath, arguments, runs: runs)
            let mode = arguments.count > 3 ? arguments.dropFirst(3).joined(separator: " ") : "(default)"
            Console.out(
                String(
                    format: "spend lint %@: median %.3f s over %d runs (min %.3f); first run %.3f s",
                    mode, times[times.count / 2], times.count, times.first!, first))
        }
        try repository.git("reset", "-q", "--hard")
    }
}
