import Dispatch
import Foundation
import XCTest

@testable import SpendCore

/// `SummaryEngine` is `Sendable`: one engine shared by threads memoizes
/// without a data race (its memo and counters are behind a lock).
final class SummaryEngineTests: XCTestCase {
    /// A working tree with one rate card and four monthly shards.
    func makeSnapshot() throws -> Snapshot {
        let dir = try TestSupport.temporaryDirectory()
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/ratecards", withIntermediateDirectories: true)
        try Data("provider = \"acme\"\ncurrency = \"USD\"\n[[price]]\nmodel = \"m\"\neffective = 2026-01-01\ninput = 1.00\noutput = 2.00\n".utf8)
            .write(to: URL(fileURLWithPath: dir + "/ratecards/acme.toml"))
        for month in 1...4 {
            var text = ""
            for k in 0..<200 {
                let team = ["a", "b", "c"][k % 3]
                text += "{\"ts\":\"2026-0\(month)-02T10:00:00Z\",\"id\":\"e\(month)-\(k)\",\"provider\":\"acme\",\"model\":\"m\",\"input_tokens\":\(k),\"output_tokens\":\(k * 2),\"tags\":{\"team\":\"\(team)\"}}\n"
            }
            try FileManager.default.createDirectory(atPath: dir + "/ledger/2026", withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: dir + "/ledger/2026/2026-0\(month).jsonl"))
        }
        return try CostRepository(directory: dir).snapshot(.workingTree)
    }

    func testOneEngineSharedByThreadsGivesEveryCallerTheSameSummary() throws {
        let snapshot = try makeSnapshot()
        let query = try ReportQuery()
        let expected = try SummaryEngine(cache: nil).summary(of: snapshot, query: query)
        XCTAssertFalse(expected.cells.isEmpty)
        let engine = SummaryEngine(cache: nil)
        let calls = 64
        let results = UncheckedSendable(UnsafeMutableBufferPointer<ShardSummary?>.allocate(capacity: calls))
        results.value.initialize(repeating: nil)
        defer { results.value.deallocate() }
        DispatchQueue.concurrentPerform(iterations: calls) { k in
            results.value[k] = try? engine.summary(of: snapshot, query: query)
        }
        for k in 0..<calls { XCTAssertEqual(results.value[k], expected, "call \(k)") }
        // Every shard was parsed at least once and at most once per call; none came from a disk cache.
        XCTAssertGreaterThanOrEqual(engine.parsedShards, snapshot.shards.count)
        XCTAssertLessThanOrEqual(engine.parsedShards, snapshot.shards.count * calls)
        XCTAssertEqual(engine.cachedShards, 0)
        // Once memoized, a call parses nothing.
        let parsed = engine.parsedShards
        XCTAssertEqual(try engine.summary(of: snapshot, query: query), expected)
        XCTAssertEqual(engine.parsedShards, parsed)
    }
}
