import ArgumentParser
import Foundation
import SpendCLI
import SpendCore
import SpendTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// `spend-bench append`: time one `spend append` process into a shard of N
/// events, and `spend append --stdin` bulk imports.
public struct AppendBenchmarkCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "append",
        abstract: "Time `spend append` into a large shard (one event per process) and `--stdin` bulk imports.")

    @Option(help: "Events already in the target shard.")
    public var events: Int = 1_000_000

    @Option(help: "Timed single-event appends (the median is reported).")
    public var runs: Int = 21

    @Option(help: "Events per --stdin bulk import.")
    public var bulk: Int = 200_000

    @Option(help: "Where to build the benchmark repository (kept between runs).")
    public var dir: String = "/tmp/spend-bench-append"

    @OptionGroup public var target: BenchmarkTarget

    public init() {}

    public func run() throws {
        let fm = FileManager.default
        let spendPath = target.spendPath
        let sourceRoot = try target.sourceRoot()
        let marker = dir + "/.generated-\(events)"
        // One shard of `events` events (2026-08), in a git repository.
        if !fm.fileExists(atPath: marker) {
            try? fm.removeItem(atPath: dir)
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
            _ = try GitRepository.initialize(at: dir)
            try SyntheticLedger(startYear: 2026, startMonth: 8, months: 1, eventsPerMonth: events, seed: 11).write(to: dir)
            fm.createFile(atPath: marker, contents: nil)
        }
        try? fm.removeItem(atPath: dir + "/ratecards")
        try fm.copyItem(atPath: sourceRoot + "/ratecards", toPath: dir + "/ratecards")
        // Bulk imports go to another month; start from a clean slate.
        let bulkShard = dir + "/ledger/2026/2026-09.jsonl"
        try? fm.removeItem(atPath: bulkShard)
        let shard = dir + "/ledger/2026/2026-08.jsonl"
        let size = (try fm.attributesOfItem(atPath: shard)[.size] as? Int) ?? 0
        Console.out("shard: \(events) events, \(String(format: "%.1f", Double(size) / 1e6)) MB; \(ProcessInfo.processInfo.activeProcessorCount) cores")

        // Single appends, each a new event (--ts varies), into the big shard.
        // The first run (reported apart) brings the shard's id index up to date.
        var times: [Double] = []
        for n in 0...runs {
            let arguments = [
                "append", "-C", dir, "-q", "--provider", "openai", "--model", "gpt-4o", "--input", String(1000 + n),
                "--output", "200", "--ts", "2026-08-15T12:00:00.\(String(format: "%03d", n))Z",
                "--tag", "team=bench", "--tag", "feature=append", "--tag", "env=prod",
            ]
            times.append(try Self.timed(spendPath, arguments))
        }
        let first = times.removeFirst()
        times.sort()
        Console.out(
            String(
                format: "spend append (1 event, shard of %d): median %.1f ms over %d runs (min %.1f, max %.1f); first run %.0f ms",
                events, times[times.count / 2] * 1000, times.count, times.first! * 1000, times.last! * 1000, first * 1000))

        // Bulk: `bulk` events with ids, ts, tags (an import), piped to --stdin.
        let input = dir + "/bulk.jsonl"
        var text = ""
        text.reserveCapacity(bulk * 400)
        SyntheticLedger(startYear: 2026, startMonth: 9, months: 1, eventsPerMonth: bulk, seed: 12).generate(month: 0) { event in
            var e = event
            e.cost = nil
            e.pricedWith = nil
            text += e.jsonLine
            text += "\n"
        }
        fm.createFile(atPath: input, contents: Data(text.utf8))
        var bulkTimes: [Double] = []
        for _ in 0..<3 {
            try? fm.removeItem(atPath: bulkShard)
            bulkTimes.append(try Self.timed(spendPath, ["append", "-C", dir, "-q", "--stdin"], stdin: input))
        }
        bulkTimes.sort()
        Console.out(
            String(
                format: "spend append --stdin (%d events, %.1f MB): median %.3f s of 3 — %.0f events/s",
                bulk, Double(text.utf8.count) / 1e6, bulkTimes[1], Double(bulk) / bulkTimes[1]))
    }

    /// One timed run; throws with the output when it fails.
    static func timed(_ path: String, _ arguments: [String], stdin: String = "/dev/null") throws -> Double {
        let (status, seconds) = try BenchProcess.spawn(path, arguments, stdin: stdin)
        guard status == 0 else {
            let (_, output) = try BenchProcess.execute(path, arguments, stdin: stdin)
            throw ValidationError("spend \(arguments.first ?? "") failed (\(status)):\n\(output.prefix(2000))")
        }
        return seconds
    }
}
