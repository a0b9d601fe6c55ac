import Foundation
import XCTest

@testable import SpendCore

/// A one-model rate card whose gpt-4o input price is `input`.
func diffCard(input: String = "2.50", output: String = "10.00") -> String {
    """
    provider = "openai"
    currency = "USD"

    [[price]]
    model = "gpt-4o"
    effective = 2024-10-01
    input = \(input)
    output = \(output)

    [[price]]
    model = "gpt-4o-mini"
    effective = 2024-07-18
    input = 0.15
    output = 0.60

    """
}

/// Runs git with a fixed identity and date (CI has no git configuration).
@discardableResult
func datedGit(_ repo: TestRepo, _ date: String, _ args: [String], author: String = "Test Author") throws -> String {
    let env = [
        "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_AUTHOR_NAME": author, "GIT_AUTHOR_EMAIL": "a@example.com",
        "GIT_COMMITTER_NAME": author, "GIT_COMMITTER_EMAIL": "a@example.com", "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date,
    ]
    let r = try runProcess(Paths.git, ["-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"] + args, in: repo.root, environment: env)
    guard r.status == 0 else {
        throw NSError(domain: "git", code: Int(r.status), userInfo: [NSLocalizedDescriptionKey: "git \(args) failed: \(r.stderr)"])
    }
    return r.stdout
}

func commitDated(_ repo: TestRepo, _ message: String, _ date: String, author: String = "Test Author") throws {
    try datedGit(repo, date, ["add", "-A"])
    try datedGit(repo, date, ["commit", "-q", "-m", message], author: author)
}

/// CSV rows keyed by the first column, as dictionaries.
func csvRows(_ text: String) -> [String: [String: String]] {
    let lines = text.split(separator: "\n").map(String.init)
    guard let header = lines.first?.split(separator: ",", omittingEmptySubsequences: false).map(String.init) else { return [:] }
    var out: [String: [String: String]] = [:]
    for line in lines.dropFirst() {
        let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        out[cells[0]] = Dictionary(uniqueKeysWithValues: zip(header, cells))
    }
    return out
}

final class DiffCLITests: XCTestCase {
    func spendDiff(_ repo: TestRepo, _ args: [String], env: [String: String] = [:]) throws -> RunResult {
        try runSpend("spend-diff", args, in: repo.root, environment: env)
    }

    func events(_ prefix: String, count: Int, team: String, day: String = "2025-01-10", model: String = "gpt-4o", input: Int = 2000,
        output: Int = 500) -> [String]
    {
        (0..<count).map { i in
            event(ts: "\(day)T10:00:\(Timestamp.pad(Int64(i % 60), 2))Z", id: "\(prefix)-\(i)", model: model, input: input, output: output,
                tags: [("team", team), ("env", "prod")])
        }
    }

    func baseRepo() throws -> TestRepo {
        let repo = try makeRepo(cards: false)
        try repo.write("ratecards/openai.toml", diffCard())
        try repo.writeLedger("ledger/2025/2025-01.jsonl", events("g", count: 4, team: "growth") + events("s", count: 2, team: "search", input: 1000, output: 100))
        try commitDated(repo, "one", "2025-02-01T00:00:00Z")
        return repo
    }

    func assertEffectsSum(_ row: [String: String], file: StaticString = #filePath, line: UInt = #line) {
        let sum = ["volume_effect", "intensity_effect", "price_effect", "mix_effect"].reduce(ExactDecimal.zero) { $0 + ExactDecimal(row[$1]!)! }
        XCTAssertEqual(sum, ExactDecimal(row["delta"]!)!, "effects must add up to delta exactly: \(row)", file: file, line: line)
        XCTAssertEqual(ExactDecimal(row["cost_b"]!)! - ExactDecimal(row["cost_a"]!)!, ExactDecimal(row["delta"]!)!, file: file, line: line)
    }

    func testPriceChangeBetweenRevisionsIsPriceEffectOnly() throws {
        let repo = try baseRepo()
        try repo.write("ratecards/openai.toml", diffCard(input: "5.00"))
        try commitDated(repo, "gpt-4o input price doubled (retroactive correction)", "2025-02-02T00:00:00Z")
        let r = try spendDiff(repo, ["HEAD~1", "HEAD", "--format", "csv", "--explain"])
        assertOK(r)
        XCTAssertEqual(r.lines.first, "team,requests_a,requests_b,cost_a,cost_b,delta,delta_pct,volume_effect,intensity_effect,price_effect,mix_effect")
        let rows = csvRows(r.stdout)
        // growth: 4 × (2000 × 2.5 + 500 × 10) / 1M = 0.04 → 4 × (2000 × 5 + 500 × 10) / 1M = 0.06.
        XCTAssertEqual(rows["growth"]?["cost_a"], "0.04")
        XCTAssertEqual(rows["growth"]?["cost_b"], "0.06")
        XCTAssertEqual(rows["growth"]?["price_effect"], "0.02")
        for name in ["volume_effect", "intensity_effect", "mix_effect"] { XCTAssertEqual(rows["growth"]?[name], "0", name) }
        XCTAssertEqual(rows["search"]?["price_effect"], "0.005")
        assertEffectsSum(rows["growth"]!)
        assertEffectsSum(rows["search"]!)
        // Sorted by |delta|: growth (+0.02) before search (+0.005).
        XCTAssertEqual(r.lines.dropFirst().first?.hasPrefix("growth,"), true)
    }

    func testDoublingRequestsIsVolumeEffectOnly() throws {
        let repo = try baseRepo()
        try repo.append("ledger/2025/2025-01.jsonl", (events("g2", count: 4, team: "growth") + events("s2", count: 2, team: "search", input: 1000, output: 100)).map { $0 + "\n" }.joined())
        try commitDated(repo, "twice the traffic", "2025-02-02T00:00:00Z")
        let r = try spendDiff(repo, ["HEAD~1..HEAD", "--format", "csv", "--explain"])
        assertOK(r)
        let rows = csvRows(r.stdout)
        XCTAssertEqual(rows["growth"]?["requests_a"], "4")
        XCTAssertEqual(rows["growth"]?["requests_b"], "8")
        XCTAssertEqual(rows["growth"]?["volume_effect"], "0.04")
        XCTAssertEqual(rows["growth"]?["delta_pct"], "100")
        for team in ["growth", "search"] {
            for name in ["intensity_effect", "price_effect", "mix_effect"] { XCTAssertEqual(rows[team]?[name], "0", "\(team) \(name)") }
            assertEffectsSum(rows[team]!)
        }
    }

    func testRowsOnOneSideOnlyModelMixAndWorkingTree() throws {
        let repo = try baseRepo()
        // Working tree: search moves to gpt-4o-mini, a new team appears, growth disappears.
        try repo.writeLedger(
            "ledger/2025/2025-01.jsonl",
            events("s", count: 1, team: "search", input: 1000, output: 100) + events("m", count: 1, team: "search", model: "gpt-4o-mini", input: 1000, output: 100)
                + events("n", count: 3, team: "new-team"))
        let r = try spendDiff(repo, ["HEAD", "--format", "csv", "--explain"])
        assertOK(r)
        let rows = csvRows(r.stdout)
        XCTAssertEqual(rows["growth"]?["requests_b"], "0")
        XCTAssertEqual(rows["growth"]?["cost_b"], "0")
        XCTAssertEqual(rows["growth"]?["volume_effect"], "-0.04")
        XCTAssertEqual(rows["new-team"]?["requests_a"], "0")
        XCTAssertEqual(rows["new-team"]?["delta_pct"], "")
        XCTAssertEqual(rows["new-team"]?["volume_effect"], "0.03")
        XCTAssertEqual(rows["search"]?["volume_effect"], "0")
        XCTAssertTrue(ExactDecimal(rows["search"]!["mix_effect"]!)!.isNegative)
        for row in rows.values { assertEffectsSum(row) }
        // Default table: explained, with a total row.
        let table = try spendDiff(repo, ["HEAD"])
        assertOK(table)
        XCTAssertTrue(table.stdout.contains("volume"), table.stdout)
        XCTAssertNotNil(tableRow(table, "total"))
        // CSV without --explain has the six contract columns only.
        let plain = try spendDiff(repo, ["HEAD", "--format", "csv"])
        XCTAssertEqual(plain.lines.first, "team,requests_a,requests_b,cost_a,cost_b,delta,delta_pct")
    }

    func testWhereSinceTopAndBy() throws {
        let repo = try baseRepo()
        try repo.append("ledger/2025/2025-01.jsonl", events("late", count: 2, team: "growth", day: "2025-01-20").map { $0 + "\n" }.joined())
        try repo.append("ledger/2025/2025-01.jsonl", events("x", count: 1, team: "search", day: "2025-01-20").map { $0 + "\n" }.joined())
        try commitDated(repo, "more", "2025-02-02T00:00:00Z")
        let since = try spendDiff(repo, ["HEAD~1", "HEAD", "--format", "csv", "--since", "2025-01-15"])
        assertOK(since)
        XCTAssertEqual(csvRows(since.stdout)["growth"]?["requests_a"], "0")
        XCTAssertEqual(csvRows(since.stdout)["growth"]?["requests_b"], "2")
        let filtered = try spendDiff(repo, ["HEAD~1", "HEAD", "--format", "csv", "--where", "team=search"])
        XCTAssertEqual(Set(csvRows(filtered.stdout).keys), ["search"])
        let top = try spendDiff(repo, ["HEAD~1", "HEAD", "--format", "csv", "--top", "1"])
        XCTAssertEqual(top.lines.count, 2)
        XCTAssertTrue(top.lines[1].hasPrefix("growth,"), top.stdout)
        let byModel = try spendDiff(repo, ["HEAD~1", "HEAD", "--format", "csv", "--by", "team,model"])
        XCTAssertEqual(byModel.lines.first, "team,model,requests_a,requests_b,cost_a,cost_b,delta,delta_pct")
        let json = try spendDiff(repo, ["HEAD~1", "HEAD", "--format", "json"])
        assertOK(json)
        XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)))
    }

    func testCacheParsesOnlyChangedShardsAndIgnoresCorruptEntries() throws {
        let repo = try baseRepo()
        try repo.writeLedger("ledger/2025/2025-02.jsonl", events("f", count: 3, team: "growth", day: "2025-02-03"))
        try commitDated(repo, "february", "2025-02-04T00:00:00Z")
        let stats = ["SPEND_DIFF_STATS": "1"]
        let first = try spendDiff(repo, ["HEAD~1", "HEAD", "--format", "csv"], env: stats)
        assertOK(first)
        // The January shard is shared by both sides: parsed once; February exists at HEAD only.
        XCTAssertTrue(first.stderr.contains("2 shards parsed, 0 from the cache"), first.stderr)
        try repo.append("ledger/2025/2025-02.jsonl", events("g", count: 1, team: "search", day: "2025-02-05").map { $0 + "\n" }.joined())
        try commitDated(repo, "one more", "2025-02-06T00:00:00Z")
        let second = try spendDiff(repo, ["HEAD~1", "HEAD", "--format", "csv"], env: stats)
        assertOK(second)
        XCTAssertTrue(second.stderr.contains("1 shards parsed, 2 from the cache"), second.stderr)
        // Corrupt every cache entry (January, February before and after): ignored and rebuilt, same answer.
        let dir = repo.gitRoot.appendingPathComponent(".git/spend/diff-cache").path
        let names = try FileManager.default.contentsOfDirectory(atPath: dir)
        XCTAssertFalse(names.isEmpty)
        for name in names {
            var text = try String(contentsOfFile: dir + "/" + name, encoding: .utf8)
            text = text.replacingOccurrences(of: "growth", with: "GROWTH")
            try text.write(toFile: dir + "/" + name, atomically: false, encoding: .utf8)
        }
        let third = try spendDiff(repo, ["HEAD~1", "HEAD", "--format", "csv"], env: stats)
        assertOK(third)
        XCTAssertEqual(third.stdout, second.stdout)
        XCTAssertTrue(third.stderr.contains("3 shards parsed, 0 from the cache"), third.stderr)
        let fourth = try spendDiff(repo, ["HEAD~1", "HEAD", "--format", "csv"], env: stats)
        XCTAssertTrue(fourth.stderr.contains("0 shards parsed, 3 from the cache"), fourth.stderr)
        XCTAssertEqual(fourth.stdout, second.stdout)
    }

    func testConcurrentRunsShareTheCacheSafely() throws {
        let repo = try baseRepo()
        try repo.writeLedger("ledger/2025/2025-02.jsonl", events("f", count: 50, team: "growth", day: "2025-02-03"))
        try commitDated(repo, "february", "2025-02-04T00:00:00Z")
        let reference = try spendDiff(repo, ["HEAD~1", "HEAD", "--format", "csv"], env: ["SPEND_DIFF_CACHE": "0"])
        assertOK(reference)
        let results = UnsafeMutableBufferPointer<RunResult?>.allocate(capacity: 6)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        nonisolated(unsafe) let slots = results
        let exe = Paths.executable("spend-diff")
        let root = repo.root
        DispatchQueue.concurrentPerform(iterations: 6) { i in
            slots[i] = try? runProcess(exe, ["HEAD~1", "HEAD", "--format", "csv"], in: root)
        }
        for r in results {
            guard let r else { return XCTFail("a run did not start") }
            assertOK(r)
            XCTAssertEqual(r.stdout, reference.stdout)
        }
        // Every entry left behind is complete (no temporary files, all trusted by the next run).
        let dir = repo.gitRoot.appendingPathComponent(".git/spend/diff-cache").path
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: dir).contains { $0.contains(".tmp.") })
        let after = try spendDiff(repo, ["HEAD~1", "HEAD", "--format", "csv"], env: ["SPEND_DIFF_STATS": "1"])
        XCTAssertTrue(after.stderr.contains("0 shards parsed, 2 from the cache"), after.stderr)
        XCTAssertEqual(after.stdout, reference.stdout)
    }

    func testUnpriceableEventsFailLikeReport() throws {
        let repo = try baseRepo()
        try repo.append("ledger/2025/2025-01.jsonl", event(ts: "2025-01-11T00:00:00Z", id: "bad", model: "no-such-model", input: 1, output: 1, tags: [("team", "x")]) + "\n")
        try commitDated(repo, "bad model", "2025-02-02T00:00:00Z")
        let r = try spendDiff(repo, ["HEAD~1", "HEAD", "--strict"])
        assertRejected(r)
        XCTAssertTrue(r.stderr.contains("ledger/2025/2025-01.jsonl:"), r.stderr)
    }

    func testUsageErrors() throws {
        let repo = try baseRepo()
        let cases: [([String], String)] = [
            ([], "spend diff needs revisions"),
            (["HEAD", "HEAD", "HEAD"], "at most two revisions"),
            (["HEAD...HEAD"], "symmetric ranges"),
            (["HEAD..HEAD", "HEAD"], "either two revisions (A B) or one range"),
            (["no-such-rev", "HEAD"], "unknown revision \"no-such-rev\""),
            (["HEAD", "--top", "0"], "--top must be at least 1"),
            (["HEAD", "--threshold", "lots"], "--threshold expects a non-negative percentage"),
            (["HEAD", "--since", "yesterday"], "--since expects a date"),
            (["HEAD", "--by", "team,,model"], "--by expects a comma list"),
            (["HEAD", "--where", "team"], "--where expects KEY=VALUE"),
            (["--releases", "v1"], "--releases needs two release tags"),
            (["--releases", "v1", "v2"], "no tag or event release named \"v1\""),
            (["HEAD", "--by", "a,b,c,d,e,f,g"], "--by takes at most 6 names"),
        ]
        for (args, message) in cases {
            let r = try spendDiff(repo, args)
            assertRejected(r)
            XCTAssertTrue(r.stderr.contains(message), "\(args): expected '\(message)' in:\n\(r.stderr)")
        }
        // Outside a git repository.
        let plain = try makeRepo(git: false, cards: false)
        try plain.write("ratecards/openai.toml", diffCard())
        let r = try runSpend("spend", ["diff", "HEAD"], in: plain.root)
        assertRejected(r)
        XCTAssertTrue(r.stderr.contains("is not inside a git repository"), r.stderr)
    }
}
