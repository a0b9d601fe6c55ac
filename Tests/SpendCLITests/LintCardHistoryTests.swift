import Foundation
import XCTest

/// Rate-card history in `spend lint` (issue 12 §4, issue 10 leftover): a point
/// or `[[discount]]` that prices nothing recorded yet may be corrected or
/// withdrawn (a note); one in effect, or one an event already uses, stays
/// protected (`ratecard-rewrite`); a new point that drops what the previous
/// point of its model priced is `ratecard-dropped-field`.
final class LintCardHistoryTests: XCTestCase {
    let card = "ratecards/acme.toml"

    /// acme-large from 2025 and a point that takes effect on 2027-01-01 (line 16).
    static let future = """
        provider = "acme"
        currency = "USD"

        [[price]]
        model = "acme-large"
        effective = 2025-01-01
        input = 2.00
        output = 8.00

        [[price]]
        model = "acme-small"
        effective = 2025-01-01
        input = 0.10
        output = 0.40

        [[price]]
        model = "acme-large"
        effective = 2027-01-01
        input = 1.50
        output = 6.00

        """

    func makeRepo(_ text: String = LintCardHistoryTests.future) throws -> LintSandbox {
        let repo = try LintSandbox(policy: nil, cards: false)
        try repo.write(card, text)
        XCTAssertEqual(try repo.commitAll("card", verify: false).status, 0)
        return repo
    }

    /// `(line, rule, severity, message)` of each finding, and the notes about card changes, of `spend lint ARGS --format json`.
    func findings(_ repo: LintSandbox, _ args: String...) throws -> (LintRun, [(Int, String, String, String)], [String]) {
        let (run, object) = try repo.lintJSON(args)
        let list = ((object["findings"] as? [[String: Any]]) ?? []).map {
            ($0["line"] as? Int ?? 0, $0["rule"] as? String ?? "", $0["severity"] as? String ?? "", $0["message"] as? String ?? "")
        }
        // The re-check of every event after a card change is said in a note of its own.
        let notes = (object["notes"] as? [String] ?? []).filter { !$0.hasPrefix("rate cards changed: ") }
        return (run, list, notes)
    }

    /// Commits everything with the given committer date (CI reads "today" from it).
    func commit(_ repo: LintSandbox, at date: String) throws {
        try repo.git("add", "-A")
        let run = try lintExec(
            "/usr/bin/git", ["commit", "-q", "--no-verify", "-m", "card change"], in: repo.top,
            extra: ["GIT_COMMITTER_DATE": date, "GIT_AUTHOR_DATE": date])
        XCTAssertEqual(run.status, 0, run.output)
    }

    // MARK: §4 future-dated points

    func testEditingAPointBeforeItTakesEffectIsANote() throws {
        let repo = try makeRepo()
        try repo.replace(in: card, "input = 1.50", with: "input = 1.40")
        try repo.git("add", "-A")
        let (run, list, notes) = try findings(repo, "--staged", "--today", "2026-06-01")
        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertEqual(list.map(\.1), [])
        XCTAssertEqual(
            notes,
            [
                "ratecards/acme.toml:16: price point acme/acme-large@2027-01-01 was edited before it takes effect (input 1.5 → 1.4): nothing recorded is priced with it yet (it starts after today, 2026-06-01, and after every event of the ledger)"
            ])
        let text = try repo.lint("--staged", "--today", "2026-06-01")
        XCTAssertTrue(text.stdout.contains("note: ratecards/acme.toml:16: price point acme/acme-large@2027-01-01 was edited before it takes effect"), text.stdout)
        // The working tree (the default mode) says the same.
        XCTAssertEqual(try repo.lint("--today", "2026-06-01").status, 0)
    }

    func testWithdrawingAPointBeforeItTakesEffectIsANote() throws {
        let repo = try makeRepo()
        try repo.write(card, Self.future.components(separatedBy: "[[price]]\nmodel = \"acme-large\"\neffective = 2027-01-01")[0])
        let (run, list, notes) = try findings(repo, "--today", "2026-06-01")
        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertEqual(list.map(\.1), [])
        XCTAssertEqual(
            notes,
            [
                "ratecards/acme.toml: price point acme/acme-large@2027-01-01 was withdrawn before it takes effect (it was at ratecards/acme.toml:16 in HEAD): nothing recorded is priced with it yet (it starts after today, 2026-06-01, and after every event of the ledger)"
            ])
    }

    func testAPointInEffectStaysProtected() throws {
        let repo = try makeRepo()
        try repo.replace(in: card, "input = 1.50", with: "input = 1.40")
        let (run, list, notes) = try findings(repo, "--today", "2027-01-02")
        XCTAssertEqual(run.status, 1, run.output)
        XCTAssertEqual(list.map(\.1), ["ratecard-rewrite"])
        XCTAssertEqual(list[0].0, 16)
        XCTAssertEqual(
            list[0].3, "price point acme/acme-large@2027-01-01 was edited in place (input 1.5 → 1.4): history is restated — add a new point instead")
        XCTAssertEqual(notes, [])
    }

    func testAFuturePointThatAnEventAlreadyUsesStaysProtected() throws {
        let repo = try makeRepo()
        // An event priced with the 2027 point (a clock ahead, or a backfill of planned usage).
        try repo.appendEvents(
            "ledger/2027/2027-01.jsonl", [lintEvent(id: "e1", ts: "2027-01-05T00:00:00Z", provider: "acme", model: "acme-large")])
        XCTAssertEqual(try repo.commitAll("events", verify: false).status, 0)
        try repo.replace(in: card, "input = 1.50", with: "input = 1.40")
        let (run, list, _) = try findings(repo, "--today", "2026-06-01")
        XCTAssertEqual(run.status, 1, run.output)
        XCTAssertEqual(list.map(\.1), ["ratecard-rewrite"])
        XCTAssertEqual(
            list[0].3,
            "price point acme/acme-large@2027-01-01 was edited in place (input 1.5 → 1.4): history is restated (recorded events up to 2027-01-05T00:00:00.000Z are priced with it) — add a new point instead"
        )
        // An event before the point does not protect it.
        let repo2 = try makeRepo()
        try repo2.appendEvents(
            "ledger/2026/2026-05.jsonl", [lintEvent(id: "e1", ts: "2026-05-31T00:00:00Z", provider: "acme", model: "acme-large")])
        XCTAssertEqual(try repo2.commitAll("events", verify: false).status, 0)
        try repo2.replace(in: card, "input = 1.50", with: "input = 1.40")
        XCTAssertEqual(try repo2.lint("--today", "2026-06-01").status, 0)
    }

    /// `--rev` and `--commits` judge "not yet in effect" at the commit's time.
    func testRevisionsJudgeAtTheCommitTime() throws {
        let repo = try makeRepo()
        try repo.replace(in: card, "input = 1.50", with: "input = 1.40")
        try commit(repo, at: "2026-12-20T00:00:00Z")
        var (run, list, notes) = try findings(repo, "--rev", "HEAD")
        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertEqual(list.map(\.1), [])
        XCTAssertEqual(notes.count, 1)
        XCTAssertTrue(notes[0].contains("(it starts after today, 2026-12-20, and after every event of the ledger)"), notes[0])

        try repo.replace(in: card, "input = 1.40", with: "input = 1.30")
        try commit(repo, at: "2027-01-03T00:00:00Z")
        (run, list, notes) = try findings(repo, "--commits", "HEAD~2..HEAD")
        XCTAssertEqual(run.status, 1, run.output)
        XCTAssertEqual(list.map(\.1), ["ratecard-rewrite"])
        XCTAssertTrue(list[0].3.contains("(input 1.4 → 1.3)"), list[0].3)
        XCTAssertEqual(notes.count, 1, "\(notes)")
    }

    // MARK: §4 dropped fields

    static let rich = """
        provider = "acme"

        [[price]]
        model = "acme-large"
        effective = 2025-01-01
        input = 2.00
        cached_input = 0.50
        output = 8.00
        batch_discount = 0.5
        tool_calls = { web_search = 10 }
        tiers = [ { above_input_tokens = 200000, input = 4, output = 16 } ]
        service_tiers = { priority = { input = 4, cached_input = 1, output = 16 }, flex = { input = 1, output = 4 } }

        """

    func testANewPointThatDropsFieldsIsAWarning() throws {
        let repo = try makeRepo(Self.rich)
        try repo.append(
            card,
            """

            [[price]]
            model = "acme-large"
            effective = 2026-07-01
            input = 1.80
            cached_input = 0.45
            output = 7.00
            service_tiers = { flex = { input = 1, output = 4 }, priority = { input = 3.6, output = 14 } }

            """)
        let (run, list, _) = try findings(repo, "--today", "2026-06-01")
        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertEqual(list.map(\.1), ["ratecard-dropped-field"])
        XCTAssertEqual(list[0].2, "warning")
        XCTAssertEqual(list[0].0, 14)
        XCTAssertEqual(
            list[0].3,
            "new price point acme/acme-large@2026-07-01 drops what acme/acme-large@2025-01-01 (line 3) priced: batch_discount, tiers (above_input_tokens 200000), tool_calls.web_search, service_tiers.priority.cached_input — copy them into the new point unless the provider withdrew them (from 2026-07-01 on, events that use them no longer get those prices)"
        )
        XCTAssertEqual(try repo.lint("--today", "2026-06-01", "--strict").status, 1)
        // Keeping everything is clean.
        try repo.write(
            card,
            Self.rich + """

                [[price]]
                model = "acme-large"
                effective = 2026-07-01
                input = 1.80
                cached_input = 0.45
                output = 7.00
                batch_discount = 0.5
                tool_calls = { web_search = 10 }
                tiers = [ { above_input_tokens = 200000, input = 4, output = 16 } ]
                service_tiers = { priority = { input = 4, cached_input = 1, output = 16 }, flex = { input = 1, output = 4 } }

                """)
        XCTAssertEqual(try repo.lint("--today", "2026-06-01", "--strict").status, 0)
    }

    func testDroppingAServiceTierIsAWarning() throws {
        let repo = try makeRepo(Self.rich)
        try repo.append(
            card,
            """

            [[price]]
            model = "acme-large"
            effective = 2026-07-01
            input = 1.80
            cached_input = 0.45
            output = 7.00
            batch_input = 0.9
            batch_cached_input = 0.2
            batch_output = 3.5
            tool_calls = { web_search = 10 }
            tiers = [ { above_input_tokens = 200000, input = 4, output = 16 } ]

            """)
        let (_, list, _) = try findings(repo, "--today", "2026-06-01")
        XCTAssertEqual(list.map(\.1), ["ratecard-dropped-field"])
        // The base rates keep a batch price of their own, but the >200000 tier had one only
        // through batch_discount: a batch call above it becomes no-price.
        XCTAssertTrue(list[0].3.contains("priced: batch_discount, service_tiers.flex, service_tiers.priority — copy them"), list[0].3)
    }

    /// A point whose long-context tier and service tier (and that service
    /// tier's own tier) carry cache rates and `batch_*`.
    static let tiered = """
        provider = "acme"

        [[price]]
        model = "acme-large"
        effective = 2025-01-01
        input = 2.00
        output = 8.00
        tiers = [ { above_input_tokens = 200000, input = 4, cached_input = 1, output = 16, batch_input = 2, batch_output = 8 } ]
        service_tiers.priority = { input = 4, output = 16, batch_output = 9, tiers = [ { above_input_tokens = 200000, input = 8, cache_write = 10, output = 32, batch_input = 4 } ] }

        """

    func testDroppingRatesInsideATierIsAWarning() throws {
        let repo = try makeRepo(Self.tiered)
        try repo.append(
            card,
            """

            [[price]]
            model = "acme-large"
            effective = 2026-07-01
            input = 2.00
            output = 8.00
            tiers = [ { above_input_tokens = 200000, input = 4, output = 16, batch_output = 8 } ]
            service_tiers.priority = { input = 4, output = 16, tiers = [ { above_input_tokens = 200000, input = 8, output = 32 } ] }

            """)
        let (run, list, _) = try findings(repo, "--today", "2026-06-01")
        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertEqual(list.map(\.1), ["ratecard-dropped-field"])
        XCTAssertEqual(list.map(\.0), [11])
        XCTAssertEqual(
            list.map(\.3),
            [
                "new price point acme/acme-large@2026-07-01 drops what acme/acme-large@2025-01-01 (line 3) priced: tiers (above_input_tokens 200000: cached_input, batch_input), service_tiers.priority.batch_output, service_tiers.priority.tiers (above_input_tokens 200000: cache_write, batch_input) — copy them into the new point unless the provider withdrew them (from 2026-07-01 on, events that use them no longer get those prices)"
            ])
        // The same tiers, whole: clean.
        let samePoint = Self.tiered.replacingOccurrences(of: "provider = \"acme\"\n", with: "").replacingOccurrences(of: "2025-01-01", with: "2026-07-01")
        try repo.write(card, Self.tiered + samePoint)
        XCTAssertEqual(try repo.lint("--today", "2026-06-01", "--strict").status, 0)
    }

    // MARK: issue 10: [[discount]] edited in place

    static let discounted = """
        provider = "acme"

        [[price]]
        model = "acme-large"
        effective = 2025-01-01
        input = 2.00
        output = 8.00

        [[discount]]
        effective = 2026-01-01
        percent = "15"
        models = ["acme-large"]

        """

    func testEditingADiscountInEffectIsARewrite() throws {
        let repo = try makeRepo(Self.discounted)
        try repo.replace(in: card, "percent = \"15\"", with: "percent = \"12\"")
        var (run, list, _) = try findings(repo, "--today", "2026-06-01")
        XCTAssertEqual(run.status, 1, run.output)
        XCTAssertEqual(list.map(\.1), ["ratecard-rewrite"])
        XCTAssertEqual(list[0].0, 9)
        XCTAssertEqual(
            list[0].3,
            "discount acme discount 15% from 2026-01-01 was edited in place (percent 15 → 12): history is restated — end it (until) and add a new [[discount]] instead"
        )
        // Its models too.
        try repo.replace(in: card, "percent = \"12\"", with: "percent = \"15\"")
        try repo.replace(in: card, "models = [\"acme-large\"]", with: "models = [\"acme-*\"]")
        (run, list, _) = try findings(repo, "--today", "2026-06-01")
        XCTAssertEqual(list.map(\.1), ["ratecard-rewrite"])
        XCTAssertTrue(list[0].3.contains("(models [\"acme-large\"] → [\"acme-*\"])"), list[0].3)
        // Deleting it.
        try repo.write(card, Self.discounted.components(separatedBy: "[[discount]]")[0])
        (run, list, _) = try findings(repo, "--today", "2026-06-01")
        XCTAssertEqual(run.status, 1, run.output)
        XCTAssertEqual(list.map(\.1), ["ratecard-rewrite"])
        XCTAssertEqual(
            list[0].3,
            "discount acme discount 15% from 2026-01-01 was deleted (it was at ratecards/acme.toml:9 in HEAD): history is restated — end it (until) instead"
        )
    }

    /// CI: the commit that edits a discount in effect is flagged, each commit against its parent.
    func testCIFlagsTheCommitThatEditsADiscount() throws {
        let repo = try makeRepo(Self.discounted)
        try repo.replace(in: card, "percent = \"15\"", with: "percent = \"20\"")
        try commit(repo, at: "2026-06-01T00:00:00Z")
        try repo.write("README", "x\n")
        try commit(repo, at: "2026-06-02T00:00:00Z")
        let (run, object) = try repo.lintJSON("--commits", "HEAD~2..HEAD")
        XCTAssertEqual(run.status, 1, run.output)
        XCTAssertEqual(lintRules(object), ["ratecard-rewrite"])
        let commits = object["commits"] as? [[String: Any]] ?? []
        XCTAssertEqual(commits.map { $0["errors"] as? Int }, [1, 0])
        XCTAssertTrue(run.stdout.contains("(percent 15 → 20): history is restated"), run.stdout)
    }

    func testEndingADiscountLaterIsANoteEndingItInThePastIsARewrite() throws {
        let repo = try makeRepo(Self.discounted)
        // The documented way to change terms: end the discount where the new one starts.
        try repo.replace(in: card, "percent = \"15\"", with: "until = 2026-07-01\npercent = \"15\"")
        let (run, list, notes) = try findings(repo, "--today", "2026-06-01")
        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertEqual(list.map(\.1), [])
        XCTAssertEqual(
            notes,
            [
                "ratecards/acme.toml:9: discount acme discount 15% from 2026-01-01 was edited (until none → 2026-07-01): prices change only from 2026-07-01 on, after today (2026-06-01) and after every event of the ledger"
            ])
        // Ending it before today restates what was recorded since.
        let (late, lateList, _) = try findings(repo, "--today", "2026-08-01")
        XCTAssertEqual(late.status, 1, late.output)
        XCTAssertEqual(lateList.map(\.1), ["ratecard-rewrite"])
        XCTAssertTrue(lateList[0].3.contains("was edited in place (until none → 2026-07-01): history is restated"), lateList[0].3)
    }

    func testEditingAFutureDiscountIsANote() throws {
        let repo = try makeRepo(Self.discounted.replacingOccurrences(of: "effective = 2026-01-01", with: "effective = 2027-01-01"))
        try repo.replace(in: card, "percent = \"15\"", with: "percent = \"12\"")
        let (run, list, notes) = try findings(repo, "--today", "2026-06-01")
        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertEqual(list.map(\.1), [])
        XCTAssertEqual(
            notes,
            [
                "ratecards/acme.toml:9: discount acme discount 15% from 2027-01-01 was edited before it takes effect (percent 15 → 12): nothing recorded is priced with it yet (it starts after today, 2026-06-01, and after every event of the ledger)"
            ])
    }
}
