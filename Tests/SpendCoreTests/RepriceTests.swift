import Foundation
import XCTest

@testable import SpendCore

/// The pieces of `spend reprice`: --by parsing, priced_with locators, and
/// which committed cards were in force at an instant.
final class RepriceTests: XCTestCase {
    func testByNamesMakeOnePeriodColumnAndDimensions() throws {
        let q = try RepriceQuery(by: ["team", "month", "model"])
        XCTAssertEqual(q.columns, ["team", "month", "model"])
        XCTAssertEqual(q.periodColumn, 1)
        XCTAssertEqual(q.query.period, .month)
        XCTAssertEqual(q.query.dimensions, [.tag("team"), .field(.model)])
        XCTAssertNil(try RepriceQuery(by: ["provider"]).periodColumn)
        // The library names the problem; the CLI words it with --by (ErrorMessagesTests, RepriceCLITests).
        XCTAssertThrowsError(try RepriceQuery(by: ["month", "week"])) { error in
            XCTAssertEqual(error as? SpendError, .request(.repeatedPeriod("month", "week")))
            XCTAssertEqual("\(error)", "a grouping takes at most one of day, week, month, quarter, year (got 'month' and 'week')")
        }
        XCTAssertThrowsError(try RepriceQuery(by: ["team=x"])) { error in
            XCTAssertEqual(error as? SpendError, .request(.unknownGroupingName("team=x")))
            XCTAssertTrue("\(error)".hasPrefix("unknown grouping name 'team=x'"), "\(error)")
        }
        XCTAssertThrowsError(try RepriceQuery(by: [])) { error in
            XCTAssertEqual(error as? SpendError, .request(.emptyGroupingName(example: "month,model")))
        }
    }

    func testParsingAGroupingListAndFilters() throws {
        let q = try RepriceQuery(parsing: "team, month ,model", filters: ["env=prod"])
        XCTAssertEqual(q.columns, ["team", "month", "model"])
        XCTAssertEqual(q.query.filters, [WhereClause(dimension: .tag("env"), value: "prod", negated: false)])
        XCTAssertThrowsError(try RepriceQuery(parsing: "team,,model")) { error in
            XCTAssertEqual(error as? SpendError, .request(.emptyGroupingName(example: "month,model")))
        }
        XCTAssertThrowsError(try RepriceQuery(parsing: "month", filters: ["env"])) { error in
            XCTAssertEqual(error as? SpendError, .request(.badFilter("env")))
        }
    }

    func testPricedWithLocator() {
        let blob = String(repeating: "ab", count: 20)
        let parsed = RecordedBooks.parsePricedWith("openai/gpt-4o@2024-10-01 ratecards/openai.toml@\(blob)")
        XCTAssertEqual(parsed?.path, "ratecards/openai.toml")
        XCTAssertEqual(parsed?.blob, blob)
        XCTAssertEqual(RecordedBooks.parsePricedWith("openai/gpt-4o@2024-10-01 ratecards/openai.toml@\(blob.uppercased())")?.blob, blob)
        XCTAssertNil(RecordedBooks.parsePricedWith("openai/gpt-4o@2024-10-01"))
        XCTAssertNil(RecordedBooks.parsePricedWith("openai/gpt-4o@2024-10-01 ratecards/openai.toml@abc"))
        XCTAssertNil(RecordedBooks.parsePricedWith("openai/gpt-4o@2024-10-01 ratecards/openai.toml@\(String(repeating: "zz", count: 20))"))
    }

    /// Three card commits through libgit2 (a README-only commit between them
    /// is not a card commit); the cards in force at an instant are those of the
    /// last card commit at or before it, the first ones before any.
    func testCardsInForceAtAnInstant() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spend-reprice-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/ratecards", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let repo = try GitRepository.initialize(at: dir)
        func write(_ path: String, _ text: String) throws { try Data(text.utf8).write(to: URL(fileURLWithPath: dir + "/" + path)) }
        func card(_ input: String) -> String {
            "provider = \"acme\"\ncurrency = \"USD\"\n[[price]]\nmodel = \"m\"\neffective = 2026-01-01\ninput = \(input)\noutput = 1\n"
        }
        let day: Int64 = 86_400
        let jan10 = Timestamp.parse("2026-01-10T00:00:00Z")! / 1000
        try write("ratecards/acme.toml", card("1"))
        try repo.commitAll(message: "one", name: "A", email: "a@e", time: jan10)
        try write("README", "x")
        try repo.commitAll(message: "readme", name: "A", email: "a@e", time: jan10 + day)
        try write("ratecards/acme.toml", card("2"))
        try repo.commitAll(message: "two", name: "B", email: "b@e", time: jan10 + 5 * day)
        try write("ratecards/acme.toml", card("3"))
        try repo.commitAll(message: "three", name: "C", email: "c@e", time: jan10 + 9 * day)

        let history = try CardHistory(costRepository: try CostRepository(directory: dir))
        XCTAssertEqual(history.commits.map(\.summary), ["one", "two", "three"])
        XCTAssertEqual(history.commits.map(\.author), ["A", "B", "C"])
        XCTAssertEqual(history.commits[0].parentCards, [:])
        let books = try RecordedBooks(history: history)
        func input(at iso: String) -> String {
            let ts = Timestamp.parse(iso)!
            let book = books.book(books.book(at: ts)!).book
            return "\(try! book.price(provider: "acme", model: "m", at: ts, usage: Usage(inputTokens: 1_000_000)).cost)"
        }
        XCTAssertEqual(input(at: "2026-01-02T00:00:00Z"), "1")  // before any card commit: the first cards
        XCTAssertEqual(input(at: "2026-01-10T00:00:00Z"), "1")  // at the commit itself
        XCTAssertEqual(input(at: "2026-01-14T23:59:59Z"), "1")
        XCTAssertEqual(input(at: "2026-01-15T00:00:00Z"), "2")
        XCTAssertEqual(input(at: "2026-01-19T00:00:00.000Z"), "3")
        XCTAssertEqual(input(at: "2027-01-01T00:00:00Z"), "3")
    }
}
