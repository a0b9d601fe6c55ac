import Foundation
import XCTest

@testable import SpendCore

/// `spend audit` end to end on the scripted history of `ScriptedCardHistory`
/// (see RepriceCLITests.swift for the cards and the ledger).
final class AuditCLITests: XCTestCase {
    func audit(_ repo: TestRepo, _ args: String...) throws -> RunResult {
        try runSpend("spend-audit", args, in: repo.root)
    }

    /// Impacts, by hand (cost = input × rate + output × rate, per 1M tokens):
    ///   C1 creates the card: nothing was priced before → impact 0 (5 events newly priced).
    ///   C2 output 10 → 12 on the only point: +2 per 1M output tokens on every event:
    ///      e1 100 → 0.0002, e2 200 → 0.0004, e3/e4/e5 1000 → 0.002 each = 0.0066.
    ///   C3 adds 2026-03-15 (1/5): only e3 (03-20): 0.002 + 0.012 = 0.014 → 0.001 + 0.005 = 0.006: −0.008.
    ///   C4 backdates 2026-02-01 (1.5/9): e2 (02-10) 0.004 + 0.0024 = 0.0064 → 0.003 + 0.0018 = 0.0048 (−0.0016);
    ///      e5 (02-15) 0.014 → 0.0015 + 0.009 = 0.0105 (−0.0035): −0.0051. e3 stays on 03-15.
    ///   C5 deletes 2026-03-15: e3 0.006 → 1.5/9: 0.0105: +0.0045.
    ///   C6 repoints acme-large-latest to the new acme-small (0.5/1): e4 0.014 → 0.0005 + 0.001 = 0.0015: −0.0125.
    ///   C7 changes a comment only: not listed.
    func testEveryKindClassifiedWithExactImpacts() throws {
        let repo = try makeRepo(cards: false)
        let h = try ScriptedCardHistory(repo)
        let c = h.commits
        let r = try audit(repo, "--format", "csv")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(
            r.lines,
            [
                "commit,date,author,provider,model,effective,field,old,new,kind,impact",
                "\(c[0]),2026-01-01,Alice,acme,acme-large,2025-12-01,input,,2,backdated,0",
                "\(c[0]),2026-01-01,Alice,acme,acme-large,2025-12-01,output,,10,backdated,0",
                "\(c[0]),2026-01-01,Alice,acme,acme-large-latest,,alias,,acme-large,alias,0",
                "\(c[1]),2026-02-01,Bob,acme,acme-large,2025-12-01,output,10,12,edited,0.0066",
                "\(c[2]),2026-03-01,Alice,acme,acme-large,2026-03-15,input,2,1,added,-0.008",
                "\(c[2]),2026-03-01,Alice,acme,acme-large,2026-03-15,output,12,5,added,-0.008",
                "\(c[3]),2026-04-01,Carol,acme,acme-large,2026-02-01,input,2,1.5,backdated,-0.0051",
                "\(c[3]),2026-04-01,Carol,acme,acme-large,2026-02-01,output,12,9,backdated,-0.0051",
                "\(c[4]),2026-05-01,Bob,acme,acme-large,2026-03-15,input,1,1.5,deleted,0.0045",
                "\(c[4]),2026-05-01,Bob,acme,acme-large,2026-03-15,output,5,9,deleted,0.0045",
                "\(c[5]),2026-06-01,Alice,acme,acme-small,2025-12-01,input,,0.5,backdated,-0.0125",
                "\(c[5]),2026-06-01,Alice,acme,acme-small,2025-12-01,output,,1,backdated,-0.0125",
                "\(c[5]),2026-06-01,Alice,acme,acme-large-latest,,alias,acme-large,acme-small,alias,-0.0125",
            ])
    }

    func testTableShowsPercentAndRestatement() throws {
        let repo = try makeRepo(cards: false)
        let h = try ScriptedCardHistory(repo)
        let r = try audit(repo, "--precision", "4")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("\(h.commits[1])  2026-02-01  Bob  fix acme-large output price"), r.stdout)
        XCTAssertTrue(
            r.lines.contains { $0.hasPrefix("  edited  acme") && $0.contains("acme-large@2025-12-01  output  10 → 12") && $0.hasSuffix(" +20.0%") }, r.stdout)
        XCTAssertTrue(r.stdout.contains("impact: restated +$0.0066 on 5 events across 2026-01–2026-03"), r.stdout)
        XCTAssertTrue(r.stdout.contains("impact: restated -$0.0051 on 2 events across 2026-02"), r.stdout)
        XCTAssertTrue(r.lines.contains { $0.hasPrefix("  added  acme") && $0.contains("output  12 → 5") && $0.hasSuffix(" -58.3%") }, r.stdout)
        XCTAssertTrue(r.lines.contains { $0.hasPrefix("  deleted  acme") && $0.contains("output  5 → 9") && $0.hasSuffix(" +80.0%") }, r.stdout)
        XCTAssertTrue(r.stdout.contains("alias   acme-large → acme-small"), r.stdout)
        XCTAssertTrue(r.stdout.contains("impact: no recorded event restated; 5 events newly priced"), r.stdout)
        XCTAssertTrue(r.stdout.contains("6 commits changed prices (of 7 touching ratecards/)"), r.stdout)
        XCTAssertFalse(r.stdout.contains(h.commits[6]), r.stdout)
    }

    func testFiltersAndJSON() throws {
        let repo = try makeRepo(cards: false)
        let h = try ScriptedCardHistory(repo)
        // --model acme-small: the point and the alias now pointing at it; impact only on e4.
        let small = try audit(repo, "--model", "acme-small", "--format", "csv")
        XCTAssertEqual(small.status, 0, small.stderr)
        XCTAssertEqual(small.lines.count, 4, small.stdout)
        XCTAssertTrue(small.lines.dropFirst().allSatisfy { $0.hasPrefix(h.commits[5]) && $0.hasSuffix(",-0.0125") }, small.stdout)
        // --since/--until on the commit date.
        let window = try audit(repo, "--since", "2026-03-01", "--until", "2026-05-01", "--format", "csv")
        XCTAssertEqual(Set(window.lines.dropFirst().map { String($0.prefix(7)) }), [h.commits[2], h.commits[3]], window.stdout)
        XCTAssertEqual(try audit(repo, "--provider", "nobody").stdout, "no price changes in 7 rate-card commits\n")
        let json = try audit(repo, "--format", "json", "--since", "2026-02-01", "--until", "2026-02-02")
        XCTAssertEqual(json.status, 0, json.stderr)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(object["card_commits"] as? Int, 7)
        let commits = object["commits"] as! [[String: Any]]
        XCTAssertEqual(commits.count, 1)
        XCTAssertEqual(commits[0]["impact"] as? String, "0.0066")
        XCTAssertEqual(commits[0]["author"] as? String, "Bob")
        XCTAssertEqual(commits[0]["email"] as? String, "bob@example.com")
        XCTAssertEqual(commits[0]["events_restated"] as? Int, 5)
        let changes = commits[0]["changes"] as! [[String: Any]]
        XCTAssertEqual(changes.first?["percent_change"] as? String, "20")
        XCTAssertEqual(changes.first?["kind"] as? String, "edited")
    }

    /// A side branch's commits are only walked with --all-parents.
    func testAllParentsWalksMergedBranches() throws {
        let repo = try makeRepo(cards: false)
        let h = try ScriptedCardHistory(repo)
        try repo.git("checkout", "-q", "-b", "side")
        try repo.replace(in: "ratecards/acme.toml", "input = 0.50", with: "input = 0.40")
        try ScriptedCardHistory.commit(repo, "small input cut", at: "2026-08-01T00:00:00Z", author: "Dana")
        try repo.git("checkout", "-q", "main")
        try repo.write("README", "x\n")
        try ScriptedCardHistory.commit(repo, "readme", at: "2026-08-02T00:00:00Z", author: "Bob")
        let merge = try runProcess(
            Paths.git, ["-c", "user.name=M", "-c", "user.email=m@e", "merge", "-q", "--no-ff", "--no-edit", "side"], in: repo.root,
            environment: ["GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null"])
        XCTAssertEqual(merge.status, 0, merge.stderr)
        let first = try audit(repo, "--format", "csv", "--since", "2026-07-15")
        // First-parent: the merge commit itself carries the change.
        XCTAssertEqual(first.lines.count, 2, first.stdout)
        XCTAssertTrue(first.lines[1].contains(",M,acme,acme-small,2025-12-01,input,0.5,0.4,edited,"), first.stdout)
        let all = try audit(repo, "--all-parents", "--format", "csv", "--since", "2026-07-15")
        XCTAssertEqual(all.lines.count, 2, all.stdout)
        XCTAssertTrue(all.lines[1].contains(",Dana,acme,acme-small,2025-12-01,input,0.5,0.4,edited,"), all.stdout)
        // e4: 1000 input tokens × −0.1 per 1M = −0.0001.
        XCTAssertTrue(all.lines[1].hasSuffix(",-0.0001"), all.stdout)
        _ = h
    }

    func testErrors() throws {
        let repo = try makeRepo(cards: false)
        _ = try ScriptedCardHistory(repo)
        let badRev = try audit(repo, "--rev", "no-such-rev")
        XCTAssertEqual(badRev.status, 2)
        XCTAssertTrue(badRev.stderr.contains("spend: error: unknown revision \"no-such-rev\""), badRev.stderr)
        let badSince = try audit(repo, "--since", "someday")
        XCTAssertEqual(badSince.status, 2)
        XCTAssertTrue(badSince.stderr.contains("--since expects a date like 2026-11-01"), badSince.stderr)
        let badFormat = try audit(repo, "--format", "xml")
        XCTAssertEqual(badFormat.status, 2)

        let plain = try makeRepo(git: false)
        let noGit = try runSpend("spend", ["audit"], in: plain.root)
        XCTAssertEqual(noGit.status, 2)
        XCTAssertTrue(noGit.stderr.contains("is not inside a git repository: the rate-card history is read through git"), noGit.stderr)

        let unborn = try makeRepo()
        let empty = try runSpend("spend", ["audit"], in: unborn.root)
        XCTAssertEqual(empty.status, 2)
        XCTAssertTrue(empty.stderr.contains("the git repository has no commits yet"), empty.stderr)
    }
    /// A card created with 20,000 points: finding the point each new point
    /// supersedes scanned the whole card per point (quadratic: 400 million
    /// steps here, minutes in a debug build; 236 s for 60,000 points in a
    /// release build). Run under the hang guard; the answers are checked, not
    /// the time.
    func testLargeCardIsAuditedAndLintedUnderTheHangGuard() throws {
        let repo = try makeRepo(cards: false)
        var text = "provider = \"acme\"\ncurrency = \"USD\"\n"
        for model in 0..<200 {
            for week in 0..<100 {
                let day = Timestamp.dateString(days: Timestamp.day(ofMillis: Timestamp.parse("2020-01-01T00:00:00Z")!) + Int64(week * 7))
                text += "\n[[price]]\nmodel = \"m\(model)\"\neffective = \(day)\ninput = \(week + 1)\noutput = \(week + 2)\n"
            }
        }
        try repo.write("ratecards/acme.toml", text)
        try repo.commitAll("big card")
        // One more point for m7, a week after its last: it supersedes the 100th (input 100, output 101).
        try repo.append("ratecards/acme.toml", "\n[[price]]\nmodel = \"m7\"\neffective = 2021-12-01\ninput = 1\noutput = 1\n")
        try repo.commitAll("m7 cut")

        let audit = try repo.spendGuarded(["audit", "--format", "csv"])
        assertNotHung(audit, "spend audit")
        assertOK(audit)
        XCTAssertEqual(audit.lines.count, 1 + 200 * 100 * 2 + 2)
        XCTAssertEqual(
            audit.lines.suffix(2).map { $0.split(separator: ",").dropFirst(3).joined(separator: ",") },
            ["acme,m7,2021-12-01,input,100,1,backdated,0", "acme,m7,2021-12-01,output,101,1,backdated,0"])
        // The card's first points supersede nothing; later ones the week before.
        XCTAssertTrue(audit.stdout.contains(",acme,m0,2020-01-01,input,,1,backdated,0\n"), audit.stdout.prefix(400).description)
        XCTAssertTrue(audit.stdout.contains(",acme,m0,2020-01-08,input,1,2,backdated,0\n"))

        let lint = try repo.spendGuarded(["lint", "--all"])
        assertNotHung(lint, "spend lint")
        assertOK(lint)
    }
}
