import Foundation
import SpendCore
import SpendTestSupport
import XCTest

/// `append` batches are all-or-nothing across crashes: the undo journal
/// (`LedgerJournal`) and its recovery by append, lint and report.
/// The writers that are killed are real processes; the commands that find
/// and roll back what they left run in process (their notice goes to the
/// invocation's stderr like any output).
final class AppendCrashTests: XCTestCase {
    /// `ledger/YYYY/YYYY-MM.jsonl` of the `m`-th month from January 2027.
    static func shard(month m: Int) -> (path: String, day: String) {
        let year = 2027 + m / 12
        let month = String(format: "%02d", m % 12 + 1)
        return ("ledger/\(year)/\(year)-\(month).jsonl", "\(year)-\(month)-05")
    }

    /// The journal file of a repository (inside its git directory).
    func journal(_ repo: TestRepo) throws -> URL {
        let dir = repo.gitRoot.appendingPathComponent(".git/spend")
        let name = try XCTUnwrap(FileManager.default.contentsOfDirectory(atPath: dir.path).first { $0.hasPrefix("journal-") })
        return dir.appendingPathComponent(name)
    }

    func size(_ url: URL) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? Int) ?? -1
    }

    /// Checks a shard: every line parses as an event with the id prefix; returns how many lines.
    func parsedLines(_ repo: TestRepo, _ path: String, idPrefix: String, file: StaticString = #filePath, line: UInt = #line) throws -> Int {
        let text = try repo.read(path)
        XCTAssertTrue(text.hasSuffix("\n"), "\(path) must end with a newline (no torn line)", file: file, line: line)
        var count = 0
        for l in text.split(separator: "\n") {
            let event = try LedgerEvent.parse(line: String(l))
            XCTAssertTrue(event.id.hasPrefix(idPrefix), "\(path): unexpected id \(event.id)", file: file, line: line)
            count += 1
        }
        return count
    }

    /// `kill -9` at random points of the write phase of 2,000-event `--stdin`
    /// batches (1 and 2 shards): every batch is wholly in the ledger or wholly
    /// absent, every shard parses, and the command that runs next (a one-event
    /// append, and every tenth time report or lint) says when it rolled a batch back.
    ///
    /// The write phase is slowed by `SPEND_TEST_WRITE_SLICE` (64 bytes per write
    /// call, cut anywhere in a line) and marked by `SPEND_TEST_WRITE_MARK`; each
    /// kill waits until the batch's shards hold a random number of its bytes, so
    /// it lands inside the phase whatever the machine's speed; the seed is printed (`SPEND_TEST_SEED` repeats
    /// a run, `SPEND_TEST_KILLS` changes the count, default 50).
    func testKillNineDuringTheWritePhaseLeavesEachBatchWhollyInOrOut() throws {
        let env = ProcessInfo.processInfo.environment
        var random = TestRandom()
        let seed = random.seed
        let kills = env["SPEND_TEST_KILLS"].flatMap { Int($0) } ?? 50
        print("kill -9 loop: seed \(seed) (SPEND_TEST_SEED=\(seed) repeats this run), \(kills) kills")
        let repo = try makeRepo()
        let scratch = try makeTempDir()
        // 2,000 events (~330 KB, ~5,000 write calls of 64 bytes): a kill lands
        // anywhere in thousands of writes, as with bigger batches, at a fifth of the cost.
        let eventsPerBatch = 2_000

        /// Writes batch `i` (2,000 events in one shard, or 1,000 + 1,000 in two) and returns its shards.
        func makeBatch(_ i: Int, twoShards: Bool) throws -> (input: URL, shards: [(String, Int)]) {
            let a = Self.shard(month: 2 * i)
            let b = Self.shard(month: 2 * i + 1)
            var text = ""
            text.reserveCapacity(eventsPerBatch * 160)
            for n in 0..<eventsPerBatch {
                let day = twoShards && n >= eventsPerBatch / 2 ? b.day : a.day
                text += #"{"ts":"\#(day)T10:00:00Z","id":"k\#(i)-\#(n)","provider":"openai","model":"gpt-4o","input_tokens":\#(1000 + n),"output_tokens":10,"tags":{"team":"crash"}}"#
                text += "\n"
            }
            let input = scratch.appendingPathComponent("batch-\(i).jsonl")
            try Data(text.utf8).write(to: input)
            return (input, twoShards ? [(a.path, eventsPerBatch / 2), (b.path, eventsPerBatch / 2)] : [(a.path, eventsPerBatch)])
        }

        /// Starts `spend append --stdin` on `input` with the write-phase hooks.
        func start(_ input: URL, mark: URL) throws -> (Process, URL) {
            let process = Process()
            process.executableURL = Paths.executable("spend")
            process.arguments = ["append", "--stdin", "-q"]
            process.currentDirectoryURL = repo.root
            var environment = env
            environment["SPEND_TEST_WRITE_MARK"] = mark.path
            environment["SPEND_TEST_WRITE_SLICE"] = "64"
            process.environment = environment
            process.standardInput = try FileHandle(forReadingFrom: input)
            let errors = mark.appendingPathExtension("stderr")
            _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
            process.standardError = try FileHandle(forWritingTo: errors)
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            return (process, errors)
        }

        /// Waits until the mark file says `phase` (polling), or the process ended.
        func wait(for phase: String, in mark: URL, _ process: Process) -> Bool {
            while true {
                if let text = try? String(contentsOf: mark, encoding: .utf8), text.contains(phase) { return true }
                if !process.isRunning { return (try? String(contentsOf: mark, encoding: .utf8))?.contains(phase) ?? false }
                usleep(100)
            }
        }

        // Calibration: how many bytes (and how long) an uninterrupted batch writes.
        let calibration = try makeBatch(kills, twoShards: true)
        let calibrationMark = scratch.appendingPathComponent("calibration.mark")
        let (calibrating, calibrationErrors) = try start(calibration.input, mark: calibrationMark)
        XCTAssertTrue(wait(for: "writing", in: calibrationMark, calibrating))
        let began = Date()
        XCTAssertTrue(wait(for: "written", in: calibrationMark, calibrating))
        let window = Date().timeIntervalSince(began)
        calibrating.waitUntilExit()
        XCTAssertEqual(calibrating.terminationStatus, 0, (try? String(contentsOf: calibrationErrors, encoding: .utf8)) ?? "")
        let batchBytes = calibration.shards.reduce(0) { $0 + size(repo.url($1.0)) }
        print("write phase of a \(eventsPerBatch)-event batch: \(Int(window * 1000)) ms, \(batchBytes) bytes")

        var landedInWrites = 0
        var tornBeforeRecovery = 0
        var recoveryAppends = 0
        var present = 0
        let recoveryShard = "ledger/2040/2040-01.jsonl"
        for i in 0..<kills {
            let twoShards = i % 2 == 1
            let batch = try makeBatch(i, twoShards: twoShards)
            let mark = scratch.appendingPathComponent("kill-\(i).mark")
            let (process, errors) = try start(batch.input, mark: mark)
            guard wait(for: "writing", in: mark, process) else {
                process.waitUntilExit()
                XCTFail("batch \(i) ended (exit \(process.terminationStatus)) before writing: \((try? String(contentsOf: errors, encoding: .utf8)) ?? "")")
                continue
            }
            // A random point of the write phase, by bytes written (the batch's shards are new).
            let target = Int.random(in: 0..<max(1, batchBytes * 98 / 100), using: &random)
            while process.isRunning && batch.shards.reduce(0, { $0 + max(0, size(repo.url($1.0))) }) < target { usleep(50) }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let phases = (try? String(contentsOf: mark, encoding: .utf8)) ?? ""
            if !phases.contains("written") { landedInWrites += 1 }
            // What the dead writer left, before anything rolls it back.
            let left = batch.shards.compactMap { FileManager.default.contents(atPath: repo.url($0.0).path) }
            if left.contains(where: { !$0.isEmpty && $0.last != 10 }) { tornBeforeRecovery += 1 }

            // The next command rolls back what the dead writer left.
            let next: RunResult
            switch i % 10 {
            case 4: next = try repo.spend("report", "--by", "team")
            case 9: next = try repo.spend("lint")
            default:
                next = try repo.spend(
                    "append", "--provider", "openai", "--model", "gpt-4o", "--input", "1", "--output", "1", "--ts", "2040-01-05T00:00:00Z",
                    "--id", "r\(i)", "--tag", "team=crash", "-q")
                recoveryAppends += 1
            }
            XCTAssertEqual(next.status, 0, "after kill \(i): \(next.stderr)")

            var counts: [Int] = []
            for (path, expected) in batch.shards {
                if FileManager.default.fileExists(atPath: repo.url(path).path) {
                    let n = try parsedLines(repo, path, idPrefix: "k\(i)-")
                    XCTAssertEqual(n, expected, "kill \(i): \(path) holds part of the batch")
                    counts.append(n)
                } else {
                    counts.append(0)
                }
            }
            let whole = counts.reduce(0, +)
            XCTAssertTrue(whole == 0 || whole == eventsPerBatch, "kill \(i) (seed \(seed)): \(whole) of \(eventsPerBatch) events in the ledger")
            if whole == eventsPerBatch {
                present += 1
                XCTAssertFalse(next.stderr.contains("rolled back"), "kill \(i): a complete batch was rolled back: \(next.stderr)")
            } else {
                XCTAssertTrue(next.stderr.contains("spend: rolled back an append that was interrupted mid-write"), "kill \(i): \(next.stderr)")
            }
            XCTAssertEqual(size(try journal(repo)), 0, "kill \(i): the journal is cleared")
        }
        XCTAssertEqual(try parsedLines(repo, recoveryShard, idPrefix: "r"), recoveryAppends)
        let lint = try repo.spend("lint")
        XCTAssertEqual(lint.status, 0, lint.stdout + lint.stderr)
        print("kill -9 loop (seed \(seed)): \(landedInWrites) of \(kills) kills landed in the write phase (\(tornBeforeRecovery) left a torn last line); \(present) batches complete, \(kills - present) rolled back")
    }

    /// Simulates a writer that died mid-batch: a record in the journal, a torn
    /// tail on an existing shard and a shard the batch had created.
    static let torn = #"{"ts":"2026-11-04T00:00:00Z","id":"half","provider":"op"#
    static let created = #"{"ts":"2026-12-04T00:00:00Z","id":"new","provider":"openai","model":"gpt-4o","input_tokens":1,"output_tokens":1,"tags":{}}"# + "\n"

    func leaveDeadWriter(_ repo: TestRepo) throws -> (shard: String, size: Int) {
        let shard = "ledger/2026/2026-11.jsonl"
        assertOK(try repo.spend("append", "--provider", "openai", "--model", "gpt-4o", "--input", "10", "--output", "1", "--ts", "2026-11-03T00:00:00Z", "--id", "kept"))
        let size = self.size(repo.url(shard))
        try Data("spend-journal 1\n\(size) old \(shard)\n0 new ledger/2026/2026-12.jsonl\nend 2\n".utf8).write(to: try journal(repo))
        try repo.append(shard, Self.torn)
        try repo.write("ledger/2026/2026-12.jsonl", Self.created)
        return (shard, size)
    }

    func testLintRollsBackWhatADeadWriterLeftAndSaysSo() throws {
        let repo = try makeRepo()
        let (shard, size) = try leaveDeadWriter(repo)
        let lint = try repo.spend("lint")
        XCTAssertEqual(lint.status, 0, lint.stdout + lint.stderr)
        XCTAssertEqual(
            lint.stderr,
            "spend: rolled back an append that was interrupted mid-write (its process died): cut \(shard) back from \(size + Self.torn.utf8.count) to \(size) bytes; removed ledger/2026/2026-12.jsonl (\(Self.created.utf8.count) bytes; the batch had created it)\n"
        )
        XCTAssertEqual(self.size(repo.url(shard)), size)
        XCTAssertFalse(FileManager.default.fileExists(atPath: repo.url("ledger/2026/2026-12.jsonl").path))
        XCTAssertEqual(self.size(try journal(repo)), 0)
        // Nothing left to do the second time.
        let again = try repo.spend("lint")
        XCTAssertEqual(again.stderr, "")
    }

    func testReportAndAppendRollBackToo() throws {
        let repo = try makeRepo()
        _ = try leaveDeadWriter(repo)
        let report = try repo.spend("report")
        XCTAssertEqual(report.status, 0, report.stderr)
        XCTAssertTrue(report.stderr.hasPrefix("spend: rolled back an append that was interrupted mid-write"), report.stderr)
        XCTAssertEqual(tableRow(report, "total")?[1], "1", report.stdout)

        let other = try makeRepo()
        let (shard, size) = try leaveDeadWriter(other)
        let append = try other.spend("append", "--provider", "openai", "--model", "gpt-4o", "--input", "1", "--output", "1", "--ts", "2026-11-05T00:00:00Z", "--id", "after")
        XCTAssertEqual(append.status, 0, append.stderr)
        XCTAssertTrue(append.stderr.contains("cut \(shard) back from \(size + Self.torn.utf8.count) to \(size) bytes"), append.stderr)
        XCTAssertEqual(try other.read(shard).split(separator: "\n").count, 2)
        // The id index follows the cut shard: the removed shard's id is free again, the kept one is not.
        XCTAssertEqual(try other.spend("append", "--provider", "openai", "--model", "gpt-4o", "--input", "1", "--output", "1", "--ts", "2026-12-05T00:00:00Z", "--id", "new").status, 0)
        let duplicate = try other.spend("append", "--provider", "openai", "--model", "gpt-4o", "--input", "1", "--output", "1", "--ts", "2026-11-05T00:00:00Z", "--id", "kept")
        XCTAssertTrue(duplicate.stderr.contains("duplicate id \"kept\""), duplicate.stderr)
    }

    /// A journal whose writer still holds its lock is a batch being written: readers leave it alone.
    func testALiveWritersRecordIsLeftAlone() throws {
        let repo = try makeRepo()
        let (shard, size) = try leaveDeadWriter(repo)
        let fd = open(try journal(repo).path, O_RDWR)
        XCTAssertGreaterThanOrEqual(fd, 0)
        XCTAssertEqual(flock(fd, LOCK_EX), 0)
        let report = try repo.spend("report")
        XCTAssertFalse(report.stderr.contains("rolled back"), report.stderr)
        XCTAssertEqual(self.size(repo.url(shard)), size + Self.torn.utf8.count)
        close(fd)
        // `--rev` reads git objects only: nothing to roll back there.
        try repo.git("add", "-A", "ratecards")
        try repo.git("commit", "-qm", "cards")
        let rev = try repo.spend("report", "--rev", "HEAD")
        XCTAssertFalse(rev.stderr.contains("rolled back"), rev.stderr)
        XCTAssertGreaterThan(self.size(try journal(repo)), 0)
        let lint = try repo.spend("lint")
        XCTAssertTrue(lint.stderr.contains("rolled back"), lint.stderr)
        XCTAssertEqual(self.size(repo.url(shard)), size)
    }

    /// Without git the journal is `.spend-journal` next to `ledger/`.
    func testWithoutGitTheJournalLivesInTheCostRepository() throws {
        let repo = try makeRepo(git: false)
        let r = try repo.spend("append", "--provider", "openai", "--model", "gpt-4o", "--input", "1", "--output", "1", "--ts", "2026-11-05T00:00:00Z")
        assertOK(r)
        XCTAssertEqual(size(repo.url(".spend-journal")), 0)
    }
}
