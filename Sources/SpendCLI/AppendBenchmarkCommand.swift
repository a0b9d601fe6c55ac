import ArgumentParser
import Foundation
import SpendCore

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

    @Option(help: "The spend executable to time (default: the one next to spend-bench).")
    public var spend: String?

    public init() {}

    public func run() throws {
        let fm = FileManager.default
        let executableDir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let spendPath = spend ?? executableDir.appendingPathComponent("spend").path
        let sourceRoot = try CostRepository(directory: fm.currentDirectoryPath).root
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
        // Bulk imports go to other months; start each run from a clean slate.
        for month in ["2026-09", "2026-10"] { try? fm.removeItem(atPath: dir + "/ledger/2026/\(month).jsonl") }
        let shard = dir + "/ledger/2026/2026-08.jsonl"
        let size = (try fm.attributesOfItem(atPath: shard)[.size] as? Int) ?? 0
        Console.out("shard: \(events) events, \(String(format: "%.1f", Double(size) / 1e6)) MB; \(ProcessInfo.processInfo.activeProcessorCount) cores")

        // Single appends: the first builds the shard's id index (reported apart).
        var times: [Double] = []
        for n in 0...runs {
            let arguments = [
                "append", "-C", dir, "-q", "--provider", "openai", "--model", "gpt-4o", "--input", String(1000 + n),
                "--output", "200", "--ts", "2026-08-15T12:00:00.\(String(format: "%03d", n))Z",
                "--tag", "team=bench", "--tag", "feature=append", "--tag", "env=prod",
            ]
            // posix_spawn and waitpid, like a shell: Foundation's Process adds ~50 ms per launch here.
            let (status, seconds) = try Self.spawn(spendPath, arguments)
            guard status == 0 else {
                let (_, output) = try RunBenchmarkCommand.execute(spendPath, arguments)
                throw ValidationError("spend append failed (\(status)):\n\(output)")
            }
            times.append(seconds)
        }
        let first = times.removeFirst()
        let median = times.sorted()[times.count / 2]
        Console.out(
            String(
                format: "spend append (1 event, shard of %d): median %.1f ms over %d runs (min %.1f, max %.1f); first run %.0f ms (builds the id index)",
                events, median * 1000, times.count, times.min()! * 1000, times.max()! * 1000, first * 1000))

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
            try? fm.removeItem(atPath: dir + "/ledger/2026/2026-09.jsonl")
            let (status, seconds) = try Self.spawn(spendPath, ["append", "-C", dir, "-q", "--stdin"], stdin: input)
            guard status == 0 else {
                let (_, output) = try Self.execute(spendPath, ["append", "-C", dir, "-q", "--stdin"], stdin: input)
                throw ValidationError("spend append --stdin failed (\(status)):\n\(output.prefix(2000))")
            }
            bulkTimes.append(seconds)
        }
        let bulkMedian = bulkTimes.sorted()[1]
        Console.out(
            String(
                format: "spend append --stdin (%d events, %.1f MB): median %.3f s of 3 — %.0f events/s",
                bulk, Double(text.utf8.count) / 1e6, bulkMedian, Double(bulk) / bulkMedian))
    }

    /// Runs `path` with output discarded; returns its exit status and wall time.
    static func spawn(_ path: String, _ arguments: [String], stdin: String = "/dev/null") throws -> (Int32, Double) {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let started = Timestamp.monotonicSeconds()
        let code = posix_spawn(&pid, path, &actions, nil, argv, environ)
        guard code == 0 else { throw ValidationError("cannot run \(path): \(String(cString: strerror(code)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let seconds = Timestamp.monotonicSeconds() - started
        let exited = status & 0x7f == 0
        return (exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), seconds)
    }

    static func execute(_ path: String, _ arguments: [String], stdin: String) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle(forReadingAtPath: stdin)
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
