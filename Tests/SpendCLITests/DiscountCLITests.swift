import Foundation
import XCTest

/// `[[discount]]` end to end: `spend report --cost list|effective`, CSV and
/// JSON with both costs, and `spend lint` on a bad discount.
final class DiscountCLITests: XCTestCase {
    /// 15% off every gpt-4o* model on 2025-01-01 only (until is exclusive).
    static let discount = """

        [[discount]]
        effective = 2025-01-01
        until = 2025-01-02
        percent = "15"
        models = ["gpt-4o*"]

        """

    /// Bundled cards plus the discount; growth (2025-01-01, 0.01 list → 0.0085) and search (2025-01-02, 0.0035, no discount).
    func makeDiscountRepo() throws -> TestRepo {
        let repo = try makeRepo()
        try repo.append("ratecards/openai.toml", Self.discount)
        try repo.writeLedger("ledger/2025/2025-01.jsonl", [Fixture.growth, Fixture.search])
        try repo.commitAll("ledger and a contract discount")
        return repo
    }

    static let header = "team,requests,input_tokens,cached_input_tokens,cache_write_tokens,output_tokens,cost,list_cost,effective_cost"

    func testCSVCarriesBothCostsAndCostIsTheBasis() throws {
        let repo = try makeDiscountRepo()
        let list = try repo.spend("report", "--by", "team", "--format", "csv")
        assertOK(list)
        XCTAssertEqual(
            list.stdout,
            """
            \(Self.header)
            growth,1,2000,0,0,500,0.01,0.01,0.0085
            search,1,1000,0,0,100,0.0035,0.0035,0.0035
            (unattributed),0,0,0,0,0,0,0,0

            """)
        let effective = try repo.spend("report", "--by", "team", "--format", "csv", "--cost", "effective")
        assertOK(effective)
        XCTAssertEqual(
            effective.stdout,
            """
            \(Self.header)
            growth,1,2000,0,0,500,0.0085,0.01,0.0085
            search,1,1000,0,0,100,0.0035,0.0035,0.0035
            (unattributed),0,0,0,0,0,0,0,0

            """)
    }

    func testTableShowsTheBasisAndSaysSo() throws {
        let repo = try makeDiscountRepo()
        let list = try repo.spend("report", "--by", "team", "--precision", "4")
        assertOK(list)
        XCTAssertEqual(tableRow(list, "total")?[6], "$0.0135")
        XCTAssertFalse(list.stdout.contains("contract discounts"))
        let effective = try repo.spend("report", "--by", "team", "--precision", "4", "--cost", "effective")
        assertOK(effective)
        XCTAssertEqual(tableRow(effective, "growth")?[6], "$0.0085")
        XCTAssertEqual(tableRow(effective, "total")?[6], "$0.0120")
        XCTAssertTrue(
            effective.stdout.contains("costs are effective: list price after contract discounts ([[discount]] in ratecards/)\n"),
            effective.stdout)
    }

    func testJSONCarriesBothCostsAndTheBasis() throws {
        let repo = try makeDiscountRepo()
        let run = try repo.spend("report", "--by", "team", "--format", "json", "--cost", "effective")
        assertOK(run)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["cost_basis"] as? String, "effective")
        let total = try XCTUnwrap(object["total"] as? [String: Any])
        XCTAssertEqual(total["cost"] as? String, "0.012")
        XCTAssertEqual(total["list_cost"] as? String, "0.0135")
        XCTAssertEqual(total["effective_cost"] as? String, "0.012")
        let rows = try XCTUnwrap(object["rows"] as? [[String: Any]])
        XCTAssertEqual(rows.first?["team"] as? String, "growth")
        XCTAssertEqual(rows.first?["list_cost"] as? String, "0.01")
        XCTAssertEqual(rows.first?["effective_cost"] as? String, "0.0085")
    }

    func testBadBasisIsAUsageError() throws {
        let repo = try makeDiscountRepo()
        let run = try repo.spend("report", "--cost", "net")
        assertRejected(run)
        XCTAssertTrue(run.stderr.contains("The value 'net' is invalid for '--cost <basis>'"), run.stderr)
    }

    func testLintLocatesABadDiscount() throws {
        let repo = try makeDiscountRepo()
        try repo.replace(in: "ratecards/openai.toml", "percent = \"15\"", with: "percent = \"150\"")
        let run = try repo.spend("lint")
        XCTAssertEqual(run.status, 1, run.stdout + run.stderr)
        let line = try repo.read("ratecards/openai.toml").components(separatedBy: "\n").firstIndex(of: "percent = \"150\"")! + 1
        XCTAssertTrue(
            run.stdout.contains("ratecards/openai.toml:\(line): error[ratecard-discount]: percent of [[discount]] is 150; it must be between 0 and 100"),
            run.stdout)
        // A report refuses the card (exit 2) and prints nothing on stdout.
        let report = try repo.spend("report")
        assertRejected(report)
        XCTAssertTrue(report.stderr.contains("error[ratecard-discount]: percent of [[discount]] is 150"), report.stderr)
    }
}

/// `spend audit` lists a `[[discount]]` change like a price change, with its impact.
final class DiscountAuditCLITests: XCTestCase {
    static let card = """
        provider = "acme"

        [[price]]
        model = "big"
        effective = 2025-01-01
        input = 2
        output = 8

        [[price]]
        model = "small"
        effective = 2025-01-01
        input = 1
        output = 1

        """

    /// e1 (2025-03-01) and e2 (2025-08-01): big, 1,000 in / 1,000 out = 0.002 + 0.008 = 0.01 each at list;
    /// e3 (2025-08-01): small, 1,000 / 1,000 = 0.002 (no discount ever covers it).
    func testDiscountChangesAreAuditedWithTheirImpact() throws {
        let repo = try makeRepo(cards: false)
        try repo.write("ratecards/acme.toml", Self.card)
        try repo.writeLedger(
            "ledger/2025/2025-03.jsonl", [event(ts: "2025-03-01T00:00:00Z", id: "e1", provider: "acme", model: "big", input: 1000, output: 1000)])
        try repo.writeLedger(
            "ledger/2025/2025-08.jsonl",
            [
                event(ts: "2025-08-01T00:00:00Z", id: "e2", provider: "acme", model: "big", input: 1000, output: 1000),
                event(ts: "2025-08-01T00:00:01Z", id: "e3", provider: "acme", model: "small", input: 1000, output: 1000),
            ])
        try repo.commitAll("card and ledger")
        // 10% off big from 2025-06-01: e2 0.01 → 0.009.
        try repo.append("ratecards/acme.toml", "[[discount]]\neffective = 2025-06-01\npercent = 10\nmodels = [\"b*\"]\n")
        try repo.commitAll("contract: 10% off big")
        // 20%: e2 0.009 → 0.008.
        try repo.replace(in: "ratecards/acme.toml", "percent = 10", with: "percent = 20")
        try repo.commitAll("contract: 20%")
        // Ends before e2: 0.008 → 0.01.
        try repo.replace(in: "ratecards/acme.toml", "percent = 20", with: "percent = 20\nuntil = 2025-07-01")
        try repo.commitAll("contract ends 2025-07-01")
        let r = try repo.spend("audit", "--format", "csv")
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = r.lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).dropFirst(3).joined(separator: ",") }
        XCTAssertEqual(
            Array(rows.suffix(3)),
            [
                "acme,big,2025-06-01,discount,,10%,backdated,-0.001",
                "acme,big,2025-06-01,discount,10%,20%,edited,-0.001",
                "acme,big,2025-06-01,discount,20%,20% until 2025-07-01,edited,0.002",
            ])
        let filtered = try repo.spend("audit", "--model", "small", "--format", "csv")
        XCTAssertEqual(filtered.status, 0, filtered.stderr)
        XCTAssertFalse(filtered.stdout.contains("discount"), filtered.stdout)
    }
}

/// `spend reprice --cost effective` reprices the events whose discount changed.
final class DiscountRepriceCLITests: XCTestCase {
    /// Committed: the card without a discount and e1/e2/e3 (no stored costs) of `DiscountAuditCLITests`;
    /// working tree: 10% off big from 2025-06-01 (e2 0.01 → 0.009).
    func makeRepriceRepo() throws -> TestRepo {
        let repo = try makeRepo(cards: false)
        try repo.write("ratecards/acme.toml", DiscountAuditCLITests.card)
        try repo.writeLedger(
            "ledger/2025/2025-03.jsonl", [event(ts: "2025-03-01T00:00:00Z", id: "e1", provider: "acme", model: "big", input: 1000, output: 1000)])
        try repo.writeLedger(
            "ledger/2025/2025-08.jsonl",
            [
                event(ts: "2025-08-01T00:00:00Z", id: "e2", provider: "acme", model: "big", input: 1000, output: 1000),
                event(ts: "2025-08-01T00:00:01Z", id: "e3", provider: "acme", model: "small", input: 1000, output: 1000),
            ])
        try repo.commitAll("card and ledger")
        try repo.append("ratecards/acme.toml", "[[discount]]\neffective = 2025-06-01\npercent = 10\nmodels = [\"big\"]\n")
        return repo
    }

    func testEffectiveBasisRepricesTheDiscountedEvents() throws {
        let repo = try makeRepriceRepo()
        let effective = try repo.spend("reprice", "--by", "model", "--cost", "effective", "--format", "csv")
        XCTAssertEqual(effective.status, 0, effective.stderr)
        XCTAssertEqual(
            effective.lines, ["model,events,stored_cost,recomputed_cost,drift", "big,2,0.02,0.019,-0.001", "small,1,0.002,0.002,0"])
        // At list price the discount changes nothing.
        let list = try repo.spend("reprice", "--by", "model", "--format", "csv")
        XCTAssertEqual(list.status, 0, list.stderr)
        XCTAssertEqual(list.lines, ["model,events,stored_cost,recomputed_cost,drift", "big,2,0.02,0.02,0", "small,1,0.002,0.002,0"])
        XCTAssertEqual(try repo.spend("reprice", "--check").status, 0)
        let check = try repo.spend("reprice", "--check", "--cost", "effective", "--list")
        XCTAssertEqual(check.status, 1, check.stdout + check.stderr)
        XCTAssertTrue(check.stdout.contains("ledger/2025/2025-08.jsonl:1"), check.stdout)
        XCTAssertFalse(check.stdout.contains("2025-03.jsonl"), check.stdout)
        XCTAssertEqual(
            check.stdout,
            "ledger/2025/2025-08.jsonl:1: e2 2025-08-01T00:00:00.000Z acme/big stored 0.01 recomputed 0.009 drift -0.001\n"
                + "1 event drift; recomputed with the rate cards of the working tree, at effective cost\n")
        let table = try repo.spend("reprice", "--by", "model", "--cost", "effective")
        XCTAssertTrue(
            table.stdout.contains(
                "stored: the rate cards as recorded (priced_with blob, else the cards committed at the event's ts), at effective cost (events' stored costs are list costs, not compared)\n"),
            table.stdout)
    }
}
