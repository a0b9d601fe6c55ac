import Foundation
import XCTest

/// Issue 12 §2 "keep going": report, diff and releases leave invalid
/// committed lines out, say so at the foot and on stderr, and exit 1;
/// `--strict` stops at them (exit 2, today's message).
final class KeepGoingTests: XCTestCase {
    static let shard = "ledger/2026/2026-11.jsonl"
    /// $0.01 (growth, v1) and $0.0035 (search, v2).
    static let good = [
        event(ts: "2026-11-01T00:00:00Z", id: "g1", input: 2000, output: 500, tags: [("team", "growth")], extra: #""release":"v1""#),
        event(ts: "2026-11-02T00:00:00Z", id: "g2", input: 1000, output: 100, tags: [("team", "search")], extra: #""release":"v2""#),
    ]
    static let badJSON = #"{"ts":"2026-11-03T00:00:00Z","id":"b1","provider":"openai""#
    /// Committed with --no-verify: a model no card prices, with the cost append would have stored.
    static let unknownModel = event(
        ts: "2026-11-04T00:00:00Z", id: "b2", model: "gpt-5o", input: 1, output: 1, tags: [("team", "growth")], extra: #""cost":"0.5""#)
    static let schema = event(ts: "2026-11-05T00:00:00Z", id: "b3", input: 1, output: 1).replacingOccurrences(
        of: #""output_tokens":1"#, with: #""output_tokens":"many""#)

    /// A count above the per-event limit (10^15).
    static let overflow = event(ts: "2026-11-06T00:00:00Z", id: "b4", input: 1, output: 1).replacingOccurrences(
        of: #""input_tokens":1"#, with: #""input_tokens":2000000000000000"#)

    /// The good events (tag v1 on the first commit), then `bad` lines committed (tag v2).
    func repo(_ bad: [String]) throws -> TestRepo {
        let repo = try makeRepo()
        try repo.writeLedger(Self.shard, [Self.good[0]])
        try repo.commitAll("v1")
        try repo.git("tag", "v1")
        try repo.writeLedger(Self.shard, Self.good + bad)
        // Another card blob: the diff also prices v2's events with v1's cards.
        try repo.append("ratecards/openai.toml", "# reviewed\n")
        try repo.commitAll("v2 with invalid lines (--no-verify)")
        try repo.git("tag", "v2")
        return repo
    }

    func foot(_ r: RunResult, _ line: String, file: StaticString = #filePath, at: UInt = #line) {
        XCTAssertEqual(r.status, 1, "stderr:\n\(r.stderr)", file: file, line: at)
        XCTAssertTrue(r.stdout.contains("\n" + line + "\n"), "expected «\(line)» in:\n\(r.stdout)", file: file, line: at)
    }

    func assertStrict(_ r: RunResult, errors: Int, file: StaticString = #filePath, line: UInt = #line) {
        assertRejected(r, file: file, line: line)
        XCTAssertTrue(r.stderr.hasSuffix("spend: \(errors) error\(errors == 1 ? "" : "s"); nothing was reported\n"), r.stderr, file: file, line: line)
    }

    func testReportExcludesEachKindOfInvalidLine() throws {
        let cases: [(String, String, String)] = [
            (Self.badJSON, "1 invalid line excluded ($? unpriceable) — see spend lint", "ledger/2026/2026-11.jsonl:3:59: error[json]: expected ',' or '}'"),
            (
                Self.unknownModel, "1 invalid line excluded ($0.50 recorded on it) — see spend lint",
                #"ledger/2026/2026-11.jsonl:3:68: error[unknown-model]: model "gpt-5o" matches no price or alias in ratecards/openai.toml"#
            ),
            (Self.schema, "1 invalid line excluded ($? unpriceable) — see spend lint", "ledger/2026/2026-11.jsonl:3:"),
            (Self.overflow, "1 invalid line excluded ($? unpriceable) — see spend lint", "ledger/2026/2026-11.jsonl:3:"),
        ]
        for (bad, note, diagnostic) in cases {
            let repo = try repo([bad])
            let r = try repo.spend("report")
            foot(r, note)
            // What is valid is reported.
            XCTAssertEqual(tableRow(r, "growth")?[1], "1", r.stdout)
            XCTAssertEqual(tableRow(r, "total")?[6], "$0.01", r.stdout)
            XCTAssertTrue(r.stderr.hasPrefix(diagnostic), r.stderr)
            if bad == Self.overflow { XCTAssertTrue(r.stderr.contains("error[overflow]: input_tokens 2000000000000000 is above the per-event limit"), r.stderr) }
            XCTAssertTrue(
                r.stderr.hasSuffix("spend: 1 invalid line excluded from the output above (spend lint lists them; --strict stops at them)\n"), r.stderr)
            assertStrict(try repo.spend("report", "--strict"), errors: 1)
        }
    }

    func testReportCountsAndSumsSeveralInvalidLines() throws {
        let repo = try repo([Self.badJSON, Self.unknownModel, Self.schema])
        let r = try repo.spend("report")
        foot(r, "3 invalid lines excluded ($0.50 recorded on 1, $? on 2 unpriceable) — see spend lint")
        XCTAssertEqual(r.stderr.split(separator: "\n").filter { $0.hasPrefix("ledger/2026/2026-11.jsonl:") }.count, 3, r.stderr)
        let strict = try repo.spend("report", "--strict")
        assertStrict(strict, errors: 3)
        XCTAssertTrue(strict.stderr.hasPrefix("ledger/2026/2026-11.jsonl:3:"), strict.stderr)

        let csv = try repo.spend("report", "--format", "csv")
        XCTAssertEqual(csv.status, 1)
        XCTAssertTrue(csv.stdout.hasSuffix("(unattributed),0,0,0,0,0,0,0,0\n(excluded),3,,,,,,,\n"), csv.stdout)
        let json = try repo.spend("report", "--format", "json")
        XCTAssertEqual(json.status, 1)
        XCTAssertTrue(
            json.stdout.contains(#""excluded_lines":{"lines":3,"with_recorded_cost":1,"recorded_cost":"0.5","unpriceable":2}}"#), json.stdout)
    }

    func testAValidLedgerExitsZeroWithoutTheFoot() throws {
        let repo = try repo([])
        let r = try repo.spend("report")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(r.stdout.contains("invalid line"), r.stdout)
        XCTAssertEqual(r.stderr, "")
        let json = try repo.spend("report", "--format", "json")
        XCTAssertTrue(json.stdout.contains(#""excluded_lines":{"lines":0,"with_recorded_cost":0,"recorded_cost":"0","unpriceable":0}"#), json.stdout)
    }

    func testDiffExcludesInvalidLinesOfEachSide() throws {
        for bad in [Self.badJSON, Self.unknownModel, Self.schema, Self.overflow] {
            let repo = try repo([bad])
            let r = try repo.spend("diff", "HEAD~1", "HEAD")
            let cost = bad == Self.unknownModel ? "$0.50 recorded on it" : "$? unpriceable"
            foot(r, "1 invalid line excluded at HEAD (\(try short(repo))) (\(cost)) — see spend lint")
            XCTAssertEqual(tableRow(r, "search")?[2], "1", r.stdout)
            XCTAssertTrue(r.stderr.hasPrefix("ledger/2026/2026-11.jsonl:3:"), r.stderr)
            XCTAssertTrue(r.stderr.hasSuffix("(spend lint lists them; --strict stops at them)\n"), r.stderr)
            assertStrict(try repo.spend("diff", "--strict", "HEAD~1", "HEAD"), errors: 1)

            let json = try repo.spend("diff", "HEAD~1", "HEAD", "--format", "json")
            XCTAssertEqual(json.status, 1)
            XCTAssertTrue(json.stdout.contains(#""excluded_lines":{"from":{"lines":0,"#), json.stdout)
            XCTAssertTrue(json.stdout.contains(#""to":{"lines":1,"#), json.stdout)
        }
    }

    func testReleasesAndReleaseDiffExcludeInvalidLines() throws {
        for bad in [Self.badJSON, Self.unknownModel, Self.schema] {
            let repo = try repo([bad])
            let cost = bad == Self.unknownModel ? "$0.50 recorded on it" : "$? unpriceable"
            let list = try repo.spend("releases")
            foot(list, "1 invalid line excluded (\(cost)) — see spend lint")
            XCTAssertNotNil(tableRow(list, "v2"), list.stdout)
            assertStrict(try repo.spend("releases", "--strict"), errors: 1)

            let diff = try repo.spend("diff", "--releases", "v1", "v2", "--by", "team")
            foot(diff, "1 invalid line excluded (\(cost)) — see spend lint")
            assertStrict(try repo.spend("diff", "--strict", "--releases", "v1", "v2", "--by", "team"), errors: 1)
            let json = try repo.spend("releases", "--format", "json")
            XCTAssertEqual(json.status, 1)
            XCTAssertTrue(json.stdout.contains(#""excluded_lines":{"lines":1,"#), json.stdout)
        }
    }

    func short(_ repo: TestRepo) throws -> String {
        String(try repo.git("rev-parse", "HEAD").prefix(7))
    }
}
