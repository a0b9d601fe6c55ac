import Foundation
import XCTest

/// `spend report` default table: columns, total, (unattributed), footer, precision.
final class ReportTableTests: XCTestCase {
    func testDefaultTableByTeam() throws {
        let repo = try makeRepo()
        try repo.writeLedger("ledger/2025/2025-01.jsonl", [Fixture.growth, Fixture.search])
        let r = try repo.spend("report")
        assertOK(r)
        XCTAssertEqual(r.stderr, "")
        let lines = r.lines
        XCTAssertEqual(
            lines.first?.split(separator: " ").map(String.init),
            ["team", "requests", "input", "cached", "cache_write", "output", "cost", "share"])
        XCTAssertEqual(tableRow(r, "growth"), ["growth", "1", "2,000", "0", "0", "500", "$0.01", "74.1%"])
        XCTAssertEqual(tableRow(r, "search"), ["search", "1", "1,000", "0", "0", "100", "$0.00", "25.9%"])
        // Always shown, even when nothing is untagged.
        XCTAssertEqual(tableRow(r, "(unattributed)"), ["(unattributed)", "0", "0", "0", "0", "0", "$0.00", "0.0%"])
        XCTAssertEqual(tableRow(r, "total"), ["total", "2", "3,000", "0", "0", "600", "$0.01", "100.0%"])
        let footer = lines.first { $0.hasPrefix("unattributed:") }
        XCTAssertNotNil(footer, r.stdout)
        XCTAssertTrue(footer?.hasPrefix("unattributed: $0.00 (0.0% of total)") ?? false, footer ?? "")
        XCTAssertTrue(footer?.contains("\"team\"") ?? false, footer ?? "")
        // Rows come by cost (largest first) and the total row comes last of the table.
        let order = lines.compactMap { $0.split(separator: " ").first.map(String.init) }
        let g = order.firstIndex(of: "growth"), s = order.firstIndex(of: "search"), t = order.firstIndex(of: "total")
        XCTAssertNotNil(g)
        XCTAssertNotNil(s)
        XCTAssertNotNil(t)
        if let g, let s, let t {
            XCTAssertLessThan(g, s)
            XCTAssertLessThan(s, t)
        }
    }

    func testUnattributedRowCountsUntaggedEvents() throws {
        let repo = try makeRepo()
        let untagged = event(ts: "2025-01-03T10:00:00Z", id: "req-none", input: 2000, output: 500, tags: [("env", "prod")])
        try repo.writeLedger("ledger/2025/2025-01.jsonl", [Fixture.growth, untagged])
        let r = try repo.spend("report")
        assertOK(r)
        XCTAssertEqual(tableRow(r, "(unattributed)"), ["(unattributed)", "1", "2,000", "0", "0", "500", "$0.01", "50.0%"])
        XCTAssertEqual(tableRow(r, "total"), ["total", "2", "4,000", "0", "0", "1,000", "$0.02", "100.0%"])
        let footer = r.lines.first { $0.hasPrefix("unattributed:") } ?? ""
        XCTAssertTrue(footer.hasPrefix("unattributed: $0.01 (50.0% of total)"), footer)
    }

    func testEmptyLedgerStillShowsUnattributedAndTotal() throws {
        let repo = try makeRepo()
        try FileManager.default.createDirectory(at: repo.url("ledger"), withIntermediateDirectories: true)
        let r = try repo.spend("report")
        assertOK(r)
        XCTAssertEqual(tableRow(r, "(unattributed)")?.prefix(7).map { $0 }, ["(unattributed)", "0", "0", "0", "0", "0", "$0.00"])
        XCTAssertEqual(tableRow(r, "total")?.prefix(7).map { $0 }, ["total", "0", "0", "0", "0", "0", "$0.00"])
        XCTAssertTrue(r.lines.contains { $0.hasPrefix("unattributed:") }, r.stdout)
    }

    func testPrecisionFour() throws {
        let repo = try makeRepo()
        try repo.writeLedger("ledger/2025/2025-01.jsonl", [Fixture.growth, Fixture.search])
        let r = try repo.spend("report", "--precision", "4")
        assertOK(r)
        XCTAssertEqual(tableRow(r, "growth")?[6], "$0.0100")
        XCTAssertEqual(tableRow(r, "search")?[6], "$0.0035")
        XCTAssertEqual(tableRow(r, "(unattributed)")?[6], "$0.0000")
        XCTAssertEqual(tableRow(r, "total")?[6], "$0.0135")
        let footer = r.lines.first { $0.hasPrefix("unattributed:") } ?? ""
        XCTAssertTrue(footer.hasPrefix("unattributed: $0.0000 ("), footer)
        XCTAssertTrue(r.stdout.contains("rounded to 4 decimals"), r.stdout)
    }

    func testTwoDecimalsByDefault() throws {
        let repo = try makeRepo()
        try repo.writeLedger("ledger/2025/2025-01.jsonl", [Fixture.growth, Fixture.search])
        let r = try repo.spend("report")
        assertOK(r)
        for label in ["growth", "search", "(unattributed)", "total"] {
            let cost = tableRow(r, label)?[6] ?? ""
            XCTAssertNotNil(cost.range(of: #"^\$\d+\.\d{2}$"#, options: .regularExpression), "\(label): \(cost)")
        }
        XCTAssertTrue(r.stdout.contains("rounded to 2 decimals"), r.stdout)
    }

    func testGroupingByFieldHasNoUnattributedRow() throws {
        let repo = try makeRepo()
        try repo.writeLedger("ledger/2025/2025-01.jsonl", [Fixture.growth])
        let r = try repo.spend("report", "--by", "model")
        assertOK(r)
        XCTAssertEqual(r.lines.first?.split(separator: " ").first.map(String.init), "model")
        XCTAssertEqual(tableRow(r, "gpt-4o"), ["gpt-4o", "1", "2,000", "0", "0", "500", "$0.01", "100.0%"])
        XCTAssertNil(tableRow(r, "(unattributed)"))
        XCTAssertFalse(r.lines.contains { $0.hasPrefix("unattributed:") }, r.stdout)
    }
}
