import Foundation
import SpendCore
import XCTest

/// `spend import otel|litellm` end to end against the fixtures in
/// Tests/Fixtures/import (written from the OTLP/JSON + GenAI semantic
/// conventions and LiteLLM's SpendLogs schema).
final class ImportTests: XCTestCase {
    static let fixtures = Paths.packageRoot.appendingPathComponent("Tests/Fixtures/import")
    static let otel = fixtures.appendingPathComponent("otel-traces.jsonl").path
    static let litellmJSON = fixtures.appendingPathComponent("litellm-spend-logs.json").path
    static let litellmCSV = fixtures.appendingPathComponent("litellm-spend-logs.csv").path
    static let shard = "ledger/2026/2026-11.jsonl"
    static let otelPolicy = """
        [policy]
        required_tags = ["team", "env"]

        [import.otel.tags]
        "service.name" = "team"
        "deployment.environment.name" = "env"
        feature = "feature"

        """

    func spend(_ repo: TestRepo, _ args: [String]) throws -> RunResult { try runSpend("spend", args, in: repo.root) }

    func events(_ repo: TestRepo) throws -> [LedgerEvent] {
        try repo.read(Self.shard).split(separator: "\n").map { try LedgerEvent.parse(line: String($0)) }
    }

    func ledgerExists(_ repo: TestRepo) -> Bool { FileManager.default.fileExists(atPath: repo.url("ledger").path) }

    // MARK: otel

    func testOtelMapsGenAISpansToEventsWithExactCosts() throws {
        let repo = try makeRepo()
        try repo.write("spend.toml", Self.otelPolicy)
        let r = try spend(repo, ["import", "otel", Self.otel])
        assertOK(r)
        XCTAssertEqual(r.stdout, "imported 3 new, 0 already present, 0 rejected; cost $0.019427\n")
        let e = try events(repo)
        XCTAssertEqual(e.map(\.id), ["otel:chatcmpl-AbC123", "otel:5b8efff798038103d269b633813fc60c/a1b2c3d4e5f60718", "otel:chatcmpl-XyZ789"])
        // input_tokens 1200 includes 200 cache reads.
        XCTAssertEqual(e[0].provider, "openai")
        XCTAssertEqual(e[0].model, "gpt-4o-2024-08-06")
        XCTAssertEqual(e[0].modelRequested, "gpt-4o")
        XCTAssertEqual([e[0].inputTokens, e[0].cachedInputTokens ?? 0, e[0].outputTokens], [1000, 200, 300])
        XCTAssertEqual(e[0].cost?.description, "0.00575")
        XCTAssertEqual(e[0].ts, Timestamp.parse("2026-11-03T10:00:00.250Z"))
        XCTAssertEqual(e[0].latencyMs, 1230)
        XCTAssertEqual(e[0].traceId, "5b8efff798038103d269b633813fc60c")
        XCTAssertEqual(e[0].tags, ["team": "checkout", "env": "prod"])
        // Legacy gen_ai.system; input_tokens 5000 includes 3000 cache reads and 1000 cache writes; error.type.
        XCTAssertEqual(e[1].provider, "anthropic")
        XCTAssertEqual([e[1].inputTokens, e[1].cachedInputTokens ?? 0, e[1].cacheWriteTokens ?? 0, e[1].outputTokens], [1000, 3000, 1000, 400])
        XCTAssertEqual(e[1].status, "error")
        XCTAssertEqual(e[1].cost?.description, "0.01365")
        XCTAssertEqual(e[1].tags, ["team": "checkout", "env": "prod", "feature": "summaries"])
        XCTAssertEqual(e[2].cost?.description, "0.000027")
        XCTAssertEqual(e[2].tags, ["team": "search", "env": "prod"])
        XCTAssertNil(e[2].commit)
    }

    func testImportingTwiceAddsNothingAndLeavesTheSameBytes() throws {
        let repo = try makeRepo()
        try repo.write("spend.toml", Self.otelPolicy)
        assertOK(try spend(repo, ["import", "otel", Self.otel]))
        let first = try repo.read(Self.shard)
        let again = try spend(repo, ["import", "otel", Self.otel])
        assertOK(again)
        XCTAssertEqual(again.stdout, "imported 0 new, 3 already present, 0 rejected\n")
        XCTAssertEqual(try repo.read(Self.shard), first)
    }

    func testOverlappingFilesImportEachRecordOnce() throws {
        let repo = try makeRepo()
        try repo.write("spend.toml", Self.otelPolicy)
        let lines = try String(contentsOfFile: Self.otel, encoding: .utf8).split(separator: "\n")
        try repo.write("a.jsonl", lines[0] + "\n")
        try repo.write("b.jsonl", lines[0] + "\n" + lines[1] + "\n")
        let r = try spend(repo, ["import", "otel", "a.jsonl", "b.jsonl"])
        assertOK(r)
        XCTAssertEqual(r.stdout, "imported 3 new, 2 already present, 0 rejected; cost $0.019427\n")
        let later = try spend(repo, ["import", "otel", "b.jsonl"])
        XCTAssertEqual(later.stdout, "imported 0 new, 3 already present, 0 rejected\n")
        XCTAssertEqual(try events(repo).count, 3)
    }

    func testAMalformedLineIsLocatedAndNothingIsWritten() throws {
        let repo = try makeRepo()
        try repo.write("spend.toml", Self.otelPolicy)
        let good = try String(contentsOfFile: Self.otel, encoding: .utf8)
        try repo.write("traces.jsonl", good + "{\"resourceSpans\":[{\"scopeSpans\":[}]}\n")
        let r = try spend(repo, ["import", "otel", "traces.jsonl"])
        assertRejected(r)
        XCTAssertTrue(
            r.stderr.contains("traces.jsonl:3: error[json]: not JSON: invalid value (column 34)"), r.stderr)
        XCTAssertTrue(r.stderr.contains("spend: 1 error; nothing was written"), r.stderr)
        XCTAssertFalse(ledgerExists(repo))
    }

    func testDryRunPrintsTheCostAndWritesNothing() throws {
        let repo = try makeRepo()
        try repo.write("spend.toml", Self.otelPolicy)
        let r = try spend(repo, ["import", "otel", "--dry-run", Self.otel])
        assertOK(r)
        XCTAssertEqual(r.stdout, "dry run: would import 3 new, 0 already present, 0 rejected; cost $0.019427; nothing written\n")
        XCTAssertFalse(ledgerExists(repo))
    }

    func testRejectFileKeepsTheValidSpans() throws {
        let repo = try makeRepo()
        try repo.write("spend.toml", Self.otelPolicy)
        var text = try String(contentsOfFile: Self.otel, encoding: .utf8)
        // The anthropic span claims fewer input tokens than its cache parts.
        text = text.replacingOccurrences(of: "{\"key\":\"gen_ai.usage.input_tokens\",\"value\":{\"intValue\":\"5000\"}}", with: "{\"key\":\"gen_ai.usage.input_tokens\",\"value\":{\"intValue\":\"3500\"}}")
        try repo.write("traces.jsonl", text)
        let r = try spend(repo, ["import", "otel", "traces.jsonl", "--reject-file", "rejects.jsonl"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(r.stdout, "imported 2 new, 0 already present, 1 rejected; cost $0.005777\n")
        let message =
            "span a1b2c3d4e5f60718: gen_ai.usage.input_tokens 3500 is less than cache_read (3000) + cache_creation (1000); the input count includes both"
        XCTAssertTrue(r.stderr.contains("traces.jsonl:1: error[import]: \(message)"), r.stderr)
        XCTAssertTrue(r.stderr.contains("spend: rejected 1 record (written to rejects.jsonl)"), r.stderr)
        let rejects = try repo.read("rejects.jsonl").split(separator: "\n")
        XCTAssertEqual(rejects.count, 1)
        XCTAssertTrue(
            rejects[0].hasPrefix(
                "{\"path\":\"traces.jsonl\",\"line\":1,\"error\":\"\(message)\",\"rule\":\"import\",\"input\":{\"traceId\":\"5b8efff798038103d269b633813fc60c\",\"spanId\":\"a1b2c3d4e5f60718\""),
            String(rejects[0]))
        XCTAssertEqual(try events(repo).count, 2)
    }

    func testAnUnknownKeyInTheImportTableIsALocatedPolicyError() throws {
        let repo = try makeRepo()
        try repo.write("spend.toml", "[import.otel]\ntag = { x = \"y\" }\n")
        let r = try spend(repo, ["import", "otel", Self.otel])
        assertRejected(r)
        XCTAssertTrue(
            r.stderr.contains("spend.toml:2: error[policy]: unknown key \"tag\" in [import.otel] (expected: providers, tags)"), r.stderr)
    }

    func testMissingTagsWarnAcceptsUntaggedSpans() throws {
        let repo = try makeRepo()
        try repo.write("spend.toml", "[policy]\nrequired_tags = [\"team\"]\nmissing_tags = \"warn\"\n")
        let r = try spend(repo, ["import", "otel", Self.otel])
        assertOK(r)
        XCTAssertTrue(r.stderr.contains("warning[tag-missing]: missing tag \"team\": accepted as unattributed"), r.stderr)
        XCTAssertEqual(try events(repo).count, 3)
    }

    func testAnUnknownSourceNamesTheSources() throws {
        let repo = try makeRepo()
        let r = try spend(repo, ["import", "datadog", Self.otel])
        assertRejected(r)
        XCTAssertTrue(r.stderr.contains("unknown import source \"datadog\"; the sources are: openai-usage, anthropic-usage, otel, litellm, csv"), r.stderr)
    }

    // MARK: litellm

    func testLiteLLMJSONListKeepsSpendAsSourceCost() throws {
        let repo = try makeRepo()
        let r = try spend(repo, ["import", "litellm", Self.litellmJSON])
        assertOK(r)
        XCTAssertEqual(r.stdout, "imported 3 new, 0 already present, 0 rejected; cost $0.039065\n")
        let e = try events(repo)
        XCTAssertEqual(e.map(\.id), ["litellm:chatcmpl-9f1c2a", "litellm:msg_01XFDUDYJgAACzvnptvVoYEL", "litellm:chatcmpl-b77e01"])
        XCTAssertEqual([e[0].inputTokens, e[0].cachedInputTokens ?? 0, e[0].outputTokens], [1000, 1000, 500])
        XCTAssertEqual(e[0].cost?.description, "0.00875")
        XCTAssertEqual(e[0].sourceCost?.description, "0.01")
        XCTAssertEqual(e[0].tags, ["team": "growth", "customer": "cust-42", "feature": "search", "jobID": "214590"])
        XCTAssertEqual(e[0].traceId, "sess-77")
        // prompt_tokens 10000 includes 6000 cache reads and 2000 cache writes.
        XCTAssertEqual([e[1].inputTokens, e[1].cachedInputTokens ?? 0, e[1].cacheWriteTokens ?? 0, e[1].outputTokens], [2000, 6000, 2000, 1000])
        XCTAssertEqual(e[1].cost?.description, "0.0303")
        XCTAssertEqual(e[2].sourceCost?.description, "0.000015")  // written 1.5e-05
        XCTAssertEqual(e[2].status, "error")
        XCTAssertEqual(e[2].modelRequested, "fast")
        XCTAssertTrue(try repo.read(Self.shard).contains("\"source_cost\":\"0.01\",\"cost\":\"0.00875\""))
        assertOK(try spend(repo, ["lint"]))
    }

    func testLiteLLMCSVExportMakesTheSameLedgerAsTheJSONList() throws {
        let json = try makeRepo()
        let csv = try makeRepo()
        assertOK(try spend(json, ["import", "litellm", Self.litellmJSON]))
        let r = try spend(csv, ["import", "litellm", Self.litellmCSV])
        assertOK(r)
        XCTAssertEqual(try csv.read(Self.shard), try json.read(Self.shard))
        let again = try spend(json, ["import", "litellm", Self.litellmCSV])
        XCTAssertEqual(again.stdout, "imported 0 new, 3 already present, 0 rejected\n")
    }

    func testATruncatedJSONListIsLocatedAndNothingIsWritten() throws {
        let repo = try makeRepo()
        let text = try String(contentsOfFile: Self.litellmJSON, encoding: .utf8)
        try repo.write("logs.json", String(text.prefix(text.count - 40)))
        let r = try spend(repo, ["import", "litellm", "logs.json"])
        assertRejected(r)
        XCTAssertTrue(
            r.stderr.contains("error[import]: the JSON array is not closed: the file ends inside it (a truncated download?)"), r.stderr)
        XCTAssertFalse(ledgerExists(repo))
    }

    func testARowWithoutAProviderIsRejectedWithItsLine() throws {
        let repo = try makeRepo()
        let text = try String(contentsOfFile: Self.litellmJSON, encoding: .utf8)
            .replacingOccurrences(of: "\"custom_llm_provider\": \"anthropic\",", with: "")
        try repo.write("logs.json", text)
        let r = try spend(repo, ["import", "litellm", "logs.json", "--reject-file", "rejects.jsonl"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(
            r.stderr.contains(
                "logs.json:45: error[import]: request msg_01XFDUDYJgAACzvnptvVoYEL: no custom_llm_provider (and the model has no provider/ prefix)"),
            r.stderr)
        XCTAssertEqual(r.stdout, "imported 2 new, 0 already present, 1 rejected; cost $0.008765\n")
    }
}
