import Foundation
import XCTest

@testable import SpendCore

/// `--rev`: ledger and rate cards as of a commit, not the working tree.
final class RevisionTests: XCTestCase {
    static let header = "team,requests,input_tokens,cached_input_tokens,cache_write_tokens,output_tokens,cost"
    /// The gpt-4o point in force from 2024-10-01 in the bundled card.
    static let gpt4oPoint = "model = \"gpt-4o\"\neffective = 2024-10-01\ninput = 2.50\n"

    func testRevHeadIgnoresUncommittedEventsAndPrices() throws {
        let repo = try makeRepo()
        try repo.writeLedger("ledger/2025/2025-01.jsonl", [Fixture.growth])
        try repo.commitAll("ledger")
        // Uncommitted: one more event, and the gpt-4o input price doubled.
        try repo.append("ledger/2025/2025-01.jsonl", Fixture.search + "\n")
        try repo.replace(
            in: "ratecards/openai.toml", Self.gpt4oPoint,
            with: "model = \"gpt-4o\"\neffective = 2024-10-01\ninput = 5.00\n")

        let head = try repo.spend("report", "--rev", "HEAD", "--format", "csv")
        assertOK(head)
        XCTAssertEqual(head.lines, [Self.header, "growth,1,2000,0,0,500,0.01", "(unattributed),0,0,0,0,0,0"])

        // The working tree sees both changes: 2000×5 + 500×10 → 0.015; 1000×5 + 100×10 → 0.006.
        let work = try repo.spend("report", "--format", "csv")
        assertOK(work)
        XCTAssertEqual(
            work.lines,
            [Self.header, "growth,1,2000,0,0,500,0.015", "search,1,1000,0,0,100,0.006", "(unattributed),0,0,0,0,0,0"])
    }

    func testRevAcrossTwoCommits() throws {
        let repo = try makeRepo()
        try repo.writeLedger("ledger/2025/2025-01.jsonl", [Fixture.growth])
        try repo.commitAll("first")
        try repo.git("tag", "v1")
        let first = try repo.git("rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
        try repo.append("ledger/2025/2025-01.jsonl", Fixture.search + "\n")
        try repo.commitAll("second")

        let previous = try repo.spend("report", "--rev", "HEAD~1", "--format", "csv")
        assertOK(previous)
        XCTAssertEqual(previous.lines, [Self.header, "growth,1,2000,0,0,500,0.01", "(unattributed),0,0,0,0,0,0"])

        for rev in ["v1", first] {
            let r = try repo.spend("report", "--rev", rev, "--format", "csv")
            assertOK(r)
            XCTAssertEqual(r.stdout, previous.stdout, "--rev \(rev)")
        }

        let head = try repo.spend("report", "--rev", "HEAD", "--format", "csv")
        assertOK(head)
        XCTAssertEqual(
            head.lines,
            [Self.header, "growth,1,2000,0,0,500,0.01", "search,1,1000,0,0,100,0.0035", "(unattributed),0,0,0,0,0,0"])
    }

    func testRevWhenCostRepositoryIsASubdirectory() throws {
        let repo = try makeRepo(subdirectory: "finance/costs")
        try repo.writeLedger("ledger/2025/2025-01.jsonl", [Fixture.growth])
        try repo.commitAll("costs")
        try repo.append("ledger/2025/2025-01.jsonl", Fixture.search + "\n")
        let r = try repo.spend("report", "--rev", "HEAD", "--format", "csv")
        assertOK(r)
        XCTAssertEqual(r.lines, [Self.header, "growth,1,2000,0,0,500,0.01", "(unattributed),0,0,0,0,0,0"])
        // From the top of the git repository with -C.
        let viaC = try runSpend("spend", ["report", "-C", "finance/costs", "--rev", "HEAD", "--format", "csv"], in: repo.gitRoot)
        assertOK(viaC)
        XCTAssertEqual(viaC.stdout, r.stdout)
    }

    /// A blob that a clean working-tree file holds is mapped from the file
    /// (git's stat check), never once the file has changed.
    func testCleanWorkingTreeFilesStandInForTheirBlobs() throws {
        let repo = try makeRepo(subdirectory: "costs")
        try repo.writeLedger("ledger/2025/2025-01.jsonl", [Fixture.growth])
        try repo.commitAll("ledger")
        let cost = try CostRepository(directory: repo.root.path)
        let snapshot = try cost.snapshot(.revision("HEAD"))
        let shard = try XCTUnwrap(snapshot.shards.first)
        guard case .blob(let id) = shard.content else { return XCTFail("a revision's shard is a blob") }
        let absolute = repo.url(shard.path).path
        do {
            let files = try XCTUnwrap(CleanLedgerFiles(cost))
            XCTAssertEqual(files.blob(path: shard.path, absolutePath: absolute), id)
            let mapped = try XCTUnwrap(files.mapped(blob: id))
            XCTAssertEqual(mapped.withBytes { String(decoding: $0, as: UTF8.self) }, Fixture.growth + "\n")
        }
        try repo.append("ledger/2025/2025-01.jsonl", Fixture.search + "\n")
        let files = try XCTUnwrap(CleanLedgerFiles(cost))
        XCTAssertNil(files.blob(path: shard.path, absolutePath: absolute))
        XCTAssertNil(files.mapped(blob: id))
        let buffers = try LedgerReader.load(snapshot)
        XCTAssertEqual(String(decoding: buffers[0].bytes, as: UTF8.self), Fixture.growth + "\n")
    }

    /// Blob content is read in batches within a memory budget; every chunk
    /// still comes back, in order, with the index of its shard.
    func testChunksOfARevisionAreReadInBatchesWithinABudget() throws {
        let repo = try makeRepo()
        let months = ["2025-01", "2025-02", "2025-03"]
        for (k, month) in months.enumerated() {
            try repo.writeLedger("ledger/2025/\(month).jsonl", Array(repeating: Fixture.growth, count: k + 1))
        }
        try repo.commitAll("three shards")
        // Dirty working-tree files: every shard is read from its blob.
        for month in months { try repo.append("ledger/2025/\(month).jsonl", Fixture.search + "\n") }
        let snapshot = try CostRepository(directory: repo.root.path).snapshot(.revision("HEAD"))
        XCTAssertEqual(snapshot.shards.map(\.path), months.map { "ledger/2025/\($0).jsonl" })
        let line = Fixture.growth.utf8.count + 1
        for budget in [1, line * 2, LedgerReader.blobBudget] {
            let parts = try LedgerReader.mapChunks(snapshot, budget: budget) { chunk in
                (chunk.buffer.shard.path, chunk.range.count)
            }
            XCTAssertEqual(parts.map(\.shard), [0, 1, 2], "budget \(budget)")
            XCTAssertEqual(parts.map(\.result.0), snapshot.shards.map(\.path), "budget \(budget)")
            XCTAssertEqual(parts.map(\.result.1), [line, 2 * line, 3 * line], "budget \(budget)")
        }
    }

    func testUnknownRevision() throws {
        let repo = try makeRepo()
        try repo.writeLedger("ledger/2025/2025-01.jsonl", [Fixture.growth])
        try repo.commitAll("ledger")
        let r = try repo.spend("report", "--rev", "no-such-rev")
        assertRejected(r)
        XCTAssertTrue(r.stderr.contains("unknown revision"), r.stderr)
    }

    func testRevReadsCommittedRateCardErrorsNotWorkingTree() throws {
        let repo = try makeRepo()
        try repo.writeLedger("ledger/2025/2025-01.jsonl", [Fixture.growth])
        try repo.commitAll("ledger")
        // A broken card in the working tree does not affect the committed snapshot.
        try repo.append("ratecards/openai.toml", "\nthis is = = not toml\n")
        let head = try repo.spend("report", "--rev", "HEAD", "--format", "csv")
        assertOK(head)
        XCTAssertEqual(head.lines.count, 3, head.stdout)
        let work = try repo.spend("report", "--format", "csv")
        assertRejected(work)
        XCTAssertTrue(work.stderr.contains("error[toml]"), work.stderr)
    }

    func testRevBeforeTheLedgerExisted() throws {
        let repo = try makeRepo()
        try repo.commitAll("cards only")
        try repo.writeLedger("ledger/2025/2025-01.jsonl", [Fixture.growth])
        try repo.commitAll("ledger")
        let r = try repo.spend("report", "--rev", "HEAD~1", "--format", "csv")
        assertOK(r)
        XCTAssertEqual(r.lines, [Self.header, "(unattributed),0,0,0,0,0,0"])
    }

    func testRevInRepositoryWithoutCommits() throws {
        let repo = try makeRepo()
        try repo.writeLedger("ledger/2025/2025-01.jsonl", [Fixture.growth])
        let r = try repo.spend("report", "--rev", "HEAD")
        assertRejected(r)
    }

    func testRevOutsideGit() throws {
        let repo = try makeRepo(git: false)
        let probe = try runProcess(Paths.git, ["rev-parse", "--git-dir"], in: repo.root)
        if probe.status == 0 { throw XCTSkip("the temporary directory is inside a git repository") }
        try repo.writeLedger("ledger/2025/2025-01.jsonl", [Fixture.growth])
        let r = try repo.spend("report", "--rev", "HEAD")
        assertRejected(r)
        // Without --rev the working tree is enough.
        assertOK(try repo.spend("report"))
    }
}
