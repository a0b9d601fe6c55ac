import XCTest

import SpendBase
@testable import SpendPricing

/// `RateCardCache`: one parse per distinct card, never a stale or a cached failure.
final class RateCardCacheTests: XCTestCase {
    let card = """
        provider = "openai"
        currency = "USD"

        [[price]]
        model = "gpt-4o"
        effective = 2024-05-13
        input = 5.00
        output = 15.00
        """

    func testTheSameCardIsParsedOnceAndAnEditedCardAgain() throws {
        let cache = RateCardCache(capacity: 4)
        let first = try cache.card(card, path: "ratecards/openai.toml")
        let again = try cache.card(card, path: "ratecards/openai.toml")
        XCTAssertEqual(cache.count, 1)
        XCTAssertEqual(first.points.count, again.points.count)
        XCTAssertEqual(first.points[0].rates.input, ExactDecimal("5.00"))
        // An edit (same path) is a new card, with the new price.
        let edited = try cache.card(card.replacingOccurrences(of: "input = 5.00", with: "input = 2.50"), path: "ratecards/openai.toml")
        XCTAssertEqual(edited.points[0].rates.input, ExactDecimal("2.50"))
        XCTAssertEqual(cache.count, 2)
        // The same text under another path or blob keeps its own location.
        let elsewhere = try cache.card(card, path: "ratecards/other.toml", blobId: "abc")
        XCTAssertEqual(elsewhere.path, "ratecards/other.toml")
        XCTAssertEqual(cache.count, 3)
    }

    func testAFailedParseIsNotKeptAndReportsItsErrorEachTime() {
        let cache = RateCardCache(capacity: 4)
        let bad = card.replacingOccurrences(of: "input = 5.00", with: "input = -5.00")
        for _ in 0..<2 {
            XCTAssertThrowsError(try cache.card(bad, path: "ratecards/openai.toml")) { error in
                let rules = (error as? DiagnosticsError)?.diagnostics.map(\.rule.id) ?? []
                XCTAssertEqual(rules, ["ratecard-negative"])
            }
        }
        XCTAssertEqual(cache.count, 0)
    }

    func testTheOldestCardIsForgottenAtCapacity() throws {
        let cache = RateCardCache(capacity: 2)
        for price in ["1.00", "2.00", "3.00"] {
            _ = try cache.card(card.replacingOccurrences(of: "input = 5.00", with: "input = \(price)"), path: "ratecards/openai.toml")
        }
        XCTAssertEqual(cache.count, 2)
    }
}
