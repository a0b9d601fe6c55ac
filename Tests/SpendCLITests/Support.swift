import Foundation
import SpendCLI
import SpendTestSupport
import XCTest

// How these tests run spend. The rule: a test runs spend IN PROCESS
// (`runSpend`, `TestRepo.spend`, `spendReport`, `lintSpend`): `Console.run`
// with the test's arguments, directory, environment, standard input and two
// output buffers, exactly what `main` does for a process minus `exit`. A test
// starts a real PROCESS (`runProcess`, `lintExec`, `spendGuarded`) only when
// the process itself is what it checks:
// - the `spend-VERB` executables' names, exit statuses and `--version`;
// - git running spend (hooks: pre-commit, pre-receive, `spend hooks install`);
// - several processes at once (concurrent appends, the shard lock);
// - a process killed or signalled (AppendCrashTests' kill -9, the hang guard).
// Everything else a process has (directory, environment, stdin, stdout,
// stderr) is part of the invocation, so in process is the same run.

/// The result of running a process: exit status and captured output.
struct RunResult {
    var status: Int32
    var stdout: String
    var stderr: String

    /// Non-empty lines of stdout.
    var lines: [String] { stdout.split(separator: "\n").map(String.init) }
}

/// Paths shared by every end-to-end test.
enum Paths {
    /// The package root.
    static let packageRoot: URL = TestPaths.packageRoot

    /// The directory holding the built `spend` and `spend-report` executables.
    static let binaries: URL = {
        let fm = FileManager.default
        var candidates = [Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent()]
        if let first = CommandLine.arguments.first {
            candidates.append(URL(fileURLWithPath: first).deletingLastPathComponent())
        }
        candidates.append(packageRoot.appendingPathComponent(".build/debug"))
        for dir in candidates where fm.isExecutableFile(atPath: dir.appendingPathComponent("spend").path) {
            return dir
        }
        return Bundle.main.bundleURL
    }()

    static func executable(_ name: String) -> URL { binaries.appendingPathComponent(name) }

    /// Finds `git` on PATH.
    static let git: URL = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(dir)).appendingPathComponent("git")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return URL(fileURLWithPath: "/usr/bin/git")
    }()
}

/// Runs `executable` with `arguments` in `directory`, capturing stdout, stderr and the exit status.
/// With `input`, standard input is fed from it through a pipe (else /dev/null).
func runProcess(
    _ executable: URL, _ arguments: [String], in directory: URL, environment: [String: String] = [:], input: Data? = nil
) throws -> RunResult {
    let fm = FileManager.default
    let scratch = fm.temporaryDirectory.appendingPathComponent("spend-cli-out-\(UUID().uuidString)")
    try fm.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? fm.removeItem(at: scratch) }
    let outURL = scratch.appendingPathComponent("stdout")
    let errURL = scratch.appendingPathComponent("stderr")
    _ = fm.createFile(atPath: outURL.path, contents: nil)
    _ = fm.createFile(atPath: errURL.path, contents: nil)
    let outHandle = try FileHandle(forWritingTo: outURL)
    let errHandle = try FileHandle(forWritingTo: errURL)

    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    process.currentDirectoryURL = directory
    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    process.environment = env
    process.standardOutput = outHandle
    process.standardError = errHandle
    let pipe = input.map { _ in Pipe() }
    process.standardInput = pipe ?? FileHandle.nullDevice
    try process.run()
    if let input, let writer = pipe?.fileHandleForWriting {
        // Feed from another thread: the input may be larger than the pipe's buffer.
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            writer.write(input)
            try? writer.close()
            done.signal()
        }
        process.waitUntilExit()
        done.wait()
    } else {
        process.waitUntilExit()
    }
    try outHandle.close()
    try errHandle.close()
    let out = String(decoding: try Data(contentsOf: outURL), as: UTF8.self)
    let err = String(decoding: try Data(contentsOf: errURL), as: UTF8.self)
    return RunResult(status: process.terminationStatus, stdout: out, stderr: err)
}

/// Runs the `tool` executable's command (`spend`, `spend-report`, …) in this
/// process, in `directory`, with the test process's environment plus
/// `environment`, and `input` (else nothing) on standard input; what a
/// process launch of the same executable would return, without the launch.
func runSpend(
    _ tool: String = "spend", _ arguments: [String], in directory: URL, environment: [String: String] = [:], input: Data? = nil
) throws -> RunResult {
    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    let out = OutputBuffer()
    let err = OutputBuffer()
    let invocation = Invocation(
        arguments: arguments, directory: directory.path, environment: env, standardInput: .bytes(input.map { Array($0) } ?? []),
        standardOutput: .buffer(out), standardError: .buffer(err))
    let status: Int32
    switch tool {
    case "spend": status = Console.run(SpendCommand.self, invocation)
    case "spend-report": status = Console.run(ReportCommand.self, invocation)
    case "spend-lint": status = Console.run(LintCommand.self, invocation)
    case "spend-append": status = Console.run(AppendCommand.self, invocation)
    case "spend-diff": status = Console.run(DiffCommand.self, invocation)
    case "spend-reprice": status = Console.run(RepriceCommand.self, invocation)
    case "spend-audit": status = Console.run(AuditCommand.self, invocation)
    default: preconditionFailure("no spend executable named \(tool)")
    }
    return RunResult(status: status, stdout: out.text, stderr: err.text)
}

/// A temporary git repository laid out as a cost repository.
final class TestRepo {
    let root: URL

    /// Creates an empty temp dir; with `git`, runs `git init`; with `cards`, copies the bundled rate cards.
    init(git: Bool = true, cards: Bool = true, subdirectory: String? = nil) throws {
        let fm = FileManager.default
        let base = fm.temporaryDirectory.appendingPathComponent("spend-cli-test-\(UUID().uuidString)")
        try fm.createDirectory(at: base, withIntermediateDirectories: true)
        let resolved = base.resolvingSymlinksInPath()
        gitRoot = resolved
        root = subdirectory.map { resolved.appendingPathComponent($0) } ?? resolved
        try fm.createDirectory(at: root, withIntermediateDirectories: true)
        if git { try self.git("init", "-q", "-b", "main") }
        if cards {
            try fm.createDirectory(at: root.appendingPathComponent("ratecards"), withIntermediateDirectories: true)
            let source = Paths.packageRoot.appendingPathComponent("ratecards")
            for name in try fm.contentsOfDirectory(atPath: source.path) where name.hasSuffix(".toml") {
                try fm.copyItem(at: source.appendingPathComponent(name), to: root.appendingPathComponent("ratecards/\(name)"))
            }
        }
    }

    /// The directory `git init` ran in (the cost repository may be a subdirectory).
    let gitRoot: URL

    /// Removes the whole temporary tree.
    func remove() {
        try? FileManager.default.removeItem(at: gitRoot)
    }

    func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    /// Writes (replaces) a file, creating directories.
    func write(_ relative: String, _ text: String) throws {
        let url = url(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    /// Appends to a file (creating it).
    func append(_ relative: String, _ text: String) throws {
        let existing = (try? String(contentsOf: url(relative), encoding: .utf8)) ?? ""
        try write(relative, existing + text)
    }

    func read(_ relative: String) throws -> String {
        try String(contentsOf: url(relative), encoding: .utf8)
    }

    /// Writes a ledger shard: one event line per element.
    func writeLedger(_ relative: String, _ events: [String]) throws {
        try write(relative, events.map { $0 + "\n" }.joined())
    }

    /// Replaces exactly one occurrence of `old` in a file (fails the caller if absent).
    func replace(in relative: String, _ old: String, with new: String) throws {
        let text = try read(relative)
        guard let range = text.range(of: old) else {
            throw NSError(domain: "TestRepo", code: 1, userInfo: [NSLocalizedDescriptionKey: "\(old) not found in \(relative)"])
        }
        try write(relative, text.replacingCharacters(in: range, with: new))
    }

    /// Runs `git` in the repository; throws when it fails.
    @discardableResult
    func git(_ args: String...) throws -> String {
        let result = try runProcess(
            Paths.git, ["-c", "user.name=t", "-c", "user.email=t@e", "-c", "commit.gpgsign=false"] + args, in: root,
            environment: ["GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null"])
        guard result.status == 0 else {
            throw NSError(
                domain: "git", code: Int(result.status),
                userInfo: [NSLocalizedDescriptionKey: "git \(args.joined(separator: " ")) failed: \(result.stderr)"])
        }
        return result.stdout
    }

    /// Stages everything and commits.
    func commitAll(_ message: String) throws {
        try git("add", "-A")
        try git("commit", "-q", "-m", message)
    }

    /// Runs `spend ARGS` in process with the repository as cwd (or `cwd`).
    func spend(_ args: String..., cwd: URL? = nil) throws -> RunResult {
        try runSpend("spend", args, in: cwd ?? root)
    }

    /// Runs `spend-report ARGS` in process with the repository as cwd.
    func spendReport(_ args: String..., cwd: URL? = nil) throws -> RunResult {
        try runSpend("spend-report", args, in: cwd ?? root)
    }
}

/// One ledger line, keys in canonical order.
func event(
    ts: String, id: String, provider: String = "openai", model: String = "gpt-4o", input: Int, cached: Int? = nil,
    cacheWrite: Int? = nil, output: Int, tags: [(String, String)] = [], extra: String = ""
) -> String {
    var parts = [
        "\"ts\":\"\(ts)\"", "\"id\":\"\(id)\"", "\"provider\":\"\(provider)\"", "\"model\":\"\(model)\"",
    ]
    if !extra.isEmpty { parts.append(extra) }
    parts.append("\"input_tokens\":\(input)")
    if let cached { parts.append("\"cached_input_tokens\":\(cached)") }
    if let cacheWrite { parts.append("\"cache_write_tokens\":\(cacheWrite)") }
    parts.append("\"output_tokens\":\(output)")
    let tagText = tags.map { "\"\($0.0)\":\"\($0.1)\"" }.joined(separator: ",")
    parts.append("\"tags\":{\(tagText)}")
    return "{" + parts.joined(separator: ",") + "}"
}

extension XCTestCase {
    /// A fresh temporary cost repository, removed when the test ends.
    func makeRepo(git: Bool = true, cards: Bool = true, subdirectory: String? = nil) throws -> TestRepo {
        let repo = try TestRepo(git: git, cards: cards, subdirectory: subdirectory)
        let dir = repo.gitRoot
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return repo
    }

    /// A fresh empty temporary directory, removed when the test ends.
    func makeTempDir() throws -> URL {
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("spend-cli-empty-\(UUID().uuidString)").resolvingSymlinksInPath()
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir
    }

    /// Asserts success (exit 0, empty stderr) with a helpful message.
    func assertOK(_ r: RunResult, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.status, 0, "exit \(r.status); stderr:\n\(r.stderr)\nstdout:\n\(r.stdout)", file: file, line: line)
    }

    /// Asserts an input or usage error: exit 2, nothing on stdout, something on stderr.
    func assertRejected(_ r: RunResult, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.status, 2, "expected exit 2; stderr:\n\(r.stderr)\nstdout:\n\(r.stdout)", file: file, line: line)
        XCTAssertEqual(r.stdout, "", "nothing should be reported on stdout", file: file, line: line)
        XCTAssertFalse(r.stderr.isEmpty, "expected a message on stderr", file: file, line: line)
    }

    /// Whitespace-separated cells of the table line whose first cell is `label`.
    func tableRow(_ r: RunResult, _ label: String) -> [String]? {
        for line in r.lines {
            let cells = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            if cells.first == label { return cells }
        }
        return nil
    }
}

/// Standard fixture events (2025, gpt-4o priced 2.50 in / 10.00 out per 1M from 2024-10-01).
enum Fixture {
    /// growth, prod: 2,000 in / 500 out → 0.005 + 0.005 = 0.01
    static let growth = event(
        ts: "2025-01-01T10:00:00Z", id: "req-growth", input: 2000, output: 500, tags: [("team", "growth"), ("env", "prod")])
    /// search, dev: 1,000 in / 100 out → 0.0025 + 0.001 = 0.0035
    static let search = event(
        ts: "2025-01-02T10:00:00Z", id: "req-search", input: 1000, output: 100, tags: [("team", "search"), ("env", "dev")])
}
