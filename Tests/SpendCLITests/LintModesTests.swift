import Foundation
import XCTest

/// `spend lint` modes (--all, --staged, --rev, --commits), append-only
/// history, the id cache, output formats and exit codes.
final class LintModesTests: XCTestCase {
    let shard = "ledger/2026/2026-11.jsonl"

    func testStagedChecksTheIndexNotTheWorkingTree() throws {
        let repo = try LintSandbox()
        try repo.appendEvents(shard, [lintEvent(id: "a")])
        XCTAssertEqual(try repo.commitAll("first", verify: false).status, 0)
        // Stage a good line, then add a bad one to the working tree only.
        try repo.appendEvents(shard, [lintEvent(id: "b")])
        try repo.git("add", shard)
        try repo.appendEvents(shard, [lintEvent(id: "c", tags: ["env": "prod"])])
        let staged = try repo.lint("--staged")
        XCTAssertEqual(staged.status, 0, staged.output)
        XCTAssertTrue(staged.stdout.contains("staged against HEAD: 1 new event checked in 1 shard"), staged.stdout)
        let all = try repo.lint("--all")
        XCTAssertEqual(all.status, 1)
        XCTAssertTrue(all.stdout.contains("\(shard):3:"), all.stdout)
        // And the other way round: a bad staged line, fixed only in the working tree.
        try repo.git("add", shard)
        try repo.replace(in: shard, lintEvent(id: "c", tags: ["env": "prod"]), with: lintEvent(id: "c"))
        let stagedBad = try repo.lint("--staged")
        XCTAssertEqual(stagedBad.status, 1, stagedBad.output)
        XCTAssertTrue(stagedBad.stdout.contains("\(shard):3:131: error[tag-required]"), stagedBad.stdout)
        XCTAssertEqual(try repo.lint().status, 0)
    }

    func testStagedInitialCommitChecksEverything() throws {
        let repo = try LintSandbox()
        try repo.appendEvents(shard, [lintEvent(id: "a"), lintEvent(id: "a")])
        try repo.git("add", "-A")
        let run = try repo.lint("--staged")
        XCTAssertEqual(run.status, 1, run.output)
        XCTAssertTrue(run.stdout.contains("\(shard):2:39: error[duplicate-id]"), run.stdout)
        XCTAssertTrue(run.stdout.contains("(staged: 2 new events checked in 1 shard"), run.stdout)
    }

    func testStagedDuplicateOfAnIdInAnUnchangedShardWithWarmAndColdCache() throws {
        let repo = try LintSandbox()
        try repo.appendEvents("ledger/2026/2026-10.jsonl", [lintEvent(id: "old-1", ts: "2026-10-01T00:00:00Z"), lintEvent(id: "old-2", ts: "2026-10-02T00:00:00Z")])
        try repo.appendEvents(shard, [lintEvent(id: "nov-1")])
        XCTAssertEqual(try repo.commitAll("first", verify: false).status, 0)
        try repo.appendEvents(shard, [lintEvent(id: "old-2"), lintEvent(id: "nov-1"), lintEvent(id: "new")])
        try repo.git("add", "-A")
        let cold = try repo.lint("--staged")
        XCTAssertEqual(cold.status, 1)
        XCTAssertTrue(cold.stdout.contains("\(shard):2:39: error[duplicate-id]: duplicate id \"old-2\" (also at ledger/2026/2026-10.jsonl:2)"), cold.stdout)
        XCTAssertTrue(cold.stdout.contains("\(shard):3:39: error[duplicate-id]: duplicate id \"nov-1\" (also at \(shard):1)"), cold.stdout)
        XCTAssertTrue(cold.stdout.contains("spend lint: 2 errors"), cold.stdout)
        // The id sets are cached by blob id; a second run reads them and agrees.
        let cacheDir = repo.top.appendingPathComponent(".git/spend/lint-ids").path
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: cacheDir).isEmpty)
        let warm = try repo.lint("--staged")
        XCTAssertEqual(warm.stdout, cold.stdout)
        XCTAssertEqual(try repo.lint("--staged", "--no-cache").stdout, cold.stdout)
        // A corrupt cache entry is ignored.
        for name in try FileManager.default.contentsOfDirectory(atPath: cacheDir) {
            try Data("garbage".utf8).write(to: URL(fileURLWithPath: cacheDir + "/" + name))
        }
        XCTAssertEqual(try repo.lint("--staged").stdout, cold.stdout)
    }

    func testAppendOnlyEditsDeletionsInsertionsAndDeletedShards() throws {
        let repo = try LintSandbox()
        let lines = (1...4).map { lintEvent(id: "e\($0)") }
        try repo.appendEvents(shard, lines)
        try repo.appendEvents("ledger/2026/2026-10.jsonl", [lintEvent(id: "o1", ts: "2026-10-01T00:00:00Z")])
        XCTAssertEqual(try repo.commitAll("first", verify: false).status, 0)

        // Edited line 3.
        try repo.write(shard, [lines[0], lines[1], lintEvent(id: "e3", input: 7), lines[3]].map { $0 + "\n" }.joined())
        var run = try repo.lint("--all")
        XCTAssertEqual(run.status, 1)
        XCTAssertTrue(run.stdout.contains("\(shard):3:"), run.stdout)
        XCTAssertTrue(run.stdout.contains("error[append-only]: line 3 was edited (HEAD has: "), run.stdout)

        // Deleted line 2.
        try repo.write(shard, [lines[0], lines[2], lines[3]].map { $0 + "\n" }.joined())
        run = try repo.lint("--all")
        XCTAssertTrue(run.stdout.contains("error[append-only]: line 2 of HEAD was deleted"), run.stdout)

        // A line inserted before line 2.
        try repo.write(shard, [lines[0], lintEvent(id: "new"), lines[1], lines[2], lines[3]].map { $0 + "\n" }.joined())
        run = try repo.lint("--all")
        XCTAssertTrue(run.stdout.contains("error[append-only]: a line was inserted before line 2 of HEAD"), run.stdout)

        // Reordered lines.
        try repo.write(shard, [lines[0], lines[2], lines[1], lines[3]].map { $0 + "\n" }.joined())
        run = try repo.lint("--all")
        XCTAssertTrue(run.stdout.contains("\(shard):2:"), run.stdout)
        XCTAssertTrue(run.stdout.contains("error[append-only]"), run.stdout)

        // Trailing lines removed.
        try repo.write(shard, [lines[0], lines[1]].map { $0 + "\n" }.joined())
        run = try repo.lint("--all")
        XCTAssertTrue(run.stdout.contains("error[append-only]: lines 3–4 of HEAD were deleted"), run.stdout)

        // Appending is fine.
        try repo.write(shard, (lines + [lintEvent(id: "e5")]).map { $0 + "\n" }.joined())
        XCTAssertEqual(try repo.lint("--all").status, 0)

        // A deleted shard, staged.
        try FileManager.default.removeItem(at: repo.url("ledger/2026/2026-10.jsonl"))
        try repo.git("add", "-A")
        run = try repo.lint("--staged")
        XCTAssertEqual(run.status, 1)
        XCTAssertTrue(run.stdout.contains("ledger/2026/2026-10.jsonl: error[append-only]: shard deleted"), run.stdout)
    }

    func testAfterAnEditOfLineOneKeptLinesStillCountForDuplicates() throws {
        let repo = try LintSandbox()
        try repo.appendEvents(shard, [lintEvent(id: "e1"), lintEvent(id: "e2", tags: ["env": "prod"])])
        XCTAssertEqual(try repo.commitAll("first", verify: false).status, 0)
        try repo.write(shard, [lintEvent(id: "e1", input: 5), lintEvent(id: "e2", tags: ["env": "prod"]), lintEvent(id: "e2")].map { $0 + "\n" }.joined())
        try repo.git("add", "-A")
        for _ in 0..<2 {  // cold, then with the cache written by the first run
            let (run, object) = try repo.lintJSON("--staged")
            XCTAssertEqual(run.status, 1)
            // Line 2 is unchanged history (its missing team is not re-reported); line 3 duplicates it.
            XCTAssertEqual(lintRules(object), ["append-only", "duplicate-id"], run.stdout)
            XCTAssertTrue(run.stdout.contains("also at ledger/2026/2026-11.jsonl:2"), run.stdout)
        }
    }

    /// Packed objects (after gc, or in a clone) cannot be streamed: the base
    /// version is checked by content hash, or read whole for the message.
    func testPackedRepository() throws {
        let repo = try LintSandbox()
        try repo.appendEvents(shard, [lintEvent(id: "a"), lintEvent(id: "b")])
        XCTAssertEqual(try repo.commitAll("first", verify: false).status, 0)
        XCTAssertEqual(try repo.git("gc", "-q").status, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: repo.top.appendingPathComponent(".git/packed-refs").path))
        try repo.appendEvents(shard, [lintEvent(id: "c"), lintEvent(id: "a")])
        try repo.git("add", "-A")
        var run = try repo.lint("--staged", "--no-cache")
        XCTAssertEqual(run.status, 1, run.output)
        XCTAssertTrue(run.stdout.contains("\(shard):4:39: error[duplicate-id]: duplicate id \"a\" (also at \(shard):1)"), run.stdout)
        XCTAssertTrue(run.stdout.contains("2 new events checked"), run.stdout)
        try repo.write(shard, [lintEvent(id: "a"), lintEvent(id: "B")].map { $0 + "\n" }.joined())
        try repo.git("add", "-A")
        run = try repo.lint("--staged")
        XCTAssertEqual(run.status, 1, run.output)
        XCTAssertTrue(run.stdout.contains("\(shard):2:40: error[append-only]: line 2 was edited"), run.stdout)
    }

    func testStagedChecksOnlyNewLinesOfChangedShards() throws {
        let repo = try LintSandbox()
        // History that breaks today's policy (committed without the hook) is not re-reported…
        try repo.appendEvents(shard, [lintEvent(id: "a", tags: ["env": "prod"])])
        XCTAssertEqual(try repo.commitAll("old", verify: false).status, 0)
        try repo.appendEvents(shard, [lintEvent(id: "b")])
        try repo.git("add", "-A")
        let run = try repo.lint("--staged")
        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertTrue(run.stdout.contains("1 new event checked"), run.stdout)
        // …but --all reads everything.
        XCTAssertEqual(try repo.lint("--all").status, 1)
    }

    func testTornHeadLineCompletedByAppendIsFine() throws {
        let repo = try LintSandbox()
        let full = lintEvent(id: "a")
        try repo.append(shard, String(full.dropLast(10)))
        XCTAssertEqual(try repo.commitAll("torn", verify: false).status, 0)
        XCTAssertTrue(try repo.lint("--rev", "HEAD").stdout.contains("error[torn-line]"))
        try repo.append(shard, String(full.suffix(10)) + "\n" + lintEvent(id: "b") + "\n")
        try repo.git("add", "-A")
        let run = try repo.lint("--staged")
        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertTrue(run.stdout.contains("2 new events checked"), run.stdout)
    }

    func testRateCardChangeRechecksHistoryForPrices() throws {
        let repo = try LintSandbox()
        try repo.appendEvents(shard, [lintEvent(id: "a", model: "gpt-4o-2024-11-20")])
        XCTAssertEqual(try repo.commitAll("first", verify: false).status, 0)
        // Removing an alias that history uses makes old events unpriceable.
        try repo.replace(in: "ratecards/openai.toml", "\"gpt-4o-2024-11-20\" = \"gpt-4o\"\n", with: "")
        try repo.git("add", "-A")
        let run = try repo.lint("--staged")
        XCTAssertEqual(run.status, 1, run.output)
        XCTAssertTrue(run.stdout.contains("\(shard):1:71: error[unknown-model]"), run.stdout)
        XCTAssertTrue(run.stdout.contains("(after this rate-card change)"), run.stdout)
        XCTAssertTrue(run.stdout.contains("note: rate cards changed"), run.stdout)
    }

    func testCommitsRangeChecksEachCommitAgainstItsParent() throws {
        let repo = try LintSandbox()
        try repo.appendEvents(shard, [lintEvent(id: "a")])
        XCTAssertEqual(try repo.commitAll("c1 good", verify: false).status, 0)
        try repo.appendEvents(shard, [lintEvent(id: "b", tags: ["env": "prod"])])
        XCTAssertEqual(try repo.commitAll("c2 untagged", verify: false).status, 0)
        try repo.appendEvents(shard, [lintEvent(id: "c")])
        XCTAssertEqual(try repo.commitAll("c3 good", verify: false).status, 0)
        try repo.replace(in: shard, lintEvent(id: "a"), with: lintEvent(id: "a", input: 1))
        XCTAssertEqual(try repo.commitAll("c4 rewrite", verify: false).status, 0)

        let (run, object) = try repo.lintJSON("--commits", "HEAD~3..HEAD")
        XCTAssertEqual(run.status, 1)
        let commits = (object["commits"] as? [[String: Any]]) ?? []
        XCTAssertEqual(commits.map { $0["title"] as? String ?? "" }, ["c2 untagged", "c3 good", "c4 rewrite"])
        XCTAssertEqual(commits.map { $0["errors"] as? Int ?? -1 }, [1, 0, 1])
        XCTAssertEqual(lintRules(object), ["tag-required", "append-only"])
        let first = ((object["findings"] as? [[String: Any]]) ?? []).first
        XCTAssertEqual(first?["commit"] as? String, commits.first?["commit"] as? String)

        XCTAssertEqual(try repo.lint("--commits", "HEAD~2..HEAD~1").status, 0)
        XCTAssertEqual(try repo.lint("--rev", "HEAD~1").status, 0)
        XCTAssertEqual(try repo.lint("--rev", "HEAD").status, 1)
        // The root commit is checked whole.
        let root = try repo.lint("--rev", "HEAD~3")
        XCTAssertEqual(root.status, 0, root.output)
        XCTAssertTrue(root.stdout.contains("(root commit)"), root.stdout)
        // An empty range is clean.
        XCTAssertEqual(try repo.lint("--commits", "HEAD..HEAD").status, 0)
    }

    func testCostRepositoryInASubdirectoryAndDashC() throws {
        let repo = try LintSandbox(subdirectory: "costs")
        try repo.appendEvents(shard, [lintEvent(id: "a")])
        XCTAssertEqual(try repo.commitAll("first", verify: false).status, 0)
        try repo.appendEvents(shard, [lintEvent(id: "b", tags: ["env": "prod"])])
        try repo.git("add", "-A")
        let fromElsewhere = try lintSpend("spend", ["lint", "--staged", "-C", repo.root.path], in: URL(fileURLWithPath: "/"))
        XCTAssertEqual(fromElsewhere.status, 1, fromElsewhere.output)
        XCTAssertTrue(fromElsewhere.stdout.contains("ledger/2026/2026-11.jsonl:2:"), fromElsewhere.stdout)
        XCTAssertEqual(try repo.lint("--all").status, 1)
        try repo.git("commit", "-q", "--no-verify", "-m", "bad")
        XCTAssertEqual(try repo.lint("--commits", "HEAD~1..HEAD").status, 1)
    }

    func testUsageErrorsExitTwo() throws {
        let repo = try LintSandbox()
        var run = try repo.lint("--staged", "--all")
        XCTAssertEqual(run.status, 2)
        XCTAssertTrue(run.stderr.contains("choose one of"), run.stderr)
        run = try repo.lint("--rev", "no-such-rev")
        XCTAssertEqual(run.status, 2, run.output)
        run = try repo.lint("--commits", "HEAD")
        XCTAssertEqual(run.status, 2, run.output)
        XCTAssertTrue(run.stderr.contains("A..B"), run.stderr)
        run = try repo.lint("--format", "xml")
        XCTAssertEqual(run.status, 2)
        let noGit = try LintSandbox(git: false)
        run = try noGit.lint("--staged")
        XCTAssertEqual(run.status, 2)
        XCTAssertTrue(run.stderr.contains("not inside a git repository"), run.stderr)
        XCTAssertEqual(try noGit.lint("--all").status, 0, "--all works without git")
        run = try lintSpend("spend", ["lint", "-C", "/nonexistent-dir"], in: URL(fileURLWithPath: "/"))
        XCTAssertEqual(run.status, 2)
    }

    func testJSONOutputShape() throws {
        let repo = try LintSandbox()
        try repo.appendEvents(shard, [lintEvent(id: "a", tags: ["env": "prod"]), lintEvent(id: "b", model: "gpt-4.1", input: 700_000)])
        let (run, object) = try repo.lintJSON()
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(object["mode"] as? String, "working-tree")
        XCTAssertEqual(try repo.lintJSON("--all").1["mode"] as? String, "all")
        XCTAssertEqual(object["errors"] as? Int, 1)
        XCTAssertEqual(object["warnings"] as? Int, 1)
        let first = ((object["findings"] as? [[String: Any]]) ?? []).first ?? [:]
        XCTAssertEqual(first["path"] as? String, shard)
        XCTAssertEqual(first["line"] as? Int, 1)
        XCTAssertEqual(first["column"] as? Int, 131)
        XCTAssertEqual(first["severity"] as? String, "error")
        XCTAssertEqual(first["rule"] as? String, "tag-required")
        XCTAssertEqual(first["message"] as? String, "missing tag \"team\"")
        XCTAssertTrue((object["summary"] as? String ?? "").hasPrefix("spend lint: 1 error, 1 warning"))
    }
}
