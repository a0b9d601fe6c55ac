import Foundation
import XCTest

@testable import SpendCore
@testable import SpendRender

/// The pieces of `spend lint` that need no repository: glob overlap, the
/// append-only comparison, shard months, id extraction and the id cache.
final class LintCoreTests: XCTestCase {
    func testGlobOverlapIsExactAndGivesAWitness() {
        let w = GlobOverlap.witness("gpt-4o-*", "gpt-4o-mini-2024-*")
        XCTAssertNotNil(w)
        XCTAssertTrue(Glob("gpt-4o-*").matches(w!) && Glob("gpt-4o-mini-2024-*").matches(w!), w!)
        XCTAssertNil(GlobOverlap.witness("claude-sonnet-4-2025*", "claude-sonnet-4-5-*"))
        XCTAssertNil(GlobOverlap.witness("gpt-4.1-2025-*", "gpt-4.1-mini-2025-*"))
        XCTAssertEqual(GlobOverlap.witness("a?c", "?b?"), "abc")
        XCTAssertNil(GlobOverlap.witness("a?", "a??"))
        XCTAssertNotNil(GlobOverlap.witness("*x*", "*y*"))
        XCTAssertEqual(GlobOverlap.witness("abc", "abc"), "abc")
        XCTAssertNil(GlobOverlap.witness("abc", "abd"))
        XCTAssertEqual(GlobOverlap.witness("**", "*"), "")
    }

    func testShardMonths() {
        let nov = LedgerLint.month(ofShard: "ledger/2026/2026-11.jsonl")!
        XCTAssertEqual(nov.lowerBound, Timestamp.parse("2026-11-01T00:00:00Z"))
        XCTAssertEqual(nov.upperBound, Timestamp.parse("2026-12-01T00:00:00Z"))
        let dec = LedgerLint.month(ofShard: "ledger/2026/2026-12.jsonl")!
        XCTAssertEqual(dec.upperBound, Timestamp.parse("2027-01-01T00:00:00Z"))
        XCTAssertNil(LedgerLint.month(ofShard: "ledger/2026/2025-11.jsonl"))
        XCTAssertNil(LedgerLint.month(ofShard: "ledger/2026-11.jsonl"))
        XCTAssertNil(LedgerLint.month(ofShard: "ledger/2026/2026-13.jsonl"))
        XCTAssertNil(LedgerLint.month(ofShard: "ledger/x/2026/2026-11.jsonl"))
    }

    func compare(_ old: String, _ new: String) -> (Int, Diagnostic?) {
        let o = Array(old.utf8)
        let n = Array(new.utf8)
        return o.withUnsafeBytes { ob in n.withUnsafeBytes { nb in LedgerLint.compareHistory(path: "s", old: ob, new: nb, baseLabel: "HEAD") } }
    }

    func testAppendOnlyComparison() {
        var (from, finding) = compare("a\nb\n", "a\nb\nc\n")
        XCTAssertEqual(from, 4)
        XCTAssertNil(finding)
        (from, finding) = compare("a\nb\n", "a\nb\n")
        XCTAssertEqual(from, 4)
        XCTAssertNil(finding)
        (from, finding) = compare("", "a\n")
        XCTAssertEqual(from, 0)
        XCTAssertNil(finding)
        // A torn last line completed by the append: re-checked from its start.
        (from, finding) = compare("a\nb", "a\nbb\nc\n")
        XCTAssertEqual(from, 2)
        XCTAssertNil(finding)
        (from, finding) = compare("a\nb\nc\n", "a\nX\nc\n")
        XCTAssertEqual(from, 2)
        XCTAssertEqual(finding?.line, 2)
        XCTAssertEqual(finding?.column, 1)
        XCTAssertEqual(finding?.rule, "append-only")
        XCTAssertTrue(finding!.message.hasPrefix("line 2 was edited (HEAD has: b)"), finding!.message)
        (_, finding) = compare("a\nb\nc\n", "a\nc\n")
        XCTAssertTrue(finding!.message.hasPrefix("line 2 of HEAD was deleted (it was: b)"), finding!.message)
        (_, finding) = compare("a\nb\nc\n", "a\nN\nb\nc\n")
        XCTAssertTrue(finding!.message.hasPrefix("a line was inserted before line 2 of HEAD"), finding!.message)
        (from, finding) = compare("a\nb\nc\n", "a\n")
        XCTAssertEqual(from, 2)
        XCTAssertEqual(finding?.line, 1)
        XCTAssertTrue(finding!.message.hasPrefix("lines 2–3 of HEAD were deleted (the shard had 3 lines, now 1)"), finding!.message)
        (_, finding) = compare("a\nb\n", "")
        XCTAssertTrue(finding!.message.hasPrefix("lines 1–2 of HEAD were deleted"), finding!.message)
    }

    /// The fast id reader agrees with the scanner, on canonical and other lines.
    func testFastIdScanMatchesScanner() {
        let text = """
            {"ts":"2026-11-03T14:22:05.123Z","id":"plain","provider":"openai","model":"m","input_tokens":1,"output_tokens":1,"tags":{}}

            {"ts":"2026-11-03T14:22:05.123Z","id":"caf\\u00e9","provider":"openai","model":"m","input_tokens":1,"output_tokens":1,"tags":{}}
            {"id":"first-key","ts":"2026-11-03T14:22:05.123Z","provider":"openai","model":"m","input_tokens":1,"output_tokens":1,"tags":{}}
            { "ts": "2026-11-03T14:22:05.123Z", "id": "spaced", "provider":"openai","model":"m","input_tokens":1,"output_tokens":1,"tags":{}}
            not json
            {"ts":"2026-11-03T14:22:05.123Z","id":"last","provider":"openai","model":"m","input_tokens":1,"output_tokens":1,"tags":{}}
            """
        let bytes = Array(text.utf8)
        let buffer = bytes.withUnsafeBytes { ShardBuffer(shard: LedgerShard(path: "s", content: .file("/dev/null")), copying: $0) }
        let chunk = LedgerChunk(buffer: buffer, range: 0..<bytes.count)
        let fast = LedgerLint.scanIds(chunk)
        XCTAssertEqual(fast.oldIds.map(\.relLine), [0, 2, 3, 4, 6])
        XCTAssertEqual(fast.lines, 6)
        let expected = ["plain", "café", "first-key", "spaced", "last"].map { id -> UInt64 in
            let b = Array(id.utf8)
            return b.withUnsafeBytes { IdSet.hash($0.baseAddress!, b.count) }
        }
        XCTAssertEqual(fast.oldIds.map(\.hash), expected)
    }

    func testIdSetLookupAndMerge() {
        let set = IdSet(entries: [(30, 3), (10, 1), (20, 2)])
        XCTAssertEqual(set.line(of: 20), 2)
        XCTAssertNil(set.line(of: 25))
        let more = set.adding([(25, 9), (5, 8)])
        XCTAssertEqual(more.entries.map(\.hash), [5, 10, 20, 25, 30])
        XCTAssertEqual(more.line(of: 25), 9)
    }

    func testIdSetCacheRoundTripAndCorruption() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spend-idcache-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let cache = IdSetCache(gitCommonDirectory: dir.path)
        let blob = ObjectID(hex: String(repeating: "ab", count: 20))
        XCTAssertNil(cache.load(blob))
        cache.store(IdSet(entries: [(7, 1), (3, 2)]), for: blob)
        XCTAssertEqual(cache.load(blob)?.entries.map(\.hash), [3, 7])
        XCTAssertEqual(cache.load(blob)?.line(of: 7), 1)
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: cache.directory + "/" + blob.hex))
        XCTAssertNil(cache.load(blob))
        cache.store(IdSet(entries: [(1, 1)]), for: blob)
        XCTAssertEqual(cache.load(blob)?.entries.count, 1, "a corrupt entry is replaced")
    }

    func testPointDifferences() throws {
        let card = """
            provider = "p"
            [[price]]
            model = "m"
            effective = 2025-01-01
            input = 1.00
            output = 2
            """
        let a = try RateCardParser.parse(card, path: "a").points[0]
        let b = try RateCardParser.parse(card.replacingOccurrences(of: "input = 1.00", with: "input = \"1\""), path: "b").points[0]
        XCTAssertNil(RateCardLint.difference(a, b), "same prices written differently")
        let c = try RateCardParser.parse(card.replacingOccurrences(of: "output = 2", with: "output = 3\nbatch_discount = 0.5"), path: "c").points[0]
        XCTAssertEqual(RateCardLint.difference(a, c), "output 2 → 3, batch_discount unset → 0.5")
    }

    func testResultExitCodesAndSummary() {
        var section = LintSection(
            commit: nil, title: nil, diagnostics: [], errors: 0, warnings: 1, omitted: 0, stats: LintStats(), notes: [])
        section.stats.eventsChecked = 1234
        section.stats.shardsChecked = 2
        section.stats.cards = 3
        section.stats.base = "against HEAD"
        let result = LintResult(mode: .staged, sections: [section])
        XCTAssertEqual(result.exitCode(strict: false), 0)
        XCTAssertEqual(result.exitCode(strict: true), 1)
        XCTAssertEqual(LintRenderer().summaryLine(result), "spend lint: 0 errors, 1 warning (staged against HEAD: 1,234 new events checked in 2 shards, 3 rate cards)")
    }
}
