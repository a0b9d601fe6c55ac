import XCTest

@testable import SpendCore

/// A release's prices held constant: every model at the point in effect at one instant.
final class ConstantPricesTests: XCTestCase {
    let card = """
        provider = "openai"
        currency = "USD"

        [[price]]
        model = "gpt-4o-mini"
        effective = 2024-07-18
        input = 0.15
        output = 0.60

        [[price]]
        model = "gpt-4o-mini"
        effective = 2026-12-01
        input = 0.30
        output = 1.20

        [[price]]
        model = "gpt-5"
        effective = 2027-01-01
        input = 1.25
        output = 10.00

        """

    func book() throws -> PriceBook {
        PriceBook(cards: [try RateCardParser.parse(card, path: "ratecards/openai.toml", blobId: "abc")])
    }

    func rates(_ book: PriceBook, _ model: String, at day: String) throws -> String {
        guard case .success(let m) = book.resolve(provider: "openai", model: model), let point = book.pointIndex(model: m, at: Timestamp.parseDateOrTimestamp(day)!)
        else { return "none" }
        let p = book.points[Int(point)]
        return "\(p.rates.input!) \(p.rates.output!)"
    }

    func testEveryModelIsHeldAtThePointInEffectAtTheInstant() throws {
        let before = ConstantPrices(book: try book(), at: ConstantPrices.endOfDay("2026-11-30")!)
        XCTAssertTrue(before.differs)
        XCTAssertEqual(before.instant, Timestamp.parseDateOrTimestamp("2026-12-01")! - 1)
        // Any date prices at November's point, before and after the change.
        XCTAssertEqual(try rates(before.book, "gpt-4o-mini", at: "2025-01-01"), "0.15 0.6")
        XCTAssertEqual(try rates(before.book, "gpt-4o-mini", at: "2026-12-15"), "0.15 0.6")
        // A model priced only from a later date keeps its own points.
        XCTAssertEqual(try rates(before.book, "gpt-5", at: "2027-02-01"), "1.25 10")
        XCTAssertEqual(try rates(before.book, "gpt-5", at: "2026-12-15"), "none")
        // The frozen card's identity names the price epoch, so instants of one epoch share the cache.
        XCTAssertEqual(SummaryEngine.bookKey(before.book), "ratecards/openai.toml=abc@" + String(Timestamp.parseDateOrTimestamp("2024-07-18")!))
        let sameEpoch = ConstantPrices(book: try book(), at: ConstantPrices.endOfDay("2026-10-01")!)
        XCTAssertEqual(SummaryEngine.bookKey(sameEpoch.book), SummaryEngine.bookKey(before.book))

        let after = ConstantPrices(book: try book(), at: ConstantPrices.endOfDay("2026-12-01")!)
        XCTAssertEqual(try rates(after.book, "gpt-4o-mini", at: "2025-01-01"), "0.3 1.2")
        XCTAssertNotEqual(SummaryEngine.bookKey(after.book), SummaryEngine.bookKey(before.book))
    }

    func testCardsWithOnePointPerModelAreUnchanged() throws {
        let single = PriceBook(cards: [try RateCardParser.parse(String(card.prefix(while: { $0 != "[" })) + "[[price]]\nmodel = \"gpt-4o\"\neffective = 2024-10-01\ninput = 2.50\noutput = 10.00\n", path: "ratecards/openai.toml", blobId: "abc")])
        let prices = ConstantPrices(book: single, at: ConstantPrices.endOfDay("2026-11-30")!)
        XCTAssertFalse(prices.differs)
        XCTAssertEqual(SummaryEngine.bookKey(prices.book), "ratecards/openai.toml=abc")
    }
}
