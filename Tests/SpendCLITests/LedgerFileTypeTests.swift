import Foundation
import XCTest

/// Only regular files are read or written in `ledger/` and `ratecards/`:
/// symlinks (`error[symlink]`) and FIFOs, devices, sockets or directories
/// where a file belongs (`error[special-file]`) are refused by append and
/// report and reported by lint, without ever being opened.
final class LedgerFileTypeTests: XCTestCase {
    static let november = [
        "append", "--provider", "openai", "--model", "gpt-4o", "--input", "10", "--output", "1", "--ts", "2026-11-03T00:00:00Z",
    ]

    /// Runs `spend ARGS` under a watchdog (`timeout 120`): a command that blocks on a FIFO fails instead of hanging the suite.
    func spend(_ repo: TestRepo, _ args: [String]) throws -> RunResult {
        try runProcess(URL(fileURLWithPath: "/usr/bin/timeout"), ["120", Paths.executable("spend").path] + args, in: repo.root)
    }

    /// A repository with one October event.
    func repoWithOneEvent() throws -> TestRepo {
        let repo = try makeRepo()
        try repo.writeLedger("ledger/2026/2026-10.jsonl", [event(ts: "2026-10-01T00:00:00Z", id: "oct", input: 10, output: 1)])
        return repo
    }

    /// Append and report refuse (exit 2, the line on stderr, nothing written); lint reports it (exit 1).
    func assertEveryCommandRefuses(_ repo: TestRepo, _ append: [String], _ line: String, file: StaticString = #filePath, at: UInt = #line) throws {
        let a = try spend(repo, append)
        XCTAssertEqual(a.status, 2, a.stdout + a.stderr, file: file, line: at)
        XCTAssertEqual(a.stdout, "", file: file, line: at)
        XCTAssertEqual(a.stderr, line + "\nspend: 1 error; nothing was written\n", file: file, line: at)
        let report = try spend(repo, ["report"])
        XCTAssertEqual(report.status, 2, report.stdout + report.stderr, file: file, line: at)
        XCTAssertEqual(report.stderr, line + "\nspend: 1 error; nothing was reported\n", file: file, line: at)
        let lint = try spend(repo, ["lint"])
        XCTAssertEqual(lint.status, 1, lint.stdout + lint.stderr, file: file, line: at)
        XCTAssertTrue(lint.stdout.contains(line + "\n"), lint.stdout, file: file, line: at)
    }

    func testAFIFONamedLikeAShardIsRefusedWithoutOpeningIt() throws {
        let repo = try repoWithOneEvent()
        try FileManager.default.createDirectory(at: repo.url("ledger/2026"), withIntermediateDirectories: true)
        XCTAssertEqual(mkfifo(repo.url("ledger/2026/2026-11.jsonl").path, 0o644), 0)
        try assertEveryCommandRefuses(
            repo, Self.november,
            "ledger/2026/2026-11.jsonl: error[special-file]: is a FIFO (named pipe), not a shard file; spend reads and writes only regular files in ledger/ and ratecards/: remove it"
        )
        // Any FIFO under ledger/, whatever its name.
        XCTAssertEqual(unlink(repo.url("ledger/2026/2026-11.jsonl").path), 0)
        XCTAssertEqual(mkfifo(repo.url("ledger/notes").path, 0o644), 0)
        let lint = try spend(repo, ["lint"])
        XCTAssertTrue(lint.stdout.contains("ledger/notes: error[special-file]: is a FIFO (named pipe), not a regular file;"), lint.stdout)
    }

    func testADirectoryNamedLikeAShardIsRefused() throws {
        let repo = try repoWithOneEvent()
        try FileManager.default.createDirectory(at: repo.url("ledger/2026/2026-11.jsonl"), withIntermediateDirectories: true)
        try assertEveryCommandRefuses(
            repo, Self.november,
            "ledger/2026/2026-11.jsonl: error[special-file]: is a directory, not a shard file; spend reads and writes only regular files in ledger/ and ratecards/: remove it"
        )
    }

    func testALedgerThatIsAFileIsAnError() throws {
        let repo = try makeRepo()
        try repo.write("ledger", "not a directory\n")
        try assertEveryCommandRefuses(
            repo, Self.november, "ledger: error[special-file]: is a regular file, not a directory; move it away: spend keeps ledger/ as a directory")
    }

    /// The case: a committed `ledger/2026/2026-10.jsonl -> /tmp/victim`.
    func testASymlinkedShardIsNeverWrittenThrough() throws {
        let repo = try makeRepo()
        let outside = try makeTempDir().appendingPathComponent("victim")
        try Data("precious\n".utf8).write(to: outside)
        try FileManager.default.createDirectory(at: repo.url("ledger/2026"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: repo.url("ledger/2026/2026-11.jsonl").path, withDestinationPath: outside.path)
        try repo.commitAll("a symlink")
        try assertEveryCommandRefuses(
            repo, Self.november,
            "ledger/2026/2026-11.jsonl: error[symlink]: is a symbolic link (to \(outside.path)); spend never follows links in ledger/ or ratecards/: replace it with the file or directory itself"
        )
        XCTAssertEqual(try String(contentsOf: outside, encoding: .utf8), "precious\n")
        // Staged and committed, it is the same finding (the link's target is its blob).
        let line = "ledger/2026/2026-11.jsonl: error[symlink]: is a symbolic link (to \(outside.path));"
        for mode in [["--staged"], ["--rev", "HEAD"]] {
            let lint = try spend(repo, ["lint"] + mode)
            XCTAssertEqual(lint.status, 1, "\(mode): " + lint.stdout + lint.stderr)
            XCTAssertTrue(lint.stdout.contains(line), "\(mode): " + lint.stdout)
        }
        let report = try spend(repo, ["report", "--rev", "HEAD"])
        XCTAssertEqual(report.status, 2, report.stdout + report.stderr)
        XCTAssertTrue(report.stderr.hasPrefix(line), report.stderr)
    }

    /// A symlinked year directory was written by append but invisible to lint and report.
    func testASymlinkedYearDirectoryIsNeitherWrittenNorSkipped() throws {
        let repo = try repoWithOneEvent()
        let outside = try makeTempDir()
        try FileManager.default.createSymbolicLink(atPath: repo.url("ledger/2025").path, withDestinationPath: outside.path)
        var append = Self.november
        // A past year: a date more than a day ahead would add a future-ts warning.
        append[append.count - 1] = "2025-01-03T00:00:00Z"
        try assertEveryCommandRefuses(
            repo, append,
            "ledger/2025: error[symlink]: is a symbolic link (to \(outside.path)); spend never follows links in ledger/ or ratecards/: replace it with the file or directory itself"
        )
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: outside.path), [])
    }

    func testASymlinkedRateCardIsAnError() throws {
        let repo = try repoWithOneEvent()
        let outside = try makeTempDir().appendingPathComponent("openai.toml")
        try FileManager.default.moveItem(at: repo.url("ratecards/openai.toml"), to: outside)
        try FileManager.default.createSymbolicLink(atPath: repo.url("ratecards/openai.toml").path, withDestinationPath: outside.path)
        try assertEveryCommandRefuses(
            repo, Self.november,
            "ratecards/openai.toml: error[symlink]: is a symbolic link (to \(outside.path)); spend never follows links in ledger/ or ratecards/: replace it with the file or directory itself"
        )
    }

    func testAFIFOSpendTomlIsRefusedWithoutOpeningIt() throws {
        let repo = try repoWithOneEvent()
        XCTAssertEqual(mkfifo(repo.url("spend.toml").path, 0o644), 0)
        try assertEveryCommandRefuses(
            repo, Self.november,
            "spend.toml: error[special-file]: is a FIFO (named pipe), not a regular file; spend reads the policy only from a regular file: replace it")
    }

    /// `spend init` in a directory whose ratecards/ is a link writes nothing through it.
    func testInitDoesNotWriteThroughASymlinkedRatecards() throws {
        let repo = try makeRepo(cards: false)
        let outside = try makeTempDir()
        try FileManager.default.createSymbolicLink(atPath: repo.url("ratecards").path, withDestinationPath: outside.path)
        let r = try spend(repo, ["init", "--no-hook"])
        XCTAssertEqual(r.status, 2, r.stdout + r.stderr)
        XCTAssertEqual(
            r.stderr,
            "ratecards: error[symlink]: is a symbolic link (to \(outside.path)); spend never follows links in ledger/ or ratecards/: replace it with the file or directory itself\nspend: 1 error; nothing was changed\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: outside.path), [])
        XCTAssertFalse(FileManager.default.fileExists(atPath: repo.url("spend.toml").path))
    }
}
