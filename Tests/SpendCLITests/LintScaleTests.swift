import Foundation
import XCTest

/// `spend lint` on very large inputs, under the hang guard (answers checked, not time).
final class LintScaleTests: XCTestCase {
    /// 12,000 new backdated points in one commit: 12,000 findings. Each
    /// finding's source line was found by splitting the whole card again
    /// (quadratic: over 300 s in a release build); the card is split once.
    func testManyFindingsOnALargeCardGetTheirSourceLines() throws {
        let repo = try makeRepo(cards: false)
        try repo.write("ratecards/acme.toml", "provider = \"acme\"\ncurrency = \"USD\"\n")
        try repo.commitAll("empty card")
        var text = "provider = \"acme\"\ncurrency = \"USD\"\n"
        for model in 0..<120 {
            for day in 1...100 {
                text += "\n[[price]]\nmodel = \"m\(model)\"\neffective = 2020-\(day <= 28 ? "01" : day <= 56 ? "02" : day <= 84 ? "03" : "04")-\(String(format: "%02d", (day - 1) % 28 + 1))\ninput = 1\noutput = 2\n"
            }
        }
        try repo.write("ratecards/acme.toml", text)
        try repo.commitAll("large card, backdated")

        let r = try repo.spendGuarded(["lint", "--commits", "HEAD~1..HEAD"])
        assertNotHung(r, "spend lint --commits")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("spend lint: 0 errors, 12000 warnings"), String(r.stdout.suffix(400)))
        // Findings show their line of the card.
        XCTAssertTrue(r.stdout.contains("ratecards/acme.toml:4: warning[ratecard-backdated]: new price point acme/m0@2020-01-01"), String(r.stdout.prefix(600)))
        XCTAssertTrue(r.stdout.contains("4 | [[price]]\n"), String(r.stdout.prefix(600)))
    }
}
