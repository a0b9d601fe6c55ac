import Foundation
import XCTest

/// Finding the cost repository: `-C DIR`, ancestors, and outside any repository.
final class RepositoryTests: XCTestCase {
    static let expectedCSV = """
        team,requests,input_tokens,cached_input_tokens,cache_write_tokens,output_tokens,cost
        growth,1,2000,0,0,500,0.01
        (unattributed),0,0,0,0,0,0

        """

    func testDashCFromAnotherDirectory() throws {
        let repo = try makeRepo()
        try repo.writeLedger("ledger/2025/2025-01.jsonl", [Fixture.growth])
        let elsewhere = try makeTempDir()
        let r = try repo.spend("report", "-C", repo.root.path, "--format", "csv", cwd: elsewhere)
        assertOK(r)
        XCTAssertEqual(r.stdout, Self.expectedCSV)
    }

    func testDashCRelativePath() throws {
        let repo = try makeRepo()
        try repo.writeLedger("ledger/2025/2025-01.jsonl", [Fixture.growth])
        let parent = repo.root.deletingLastPathComponent()
        let r = try repo.spend("report", "-C", repo.root.lastPathComponent, "--format", "csv", cwd: parent)
        assertOK(r)
        XCTAssertEqual(r.stdout, Self.expectedCSV)
    }

    func testFindsRepositoryFromSubdirectory() throws {
        let repo = try makeRepo()
        try repo.writeLedger("ledger/2025/2025-01.jsonl", [Fixture.growth])
        let r = try repo.spend("report", "--format", "csv", cwd: repo.url("ledger/2025"))
        assertOK(r)
        XCTAssertEqual(r.stdout, Self.expectedCSV)
    }

    func testOutsideAnyCostRepository() throws {
        let empty = try makeTempDir()
        // The check walks up to /: make sure no ancestor of the temp dir looks like a cost repository.
        var dir = empty.deletingLastPathComponent()
        while true {
            for marker in ["ratecards", "ledger", "spend.toml"]
            where FileManager.default.fileExists(atPath: dir.appendingPathComponent(marker).path) {
                throw XCTSkip("\(dir.path) contains \(marker); cannot test 'outside a cost repository' here")
            }
            let parent = dir.deletingLastPathComponent()
            if parent.path == dir.path { break }
            dir = parent
        }
        let fromCwd = try runSpend("spend", ["report"], in: empty)
        assertRejected(fromCwd)
        XCTAssertTrue(fromCwd.stderr.contains("not a cost repository"), fromCwd.stderr)

        let viaC = try runSpend("spend", ["report", "-C", empty.path], in: Paths.packageRoot)
        assertRejected(viaC)
        XCTAssertTrue(viaC.stderr.contains("not a cost repository"), viaC.stderr)
    }

    func testDashCMissingDirectory() throws {
        let empty = try makeTempDir()
        let r = try runSpend("spend", ["report", "-C", empty.appendingPathComponent("nope").path], in: empty)
        assertRejected(r)
    }
}
