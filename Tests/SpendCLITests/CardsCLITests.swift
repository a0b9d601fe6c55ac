import Foundation
import XCTest

/// `spend cards check | sync | list | show` end to end, on a one-card repository
/// and the LiteLLM excerpt in Tests/Fixtures/litellm (and the full shared map when present).
final class CardsCLITests: XCTestCase {
    /// The card of SpendCoreTests/CardsTests (Tests/Fixtures/litellm/openai-card.toml): gpt-4o (2.50 / 10.00 from 2024-10-01), gpt-4o-mini, one alias.
    static let card = try! String(contentsOfFile: Paths.packageRoot.path + "/Tests/Fixtures/litellm/openai-card.toml", encoding: .utf8)

    static let excerpt = Paths.packageRoot.appendingPathComponent("Tests/Fixtures/litellm/model_prices_excerpt.json").path

    /// A committed repository with the card and one gpt-4o-2024-11-20 event on 2026-12-05 (1M input tokens).
    func cardRepo() throws -> TestRepo {
        let repo = try makeRepo(cards: false)
        try repo.write("ratecards/openai.toml", Self.card)
        try repo.writeLedger(
            "ledger/2026/2026-12.jsonl", [event(ts: "2026-12-05T10:00:00Z", id: "r1", model: "gpt-4o-2024-11-20", input: 1_000_000, output: 0)])
        try repo.commitAll("cards and ledger")
        return repo
    }

    func testCheckReportsDifferencesAndMissingModelsWithExitOne() throws {
        let repo = try cardRepo()
        let r = try repo.spend("cards", "check", "--litellm", Self.excerpt)
        XCTAssertEqual(r.status, 1, r.stderr)
        // One block per model, no line wider than 100 columns.
        XCTAssertEqual(
            r.stdout.split(separator: "\n").dropLast().joined(separator: "\n"),
            """
            differs  openai/gpt-4o
              card: openai/gpt-4o@2024-10-01 at ratecards/openai.toml:8
              field         card  map
              input          2.5    3
              output          10   12
              batch_input   1.25  1.5
              batch_output     5    6
            differs  openai/gpt-4o-2024-11-20
              card: openai/gpt-4o@2024-10-01 at ratecards/openai.toml:8
              field   card  map
              input    2.5    3
              output    10   12
            missing  openai/gpt-9-test
              field   card    map
              input      -  0.125
              output     -      1
            """)
        XCTAssertTrue(r.lines.last?.hasPrefix("2 models differ, 1 model missing; 3 models compared with LiteLLM git blob ") ?? false, r.stdout)
        XCTAssertEqual(r.lines.dropLast().filter { $0.count > 100 }, [])

        let csv = try repo.spend("cards", "check", "--litellm", Self.excerpt, "--format", "csv")
        XCTAssertEqual(csv.status, 1)
        XCTAssertEqual(csv.lines.first, "finding,provider,model,map_key,point,location,field,card,map,reason")
        XCTAssertTrue(csv.lines.contains("differs,openai,gpt-4o,gpt-4o,openai/gpt-4o@2024-10-01,ratecards/openai.toml:8,batch_input,1.25,1.5,"), csv.stdout)
        XCTAssertTrue(csv.lines.contains("missing,openai,gpt-9-test,gpt-9-test,,,input,,0.125,"), csv.stdout)
    }

    /// `--known FILE`: the differences its entries cover are accepted (exit 0
    /// when nothing else is found), CSV lists them as `known` with the reason,
    /// and an entry that covers nothing is a `stale` finding (exit 1).
    func testCheckWithKnownDifferencesAcceptsThemAndReportsStaleEntries() throws {
        let repo = try cardRepo()
        try repo.write(
            "known.toml",
            """
            [[known]]
            model = "gpt-4o"
            reason = "our contract price"

            [[known]]
            provider = "openai"
            model = "gpt-4o-2024-11-20"
            fields = ["input", "output"]
            reason = "priced through the gpt-4o alias"

            [[known]]
            model = "gpt-9-test"
            reason = "not a real model"

            """)
        let r = try repo.spend("cards", "check", "--litellm", Self.excerpt, "--known", "known.toml")
        assertOK(r)
        XCTAssertTrue(r.stdout.hasPrefix("ok: 0 models differ, 0 models missing; 3 models compared with LiteLLM git blob "), r.stdout)
        XCTAssertTrue(r.stdout.hasSuffix("; 3 models with known differences (known.toml) not listed\n"), r.stdout)
        let csv = try repo.spend("cards", "check", "--litellm", Self.excerpt, "--known", "known.toml", "--format", "csv")
        assertOK(csv)
        XCTAssertTrue(csv.lines.contains("known,openai,gpt-4o,gpt-4o,openai/gpt-4o@2024-10-01,ratecards/openai.toml:8,input,2.5,3,our contract price"), csv.stdout)
        XCTAssertTrue(csv.lines.contains("known,openai,gpt-9-test,gpt-9-test,,,,,,not a real model"), csv.stdout)

        // gpt-4o-mini agrees with the map: an entry for it is stale; a field the entry leaves out stays a finding.
        try repo.write(
            "known.toml",
            """
            [[known]]
            model = "gpt-4o"
            fields = ["input", "output"]
            reason = "our contract price"

            [[known]]
            model = "gpt-4o-mini"
            reason = "was wrong once"

            """)
        let stale = try repo.spend("cards", "check", "--litellm", Self.excerpt, "--known", "known.toml")
        XCTAssertEqual(stale.status, 1, stale.stderr)
        XCTAssertTrue(stale.stdout.hasPrefix("differs  openai/gpt-4o\n  card: openai/gpt-4o@2024-10-01 at ratecards/openai.toml:8\n  field         card  map\n  batch_input   1.25  1.5\n"), stale.stdout)
        XCTAssertTrue(stale.stdout.contains("stale    gpt-4o-mini\n  known.toml:6: no finding of this model any more: remove the entry\n"), stale.stdout)
        XCTAssertTrue(stale.lines.last?.hasPrefix("2 models differ, 1 model missing, 1 stale known difference; ") ?? false, stale.stdout)
    }

    func testCheckRejectsABadKnownFileWithALocatedError() throws {
        let repo = try cardRepo()
        try repo.write("known.toml", "[[known]]\nmodel = \"gpt-4o\"\n\n[[known]]\nmodel = \"gpt-9-test\"\nfields = [\"inputs\"]\nreason = \"x\"\n")
        let bad = try repo.spend("cards", "check", "--litellm", Self.excerpt, "--known", "known.toml")
        assertRejected(bad)
        XCTAssertTrue(
            bad.stderr.contains("known.toml:1: error[cards-known]: [[known]] gpt-4o needs a reason: why the card is right, or why the model is not priced"),
            bad.stderr)
        XCTAssertTrue(bad.stderr.contains("known.toml:4: error[cards-known]: unknown field \"inputs\" (fields: input, cached_input, cache_write, output, batch_input, batch_output)"), bad.stderr)
        let absent = try repo.spend("cards", "check", "--litellm", Self.excerpt, "--known", "absent.toml")
        assertRejected(absent)
        XCTAssertTrue(absent.stderr.contains("absent.toml: cannot read the file"), absent.stderr)
    }

    func testCheckIsCleanWithExitZero() throws {
        let repo = try cardRepo()
        try repo.write(
            "mini.json",
            #"{"gpt-4o-mini": {"litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 1.5e-07, "cache_read_input_token_cost": 7.5e-08, "output_cost_per_token": 6e-07}}"#)
        let r = try repo.spend("cards", "check", "--litellm", "mini.json")
        assertOK(r)
        XCTAssertTrue(r.stdout.hasPrefix("ok: 0 models differ, 0 models missing; 1 model compared with LiteLLM git blob "), r.stdout)
    }

    func testCheckRejectsAMalformedMapOrNoMapWithExitTwo() throws {
        let repo = try cardRepo()
        try repo.write("bad.json", "{\n  \"gpt-4o\": {\"input_cost_per_token\": 3e-06,,}\n}\n")
        let bad = try repo.spend("cards", "check", "--litellm", "bad.json")
        assertRejected(bad)
        XCTAssertTrue(bad.stderr.hasPrefix("bad.json:2:"), bad.stderr)
        XCTAssertTrue(bad.stderr.contains("error[litellm]: not LiteLLM's price map: "), bad.stderr)
        let none = try repo.spend("cards", "check")
        assertRejected(none)
        XCTAssertTrue(none.stderr.contains("--litellm FILE is required"), none.stderr)
        let absent = try repo.spend("cards", "check", "--litellm", "absent.json")
        assertRejected(absent)
        XCTAssertTrue(absent.stderr.contains("--litellm absent.json: cannot read the file"), absent.stderr)
    }

    func testSyncDryRunWritesNothing() throws {
        let repo = try cardRepo()
        let r = try repo.spend("cards", "sync", "--litellm", Self.excerpt, "--effective", "2026-12-01", "--dry-run")
        assertOK(r)
        XCTAssertTrue(r.stdout.contains("ratecards/openai.toml: new point after openai/gpt-4o@2024-10-01\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("  model = \"gpt-9-test\"\n  effective = 2026-12-01\n  input = 0.125\n  output = 1\n"), r.stdout)
        XCTAssertTrue(r.stdout.hasSuffix("dry run: 2 new points would be written to ratecards/openai.toml; nothing written\n"), r.stdout)
        XCTAssertEqual(try repo.read("ratecards/openai.toml"), Self.card)
    }

    func testSyncThenLintPassesAndAuditAndReportSeeTheNewPoint() throws {
        let repo = try cardRepo()
        let before = try repo.spend("report", "--by", "model", "--format", "csv")
        XCTAssertEqual(before.lines.last, "gpt-4o-2024-11-20,1,1000000,0,0,0,2.5,2.5,2.5")
        let r = try repo.spend("cards", "sync", "--litellm", Self.excerpt, "--effective", "2026-12-01", "--models", "gpt-4o*")
        assertOK(r)
        XCTAssertTrue(r.stdout.hasSuffix("wrote 1 new point to ratecards/openai.toml; review with `git diff`, then `spend lint` and `spend audit`\n"), r.stdout)
        let card = try repo.read("ratecards/openai.toml")
        XCTAssertTrue(card.hasPrefix(Self.card), "every old line is kept")
        XCTAssertFalse(card.contains("gpt-9-test"), "--models narrows the sync")
        XCTAssertTrue(card.contains("\n[[price]]\nmodel = \"gpt-4o\"\neffective = 2026-12-01\ninput = 3\ncached_input = 1.25\noutput = 12\n"), card)
        assertOK(try repo.spend("lint"))
        try repo.commitAll("sync cards")
        let audit = try repo.spend("audit", "--format", "csv")
        assertOK(audit)
        XCTAssertTrue(audit.stdout.contains(",openai,gpt-4o,2026-12-01,input,2.5,3,backdated,0.5\n"), audit.stdout)
        let after = try repo.spend("report", "--by", "model", "--format", "csv")
        XCTAssertEqual(after.lines.last, "gpt-4o-2024-11-20,1,1000000,0,0,0,3,3,3")
        // Synced again: nothing left to write for gpt-4o.
        let again = try repo.spend("cards", "sync", "--litellm", Self.excerpt, "--effective", "2026-12-02", "--models", "gpt-4o*")
        assertOK(again)
        XCTAssertTrue(again.stdout.hasSuffix("nothing to sync: the cards agree with the map\n"), again.stdout)
    }

    func testSyncWithAnEffectiveDateNotAfterTheLatestPointChangesNothing() throws {
        let repo = try cardRepo()
        let r = try repo.spend("cards", "sync", "--litellm", Self.excerpt, "--effective", "2024-10-01")
        assertRejected(r)
        XCTAssertTrue(
            r.stderr.contains(
                "ratecards/openai.toml:8: error[ratecard-sync]: openai/gpt-4o@2024-10-01 is effective on or after 2024-10-01: a synced point must be later than the model's latest point"),
            r.stderr)
        XCTAssertEqual(try repo.read("ratecards/openai.toml"), Self.card)
        let badDate = try repo.spend("cards", "sync", "--litellm", Self.excerpt, "--effective", "December")
        assertRejected(badDate)
        XCTAssertTrue(badDate.stderr.contains("--effective expects a date like 2026-12-01, got 'December'"), badDate.stderr)
        XCTAssertEqual(try repo.read("ratecards/openai.toml"), Self.card)
    }

    func testListShowsThePriceInEffectAtADate() throws {
        let repo = try cardRepo()
        let r = try repo.spend("cards", "list", "--at", "2024-09-01")
        assertOK(r)
        XCTAssertEqual(tableRow(r, "openai").map { Array($0.prefix(3)) }, ["openai", "gpt-4o", "gpt-4o"])
        XCTAssertTrue(r.lines.contains { $0.hasPrefix("openai    gpt-4o             gpt-4o        -") }, r.stdout)
        XCTAssertTrue(r.lines.contains { $0.hasPrefix("openai    gpt-4o-mini        gpt-4o-mini   2024-07-18   0.15") }, r.stdout)
        let csv = try repo.spend("cards", "list", "--at", "2025-01-01", "--format", "csv")
        assertOK(csv)
        XCTAssertEqual(
            csv.lines,
            [
                "provider,model,priced_model,effective,input,cached_input,cache_write,output,location",
                "openai,gpt-4o,gpt-4o,2024-10-01,2.5,1.25,,10,ratecards/openai.toml:8",
                "openai,gpt-4o-2024-11-20,gpt-4o,2024-10-01,2.5,1.25,,10,ratecards/openai.toml:8",
                "openai,gpt-4o-mini,gpt-4o-mini,2024-07-18,0.15,0.075,,0.6,ratecards/openai.toml:18",
            ])
        assertRejected(try repo.spend("cards", "list", "--at", "soon"))
    }

    func testShowNamesAliasPointAndIntroducingCommit() throws {
        let repo = try cardRepo()
        let first = try repo.git("rev-parse", "--short=7", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
        assertOK(try repo.spend("cards", "sync", "--litellm", Self.excerpt, "--effective", "2026-12-01", "--models", "gpt-4o"))
        try repo.commitAll("sync gpt-4o")
        let second = try repo.git("rev-parse", "--short=7", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
        let r = try repo.spend("cards", "show", "gpt-4o-2024-11-20", "--at", "2025-06-01")
        assertOK(r)
        XCTAssertEqual(r.lines[0], "openai/gpt-4o-2024-11-20: alias \"gpt-4o-2024-11-20\" → gpt-4o (ratecards/openai.toml:5)")
        XCTAssertTrue(r.lines[1].hasPrefix("in effect at 2025-06-01: openai/gpt-4o@2024-10-01 (ratecards/openai.toml:8), from commit \(first) ("), r.lines[1])
        XCTAssertTrue(r.lines[1].hasSuffix(") \"cards and ledger\""), r.lines[1])
        XCTAssertTrue(r.lines.contains { $0.hasPrefix("2024-10-01 ") && $0.hasSuffix("ratecards/openai.toml:8   \(first)  ← in effect") }, r.stdout)
        XCTAssertTrue(r.lines.contains { $0.hasPrefix("2026-12-01 ") && $0.hasSuffix("\(second)") }, r.stdout)
        let json = try repo.spend("cards", "show", "gpt-4o", "--at", "2026-12-01", "--format", "json")
        assertOK(json)
        XCTAssertTrue(
            json.stdout.contains(
                "{\"provider\":\"openai\",\"model\":\"gpt-4o\",\"priced_model\":\"gpt-4o\",\"effective\":\"2026-12-01\",\"input\":\"3\",\"cached_input\":\"1.25\",\"cache_write\":null,\"output\":\"12\",\"batch_input\":\"1.5\",\"batch_output\":\"6\",\"location\":\"ratecards/openai.toml:29\",\"commit\":\"\(second)\",\"in_effect\":true}"),
            json.stdout)
        let unknown = try repo.spend("cards", "show", "gpt-7")
        assertRejected(unknown)
        XCTAssertTrue(unknown.stderr.contains("error[unknown-model]: model \"gpt-7\" matches no price or alias in ratecards/openai.toml"), unknown.stderr)
    }

    func testShowOutsideGitHasNoCommits() throws {
        let repo = try makeRepo(git: false, cards: false)
        try repo.write("ratecards/openai.toml", Self.card)
        let r = try repo.spend("cards", "show", "gpt-4o", "--at", "2025-01-01")
        assertOK(r)
        XCTAssertTrue(r.lines[1].hasSuffix("(ratecards/openai.toml:8), not committed"), r.lines[1])
    }

    /// The bundled cards against the full shared map (../shared/data), when it is there.
    func testCheckOfTheBundledCardsAgainstTheSharedMap() throws {
        let map = Paths.packageRoot.appendingPathComponent("../shared/data/litellm-model-prices-1.109.1.json").standardizedFileURL.path
        guard FileManager.default.fileExists(atPath: map) else {
            let reason = "no shared LiteLLM map at \(map): the full-map check is not run"
            print("skipped: " + reason)
            throw XCTSkip(reason)
        }
        let repo = try makeRepo()
        let r = try repo.spend("cards", "check", "--litellm", map)
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stdout.contains("differs  google/gemini-4-argon\n  map key: gemini/gemini-4-argon\n"), "a documented exception of the bundled cards")
        XCTAssertTrue(r.lines.last?.contains("compared with LiteLLM 1.109.1") ?? false, r.stdout)
        XCTAssertEqual(r.lines.dropLast().filter { $0.count > 100 }, [], "the text table fits 100 columns")
        // With the repository's list of reviewed differences (litellm-known.toml): clean.
        let known = try repo.spend("cards", "check", "--litellm", map, "--known", Paths.packageRoot.path + "/litellm-known.toml")
        assertOK(known)
        XCTAssertTrue(known.stdout.hasPrefix("ok: 0 models differ, 0 models missing; "), known.stdout)
    }
}
