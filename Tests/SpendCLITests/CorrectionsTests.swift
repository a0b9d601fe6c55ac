import Foundation
import XCTest

@testable import SpendCore

/// Correction events (docs/FORMAT.md, "Corrections"; docs/corrections.md):
/// every verb that reads the ledger applies voids and replaces, in any shard;
/// the diff cache stays right when a correction lands in another shard; the
/// correcting verbs write the right lines and never touch the original;
/// lint's correction rules.
final class CorrectionsTests: XCTestCase {
    /// gpt-4o 2.50 / 10.00 per 1M from 2024-10-01: growth events cost 0.01 (2000 in, 500 out), search 0.0035 (1000 in, 100 out).
    func growth(_ id: String, day: String = "2025-01-10", team: String = "growth") -> String {
        event(ts: "\(day)T10:00:00Z", id: id, input: 2000, output: 500, tags: [("team", team), ("env", "prod")])
    }

    func search(_ id: String, day: String = "2025-01-11") -> String {
        event(ts: "\(day)T10:00:00Z", id: id, input: 1000, output: 100, tags: [("team", "search"), ("env", "prod")])
    }

    static func void(_ id: String, _ target: String, ts: String = "2025-02-03T00:00:00.000Z", reason: String = "duplicate") -> String {
        "{\"ts\":\"\(ts)\",\"id\":\"\(id)\",\"corrects\":\"\(target)\",\"correction\":\"void\",\"reason\":\"\(reason)\"}"
    }

    /// A replace of `target` at its ts with `team` (the other fields of `growth`).
    static func retag(_ id: String, _ target: String, team: String, day: String = "2025-01-10") -> String {
        "{\"ts\":\"\(day)T10:00:00Z\",\"id\":\"\(id)\",\"corrects\":\"\(target)\",\"correction\":\"replace\",\"provider\":\"openai\","
            + "\"model\":\"gpt-4o\",\"input_tokens\":2000,\"output_tokens\":500,\"tags\":{\"env\":\"prod\",\"team\":\"\(team)\"}}"
    }

    func baseRepo() throws -> TestRepo {
        let repo = try makeRepo(cards: false)
        try repo.write("ratecards/openai.toml", diffCard())
        try repo.writeLedger("ledger/2025/2025-01.jsonl", [growth("g0"), growth("g1"), growth("g2"), search("s0"), search("s1")])
        try repo.writeLedger("ledger/2025/2025-02.jsonl", [growth("f0", day: "2025-02-02")])
        try commitDated(repo, "january and february", "2025-02-03T00:00:00Z")
        return repo
    }

    func report(_ repo: TestRepo, _ args: String...) throws -> [String: [String: String]] {
        let r = try runSpend("spend", ["report", "--format", "csv"] + args, in: repo.root)
        assertOK(r)
        return csvRows(r.stdout)
    }

    // MARK: Report

    func testReportLeavesOutVoidedEventsAndCountsReplacesInTheirPlace() throws {
        let repo = try baseRepo()
        // February's shard voids a January event; January's shard re-tags another.
        try repo.append("ledger/2025/2025-02.jsonl", Self.void("v1", "s0") + "\n")
        try repo.append("ledger/2025/2025-01.jsonl", Self.retag("r1", "g0", team: "platform") + "\n")
        let rows = try report(repo, "--by", "team")
        XCTAssertEqual(rows["growth"]?["requests"], "3")  // g1, g2, f0
        XCTAssertEqual(rows["growth"]?["cost"], "0.03")
        XCTAssertEqual(rows["platform"]?["requests"], "1")  // r1 in g0's place
        XCTAssertEqual(rows["platform"]?["cost"], "0.01")
        XCTAssertEqual(rows["search"]?["requests"], "1")  // s1; s0 voided
        XCTAssertEqual(rows["search"]?["cost"], "0.0035")
        // January alone: the void sits in February's shard and still applies.
        let january = try report(repo, "--by", "team", "--until", "2025-02-01")
        XCTAssertEqual(january["search"]?["requests"], "1")
        XCTAssertEqual(january["growth"]?["requests"], "2")
        XCTAssertEqual(january["platform"]?["requests"], "1")
        // A replace of the replace takes its place; the original stays out.
        try repo.append("ledger/2025/2025-01.jsonl", Self.retag("r2", "r1", team: "research") + "\n")
        let again = try report(repo, "--by", "team")
        XCTAssertNil(again["platform"])
        XCTAssertEqual(again["research"]?["requests"], "1")
        XCTAssertEqual(again["growth"]?["requests"], "3")
    }

    func testAVoidedLineThatCannotBeReadOrPricedNoLongerStopsTheReport() throws {
        let repo = try baseRepo()
        // Committed with --no-verify: a negative count (the scanner rejects the line) and an unknown model.
        let broken = "{\"ts\":\"2025-01-12T00:00:00Z\",\"id\":\"bad-1\",\"provider\":\"openai\",\"model\":\"gpt-4o\",\"input_tokens\":-5,\"output_tokens\":1,\"tags\":{}}"
        let typo = event(ts: "2025-01-13T00:00:00Z", id: "bad-2", model: "gpt-5o", input: 10, output: 10, tags: [("team", "growth")])
        try repo.append("ledger/2025/2025-01.jsonl", broken + "\n" + typo + "\n")
        try commitDated(repo, "bad lines", "2025-02-04T00:00:00Z")
        let before = try repo.spend("report", "--by", "team")
        XCTAssertNotEqual(before.status, 0)
        XCTAssertTrue(before.stderr.contains("input_tokens must be a non-negative integer"), before.stderr)
        // The unreadable line is found by the id written on it.
        let voided = try repo.spend("void", "bad-1", "bad-2", "--reason", "committed with --no-verify")
        assertOK(voided)
        XCTAssertTrue(voided.stdout.contains("voided bad-1 (ledger/2025/2025-01.jsonl:6) with "), voided.stdout)
        XCTAssertTrue(voided.stdout.contains("voided bad-2 (ledger/2025/2025-01.jsonl:7) with "), voided.stdout)
        let rows = try report(repo, "--by", "team")
        XCTAssertEqual(rows["growth"]?["requests"], "4")
        XCTAssertEqual(rows["search"]?["requests"], "2")
        // The diff reads the voided lines' shard before it knows the voids (cold cache), then with them.
        try commitDated(repo, "void the bad lines", "2025-02-05T00:00:00Z")
        let diff = try runSpend("spend-diff", ["HEAD~2", "HEAD", "--format", "csv"], in: repo.root)
        assertOK(diff)
        XCTAssertEqual(csvRows(diff.stdout)["growth"]?["delta"], "0")
        let unvoided = try runSpend("spend-diff", ["HEAD~1", "HEAD", "--format", "csv"], in: repo.root)
        XCTAssertNotEqual(unvoided.status, 0, "HEAD~1 has the bad lines and no voids")
        XCTAssertTrue(unvoided.stderr.contains("input_tokens must be a non-negative integer"), unvoided.stderr)
        // It cannot be replaced (there are no fields to copy): void it and append it again.
        let replace = try repo.spend("replace", "bad-1", "--input", "5")
        assertRejected(replace)
        XCTAssertTrue(replace.stderr.contains("error[correction-twice]"), replace.stderr)
        // lint --staged: the voids are new, their targets exist (the broken line counts by its id).
        try repo.git("add", "-A")
        let lint = try repo.spend("lint", "--staged")
        XCTAssertEqual(lint.status, 0, lint.stdout + lint.stderr)
    }

    func testReplaceOfAnUnreadableLineIsRefused() throws {
        let repo = try baseRepo()
        let broken = "{\"ts\":\"2025-01-12T00:00:00Z\",\"id\":\"bad-1\",\"provider\":\"openai\",\"input_tokens\":1}"
        try repo.append("ledger/2025/2025-01.jsonl", broken + "\n")
        let r = try repo.spend("replace", "bad-1", "--model", "gpt-4o")
        assertRejected(r)
        XCTAssertEqual(
            r.stderr,
            """
            <arguments>: error[correction-target]: "bad-1" is on a line that cannot be read (ledger/2025/2025-01.jsonl:6): void it, then append the event again with spend append
            spend: 1 error; nothing was written

            """)
    }

    // MARK: Reprice and audit

    /// `ScriptedCardHistory` (RepriceCLITests.swift) with e3 (March) voided from July's
    /// shard and e4 (January, alias acme-large-latest) replaced by the same usage on
    /// acme-large, no stored cost.
    func correctedHistory() throws -> (TestRepo, ScriptedCardHistory) {
        let repo = try makeRepo(cards: false)
        let history = try ScriptedCardHistory(repo)
        try repo.writeLedger("ledger/2026/2026-07.jsonl", [Self.void("v3", "e3", ts: "2026-07-02T00:00:00.000Z")])
        try repo.append(
            "ledger/2026/2026-01.jsonl",
            "{\"ts\":\"2026-01-20T00:00:00.000Z\",\"id\":\"r4\",\"corrects\":\"e4\",\"correction\":\"replace\",\"provider\":\"acme\","
                + "\"model\":\"acme-large\",\"input_tokens\":1000,\"output_tokens\":1000,\"tags\":{\"team\":\"t\"}}\n")
        return (repo, history)
    }

    /// Current cards (C7): e1 0.0032 vs 0.003; r4 acme-large 2/12 = 0.014 vs as recorded
    /// (C1 at its ts: 2/10) 0.012; February as before; March gone (e3 voided).
    func testRepriceAppliesCorrections() throws {
        let (repo, _) = try correctedHistory()
        let r = try runSpend("spend-reprice", ["--by", "month", "--format", "csv"], in: repo.root)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(
            r.stdout,
            """
            month,events,stored_cost,recomputed_cost,drift
            2026-01,2,0.015,0.0172,0.0022
            2026-02,2,0.0184,0.0153,-0.0031

            """)
    }

    /// Against `AuditCLITests.testEveryKindClassifiedWithExactImpacts`: e3 is voided,
    /// so C3 and C5 (which moved only e3) restate nothing and C2 restates
    /// 0.0066 − 0.002; r4 names acme-large itself, so C6's alias and acme-small
    /// points restate nothing.
    func testAuditImpactAppliesCorrections() throws {
        let (repo, h) = try correctedHistory()
        let c = h.commits
        let r = try runSpend("spend-audit", ["--format", "csv"], in: repo.root)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(
            r.lines,
            [
                "commit,date,author,provider,model,effective,field,old,new,kind,impact",
                "\(c[0]),2026-01-01,Alice,acme,acme-large,2025-12-01,input,,2,backdated,0",
                "\(c[0]),2026-01-01,Alice,acme,acme-large,2025-12-01,output,,10,backdated,0",
                "\(c[0]),2026-01-01,Alice,acme,acme-large-latest,,alias,,acme-large,alias,0",
                "\(c[1]),2026-02-01,Bob,acme,acme-large,2025-12-01,output,10,12,edited,0.0046",
                "\(c[2]),2026-03-01,Alice,acme,acme-large,2026-03-15,input,2,1,added,0",
                "\(c[2]),2026-03-01,Alice,acme,acme-large,2026-03-15,output,12,5,added,0",
                "\(c[3]),2026-04-01,Carol,acme,acme-large,2026-02-01,input,2,1.5,backdated,-0.0051",
                "\(c[3]),2026-04-01,Carol,acme,acme-large,2026-02-01,output,12,9,backdated,-0.0051",
                "\(c[4]),2026-05-01,Bob,acme,acme-large,2026-03-15,input,1,1.5,deleted,0",
                "\(c[4]),2026-05-01,Bob,acme,acme-large,2026-03-15,output,5,9,deleted,0",
                "\(c[5]),2026-06-01,Alice,acme,acme-small,2025-12-01,input,,0.5,backdated,0",
                "\(c[5]),2026-06-01,Alice,acme,acme-small,2025-12-01,output,,1,backdated,0",
                "\(c[5]),2026-06-01,Alice,acme,acme-large-latest,,alias,acme-large,acme-small,alias,0",
            ])
    }

    // MARK: Diff and its cache

    /// A void committed in February's shard changes what January's unchanged
    /// blob contributes: cold (no cache), then warm (every shard from the
    /// cache), and the same answer as without any cache.
    func testDiffAppliesACrossShardVoidColdAndWarm() throws {
        let repo = try baseRepo()
        try repo.append("ledger/2025/2025-02.jsonl", Self.void("v1", "g1") + "\n" + Self.void("v2", "s0") + "\n")
        try commitDated(repo, "void g1 and s0", "2025-02-05T00:00:00Z")
        let stats = ["SPEND_DIFF_STATS": "1"]
        let cold = try runSpend("spend-diff", ["HEAD~1", "HEAD", "--format", "csv"], in: repo.root, environment: stats)
        assertOK(cold)
        let rows = csvRows(cold.stdout)
        XCTAssertEqual(rows["growth"]?["requests_a"], "4")
        XCTAssertEqual(rows["growth"]?["requests_b"], "3")
        XCTAssertEqual(rows["growth"]?["delta"], "-0.01")
        XCTAssertEqual(rows["search"]?["requests_b"], "1")
        XCTAssertEqual(rows["search"]?["delta"], "-0.0035")
        // January (shared) and February before; February after declares new corrections, so every shard of HEAD is read with them.
        XCTAssertTrue(cold.stderr.contains("5 shards parsed, 0 from the cache"), cold.stderr)
        let warm = try runSpend("spend-diff", ["HEAD~1", "HEAD", "--format", "csv"], in: repo.root, environment: stats)
        assertOK(warm)
        XCTAssertEqual(warm.stdout, cold.stdout)
        XCTAssertTrue(warm.stderr.contains("0 shards parsed, 4 from the cache"), warm.stderr)
        let uncached = try runSpend("spend-diff", ["HEAD~1", "HEAD", "--format", "csv"], in: repo.root, environment: ["SPEND_DIFF_CACHE": "0"])
        XCTAssertEqual(uncached.stdout, cold.stdout)
        // The other way round: HEAD against its parent in a fresh process reads nothing again.
        let reverse = try runSpend("spend-diff", ["HEAD", "HEAD~1", "--format", "csv"], in: repo.root, environment: stats)
        XCTAssertEqual(csvRows(reverse.stdout)["growth"]?["delta"], "0.01")
        XCTAssertTrue(reverse.stderr.contains("0 shards parsed, 4 from the cache"), reverse.stderr)
    }

    /// A January summary cached before any correction existed is not served
    /// once a later commit voids one of its events from February.
    func testCachedSummaryOfAnUnchangedShardIsNotReusedAfterACorrectionElsewhere() throws {
        let repo = try baseRepo()
        try repo.append("ledger/2025/2025-02.jsonl", growth("f1", day: "2025-02-04") + "\n")
        try commitDated(repo, "one more", "2025-02-05T00:00:00Z")
        let stats = ["SPEND_DIFF_STATS": "1"]
        let first = try runSpend("spend-diff", ["HEAD~1", "HEAD", "--format", "csv"], in: repo.root, environment: stats)
        assertOK(first)
        XCTAssertEqual(csvRows(first.stdout)["growth"]?["delta"], "0.01")
        try repo.append("ledger/2025/2025-02.jsonl", Self.void("v1", "g2") + "\n")
        try commitDated(repo, "void g2", "2025-02-06T00:00:00Z")
        let second = try runSpend("spend-diff", ["HEAD~2", "HEAD", "--format", "csv"], in: repo.root, environment: stats)
        assertOK(second)
        // +f1 −g2: no change for growth (4 → 4 requests), search unchanged.
        let rows = csvRows(second.stdout)
        XCTAssertEqual(rows["growth"]?["requests_b"], "4")
        XCTAssertEqual(rows["growth"]?["delta"], "0")
        let uncached = try runSpend("spend-diff", ["HEAD~2", "HEAD", "--format", "csv"], in: repo.root, environment: ["SPEND_DIFF_CACHE": "0"])
        XCTAssertEqual(uncached.stdout, second.stdout)
    }

    /// `spend releases` and `spend diff --releases` read summaries through the same
    /// cache: b0 voided and a1 replaced (re-released as v2) from February's shard.
    func testReleasesApplyCorrections() throws {
        let repo = try makeRepo(cards: false)
        try repo.write("ratecards/openai.toml", diffCard())
        try repo.write("src/app.txt", "1\n")
        try commitDated(repo, "app", "2026-01-01T09:00:00Z")
        try datedGit(repo, "2026-01-01T09:00:00Z", ["tag", "v1"])
        try repo.write("src/app.txt", "2\n")
        try commitDated(repo, "app 2", "2026-01-10T09:00:00Z")
        try datedGit(repo, "2026-01-10T09:00:00Z", ["tag", "v2"])
        func e(_ id: String, _ day: String, _ release: String) -> String {
            event(ts: "2026-01-\(day)T10:00:00Z", id: id, input: 2000, output: 500, tags: [("team", "t")], extra: "\"release\":\"\(release)\"")
        }
        try repo.writeLedger("ledger/2026/2026-01.jsonl", [e("a0", "02", "v1"), e("a1", "03", "v1"), e("b0", "11", "v2"), e("b1", "12", "v2"), e("b2", "13", "v2")])
        func releases() throws -> [String: [String: String]] {
            let r = try repo.spend("releases", "--format", "csv")
            assertOK(r)
            return csvRows(r.stdout)
        }
        XCTAssertEqual(try releases()["v1"]?["requests"], "2")
        XCTAssertEqual(try releases()["v2"]?["requests"], "3")
        let moved = e("r1", "03", "v2").replacingOccurrences(of: "\"id\":\"r1\"", with: "\"id\":\"r1\",\"corrects\":\"a1\",\"correction\":\"replace\"")
        try repo.append("ledger/2026/2026-01.jsonl", moved + "\n")
        try repo.writeLedger("ledger/2026/2026-02.jsonl", [Self.void("v-b0", "b0", ts: "2026-02-01T00:00:00.000Z")])
        let rows = try releases()
        XCTAssertEqual(rows["v1"]?["requests"], "1")
        XCTAssertEqual(rows["v2"]?["requests"], "3")  // b1, b2, r1
        XCTAssertEqual(rows["v2"]?["cost"], "0.03")
        let diff = try repo.spend("diff", "--releases", "v1", "v2", "--format", "csv")
        assertOK(diff)
        XCTAssertTrue(diff.stdout.contains(",1,3,"), diff.stdout)
    }

    // MARK: The verbs

    func testVerbsAppendCorrectionsAndNeverTouchTheOriginal() throws {
        let repo = try baseRepo()
        let january = try repo.read("ledger/2025/2025-01.jsonl")
        let february = try repo.read("ledger/2025/2025-02.jsonl")
        let void = try repo.spend("void", "s0", "--reason", "duplicate of s1")
        assertOK(void)
        let retag = try repo.spend("retag", "g0", "--tag", "team=platform", "--tag", "env=", "--reason", "moved team")
        assertOK(retag)
        let replace = try repo.spend("replace", "g1", "--model", "gpt-4o-mini", "--output", "1000")
        assertOK(replace)
        // Voids go to the month they are made in; replaces to the original's shard.
        let month = Timestamp.monthString(millis: Timestamp.now())
        let voids = try repo.read("ledger/\(month.prefix(4))/\(month).jsonl")
        let newJanuary = try repo.read("ledger/2025/2025-01.jsonl")
        XCTAssertTrue(newJanuary.hasPrefix(january), "the original lines are untouched")
        XCTAssertEqual(try repo.read("ledger/2025/2025-02.jsonl"), february)
        let added = newJanuary.dropFirst(january.count).split(separator: "\n").map(String.init)
        XCTAssertEqual(added.count, 2)
        func shape(_ line: String) -> String {
            line.replacingOccurrences(of: #""id":"[0-9A-Z]{26}""#, with: "\"id\":\"ID\"", options: .regularExpression)
                .replacingOccurrences(of: #""ts":"[^"]*""#, with: "\"ts\":\"TS\"", options: .regularExpression)
                .replacingOccurrences(of: #"ratecards/openai.toml@[0-9a-f]{40}"#, with: "BLOB", options: .regularExpression)
        }
        XCTAssertEqual(
            voids.split(separator: "\n").map { shape(String($0)) },
            [#"{"ts":"TS","id":"ID","corrects":"s0","correction":"void","reason":"duplicate of s1"}"#])
        // The re-tag keeps ts and usage; no cost was recorded on g0, so none is copied and it is priced.
        XCTAssertTrue(added[0].hasPrefix("{\"ts\":\"2025-01-10T10:00:00.000Z\""), added[0])
        XCTAssertEqual(
            shape(added[0]),
            #"{"ts":"TS","id":"ID","corrects":"g0","correction":"replace","reason":"moved team","provider":"openai","model":"gpt-4o","input_tokens":2000,"output_tokens":500,"tags":{"team":"platform"},"cost":"0.01","priced_with":"openai/gpt-4o@2024-10-01 BLOB"}"#
        )
        // gpt-4o-mini 0.15 / 0.60: 2000 × 0.15 + 1000 × 0.60 per 1M = 0.0003 + 0.0006.
        XCTAssertEqual(
            shape(added[1]),
            #"{"ts":"TS","id":"ID","corrects":"g1","correction":"replace","provider":"openai","model":"gpt-4o-mini","input_tokens":2000,"output_tokens":1000,"tags":{"env":"prod","team":"growth"},"cost":"0.0009","priced_with":"openai/gpt-4o-mini@2024-07-18 BLOB"}"#
        )
        XCTAssertTrue(void.stdout.hasPrefix("voided s0 (ledger/2025/2025-01.jsonl:4) with "), void.stdout)
        XCTAssertTrue(replace.stdout.contains(", cost $0.0009"), replace.stdout)
        let rows = try report(repo, "--by", "team")
        XCTAssertEqual(rows["platform"]?["cost"], "0.01")
        XCTAssertEqual(rows["growth"]?["cost"], "0.0209")  // g2, f0 and g1 on gpt-4o-mini
        XCTAssertEqual(rows["search"]?["requests"], "1")
        // Correcting a correction is fine: void the re-tag.
        let retagID = String(added[0].dropFirst("{\"ts\":\"2025-01-10T10:00:00.000Z\",\"id\":\"".count).prefix(26))
        assertOK(try repo.spend("void", retagID, "--reason", "g0 was a test call"))
        XCTAssertNil(try report(repo, "--by", "team")["platform"])
        // The ledger still lints clean.
        let lint = try repo.spend("lint")
        XCTAssertEqual(lint.status, 0, lint.stdout + lint.stderr)
    }

    func testVerbErrorsNameTheRuleAndWriteNothing() throws {
        let repo = try baseRepo()
        let voided = try repo.spend("void", "s0", "--reason", "duplicate")
        assertOK(voided)
        let voidID = String(voided.stdout.split(separator: " ")[4])
        let before = try repo.read("ledger/2025/2025-01.jsonl")
        let cases: [([String], String)] = [
            (["void", "nope", "--reason", "x"], #"<arguments>: error[correction-target]: corrects "nope" but no event of the ledger has that id"#),
            (["void", "s0", "--reason", "again"], #"<arguments>: error[correction-twice]: "s0" is already corrected (void "#),
            (["void", "s1", "s1", "--reason", "x"], #"<arguments>: error[correction-twice]: "s1" is given twice"#),
            (["void", "s1", "--reason", ""], "<arguments>: error[correction-reason]: a void needs a reason: say why the event does not count"),
            (["retag", "s0", "--tag", "team=x"], #"<arguments>: error[correction-twice]: "s0" is already corrected"#),
            (["retag", "VOID", "--tag", "team=x"], #"<arguments>: error[correction-target]: "VOID" is a void (ledger/"#),
        ]
        for (args, message) in cases {
            let args = args.map { $0 == "VOID" ? voidID : $0 }
            let message = message.replacingOccurrences(of: "VOID", with: voidID)
            let r = try runSpend("spend", args, in: repo.root)
            assertRejected(r)
            if !message.isEmpty { XCTAssertTrue(r.stderr.hasPrefix(message), "\(args): \(r.stderr)") }
            XCTAssertTrue(r.stderr.hasSuffix("nothing was written\n"), r.stderr)
        }
        XCTAssertEqual(try repo.read("ledger/2025/2025-01.jsonl"), before)
        let missing = try repo.spend("void", "s1")
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("Missing expected argument '--reason <text>'"), missing.stderr)
        // A negative count is the option's value (refused as negative), not a missing value.
        let negative = try repo.spend("replace", "s1", "--input", "-5")
        XCTAssertEqual(negative.status, 2)
        XCTAssertTrue(negative.stderr.contains("--input must be a non-negative integer, got -5"), negative.stderr)
        XCTAssertEqual(try repo.read("ledger/2025/2025-01.jsonl"), before)
    }

    // MARK: Append

    /// A batch for `spend append --stdin` over `baseRepo` with `v0` voiding
    /// s1 in February's shard: lines 2, 3, 4 and 7 break a correction rule.
    func appendBatch(_ repo: TestRepo) throws -> [String] {
        try repo.append("ledger/2025/2025-02.jsonl", Self.void("v0", "s1") + "\n")
        return [
            Self.void("v1", "s0"),
            Self.void("v2", "s0"),  // s0 is corrected by line 1
            Self.void("v3", "ghost"),
            Self.void("v4", "s1"),  // s1 is corrected in the ledger
            growth("n1", day: "2025-02-02"),
            Self.void("v5", "n1"),  // an event earlier in the batch
            Self.void("v6", "n2"),  // n2 comes later: not yet an event
            growth("n2", day: "2025-02-02"),
        ]
    }

    func testAppendRefusesCorrectionLinesThatBreakTheRulesAndWritesNothing() throws {
        let repo = try baseRepo()
        let batch = try appendBatch(repo)
        let before = try repo.read("ledger/2025/2025-02.jsonl")
        let r = try runSpend("spend", ["append", "--stdin"], in: repo.root, input: Data((batch.joined(separator: "\n") + "\n").utf8))
        assertRejected(r)
        XCTAssertEqual(
            r.stderr,
            """
            <stdin>:2: error[correction-twice]: "s0" is already corrected (void "v1" at <stdin>:1): correct that correction instead
            <stdin>:3: error[correction-target]: corrects "ghost" but no event of the ledger has that id
            <stdin>:4: error[correction-twice]: "s1" is already corrected (void "v0" at ledger/2025/2025-02.jsonl:2): correct that correction instead
            <stdin>:7: error[correction-target]: corrects "n2" but no event of the ledger has that id
            spend: 4 errors; nothing was written

            """)
        XCTAssertEqual(try repo.read("ledger/2025/2025-02.jsonl"), before)
        // One line, with --json: the same rules.
        let json = try repo.spend("append", "--json", Self.void("v7", "s1"))
        assertRejected(json)
        XCTAssertEqual(
            json.stderr,
            """
            <json>:1: error[correction-twice]: "s1" is already corrected (void "v0" at ledger/2025/2025-02.jsonl:2): correct that correction instead
            spend: 1 error; nothing was written

            """)
        // A void's reason is checked at append time too.
        for reason in [",\"reason\":\"\"", ""] {
            let line = "{\"ts\":\"2025-02-03T00:00:00Z\",\"id\":\"v8\",\"corrects\":\"s0\",\"correction\":\"void\"\(reason)}"
            let r = try runSpend("spend", ["append", "--stdin"], in: repo.root, input: Data((line + "\n").utf8))
            assertRejected(r)
            XCTAssertEqual(
                r.stderr,
                """
                <stdin>:1: error[correction-reason]: a void needs a reason: say why the event does not count
                spend: 1 error; nothing was written

                """)
        }
        XCTAssertEqual(try repo.read("ledger/2025/2025-02.jsonl"), before)
    }

    func testAppendRejectFileTakesTheBadCorrectionLinesAndWritesTheRest() throws {
        let repo = try baseRepo()
        let batch = try appendBatch(repo)
        let before = try repo.read("ledger/2025/2025-02.jsonl")
        let r = try runSpend(
            "spend", ["append", "--stdin", "--reject-file", "rejects.jsonl"], in: repo.root,
            input: Data((batch.joined(separator: "\n") + "\n").utf8))
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.hasSuffix("spend: rejected 4 lines (written to rejects.jsonl)\n"), r.stderr)
        let added = try repo.read("ledger/2025/2025-02.jsonl").dropFirst(before.count).split(separator: "\n")
        XCTAssertEqual(added.map { try? LedgerEvent.parse(line: String($0)).id }, ["v1", "n1", "v5", "n2"])
        XCTAssertEqual(
            try repo.read("rejects.jsonl").split(separator: "\n").map(String.init),
            [
                #"{"path":"<stdin>","line":2,"error":"\"s0\" is already corrected (void \"v1\" at <stdin>:1): correct that correction instead","rule":"correction-twice","input":"#
                    + batch[1] + "}",
                #"{"path":"<stdin>","line":3,"error":"corrects \"ghost\" but no event of the ledger has that id","rule":"correction-target","input":"#
                    + batch[2] + "}",
                #"{"path":"<stdin>","line":4,"error":"\"s1\" is already corrected (void \"v0\" at ledger/2025/2025-02.jsonl:2): correct that correction instead","rule":"correction-twice","input":"#
                    + batch[3] + "}",
                #"{"path":"<stdin>","line":7,"error":"corrects \"n2\" but no event of the ledger has that id","rule":"correction-target","input":"#
                    + batch[6] + "}",
            ])
        // The same valid lines again with --skip-duplicates: already written, so skipped (not "already corrected").
        let again = try runSpend(
            "spend", ["append", "--stdin", "--skip-duplicates"], in: repo.root,
            input: Data(([batch[0], batch[4], batch[5], batch[7]].joined(separator: "\n") + "\n").utf8))
        assertOK(again)
        XCTAssertTrue(again.stderr.contains("skipped 4 duplicates") || again.stdout.contains("skipped 4 duplicates"), again.stdout + again.stderr)
    }

    // MARK: Lint

    func testLintCorrectionRules() throws {
        let repo = try baseRepo()
        try repo.append(
            "ledger/2025/2025-02.jsonl",
            [
                Self.void("v1", "s0"),
                Self.void("v2", "s0", reason: "again"),
                Self.void("v3", "ghost"),
                "{\"ts\":\"2025-02-03T00:00:00.000Z\",\"id\":\"v4\",\"corrects\":\"s1\",\"correction\":\"void\"}",
                Self.void("v5", "v1", reason: "undo nothing: a correction of a correction is fine"),
            ].map { $0 + "\n" }.joined())
        let r = try repo.spend("lint")
        XCTAssertEqual(r.status, 1, r.stdout + r.stderr)
        let findings = (r.stdout + r.stderr).split(separator: "\n").filter { $0.hasPrefix("ledger/") }
        XCTAssertEqual(
            findings,
            [
                #"ledger/2025/2025-02.jsonl:3:55: error[correction-twice]: "s0" is already corrected (void "v1" at ledger/2025/2025-02.jsonl:2): correct that correction instead"#,
                #"ledger/2025/2025-02.jsonl:4:55: error[correction-target]: corrects "ghost" but no event of the ledger has that id"#,
                "ledger/2025/2025-02.jsonl:5:1: error[correction-reason]: a void needs a reason: say why the event does not count",
            ])
    }

    /// `spend lint --all`: a line that a correction takes out is not
    /// re-judged; a note names it and the correction that stands. A line
    /// without a readable id cannot be corrected: its error stays.
    func testLintAllDoesNotReportTheFindingsOfCorrectedLines() throws {
        let repo = try baseRepo()
        let unreadable = "{\"ts\":\"2025-01-12T00:00:00Z\",\"id\":\"bad-1\",\"provider\":\"openai\",\"model\":\"gpt-4o\",\"input_tokens\":-5,\"output_tokens\":1,\"tags\":{}}"
        let typo = event(ts: "2025-01-13T00:00:00Z", id: "bad-2", model: "gpt-5o", input: 10, output: 10, tags: [("team", "growth")])
        let wrongShard = event(ts: "2025-03-01T00:00:00Z", id: "bad-3", model: "gpt-5o", input: 10, output: 10, tags: [("team", "growth")])
        let noId = "{\"ts\":\"2025-01-14T00:00:00Z\",oops}"
        try repo.append("ledger/2025/2025-01.jsonl", [unreadable, typo, wrongShard, noId].map { $0 + "\n" }.joined())
        try commitDated(repo, "bad lines", "2025-02-04T00:00:00Z")
        let before = try repo.spend("lint", "--all")
        XCTAssertEqual(before.status, 1)
        XCTAssertTrue(before.stdout.hasSuffix("spend lint: 5 errors (working tree against HEAD: 8 events in 2 shards, 1 rate card)\n"), before.stdout)
        try repo.append(
            "ledger/2025/2025-02.jsonl",
            [Self.void("v1", "bad-1"), Self.void("v2", "bad-2"), Self.void("v2b", "bad-2", reason: "again")].map { $0 + "\n" }.joined())
        try repo.append("ledger/2025/2025-01.jsonl", Self.retag("r3", "bad-3", team: "growth") + "\n")
        let after = try repo.spend("lint", "--all")
        XCTAssertEqual(after.status, 1)
        XCTAssertEqual(
            after.stdout.split(separator: "\n").filter { !$0.hasPrefix(" ") && !$0.first!.isNumber }.map(String.init),
            [
                "ledger/2025/2025-01.jsonl:9:30: error[json]: expected a quoted key",
                #"ledger/2025/2025-02.jsonl:4:56: error[correction-twice]: "bad-2" is already corrected (void "v2" at ledger/2025/2025-02.jsonl:3): correct that correction instead"#,
                #"note: ledger/2025/2025-01.jsonl:6: error[schema] not reported: the line is voided by "v1" (ledger/2025/2025-02.jsonl:2)"#,
                #"note: ledger/2025/2025-01.jsonl:7: error[unknown-model] not reported: the line is voided by "v2" (ledger/2025/2025-02.jsonl:3)"#,
                #"note: ledger/2025/2025-01.jsonl:8: error[wrong-shard], error[unknown-model] not reported: the line is replaced by "r3" (ledger/2025/2025-01.jsonl:10)"#,
                "spend lint: 2 errors (working tree against HEAD: 12 events in 2 shards, 1 rate card)",
            ])
        // --limit caps the notes like the findings.
        let limited = try repo.spend("lint", "--all", "--limit", "1")
        XCTAssertTrue(
            limited.stdout.contains(
                #"note: ledger/2025/2025-01.jsonl:6: error[schema] not reported: the line is voided by "v1" (ledger/2025/2025-02.jsonl:2)"#
                    + "\nnote: 2 more corrected lines with findings not reported (--limit 0 lists them)\n"), limited.stdout)
        // Committed, then the rate cards change: history is re-checked for a price, and the corrected lines are left out.
        try commitDated(repo, "corrections", "2025-02-05T00:00:00Z")
        try repo.write("ratecards/openai.toml", try repo.read("ratecards/openai.toml") + "# touched\n")
        let recheck = try repo.spend("lint")
        assertOK(recheck)
        XCTAssertEqual(
            recheck.stdout.split(separator: "\n").filter { $0.hasPrefix("note: ledger/") }.map(String.init),
            [
                #"note: ledger/2025/2025-01.jsonl:7: error[unknown-model] not reported: the line is voided by "v2" (ledger/2025/2025-02.jsonl:3)"#,
                #"note: ledger/2025/2025-01.jsonl:8: error[unknown-model] not reported: the line is replaced by "r3" (ledger/2025/2025-01.jsonl:10)"#,
            ])
    }

    func testScannerRulesForCorrectionLines() throws {
        let repo = try baseRepo()
        let cases: [(String, String)] = [
            (
                "{\"ts\":\"2025-02-03T00:00:00Z\",\"id\":\"v1\",\"corrects\":\"s0\",\"correction\":\"void\",\"reason\":\"x\",\"model\":\"gpt-4o\"}",
                #"error[schema]: a void records no usage: "model" is not allowed on it (use "correction":"replace" to change an event)"#
            ),
            ("{\"ts\":\"2025-02-03T00:00:00Z\",\"id\":\"v1\",\"corrects\":\"s0\",\"correction\":\"undo\"}", #"error[schema]: correction must be "void" or "replace""#),
            ("{\"ts\":\"2025-02-03T00:00:00Z\",\"id\":\"v1\",\"correction\":\"void\"}", #"error[schema]: missing required key "corrects""#),
            ("{\"ts\":\"2025-02-03T00:00:00Z\",\"id\":\"v1\",\"corrects\":\"s0\",\"correction\":\"replace\"}", #"error[schema]: missing required key "provider""#),
        ]
        for (line, message) in cases {
            try repo.write("ledger/2025/2025-03.jsonl", line + "\n")
            let r = try repo.spend("lint")
            XCTAssertEqual(r.status, 1)
            XCTAssertTrue((r.stdout + r.stderr).contains(message), "\(line)\n\(r.stdout)\(r.stderr)")
        }
    }
}
