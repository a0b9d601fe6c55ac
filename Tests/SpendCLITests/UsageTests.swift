import Foundation
import XCTest

/// Usage errors exit 2; help exits 0; `spend-report` ≡ `spend report`.
final class UsageTests: XCTestCase {
    func testUsageErrorsExitTwo() throws {
        let repo = try makeRepo()
        try repo.writeLedger("ledger/2025/2025-01.jsonl", [Fixture.growth])
        let cases: [[String]] = [
            ["report", "--period", "decade"],
            ["report", "--since", "notadate"],
            ["report", "--until", "2025-13-45"],
            ["report", "--where", "team"],
            ["report", "--format", "xml"],
            ["report", "--precision", "13"],
            ["report", "--by", ""],
            ["report", "--by", "team,,model"],
            ["report", "--no-such-flag"],
            ["no-such-verb"],
        ]
        for args in cases {
            let r = try runSpend("spend", args, in: repo.root)
            XCTAssertEqual(r.status, 2, "spend \(args.joined(separator: " ")): stderr \(r.stderr)")
            XCTAssertEqual(r.stdout, "", "spend \(args.joined(separator: " "))")
            XCTAssertFalse(r.stderr.isEmpty, "spend \(args.joined(separator: " "))")
        }
    }

    func testUsageMessagesNameTheProblem() throws {
        let repo = try makeRepo()
        try repo.writeLedger("ledger/2025/2025-01.jsonl", [Fixture.growth])
        let period = try repo.spend("report", "--period", "decade")
        XCTAssertTrue(period.stderr.contains("decade"), period.stderr)
        let since = try repo.spend("report", "--since", "notadate")
        XCTAssertTrue(since.stderr.contains("notadate"), since.stderr)
        let filter = try repo.spend("report", "--where", "team")
        XCTAssertTrue(filter.stderr.contains("--where"), filter.stderr)
        XCTAssertTrue(filter.stderr.contains("KEY=VALUE"), filter.stderr)
    }

    func testHelpExitsZero() throws {
        let dir = try makeTempDir()
        for args in [["--help"], ["report", "--help"], ["help", "report"], ["-h"]] {
            let r = try runSpend("spend", args, in: dir)
            XCTAssertEqual(r.status, 0, "spend \(args.joined(separator: " ")): \(r.stderr)")
            XCTAssertTrue(r.stdout.contains("USAGE"), "spend \(args.joined(separator: " ")):\n\(r.stdout)")
        }
        let top = try runSpend("spend", ["--help"], in: dir)
        XCTAssertTrue(top.stdout.contains("report"), top.stdout)
        let report = try runSpend("spend", ["report", "--help"], in: dir)
        for option in ["--by", "--period", "--since", "--until", "--where", "--rev", "--format", "--precision", "-C"] {
            XCTAssertTrue(report.stdout.contains(option), "report --help lacks \(option)")
        }
        let direct = try runProcess(Paths.executable("spend-report"), ["--help"], in: dir)
        XCTAssertEqual(direct.status, 0, direct.stderr)
        XCTAssertTrue(direct.stdout.contains("--by"), direct.stdout)
    }

    func testVersion() throws {
        let dir = try makeTempDir()
        let r = try runSpend("spend", ["--version"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
    }

    /// `spend -C DIR verb` works like `git -C DIR …` (and `spend verb -C DIR`).
    func testDashCBeforeTheVerb() throws {
        let repo = try makeRepo()
        try repo.writeLedger("ledger/2025/2025-01.jsonl", [Fixture.growth, Fixture.search])
        let elsewhere = try makeTempDir()
        let after = try runSpend("spend", ["report", "-C", repo.root.path, "--format", "csv"], in: elsewhere)
        let before = try runSpend("spend", ["-C", repo.root.path, "report", "--format", "csv"], in: elsewhere)
        XCTAssertEqual(after.status, 0, after.stderr)
        XCTAssertEqual(before.status, 0, before.stderr)
        XCTAssertEqual(before.stdout, after.stdout)
        // Relative to the previous -C, like git.
        let parent = repo.root.deletingLastPathComponent()
        let chained = try runSpend("spend", ["-C", parent.path, "-C", repo.root.lastPathComponent, "report", "--format", "csv"], in: elsewhere)
        XCTAssertEqual(chained.stdout, after.stdout, chained.stderr)
        let missing = try runSpend("spend", ["-C", "/nonexistent-spend-dir", "report"], in: elsewhere)
        XCTAssertEqual(missing.status, 2)
        XCTAssertEqual(missing.stderr, "spend: error: cannot change to '/nonexistent-spend-dir': No such file or directory\n")
    }

    func testSpendReportExecutableMatchesUmbrella() throws {
        let repo = try makeRepo()
        try repo.writeLedger("ledger/2025/2025-01.jsonl", [Fixture.growth, Fixture.search])
        for args in [["--format", "csv"], ["--format", "json", "--by", "team,model"], []] {
            let umbrella = try runSpend("spend", ["report"] + args, in: repo.root)
            let direct = try runSpend("spend-report", args, in: repo.root)
            assertOK(umbrella)
            assertOK(direct)
            XCTAssertEqual(direct.stdout, umbrella.stdout, args.joined(separator: " "))
        }
        let bad = try runSpend("spend-report", ["--period", "decade"], in: repo.root)
        assertRejected(bad)
    }
}
