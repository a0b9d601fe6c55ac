import ArgumentParser
import Foundation
import SpendCLI
import SpendCore
import SpendTestSupport

/// `spend-bench diff`: time `spend diff HEAD~1 HEAD` on a committed ledger of
/// N events in monthly shards where the last commit changed one shard — cold
/// (empty diff cache), warm (the same diff again) and incremental (the cache
/// warm from the previous commit, one shard new) — beside full reports; then
/// the release diff `spend diff --releases R1..R2` cold and warm.
public struct DiffBenchmarkCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Time `spend diff HEAD~1 HEAD` (one shard changed) cold and warm, beside `spend report` over the same N events.")

    @Option(help: "Events in the committed ledger.")
    public var events: Int = 10_000_000

    @Option(help: "Monthly shards the events are spread over.")
    public var months: Int = 24

    @Option(help: "Lines appended to the last shard by each new commit.")
    public var changed: Int = 1_000

    @Option(help: "Timed runs of each command (the median is reported).")
    public var runs: Int = 3

    @Option(help: "The release diff also timed, cold and warm (release names the synthetic events carry).")
    public var releases: String = "v1.2.0..v1.3.0"

    @Option(help: "Where to build the benchmark repository (kept between runs).")
    public var dir: String = "/tmp/spend-bench-diff"

    @OptionGroup public var target: BenchmarkTarget

    public init() {}

    public func validate() throws {
        guard events > 0, months > 0, months <= 120 else { throw ValidationError("--events and --months must be positive (--months at most 120)") }
        guard changed > 0, runs > 0 else { throw ValidationError("--changed and --runs must be positive") }
    }

    /// The first month of the synthetic ledger (its models are priced from then on).
    static let start = (year: Int64(2026), month: Int64(7))

    public func run() throws {
        let fm = FileManager.default
        let spendPath = target.spendPath
        let perMonth = events / months
        let repository = BenchRepository(dir: dir)
        try repository.prepare(
            SyntheticLedger(startYear: Self.start.year, startMonth: Self.start.month, months: months, eventsPerMonth: perMonth, seed: 7),
            sourceRoot: try target.sourceRoot())
        // The last month's shard: where a running system appends.
        let last = Self.start.month - 1 + Int64(months - 1)
        let (year, month) = (Self.start.year + last / 12, last % 12 + 1)
        let shard = String(format: "ledger/%04d/%04d-%02d.jsonl", Int(year), Int(year), Int(month))
        var commits = 0
        func commitChange() throws {
            commits += 1
            var lines = ""
            SyntheticLedger(startYear: year, startMonth: month, months: 1, eventsPerMonth: changed, seed: 1000 + UInt64(commits))
                .generate(month: 0) { lines += $0.jsonLine + "\n" }
            try repository.append(lines, to: shard)
            try repository.git("commit", "-q", "-m", "append \(changed) events", "--", shard)
        }
        let cache = dir + "/.git/spend/diff-cache"
        Console.out(
            "ledger: \(perMonth * months) events committed in \(months) shards; each new commit appends \(changed) lines to \(shard); \(ProcessInfo.processInfo.activeProcessorCount) cores"
        )
        func report(_ label: String, _ times: [Double], first: Double? = nil) {
            var line = String(format: "%@: median %.3f s over %d runs (min %.3f)", label, times[times.count / 2], times.count, times.first!)
            if let first { line += String(format: "; first run %.3f s", first) }
            Console.out(line)
        }

        let (reportFirst, reportTimes) = try BenchProcess.time(spendPath, ["report", "-C", dir, "--by", "team"], runs: runs)
        report("spend report --by team (working tree)", reportTimes, first: reportFirst)
        let (revFirst, revTimes) = try BenchProcess.time(spendPath, ["report", "-C", dir, "--rev", "HEAD", "--by", "team"], runs: runs)
        report("spend report --rev HEAD --by team", revTimes, first: revFirst)

        try commitChange()
        let diff = ["diff", "-C", dir, "HEAD~1", "HEAD", "--by", "team"]
        var cold: [Double] = []
        for _ in 0..<runs {
            try? fm.removeItem(atPath: cache)
            cold.append(try BenchProcess.timeOnce(spendPath, diff))
        }
        report("spend diff HEAD~1 HEAD, cold (no diff cache)", cold.sorted())
        let (_, warm) = try BenchProcess.time(spendPath, diff, runs: runs)
        report("spend diff HEAD~1 HEAD, warm (same diff again)", warm)
        var incremental: [Double] = []
        for _ in 0..<runs {
            try commitChange()
            incremental.append(try BenchProcess.timeOnce(spendPath, diff))
        }
        report("spend diff HEAD~1 HEAD, warm cache, one shard new (after a new commit)", incremental.sorted())
        let releaseDiff = ["diff", "-C", dir, "--releases", releases, "--by", "feature"]
        var releaseCold: [Double] = []
        for _ in 0..<runs {
            try? fm.removeItem(atPath: cache)
            releaseCold.append(try BenchProcess.timeOnce(spendPath, releaseDiff))
        }
        report("spend diff --releases \(releases) --by feature, cold (no diff cache)", releaseCold.sorted())
        let (_, releaseWarm) = try BenchProcess.time(spendPath, releaseDiff, runs: runs)
        report("spend diff --releases \(releases) --by feature, warm", releaseWarm)
        Console.out(
            String(
                format: "cold diff / full report: %.2f (working tree), %.2f (--rev HEAD)", cold.sorted()[runs / 2] / reportTimes[runs / 2],
                cold.sorted()[runs / 2] / revTimes[runs / 2]))
    }
}
