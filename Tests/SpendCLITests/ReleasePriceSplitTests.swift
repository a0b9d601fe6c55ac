import Foundation
import XCTest

@testable import SpendCore

/// Release diffs split every change into usage (at R1's prices) and price: a spike is a usage
/// spike pinned on code; a price change is a PRICE marker pinned on the rate-card commit (issue 12 §1).
final class ReleasePriceSplitTests: XCTestCase {
    let policy = """
        [features.summaries]
        paths = ["src/summarize/**"]

        [features.search]
        paths = ["src/search/**"]

        """

    /// Requests of one feature on one day: summaries on gpt-4o, search on gpt-4o-mini.
    func calls(_ prefix: String, _ name: String, day: String, count: Int, release: String, retries: Bool = false) -> [String] {
        var out: [String] = []
        for i in 0..<count {
            for attempt in 1...(retries ? 3 : 1) {
                out.append(
                    event(
                        ts: "\(day)T10:\(Timestamp.pad(Int64(i % 60), 2)):0\(attempt)Z", id: "\(prefix)-\(i)-\(attempt)",
                        model: name == "search" ? "gpt-4o-mini" : "gpt-4o", input: name == "search" ? 100_000 : 1000,
                        output: name == "search" ? 10_000 : 100,
                        tags: [("team", "t"), ("feature", name)], extra: "\"attempt\":\(attempt),\"release\":\"\(release)\""))
            }
        }
        return out
    }

    /// v1.3 (November) → a search refactor → [a card commit doubling gpt-4o-mini from 2026-12-01]
    /// → [a summaries retry loop] → v1.4 (December). Same traffic in both releases otherwise.
    func repo(priceChange: Bool, retries: Bool) throws -> (TestRepo, refactor: String, card: String?, retry: String?) {
        let repo = try makeRepo(cards: false)
        try repo.write("ratecards/openai.toml", diffCard())
        try repo.write("spend.toml", policy)
        try repo.write("src/summarize/stream.py", "v1\n")
        try repo.write("src/search/rank.py", "v1\n")
        try commitDated(repo, "Initial app", "2026-11-01T09:00:00Z")
        try datedGit(repo, "2026-11-01T09:00:00Z", ["tag", "v1.3"])
        try repo.write("src/search/rank.py", "v2\n")
        try commitDated(repo, "search: refactor ranker (no behaviour change)", "2026-11-20T09:00:00Z", author: "Ben")
        func head() throws -> String { try repo.git("rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines) }
        let refactor = try head()
        var card: String?
        if priceChange {
            try repo.append(
                "ratecards/openai.toml", "\n[[price]]\nmodel = \"gpt-4o-mini\"\neffective = 2026-12-01\ninput = 0.30\noutput = 1.20\n")
            try commitDated(repo, "ratecards: gpt-4o-mini doubles from 2026-12-01", "2026-11-25T09:00:00Z", author: "Finance Ops")
            card = try head()
        }
        var retry: String?
        if retries {
            try repo.write("src/summarize/stream.py", "retry\n")
            try commitDated(repo, "Retry on 429 before stream close", "2026-11-28T09:00:00Z", author: "Dana")
            retry = try head()
        }
        try repo.write("README.md", "docs\n")
        try commitDated(repo, "Docs", "2026-11-30T09:00:00Z", author: "Ana")
        try datedGit(repo, "2026-11-30T09:00:00Z", ["tag", "v1.4"])
        var lines: [String] = []
        for day in ["2026-11-10", "2026-11-11"] {
            lines += calls("a\(day)", "summaries", day: day, count: 10, release: "v1.3")
            lines += calls("b\(day)", "search", day: day, count: 10, release: "v1.3")
        }
        for day in ["2026-12-02", "2026-12-03"] {
            lines += calls("c\(day)", "summaries", day: day, count: 10, release: "v1.4", retries: retries)
            lines += calls("d\(day)", "search", day: day, count: 10, release: "v1.4")
        }
        try repo.writeLedger("ledger/2026/2026-11.jsonl", lines)
        return (repo, refactor, card, retry)
    }

    func json(_ r: RunResult) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
    }

    func row(_ json: [String: Any], _ feature: String) -> [String: Any]? {
        (json["rows"] as? [[String: Any]])?.first { $0["feature"] as? String == feature }
    }

    func testAPurePriceChangeIsAPriceMarkerOnTheCardCommitNotASpike() throws {
        let (repo, refactor, card, _) = try repo(priceChange: true, retries: false)
        let r = try repo.spend("diff", "--releases", "v1.3", "v1.4", "--format", "json")
        assertOK(r)
        let j = try json(r)
        XCTAssertEqual(j["prices_as_of"] as? String, "2026-11-11T23:59:59.999Z")
        let search = try XCTUnwrap(row(j, "search"))
        XCTAssertEqual(search["cost_per_request_pct"] as? String, "100", "the actual cost per request doubled")
        XCTAssertEqual(search["usage_cost_per_request_pct"] as? String, "0")
        XCTAssertEqual(search["price_pct"] as? String, "100")
        XCTAssertEqual(search["usage_delta"] as? String, "0")
        XCTAssertEqual(search["price_delta"] as? String, search["delta"] as? String)
        XCTAssertEqual(search["spike"] as? Bool, false)
        XCTAssertEqual(search["price_change"] as? Bool, true)
        XCTAssertEqual((j["pins"] as? [Any])?.count, 0, "no code commit is blamed")
        let pins = try XCTUnwrap(j["price_pins"] as? [[String: Any]])
        XCTAssertEqual(pins.count, 1)
        XCTAssertEqual(pins[0]["row"] as? [String], ["search"])
        let commits = try XCTUnwrap(pins[0]["commits"] as? [[String: Any]])
        XCTAssertEqual(commits.map { $0["commit"] as? String }, [card])
        XCTAssertEqual(commits.first?["author"] as? String, "Finance Ops")
        let changes = try XCTUnwrap(commits.first?["changes"] as? [[String: Any]])
        XCTAssertEqual(changes.map { "\($0["kind"]!) \($0["field"]!) \($0["old"]!) → \($0["new"]!)" }, ["added input 0.15 → 0.3", "added output 0.6 → 1.2"])

        let table = try repo.spend("diff", "--releases", "v1.3", "v1.4")
        assertOK(table)
        XCTAssertEqual(tableRow(table, "search")?.suffix(2), ["PRICE", "+100.0%"], table.stdout)
        XCTAssertFalse(table.stdout.contains("SPIKE\n"), table.stdout)
        XCTAssertTrue(
            table.stdout.contains(
                "search: PRICE +100.0% v1.3→v1.4; Δ +$0.42 = usage $0.00 + price +$0.42; usage cost/request 0.0%\n"
                    + "  rate-card commits that changed the prices these events used:\n"
                    + "  \(card!.prefix(7))  2026-11-25  Finance Ops  ratecards: gpt-4o-mini doubles from 2026-12-01\n"
                    + "    openai/gpt-4o-mini@2026-12-01 added: input 0.15 → 0.3, output 0.6 → 1.2\n"), table.stdout)
        XCTAssertFalse(table.stdout.contains(String(refactor.prefix(7))), "the refactor is not blamed:\n\(table.stdout)")
        // Not a usage spike: --check passes.
        assertOK(try repo.spend("diff", "--releases", "v1.3", "v1.4", "--check"))

        // spend releases: search's doubling moves the whole release.
        let list = try repo.spend("releases")
        assertOK(list)
        XCTAssertEqual(tableRow(list, "v1.4")?.suffix(3), ["0%", "PRICE", "+85.7%"], list.stdout)
        XCTAssertTrue(list.stdout.contains("v1.4: PRICE +85.7% v1.3→v1.4; usage cost/request 0.0%\n"), list.stdout)
        XCTAssertTrue(list.stdout.contains("  \(card!.prefix(7))  2026-11-25  Finance Ops  ratecards: gpt-4o-mini doubles from 2026-12-01\n"), list.stdout)
        assertOK(try repo.spend("releases", "--check"))
        let csv = csvRows(try repo.spend("releases", "--format", "csv").stdout)
        XCTAssertEqual(csv["v1.4"]?["compared_with"], "v1.3")
        XCTAssertEqual(csv["v1.4"]?["usage_cost_per_request_pct"], "0")
        XCTAssertEqual(csv["v1.4"]?["price_change"], "true")
        XCTAssertEqual(csv["v1.4"]?["spike"], "false")
    }

    func testAPureUsageChangeIsASpikeOnTheCodeCommit() throws {
        let (repo, _, _, retry) = try repo(priceChange: false, retries: true)
        let r = try repo.spend("diff", "--releases", "v1.3", "v1.4", "--format", "json")
        assertOK(r)
        let j = try json(r)
        let summaries = try XCTUnwrap(row(j, "summaries"))
        XCTAssertEqual(summaries["spike"] as? Bool, true)
        XCTAssertEqual(summaries["usage_cost_per_day_pct"] as? String, "200")
        XCTAssertEqual(summaries["price_pct"] as? String, "0")
        XCTAssertEqual(summaries["price_delta"] as? String, "0")
        XCTAssertEqual(summaries["price_change"] as? Bool, false)
        XCTAssertEqual((j["price_pins"] as? [Any])?.count, 0)
        let pins = try XCTUnwrap(j["pins"] as? [[String: Any]])
        XCTAssertEqual(pins.map { $0["row"] as? [String] }, [["summaries"]])
        XCTAssertEqual((pins[0]["commits"] as? [[String: Any]])?.map { $0["commit"] as? String }, [retry])

        let table = try repo.spend("diff", "--releases", "v1.3", "v1.4")
        XCTAssertTrue(
            table.stdout.contains("summaries: usage cost/day +200.0% v1.3→v1.4; usage cost/request 0.0%; Δ +$0.14 = usage +$0.14 + price $0.00; retries 0%→67%"),
            table.stdout)
        XCTAssertEqual(tableRow(table, "summaries")?.last, "SPIKE", table.stdout)
        XCTAssertFalse(table.stdout.contains("PRICE +"), table.stdout)
        // --check: exit 1 on a usage spike, with the same output.
        let check = try repo.spend("diff", "--releases", "v1.3", "v1.4", "--check")
        XCTAssertEqual(check.status, 1, check.stderr)
        XCTAssertEqual(check.stdout, table.stdout)
        // spend releases: the release as a whole rose 28.6% a day (no spike); split by feature, summaries spiked.
        XCTAssertEqual(try repo.spend("releases", "--check").status, 0)
        let byFeature = try repo.spend("releases", "--by", "feature", "--check")
        XCTAssertEqual(byFeature.status, 1, byFeature.stderr)
        XCTAssertEqual(byFeature.lines.filter { $0.hasSuffix("SPIKE") }.map { $0.split(separator: " ").first }, ["summaries"], byFeature.stdout)
        let misuse = try repo.spend("diff", "v1.3", "v1.4", "--check")
        assertRejected(misuse)
        XCTAssertTrue(misuse.stderr.contains("--check applies to release diffs: spend diff --releases R1 R2 --check"), misuse.stderr)
    }

    func testUsageAndPriceAtOnceArePinnedEachOnTheirOwnCommits() throws {
        let (repo, refactor, card, retry) = try repo(priceChange: true, retries: true)
        let j = try json(try repo.spend("diff", "--releases", "v1.3", "v1.4", "--format", "json"))
        let summaries = try XCTUnwrap(row(j, "summaries"))
        let search = try XCTUnwrap(row(j, "search"))
        XCTAssertEqual(summaries["spike"] as? Bool, true)
        XCTAssertEqual(summaries["price_change"] as? Bool, false)
        XCTAssertEqual(search["spike"] as? Bool, false)
        XCTAssertEqual(search["price_change"] as? Bool, true)
        let pins = try XCTUnwrap(j["pins"] as? [[String: Any]])
        XCTAssertEqual(pins.map { $0["row"] as? [String] }, [["summaries"]])
        XCTAssertEqual((pins[0]["commits"] as? [[String: Any]])?.map { $0["commit"] as? String }, [retry])
        let pricePins = try XCTUnwrap(j["price_pins"] as? [[String: Any]])
        XCTAssertEqual(pricePins.map { $0["row"] as? [String] }, [["search"]])
        XCTAssertEqual((pricePins[0]["commits"] as? [[String: Any]])?.map { $0["commit"] as? String }, [card])
        // The total: usage and price add up to the actual delta exactly.
        let total = try XCTUnwrap(j["total"] as? [String: Any])
        let delta = ExactDecimal(total["delta"] as! String)!
        let usage = ExactDecimal(total["usage_delta"] as! String)!
        let price = ExactDecimal(total["price_delta"] as! String)!
        XCTAssertEqual(usage + price, delta)
        XCTAssertFalse(price.isZero)

        let table = try repo.spend("diff", "--releases", "v1.3", "v1.4")
        let spikeSection = table.stdout.components(separatedBy: "summaries: usage").last!.components(separatedBy: "search: PRICE").first!
        XCTAssertTrue(spikeSection.contains("Retry on 429"), spikeSection)
        XCTAssertFalse(spikeSection.contains("ratecards:"), spikeSection)
        let priceSection = table.stdout.components(separatedBy: "search: PRICE").last!
        XCTAssertTrue(priceSection.contains("ratecards: gpt-4o-mini doubles"), priceSection)
        XCTAssertFalse(priceSection.contains("Retry on 429") || priceSection.contains(String(refactor.prefix(7))), priceSection)
        XCTAssertEqual(try repo.spend("diff", "--releases", "v1.3", "v1.4", "--check").status, 1)
    }

    /// A price point the working tree has but no commit made: named as uncommitted.
    func testAnUncommittedCardChangeIsNamed() throws {
        let (repo, _, _, _) = try repo(priceChange: false, retries: false)
        try repo.append("ratecards/openai.toml", "\n[[price]]\nmodel = \"gpt-4o-mini\"\neffective = 2026-12-01\ninput = 0.30\noutput = 1.20\n")
        let table = try repo.spend("diff", "--releases", "v1.3", "v1.4")
        assertOK(table)
        XCTAssertTrue(
            table.stdout.contains("  not in any commit (a working-tree change to the rate cards): openai/gpt-4o-mini@2026-12-01\n"), table.stdout)
    }

    /// v1 (November) → gpt-4o-mini doubles from 2026-12-01 → v2 (`v2Days`) → v3 (January): each month its own shard, no tags.
    func threeReleases(v2Days: [String]) throws -> TestRepo {
        let repo = try makeRepo(cards: false)
        try repo.write(
            "ratecards/openai.toml", diffCard() + "\n[[price]]\nmodel = \"gpt-4o-mini\"\neffective = 2026-12-01\ninput = 0.30\noutput = 1.20\n")
        try commitDated(repo, "Initial app", "2026-11-01T09:00:00Z")
        var shards: [String: [String]] = [:]
        for (release, days) in [("v1", ["2026-11-10", "2026-11-11"]), ("v2", v2Days), ("v3", ["2027-01-05"])] {
            for day in days {
                shards[String(day.prefix(7)), default: []] +=
                    calls("\(release)a\(day)", "summaries", day: day, count: 4, release: release)
                    + calls("\(release)b\(day)", "search", day: day, count: 4, release: release)
            }
        }
        for (month, lines) in shards { try repo.writeLedger("ledger/\(month.prefix(4))/\(month).jsonl", lines) }
        return repo
    }

    /// `spend releases` in process, with the summary engine it used (no disk cache: every shard read is parsed and priced).
    func releaseList(_ repo: TestRepo) throws -> (ReleaseList, SummaryEngine, CostRepository, ReportQuery) {
        let cost = try CostRepository(directory: repo.root.path)
        let query = try ReportQuery(by: ["feature"])
        let engine = SummaryEngine(cache: nil)
        let list = try ReleaseList.build(repository: cost, summaries: engine, pattern: nil, query: query, threshold: ExactDecimal(30))
        return (list, engine, cost, query)
    }

    /// Each compared release's split is the one `spend diff --releases PREVIOUS RELEASE` computes.
    func assertSplitsMatchReleaseDiffs(_ list: ReleaseList, _ cost: CostRepository, _ query: ReportQuery, file: StaticString = #filePath, line: UInt = #line) throws {
        let compared = list.rows.filter { $0.previous != nil }
        XCTAssertEqual(compared.map(\.name), ["v2", "v3"], file: file, line: line)
        for row in compared {
            let diff = try ReleaseDiffEngine(repository: cost, summaries: SummaryEngine(cache: nil)).diff(
                row.previous!, row.name, query: query, threshold: ExactDecimal(30), top: nil)
            XCTAssertEqual(row.split, diff.total.split, row.name, file: file, line: line)
        }
    }

    /// v2 is compared at v1's prices and v3 at v2's. Every release's days fall in one price epoch, so at its
    /// own epoch's constant prices a release costs what it did: v1 (at v1's prices) and v2 and v3 (at
    /// v2's) are not priced again; only December's shard is, at v1's prices. Before, v2's events were
    /// priced three times (own, v1's, v2's) and 7 shard summaries were parsed.
    func testReleasesPriceEachEventOncePerPriceSetItNeeds() throws {
        let repo = try threeReleases(v2Days: ["2026-12-02", "2026-12-03"])
        let (list, engine, cost, query) = try releaseList(repo)
        XCTAssertEqual(engine.parsedShards, 4, "3 shards at their own prices + December's at v1's prices")
        try assertSplitsMatchReleaseDiffs(list, cost, query)
        let v2 = try XCTUnwrap(list.rows.first { $0.name == "v2" })
        XCTAssertTrue(v2.split.priceMoved, "search doubled: a price effect from v1 to v2")
        XCTAssertFalse(try XCTUnwrap(list.rows.first { $0.name == "v3" }).split.priceMoved)
    }

    /// A release whose days span a price change (v2: 30 November and 2 December) is priced at its own
    /// constant prices for the next comparison: its November search calls cost double there.
    func testAReleaseSpanningAPriceChangeIsPricedAtItsOwnConstantPrices() throws {
        let repo = try threeReleases(v2Days: ["2026-11-30", "2026-12-02"])
        let (list, engine, cost, query) = try releaseList(repo)
        XCTAssertEqual(engine.parsedShards, 7, "3 at their own prices + v2's two shards at v1's prices and again at v2's")
        try assertSplitsMatchReleaseDiffs(list, cost, query)
        let v3 = try XCTUnwrap(list.rows.first { $0.name == "v3" })
        XCTAssertNotEqual(v3.split.constantA.cost, list.rows.first { $0.name == "v2" }!.side.usage.cost)
        XCTAssertEqual(v3.split.constantA.repriced.keys.sorted(), ["openai/gpt-4o-mini"])
    }
}
