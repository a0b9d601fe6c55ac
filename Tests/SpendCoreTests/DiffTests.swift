import Foundation
import XCTest

@testable import SpendCore

final class DiffTests: XCTestCase {
    func d(_ s: String) -> ExactDecimal { ExactDecimal(s)! }

    func model(_ ra: Int64, _ ca: String, _ rb: Int64, _ cb: String, _ cbAtA: String) -> ModelUsage {
        var m = ModelUsage()
        m.requestsA = ra
        m.costA = d(ca)
        m.requestsB = rb
        m.costB = d(cb)
        m.costBAtA = d(cbAtA)
        return m
    }

    func testSameUsageNewPricesIsPriceEffectOnly() throws {
        let e = try Decomposition.effects(["openai/gpt-4o": model(10, "0.35", 10, "0.7", "0.35")])
        XCTAssertEqual(e.price, d("0.35"))
        XCTAssertEqual(e.volume, .zero)
        XCTAssertEqual(e.intensity, .zero)
        XCTAssertEqual(e.mix, .zero)
    }

    func testDoubledRequestsIsVolumeEffectOnly() throws {
        let e = try Decomposition.effects([
            "openai/gpt-4o": model(3, "0.0105", 6, "0.021", "0.021"),
            "openai/gpt-4o-mini": model(7, "0.00123", 14, "0.00246", "0.00246"),
        ])
        XCTAssertEqual(e.volume, d("0.01173"))
        XCTAssertEqual(e.price, .zero)
        XCTAssertEqual(e.intensity, .zero)
        XCTAssertEqual(e.mix, .zero)
    }

    func testModelShiftIsMixAndTokensPerRequestIsIntensity() throws {
        // Same request count; half of gpt-4o's requests moved to gpt-4o-mini at the same cost per request of each model.
        let mix = try Decomposition.effects([
            "a/big": model(10, "1", 5, "0.5", "0.5"),
            "a/small": model(10, "0.1", 15, "0.15", "0.15"),
        ])
        XCTAssertEqual(mix.mix, d("-0.45"))
        XCTAssertEqual(mix.volume, .zero)
        XCTAssertEqual(mix.intensity, .zero)
        // Same requests and model, twice the tokens per request.
        let intensity = try Decomposition.effects(["a/big": model(10, "1", 10, "2", "2")])
        XCTAssertEqual(intensity.intensity, d("1"))
        XCTAssertEqual(intensity.volume + intensity.mix + intensity.price, .zero)
    }

    func testEffectsAlwaysSumExactlyToDelta() throws {
        var random = seededRandom()
        func next(_ n: UInt64) -> UInt64 { random.next() % n }
        for _ in 0..<2000 {
            var models: [String: ModelUsage] = [:]
            for k in 0..<Int(next(4)) + 1 {
                let ra = Int64(next(3) == 0 ? 0 : next(1000))
                let rb = Int64(next(3) == 0 ? 0 : next(1000))
                func cost(_ r: Int64) -> String { r == 0 ? "0" : "\(next(100)).\(next(10_000_000))" }
                models["m\(k)"] = model(ra, cost(ra), rb, cost(rb), cost(rb))
            }
            let e = try Decomposition.effects(models)
            let delta = models.values.reduce(ExactDecimal.zero) { $0 + $1.costB - $1.costA }
            XCTAssertEqual(e.sum, delta, "\(models)")
        }
    }

    func testDivideRoundsHalfAwayFromZeroAtTwelvePlaces() throws {
        XCTAssertEqual(try Decomposition.divide(d("1"), times: 1, over: 3), d("0.333333333333"))
        XCTAssertEqual(try Decomposition.divide(d("2"), times: 1, over: 3), d("0.666666666667"))
        XCTAssertEqual(try Decomposition.divide(d("-2"), times: 1, over: 3), d("-0.666666666667"))
        XCTAssertEqual(try Decomposition.divide(d("0.0035"), times: 4, over: 2), d("0.007"))
    }

    func testVersionOrder() {
        let tags = ["v1.10.0", "v1.2.0", "v1.2.0-rc1", "v1.9", "v2.0", "v1.2.1"]
        XCTAssertEqual(tags.sorted(by: VersionOrder.less), ["v1.2.0-rc1", "v1.2.0", "v1.2.1", "v1.9", "v1.10.0", "v2.0"])
    }

    func testSummaryCacheRoundTripsAndRejectsCorruptOrForeignEntries() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spend-diff-cache-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cache = SummaryCache(gitCommonDirectory: dir)
        var summary = ShardSummary()
        summary.cells[["growth", "openai", "gpt-4o", "1"]] = UsageCell(events: 2, requests: 3, inputTokens: 10, outputTokens: 5, cost: d("0.0125"))
        summary.cells[["tab\there", "new\nline", "back\\slash", "2"]] = UsageCell(events: 1, requests: 1, inputTokens: 1, outputTokens: 1, cost: d("1"))
        let blob = String(repeating: "ab", count: 20)
        cache.store(summary, blob: blob, key: "book|query")
        XCTAssertEqual(cache.load(blob: blob, key: "book|query"), summary)
        XCTAssertNil(cache.load(blob: blob, key: "book|other-query"))
        // Flip one digit of a cost: the checksum no longer matches.
        let path = cache.path(blob: blob, key: "book|query")
        var text = try String(contentsOfFile: path, encoding: .utf8)
        text = text.replacingOccurrences(of: "0.0125", with: "0.0126")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertNil(cache.load(blob: blob, key: "book|query"))
        // Truncated and garbage files too.
        try "SPEND-DIFF-CACHE 1\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertNil(cache.load(blob: blob, key: "book|query"))
        try Data([0, 1, 2, 255]).write(to: URL(fileURLWithPath: path))
        XCTAssertNil(cache.load(blob: blob, key: "book|query"))
        // And a rebuilt entry is trusted again.
        cache.store(summary, blob: blob, key: "book|query")
        XCTAssertEqual(cache.load(blob: blob, key: "book|query"), summary)
    }
}
