import Foundation
import XCTest

/// Strict input end to end (issue 9): every reader of rate cards and
/// `spend.toml` refuses NUL and invalid UTF-8, and every reader of ledger
/// lines (report, lint, append) refuses duplicate keys and invalid UTF-8
/// with the same located message.
final class StrictInputCLITests: XCTestCase {
    let shard = "ledger/2025/2025-01.jsonl"

    func writeBytes(_ repo: TestRepo, _ relative: String, _ bytes: [UInt8]) throws {
        let url = repo.url(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
    }

    /// The 0-based byte offset of `needle` in `text`.
    func offset(of needle: String, in text: String) -> Int {
        text.range(of: needle).map { text.utf8.distance(from: text.startIndex, to: $0.lowerBound) } ?? -1
    }

    func run(_ repo: TestRepo, _ args: [String], input: Data? = nil) throws -> RunResult {
        try runSpend("spend", args, in: repo.root, input: input)
    }

    // MARK: NUL in TOML

    func testNulInSpendTomlRefusesAppendAndLint() throws {
        let repo = try makeRepo()
        // Before: TOMLKit read "# tagging policy" and stopped; the policy was empty
        // and an untagged event was appended.
        try repo.write("spend.toml", "# tagging policy\0\n[policy]\nrequired_tags = [\"team\"]\n")
        let message = "spend.toml:1:17: error[toml]: NUL byte (U+0000): TOML files must not contain NUL"
        let append = try run(repo, ["append", "--provider", "openai", "--model", "gpt-4o", "--input", "1", "--output", "1"])
        assertRejected(append)
        XCTAssertTrue(append.stderr.contains(message), append.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: repo.url("ledger").path), "nothing written")
        let lint = try run(repo, ["lint"])
        XCTAssertTrue(lint.stdout.contains(message), lint.stdout + lint.stderr)
        // The staged copy (a blob) is read through the same check.
        try repo.git("add", "spend.toml")
        try repo.write("spend.toml", "[policy]\nrequired_tags = [\"team\"]\n")
        let staged = try run(repo, ["lint", "--staged"])
        XCTAssertTrue(staged.stdout.contains(message), staged.stdout + staged.stderr)
    }

    func testNulInARateCardRefusesEveryReader() throws {
        let repo = try makeRepo()
        try repo.writeLedger(shard, [Fixture.growth])
        try repo.commitAll("good card")
        // Before: the card was cut at the NUL, so later gpt-4o points were dropped.
        let card = try repo.read("ratecards/openai.toml")
        let lines = card.split(separator: "\n", omittingEmptySubsequences: false)
        let n = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("[[price]]") }) + 1
        try repo.write("ratecards/openai.toml", lines.enumerated().map { $0.offset == n - 1 ? "\($0.element) #\0" : String($0.element) }.joined(separator: "\n"))
        let column = lines[n - 1].utf8.count + 3
        let message = "ratecards/openai.toml:\(n):\(column): error[toml]: NUL byte (U+0000): TOML files must not contain NUL"

        let report = try run(repo, ["report", "--strict"])
        assertRejected(report)
        XCTAssertTrue(report.stderr.contains(message), report.stderr)
        let lint = try run(repo, ["lint"])
        XCTAssertEqual(lint.status, 1)
        XCTAssertTrue(lint.stdout.contains(message), lint.stdout)

        try repo.git("add", "-A")
        let staged = try run(repo, ["lint", "--staged"])
        XCTAssertTrue(staged.stdout.contains(message), staged.stdout + staged.stderr)
        try repo.git("commit", "-q", "-m", "card with a NUL")
        let rev = try run(repo, ["report", "--rev", "HEAD"])
        assertRejected(rev)
        XCTAssertTrue(rev.stderr.contains(message), rev.stderr)
        // audit reads every version of the card through its incremental parser.
        let audit = try run(repo, ["audit"])
        assertRejected(audit)
        XCTAssertTrue(audit.stderr.contains(message), audit.stderr)
    }

    func testInvalidUTF8InARateCardIsRefused() throws {
        let repo = try makeRepo()
        try repo.writeLedger(shard, [Fixture.growth])
        let card = Array(try repo.read("ratecards/openai.toml").utf8)
        try writeBytes(repo, "ratecards/openai.toml", Array("# caf".utf8) + [0xE9] + [10] + card)
        let report = try run(repo, ["report", "--strict"])
        assertRejected(report)
        XCTAssertTrue(
            report.stderr.contains(
                "ratecards/openai.toml:1:6: error[toml]: invalid UTF-8 (or U+FFFD, which is what bytes that are not UTF-8 read as)"),
            report.stderr)
    }

    // MARK: Ledger lines

    func testDuplicateToolCallsAndTagsAreRefusedAlikeByReportLintAndAppend() throws {
        let repo = try makeRepo()
        let line = event(
            ts: "2025-01-01T10:00:00Z", id: "dup", input: 2000, output: 500, tags: [("team", "growth"), ("team", "search")],
            extra: #""tool_calls":{"web_search":1,"web_search":1}"#)
        // tool_calls comes first in the line, so it is the error reported.
        let column = offset(of: #""web_search":1}"#, in: line) + 1
        let message = #"error[json]: duplicate key "web_search" in tool_calls"#
        try repo.writeLedger(shard, [Fixture.growth, line])
        let report = try run(repo, ["report", "--strict"])
        assertRejected(report)
        XCTAssertTrue(report.stderr.contains("\(shard):2:\(column): \(message)"), report.stderr)
        let lint = try run(repo, ["lint"])
        XCTAssertEqual(lint.status, 1)
        XCTAssertTrue(lint.stdout.contains("\(shard):2:\(column): \(message)"), lint.stdout)
        let append = try run(repo, ["append", "--stdin"], input: Data((line + "\n").utf8))
        assertRejected(append)
        XCTAssertTrue(append.stderr.contains("<stdin>:1:\(column): \(message)"), append.stderr)

        let tags = event(ts: "2025-01-01T10:00:00Z", id: "dup", input: 2000, output: 500, tags: [("team", "growth"), ("team", "search")])
        let tagColumn = offset(of: #""team":"search""#, in: tags) + 1
        let tagMessage = #"error[json]: duplicate key "team" in tags"#
        let appendTags = try run(repo, ["append", "--json", tags])
        assertRejected(appendTags)
        XCTAssertTrue(appendTags.stderr.contains("<json>:1:\(tagColumn): \(tagMessage)"), appendTags.stderr)
        try repo.writeLedger(shard, [tags])
        let reportTags = try run(repo, ["report"])
        XCTAssertTrue(reportTags.stderr.contains("\(shard):1:\(tagColumn): \(tagMessage)"), reportTags.stderr)
    }

    func testInvalidUTF8InALedgerLineIsRefusedAtItsByte() throws {
        let repo = try makeRepo()
        // Before: "s\xff", "s\xfe" and "s\uFFFD" were one report group.
        let text = event(ts: "2025-01-01T10:00:00Z", id: "bad", input: 1, output: 1, tags: [("team", "s~")])
        var bytes = Array((Fixture.growth + "\n" + text + "\n").utf8)
        let at = try XCTUnwrap(bytes.lastIndex(of: UInt8(ascii: "~")))
        bytes[at] = 0xFF
        try writeBytes(repo, shard, bytes)
        let column = offset(of: "~", in: text) + 1
        let message = "\(shard):2:\(column): error[json]: invalid UTF-8: byte 0xFF does not start a well-formed sequence"
        let report = try run(repo, ["report", "--strict"])
        assertRejected(report)
        XCTAssertTrue(report.stderr.contains(message), report.stderr)
        let lint = try run(repo, ["lint"])
        XCTAssertTrue(lint.stdout.contains(message), lint.stdout)
        let append = try run(repo, ["append", "--stdin"], input: Data(bytes))
        assertRejected(append)
        XCTAssertTrue(append.stderr.contains("<stdin>:2:\(column): error[json]: invalid UTF-8: byte 0xFF"), append.stderr)
    }

    func testValueThatIsNotJSONIsAJSONError() throws {
        let repo = try makeRepo()
        try repo.writeLedger(shard, [#"{"ts":oops}"#])
        let lint = try run(repo, ["lint"])
        XCTAssertTrue(lint.stdout.contains("\(shard):1:7: error[json]: invalid value"), lint.stdout)
    }

    func testTimestampInYear10000IsATimestampError() throws {
        let repo = try makeRepo()
        // Before: lint suggested "ledger/1000/…" for it.
        let line = event(ts: "9999-12-31T23:30:00-01:00", id: "far", input: 1, output: 1, tags: [("team", "a")])
        try repo.writeLedger("ledger/9999/9999-12.jsonl", [line])
        let lint = try run(repo, ["lint"])
        XCTAssertTrue(
            lint.stdout.contains(
                #"ledger/9999/9999-12.jsonl:1:7: error[timestamp]: ts "9999-12-31T23:30:00-01:00" is not an RFC 3339 timestamp"#),
            lint.stdout)
        XCTAssertFalse(lint.stdout.contains("ledger/1000/"), lint.stdout)
        let append = try run(repo, ["append", "--json", line])
        assertRejected(append)
        XCTAssertTrue(append.stderr.contains("error[timestamp]"), append.stderr)
    }

    // MARK: features.paths

    func testFeaturePathOutsideTheRepositoryIsALintError() throws {
        let repo = try makeRepo()
        try repo.write("spend.toml", "[features.summaries]\npaths = [\"/etc/passwd\"]\n")
        let lint = try run(repo, ["lint"])
        XCTAssertEqual(lint.status, 1)
        XCTAssertTrue(
            lint.stdout.contains(#"spend.toml:2:10: error[policy]: path "/etc/passwd" in [features.summaries] is absolute"#),
            lint.stdout)
    }
}
