import Foundation
import SpendCLI
import SpendCore
import XCTest

/// Issue 12 §5 and §7: code and costs in different repositories, and the
/// answers spend gives to typos and odd input.
final class AppendCodeDirectoryTests: XCTestCase {
    /// `spend -C COSTS append` and `spend append -C COSTS` both stamp the
    /// code the command was started from, not the cost repository's HEAD.
    func testBothDashCFormsStampTheCodeTheCommandStartedFrom() throws {
        let costs = try makeRepo()
        try costs.commitAll("costs")
        try costs.git("tag", "costs-v9")
        let costsHead = try costs.git("rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
        let code = try makeRepo(cards: false)
        try code.write("app.py", "print('v1')\n")
        try code.commitAll("v1")
        try code.git("tag", "v1.2.0")
        let head = try code.git("rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
        let event = ["--provider", "openai", "--model", "gpt-4o", "--input", "1", "--output", "1", "--ts", "2026-11-01T00:00:00Z", "-q"]
        let clean = ["SPEND_COMMIT": "", "SPEND_RELEASE": "", "SPEND_TAGS": ""]

        assertOK(try runSpend("spend", ["-C", costs.root.path, "append", "--id", "global"] + event, in: code.root, environment: clean))
        assertOK(try runSpend("spend", ["append", "-C", costs.root.path, "--id", "verb"] + event, in: code.root, environment: clean))
        // A relative global -C is taken from the start directory too.
        let relative = "../" + costs.gitRoot.lastPathComponent
        assertOK(try runSpend("spend", ["-C", relative, "append", "--id", "relative"] + event, in: code.gitRoot, environment: clean))
        // The environment still overrides.
        assertOK(
            try runSpend(
                "spend", ["-C", costs.root.path, "append", "--id", "env"] + event, in: code.root,
                environment: ["SPEND_COMMIT": "deadbeef", "SPEND_RELEASE": "v9"]))

        let lines = try costs.read("ledger/2026/2026-11.jsonl").split(separator: "\n").map { try LedgerEvent.parse(line: String($0)) }
        let byId = Dictionary(uniqueKeysWithValues: lines.map { ($0.id, $0) })
        for id in ["global", "verb", "relative"] {
            XCTAssertEqual(byId[id]?.commit, head, id)
            XCTAssertNotEqual(byId[id]?.commit, costsHead, id)
            XCTAssertEqual(byId[id]?.release, "v1.2.0", id)
        }
        XCTAssertEqual(byId["env"]?.commit, "deadbeef")
        XCTAssertEqual(byId["env"]?.release, "v9")
    }
}

/// `spend-lint --help` says `spend-lint`, not `lint`; `spend lint --help` says `spend lint`.
final class VerbExecutableNameTests: XCTestCase {
    func testEveryVerbExecutableNamesItselfInItsUsage() throws {
        let dir = try makeTempDir()
        for verb in ["append", "audit", "diff", "lint", "report", "reprice"] {
            let help = try runSpend("spend-\(verb)", ["--help"], in: dir)
            XCTAssertEqual(help.status, 0)
            XCTAssertTrue(help.stdout.contains("USAGE: spend-\(verb) "), help.stdout)
            XCTAssertFalse(help.stdout.contains("USAGE: \(verb) "), help.stdout)
            let umbrella = try runSpend("spend", [verb, "--help"], in: dir)
            XCTAssertTrue(umbrella.stdout.contains("USAGE: spend \(verb) "), umbrella.stdout)
        }
        let wrong = try runSpend("spend-report", ["--bogus"], in: dir)
        XCTAssertEqual(wrong.status, 2)
        XCTAssertTrue(wrong.stderr.contains("Usage: spend-report "), wrong.stderr)
        XCTAssertTrue(wrong.stderr.contains("See 'spend-report --help' for more information."), wrong.stderr)
    }
}

/// A negative number after an integer option is its value (and is refused
/// as negative), not a missing value followed by an unknown flag.
final class NegativeValueTests: XCTestCase {
    func testNegativeCountsSayTheValueMustBeNonNegative() throws {
        let repo = try makeRepo()
        let base = ["append", "--provider", "openai", "--model", "gpt-4o", "--output", "1"]
        let input = try runSpend("spend", base + ["--input", "-5"], in: repo.root)
        assertRejected(input)
        XCTAssertEqual(
            input.stderr, "<flags>: error[schema]: input_tokens must be a non-negative integer\nspend: 1 error; nothing was written\n")
        let latency = try runSpend("spend", base + ["--input", "1", "--latency-ms", "-1"], in: repo.root)
        assertRejected(latency)
        XCTAssertTrue(latency.stderr.contains("error[schema]: latency_ms must be a non-negative integer"), latency.stderr)

        let precision = try repo.spend("report", "--precision", "-1")
        assertRejected(precision)
        XCTAssertTrue(precision.stderr.hasPrefix("Error: --precision must be between 0 and 12\n"), precision.stderr)
        let top = try repo.spend("diff", "--top", "-3")
        assertRejected(top)
        XCTAssertTrue(top.stderr.hasPrefix("Error: --top must be at least 1\n"), top.stderr)
        let limit = try repo.spend("lint", "--limit", "-1")
        assertRejected(limit)
        XCTAssertTrue(limit.stderr.hasPrefix("Error: --limit must be 0 (all) or more\n"), limit.stderr)
        let threshold = try repo.spend("releases", "--threshold", "-5")
        assertRejected(threshold)
        XCTAssertTrue(threshold.stderr.contains("--threshold expects a non-negative percentage, e.g. 30, got '-5'"), threshold.stderr)
    }
}

/// `null` tag values are absent (docs/FORMAT.md) in every reader.
final class NullTagTests: XCTestCase {
    func testNullTagIsAbsentForReportLintAndAppend() throws {
        let repo = try makeRepo()
        try repo.write("spend.toml", "[policy]\nrequired_tags = [\"team\"]\n")
        let line = #"{"ts":"2025-01-01T10:00:00Z","id":"n1","provider":"openai","model":"gpt-4o","input_tokens":2000,"output_tokens":500,"tags":{"team":null,"env":"prod"}}"#
        try repo.writeLedger("ledger/2025/2025-01.jsonl", [line, Fixture.search])

        let report = try repo.spend("report", "--by", "team", "--format", "csv")
        assertOK(report)
        XCTAssertTrue(report.stdout.contains("(unattributed),1,2000,0,0,500,0.01,"), report.stdout)
        let env = try repo.spend("report", "--by", "env", "--format", "csv")
        XCTAssertTrue(env.stdout.contains("prod,1,2000"), env.stdout)

        let lint = try repo.spend("lint")
        XCTAssertEqual(lint.status, 1)
        XCTAssertTrue(lint.stdout.contains("ledger/2025/2025-01.jsonl:1:"), lint.stdout)
        XCTAssertTrue(lint.stdout.contains(#"error[tag-required]: missing tag "team""#), lint.stdout)

        // append: a null tag is filled by --tag like a missing one, and never written as null.
        let json = #"{"ts":"2025-01-03T10:00:00Z","id":"n2","provider":"openai","model":"gpt-4o","input_tokens":1,"output_tokens":1,"tags":{"team":null,"env":null}}"#
        let missing = try repo.spend("append", "--json", json)
        assertRejected(missing)
        XCTAssertEqual(missing.stderr, "<json>:1: error[tag-required]: missing tag \"team\"\nspend: 1 error; nothing was written\n")
        assertOK(try repo.spend("append", "--json", json, "--tag", "team=growth", "-q"))
        let written = try repo.read("ledger/2025/2025-01.jsonl").split(separator: "\n").last.map(String.init) ?? ""
        XCTAssertTrue(written.contains(#""tags":{"team":"growth"}"#), written)
        XCTAssertFalse(written.contains("null"), written)

        // A key twice is still a duplicate, null or not.
        let twice = #"{"ts":"2025-01-03T10:00:00Z","id":"n3","provider":"openai","model":"gpt-4o","input_tokens":1,"output_tokens":1,"tags":{"team":null,"team":"a"}}"#
        let duplicate = try repo.spend("append", "--json", twice)
        assertRejected(duplicate)
        XCTAssertTrue(duplicate.stderr.contains(#"error[json]: duplicate key "team" in tags"#), duplicate.stderr)
    }
}

/// A UTF-8 byte-order mark starting standard input or an input file is
/// skipped; in a ledger shard it is named (the tool never edits a line).
final class ByteOrderMarkTests: XCTestCase {
    static let bom = "\u{FEFF}"

    func testBOMAtTheStartOfStdinAndInputFilesIsAccepted() throws {
        let repo = try makeRepo()
        let stdin = Self.bom + event(ts: "2025-01-01T10:00:00Z", id: "b1", input: 10, output: 1, tags: [("team", "a")]) + "\n"
        let r = try runSpend("spend", ["append", "--stdin", "-q"], in: repo.root, input: Data(stdin.utf8))
        assertOK(r)
        let body = Self.bom + #"{"id":"chatcmpl-bom","object":"chat.completion","created":1735725600,"model":"gpt-4o-2024-08-06","usage":{"prompt_tokens":10,"completion_tokens":2,"total_tokens":12}}"#
        try repo.write("response.json", body)
        assertOK(try repo.spend("append", "--openai-response", "response.json", "--tag", "team=a", "-q"))
        let shard = try repo.read("ledger/2025/2025-01.jsonl")
        XCTAssertFalse(shard.contains(Self.bom), "the mark is never written to the ledger")
        XCTAssertEqual(shard.split(separator: "\n").count, 2)
    }

    func testBOMInAShardIsNamed() throws {
        let repo = try makeRepo()
        try repo.write("ledger/2025/2025-01.jsonl", Self.bom + Fixture.growth + "\n")
        let lint = try repo.spend("lint")
        XCTAssertEqual(lint.status, 1)
        XCTAssertTrue(
            lint.stdout.contains(
                "ledger/2025/2025-01.jsonl:1:1: error[json]: byte order mark (U+FEFF) before the event: ledger files are UTF-8 without a BOM"),
            lint.stdout)
    }
}

/// `future-ts`: an event more than a day after the check is a warning.
final class FutureTimestampTests: XCTestCase {
    func testAppendAndLintWarnAboutAFarFutureTimestamp() throws {
        let repo = try makeRepo()
        let flags = ["append", "--provider", "openai", "--model", "gpt-4o", "--input", "1", "--output", "1", "--tag", "team=a", "-q"]
        let future = try runSpend("spend", flags + ["--ts", "2999-01-01T00:00:00Z"], in: repo.root)
        XCTAssertEqual(future.status, 0, future.stderr)
        XCTAssertTrue(
            future.stderr.hasPrefix("<flags>: warning[future-ts]: ts 2999-01-01T00:00:00.000Z is more than a day in the future (now "),
            future.stderr)
        XCTAssertTrue(future.stderr.hasSuffix("): a wrong clock or time zone?\n"), future.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: repo.url("ledger/2999/2999-01.jsonl").path), "a warning still writes")
        // Within a day (a clock a little ahead) is fine.
        let soon = Timestamp.format(millis: Timestamp.now() + 3_600_000)
        assertOK(try runSpend("spend", flags + ["--ts", soon], in: repo.root))

        let lint = try repo.spend("lint")
        XCTAssertEqual(lint.status, 0, "a warning alone does not fail lint")
        XCTAssertTrue(lint.stdout.contains("ledger/2999/2999-01.jsonl:1:1: warning[future-ts]: ts 2999-01-01T00:00:00.000Z"), lint.stdout)
        XCTAssertFalse(lint.stdout.contains(soon), lint.stdout)

        // --rev judges a commit by its own time: an event a week after the commit is in its future.
        try repo.commitAll("future")
        try repo.append("ledger/2025/2025-01.jsonl", Fixture.growth + "\n")
        try repo.git("add", "-A")
        let commit = try runProcess(
            Paths.git, ["-c", "user.name=t", "-c", "user.email=t@e", "-c", "commit.gpgsign=false", "commit", "-q", "-m", "old"], in: repo.root,
            environment: ["GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_COMMITTER_DATE": "2024-12-25T00:00:00Z"])
        XCTAssertEqual(commit.status, 0, commit.stderr)
        let rev = try repo.spend("lint", "--rev", "HEAD")
        XCTAssertEqual(rev.status, 0, rev.stdout + rev.stderr)
        XCTAssertTrue(
            rev.stdout.contains(
                "warning[future-ts]: ts 2025-01-01T10:00:00.000Z is more than a day in the future (now 2024-12-25T00:00:00.000Z): a wrong clock or time zone?"),
            rev.stdout)
    }
}

/// A shallow clone (CI's depth-1 checkout): `lint --rev HEAD` names the missing parent, the cause and the fix.
final class ShallowCloneLintTests: XCTestCase {
    func testLintRevInADepthOneCloneNamesTheCauseAndTheFix() throws {
        let origin = try makeRepo()
        try origin.writeLedger("ledger/2025/2025-01.jsonl", [Fixture.growth])
        try origin.commitAll("one")
        let parent = try origin.git("rev-parse", "--short=7", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
        try origin.append("ledger/2025/2025-01.jsonl", Fixture.search + "\n")
        try origin.commitAll("two")
        let head = try origin.git("rev-parse", "--short=7", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
        let clone = try makeTempDir().appendingPathComponent("clone")
        try origin.git("clone", "-q", "--depth", "1", "file://\(origin.gitRoot.path)", clone.path)

        let lint = try runSpend("spend", ["lint", "--rev", "HEAD"], in: clone)
        assertRejected(lint)
        XCTAssertEqual(
            lint.stderr,
            "spend: error: the parent \(parent) of commit \(head) is not in this repository; this repository is a shallow clone: "
                + "commits older than its fetch depth are missing; fetch them with `git fetch --unshallow` "
                + "(in CI, check out the full history: `fetch-depth: 0` for actions/checkout)\n")
        let range = try runSpend("spend", ["lint", "--commits", "HEAD~1..HEAD"], in: clone)
        assertRejected(range)
        XCTAssertTrue(range.stderr.contains("this repository is a shallow clone"), range.stderr)
        XCTAssertTrue(range.stderr.contains("`git fetch --unshallow`"), range.stderr)
    }
}

/// "Did you mean …?" for grouping tags, filter values, models and unknown keys.
final class DidYouMeanTests: XCTestCase {
    func repoWithColors() throws -> TestRepo {
        let repo = try makeRepo()
        try repo.writeLedger(
            "ledger/2025/2025-01.jsonl",
            [
                event(ts: "2025-01-01T10:00:00Z", id: "c1", input: 2000, output: 500, tags: [("team", "growth"), ("color", "red"), ("env", "prod")]),
                event(ts: "2025-01-02T10:00:00Z", id: "c2", input: 1000, output: 100, tags: [("team", "search"), ("env", "dev")]),
            ])
        return repo
    }

    func testGroupingByATagNoEventHasWarns() throws {
        let repo = try repoWithColors()
        let r = try repo.spend("report", "--by", "colour")
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.stdout.contains("(unattributed)"), "the table is still shown")
        XCTAssertEqual(r.stderr, "spend: warning: --by colour: no event has a tag \"colour\"; did you mean color?\n")
        // Also with a period and a second dimension, and in CSV.
        let two = try repo.spend("report", "--by", "team,colr", "--period", "month", "--format", "csv")
        XCTAssertEqual(two.stderr, "spend: warning: --by colr: no event has a tag \"colr\"; did you mean color?\n")
        // Nothing near: still said.
        let far = try repo.spend("report", "--by", "customer")
        XCTAssertEqual(far.stderr, "spend: warning: --by customer: no event has a tag \"customer\" (every row is unattributed)\n")
        // A tag some events have: no warning.
        let fine = try repo.spend("report", "--by", "color")
        assertOK(fine)
        XCTAssertEqual(fine.stderr, "")
    }

    func testAFilterThatMatchesNothingWarns() throws {
        let repo = try repoWithColors()
        let value = try repo.spend("report", "--where", "env=prd")
        XCTAssertEqual(value.status, 0)
        XCTAssertEqual(value.stderr, "spend: warning: --where env=prd: no event has env \"prd\"; did you mean prod?\n")
        let tag = try repo.spend("report", "--where", "colr=red")
        XCTAssertEqual(tag.stderr, "spend: warning: --where colr=red: no event has a tag \"colr\"; did you mean color?\n")
        let field = try repo.spend("report", "--where", "model=gpt-4p")
        XCTAssertEqual(field.stderr, "spend: warning: --where model=gpt-4p: no event has model \"gpt-4p\"; did you mean gpt-4o?\n")
        // Values that exist but not together: no typo, no warning.
        let together = try repo.spend("report", "--where", "env=dev", "--where", "color=red")
        assertOK(together)
        XCTAssertEqual(together.stderr, "")
        // Outside the window nothing exists to suggest.
        let window = try repo.spend("report", "--where", "env=prd", "--since", "2026-01-01")
        XCTAssertEqual(window.stderr, "")
    }

    func testUnknownModelAndProviderSuggestTheNearest() throws {
        let repo = try makeRepo()
        let flags = ["append", "--input", "1", "--output", "1", "--tag", "team=a", "--dry-run"]
        let model = try runSpend("spend", flags + ["--provider", "openai", "--model", "gpt-4p"], in: repo.root)
        assertRejected(model)
        XCTAssertTrue(
            model.stderr.contains(#"error[unknown-model]: model "gpt-4p" matches no price or alias in ratecards/openai.toml; did you mean "#),
            model.stderr)
        XCTAssertTrue(model.stderr.contains("gpt-4o?\n"), model.stderr)
        let provider = try runSpend("spend", flags + ["--provider", "opnai", "--model", "gpt-4o"], in: repo.root)
        assertRejected(provider)
        XCTAssertTrue(provider.stderr.contains(#"no rate card for provider "opnai" (cards: "#), provider.stderr)
        XCTAssertTrue(provider.stderr.contains("); did you mean openai?\n"), provider.stderr)
        let show = try repo.spend("cards", "show", "claude-sonet-4")
        assertRejected(show)
        XCTAssertTrue(show.stderr.contains("did you mean claude-sonnet-4?"), show.stderr)
    }

    func testUnknownEventKeyInAppendSuggestsTheNearest() throws {
        let repo = try makeRepo()
        let json = #"{"provider":"openai","model":"gpt-4o","input_token":1,"input_tokens":1,"output_tokens":1,"tags":{}}"#
        let r = try repo.spend("append", "--json", json)
        assertRejected(r)
        XCTAssertTrue(
            r.stderr.hasPrefix(
                #"<json>:1:39: error[schema]: unknown key "input_token" (append writes only the keys of docs/FORMAT.md); did you mean input_tokens?"#),
            r.stderr)
    }

    func testUnknownKeysInRateCardsAndPolicySuggestTheNearest() throws {
        let repo = try makeRepo(cards: false)
        try repo.write(
            "ratecards/acme.toml",
            """
            provider = "acme"
            currency = "USD"

            [[price]]
            model = "acme-small"
            effective = 2025-01-01
            input = 1.0
            ouput = 2.0
            output = 2.0
            """)
        try repo.write("spend.toml", "[policy]\nrequried_tags = [\"team\"]\n")
        let lint = try repo.spend("lint")
        XCTAssertEqual(lint.status, 1)
        XCTAssertTrue(lint.stdout.contains(#"error[ratecard]: unknown key "ouput" in [[price]]; did you mean output?"#), lint.stdout)
        XCTAssertTrue(
            lint.stdout.contains(
                #"error[policy]: unknown key "requried_tags" in [policy] (expected: env, limits, missing_tags, required_tags, tags); did you mean required_tags?"#),
            lint.stdout)
    }
}

/// `spend diff` has `--by` and `--where` too: the same warnings.
final class DiffDidYouMeanTests: XCTestCase {
    func testStateDiffWarnsAboutATagNoEventHas() throws {
        let repo = try makeRepo()
        try repo.writeLedger(
            "ledger/2025/2025-01.jsonl",
            [event(ts: "2025-01-01T10:00:00Z", id: "d1", input: 2000, output: 500, tags: [("team", "growth"), ("color", "red")])])
        try repo.commitAll("one")
        try repo.append(
            "ledger/2025/2025-01.jsonl",
            event(ts: "2025-01-02T10:00:00Z", id: "d2", input: 1000, output: 100, tags: [("team", "search"), ("color", "blue")]) + "\n")
        try repo.commitAll("two")
        let by = try repo.spend("diff", "HEAD~1", "HEAD", "--by", "colour")
        XCTAssertEqual(by.status, 0, by.stderr)
        XCTAssertEqual(by.stderr, "spend: warning: --by colour: no event has a tag \"colour\"; did you mean color?\n")
        let filter = try repo.spend("diff", "HEAD~1", "HEAD", "--where", "team=serch")
        XCTAssertEqual(filter.stderr, "spend: warning: --where team=serch: no event has team \"serch\"; did you mean search?\n")
        let fine = try repo.spend("diff", "HEAD~1", "HEAD", "--by", "color")
        assertOK(fine)
        XCTAssertEqual(fine.stderr, "")
    }
}

/// `spend reprice` has `--by` and `--where` too.
final class RepriceDidYouMeanTests: XCTestCase {
    func testRepriceWarnsAboutATagNoEventHas() throws {
        let repo = try makeRepo()
        try repo.writeLedger(
            "ledger/2025/2025-01.jsonl",
            [event(ts: "2025-01-01T10:00:00Z", id: "r1", input: 2000, output: 500, tags: [("team", "growth"), ("env", "prod")])])
        try repo.commitAll("cards")
        let by = try repo.spend("reprice", "--by", "month,teem")
        XCTAssertEqual(by.status, 0, by.stderr)
        XCTAssertEqual(by.stderr, "spend: warning: --by teem: no event has a tag \"teem\"; did you mean team?\n")
        let filter = try repo.spend("reprice", "--where", "env=prud")
        XCTAssertEqual(filter.stderr, "spend: warning: --where env=prud: no event has env \"prud\"; did you mean prod?\n")
        let fine = try repo.spend("reprice", "--by", "month,team")
        assertOK(fine)
        XCTAssertEqual(fine.stderr, "")
    }
}
