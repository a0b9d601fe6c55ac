import Foundation
import SpendTestSupport
import XCTest

@testable import SpendCore

/// `ShardIdTable`: the exact id check of a large append (a re-import) reads a
/// shard's ids in parallel pieces and compares bytes, not hashes.
final class ShardIdTableTests: XCTestCase {
    func shard(_ lines: [String]) throws -> (path: String, fd: Int32, size: Int) {
        let dir = try TestSupport.temporaryDirectory()
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/2026-11.jsonl"
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let fd = open(path, O_RDONLY)
        addTeardownBlock { close(fd) }
        var info = stat()
        fstat(fd, &info)
        return (path, fd, Int(info.st_size))
    }

    func line(_ id: String, keysFirst: Bool = false) -> String {
        keysFirst
            ? #"{"provider":"openai","model":"gpt-4o","ts":"2026-11-01T00:00:00.000Z","id":"# + id
                + #","input_tokens":1,"output_tokens":1,"tags":{}}"#
            : #"{"ts":"2026-11-01T00:00:00.000Z","id":"# + id + #","provider":"openai","model":"gpt-4o","input_tokens":1,"output_tokens":1,"tags":{}}"#
    }

    func testFindsEveryIdWhereverItsKeyStandsAndOnlyThoseIds() throws {
        var lines: [String] = []
        for i in 0..<5000 { lines.append(line("\"litellm:req-\(i)\"", keysFirst: i % 7 == 0)) }
        lines.append(line(#""esc\u0061ped""#))  // written with an escape: "escaped"
        lines.append("not json at all")
        lines.append(line("\"after-the-bad-line\""))
        let s = try shard(lines)
        let table = try ShardIdTable.table(absolute: s.path, identity: ShardIdTable.identity(fd: s.fd, size: s.size))
        XCTAssertEqual(table.count, 5002)
        for id in ["litellm:req-0", "litellm:req-7", "litellm:req-4999", "escaped", "after-the-bad-line"] {
            XCTAssertTrue(table.contains(id, hash: IdIndex.hash(id)), id)
        }
        for id in ["litellm:req-5000", "litellm:req-", "esc\\u0061ped", "not json at all", ""] {
            XCTAssertFalse(table.contains(id, hash: IdIndex.hash(id)), id)
        }
    }

    /// A hash match alone is not a duplicate: the bytes are compared.
    func testAHashMatchWithOtherBytesIsNotADuplicate() throws {
        let s = try shard([line("\"a\"")])
        let table = try ShardIdTable.table(absolute: s.path, identity: ShardIdTable.identity(fd: s.fd, size: s.size))
        XCTAssertTrue(table.contains("a", hash: IdIndex.hash("a")))
        XCTAssertFalse(table.contains("b", hash: IdIndex.hash("a")))
    }

    /// The pieces read in parallel are whole lines and cover the shard.
    func testPiecesAreWholeLinesCoveringTheShard() {
        let text = Array((0..<20000).map { "line \($0)\n" }.joined().utf8)
        text.withUnsafeBytes { bytes in
            let pieces = ShardIdTable.pieces(of: bytes, count: 8)
            XCTAssertGreaterThan(pieces.count, 1)
            XCTAssertEqual(pieces.first?.lowerBound, 0)
            XCTAssertEqual(pieces.last?.upperBound, bytes.count)
            for (a, b) in zip(pieces, pieces.dropFirst()) {
                XCTAssertEqual(a.upperBound, b.lowerBound)
                XCTAssertEqual(bytes[a.upperBound - 1], 10)
            }
        }
    }

    /// A writer that appends to a shard whose table it kept extends the table
    /// with the ids it wrote: the next append (the next part of an import)
    /// checks against it without reading the shard again.
    func testAnAppendExtendsTheKeptTableWithTheIdsItWrote() throws {
        let dir = try TestSupport.temporaryDirectory()
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/ratecards", withIntermediateDirectories: true)
        for name in TestSupport.bundledCardNames {
            try FileManager.default.copyItem(atPath: TestSupport.packageRoot + "/ratecards/" + name, toPath: dir + "/ratecards/" + name)
        }
        let appender = try LedgerAppender(repository: try CostRepository(directory: dir))
        var settings = AppendSettings(now: 0, code: CodeVersion(commit: nil, release: nil))
        settings.skipDuplicates = true
        func write(_ ids: [String]) throws -> (written: [String], skipped: [String]) {
            let lines = ids.map { line("\"\($0)\"") }.joined(separator: "\n")
            let (events, _) = try Array(lines.utf8).withUnsafeBytes { bytes throws(SpendError) in
                try appender.prepare(jsonLines: bytes, path: "<test>", settings: settings)
            }
            let outcome = try appender.write(events, settings: settings)
            return (outcome.events.map(\.id), outcome.skipped.map(\.id))
        }
        _ = try write(["a", "b"])
        let before = ShardIdTable.reads.load(ordering: .relaxed)
        XCTAssertEqual(try write(["a", "c"]).skipped, ["a"])  // a hash hit: the shard's ids are read once
        XCTAssertEqual(ShardIdTable.reads.load(ordering: .relaxed), before + 1)
        let third = try write(["c", "d", "b"])
        XCTAssertEqual(third.written, ["d"])
        XCTAssertEqual(third.skipped, ["c", "b"])
        XCTAssertEqual(ShardIdTable.reads.load(ordering: .relaxed), before + 1, "c was found in the extended table")
    }

    /// An unchanged shard's table is reused by the next append; a changed one is read again.
    func testAnUnchangedShardsTableIsReusedAndAChangedOneIsReadAgain() throws {
        let s = try shard([line("\"one\"")])
        let first = try ShardIdTable.table(absolute: s.path, identity: ShardIdTable.identity(fd: s.fd, size: s.size))
        XCTAssertTrue(first === (try ShardIdTable.table(absolute: s.path, identity: ShardIdTable.identity(fd: s.fd, size: s.size))))
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: s.path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data((line("\"two\"") + "\n").utf8))
        try handle.close()
        var info = stat()
        fstat(s.fd, &info)
        let second = try ShardIdTable.table(absolute: s.path, identity: ShardIdTable.identity(fd: s.fd, size: Int(info.st_size)))
        XCTAssertFalse(first === second)
        XCTAssertTrue(second.contains("two", hash: IdIndex.hash("two")))
        XCTAssertFalse(first.contains("two", hash: IdIndex.hash("two")))
    }
}
