import Foundation
import XCTest

/// Every rate-card rule of `spend lint`, end to end: one small card per test.
final class LintRateCardTests: XCTestCase {
    let card = "ratecards/acme.toml"

    /// A minimal valid card for provider "acme".
    static let base = """
        provider = "acme"
        currency = "USD"

        [aliases]
        "acme-large-2025" = "acme-large"

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

        """

    /// A repository with only the acme card (and no policy).
    func makeRepo(_ text: String = LintRateCardTests.base) throws -> LintSandbox {
        let repo = try LintSandbox(policy: nil, cards: false)
        try repo.write(card, text)
        return repo
    }

    /// `(line, rule, severity, message)` of each finding of `spend lint ARGS --format json`.
    func findings(_ repo: LintSandbox, _ args: String...) throws -> (LintRun, [(Int, String, String, String)]) {
        let run = try repo.spend(["lint"] + args + ["--format", "json"])
        let object = (try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8))) as? [String: Any] ?? [:]
        let list = ((object["findings"] as? [[String: Any]]) ?? []).map {
            ($0["line"] as? Int ?? 0, $0["rule"] as? String ?? "", $0["severity"] as? String ?? "", $0["message"] as? String ?? "")
        }
        return (run, list)
    }

    func testValidCardIsClean() throws {
        let repo = try makeRepo()
        let run = try repo.lint()
        XCTAssertEqual(run.status, 0, run.output)
    }

    func testInvalidTOML() throws {
        let repo = try makeRepo(Self.base.replacingOccurrences(of: "input = 2.00", with: "input = = 2.00"))
        let (run, list) = try findings(repo)
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(list.first?.0, 10)
        XCTAssertEqual(list.first?.1, "toml")
        XCTAssertTrue(try repo.lint().stdout.contains("note: a rate card has errors: events were not checked for prices"))
    }

    func testParserRule() throws {
        let repo = try makeRepo(Self.base.replacingOccurrences(of: "output = 8.00", with: "output = 8.00\nouput_cached = 1"))
        let (run, list) = try findings(repo)
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(list.map(\.1), ["ratecard"])
        XCTAssertTrue(list[0].3.contains("unknown key \"ouput_cached\" in [[price]]"), list[0].3)
    }

    func testDuplicatePoint() throws {
        let repo = try makeRepo(Self.base + "\n[[price]]\nmodel = \"acme-small\"\neffective = 2025-01-01\ninput = 0.2\noutput = 0.8\n")
        let (run, list) = try findings(repo)
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(list.map(\.1), ["ratecard-duplicate"])
        XCTAssertEqual(list[0].0, 19)
        XCTAssertTrue(list[0].3.contains("two price points for \"acme-small\" effective 2025-01-01 (the other is at line 13)"), list[0].3)
    }

    func testNegativePrice() throws {
        let repo = try makeRepo(Self.base.replacingOccurrences(of: "output = 0.40", with: "output = -0.40"))
        let (_, list) = try findings(repo)
        XCTAssertEqual(list.map(\.1), ["ratecard-negative"])
        XCTAssertEqual(list[0].0, 17)
    }

    func testUnorderedTiers() throws {
        let tiers = "output = 8.00\ntiers = [ { above_input_tokens = 200000, input = 4, output = 16 }, { above_input_tokens = 100000, input = 3, output = 12 } ]"
        let repo = try makeRepo(Self.base.replacingOccurrences(of: "output = 8.00", with: tiers))
        let (_, list) = try findings(repo)
        XCTAssertEqual(list.map(\.1), ["ratecard-tiers"])
        XCTAssertTrue(list[0].3.contains("increasing order of above_input_tokens (100000 follows 200000)"), list[0].3)
    }

    func testAliasPointingNowhereAndAliasLoop() throws {
        let nowhere = Self.base.replacingOccurrences(of: "\"acme-large-2025\" = \"acme-large\"", with: "\"acme-large-2025\" = \"acme-huge\"")
        var repo = try makeRepo(nowhere)
        var (run, list) = try findings(repo)
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(list.map(\.1), ["ratecard-alias"])
        XCTAssertEqual(list[0].0, 5)
        XCTAssertTrue(list[0].3.contains("alias \"acme-large-2025\" → \"acme-huge\" points nowhere"), list[0].3)

        let loop = Self.base.replacingOccurrences(
            of: "\"acme-large-2025\" = \"acme-large\"", with: "\"acme-a\" = \"acme-b\"\n\"acme-b\" = \"acme-a\"")
        repo = try makeRepo(loop)
        (run, list) = try findings(repo)
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(list.map(\.1), ["ratecard-alias", "ratecard-alias"])
        XCTAssertTrue(list[0].3.contains("loop"), list[0].3)
    }

    /// Alias lines are found even below a comment that mentions `[[price]]`
    /// (the bundled cards' headers do).
    func testAliasLinesBelowCommentsMentioningPriceBlocks() throws {
        let text = "# A price change is a new [[price]] block.\n" + Self.base.replacingOccurrences(of: "= \"acme-large\"\n\n", with: "= \"acme-huge\"\n\n")
        let repo = try makeRepo(text)
        let (_, list) = try findings(repo)
        XCTAssertEqual(list.map(\.1), ["ratecard-alias"])
        XCTAssertEqual(list.first?.0, 6)
    }

    func testOverlappingGlobAliases() throws {
        // Two globs for different models that both claim "acme-large-mini-1".
        let globs = Self.base.replacingOccurrences(
            of: "\"acme-large-2025\" = \"acme-large\"",
            with: "\"acme-large-*\" = \"acme-large\"\n\"acme-*-mini-?\" = \"acme-small\"")
        var repo = try makeRepo(globs)
        var (run, list) = try findings(repo)
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(list.map(\.1), ["ratecard-alias-overlap"])
        XCTAssertEqual(list[0].0, 6)
        XCTAssertTrue(
            list[0].3.contains("alias globs \"acme-*-mini-?\" (→ acme-small) and \"acme-large-*\" (→ acme-large, line 5) both claim names such as \""),
            list[0].3)

        // Globs for the same model may overlap; disjoint globs are fine.
        let same = Self.base.replacingOccurrences(
            of: "\"acme-large-2025\" = \"acme-large\"", with: "\"acme-large-*\" = \"acme-large\"\n\"acme-large-2*\" = \"acme-large\"\n\"acme-small-*\" = \"acme-small\"")
        repo = try makeRepo(same)
        XCTAssertEqual(try repo.lint().status, 0)

        // A glob that matches a priced model, or an exact alias of another model.
        let greedy = Self.base.replacingOccurrences(
            of: "\"acme-large-2025\" = \"acme-large\"", with: "\"acme-s-2025\" = \"acme-small\"\n\"acme-*\" = \"acme-large\"")
        repo = try makeRepo(greedy)
        (run, list) = try findings(repo)
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(list.map(\.1), ["ratecard-alias-overlap", "ratecard-alias-overlap"])
        XCTAssertTrue(list.contains { $0.3.contains("also matches the priced model \"acme-small\"") }, "\(list)")
        XCTAssertTrue(list.contains { $0.3.contains("also matches the alias \"acme-s-2025\" (→ acme-small, line 5)") }, "\(list)")
    }

    func testBundledCardsHaveNoOverlaps() throws {
        let repo = try LintSandbox(policy: nil)
        let run = try repo.lint()
        XCTAssertEqual(run.status, 0, run.output)
    }

    func testEditingAnExistingPointIsARewrite() throws {
        let repo = try makeRepo()
        XCTAssertEqual(try repo.commitAll("card", verify: false).status, 0)
        try repo.replace(in: card, "input = 2.00", with: "input = 2.50")
        try repo.git("add", "-A")
        let (run, list) = try findings(repo, "--staged", "--today", "2026-06-01")
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(list.map(\.1), ["ratecard-rewrite"])
        XCTAssertEqual(list[0].0, 7)
        XCTAssertTrue(
            list[0].3.contains("price point acme/acme-large@2025-01-01 was edited in place (input 2 → 2.5): history is restated — add a new point instead"),
            list[0].3)
        // Writing the same value differently (2.00 → "2.0") is not a change.
        try repo.replace(in: card, "input = 2.50", with: "input = \"2.0\"")
        XCTAssertEqual(try repo.lint("--all", "--today", "2026-06-01").status, 0)
    }

    func testDeletingAPointOrTheCardIsARewrite() throws {
        let repo = try makeRepo()
        XCTAssertEqual(try repo.commitAll("card", verify: false).status, 0)
        try repo.write(card, Self.base.components(separatedBy: "[[price]]\nmodel = \"acme-small\"")[0])
        var (run, list) = try findings(repo, "--all")
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(list.map(\.1), ["ratecard-rewrite"])
        XCTAssertTrue(list[0].3.contains("price point acme/acme-small@2025-01-01 was deleted (it was at ratecards/acme.toml:13 in HEAD)"), list[0].3)

        try FileManager.default.removeItem(at: repo.url(card))
        try repo.git("add", "-A")
        (run, list) = try findings(repo, "--staged")
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(list.map(\.1), ["ratecard-rewrite"])
        XCTAssertTrue(list[0].3.contains("rate card of \"acme\" was deleted (2 price points in HEAD)"), list[0].3)
    }

    func testNewPointsAndBackdating() throws {
        let repo = try makeRepo()
        XCTAssertEqual(try repo.commitAll("card", verify: false).status, 0)
        let change = "\n[[price]]\nmodel = \"acme-large\"\neffective = 2026-05-20\ninput = 1.50\noutput = 6.00\n"
        try repo.append(card, change)
        try repo.git("add", "-A")
        // Effective in 5 days, or 5 days ago: fine.
        XCTAssertEqual(try repo.lint("--staged", "--today", "2026-05-15", "--strict").status, 0)
        XCTAssertEqual(try repo.lint("--staged", "--today", "2026-05-25", "--strict").status, 0)
        // 12 days before today: a warning (exit 0, or 1 with --strict).
        let (run, list) = try findings(repo, "--staged", "--today", "2026-06-01")
        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertEqual(list.map(\.1), ["ratecard-backdated"])
        XCTAssertEqual(list[0].2, "warning")
        XCTAssertEqual(list[0].0, 19)
        XCTAssertTrue(list[0].3.contains("new price point acme/acme-large@2026-05-20 takes effect 12 days before today (2026-06-01)"), list[0].3)
        XCTAssertEqual(try repo.lint("--staged", "--today", "2026-06-01", "--strict").status, 1)
        // In CI, "today" is the commit's date.
        let commit = try lintExec(
            "/usr/bin/git", ["commit", "-q", "--no-verify", "-m", "price cut"], in: repo.top,
            extra: ["GIT_COMMITTER_DATE": "2026-05-21T00:00:00Z", "GIT_AUTHOR_DATE": "2026-05-21T00:00:00Z"])
        XCTAssertEqual(commit.status, 0, commit.output)
        XCTAssertEqual(try repo.lint("--rev", "HEAD", "--strict").status, 0)
    }

    /// A `[[discount]]` added with a start in the past restates recorded
    /// events like a backdated point: the same warning, naming the discount.
    /// One with the `effective` of an existing discount (other models) is new too.
    func testNewDiscountsAndBackdating() throws {
        let discounted = Self.base + "\n[[discount]]\neffective = 2025-06-01\nuntil = 2026-05-20\npercent = 10\nmodels = [\"acme-large\"]\n"
        let repo = try makeRepo(discounted)
        XCTAssertEqual(try repo.commitAll("card", verify: false).status, 0)
        try repo.append(card, "\n[[discount]]\neffective = 2026-05-20\npercent = 10\nmodels = [\"acme-large\"]\n")
        try repo.git("add", "-A")
        // Effective in 5 days, or 5 days ago: fine.
        XCTAssertEqual(try repo.lint("--staged", "--today", "2026-05-15", "--strict").status, 0)
        XCTAssertEqual(try repo.lint("--staged", "--today", "2026-05-25", "--strict").status, 0)
        try repo.append(card, "\n[[discount]]\neffective = 2025-06-01\npercent = 5\nmodels = [\"acme-small\"]\n")
        try repo.git("add", "-A")
        let (run, list) = try findings(repo, "--staged", "--today", "2026-06-01")
        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertEqual(list.map(\.1), ["ratecard-backdated", "ratecard-backdated"])
        XCTAssertEqual(list.map(\.2), ["warning", "warning"])
        XCTAssertEqual(list.map(\.0), [25, 30])
        XCTAssertEqual(
            list.map(\.3),
            [
                "new discount acme discount 10% from 2026-05-20 takes effect 12 days before today (2026-06-01): events already recorded since 2026-05-20 will price differently than when they were appended",
                "new discount acme discount 5% from 2025-06-01 takes effect 365 days before today (2026-06-01): events already recorded since 2025-06-01 will price differently than when they were appended",
            ])
        XCTAssertEqual(try repo.lint("--staged", "--today", "2026-06-01", "--strict").status, 1)
    }

    func testNewCardIsNotBackdated() throws {
        let repo = try LintSandbox(policy: nil, cards: false)
        try repo.write("README", "x\n")
        XCTAssertEqual(try repo.commitAll("empty", verify: false).status, 0)
        try repo.write(card, Self.base)
        try repo.git("add", "-A")
        XCTAssertEqual(try repo.lint("--staged", "--strict").status, 0, "a new card brings its history")
    }

    func testTwoCardsForOneProvider() throws {
        let repo = try makeRepo()
        try repo.write("ratecards/acme2.toml", "provider = \"acme\"\n")
        let (run, list) = try findings(repo)
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(list.map(\.1), ["ratecard"])
        XCTAssertTrue(list[0].3.contains("provider \"acme\" is also defined in ratecards/acme.toml"), list[0].3)
    }
}
