import Foundation
import XCTest

final class DemoTests: XCTestCase {
    func testDemoPinsTheRetryLoopOnItsCommit() throws {
        let dir = try makeTempDir().appendingPathComponent("demo")
        let r = try runSpend("spend", ["demo", "--dir", dir.path], in: dir.deletingLastPathComponent())
        assertOK(r)
        XCTAssertTrue(r.stdout.contains("$ spend report --by feature"), r.stdout)
        XCTAssertTrue(r.stdout.contains("$ spend diff v1.2 HEAD --by feature"), r.stdout)
        XCTAssertTrue(r.stdout.contains("$ spend diff --releases v1.2 v1.3"), r.stdout)
        // The spike is on summaries, pinned on the retry commit only.
        XCTAssertTrue(r.stdout.contains("summaries: usage cost/day +144.1% v1.2→v1.3"), r.stdout)
        XCTAssertTrue(r.stdout.contains("retries 0%→60%"), r.stdout)
        let pinSection = (r.stdout.components(separatedBy: "summaries: usage cost/day +").last ?? "").components(separatedBy: "backfill: PRICE").first!
        XCTAssertTrue(pinSection.contains("Dana Ruiz  Summaries: retry on 429 before stream close  [src/summarize/stream.py]"), pinSection)
        XCTAssertFalse(pinSection.contains("Chat: log prompt sizes"), pinSection)
        XCTAssertFalse(pinSection.contains("price cut"), pinSection)
        // The price cut shows as a negative price effect on search.
        let searchLine = r.lines.first { $0.hasPrefix("search ") && $0.contains("-$") }
        XCTAssertNotNil(searchLine, r.stdout)
        // In the release diff, the price cut is a PRICE marker on search and backfill, pinned on the card commit, not a usage change.
        let release = r.stdout.components(separatedBy: "$ spend diff --releases v1.2 v1.3").last ?? ""
        XCTAssertEqual(tableRow(RunResult(status: 0, stdout: release, stderr: ""), "search")?.suffix(2), ["PRICE", "-33.3%"], release)
        XCTAssertTrue(
            release.contains(
                "search: PRICE -33.3% v1.2→v1.3; Δ -$0.11 = usage $0.00 + price -$0.11; usage cost/request -0.7%\n"
                    + "  rate-card commits that changed the prices these events used:\n"),
            release)
        XCTAssertTrue(release.contains("  Finance Ops  ratecards: gpt-4o-mini price cut from 2026-03-01\n"), release)
        // Spend without owner tags is unattributed; spend of no release is "(no release)".
        XCTAssertTrue(r.stdout.contains("unattributed: $0.58 (1.4% of total) — events missing tag \"feature\""), r.stdout)
        XCTAssertEqual(tableRow(r, "(no")?.prefix(4), ["(no", "release)", "72", "$0.58"], r.stdout)
        XCTAssertFalse(r.stdout.contains("(untagged)"), r.stdout)
        // The repository is kept and is a real git repository the commands work on.
        let again = try runSpend("spend", ["releases", "-C", dir.path, "--format", "csv"], in: dir)
        assertOK(again)
        XCTAssertTrue(again.stdout.contains("v1.3,2026-03-01,"), again.stdout)
        let log = try runProcess(Paths.git, ["log", "--oneline"], in: dir)
        XCTAssertEqual(log.stdout.split(separator: "\n").count, 10, log.stdout)
        // An existing --dir is refused.
        let twice = try runSpend("spend", ["demo", "--dir", dir.path], in: dir)
        assertRejected(twice)
        XCTAssertTrue(twice.stderr.contains("already exists"), twice.stderr)
    }

    /// `--dir` makes one directory: a missing parent is refused, not created.
    func testDemoDirWithAMissingParentIsRefused() throws {
        let base = try makeTempDir()
        let dir = base.appendingPathComponent("no/such/demo")
        let r = try runSpend("spend", ["demo", "--dir", dir.path], in: base)
        assertRejected(r)
        XCTAssertEqual(
            r.stderr,
            "spend: error: --dir \(dir.path): \(base.path)/no/such is not an existing directory; create it first (spend demo makes only the last directory)\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: base.appendingPathComponent("no").path))
    }

    /// On a read-only file system the message is the system's, not a raw NSError (exit 2).
    /// Needs a private mount namespace (`unshare -m`, as root); skipped without one.
    func testDemoOnAReadOnlyFileSystemSaysSo() throws {
        let base = try makeTempDir()
        let spend = Paths.executable("spend").path
        let script = """
            mount -t tmpfs -o ro none "$DIR" || exit 99
            "$SPEND" demo --dir "$DIR/demo"; echo "exit $?"
            TMPDIR="$DIR" "$SPEND" demo; echo "exit $?"
            """
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") else { throw XCTSkip("no /usr/bin/unshare") }
        let r = try runProcess(
            URL(fileURLWithPath: "/usr/bin/unshare"), ["-m", "/bin/sh", "-c", script], in: base, environment: ["DIR": base.path, "SPEND": spend])
        guard r.status == 0 else {
            throw XCTSkip("no private mount namespace here (unshare -m: \(r.status) \(r.stderr))")
        }
        XCTAssertTrue(
            r.stderr.contains("spend: error: cannot build the demo repository at \(base.path)/demo: Read-only file system\n"), r.stderr)
        XCTAssertTrue(r.stderr.contains("spend: error: cannot build the demo repository at \(base.path)/spend-demo-"), r.stderr)
        XCTAssertFalse(r.stderr.contains("NSError") || r.stderr.contains("Domain="), r.stderr)
        XCTAssertEqual(r.stdout, "exit 2\nexit 2\n")
    }
}
