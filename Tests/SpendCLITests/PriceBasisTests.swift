import Foundation
import XCTest

/// Issue 12 §3: `spend report --prices current|as-recorded`, and the foot
/// that says how much the rows differ on the other basis.
final class PriceBasisTests: XCTestCase {
    /// 6.9% off gpt-4o for October 2026, committed after October's events (backdated).
    static let discount = """

        [[discount]]
        effective = 2026-10-01
        until = 2026-11-01
        percent = "6.9"
        models = ["gpt-4o"]

        """

    /// Three October calls of 1M output tokens of gpt-4o: $10.00 each at list, stored by append.
    func octoberRepo() throws -> TestRepo {
        let repo = try makeRepo()
        let lines = (1...3).map { i in
            event(
                ts: "2026-10-0\(i)T12:00:00Z", id: "oct-\(i)", input: 0, output: 1_000_000, tags: [("team", "growth")], extra: #""cost":"10""#)
        }
        try repo.writeLedger("ledger/2026/2026-10.jsonl", lines)
        try repo.commitAll("October")
        try repo.append("ratecards/openai.toml", Self.discount)
        try repo.commitAll("backdated contract discount for October")
        return repo
    }

    /// The issue's example: after a backdated discount, today's prices say $27.93 and the books said $30.00.
    func testBackdatedDiscount() throws {
        let repo = try octoberRepo()
        let current = try repo.spend("report", "--cost", "effective")
        XCTAssertEqual(current.status, 0, current.stderr)
        XCTAssertEqual(tableRow(current, "total")?[6], "$27.93", current.stdout)
        XCTAssertTrue(
            current.stdout.contains(
                "\nas recorded, these rows total $30.00, $2.07 more than at current prices (1 row differs) — see spend reprice\n"),
            current.stdout)

        let recorded = try repo.spend("report", "--cost", "effective", "--prices", "as-recorded")
        XCTAssertEqual(recorded.status, 0, recorded.stderr)
        XCTAssertEqual(tableRow(recorded, "total")?[6], "$30.00", recorded.stdout)
        XCTAssertTrue(
            recorded.stdout.contains(
                "\nat current prices (today's rate cards), these rows total $27.93, $2.07 less than as recorded (1 row differs) — see spend reprice\n"),
            recorded.stdout)
        XCTAssertTrue(
            recorded.stdout.contains("costs are as recorded: each event's stored cost, else the rate cards it was priced with or committed at its ts\n"),
            recorded.stdout)

        // At list price nothing changed: no foot.
        let list = try repo.spend("report")
        XCTAssertEqual(tableRow(list, "total")?[6], "$30.00", list.stdout)
        XCTAssertFalse(list.stdout.contains("see spend reprice"), list.stdout)

        let json = try repo.spend("report", "--cost", "effective", "--format", "json")
        XCTAssertTrue(
            json.stdout.contains(
                #""prices":"current","other_prices":{"prices":"as-recorded","total":"30","difference":"2.07","rows_differing":1,"events_compared":3}"#),
            json.stdout)
    }

    /// A stored cost that today's cards do not reproduce (list): the foot says so, in the same scan.
    func testStoredCostsAreComparedAtListPrice() throws {
        let repo = try makeRepo()
        try repo.writeLedger(
            "ledger/2026/2026-11.jsonl",
            [
                event(ts: "2026-11-01T00:00:00Z", id: "a", input: 2000, output: 500, tags: [("team", "growth")], extra: #""cost":"0.02""#),
                event(ts: "2026-11-01T00:00:00Z", id: "b", input: 1000, output: 100, tags: [("team", "search")], extra: #""cost":"0.0035""#),
                event(ts: "2026-11-01T00:00:00Z", id: "c", input: 1000, output: 100, tags: [("team", "search")]),
            ])
        try repo.commitAll("ledger")
        let r = try repo.spend("report")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(tableRow(r, "growth")?[6], "$0.01", r.stdout)
        XCTAssertTrue(
            r.stdout.contains(
                "\nas recorded, these rows total $0.03, $0.01 more than at current prices (1 row differs); 1 event without a stored cost not compared — see spend reprice\n"
            ), r.stdout)
        let recorded = try repo.spend("report", "--prices", "as-recorded")
        XCTAssertEqual(recorded.status, 0, recorded.stderr)
        XCTAssertEqual(tableRow(recorded, "growth")?[6], "$0.02", recorded.stdout)
        let csv = try repo.spend("report", "--prices", "as-recorded", "--format", "csv")
        XCTAssertTrue(csv.stdout.contains("\ngrowth,1,2000,0,0,500,0.02,0.02,0.01\n"), csv.stdout)
    }

    /// The same prices on both bases: no foot.
    func testNoFootWhenTheBasesAgree() throws {
        let repo = try makeRepo()
        try repo.writeLedger(
            "ledger/2026/2026-11.jsonl",
            [event(ts: "2026-11-01T00:00:00Z", id: "a", input: 2000, output: 500, tags: [("team", "growth")], extra: #""cost":"0.01""#)])
        try repo.commitAll("ledger")
        for args in [["report"], ["report", "--prices", "as-recorded"], ["report", "--cost", "effective"]] {
            let r = try runSpend("spend", args, in: repo.root)
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertFalse(r.stdout.contains("see spend reprice"), r.stdout)
        }
    }
}
