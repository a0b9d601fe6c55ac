import ArgumentParser
import Foundation
import SpendCore

/// `spend-bench lint`: time `spend lint --staged` (1,000 newly staged lines on a
/// committed ledger of N events) and `spend lint --all` over the whole ledger.
public struct LintBenchmarkCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "lint",
        abstract: "Time `spend lint --staged` with 1,000 staged lines and `spend lint --all` over N committed events.")

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
        let fm = FileManager.default
        let spendPath = target.spendPath
        let sourceRoot = try target.sourceRoot()
        let perMonth = events / 4
        let marker = dir + "/.generated-\(perMonth)x4"
        // The harness drives git like a user would (the product itself never does).
        let git = ["-c", "user.name=bench", "-c", "user.email=bench@example.com", "-c", "commit.gpgsign=false", "-C", dir]
        if !fm.fileExists(atPath: marker) {
            try? fm.removeItem(atPath: dir)
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try SyntheticLedger(months: 4, eventsPerMonth: perMonth, seed: 7).write(to: dir)
            try fm.copyItem(atPath: sourceRoot + "/ratecards", toPath: dir + "/ratecards")
            try Self.git(git + ["init", "-q"])
            try Self.git(git + ["add", "-A"])
            try Self.git(git + ["commit", "-q", "-m", "ledger"])
            fm.createFile(atPath: marker, contents: nil)
        }
        // Start from the committed state, then append and stage `staged` lines.
        try Self.git(git + ["reset", "-q", "--hard"])
        let shard = "ledger/2026/2026-10.jsonl"
        var lines = ""
        SyntheticLedger(startYear: 2026, startMonth: 10, months: 1, eventsPerMonth: staged, seed: 99).generate(month: 0) { event in
            lines += event.jsonLine + "\n"
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/" + shard))
        handle.seekToEndOfFile()
        handle.write(Data(lines.utf8))
        try handle.close()
        try Self.git(git + ["add", shard])
        Console.out("ledger: \(perMonth * 4) events committed in 4 shards, \(staged) lines staged; \(ProcessInfo.processInfo.activeProcessorCount) cores")

        for arguments in [["lint", "-C", dir, "--staged"], ["lint", "-C", dir, "--all"]] {
            // The first run (reported apart) fills the id cache of the unchanged shards.
            let (first, times) = try BenchProcess.time(spendPath, arguments, runs: runs)
            Console.out(
                String(
                    format: "spend lint %@: median %.3f s over %d runs (min %.3f); first run %.3f s",
                    arguments.dropFirst(3).joined(separator: " "), times[times.count / 2], times.count, times.first!, first))
        }
        try Self.git(git + ["reset", "-q", "--hard"])
    }

    static func git(_ arguments: [String]) throws {
        let (status, output) = try BenchProcess.execute("/usr/bin/env", ["git"] + arguments)
        guard status == 0 else { throw ValidationError("git \(arguments.joined(separator: " ")) failed:\n\(output)") }
    }
}
