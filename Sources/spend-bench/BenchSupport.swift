import ArgumentParser
import Foundation
import SpendCLI
import SpendCore
import SpendTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// `--spend PATH`: the executable a benchmark times, and the source tree it runs from.
public struct BenchmarkTarget: ParsableArguments {
    @Option(help: "The spend executable to time (default: the one next to spend-bench).")
    public var spend: String?

    public init() {}

    /// The executable to time.
    public var spendPath: String {
        if let spend { return spend }
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        return directory.appendingPathComponent("spend").path
    }

    /// The cost repository holding the bundled rate cards (this source tree).
    public func sourceRoot() throws -> String {
        try CostRepository(directory: Invocation.current.directory).root
    }
}

/// Runs the processes a benchmark times.
public enum BenchProcess {
    /// Runs `path`, capturing stdout and stderr together.
    public static func execute(_ path: String, _ arguments: [String], stdin: String? = nil) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        if let stdin { process.standardInput = FileHandle(forReadingAtPath: stdin) }
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Runs `path` with output discarded, like a shell (posix_spawn and waitpid:
    /// Foundation's Process adds ~50 ms per launch here); returns the exit
    /// status and the wall time in seconds.
    public static func spawn(_ path: String, _ arguments: [String], stdin: String = "/dev/null") throws -> (Int32, Double) {
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

    /// Times `arguments` `runs + 1` times, dropping the first (warm-up); the
    /// timings sorted, fastest first. Throws with the output of a failed run.
    public static func time(_ path: String, _ arguments: [String], runs: Int, stdin: String = "/dev/null") throws -> (first: Double, sorted: [Double]) {
        var times: [Double] = []
        for _ in 0...runs { times.append(try timeOnce(path, arguments, stdin: stdin)) }
        let first = times.removeFirst()
        return (first, times.sorted())
    }

    /// The wall time of one run that must succeed; throws with its output when it fails.
    public static func timeOnce(_ path: String, _ arguments: [String], stdin: String = "/dev/null") throws -> Double {
        let (status, seconds) = try spawn(path, arguments, stdin: stdin)
        guard status == 0 else {
            let (_, output) = try execute(path, arguments, stdin: stdin)
            throw ValidationError("\(path) \(arguments.joined(separator: " ")) failed (\(status)):\n\(output.prefix(2000))")
        }
        return seconds
    }
}

/// A benchmark's git repository: a synthetic ledger committed with this
/// source tree's rate cards, generated once and kept between runs (a marker
/// file names the ledger's size). The harness drives git like a user would;
/// the product itself never does.
public struct BenchRepository {
    public let dir: String

    public init(dir: String) { self.dir = dir }

    /// Generates and commits `ledger` unless the repository already holds it.
    public func prepare(_ ledger: SyntheticLedger, sourceRoot: String) throws {
        let fm = FileManager.default
        let marker = dir + "/.generated-\(ledger.eventsPerMonth)x\(ledger.months)"
        if fm.fileExists(atPath: marker) { return }
        try? fm.removeItem(atPath: dir)
        try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        Console.out("generating \(ledger.eventsPerMonth * ledger.months) events in \(ledger.months) shards under \(dir) (once; kept for later runs)")
        try ledger.write(to: dir)
        try fm.copyItem(atPath: sourceRoot + "/ratecards", toPath: dir + "/ratecards")
        try git("init", "-q")
        try git("add", "-A")
        try git("commit", "-q", "-m", "ledger")
        fm.createFile(atPath: marker, contents: nil)
    }

    /// Appends `text` to the file at `path` (relative to the repository).
    public func append(_ text: String, to path: String) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/" + path))
        handle.seekToEndOfFile()
        handle.write(Data(text.utf8))
        try handle.close()
    }

    /// Runs git in the repository as a fixed, unsigned identity; throws with its output when it fails.
    public func git(_ arguments: String...) throws {
        let all = ["-c", "user.name=bench", "-c", "user.email=bench@example.com", "-c", "commit.gpgsign=false", "-C", dir] + arguments
        let (status, output) = try BenchProcess.execute("/usr/bin/env", ["git"] + all)
        guard status == 0 else { throw ValidationError("git \(arguments.joined(separator: " ")) failed:\n\(output)") }
    }
}
