import Foundation
import SpendTestSupport
import XCTest

@testable import SpendCore

/// Price-change classification and the usage-cell aggregate behind `spend audit`.
final class AuditTests: XCTestCase {
    func card(_ body: String, path: String = "ratecards/acme.toml") throws -> RateCard {
        try RateCardParser.parse("provider = \"acme\"\ncurrency = \"USD\"\n" + body, path: path)
    }

    static let point = """
        [[price]]
        model = "m"
        effective = 2026-01-01
        input = 1.00
        output = 4.00
        tool_calls = { web_search = 10.00 }
        tiers = [ { above_input_tokens = 1000, input = 2.00, output = 8.00 } ]
        service_tiers = { priority = { input = 1.70, output = 6.80 } }

        """

    func testAddedOnTheCommitDateBackdatedBefore() throws {
        let old = try card(Self.point)
        let new = try card(
            Self.point + "[[price]]\nmodel = \"m\"\neffective = 2026-03-01\ninput = 0.90\noutput = 4.00\n"
                + "[[price]]\nmodel = \"m\"\neffective = 2026-02-28T23:00:00Z\ninput = 0.95\noutput = 4.00\n")
        // Committed at 15:00 on 2026-03-01: a point effective that day is added, one the evening before is backdated.
        let commitTime = Timestamp.parse("2026-03-01T15:00:00Z")!
        let changes = PriceChanges.between(old: [old], new: [new], commitTime: commitTime)
        XCTAssertEqual(
            changes.map { "\($0.kind.rawValue) \($0.model)@\($0.effective) \($0.field) \($0.old)→\($0.new)" },
            [
                // Compared with the point it supersedes (2026-01-01): every field that differs, dropped ones included.
                "backdated m@2026-02-28T23:00:00.000Z input 1→0.95",
                "backdated m@2026-02-28T23:00:00.000Z tiers>1000.input 2→",
                "backdated m@2026-02-28T23:00:00.000Z tiers>1000.output 8→",
                "backdated m@2026-02-28T23:00:00.000Z tool_calls.web_search 10→",
                "backdated m@2026-02-28T23:00:00.000Z service_tiers.priority.input 1.7→",
                "backdated m@2026-02-28T23:00:00.000Z service_tiers.priority.output 6.8→",
                "added m@2026-03-01 input 0.95→0.9",
            ])
        // (0.9 − 0.95) / 0.95 = −5.26…% → −5.3%; no percentage when the new value is gone.
        XCTAssertEqual(changes[6].percentChange, ExactDecimal("-5.3"))
        XCTAssertNil(changes[1].percentChange)
    }

    func testEditedListsEveryChangedFieldIncludingTiersToolsAndServiceTiers() throws {
        let old = try card(Self.point)
        let new = try card(
            Self.point.replacingOccurrences(of: "output = 8.00", with: "output = 9.00")
                .replacingOccurrences(of: "web_search = 10.00", with: "web_search = 12.50")
                .replacingOccurrences(of: "input = 1.70", with: "input = 1.60"))
        let changes = PriceChanges.between(old: [old], new: [new], commitTime: 0)
        XCTAssertEqual(
            changes.map { "\($0.kind.rawValue) \($0.model)@\($0.effective) \($0.field) \($0.old)→\($0.new)" },
            [
                "edited m@2026-01-01 tiers>1000.output 8→9",
                "edited m@2026-01-01 tool_calls.web_search 10→12.5",
                "edited m@2026-01-01 service_tiers.priority.input 1.7→1.6",
            ])
        XCTAssertEqual(changes.map { $0.percentChange?.description ?? "" }, ["12.5", "25", "-5.9"])
        // Same prices, moved lines: nothing changed.
        XCTAssertTrue(PriceChanges.between(old: [old], new: [try card("\n\n" + Self.point)], commitTime: 0).isEmpty)
    }

    func testDeletedAndAliasChanges() throws {
        let old = try card("[aliases]\n\"m-latest\" = \"m\"\n\"m-old\" = \"m\"\n" + Self.point)
        let new = try card("[aliases]\n\"m-latest\" = \"n\"\n\"m-new\" = \"m\"\n[[price]]\nmodel = \"n\"\neffective = 2026-01-01\ninput = 3\noutput = 3\n")
        let changes = PriceChanges.between(old: [old], new: [new], commitTime: Timestamp.parse("2026-02-01T00:00:00Z")!)
        let deleted = changes.filter { $0.kind == .deleted }
        XCTAssertEqual(deleted.count, PriceChanges.fields(old.points[0]).count)
        XCTAssertTrue(deleted.allSatisfy { $0.new.isEmpty && $0.model == "m" }, "\(deleted)")
        let aliases = changes.filter { $0.kind == .alias }.map { "\($0.model) \($0.old)→\($0.new)" }
        XCTAssertEqual(aliases, ["m-latest m→n", "m-new →m", "m-old m→"])
        XCTAssertEqual(changes.filter { $0.kind == .backdated }.map(\.model), ["n", "n"])
        // A card deleted outright: every point deleted, every alias removed.
        let gone = PriceChanges.between(old: [old], new: [], commitTime: 0)
        XCTAssertEqual(Set(gone.map(\.kind)), [.deleted, .alias])
    }

    /// Pricing the cells equals pricing every event, for every card version:
    /// effective datetimes inside a day and tier thresholds that differ between
    /// versions must both split cells exactly.
    func testCellsPriceExactlyLikeEventsForEveryVersion() throws {
        let v1 = try card(
            """
            [aliases]
            "m-*" = "m"
            [[price]]
            model = "m"
            effective = 2026-01-01
            input = 1.00
            cached_input = 0.10
            output = 4.00
            batch_discount = 0.5
            tiers = [ { above_input_tokens = 1000, input = 2.00, cached_input = 0.20, output = 8.00 } ]
            service_tiers = { priority = { input = 1.70, cached_input = 0.17, output = 6.80, tiers = [ { above_input_tokens = 1200, input = 3.4, cached_input = 0.34, output = 13.6 } ] } }
            [[price]]
            model = "m"
            effective = 2026-01-10T12:30:00Z
            input = 1.10
            cached_input = 0.11
            output = 4.40
            batch_discount = 0.5
            tiers = [ { above_input_tokens = 1500, input = 2.20, cached_input = 0.22, output = 8.80 } ]
            service_tiers = { priority = { input = 1.87, cached_input = 0.187, output = 7.48 } }

            """)
        let v2 = try card(
            """
            [aliases]
            "m-*" = "m"
            [[price]]
            model = "m"
            effective = 2026-01-01
            input = 1.00
            cached_input = 0.10
            output = 4.00
            batch_discount = 0.5
            tiers = [ { above_input_tokens = 800, input = 2.00, cached_input = 0.20, output = 8.00 }, { above_input_tokens = 2000, input = 3.00, cached_input = 0.30, output = 12.00 } ]
            service_tiers = { priority = { input = 1.70, cached_input = 0.17, output = 6.80 } }
            [[price]]
            model = "m"
            effective = 2026-01-05T06:00:00Z
            input = 0.90
            cached_input = 0.09
            output = 3.60
            batch_discount = 0.4
            service_tiers = { priority = { input = 1.53, cached_input = 0.153, output = 6.12 } }

            """)
        var generator = seededRandom()
        let start = Timestamp.parse("2026-01-01T00:00:00Z")!
        var lines: [String] = []
        var events: [(ts: Int64, model: String, usage: Usage, batch: Bool, tier: String?)] = []
        for k in 0..<3000 {
            let ts = start + Int64.random(in: 0..<(20 * Timestamp.millisPerDay), using: &generator)
            let requests = Int64.random(in: 1...3, using: &generator)
            let input = Int64.random(in: 0...(1200 * requests), using: &generator)
            let cached = Int64.random(in: 0...(1200 * requests), using: &generator)
            let output = Int64.random(in: 0...500, using: &generator)
            let batch = Bool.random(using: &generator)
            let tier = [nil, "standard", "priority"].randomElement(using: &generator)!
            let model = ["m", "m-2026", "m-x"].randomElement(using: &generator)!
            var extra = "\"requests\":\(requests),\"batch\":\(batch)"
            if let tier { extra += ",\"service_tier\":\"\(tier)\"" }
            lines.append(
                "{\"ts\":\"\(Timestamp.format(millis: ts))\",\"id\":\"e\(k)\",\"provider\":\"acme\",\"model\":\"\(model)\",\(extra),\"input_tokens\":\(input),\"cached_input_tokens\":\(cached),\"output_tokens\":\(output),\"tags\":{}}"
            )
            events.append((ts, model, Usage(requests: requests, inputTokens: input, cachedInputTokens: cached, outputTokens: output), batch, tier))
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spend-cells-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: dir.path + "/ledger/2026", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(lines.map { $0 + "\n" }.joined().utf8).write(to: URL(fileURLWithPath: dir.path + "/ledger/2026/2026-01.jsonl"))
        let snapshot = try CostRepository(directory: dir.path).snapshot(.workingTree)
        let all = v1.points + v2.points
        var thresholds = all.flatMap { $0.tiers.map(\.aboveInputTokens) }
        thresholds += all.flatMap { $0.serviceTiers.values.flatMap { $0.tiers.map(\.aboveInputTokens) } }
        let cells = try UsageCells.build(snapshot, instants: all.map(\.effective), thresholds: thresholds)
        XCTAssertEqual(cells.events, 3000, "\(generator)")
        XCTAssertLessThan(cells.cells.count, 3000, "\(generator)")
        for version in [v1, v2] {
            let book = PriceBook(cards: [version])
            var expected = ExactDecimal.zero
            for e in events {
                expected += try book.price(provider: "acme", model: e.model, at: e.ts, usage: e.usage, batch: e.batch, serviceTier: e.tier).cost
            }
            var actual = ExactDecimal.zero
            for cell in cells.cells { actual += try UsageCells.price(cell, book: book).get() }
            XCTAssertEqual(actual, expected, "\(generator)")
        }
        // Cells cut only on one day or one threshold would not be exact: bucketing by day fails here.
        let coarse = try UsageCells.build(snapshot, instants: all.map { $0.effective / Timestamp.millisPerDay * Timestamp.millisPerDay }, thresholds: thresholds)
        var coarseTotal = ExactDecimal.zero
        let book = PriceBook(cards: [v1])
        for cell in coarse.cells { coarseTotal += try UsageCells.price(cell, book: book).get() }
        var exact = ExactDecimal.zero
        for cell in cells.cells { exact += try UsageCells.price(cell, book: book).get() }
        XCTAssertNotEqual(coarseTotal, exact, "\(generator)")
    }

    /// Block-by-block parsing of card versions equals the full parse, locations included.
    func testIncrementalParserEqualsFullParse() throws {
        let parser = IncrementalCardParser()
        for name in TestSupport.bundledCardNames {
            let text = try String(contentsOfFile: TestSupport.packageRoot + "/ratecards/" + name, encoding: .utf8)
            let versions = [text, text + "\n[[price]]\nmodel = \"zz\"\neffective = 2030-01-01\ninput = 1\noutput = 2\n", "# moved\n\n" + text]
            for version in versions {
                let full = try RateCardParser.parse(version, path: "ratecards/" + name, blobId: "b")
                let fast = try parser.parse(version, path: "ratecards/" + name, blobId: "b")
                XCTAssertEqual(fast.points, full.points, name)
                XCTAssertEqual(fast.aliases, full.aliases, name)
                XCTAssertEqual(fast.provider, full.provider)
            }
        }
        // Errors are the full parser's: a duplicate point, a bad value.
        let dup = "provider = \"a\"\ncurrency = \"USD\"\n[[price]]\nmodel = \"m\"\neffective = 2026-01-01\ninput = 1\noutput = 1\n[[price]]\nmodel = \"m\"\neffective = 2026-01-01\ninput = 2\noutput = 1\n"
        XCTAssertThrowsError(try parser.parse(dup, path: "p", blobId: nil)) { error in
            XCTAssertTrue("\(error)".contains("two price points for \"m\""), "\(error)")
        }
        XCTAssertThrowsError(try parser.parse(dup.replacingOccurrences(of: "input = 2", with: "input = -2"), path: "p", blobId: nil))
    }
}
