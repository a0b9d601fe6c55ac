import Foundation
import XCTest

/// Issue 12 §6: plain `spend lint` checks what is new against HEAD and does
/// not re-judge committed history against a tightened policy; `--all`
/// re-judges everything on request.
final class LintHistoryModeTests: XCTestCase {
    let shard = "ledger/2026/2026-11.jsonl"

    /// The sandbox policy without its `deny_models` for staging.
    static let loosePolicy = LintSandbox.policy.replacingOccurrences(of: "deny_models = [\"gpt-4o\", \"claude-opus-*\"]", with: "")

    /// Two staging events on gpt-4o committed under the loose policy, then the policy tightened in the working tree.
    func makeTightenedRepo() throws -> LintSandbox {
        let repo = try LintSandbox(policy: Self.loosePolicy)
        let staging = ["team": "growth", "env": "staging"]
        try repo.appendEvents(
            shard, [lintEvent(id: "s1", model: "gpt-4o", tags: staging), lintEvent(id: "s2", model: "gpt-4o", tags: staging), lintEvent(id: "p1")])
        XCTAssertEqual(try repo.commitAll("staging on gpt-4o", verify: false).status, 0)
        try repo.write("spend.toml", LintSandbox.policy)
        return repo
    }

    func testTighteningThePolicyDoesNotReJudgeCommittedEvents() throws {
        let repo = try makeTightenedRepo()
        let run = try repo.lint()
        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertTrue(
            run.stdout.hasPrefix(
                "note: spend.toml changed: 2 committed events predate it and do not satisfy it; committed history is not re-judged (spend lint --all shows them)\n"
                    + "spend lint: ok (working tree against HEAD: 0 new events checked in 0 shards, "), run.stdout)
        // The same before the commit that tightens it.
        try repo.git("add", "-A")
        let staged = try repo.lint("--staged")
        XCTAssertEqual(staged.status, 0, staged.output)
        XCTAssertTrue(staged.stdout.contains("note: spend.toml changed: 2 committed events predate it"), staged.stdout)
        // --all re-judges everything.
        let all = try repo.lint("--all")
        XCTAssertEqual(all.status, 1, all.output)
        XCTAssertTrue(all.stdout.contains("\(shard):1:72: error[model-denied]: model \"gpt-4o\" is denied for env \"staging\""), all.stdout)
        XCTAssertTrue(all.stdout.contains("\(shard):2:72: error[model-denied]"), all.stdout)
        XCTAssertTrue(all.stdout.contains("spend lint: 2 errors (working tree against HEAD: 3 events in 1 shard"), all.stdout)

        // Committed: plain lint stays green, and new events meet the new policy.
        XCTAssertEqual(try repo.commitAll("deny gpt-4o in staging", verify: false).status, 0)
        let after = try repo.lint()
        XCTAssertEqual(after.status, 0, after.output)
        XCTAssertFalse(after.stdout.contains("predate"), after.stdout)
        XCTAssertTrue(
            after.stdout.contains(
                "note: nothing new against HEAD: committed history is not re-judged (spend lint --all re-judges it; CI checks each commit with spend lint --commits BASE..HEAD)"
            ), after.stdout)
        try repo.appendEvents(shard, [lintEvent(id: "s3", model: "gpt-4o", tags: ["team": "growth", "env": "staging"])])
        let new = try repo.lint()
        XCTAssertEqual(new.status, 1, new.output)
        XCTAssertTrue(new.stdout.contains("\(shard):4:72: error[model-denied]"), new.stdout)
        XCTAssertTrue(new.stdout.contains("spend lint: 1 error (working tree against HEAD: 1 new event checked in 1 shard"), new.stdout)

        // In CI, the commit that tightened the policy carries the note; it is not an error.
        let rev = try repo.lint("--rev", "HEAD")
        XCTAssertEqual(rev.status, 0, rev.output)
        XCTAssertTrue(rev.stdout.contains("note: spend.toml changed: 2 committed events predate it"), rev.stdout)
    }

    func testJSONCarriesTheNoteAndTheMode() throws {
        let repo = try makeTightenedRepo()
        let (run, object) = try repo.lintJSON()
        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertEqual(object["mode"] as? String, "working-tree")
        XCTAssertEqual(object["policy_predating"] as? Int, 2)
        XCTAssertEqual(
            object["notes"] as? [String],
            ["spend.toml changed: 2 committed events predate it and do not satisfy it; committed history is not re-judged (spend lint --all shows them)"])
        let (_, all) = try repo.lintJSON("--all")
        XCTAssertEqual(all["mode"] as? String, "all")
        XCTAssertEqual(lintRules(all), ["model-denied", "model-denied"])
    }

    /// A line committed past the hook is not re-judged by plain `spend lint`
    /// (nothing in the working tree can fix it); `--all` and CI's `--commits` report it.
    func testACommittedBadLineIsReportedByAllAndCommitsOnly() throws {
        let repo = try LintSandbox()
        try repo.appendEvents(shard, [lintEvent(id: "a")])
        XCTAssertEqual(try repo.commitAll("first", verify: false).status, 0)
        try repo.appendEvents(shard, [lintEvent(id: "b", tags: ["env": "prod"])])
        XCTAssertEqual(try repo.commitAll("no-verify", verify: false).status, 0)
        XCTAssertEqual(try repo.lint().status, 0)
        let all = try repo.lint("--all")
        XCTAssertEqual(all.status, 1, all.output)
        XCTAssertTrue(all.stdout.contains("\(shard):2:131: error[tag-required]: missing tag \"team\""), all.stdout)
        let ci = try repo.lint("--commits", "HEAD~1..HEAD")
        XCTAssertEqual(ci.status, 1, ci.output)
        XCTAssertTrue(ci.stdout.contains("\(shard):2:131: error[tag-required]: missing tag \"team\""), ci.stdout)
    }

    /// Without git (or before the first commit) everything is new.
    func testWithoutHistoryEverythingIsNew() throws {
        let repo = try LintSandbox(git: false)
        try repo.appendEvents(shard, [lintEvent(id: "a", tags: ["env": "prod"])])
        let run = try repo.lint()
        XCTAssertEqual(run.status, 1, run.output)
        XCTAssertTrue(run.stdout.contains("spend lint: 1 error (working tree: 1 new event checked in 1 shard"), run.stdout)
    }

    /// Editing the cards in the working tree re-checks every event for a price,
    /// but an unchanged card (stat-dirty or not) is no change.
    func testUnchangedCardsAreNoChange() throws {
        let repo = try LintSandbox()
        try repo.appendEvents(shard, [lintEvent(id: "a")])
        XCTAssertEqual(try repo.commitAll("first", verify: false).status, 0)
        try repo.write("ratecards/openai.toml", try repo.read("ratecards/openai.toml"))
        let run = try repo.lint()
        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertFalse(run.stdout.contains("rate cards changed"), run.stdout)
        try repo.append("ratecards/openai.toml", "\n")
        let changed = try repo.lint()
        XCTAssertTrue(changed.stdout.contains("note: rate cards changed: every event of the ledger was re-checked for a price"), changed.stdout)
    }
}
