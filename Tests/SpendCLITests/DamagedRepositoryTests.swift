import Foundation
import XCTest

/// Damaged or partial git repositories: truncated loose objects, shallow
/// clones, revisions libgit2 cannot resolve. Each gets a clear error naming
/// the object or revision (exit 2), never a hang.
final class DamagedRepositoryTests: XCTestCase {
    /// Four commits with ledger events, `v1` on the first and `v2` on the third.
    func historyRepo() throws -> (repo: TestRepo, commits: [String]) {
        let repo = try makeRepo()
        var commits: [String] = []
        for (i, day) in ["2025-01-01", "2025-01-02", "2025-01-03", "2025-01-04"].enumerated() {
            try repo.append(
                "ledger/2025/2025-01.jsonl",
                event(ts: "\(day)T10:00:00Z", id: "req-\(i)", input: 1000, output: 100, tags: [("team", "t")]) + "\n")
            try repo.commitAll("day \(i)")
            commits.append(try repo.git("rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines))
            if i == 0 { try repo.git("tag", "v1") }
            if i == 2 { try repo.git("tag", "v2") }
        }
        return (repo, commits)
    }

    /// Cuts the loose file of `object` to half its length, as an interrupted copy leaves it.
    func truncateLooseObject(_ repo: TestRepo, _ object: String) throws -> String {
        let relative = ".git/objects/\(object.prefix(2))/\(object.dropFirst(2))"
        let url = repo.gitRoot.appendingPathComponent(relative)
        let bytes = try Data(contentsOf: url)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: url.path)
        try bytes.prefix(bytes.count / 2).write(to: url)
        return relative
    }

    func assertCorruptObjectReported(
        _ r: RunResult, _ object: String, _ what: String, file: StaticString = #filePath, line: UInt = #line
    ) {
        assertNotHung(r, what, file: file, line: line)
        assertRejected(r, file: file, line: line)
        XCTAssertTrue(
            r.stderr.contains("corrupt object \(object) (")
                && r.stderr.contains("): the file ends inside the compressed data (truncated); run `git fsck` to list damaged objects"),
            "\(what): \(r.stderr)", file: file, line: line)
    }

    /// libgit2 1.5 spins forever in git_revwalk_next on a truncated loose commit (git log errors at once).
    func testTruncatedCommitInTheHistoryIsReportedNotAHang() throws {
        let (repo, commits) = try historyRepo()
        let middle = commits[1]
        let relative = try truncateLooseObject(repo, middle)
        XCTAssertThrowsError(try repo.git("log", "--oneline"), "git itself rejects the repository")

        for args in [["lint", "--commits", "v1..v2"], ["audit"]] {
            let r = try repo.spendGuarded(args)
            assertCorruptObjectReported(r, middle, args.joined(separator: " "))
            XCTAssertTrue(r.stderr.contains(relative), r.stderr)
        }
        let lint = try repo.spendGuarded(["lint", "--commits", "v1..v2"])
        XCTAssertEqual(
            lint.stderr,
            "spend: error: walking history: corrupt object \(middle) (\(repo.gitRoot.path)/\(relative)): "
                + "the file ends inside the compressed data (truncated); run `git fsck` to list damaged objects\n")
    }

    func testTruncatedTaggedCommitIsReportedByReleasesAndDiff() throws {
        let (repo, commits) = try historyRepo()
        _ = try truncateLooseObject(repo, commits[2])
        for args in [["releases"], ["diff", "v1", "v2"], ["report", "--rev", "v2"]] {
            let r = try repo.spendGuarded(args)
            assertCorruptObjectReported(r, commits[2], args.joined(separator: " "))
            XCTAssertTrue(r.stderr.contains("cannot read revision"), "not an 'unknown revision': \(r.stderr)")
        }
    }

    /// A truncated blob: read whole (report --rev) and streamed (lint --staged compares an append with HEAD's blob).
    func testTruncatedLedgerBlobIsReported() throws {
        let (repo, _) = try historyRepo()
        // HEAD's blob matches the clean working file, which report maps instead: damage an older one.
        let older = try repo.git("rev-parse", "HEAD~1:ledger/2025/2025-01.jsonl").trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try truncateLooseObject(repo, older)
        assertCorruptObjectReported(try repo.spendGuarded(["report", "--rev", "HEAD~1"]), older, "report --rev HEAD~1")

        let blob = try repo.git("rev-parse", "HEAD:ledger/2025/2025-01.jsonl").trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try truncateLooseObject(repo, blob)

        try repo.append(
            "ledger/2025/2025-01.jsonl",
            event(ts: "2025-01-05T10:00:00Z", id: "req-new", input: 1000, output: 100, tags: [("team", "t")]) + "\n")
        try repo.git("add", "ledger")
        assertCorruptObjectReported(try repo.spendGuarded(["lint", "--staged"]), blob, "lint --staged")
    }

    func testShallowCloneNamesTheCauseAndTheFix() throws {
        let (origin, commits) = try historyRepo()
        let clone = try makeTempDir().appendingPathComponent("clone")
        try origin.git("clone", "-q", "--depth", "1", "file://\(origin.gitRoot.path)", clone.path)
        let note =
            "; this repository is a shallow clone: commits older than its fetch depth are missing; "
            + "fetch them with `git fetch --unshallow` (in CI, check out the full history: `fetch-depth: 0` for actions/checkout)\n"

        let diff = try runSpend("spend", ["diff", commits[0], "HEAD"], in: clone)
        assertRejected(diff)
        XCTAssertEqual(diff.stderr, "spend: error: unknown revision \"\(commits[0])\": revspec '\(commits[0])' not found" + note)

        let audit = try runSpend("spend", ["audit"], in: clone)
        assertRejected(audit)
        XCTAssertTrue(audit.stderr.hasSuffix(note), audit.stderr)

        // Not shallow: no note.
        let full = try origin.spend("diff", "0000000000000000000000000000000000000001", "HEAD")
        assertRejected(full)
        XCTAssertFalse(full.stderr.contains("shallow"), full.stderr)
    }

    func testPreviousBranchWithoutAnEarlierCheckoutIsNamed() throws {
        let (repo, _) = try historyRepo()
        for args in [["report", "--rev", "@{-1}"], ["diff", "@{-1}", "HEAD"]] {
            let r = try repo.spend(args[0], args[1], args[2])
            assertRejected(r)
            XCTAssertEqual(
                r.stderr,
                "spend: error: unknown revision \"@{-1}\": no branch was checked out that many switches ago "
                    + "(HEAD's reflog records no such checkout)\n", args.joined(separator: " "))
        }
        // After a checkout, @{-1} resolves.
        try repo.git("checkout", "-q", "-b", "other")
        assertOK(try repo.spend("report", "--rev", "@{-1}"))
    }
}
