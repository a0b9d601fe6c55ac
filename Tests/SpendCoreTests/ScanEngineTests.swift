import XCTest

@testable import SpendCore

/// The scan engine on its own, through a consumer that records what it is
/// handed: the window, `--where`, skip-line, line numbers, group keys with
/// their sentinels and period lane; and the concurrency helper.
final class ScanEngineTests: XCTestCase {
    /// Records each event's id, line (0-based in the chunk) and group labels.
    struct Recorder: ScanConsumer {
        struct Seen: Equatable {
            var id: String
            var line: Int
            var labels: [String]
        }
        let scope: ScanScope

        func begin(_ scan: inout ChunkScan) -> [Seen] { [] }

        func consume(_ scan: inout ChunkScan, _ seen: inout [Seen]) {
            let key = scan.groupKey()
            seen.append(
                Seen(
                    id: scan.string(scan.event.id), line: scan.line(at: scan.event.lineStart),
                    labels: key.labels(dimensions: scope.dimensions.count, period: scope.period, scan.interner)))
        }
    }

    static func event(_ id: String, _ ts: String, tags: String, extra: String = "") -> String {
        #"{"ts":"\#(ts)","id":"\#(id)","provider":"openai","model":"gpt-4o","input_tokens":10,"output_tokens":1\#(extra),"tags":{\#(tags)}}"#
    }

    static let text = [
        event("a", "2026-11-02T10:00:00Z", tags: #""team":"search""#, extra: #","release":"v1""#),
        "",
        #"{"ts":"2026-11-03T10:00:00Z","id":"bad","#,
        event("b", "2026-11-04T10:00:00Z", tags: #""env":"prod""#),
        event("c", "2026-12-01T00:00:00Z", tags: #""team":"search""#),
        event("d", "2026-11-05T10:00:00Z", tags: #""team":"""#),
        event("e", "2026-10-31T23:59:59.999Z", tags: #""team":"growth""#),
    ].joined(separator: "\n") + "\n"

    func scan(_ scope: ScanScope) -> ScannedChunk<[Recorder.Seen]> {
        let bytes = Array(Self.text.utf8)
        let buffer = bytes.withUnsafeBytes { ShardBuffer(shard: LedgerShard(path: "ledger/2026/2026-11.jsonl", content: .file("/dev/null")), copying: $0) }
        return ScanEngine.scan(LedgerChunk(buffer: buffer, range: 0..<bytes.count), Recorder(scope: scope))
    }

    func testEveryReadableEventReachesTheConsumerWithItsLineAndBadLinesAreLocated() {
        var scope = ScanScope()
        scope.countsLines = true
        let result = scan(scope)
        XCTAssertEqual(result.partial.map(\.id), ["a", "b", "c", "d", "e"])
        XCTAssertEqual(result.partial.map(\.line), [0, 3, 4, 5, 6])
        XCTAssertEqual(result.lines, 7)
        XCTAssertEqual(result.diagnostics.count, 1)
        XCTAssertEqual(result.diagnostics.first?.line, 3)
        XCTAssertEqual(result.diagnostics.first?.path, "ledger/2026/2026-11.jsonl")
    }

    func testTheWindowAndWhereClausesAreAppliedBeforeTheConsumer() throws {
        var scope = ScanScope()
        scope.since = TestSupport.ms("2026-11-01T00:00:00Z")
        scope.until = TestSupport.ms("2026-12-01T00:00:00Z")
        scope.filters = [try WhereClause(parsing: "team!=(unattributed)")]
        XCTAssertEqual(scan(scope).partial.map(\.id), ["a"])
        scope.filters = [try WhereClause(parsing: "team=")]
        XCTAssertEqual(scan(scope).partial.map(\.id), ["b", "d"], "a missing tag and an empty one are both unattributed")
        scope.filters = [try WhereClause(parsing: "release=(none)")]
        XCTAssertEqual(scan(scope).partial.map(\.id), ["b", "d"])
    }

    func testGroupKeysCarryTheSentinelsAndThePeriodLane() throws {
        var scope = ScanScope()
        scope.dimensions = [.tag("team"), .field(.release), .field(.status)]
        scope.period = .month
        let labels = scan(scope).partial.map(\.labels)
        XCTAssertEqual(
            labels,
            [
                ["2026-11", "search", "v1", "ok"],
                ["2026-11", "(unattributed)", "(none)", "ok"],
                ["2026-12", "search", "(none)", "ok"],
                ["2026-11", "(unattributed)", "(none)", "ok"],
                ["2026-10", "growth", "(none)", "ok"],
            ])
        var key = GroupKey(repeating: 0)
        key[0] = GroupKey.unattributed
        key[1] = GroupKey.none
        key[GroupKey.periodLane] = Period.month.bucket(TestSupport.ms("2026-11-02T10:00:00Z"))
        XCTAssertEqual(key.labels(dimensions: 2, period: .month, StringInterner(), periodAt: 1), ["(unattributed)", "2026-11", "(none)"])
    }

    func testParallelMapReturnsOneResultPerIndexInOrder() {
        XCTAssertEqual(parallelMap(0) { $0 }, [])
        XCTAssertEqual(parallelMap(1000) { $0 * 2 }, (0..<1000).map { $0 * 2 })
    }
}
