import Foundation
import XCTest

/// End to end: values holding control characters cannot forge findings or
/// drive the terminal; CSV is RFC 4180 with formulas neutralised; table cells are capped.
final class OutputSafetyCLITests: XCTestCase {
    func testModelWithNewlineCannotForgeAFinding() throws {
        let repo = try makeRepo()
        let r = try repo.spend(
            "append", "--provider", "openai", "--model", "gpt-4o\nerror[fake]: x", "--input", "1", "--output", "1",
            "--tag", "team=a", "--tag", "env=dev")
        assertRejected(r)
        XCTAssertEqual(
            r.stderr,
            """
            <flags>: error[unknown-model]: model "gpt-4o\\nerror[fake]: x" matches no price or alias in ratecards/openai.toml
            spend: 1 error; nothing was written

            """)
    }

    func testEscapeInTagShowsEscapedInReportTable() throws {
        let repo = try makeRepo()
        let red = event(ts: "2025-01-10T00:00:00Z", id: "req-1", input: 2000, output: 500, tags: [("team", "\\u001b[31mred\\u202e")])
        try repo.writeLedger("ledger/2025/2025-01.jsonl", [red])
        let r = try repo.spend("report")
        assertOK(r)
        XCTAssertFalse(r.stdout.unicodeScalars.contains { $0.value == 0x1b || $0.value == 0x202e })
        XCTAssertEqual(
            r.lines.prefix(3),
            [
                "team                 requests  input  cached  cache_write  output   cost   share",
                "-------------------  --------  -----  ------  -----------  ------  -----  ------",
                "\\u001b[31mred\\u202e         1  2,000       0            0     500  $0.01  100.0%",
            ])
    }

    func testControlCharacterInLedgerLineIsEscapedInTheDiagnostic() throws {
        let repo = try makeRepo()
        // A raw ESC inside a JSON string is invalid JSON: the echoed line shows it escaped, caret under it.
        let line = "{\"ts\":\"2025-01-10T00:00:00Z\",\t\"id\":\"a\u{1b}[2J\"}"
        try repo.writeLedger("ledger/2025/2025-01.jsonl", [line])
        let r = try repo.spend("lint")
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertFalse(r.stdout.unicodeScalars.contains { $0.value == 0x1b || $0 == "\t" })
        let shown = "{\"ts\":\"2025-01-10T00:00:00Z\",\\t\"id\":\"a\\u001b[2J\"}"
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(
            Array(lines.prefix(4)),
            [
                "ledger/2025/2025-01.jsonl:1:38: error[json]: control character in string",
                "  |",
                "1 | " + shown,
                "  | " + String(repeating: " ", count: shown.range(of: "\\u001b")!.lowerBound.utf16Offset(in: shown)) + "^",
            ])
    }

    func testLintJSONEscapesEveryControlAndBidiOverride() throws {
        let repo = try makeRepo()
        try repo.writeLedger(
            "ledger/2025/2025-01.jsonl",
            [event(ts: "2025-01-10T00:00:00Z", id: "req-1", model: "gpt\\u001b\\u0085\\u202e\\u007f", input: 1, output: 1, tags: [("team", "a")])])
        let r = try repo.spend("lint", "--format", "json")
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertFalse(r.stdout.unicodeScalars.contains { TerminalTextScalars.unsafe($0) && $0 != "\n" })
        XCTAssertTrue(
            r.stdout.contains(#""message":"model \"gpt\u001b\u0085\u202e\u007f\" matches no price or alias in ratecards/openai.toml""#),
            r.stdout)
    }

    func testCSVQuotesLineBreaksNeutralisesFormulasAndKeepsNegativeNumbers() throws {
        let repo = try makeRepo()
        try repo.writeLedger(
            "ledger/2025/2025-01.jsonl",
            [
                event(ts: "2025-01-10T00:00:00Z", id: "req-1", input: 2000, output: 500, tags: [("team", "=HYPERLINK(\\\"http://x\\\")")]),
                event(ts: "2025-01-10T00:00:01Z", id: "req-2", input: 1000, output: 100, tags: [("team", "a\\r\\nb")]),
            ])
        try repo.commitAll("one")
        try repo.writeLedger(
            "ledger/2025/2025-01.jsonl",
            [event(ts: "2025-01-10T00:00:01Z", id: "req-2", input: 1000, output: 100, tags: [("team", "a\\r\\nb")])])
        try repo.commitAll("two")

        let report = try repo.spend("report", "--rev", "HEAD~1", "--format", "csv")
        assertOK(report)
        XCTAssertEqual(
            report.stdout,
            "team,requests,input_tokens,cached_input_tokens,cache_write_tokens,output_tokens,cost\n"
                + "\"'=HYPERLINK(\"\"http://x\"\")\",1,2000,0,0,500,0.01\n"
                + "\"a\r\nb\",1,1000,0,0,100,0.0035\n"
                + "(unattributed),0,0,0,0,0,0\n")

        let raw = try repo.spend("report", "--rev", "HEAD~1", "--format", "csv", "--csv-raw")
        assertOK(raw)
        XCTAssertEqual(
            raw.stdout,
            "team,requests,input_tokens,cached_input_tokens,cache_write_tokens,output_tokens,cost\n"
                + "\"=HYPERLINK(\"\"http://x\"\")\",1,2000,0,0,500,0.01\n"
                + "\"a\r\nb\",1,1000,0,0,100,0.0035\n"
                + "(unattributed),0,0,0,0,0,0\n")

        let diff = try repo.spend("diff", "HEAD~1", "HEAD", "--format", "csv")
        assertOK(diff)
        XCTAssertEqual(
            diff.stdout,
            "team,requests_a,requests_b,cost_a,cost_b,delta,delta_pct\n"
                + "\"'=HYPERLINK(\"\"http://x\"\")\",1,0,0.01,0,-0.01,-100\n"
                + "\"a\r\nb\",1,1,0.0035,0.0035,0,0\n")

        let misuse = try repo.spend("report", "--csv-raw")
        assertRejected(misuse)
        XCTAssertTrue(misuse.stderr.hasPrefix("Error: --csv-raw applies to --format csv\n"), misuse.stderr)
    }

    /// Audit CSV: a committer named like a formula is neutralised, the negative impact stays a number.
    func testAuditCSVNeutralisesAFormulaAuthor() throws {
        let repo = try makeRepo(cards: false)
        _ = try ScriptedCardHistory(repo)
        let card = try repo.read("ratecards/acme.toml")
        try repo.write("ratecards/acme.toml", card.replacingOccurrences(of: "input = 0.50", with: "input = 0.40"))
        try repo.git("add", "-A")
        try repo.git("-c", "user.name=@SUM(1+1)*cmd", "commit", "-q", "-m", "acme-small input cut")
        let short = try repo.git("rev-parse", "--short=7", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
        let r = try repo.spend("audit", "--format", "csv", "--since", "2026-08-01")
        assertOK(r)
        XCTAssertEqual(r.lines.count, 2, r.stdout)
        let row = r.lines[1]
        XCTAssertTrue(row.hasPrefix(short + ","), row)
        XCTAssertTrue(row.hasSuffix(",\"'@SUM(1+1)*cmd\",acme,acme-small,2025-12-01,input,0.5,0.4,edited,-0.0001"), row)
        let raw = try repo.spend("audit", "--format", "csv", "--since", "2026-08-01", "--csv-raw")
        assertOK(raw)
        XCTAssertTrue(raw.lines[1].hasSuffix(",@SUM(1+1)*cmd,acme,acme-small,2025-12-01,input,0.5,0.4,edited,-0.0001"), raw.stdout)
    }

    func testTenMegabyteTagIsCutInTablesAndWholeInCSV() throws {
        let repo = try makeRepo()
        let huge = String(repeating: "x", count: 10_000_000)
        try repo.writeLedger(
            "ledger/2025/2025-01.jsonl", [event(ts: "2025-01-10T00:00:00Z", id: "req-1", input: 2000, output: 500, tags: [("team", huge)])])
        let table = try repo.spend("report")
        assertOK(table)
        XCTAssertLessThan(table.stdout.utf8.count, 2_000)
        XCTAssertEqual(
            table.lines.prefix(3),
            [
                "team                                                          requests  input  cached  cache_write  output   cost   share",
                "------------------------------------------------------------  --------  -----  ------  -----------  ------  -----  ------",
                String(repeating: "x", count: 59) + "…         1  2,000       0            0     500  $0.01  100.0%",
            ])
        let csv = try repo.spend("report", "--format", "csv")
        assertOK(csv)
        XCTAssertEqual(csv.lines[1], huge + ",1,2000,0,0,500,0.01")
    }

    func testDirectoryWithNewlineShowsOnOneErrorLine() throws {
        let dir = try makeTempDir()
        let r = try runSpend("spend", ["-C", "no\nsuch\u{1b}", "report"], in: dir)
        assertRejected(r)
        XCTAssertEqual(r.stderr, "spend: error: cannot change to 'no\\nsuch\\u001b': No such file or directory\n")
    }
}

/// The scalars human-readable output must not carry raw (as TerminalText defines them).
enum TerminalTextScalars {
    static func unsafe(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        return v < 0x20 || (0x7F...0x9F).contains(v) || (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v)
            || v == 0x2028 || v == 0x2029
    }
}
