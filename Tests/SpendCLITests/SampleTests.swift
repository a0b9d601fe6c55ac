import Foundation
import XCTest

/// The product's own repository carries rate cards and a sample ledger: `spend report` works on a fresh clone.
final class SampleTests: XCTestCase {
    func testBundledSampleReport() throws {
        let elsewhere = try makeTempDir()
        let r = try runSpend("spend", ["report", "-C", Paths.packageRoot.path], in: elsewhere)
        assertOK(r)
        XCTAssertEqual(
            r.lines.first?.split(separator: " ").map(String.init),
            ["team", "requests", "input", "cached", "cache_write", "output", "cost", "share"])
        for team in ["support", "growth", "search", "research", "platform", "(unattributed)", "total"] {
            XCTAssertNotNil(tableRow(r, team), "no row for \(team):\n\(r.stdout)")
        }
        XCTAssertTrue(r.lines.contains { $0.hasPrefix("unattributed:") }, r.stdout)
    }

    func testBundledSampleCSVTotalsMatchRows() throws {
        let elsewhere = try makeTempDir()
        let csv = try runSpend("spend", ["report", "-C", Paths.packageRoot.path, "--format", "csv"], in: elsewhere)
        assertOK(csv)
        let json = try runSpend("spend", ["report", "-C", Paths.packageRoot.path, "--format", "json"], in: elsewhere)
        assertOK(json)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let rows = try XCTUnwrap(object["rows"] as? [[String: Any]])
        XCTAssertEqual(rows.count, csv.lines.count - 1)
        // Every CSV cost is a plain decimal string without a currency sign.
        for line in csv.lines.dropFirst() {
            let cost = line.split(separator: ",").last.map(String.init) ?? ""
            XCTAssertNotNil(cost.range(of: #"^\d+(\.\d+)?$"#, options: .regularExpression), line)
        }
        // Requests in the total equal the sum over rows.
        let total = try XCTUnwrap(object["total"] as? [String: Any])
        let sum = rows.compactMap { $0["requests"] as? Int }.reduce(0, +)
        XCTAssertEqual(total["requests"] as? Int, sum)
    }
}
