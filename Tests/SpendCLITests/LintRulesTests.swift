import Foundation
import XCTest

/// Every event and ledger rule of `spend lint`, end to end, with its stable
/// rule id, file, line and column.
final class LintRulesTests: XCTestCase {
    let shard = "ledger/2026/2026-11.jsonl"

    /// Runs `spend lint --all --format json` and returns the findings as `line:rule` strings.
    func findings(_ repo: LintSandbox, _ args: String...) throws -> (LintRun, [String], [String: Any]) {
        let (run, object) = try repo.lintJSON(["--all"] + args)
        let list = ((object["findings"] as? [[String: Any]]) ?? []).map { f in
            "\(f["path"] as? String ?? ""):\(f["line"] as? Int ?? 0):\(f["rule"] as? String ?? "")"
        }
        return (run, list, object)
    }

    func testCleanLedgerPasses() throws {
        let repo = try LintSandbox()
        try repo.appendEvents(shard, [lintEvent(id: "a"), lintEvent(id: "b", model: "gpt-4o", tags: ["team": "search", "env": "dev"])])
        let run = try repo.lint()
        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertTrue(run.stdout.hasPrefix("spend lint: ok (working tree: 2 new events checked in 1 shard, 6 rate cards, spend.toml)"), run.stdout)
        let all = try repo.lint("--all")
        XCTAssertTrue(all.stdout.hasPrefix("spend lint: ok (working tree: 2 events in 1 shard, 6 rate cards, spend.toml)"), all.stdout)
    }

    func testTagRules() throws {
        let repo = try LintSandbox()
        try repo.appendEvents(
            shard,
            [
                lintEvent(id: "a", tags: ["env": "prod"]),  // no team
                lintEvent(id: "b", tags: ["team": "", "env": "prod"]),  // empty team
                lintEvent(id: "c", tags: ["team": "growth", "env": "qa"]),  // env not allowed
                lintEvent(id: "d", tags: ["team": "Growth Team", "env": "prod"]),  // pattern
            ])
        let (run, list, _) = try findings(repo)
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(list, ["\(shard):1:tag-required", "\(shard):2:tag-required", "\(shard):3:tag-allowed", "\(shard):4:tag-pattern"])
        let text = try repo.lint().stdout
        XCTAssertTrue(text.contains("\(shard):1:131: error[tag-required]: missing tag \"team\""), text)
        XCTAssertTrue(text.contains("error[tag-required]: tag \"team\" is empty"), text)
        XCTAssertTrue(text.contains("error[tag-allowed]: tag \"env\" is \"qa\", not one of: prod, staging, dev"), text)
        XCTAssertTrue(text.contains("error[tag-pattern]: tag \"team\" value \"Growth Team\" does not match ^[a-z][a-z0-9-]*$"), text)
        // The caret line is printed under the source line.
        XCTAssertTrue(text.contains("1 | {\"ts\":"), text)
    }

    func testEnvironmentRules() throws {
        let policy = LintSandbox.policy + """

            [policy.env.prod]
            required_tags = ["customer"]

            """
        let repo = try LintSandbox(policy: policy)
        try repo.appendEvents(
            shard,
            [
                lintEvent(id: "a", tags: ["team": "growth", "env": "prod"]),  // prod needs customer
                lintEvent(id: "b", tags: ["team": "growth", "env": "prod", "customer": "acme"]),
                lintEvent(id: "c", provider: "anthropic", model: "claude-opus-4-20250514", tags: ["team": "growth", "env": "staging"]),
                lintEvent(id: "d", model: "gpt-4o-2024-11-20", tags: ["team": "growth", "env": "staging"]),  // alias resolves to gpt-4o
            ])
        let (run, list, object) = try findings(repo)
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(list, ["\(shard):1:tag-required", "\(shard):3:model-denied", "\(shard):4:model-denied"])
        let messages = ((object["findings"] as? [[String: Any]]) ?? []).compactMap { $0["message"] as? String }
        XCTAssertTrue(messages[0].contains("missing tag \"customer\" (required for env \"prod\")"), messages[0])
        XCTAssertTrue(messages[1].contains("model \"claude-opus-4\" is denied for env \"staging\" (deny_models \"claude-opus-*\")"), messages[1])
        XCTAssertTrue(messages[2].contains("model \"gpt-4o\" is denied"), messages[2])
    }

    func testInputLimitIsAWarningUnlessStrict() throws {
        let repo = try LintSandbox()
        try repo.appendEvents(shard, [lintEvent(id: "a", model: "gpt-4.1", input: 600_000)])
        let (run, list, object) = try findings(repo)
        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertEqual(list, ["\(shard):1:input-limit"])
        XCTAssertEqual(object["warnings"] as? Int, 1)
        XCTAssertEqual(object["errors"] as? Int, 0)
        let text = try repo.lint()
        XCTAssertTrue(text.stdout.contains("warning[input-limit]: 600000 input tokens per request exceed max_input_tokens 500000"), text.stdout)
        XCTAssertTrue(text.stdout.contains("spend lint: 0 errors, 1 warning"), text.stdout)
        XCTAssertEqual(try repo.lint("--strict").status, 1)
        // A roll-up line is judged per request.
        try repo.write(shard, "")
        try repo.appendEvents(shard, [lintEvent(id: "b", model: "gpt-4.1", input: 600_000, extra: ",\"requests\":2")])
        XCTAssertEqual(try repo.lint("--strict").status, 0)
    }

    func testPriceabilityRules() throws {
        let repo = try LintSandbox()
        try repo.appendEvents(
            shard,
            [
                lintEvent(id: "a", model: "gpt-9"),
                lintEvent(id: "b", provider: "acme-ai", model: "x"),
                lintEvent(id: "c", ts: "2026-11-03T00:00:00Z", model: "gpt-4o", extra: ",\"tool_calls\":{\"teleport\":1}"),
            ])
        let (run, list, object) = try findings(repo)
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(list, ["\(shard):1:unknown-model", "\(shard):2:unknown-model", "\(shard):3:no-price"])
        let messages = ((object["findings"] as? [[String: Any]]) ?? []).compactMap { $0["message"] as? String }
        XCTAssertTrue(messages[0].contains("model \"gpt-9\" matches no price or alias in ratecards/openai.toml"), messages[0])
        XCTAssertTrue(messages[1].contains("no rate card for provider \"acme-ai\""), messages[1])
        XCTAssertTrue(messages[2].contains("has no price for tool calls \"teleport\""), messages[2])
        // Before a model's first price point: no-price.
        try repo.write("ledger/2024/2024-01.jsonl", lintEvent(id: "old", ts: "2024-01-05T00:00:00Z", model: "gpt-4o-mini") + "\n")
        let (_, list2, _) = try findings(repo)
        XCTAssertTrue(list2.contains("ledger/2024/2024-01.jsonl:1:no-price"), "\(list2)")
    }

    func testScannerRules() throws {
        let repo = try LintSandbox()
        try repo.append(
            shard,
            """
            {"ts":"2026-11-03T14:22:05.123Z","id":"a","provider":"openai","model":"gpt-4o-mini","input_tokens":1,"output_tokens":1,"tags":{"team":"x","env":"prod"}
            {"ts":"2026-11-03T14:22:05.123Z","id":"b","provider":"openai","model":"gpt-4o-mini","input_tokens":1,"output_tokens":-5,"tags":{"team":"x","env":"prod"}}
            {"ts":"2026-13-03T14:22:05.123Z","id":"c","provider":"openai","model":"gpt-4o-mini","input_tokens":1,"output_tokens":1,"tags":{"team":"x","env":"prod"}}
            {"ts":"2026-11-03T14:22:05.123Z","id":"d","provider":"openai","model":"gpt-4o-mini","input_tokens":1,"tags":{"team":"x","env":"prod"}}

            {"ts":"2026-11-03T14:22:05.123Z","id":"e","provider":"openai","model":"gpt-4o-mini","input_tokens":1,"output_tokens":1,"tags":{"team":"x","env":"prod"}}

            """)
        let (run, list, object) = try findings(repo)
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(list, ["\(shard):1:json", "\(shard):2:schema", "\(shard):3:timestamp", "\(shard):4:schema"])
        let findings = (object["findings"] as? [[String: Any]]) ?? []
        XCTAssertEqual(findings[1]["column"] as? Int, 118)
        XCTAssertEqual(findings[1]["message"] as? String, "output_tokens must be a non-negative integer")
        XCTAssertEqual(findings[3]["message"] as? String, "missing required key \"output_tokens\"")
        XCTAssertEqual(object["events_checked"] as? Int, 1, "only line 6 is a whole event (line 5 is blank)")
    }

    func testDuplicateIdsAcrossShardsNameTheOtherLocation() throws {
        let repo = try LintSandbox()
        try repo.appendEvents("ledger/2026/2026-10.jsonl", [lintEvent(id: "x1", ts: "2026-10-01T00:00:00Z"), lintEvent(id: "dup", ts: "2026-10-02T00:00:00Z")])
        try repo.appendEvents(shard, [lintEvent(id: "y1"), lintEvent(id: "dup"), lintEvent(id: "y1")])
        let run = try repo.lint()
        XCTAssertEqual(run.status, 1)
        XCTAssertTrue(
            run.stdout.contains("\(shard):2:39: error[duplicate-id]: duplicate id \"dup\" (also at ledger/2026/2026-10.jsonl:2)"), run.stdout)
        XCTAssertTrue(run.stdout.contains("\(shard):3:39: error[duplicate-id]: duplicate id \"y1\" (also at \(shard):1)"), run.stdout)
        XCTAssertTrue(run.stdout.contains("spend lint: 2 errors"), run.stdout)
    }

    func testEscapedIdsAreComparedDecoded() throws {
        let repo = try LintSandbox()
        try repo.appendEvents(shard, [lintEvent(id: "caf\\u00e9"), lintEvent(id: "café")])
        let (_, list, _) = try findings(repo)
        XCTAssertEqual(list, ["\(shard):2:duplicate-id"])
    }

    func testWrongShardAndShardName() throws {
        let repo = try LintSandbox()
        try repo.appendEvents(
            shard,
            [
                lintEvent(id: "a", ts: "2026-11-30T23:59:59.999Z"),
                lintEvent(id: "b", ts: "2026-12-01T00:00:00Z"),
                lintEvent(id: "c", ts: "2026-12-01T00:30:00+01:00"),  // 2026-11-30T23:30Z: right shard
                lintEvent(id: "d", ts: "2026-10-31T23:59:59Z"),
            ])
        try repo.appendEvents("ledger/misc.jsonl", [lintEvent(id: "e")])
        let (run, list, object) = try findings(repo)
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(list, ["ledger/2026/2026-11.jsonl:2:wrong-shard", "ledger/2026/2026-11.jsonl:4:wrong-shard", "ledger/misc.jsonl:0:shard-name"])
        let messages = ((object["findings"] as? [[String: Any]]) ?? []).compactMap { $0["message"] as? String }
        XCTAssertTrue(messages[0].contains("belongs to 2026-12, not this shard's 2026-11: append it to ledger/2026/2026-12.jsonl"), messages[0])
    }

    func testTornLastLine() throws {
        let repo = try LintSandbox()
        try repo.append(shard, lintEvent(id: "a") + "\n" + lintEvent(id: "b"))
        let (run, list, _) = try findings(repo)
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(list, ["\(shard):2:torn-line"])
        XCTAssertTrue(try repo.lint().stdout.contains("the last line does not end with a newline"))
    }

    func testPolicyErrors() throws {
        let repo = try LintSandbox(policy: "[policy]\nrequired_tag = [\"team\"]\n")
        try repo.appendEvents(shard, [lintEvent(id: "a", tags: [:])])
        let run = try repo.lint()
        XCTAssertEqual(run.status, 1)
        XCTAssertTrue(run.stdout.contains("spend.toml:2: error[policy]: unknown key \"required_tag\" in [policy]"), run.stdout)
        XCTAssertTrue(run.stdout.contains("note: spend.toml has errors"), run.stdout)
        try repo.write("spend.toml", "[policy\n")
        XCTAssertTrue(try repo.lint().stdout.contains("spend.toml:1:"), "invalid TOML names the line")
        XCTAssertTrue(try repo.lint().stdout.contains("error[toml]"))
    }

    func testLimitKeepsCountsExact() throws {
        let repo = try LintSandbox()
        try repo.appendEvents(shard, (0..<30).map { lintEvent(id: "e\($0)", tags: ["env": "prod"]) })
        let run = try repo.lint("--limit", "5")
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(run.stdout.components(separatedBy: "error[tag-required]").count - 1, 5)
        XCTAssertTrue(run.stdout.contains("25 more findings not shown"), run.stdout)
        XCTAssertTrue(run.stdout.contains("spend lint: 30 errors"), run.stdout)
        let (_, object) = try repo.lintJSON("--limit", "0")
        XCTAssertEqual((object["findings"] as? [Any])?.count, 30)
    }

    func testBundledSampleRepositoryIsClean() throws {
        let run = try lintSpend("spend", ["lint", "--all", "-C", LintPaths.packageRoot.path, "--no-cache"], in: URL(fileURLWithPath: "/"))
        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertTrue(run.stdout.contains("4,000 events in 4 shards, 6 rate cards"), run.stdout)
    }
}
