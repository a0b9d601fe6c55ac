import Foundation
import XCTest

/// `service_tier: "default"` is the standard tier (docs/FORMAT.md): every verb
/// reads it as `standard`, while the stored line keeps what was written.
final class ServiceTierDefaultTests: XCTestCase {
    /// gpt-4o @2024-10-01: standard 2.50 / 10.00, priority 4.25 / 17.00 (costs in comments).
    func makeTierRepo() throws -> TestRepo {
        let repo = try makeRepo()
        try repo.writeLedger(
            "ledger/2025/2025-01.jsonl",
            [
                // no service_tier: 2000×2.5 + 500×10 → 0.01
                event(ts: "2025-01-01T00:00:00Z", id: "e1", input: 2000, output: 500, tags: [("team", "growth")]),
                // 1000×2.5 + 100×10 → 0.0035
                event(ts: "2025-01-02T00:00:00Z", id: "e2", input: 1000, output: 100, tags: [("team", "growth")],
                      extra: #""service_tier":"standard""#),
                // 4000×2.5 → 0.01
                event(ts: "2025-01-03T00:00:00Z", id: "e3", input: 4000, output: 0, tags: [("team", "growth")],
                      extra: #""service_tier":"default""#),
                // the same word with an escape: 1000×2.5 + 100×10 → 0.0035
                event(ts: "2025-01-04T00:00:00Z", id: "e4", input: 1000, output: 100, tags: [("team", "growth")],
                      extra: #""service_tier":"d\u0065fault""#),
                // 2000×4.25 + 500×17 → 0.017
                event(ts: "2025-01-05T00:00:00Z", id: "e5", input: 2000, output: 500, tags: [("team", "growth")],
                      extra: #""service_tier":"priority""#),
            ])
        return repo
    }

    func csv(_ repo: TestRepo, _ args: String...) throws -> [String] {
        let r = try runSpend("spend", ["report", "--format", "csv"] + args, in: repo.root)
        assertOK(r)
        return r.lines
    }

    static let header = "service_tier,requests,input_tokens,cached_input_tokens,cache_write_tokens,output_tokens,cost"
    // e1–e4: 8000 in, 700 out, 0.01 + 0.0035 + 0.01 + 0.0035.
    static let standard = "standard,4,8000,0,0,700,0.027"
    static let priority = "priority,1,2000,0,0,500,0.017"

    func testReportGroupsDefaultWithStandard() throws {
        let repo = try makeTierRepo()
        XCTAssertEqual(try csv(repo, "--by", "service_tier"), [Self.header, Self.standard, Self.priority])
    }

    func testWhereStandardKeepsDefaultAndWhereDefaultMeansStandard() throws {
        let repo = try makeTierRepo()
        XCTAssertEqual(try csv(repo, "--by", "service_tier", "--where", "service_tier=standard"), [Self.header, Self.standard])
        XCTAssertEqual(try csv(repo, "--by", "service_tier", "--where", "service_tier=default"), [Self.header, Self.standard])
        XCTAssertEqual(try csv(repo, "--by", "service_tier", "--where", "service_tier!=standard"), [Self.header, Self.priority])
    }

    func testRepriceGroupsDefaultWithStandardAndTheLineIsNotRewritten() throws {
        let repo = try makeTierRepo()
        let before = try repo.read("ledger/2025/2025-01.jsonl")
        try repo.commitAll("events")
        let r = try repo.spend("reprice", "--by", "service_tier", "--format", "csv")
        assertOK(r)
        XCTAssertEqual(r.lines.first, "service_tier,events,stored_cost,recomputed_cost,drift")
        XCTAssertEqual(r.lines.dropFirst().map { $0.split(separator: ",").prefix(2).joined(separator: ",") }, ["priority,1", "standard,4"])
        let lint = try repo.spend("lint", "--all")
        assertOK(lint)
        XCTAssertEqual(try repo.read("ledger/2025/2025-01.jsonl"), before)
        XCTAssertTrue(before.contains(#""service_tier":"default""#))
    }

    func testAppendWritesADefaultTierAsTheStandardTier() throws {
        let repo = try makeRepo()
        let json = #"{"ts":"2025-01-03T00:00:00Z","id":"a1","provider":"openai","model":"gpt-4o","service_tier":"default","input_tokens":4000,"output_tokens":0,"tags":{}}"#
        let r = try runSpend("spend", ["append", "--json", json], in: repo.root)
        assertOK(r)
        let line = try repo.read("ledger/2025/2025-01.jsonl")
        XCTAssertFalse(line.contains("service_tier"), line)
        XCTAssertTrue(line.contains(#""cost":"0.01""#), line)
    }
}
