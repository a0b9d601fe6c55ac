import Foundation
import XCTest

/// The "show it": real git, the hook installed with `spend hooks
/// install`, commits accepted or rejected, and CI catching `--no-verify`.
final class LintHookTests: XCTestCase {
    let shard = "ledger/2026/2026-11.jsonl"

    /// A repository with the policy, one good committed event, and the hook installed.
    func makeHookedRepo() throws -> LintSandbox {
        let repo = try LintSandbox()
        try repo.appendEvents(shard, [lintEvent(id: "req-1")])
        let first = try repo.commitAll("first events")
        XCTAssertEqual(first.status, 0, first.output)
        let install = try repo.spend(["hooks", "install"])
        XCTAssertEqual(install.status, 0, install.output)
        XCTAssertTrue(install.stdout.contains("installed"), install.stdout)
        return repo
    }

    func assertCommitRejected(_ run: LintRun, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNotEqual(run.status, 0, "commit should be rejected:\n\(run.output)", file: file, line: line)
    }

    func testCommitOfEventWithoutTeamIsRejectedNamingFileLineAndRule() throws {
        let repo = try makeHookedRepo()
        let head = try repo.git("rev-parse", "HEAD").stdout
        try repo.appendEvents(shard, [lintEvent(id: "req-2", tags: ["env": "prod"])])
        let commit = try repo.commitAll("untagged event")
        assertCommitRejected(commit)
        XCTAssertTrue(commit.output.contains("ledger/2026/2026-11.jsonl:2:"), commit.output)
        XCTAssertTrue(commit.output.contains("error[tag-required]: missing tag \"team\""), commit.output)
        XCTAssertTrue(commit.output.contains("spend lint: 1 error"), commit.output)
        XCTAssertEqual(try repo.git("rev-parse", "HEAD").stdout, head, "nothing was committed")
    }

    func testCommitEditingAnOldLineIsRejected() throws {
        let repo = try makeHookedRepo()
        try repo.appendEvents(shard, [lintEvent(id: "req-2")])
        XCTAssertEqual(try repo.commitAll("second").status, 0)
        try repo.replace(in: shard, "\"input_tokens\":1000", with: "\"input_tokens\":10")  // both lines
        let commit = try repo.commitAll("rewrite history")
        assertCommitRejected(commit)
        XCTAssertTrue(commit.output.contains("ledger/2026/2026-11.jsonl:1:"), commit.output)
        XCTAssertTrue(commit.output.contains("error[append-only]: line 1 was edited"), commit.output)
    }

    func testStagingEventUsingDeniedModelIsRejected() throws {
        let repo = try makeHookedRepo()
        try repo.appendEvents(shard, [lintEvent(id: "req-2", model: "gpt-4o", tags: ["team": "search", "env": "staging"])])
        let commit = try repo.commitAll("staging on gpt-4o")
        assertCommitRejected(commit)
        XCTAssertTrue(commit.output.contains("ledger/2026/2026-11.jsonl:2:"), commit.output)
        XCTAssertTrue(commit.output.contains("error[model-denied]: model \"gpt-4o\" is denied for env \"staging\""), commit.output)
    }

    func testGoodCommitSucceeds() throws {
        let repo = try makeHookedRepo()
        try repo.appendEvents(
            shard,
            [
                lintEvent(id: "req-2", model: "gpt-4o-mini", tags: ["team": "search", "env": "staging"]),
                lintEvent(id: "req-3", provider: "anthropic", model: "claude-sonnet-4-20250514", tags: ["team": "growth", "env": "prod"]),
            ])
        let commit = try repo.commitAll("two good events")
        XCTAssertEqual(commit.status, 0, commit.output)
        XCTAssertEqual(try repo.git("rev-list", "--count", "HEAD").stdout.trimmingCharacters(in: .whitespacesAndNewlines), "2")
    }

    func testNoVerifyCommitIsCaughtByLintCommits() throws {
        let repo = try makeHookedRepo()
        try repo.appendEvents(shard, [lintEvent(id: "req-2", tags: ["env": "prod"])])
        let commit = try repo.commitAll("skip the hook", verify: false)
        XCTAssertEqual(commit.status, 0, commit.output)
        let ci = try repo.lint("--commits", "HEAD~1..HEAD")
        XCTAssertEqual(ci.status, 1, ci.output)
        XCTAssertTrue(ci.stdout.contains("commit "), ci.stdout)
        XCTAssertTrue(ci.stdout.contains("skip the hook"), ci.stdout)
        XCTAssertTrue(ci.stdout.contains("ledger/2026/2026-11.jsonl:2:"), ci.stdout)
        XCTAssertTrue(ci.stdout.contains("error[tag-required]"), ci.stdout)
        // The good first commit alone is clean.
        let root = try repo.git("rev-list", "--max-parents=0", "HEAD").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(try repo.lint("--rev", root).status, 0)
    }

    func testHookWithoutSpendOnPathSaysSo() throws {
        let repo = try makeHookedRepo()
        try repo.appendEvents(shard, [lintEvent(id: "req-2")])
        let commit = try repo.commitAll("no spend", path: "/usr/bin:/bin")
        assertCommitRejected(commit)
        XCTAssertTrue(commit.output.contains("'spend' is not on PATH"), commit.output)
        XCTAssertTrue(commit.output.contains("--no-verify"), commit.output)
        // SPEND= points the hook at a binary off PATH.
        try lintExec("/usr/bin/git", ["add", "-A"], in: repo.top)
        let pointed = try lintExec(
            "/usr/bin/git", ["commit", "-q", "-m", "with SPEND"], in: repo.top, path: "/usr/bin:/bin",
            extra: ["SPEND": LintPaths.executable("spend")])
        XCTAssertEqual(pointed.status, 0, pointed.output)
    }

    func testHookInCostRepositoryInsideASubdirectory() throws {
        let repo = try LintSandbox(subdirectory: "finops")
        try repo.appendEvents(shard, [lintEvent(id: "req-1")])
        XCTAssertEqual(try repo.commitAll("first").status, 0)
        XCTAssertEqual(try repo.spend(["hooks", "install"]).status, 0)
        try repo.appendEvents(shard, [lintEvent(id: "req-2", tags: ["env": "prod"])])
        let commit = try repo.commitAll("untagged")
        assertCommitRejected(commit)
        XCTAssertTrue(commit.output.contains("ledger/2026/2026-11.jsonl:2:"), commit.output)
        XCTAssertTrue(commit.output.contains("error[tag-required]"), commit.output)
    }

    func testCommitDashAChecksTheTemporaryIndex() throws {
        let repo = try makeHookedRepo()
        try repo.appendEvents(shard, [lintEvent(id: "req-2", tags: ["env": "prod"])])
        let bad = try repo.git("commit", "-q", "-a", "-m", "commit -a, untagged")
        assertCommitRejected(bad)
        XCTAssertTrue(bad.output.contains("ledger/2026/2026-11.jsonl:2:135: error[tag-required]"), bad.output)
        try repo.replace(in: shard, lintEvent(id: "req-2", tags: ["env": "prod"]), with: lintEvent(id: "req-2"))
        let good = try repo.git("commit", "-q", "-a", "-m", "commit -a, tagged")
        XCTAssertEqual(good.status, 0, good.output)
        // `git commit PATH` too.
        try repo.appendEvents(shard, [lintEvent(id: "req-3", model: "gpt-4o", tags: ["team": "x", "env": "staging"])])
        let partial = try repo.git("commit", "-q", "-m", "commit PATH", "--", shard)
        assertCommitRejected(partial)
        XCTAssertTrue(partial.output.contains("error[model-denied]"), partial.output)
    }

    /// Server side: a pre-receive hook in a bare repository rejects a push of
    /// a commit made with --no-verify (pushed objects are still quarantined).
    func testPreReceiveHookInBareRepositoryRejectsBadPush() throws {
        let repo = try LintSandbox()
        let server = repo.top.appendingPathComponent("server.git")
        XCTAssertEqual(try lintExec("/usr/bin/git", ["init", "-q", "--bare", "-b", "main", server.path], in: repo.top).status, 0)
        let hook = server.appendingPathComponent("hooks/pre-receive")
        try Data(
            """
            #!/bin/sh
            zero=0000000000000000000000000000000000000000
            while read old new ref; do
              [ "$new" = "$zero" ] && continue
              if [ "$old" = "$zero" ]; then spend lint --rev "$new" || exit 1
              else spend lint --commits "$old..$new" || exit 1
              fi
            done

            """.utf8
        ).write(to: hook)
        chmod(hook.path, 0o755)
        try repo.write(".gitignore", "server.git/\n")
        try repo.appendEvents(shard, [lintEvent(id: "req-1")])
        XCTAssertEqual(try repo.commitAll("first", verify: false).status, 0)
        var push = try repo.git("push", "-q", server.path, "main")
        XCTAssertEqual(push.status, 0, push.output)

        try repo.appendEvents(shard, [lintEvent(id: "req-2")])
        XCTAssertEqual(try repo.commitAll("good", verify: false).status, 0)
        try repo.appendEvents(shard, [lintEvent(id: "req-3", tags: ["env": "prod"])])
        XCTAssertEqual(try repo.commitAll("untagged", verify: false).status, 0)
        push = try repo.git("push", "-q", server.path, "main")
        XCTAssertNotEqual(push.status, 0, push.output)
        XCTAssertTrue(push.output.contains("ledger/2026/2026-11.jsonl:3:"), push.output)
        XCTAssertTrue(push.output.contains("error[tag-required]"), push.output)
        XCTAssertTrue(push.output.contains("pre-receive hook declined"), push.output)

        try repo.replace(in: shard, lintEvent(id: "req-3", tags: ["env": "prod"]), with: lintEvent(id: "req-3"))
        try repo.git("reset", "-q", "--soft", "HEAD~1")
        XCTAssertEqual(try repo.commitAll("tagged", verify: false).status, 0)
        push = try repo.git("push", "-q", server.path, "main")
        XCTAssertEqual(push.status, 0, push.output)
        // And the server's history lints clean.
        let lint = try lintSpend("spend", ["lint", "--commits", "HEAD~2..HEAD"], in: server)
        XCTAssertEqual(lint.status, 0, lint.output)
    }
}
