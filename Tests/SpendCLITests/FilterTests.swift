import Foundation
import XCTest

/// `--where`, `--since`/`--until`, and field vs tag dimensions.
final class FilterTests: XCTestCase {
    static let usage = "requests,input_tokens,cached_input_tokens,cache_write_tokens,output_tokens,cost,list_cost,effective_cost"
    static let zeroUnattributed = "(unattributed),0,0,0,0,0,0,0,0"

    /// Four events (costs in comments).
    func makeFilterRepo() throws -> TestRepo {
        let repo = try makeRepo()
        try repo.writeLedger(
            "ledger/2025/2025-01.jsonl",
            [
                // 2000×2.5 + 500×10 → 0.01
                event(ts: "2025-01-01T00:00:00Z", id: "e1", input: 2000, output: 500,
                      tags: [("team", "growth"), ("env", "prod"), ("provider", "acme")]),
                // 1000×2.5 + 100×10 → 0.0035
                event(ts: "2025-01-02T00:00:00Z", id: "e2", input: 1000, output: 100,
                      tags: [("team", "search"), ("env", "dev")]),
                // 1000×3 + 1000×15 → 0.018
                event(ts: "2025-01-03T00:00:00Z", id: "e3", provider: "anthropic", model: "claude-3-5-sonnet-20241022",
                      input: 1000, output: 1000, tags: [("team", "growth"), ("env", "prod"), ("provider", "beta")]),
                // 4000×2.5 → 0.01; no env tag
                event(ts: "2025-01-03T12:00:00Z", id: "e4", input: 4000, output: 0, tags: [("team", "research")]),
            ])
        return repo
    }

    func csv(_ repo: TestRepo, _ args: String...) throws -> [String] {
        let r = try runSpend("spend", ["report", "--format", "csv"] + args, in: repo.root)
        assertOK(r)
        return r.lines
    }

    func testWhereEquals() throws {
        let repo = try makeFilterRepo()
        XCTAssertEqual(
            try csv(repo, "--where", "env=prod"),
            ["team," + Self.usage, "growth,2,3000,0,0,1500,0.028,0.028,0.028", Self.zeroUnattributed])
    }

    func testWhereNotEqualsKeepsEventsMissingTheTag() throws {
        let repo = try makeFilterRepo()
        XCTAssertEqual(
            try csv(repo, "--where", "env!=prod"),
            ["team," + Self.usage, "research,1,4000,0,0,0,0.01,0.01,0.01", "search,1,1000,0,0,100,0.0035,0.0035,0.0035", Self.zeroUnattributed])
    }

    func testWhereClausesCombine() throws {
        let repo = try makeFilterRepo()
        XCTAssertEqual(
            try csv(repo, "--where", "env!=prod", "--where", "team=search"),
            ["team," + Self.usage, "search,1,1000,0,0,100,0.0035,0.0035,0.0035", Self.zeroUnattributed])
    }

    func testWhereEmptyValueMatchesMissingTag() throws {
        let repo = try makeFilterRepo()
        XCTAssertEqual(
            try csv(repo, "--where", "env="),
            ["team," + Self.usage, "research,1,4000,0,0,0,0.01,0.01,0.01", Self.zeroUnattributed])
    }

    func testWhereFieldVersusTag() throws {
        let repo = try makeFilterRepo()
        XCTAssertEqual(
            try csv(repo, "--where", "provider=anthropic"),
            ["team," + Self.usage, "growth,1,1000,0,0,1000,0.018,0.018,0.018", Self.zeroUnattributed])
        XCTAssertEqual(
            try csv(repo, "--where", "tags.provider=acme"),
            ["team," + Self.usage, "growth,1,2000,0,0,500,0.01,0.01,0.01", Self.zeroUnattributed])
    }

    func testSinceInclusiveUntilExclusive() throws {
        let repo = try makeFilterRepo()
        // e2 is exactly at 2025-01-02T00:00Z (in); e3 exactly at 2025-01-03T00:00Z (out).
        XCTAssertEqual(
            try csv(repo, "--since", "2025-01-02", "--until", "2025-01-03"),
            ["team," + Self.usage, "search,1,1000,0,0,100,0.0035,0.0035,0.0035", Self.zeroUnattributed])
        XCTAssertEqual(
            try csv(repo, "--since", "2025-01-03"),
            ["team," + Self.usage, "growth,1,1000,0,0,1000,0.018,0.018,0.018", "research,1,4000,0,0,0,0.01,0.01,0.01", Self.zeroUnattributed])
        XCTAssertEqual(
            try csv(repo, "--until", "2025-01-02"),
            ["team," + Self.usage, "growth,1,2000,0,0,500,0.01,0.01,0.01", Self.zeroUnattributed])
    }

    func testSinceUntilAcceptRFC3339() throws {
        let repo = try makeFilterRepo()
        XCTAssertEqual(
            try csv(repo, "--since", "2025-01-02T00:00:00Z", "--until", "2025-01-03T00:00:00.001Z"),
            ["team," + Self.usage, "growth,1,1000,0,0,1000,0.018,0.018,0.018", "search,1,1000,0,0,100,0.0035,0.0035,0.0035", Self.zeroUnattributed])
        XCTAssertEqual(
            try csv(repo, "--since", "2025-01-01T00:00:00.001Z", "--until", "2025-01-02T00:00:00Z"),
            ["team," + Self.usage, Self.zeroUnattributed])
    }

    func testByProviderFieldVersusProviderTag() throws {
        let repo = try makeFilterRepo()
        XCTAssertEqual(
            try csv(repo, "--by", "provider"),
            ["provider," + Self.usage, "openai,3,7000,0,0,600,0.0235,0.0235,0.0235", "anthropic,1,1000,0,0,1000,0.018,0.018,0.018"])
        XCTAssertEqual(
            try csv(repo, "--by", "tags.provider"),
            [
                "tags.provider," + Self.usage, "beta,1,1000,0,0,1000,0.018,0.018,0.018", "(unattributed),2,5000,0,0,100,0.0135,0.0135,0.0135",
                "acme,1,2000,0,0,500,0.01,0.01,0.01",
            ])
    }

    func testByPricedModelAndModel() throws {
        let repo = try makeFilterRepo()
        XCTAssertEqual(
            try csv(repo, "--by", "provider,model"),
            [
                "provider,model," + Self.usage, "openai,gpt-4o,3,7000,0,0,600,0.0235,0.0235,0.0235",
                "anthropic,claude-3-5-sonnet-20241022,1,1000,0,0,1000,0.018,0.018,0.018",
            ])
        XCTAssertEqual(
            try csv(repo, "--by", "priced_model"),
            ["priced_model," + Self.usage, "gpt-4o,3,7000,0,0,600,0.0235,0.0235,0.0235", "claude-3-5-sonnet,1,1000,0,0,1000,0.018,0.018,0.018"])
    }

    func testOutOfScopeEventsAreNotPriced() throws {
        let repo = try makeFilterRepo()
        try repo.append(
            "ledger/2025/2025-01.jsonl",
            event(ts: "2025-01-05T00:00:00Z", id: "e5", model: "gpt-9", input: 1, output: 1, tags: [("team", "x"), ("env", "staging")]) + "\n")
        XCTAssertEqual(
            try csv(repo, "--where", "env=prod"),
            ["team," + Self.usage, "growth,2,3000,0,0,1500,0.028,0.028,0.028", Self.zeroUnattributed])
        XCTAssertEqual(
            try csv(repo, "--until", "2025-01-05"),
            [
                "team," + Self.usage, "growth,2,3000,0,0,1500,0.028,0.028,0.028", "research,1,4000,0,0,0,0.01,0.01,0.01",
                "search,1,1000,0,0,100,0.0035,0.0035,0.0035", Self.zeroUnattributed,
            ])
        let all = try repo.spend("report", "--strict", "--format", "csv")
        assertRejected(all)
        XCTAssertTrue(all.stderr.contains("error[unknown-model]"), all.stderr)
    }

    /// An empty tag value is the same as a missing tag: (unattributed), whatever the key's JSON spelling.
    func testEmptyTagValueIsUnattributed() throws {
        let repo = try makeRepo()
        try repo.writeLedger(
            "ledger/2025/2025-01.jsonl",
            [
                event(ts: "2025-01-01T00:00:00Z", id: "plain", input: 2000, output: 500, tags: [("team", "")]),
                // "te\u0061m" is the key "team" with an escape.
                event(ts: "2025-01-01T00:00:01Z", id: "escaped", input: 2000, output: 500, tags: [("te\\u0061m", "")]),
                event(ts: "2025-01-01T00:00:02Z", id: "escaped-set", input: 4000, output: 0, tags: [("te\\u0061m", "growth")]),
            ])
        XCTAssertEqual(
            try csv(repo),
            ["team," + Self.usage, "(unattributed),2,4000,0,0,1000,0.02,0.02,0.02", "growth,1,4000,0,0,0,0.01,0.01,0.01"])
        XCTAssertEqual(
            try csv(repo, "--where", "team="),
            ["team," + Self.usage, "(unattributed),2,4000,0,0,1000,0.02,0.02,0.02"])
    }
}
