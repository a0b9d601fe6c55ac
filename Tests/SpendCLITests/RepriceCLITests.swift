import Foundation
import XCTest

/// A cost repository whose `ratecards/acme.toml` history is scripted with
/// fixed dates and authors, and a ledger of five events (shared by the
/// reprice and audit tests).
///
/// Card history (each commit at 00:00:00Z of its date):
///   C1 2026-01-01 Alice  card created: acme-large@2025-12-01 input 2 output 10; alias acme-large-latest → acme-large
///   C2 2026-02-01 Bob    edited in place: acme-large@2025-12-01 output 10 → 12
///   C3 2026-03-01 Alice  added acme-large@2026-03-15 input 1 output 5
///   C4 2026-04-01 Carol  backdated acme-large@2026-02-01 input 1.5 output 9
///   C5 2026-05-01 Bob    deleted acme-large@2026-03-15
///   C6 2026-06-01 Alice  acme-small@2025-12-01 input 0.5 output 1; alias acme-large-latest → acme-small
///   C7 2026-07-01 Bob    a comment only (no price changed)
///
/// Ledger (working tree):
///   ledger/2026/2026-01.jsonl  e1 2026-01-10 acme-large        in 1000 out 100   cost "0.003"  (C1: 0.002 + 0.001)
///                              e4 2026-01-20 acme-large-latest in 1000 out 1000  no cost
///   ledger/2026/2026-02.jsonl  e2 2026-02-10 acme-large        in 2000 out 200   cost "0.0064" (C2: 0.004 + 0.0024)
///                              e5 2026-02-15 acme-large        in 1000 out 1000  cost "0.012", priced_with the C1 blob (0.002 + 0.010)
///   ledger/2026/2026-03.jsonl  e3 2026-03-20 acme-large        in 1000 out 1000  no cost
final class ScriptedCardHistory {
    let repo: TestRepo
    /// Short ids of C1…C7.
    var commits: [String] = []
    /// Blob id of ratecards/acme.toml at C1.
    var firstBlob = ""

    static let header = """
        provider = "acme"
        currency = "USD"

        [aliases]
        "acme-large-latest" = "ALIAS"

        """

    static func point(_ model: String, _ effective: String, input: String, output: String) -> String {
        "\n[[price]]\nmodel = \"\(model)\"\neffective = \(effective)\ninput = \(input)\noutput = \(output)\n"
    }

    init(_ repo: TestRepo, ledger: Bool = true) throws {
        self.repo = repo
        let base = Self.point("acme-large", "2025-12-01", input: "2.00", output: "10.00")
        let edited = Self.point("acme-large", "2025-12-01", input: "2.00", output: "12.00")
        let march = Self.point("acme-large", "2026-03-15", input: "1.00", output: "5.00")
        let feb = Self.point("acme-large", "2026-02-01", input: "1.50", output: "9.00")
        let small = Self.point("acme-small", "2025-12-01", input: "0.50", output: "1.00")
        let large = Self.header.replacingOccurrences(of: "ALIAS", with: "acme-large")
        let versions: [(String, String, String, String)] = [
            (large + base, "2026-01-01", "Alice", "acme rate card"),
            (large + edited, "2026-02-01", "Bob", "fix acme-large output price"),
            (large + edited + march, "2026-03-01", "Alice", "acme price cut from March 15"),
            (large + edited + march + feb, "2026-04-01", "Carol", "acme cut was effective Feb 1"),
            (large + edited + feb, "2026-05-01", "Bob", "drop the March point"),
            (Self.header.replacingOccurrences(of: "ALIAS", with: "acme-small") + edited + feb + small, "2026-06-01", "Alice", "latest is small"),
            ("# acme list prices\n" + Self.header.replacingOccurrences(of: "ALIAS", with: "acme-small") + edited + feb + small, "2026-07-01", "Bob", "comment"),
        ]
        for (text, date, author, message) in versions {
            try repo.write("ratecards/acme.toml", text)
            try Self.commit(repo, message, at: date + "T00:00:00Z", author: author)
            commits.append(try repo.git("rev-parse", "--short=7", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines))
            if firstBlob.isEmpty {
                firstBlob = try repo.git("rev-parse", "HEAD:ratecards/acme.toml").trimmingCharacters(in: .whitespacesAndNewlines)
            }
        }
        if ledger {
            func line(_ ts: String, _ id: String, _ model: String, _ input: Int, _ output: Int, _ tail: String = "") -> String {
                "{\"ts\":\"\(ts)\",\"id\":\"\(id)\",\"provider\":\"acme\",\"model\":\"\(model)\",\"input_tokens\":\(input),\"output_tokens\":\(output),\"tags\":{\"team\":\"t\"}\(tail)}"
            }
            try repo.writeLedger(
                "ledger/2026/2026-01.jsonl",
                [
                    line("2026-01-10T00:00:00.000Z", "e1", "acme-large", 1000, 100, ",\"cost\":\"0.003\""),
                    line("2026-01-20T00:00:00.000Z", "e4", "acme-large-latest", 1000, 1000),
                ])
            try repo.writeLedger(
                "ledger/2026/2026-02.jsonl",
                [
                    line("2026-02-10T00:00:00.000Z", "e2", "acme-large", 2000, 200, ",\"cost\":\"0.0064\""),
                    line(
                        "2026-02-15T00:00:00.000Z", "e5", "acme-large", 1000, 1000,
                        ",\"cost\":\"0.012\",\"priced_with\":\"acme/acme-large@2025-12-01 ratecards/acme.toml@\(firstBlob)\""),
                ])
            try repo.writeLedger("ledger/2026/2026-03.jsonl", [line("2026-03-20T00:00:00.000Z", "e3", "acme-large", 1000, 1000)])
        }
    }

    /// Commits everything staged and unstaged with fixed dates and author (CI has no git config).
    static func commit(_ repo: TestRepo, _ message: String, at date: String, author: String) throws {
        try repo.git("add", "-A")
        let email = author.lowercased() + "@example.com"
        let result = try runProcess(
            Paths.git, ["-c", "commit.gpgsign=false", "commit", "-q", "--no-verify", "-m", message], in: repo.root,
            environment: [
                "GIT_AUTHOR_NAME": author, "GIT_AUTHOR_EMAIL": email, "GIT_COMMITTER_NAME": author, "GIT_COMMITTER_EMAIL": email,
                "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null",
            ])
        guard result.status == 0 else {
            throw NSError(domain: "git", code: Int(result.status), userInfo: [NSLocalizedDescriptionKey: result.stderr])
        }
    }
}

/// `spend reprice` end to end on a scripted rate-card history.
final class RepriceCLITests: XCTestCase {
    func reprice(_ repo: TestRepo, _ args: String...) throws -> RunResult {
        try runSpend("spend-reprice", args, in: repo.root)
    }

    /// Default basis: the working-tree cards (C7). Per event (recomputed vs stored/as-recorded):
    ///   e1 2/12 @2025-12-01: 0.002 + 0.0012 = 0.0032 vs stored 0.003              → +0.0002
    ///   e4 alias → acme-small 0.5/1: 0.0005 + 0.001 = 0.0015 vs as recorded (C1 2/10) 0.012 → −0.0105
    ///   e2 1.5/9 @2026-02-01: 0.003 + 0.0018 = 0.0048 vs stored 0.0064            → −0.0016
    ///   e5 1.5/9: 0.0015 + 0.009 = 0.0105 vs stored 0.012                           → −0.0015
    ///   e3 1.5/9 (03-15 deleted): 0.0105 vs as recorded (C3 1/5) 0.006              → +0.0045
    /// 2026-01: 0.0047 vs 0.015 (−0.0103); 2026-02: 0.0153 vs 0.0184 (−0.0031); 2026-03: 0.0105 vs 0.006 (+0.0045).
    func testDefaultBasisShowsTheRestatementAsDrift() throws {
        let repo = try makeRepo(cards: false)
        _ = try ScriptedCardHistory(repo)
        let r = try reprice(repo, "--by", "month", "--format", "csv")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(
            r.stdout,
            """
            month,events,stored_cost,recomputed_cost,drift
            2026-01,2,0.015,0.0047,-0.0103
            2026-02,2,0.0184,0.0153,-0.0031
            2026-03,1,0.006,0.0105,0.0045

            """)
    }

    /// --as-recorded reproduces every stored cost (e1 with C1, e2 with C2, e5 with its
    /// priced_with blob C1 although C2 was in force on 2026-02-15: time-based would give
    /// 0.002 + 0.012 = 0.014). Events without cost are compared with the current cards:
    ///   e4 0.012 vs 0.0015 (+0.0105); e3 0.006 vs 0.0105 (−0.0045).
    func testAsRecordedReproducesStoredCostsAndFollowsPricedWith() throws {
        let repo = try makeRepo(cards: false)
        _ = try ScriptedCardHistory(repo)
        let r = try reprice(repo, "--as-recorded", "--by", "month,model", "--format", "csv")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(
            r.stdout,
            """
            month,model,events,stored_cost,recomputed_cost,drift
            2026-01,acme-large,1,0.003,0.003,0
            2026-01,acme-large-latest,1,0.0015,0.012,0.0105
            2026-02,acme-large,2,0.0184,0.0184,0
            2026-03,acme-large,1,0.0105,0.006,-0.0045

            """)
        // Only the events with a stored cost: nothing drifts, --check passes.
        let check = try reprice(repo, "--as-recorded", "--check", "--where", "model=acme-large", "--until", "2026-03-01")
        XCTAssertEqual(check.status, 0, check.stdout + check.stderr)
        XCTAssertTrue(check.stdout.contains("no drift: every event's cost is reproduced"), check.stdout)
        // The same events on the current cards drift.
        let drift = try reprice(repo, "--check", "--where", "model=acme-large", "--until", "2026-03-01")
        XCTAssertEqual(drift.status, 1, drift.stdout + drift.stderr)
        XCTAssertTrue(drift.stdout.contains("3 events drift"), drift.stdout)
    }

    /// Without priced_with, e5 would be priced with C2 (in force on 2026-02-15): 0.014 ≠ 0.012.
    func testPricedWithBlobIsFollowedToTheExactCard() throws {
        let repo = try makeRepo(cards: false)
        let history = try ScriptedCardHistory(repo)
        let r = try reprice(repo, "--as-recorded", "--list", "--format", "csv", "--where", "id=e5")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "path,line,id,ts,provider,model,stored_cost,recomputed_cost,drift,priced_with\n")
        // Remove priced_with: the time-based version (C2) no longer reproduces 0.012.
        try repo.replace(in: "ledger/2026/2026-02.jsonl", ",\"priced_with\":\"acme/acme-large@2025-12-01 ratecards/acme.toml@\(history.firstBlob)\"", with: "")
        let time = try reprice(repo, "--as-recorded", "--list", "--format", "csv", "--where", "id=e5")
        XCTAssertEqual(
            time.stdout,
            "path,line,id,ts,provider,model,stored_cost,recomputed_cost,drift,priced_with\nledger/2026/2026-02.jsonl,2,e5,2026-02-15T00:00:00.000Z,acme,acme-large,0.012,0.014,0.002,\n")
    }

    func testListShowsFileAndLineOfEveryDriftingEvent() throws {
        let repo = try makeRepo(cards: false)
        _ = try ScriptedCardHistory(repo)
        let r = try reprice(repo, "--list")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(
            r.lines,
            [
                "ledger/2026/2026-01.jsonl:1: e1 2026-01-10T00:00:00.000Z acme/acme-large stored 0.003 recomputed 0.0032 drift +0.0002",
                "ledger/2026/2026-01.jsonl:2: e4 2026-01-20T00:00:00.000Z acme/acme-large-latest stored 0.012 recomputed 0.0015 drift -0.0105",
                "ledger/2026/2026-02.jsonl:1: e2 2026-02-10T00:00:00.000Z acme/acme-large stored 0.0064 recomputed 0.0048 drift -0.0016",
                "ledger/2026/2026-02.jsonl:2: e5 2026-02-15T00:00:00.000Z acme/acme-large stored 0.012 recomputed 0.0105 drift -0.0015 (priced_with acme/acme-large@2025-12-01 ratecards/acme.toml@\(try repo.git("rev-parse", "HEAD~6:ratecards/acme.toml").trimmingCharacters(in: .whitespacesAndNewlines)))",
                "ledger/2026/2026-03.jsonl:1: e3 2026-03-20T00:00:00.000Z acme/acme-large stored 0.006 recomputed 0.0105 drift +0.0045",
                "5 events drift; recomputed with the rate cards of the working tree",
            ])
        XCTAssertEqual(try reprice(repo, "--check").status, 1)
    }

    /// --cards-at C2: every acme-large event at 2/12 (and e4 through the alias, then → acme-large):
    /// e1 0.0032, e4 0.014, e2 0.0064, e5 0.014, e3 0.014 = 0.0516.
    func testCardsAtRevision() throws {
        let repo = try makeRepo(cards: false)
        let history = try ScriptedCardHistory(repo)
        let r = try reprice(repo, "--cards-at", history.commits[1], "--by", "provider", "--format", "json")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("\"recomputed_cost\":\"0.0516\""), r.stdout)
        XCTAssertTrue(r.stdout.contains("the rate cards at \(history.commits[1])"), r.stdout)
        let table = try reprice(repo, "--cards-at", history.commits[1], "--by", "team", "--precision", "4")
        XCTAssertTrue(table.stdout.contains("$0.0516"), table.stdout)
    }

    func testErrors() throws {
        let repo = try makeRepo(cards: false)
        _ = try ScriptedCardHistory(repo)
        let badRev = try reprice(repo, "--cards-at", "no-such-rev")
        XCTAssertEqual(badRev.status, 2)
        XCTAssertTrue(badRev.stderr.contains("spend: error: unknown revision \"no-such-rev\""), badRev.stderr)
        let badBy = try reprice(repo, "--by", "month,team=x")
        XCTAssertEqual(badBy.status, 2)
        XCTAssertTrue(badBy.stderr.contains("spend: error: unknown --by name 'team=x'"), badBy.stderr)
        let twoPeriods = try reprice(repo, "--by", "month,day")
        XCTAssertEqual(twoPeriods.status, 2)
        XCTAssertTrue(twoPeriods.stderr.contains("--by takes at most one of day, week, month, quarter, year"), twoPeriods.stderr)
        let both = try reprice(repo, "--as-recorded", "--cards-at", "HEAD")
        XCTAssertEqual(both.status, 2)
        XCTAssertTrue(both.stderr.contains("--as-recorded and --cards-at choose different rate cards"), both.stderr)
        let badSince = try reprice(repo, "--since", "yesterday")
        XCTAssertEqual(badSince.status, 2)
        XCTAssertTrue(badSince.stderr.contains("--since expects a date"), badSince.stderr)

        let plain = try makeRepo(git: false)
        try plain.writeLedger("ledger/2026/2026-01.jsonl", [event(ts: "2026-01-10T00:00:00Z", id: "a", input: 10, output: 1)])
        let noGit = try runSpend("spend", ["reprice"], in: plain.root)
        XCTAssertEqual(noGit.status, 2)
        XCTAssertTrue(noGit.stderr.contains("is not inside a git repository: the rate-card history is read through git"), noGit.stderr)

        // A bad stored cost is an input error with file:line:column.
        try repo.append("ledger/2026/2026-03.jsonl", "{\"ts\":\"2026-03-21T00:00:00Z\",\"id\":\"e6\",\"provider\":\"acme\",\"model\":\"acme-large\",\"input_tokens\":1,\"output_tokens\":1,\"tags\":{},\"cost\":\"abc\"}\n")
        let badCost = try reprice(repo)
        XCTAssertEqual(badCost.status, 2)
        XCTAssertTrue(badCost.stderr.contains("ledger/2026/2026-03.jsonl:2:"), badCost.stderr)
        XCTAssertTrue(badCost.stderr.contains("error[schema]: cost must be a decimal string"), badCost.stderr)
    }

    /// An event the basis cannot price is an error, never $0.
    func testUnpricedEventIsAnError() throws {
        let repo = try makeRepo(cards: false)
        _ = try ScriptedCardHistory(repo)
        try repo.append("ledger/2026/2026-03.jsonl", event(ts: "2026-03-22T00:00:00Z", id: "e7", provider: "acme", model: "acme-huge", input: 1, output: 1) + "\n")
        let r = try reprice(repo)
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("ledger/2026/2026-03.jsonl:2:"), r.stderr)
        XCTAssertTrue(r.stderr.contains("acme-huge"), r.stderr)
    }
}
