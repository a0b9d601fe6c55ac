import Foundation
import SpendCore
import XCTest

/// `spend append --stdin --reject-file`: valid lines are written, invalid ones
/// go to the reject file with their line, error, rule and input; exit 1.
final class RejectFileTests: XCTestCase {
    static let shard = "ledger/2026/2026-11.jsonl"
    static let policy = """
        [policy]
        required_tags = ["team"]

        """

    func line(_ id: String, team: String? = "growth", model: String = "gpt-4o") -> String {
        event(ts: "2026-11-03T10:00:00Z", id: id, model: model, input: 2000, output: 500, tags: team.map { [("team", $0)] } ?? [])
    }

    func append(_ repo: TestRepo, _ args: [String], input: String) throws -> RunResult {
        try runSpend("spend", ["append"] + args, in: repo.root, input: Data(input.utf8))
    }

    func testValidLinesAreWrittenAndInvalidOnesGoToTheRejectFile() throws {
        let repo = try makeRepo()
        try repo.write("spend.toml", Self.policy)
        let input = [
            line("a"), line("b", team: nil), "{\"ts\":oops}", line("c", model: "gpt-9"), "not json at all", line("d"),
        ].joined(separator: "\n") + "\n"
        let r = try append(repo, ["--stdin", "--reject-file", "rejects.jsonl"], input: input)
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("appended 2 events (ledger/2026/2026-11.jsonl +2)"), r.stdout)
        XCTAssertTrue(r.stderr.contains("<stdin>:2:"), r.stderr)
        XCTAssertTrue(r.stderr.contains("error[tag-required]: missing tag \"team\""), r.stderr)
        XCTAssertTrue(r.stderr.contains("spend: rejected 4 lines (written to rejects.jsonl)"), r.stderr)
        let written = try repo.read(Self.shard).split(separator: "\n").map { try LedgerEvent.parse(line: String($0)).id }
        XCTAssertEqual(written, ["a", "d"])
        let rejects = try repo.read("rejects.jsonl").split(separator: "\n").map(String.init)
        XCTAssertEqual(rejects.count, 4)
        XCTAssertEqual(
            rejects[0],
            "{\"path\":\"<stdin>\",\"line\":2,\"error\":\"missing tag \\\"team\\\"\",\"rule\":\"tag-required\",\"input\":\(line("b", team: nil))}")
        XCTAssertEqual(
            rejects[1], "{\"path\":\"<stdin>\",\"line\":3,\"error\":\"invalid value\",\"rule\":\"json\",\"input\":\"{\\\"ts\\\":oops}\"}")
        XCTAssertTrue(rejects[2].hasPrefix("{\"path\":\"<stdin>\",\"line\":4,\"error\":\"model \\\"gpt-9\\\" matches no price or alias"), rejects[2])
        XCTAssertTrue(rejects[2].contains("\"rule\":\"unknown-model\",\"input\":{\"ts\""), rejects[2])
        XCTAssertTrue(rejects[3].hasSuffix("\"input\":\"not json at all\"}"), rejects[3])
        for reject in rejects { XCTAssertNotNil(try? JSONSerialization.jsonObject(with: Data(reject.utf8)), reject) }
    }

    func testNothingRejectedLeavesAnEmptyRejectFileAndExitsZero() throws {
        let repo = try makeRepo()
        try repo.write("rejects.jsonl", "stale\n")
        let r = try append(repo, ["--stdin", "--reject-file", "rejects.jsonl"], input: line("a") + "\n")
        assertOK(r)
        XCTAssertEqual(try repo.read("rejects.jsonl"), "")
    }

    func testWithoutTheFlagOneBadLineRefusesTheBatch() throws {
        let repo = try makeRepo()
        let r = try append(repo, ["--stdin"], input: line("a") + "\n{\"ts\":oops}\n")
        assertRejected(r)
        XCTAssertTrue(r.stderr.contains("<stdin>:2:7: error[json]: invalid value"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: repo.url(Self.shard).path))
    }

    func testAFailedLedgerWriteLeavesTheRejectFileAlone() throws {
        let repo = try makeRepo()
        try repo.write(Self.shard, line("a"))  // torn: no newline, so append refuses to write
        try repo.write("rejects.jsonl", "previous\n")
        let r = try append(repo, ["--stdin", "--reject-file", "rejects.jsonl"], input: line("b") + "\nbad\n")
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertTrue(r.stderr.contains("error[torn-shard]"), r.stderr)
        XCTAssertEqual(try repo.read("rejects.jsonl"), "previous\n")
    }

    func testDryRunWritesNeitherLedgerNorRejectFile() throws {
        let repo = try makeRepo()
        let r = try append(repo, ["--stdin", "--dry-run", "--reject-file", "rejects.jsonl"], input: line("a") + "\nbad\n")
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("spend: rejected 1 line (dry run: rejects.jsonl not written)"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: repo.url("rejects.jsonl").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: repo.url(Self.shard).path))
    }

    func testRejectFileNeedsStdin() throws {
        let repo = try makeRepo()
        let r = try runSpend("spend", ["append", "--json", line("a"), "--reject-file", "r.jsonl"], in: repo.root)
        assertRejected(r)
        XCTAssertTrue(r.stderr.contains("--reject-file works with --stdin"), r.stderr)
    }
}

/// `[policy] missing_tags = "warn"` (and per env): events without a required
/// tag are accepted as unattributed; lint warns with `tag-missing`.
final class MissingTagsTests: XCTestCase {
    func testWarnAcceptsUntaggedEventsAndLintWarns() throws {
        let repo = try makeRepo()
        try repo.write("spend.toml", "[policy]\nrequired_tags = [\"team\"]\nmissing_tags = \"warn\"\n")
        let input = event(ts: "2026-11-03T10:00:00Z", id: "untagged", input: 2000, output: 500) + "\n"
        let r = try runSpend("spend", ["append", "--stdin"], in: repo.root, input: Data(input.utf8))
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(
            r.stderr.contains("<stdin>:1: warning[tag-missing]: missing tag \"team\": accepted as unattributed (missing_tags = \"warn\")"),
            r.stderr)
        let lint = try repo.spend("lint")
        XCTAssertEqual(lint.status, 0, lint.stdout + lint.stderr)
        XCTAssertTrue((lint.stdout + lint.stderr).contains("warning[tag-missing]: missing tag \"team\""), lint.stdout + lint.stderr)
        let report = try repo.spend("report", "--by", "team")
        XCTAssertNotNil(tableRow(report, "(unattributed)"), report.stdout)
    }

    func testPerEnvironmentSetting() throws {
        let repo = try makeRepo()
        try repo.write(
            "spend.toml", "[policy]\nrequired_tags = [\"team\"]\n\n[policy.env.dev]\nmissing_tags = \"warn\"\n")
        let dev = event(ts: "2026-11-03T10:00:00Z", id: "dev", input: 2000, output: 500, tags: [("env", "dev")])
        let prod = event(ts: "2026-11-03T10:00:00Z", id: "prod", input: 2000, output: 500, tags: [("env", "prod")])
        assertOK(try runSpend("spend", ["append", "--stdin"], in: repo.root, input: Data((dev + "\n").utf8)))
        let r = try runSpend("spend", ["append", "--stdin"], in: repo.root, input: Data((prod + "\n").utf8))
        assertRejected(r)
        XCTAssertTrue(r.stderr.contains("error[tag-required]: missing tag \"team\""), r.stderr)
    }

    func testABadValueIsAPolicyError() throws {
        let repo = try makeRepo()
        try repo.write("spend.toml", "[policy]\nmissing_tags = \"ignore\"\n")
        let r = try runSpend("spend", ["append", "--stdin"], in: repo.root, input: Data())
        assertRejected(r)
        XCTAssertTrue(
            r.stderr.contains("spend.toml:2: error[policy]: missing_tags in [policy] must be \"error\" or \"warn\""), r.stderr)
    }
}
