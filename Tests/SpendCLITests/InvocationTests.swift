import Foundation
import SpendCLI
import XCTest

/// `Console.run`: one invocation in process, with its own directory,
/// environment, standard input and output, and nothing left behind in the
/// process (no chdir, no exit).
final class InvocationTests: XCTestCase {
    func testRunReturnsTheExitCodeAndLeavesTheWorkingDirectoryAlone() throws {
        let repo = try makeRepo()
        let before = FileManager.default.currentDirectoryPath
        XCTAssertEqual(try runSpend("spend", ["-C", repo.root.path, "report"], in: try makeTempDir()).status, 0)
        let bad = try runSpend("spend", ["report", "--by", ""], in: repo.root)
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("--by expects a comma list of names"), bad.stderr)
        try repo.writeLedger("ledger/2025/2025-01.jsonl", [#"{"ts":"2025-01-01T10:00:00Z","id":"x","provider":"openai"}"#])
        let findings = try runSpend("spend", ["lint"], in: repo.root)
        XCTAssertEqual(findings.status, 1, findings.stdout + findings.stderr)
        XCTAssertEqual(FileManager.default.currentDirectoryPath, before)
    }

    /// A relative `-C` (global or the verb's) is taken from the invocation's
    /// directory, never from the test process's; messages quote it as given.
    func testRelativeDirectoriesAreTakenFromTheInvocation() throws {
        let repo = try makeRepo(subdirectory: "finance/costs")
        try repo.writeLedger("ledger/2025/2025-01.jsonl", [Fixture.growth])
        for args in [["-C", "finance", "-C", "costs", "report", "--format", "csv"], ["report", "-C", "finance/costs", "--format", "csv"]] {
            let r = try runSpend("spend", args, in: repo.gitRoot)
            assertOK(r)
            XCTAssertTrue(r.stdout.contains("growth,"), "\(args): \(r.stdout)")
        }
        let global = try runSpend("spend", ["-C", "nope", "report"], in: repo.gitRoot)
        XCTAssertEqual(global.stderr, "spend: error: cannot change to 'nope': No such file or directory\n")
        let verb = try runSpend("spend", ["report", "-C", "nope"], in: repo.gitRoot)
        XCTAssertEqual(verb.stderr, "spend: error: cannot change to 'nope': no such directory\n")
    }

    /// The environment and standard input are the invocation's.
    func testEnvironmentAndStandardInputAreTheInvocations() throws {
        let repo = try makeRepo()
        let line = #"{"ts":"2025-01-01T10:00:00Z","id":"in-1","provider":"openai","model":"gpt-4o","input_tokens":10,"output_tokens":1,"tags":{}}"#
        let r = try runSpend(
            "spend", ["append", "--stdin", "--dry-run"], in: repo.root, environment: ["SPEND_TAGS": "team=from-invocation"],
            input: Data((line + "\n").utf8))
        assertOK(r)
        XCTAssertTrue(r.stdout.contains(#""id":"in-1""#), r.stdout)
        XCTAssertTrue(r.stdout.contains(#""team":"from-invocation""#), r.stdout)
        XCTAssertNil(ProcessInfo.processInfo.environment["SPEND_TAGS"])
    }

    /// Two invocations' outputs never mix: each writes only to its own streams.
    func testEachInvocationWritesOnlyToItsOwnStreams() throws {
        let repo = try makeRepo()
        try repo.writeLedger("ledger/2025/2025-01.jsonl", [Fixture.growth, Fixture.search])
        let out = OutputBuffer()
        let err = OutputBuffer()
        let invocation = Invocation(
            arguments: ["report", "--format", "csv", "--by", "team"], directory: repo.root.path, standardOutput: .buffer(out),
            standardError: .buffer(err))
        XCTAssertEqual(Console.run(SpendCommand.self, invocation), 0)
        let first = out.text
        var standalone = invocation
        standalone.arguments.removeFirst()
        XCTAssertEqual(Console.run(ReportCommand.self, standalone), 0)
        XCTAssertEqual(out.text, first + first)
        XCTAssertEqual(err.text, "")
    }
}
