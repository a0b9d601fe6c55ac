import Foundation
import XCTest

@testable import SpendCore

final class ReleasesTests: XCTestCase {
    let policy = """
        [features.summaries]
        paths = ["src/summarize/**"]

        [features.search]
        paths = ["src/search/**"]

        """

    func feature(_ prefix: String, _ name: String, day: String, count: Int, release: String, retries: Bool = false) -> [String] {
        var out: [String] = []
        for i in 0..<count {
            for attempt in 1...(retries ? 3 : 1) {
                out.append(
                    event(
                        ts: "\(day)T10:\(Timestamp.pad(Int64(i % 60), 2)):0\(attempt)Z", id: "\(prefix)-\(i)-\(attempt)", input: 1000, output: 100,
                        tags: [("team", "t"), ("feature", name)], extra: "\"attempt\":\(attempt),\"release\":\"\(release)\""))
            }
        }
        return out
    }

    /// v1 (2026-01-01) → search commit → summaries commit → docs commit = v2 (2026-01-12); summaries retries in v2.
    func releaseRepo(mapping: Bool = true) throws -> (TestRepo, [String: String]) {
        let repo = try makeRepo(cards: false)
        try repo.write("ratecards/openai.toml", diffCard())
        if mapping { try repo.write("spend.toml", policy) }
        try repo.write("src/summarize/stream.py", "v1\n")
        try repo.write("src/search/query.py", "v1\n")
        try repo.write("src/search/rank.py", "v1\n")
        try commitDated(repo, "Initial app", "2026-01-01T09:00:00Z")
        try datedGit(repo, "2026-01-01T09:00:00Z", ["tag", "v1"])
        try repo.write("src/search/query.py", "v2\n")
        try repo.write("src/search/rank.py", "v2\n")
        try commitDated(repo, "Search: expand queries", "2026-01-10T09:00:00Z", author: "Ben")
        try repo.write("src/summarize/stream.py", "retry\n")
        try commitDated(repo, "Retry on 429 before stream close", "2026-01-11T09:00:00Z", author: "Dana")
        try repo.write("README.md", "docs\n")
        try commitDated(repo, "Docs", "2026-01-12T09:00:00Z", author: "Ana")
        try datedGit(repo, "2026-01-12T09:00:00Z", ["tag", "v2"])
        var ids: [String: String] = [:]
        for (name, rev) in [("search", "HEAD~2"), ("summaries", "HEAD~1"), ("docs", "HEAD")] {
            ids[name] = try repo.git("rev-parse", rev).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        var lines: [String] = []
        for day in ["2026-01-02", "2026-01-03"] {
            lines += feature("a\(day)", "summaries", day: day, count: 10, release: "v1")
            lines += feature("b\(day)", "search", day: day, count: 10, release: "v1")
        }
        for day in ["2026-01-13", "2026-01-14"] {
            lines += feature("c\(day)", "summaries", day: day, count: 10, release: "v2", retries: true)
            lines += feature("d\(day)", "search", day: day, count: 10, release: "v2")
        }
        try repo.writeLedger("ledger/2026/2026-01.jsonl", lines)
        return (repo, ids)
    }

    func testSpikeIsPinnedOnTheCommitThatTouchedTheFeaturePaths() throws {
        let (repo, ids) = try releaseRepo()
        let r = try repo.spend("diff", "--releases", "v1", "v2", "--format", "json")
        assertOK(r)
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let rows = json["rows"] as! [[String: Any]]
        let summaries = rows.first { $0["feature"] as? String == "summaries" }!
        let search = rows.first { $0["feature"] as? String == "search" }!
        XCTAssertEqual(summaries["spike"] as? Bool, true)
        XCTAssertEqual(summaries["cost_per_day_pct"] as? String, "200")
        XCTAssertEqual(summaries["retry_share_b"] as? String, "67")
        XCTAssertEqual(search["spike"] as? Bool, false)
        let pins = json["pins"] as! [[String: Any]]
        XCTAssertEqual(pins.count, 1)
        XCTAssertEqual(pins[0]["row"] as? [String], ["summaries"])
        let commits = pins[0]["commits"] as! [[String: Any]]
        XCTAssertEqual(commits.map { $0["commit"] as? String }, [ids["summaries"]], "only the commit touching src/summarize/** is pinned")
        XCTAssertEqual(commits.first?["files"] as? [String], ["src/summarize/stream.py"])
        XCTAssertEqual(commits.first?["author"] as? String, "Dana")
        XCTAssertEqual(commits.first?["date"] as? String, "2026-01-11")

        let table = try repo.spend("diff", "--releases", "v1..v2")
        assertOK(table)
        XCTAssertTrue(table.stdout.contains("summaries: usage cost/day +"), table.stdout)
        XCTAssertTrue(table.stdout.contains("retries 0%→67%"), table.stdout)
        XCTAssertTrue(table.stdout.contains("commits touching src/summarize/**"), table.stdout)
        XCTAssertTrue(table.stdout.contains(String(ids["summaries"]!.prefix(7)) + "  2026-01-11  Dana  Retry on 429 before stream close"), table.stdout)
        XCTAssertFalse(table.stdout.contains("Search: expand queries"), "a commit touching another feature's paths is not pinned:\n\(table.stdout)")

        let csv = try repo.spend("diff", "--releases", "v1", "v2", "--format", "csv")
        XCTAssertEqual(
            csv.lines.first,
            "feature,requests_a,requests_b,cost_a,cost_b,delta,delta_pct,cost_per_request_a,cost_per_request_b,cost_per_request_pct,cost_per_day_a,cost_per_day_b,cost_per_day_pct,retry_share_a,retry_share_b,spike,usage_cost_a,usage_cost_b,usage_delta,price_delta,usage_cost_per_request_pct,usage_cost_per_day_pct,price_pct,price_change"
        )
    }

    func testWithoutMappingEveryCommitIsListedByFilesTouched() throws {
        let (repo, ids) = try releaseRepo(mapping: false)
        let r = try repo.spend("diff", "--releases", "v1", "v2", "--format", "json")
        assertOK(r)
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let pins = json["pins"] as! [[String: Any]]
        XCTAssertEqual(pins.first?["mapped"] as? Bool, false)
        let commits = (pins.first?["commits"] as! [[String: Any]]).map { $0["commit"] as? String }
        // search touched 2 files; summaries and docs 1 each (newest first among equals).
        XCTAssertEqual(commits, [ids["search"], ids["docs"], ids["summaries"]])
        let table = try repo.spend("diff", "--releases", "v1", "v2")
        XCTAssertTrue(table.stdout.contains("a mapping would sharpen this"), table.stdout)
    }

    func testEventsArePlacedByReleaseThenCommitAncestryThenTagDate() throws {
        let (repo, ids) = try releaseRepo()
        func e(_ id: String, _ ts: String, _ requests: Int, _ extra: String) -> String {
            event(ts: ts, id: id, input: 10, output: 10, tags: [("team", "t"), ("feature", "x")], extra: "\"requests\":\(requests)" + extra)
        }
        try repo.writeLedger(
            "ledger/2026/2026-01.jsonl",
            [
                e("e1", "2026-01-20T00:00:00Z", 1, ",\"release\":\"v1\""),  // the field wins over dates
                e("e2", "2026-01-20T00:00:00Z", 2, ",\"commit\":\"\(ids["search"]!)\""),  // nearest tagged ancestor: v1
                e("e3", "2026-01-05T00:00:00Z", 4, ",\"commit\":\"\(ids["docs"]!)\""),  // tagged v2, though dated in v1's time
                e("e4", "2026-01-05T00:00:00Z", 8, ""),  // between the tags' dates: v1
                e("e5", "2026-01-15T00:00:00Z", 16, ""),  // after v2's date
                e("e6", "2025-12-30T00:00:00Z", 32, ""),  // before the first tag
                e("e7", "2026-01-13T00:00:00Z", 64, ",\"commit\":\"0123456789abcdef0123456789abcdef01234567\""),  // unknown commit: by date
            ])
        let r = try repo.spend("releases", "--format", "csv")
        assertOK(r)
        XCTAssertEqual(
            r.lines.first,
            "release,date,requests,cost,days,cost_per_request,cost_per_day,cost_per_request_pct,cost_per_day_pct,retry_share,spike,compared_with,usage_cost_per_request_pct,usage_cost_per_day_pct,price_pct,price_change,unpriced_events"
        )
        let rows = csvRows(r.stdout)
        XCTAssertEqual(rows["v1"]?["requests"], "11")
        XCTAssertEqual(rows["v2"]?["requests"], "84")
        XCTAssertEqual(rows["(no release)"]?["requests"], "32")
        XCTAssertEqual(rows["v1"]?["date"], "2026-01-01")
        XCTAssertEqual(Array(r.lines.dropFirst().map { $0.split(separator: ",").first.map(String.init) ?? "" }), ["v1", "v2", "(no release)"])
        // Release names that events carry without a tag are listed too, in version order, compared with the previous one.
        try repo.append("ledger/2026/2026-01.jsonl", e("e8", "2026-01-16T00:00:00Z", 5, ",\"release\":\"v1.5\"") + "\n")
        let more = try repo.spend("releases", "--format", "csv")
        XCTAssertEqual(Array(more.lines.dropFirst().map { $0.split(separator: ",").first.map(String.init) ?? "" }), ["v1", "v1.5", "v2", "(no release)"])
        XCTAssertEqual(csvRows(more.stdout)["v1.5"]?["date"], "")
        XCTAssertNotEqual(csvRows(more.stdout)["v1.5"]?["cost_per_request_pct"], "")
    }

    func testReleasesMarksSpikesAndFiltersTags() throws {
        let (repo, _) = try releaseRepo()
        let r = try repo.spend("releases")
        assertOK(r)
        XCTAssertEqual(tableRow(r, "v2")?.last, "SPIKE", r.stdout)
        XCTAssertNotEqual(tableRow(r, "v1")?.last, "SPIKE")
        let only = try repo.spend("releases", "--tags", "v2", "--format", "csv")
        assertOK(only)
        // Only v2 matches: events stamped with v1 are not listed.
        XCTAssertEqual(only.lines.dropFirst().map { String($0.prefix(3)) }, ["v2,"])
        let none = try repo.spend("releases", "--tags", "x*")
        assertRejected(none)
        XCTAssertEqual(none.stderr, "spend: error: no tag or event release matches \"x*\"\n")
        let threshold = try repo.spend("releases", "--threshold=-5")
        assertRejected(threshold)
        XCTAssertTrue(threshold.stderr.contains("--threshold expects a non-negative percentage"), threshold.stderr)
        let high = try repo.spend("releases", "--threshold", "1000")
        XCTAssertFalse(high.lines.contains { $0.hasSuffix("SPIKE") }, high.stdout)
    }

    func testReleasesNamedOnlyByEventsAreComparedButNotPinned() throws {
        let (repo, _) = try releaseRepo()
        try repo.git("tag", "-d", "v1", "v2")
        let r = try repo.spend("diff", "--releases", "v1", "v2", "--format", "csv")
        assertOK(r)
        XCTAssertEqual(csvRows(r.stdout)["summaries"]?["spike"], "true")
        let table = try repo.spend("diff", "--releases", "v1", "v2")
        assertOK(table)
        XCTAssertTrue(table.stdout.contains("v1 (no tag in this repository) → v2 (no tag in this repository)"), table.stdout)
        XCTAssertTrue(table.stdout.contains("spikes: summaries; v1 and v2 have no tag in this repository"), table.stdout)
        XCTAssertFalse(table.stdout.contains("Retry on 429"), table.stdout)
        let unknown = try repo.spend("diff", "--releases", "v1", "v9")
        assertRejected(unknown)
        XCTAssertTrue(unknown.stderr.contains("no tag or event release named \"v9\""), unknown.stderr)
    }

    func testNoTagsAndNoEventReleasesIsAUsageError() throws {
        let repo = try makeRepo(cards: false)
        try repo.write("ratecards/openai.toml", diffCard())
        try commitDated(repo, "one", "2026-01-01T00:00:00Z")
        let r = try repo.spend("releases")
        assertRejected(r)
        XCTAssertEqual(
            r.stderr,
            "spend: error: no releases: the repository has no tags and no event carries a release (tag releases, e.g. git tag v1.0, or stamp events with their release)\n")
    }

    /// A cost repository without tags (the code lives elsewhere): releases come from the events'
    /// release names, by version where they parse (v1.2 < v1.10), else by first day (never by spelling).
    func testReleasesWithoutTagsUseEventNamesInVersionThenTimeOrder() throws {
        let (repo, _) = try releaseRepo()
        try repo.git("tag", "-d", "v1", "v2")
        let r = try repo.spend("releases", "--format", "csv")
        assertOK(r)
        XCTAssertEqual(r.lines.dropFirst().map { String($0.split(separator: ",").first ?? "") }, ["v1", "v2"])
        XCTAssertEqual(csvRows(r.stdout)["v2"]?["spike"], "true")
        XCTAssertEqual(csvRows(r.stdout)["v2"]?["date"], "")

        func e(_ id: String, _ day: String, _ release: String, requests: Int = 1) -> String {
            event(
                ts: "\(day)T10:00:00Z", id: id, input: 1000, output: 100, tags: [("team", "t"), ("feature", "x")],
                extra: "\"release\":\"\(release)\",\"requests\":\(requests)")
        }
        // "before" ran first, "after" later (lexically "after" < "before"); after makes 3× the calls a day.
        try repo.writeLedger(
            "ledger/2026/2026-01.jsonl",
            [e("a", "2026-01-02", "before"), e("b", "2026-01-09", "after"), e("c", "2026-01-09", "after"), e("d", "2026-01-09", "after")])
        let named = try repo.spend("releases", "--format", "csv")
        assertOK(named)
        XCTAssertEqual(named.lines.dropFirst().map { String($0.split(separator: ",").first ?? "") }, ["before", "after"])
        XCTAssertEqual(csvRows(named.stdout)["after"]?["compared_with"], "before")
        XCTAssertEqual(csvRows(named.stdout)["before"]?["spike"], "false")
        XCTAssertEqual(csvRows(named.stdout)["after"]?["spike"], "true")

        // Versions: v1.2 before v1.10, though v1.10's events come first.
        try repo.writeLedger(
            "ledger/2026/2026-01.jsonl", [e("a", "2026-01-02", "v1.10"), e("b", "2026-01-05", "v1.2"), e("c", "2026-01-09", "v1.9")])
        let versions = try repo.spend("releases", "--format", "csv")
        XCTAssertEqual(versions.lines.dropFirst().map { String($0.split(separator: ",").first ?? "") }, ["v1.2", "v1.9", "v1.10"])
    }

    func testReleaseOrder() {
        XCTAssertTrue(ReleaseOrder.isVersion("v1.2"))
        XCTAssertTrue(ReleaseOrder.isVersion("1.10.0"))
        XCTAssertTrue(ReleaseOrder.isVersion("v2.0-rc1"))
        XCTAssertFalse(ReleaseOrder.isVersion("after"))
        XCTAssertFalse(ReleaseOrder.isVersion("v1..2"))
        XCTAssertFalse(ReleaseOrder.isVersion("release-jan"))
        let days: [String: Set<String>] = ["after": ["2026-01-09"], "before": ["2026-01-02"], "v1.10": ["2026-01-03"], "v1.2": ["2026-01-05"]]
        XCTAssertEqual(ReleaseOrder.sorted(["after", "before", "v1.10", "v1.2"], tag: { _ in nil }, days: days), ["before", "v1.2", "v1.10", "after"])
    }

    /// `spend releases --by NAMES` breaks each release down like report's --by; CSV/JSON carry one row per group.
    func testReleasesByBreaksEachReleaseDown() throws {
        let (repo, _) = try releaseRepo()
        let csv = try repo.spend("releases", "--by", "feature", "--format", "csv")
        assertOK(csv)
        XCTAssertEqual(csv.lines.first?.hasPrefix("release,date,feature,requests,cost,"), true, csv.stdout)
        let rows = csv.lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).prefix(3).joined(separator: ",") }
        XCTAssertEqual(rows, ["v1,2026-01-01,search", "v1,2026-01-01,summaries", "v2,2026-01-12,summaries", "v2,2026-01-12,search"])
        let summaries = csv.lines.first { $0.hasPrefix("v2,2026-01-12,summaries,") } ?? ""
        XCTAssertTrue(summaries.hasSuffix(",true,v1,0,200,0,false,0"), summaries)
        let table = try repo.spend("releases", "--by", "feature")
        assertOK(table)
        XCTAssertEqual(table.lines.first?.split(separator: " ").prefix(3), ["release", "date", "feature"])
        XCTAssertEqual(table.lines.filter { $0.hasSuffix("SPIKE") }.map { $0.split(separator: " ").first }, ["v2", "summaries"], table.stdout)
        let json = try repo.spend("releases", "--by", "feature", "--format", "json")
        let parsed = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        XCTAssertEqual((parsed["rows"] as? [[String: Any]])?.compactMap { $0["feature"] as? String }, ["search", "summaries", "summaries", "search"])
    }

    /// An event of v2 at a rate v1's prices lack (gpt-4o's priority tier, added from 2026-12-01) keeps its own
    /// cost as usage: `spend releases` says so on the row, in the release diff's words, and CSV/JSON count it.
    func testReleasesNoteEventsWithNoPriceAtThePreviousReleasesPrices() throws {
        let repo = try makeRepo(cards: false)
        try repo.write(
            "ratecards/openai.toml",
            diffCard() + """

                [[price]]
                model = "gpt-4o"
                effective = 2026-12-01
                input = 2.50
                output = 10.00
                [price.service_tiers.priority]
                input = 5.00
                output = 20.00

                """)
        try commitDated(repo, "Initial app", "2026-11-01T09:00:00Z")
        func e(_ id: String, _ day: String, _ release: String, tier: String? = nil) -> String {
            event(
                ts: "\(day)T10:00:00Z", id: id, input: 1000, output: 100, tags: [("team", "t"), ("feature", "x")],
                extra: "\"release\":\"\(release)\"" + (tier.map { ",\"service_tier\":\"\($0)\"" } ?? ""))
        }
        try repo.writeLedger(
            "ledger/2026/2026-12.jsonl",
            [e("a", "2026-11-10", "v1"), e("b", "2026-12-02", "v2"), e("c", "2026-12-02", "v2", tier: "priority"), e("d", "2026-12-09", "v3")])
        let note = "1 events have no price at v1's prices (a model or rate added later): their own cost counts as usage\n"
        let diff = try repo.spend("diff", "--releases", "v1", "v2")
        XCTAssertTrue(diff.stdout.contains("\n" + note), diff.stdout)
        let table = try repo.spend("releases")
        assertOK(table)
        XCTAssertTrue(table.stdout.contains("\nv2: " + note), table.stdout)
        XCTAssertFalse(table.stdout.contains("v3: "), "v3 at v2's prices prices every event:\n\(table.stdout)")
        let byFeature = try repo.spend("releases", "--by", "feature")
        XCTAssertTrue(byFeature.stdout.contains("\nv2: " + note + "v2 x: " + note), byFeature.stdout)
        let csv = csvRows(try repo.spend("releases", "--format", "csv").stdout)
        XCTAssertEqual(["v1", "v2", "v3"].map { csv[$0]?["unpriced_events"] }, ["0", "1", "0"])
        let json = try JSONSerialization.jsonObject(with: Data(try repo.spend("releases", "--format", "json").stdout.utf8)) as! [String: Any]
        XCTAssertEqual((json["rows"] as? [[String: Any]])?.map { $0["unpriced_events"] as? Int }, [0, 1, 0])
    }
}
