import Foundation
import SpendTestSupport
import XCTest

/// The output of a process run by the lint and hooks tests.
struct LintRun {
    var status: Int32
    var stdout: String
    var stderr: String
    /// stdout and stderr together (git prints a hook's output on stderr).
    var output: String { stdout + stderr }
}

/// Paths for the lint and hooks tests.
enum LintPaths {
    static let packageRoot: URL = TestPaths.packageRoot

    /// The directory of the built executables (spend, spend-lint).
    static let binaries: URL = {
        let fm = FileManager.default
        var candidates = [Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent()]
        if let first = CommandLine.arguments.first {
            candidates.append(URL(fileURLWithPath: first).deletingLastPathComponent())
        }
        candidates.append(packageRoot.appendingPathComponent(".build/debug"))
        for dir in candidates where fm.isExecutableFile(atPath: dir.appendingPathComponent("spend-lint").path) {
            return dir
        }
        return Bundle.main.bundleURL
    }()

    static func executable(_ name: String) -> String { binaries.appendingPathComponent(name).path }

    /// PATH with the built spend first.
    static var pathWithSpend: String {
        binaries.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
    }
}

/// Runs a process with a controlled environment: a fixed git identity, no
/// global or system git configuration, and `PATH` as given.
func lintExec(_ executable: String, _ arguments: [String], in directory: URL, path: String = LintPaths.pathWithSpend, extra: [String: String] = [:])
    throws -> LintRun
{
    let fm = FileManager.default
    let scratch = fm.temporaryDirectory.appendingPathComponent("spend-lint-out-\(UUID().uuidString)")
    try fm.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? fm.removeItem(at: scratch) }
    let outURL = scratch.appendingPathComponent("out")
    let errURL = scratch.appendingPathComponent("err")
    _ = fm.createFile(atPath: outURL.path, contents: nil)
    _ = fm.createFile(atPath: errURL.path, contents: nil)
    let out = try FileHandle(forWritingTo: outURL)
    let err = try FileHandle(forWritingTo: errURL)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.currentDirectoryURL = directory
    var env = ProcessInfo.processInfo.environment
    env["PATH"] = path
    env["GIT_AUTHOR_NAME"] = "t"
    env["GIT_AUTHOR_EMAIL"] = "t@example.com"
    env["GIT_COMMITTER_NAME"] = "t"
    env["GIT_COMMITTER_EMAIL"] = "t@example.com"
    env["GIT_CONFIG_GLOBAL"] = "/dev/null"
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    env["HOME"] = scratch.path
    for (k, v) in extra { env[k] = v }
    process.environment = env
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    try out.close()
    try err.close()
    return LintRun(
        status: process.terminationStatus, stdout: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
        stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
}

/// Runs `tool` (`spend`, `spend-lint`) in process with `lintExec`'s
/// controlled environment (see the rule in Support.swift).
func lintSpend(_ tool: String, _ arguments: [String], in directory: URL, path: String = LintPaths.pathWithSpend, extra: [String: String] = [:])
    throws -> LintRun
{
    var env = [
        "PATH": path, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1",
    ]
    for (k, v) in extra { env[k] = v }
    let r = try runSpend(tool, arguments, in: directory, environment: env)
    return LintRun(status: r.status, stdout: r.stdout, stderr: r.stderr)
}

/// A temporary git repository holding a cost repository (bundled rate cards copied in).
final class LintSandbox {
    /// Top of the git working tree.
    let top: URL
    /// The cost repository (`top`, or a subdirectory of it).
    let root: URL

    /// The policy most tests use: team and env required, env values, a team
    /// pattern, staging may not use gpt-4o, an input limit.
    static let policy = """
        [policy]
        required_tags = ["team", "env"]

        [policy.tags.env]
        allowed = ["prod", "staging", "dev"]

        [policy.tags.team]
        pattern = "^[a-z][a-z0-9-]*$"

        [policy.env.staging]
        deny_models = ["gpt-4o", "claude-opus-*"]

        [policy.limits]
        max_input_tokens = 500000

        """

    init(policy: String? = LintSandbox.policy, subdirectory: String? = nil, git: Bool = true, cards: Bool = true) throws {
        let fm = FileManager.default
        let base = fm.temporaryDirectory.appendingPathComponent("spend-lint-test-\(UUID().uuidString)").resolvingSymlinksInPath()
        try fm.createDirectory(at: base, withIntermediateDirectories: true)
        let top = base.resolvingSymlinksInPath()
        self.top = top
        root = subdirectory.map { top.appendingPathComponent($0) } ?? top
        try fm.createDirectory(at: root.appendingPathComponent("ledger/2026"), withIntermediateDirectories: true)
        if git { try self.git("init", "-q", "-b", "main") }
        if cards {
            try fm.createDirectory(at: root.appendingPathComponent("ratecards"), withIntermediateDirectories: true)
            let source = LintPaths.packageRoot.appendingPathComponent("ratecards")
            for name in try fm.contentsOfDirectory(atPath: source.path) where name.hasSuffix(".toml") {
                try fm.copyItem(at: source.appendingPathComponent(name), to: root.appendingPathComponent("ratecards/" + name))
            }
        }
        if let policy { try write("spend.toml", policy) }
    }

    deinit { try? FileManager.default.removeItem(at: top) }

    func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    func write(_ relative: String, _ text: String) throws {
        let u = url(relative)
        try FileManager.default.createDirectory(at: u.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: u)
    }

    func append(_ relative: String, _ text: String) throws {
        if !FileManager.default.fileExists(atPath: url(relative).path) { try write(relative, "") }
        let handle = try FileHandle(forWritingTo: url(relative))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
        try handle.close()
    }

    func read(_ relative: String) throws -> String {
        String(decoding: try Data(contentsOf: url(relative)), as: UTF8.self)
    }

    /// Appends events (one per line) to a shard.
    func appendEvents(_ relative: String, _ events: [String]) throws {
        try append(relative, events.map { $0 + "\n" }.joined())
    }

    func replace(in relative: String, _ old: String, with new: String) throws {
        let text = try read(relative)
        precondition(text.contains(old), "\(old) not in \(relative)")
        try write(relative, text.replacingOccurrences(of: old, with: new))
    }

    @discardableResult
    func git(_ args: String..., path: String = LintPaths.pathWithSpend) throws -> LintRun {
        try lintExec("/usr/bin/git", args, in: top, path: path)
    }

    /// `git add -A && git commit` (hooks run unless `verify` is false).
    @discardableResult
    func commitAll(_ message: String, verify: Bool = true, path: String = LintPaths.pathWithSpend) throws -> LintRun {
        try lintExec("/usr/bin/git", ["add", "-A"], in: top, path: path)
        var args = ["commit", "-q", "-m", message]
        if !verify { args.append("--no-verify") }
        return try lintExec("/usr/bin/git", args, in: top, path: path)
    }

    /// Runs `spend ARGS` in process in the cost repository.
    func spend(_ args: [String], in directory: URL? = nil) throws -> LintRun {
        try lintSpend("spend", args, in: directory ?? root)
    }

    /// Runs `spend lint ARGS` in the cost repository.
    func lint(_ args: String...) throws -> LintRun {
        try spend(["lint"] + args)
    }

    /// Runs `spend lint ARGS --format json` and decodes it.
    func lintJSON(_ args: String...) throws -> (LintRun, [String: Any]) {
        try lintJSON(args)
    }

    func lintJSON(_ args: [String]) throws -> (LintRun, [String: Any]) {
        let run = try spend(["lint"] + args + ["--format", "json"])
        let object = (try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8))) as? [String: Any] ?? [:]
        return (run, object)
    }
}

/// One ledger line in canonical key order.
func lintEvent(
    id: String, ts: String = "2026-11-03T14:22:05.123Z", provider: String = "openai", model: String = "gpt-4o-mini",
    input: Int = 1000, output: Int = 50, tags: [String: String] = ["team": "growth", "env": "prod"], extra: String = ""
) -> String {
    let tagText = tags.keys.sorted().map { "\"\($0)\":\"\(tags[$0]!)\"" }.joined(separator: ",")
    return "{\"ts\":\"\(ts)\",\"id\":\"\(id)\",\"provider\":\"\(provider)\",\"model\":\"\(model)\",\"input_tokens\":\(input),\"output_tokens\":\(output)\(extra),\"tags\":{\(tagText)}}"
}

/// The rule ids of a JSON lint result's findings, in order.
func lintRules(_ object: [String: Any]) -> [String] {
    ((object["findings"] as? [[String: Any]]) ?? []).compactMap { $0["rule"] as? String }
}

final class LintSandboxTests: XCTestCase {
    /// The executables the end-to-end tests run are built.
    func testExecutablesAreBuilt() {
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: LintPaths.executable("spend")), LintPaths.binaries.path)
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: LintPaths.executable("spend-lint")), LintPaths.binaries.path)
    }

    /// `spend-lint` is `spend lint`.
    func testSpendLintExecutableMatchesUmbrella() throws {
        let repo = try LintSandbox()
        try repo.appendEvents("ledger/2026/2026-11.jsonl", [lintEvent(id: "a", tags: ["env": "prod"])])
        let umbrella = try repo.lint()
        let direct = try lintExec(LintPaths.executable("spend-lint"), [], in: repo.root)
        XCTAssertEqual(umbrella.status, 1)
        XCTAssertEqual(direct.status, 1)
        XCTAssertEqual(umbrella.stdout, direct.stdout)
    }
}
