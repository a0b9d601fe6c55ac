import SpendTestSupport
import XCTest

@testable import SpendCore

/// Blob ids of working-tree files are computed without libgit2; they must be
/// exactly what `git hash-object` prints.
final class ObjectIDTests: XCTestCase {
    func blob(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { ObjectID.blob(of: $0).hex }
    }

    func testKnownBlobIds() {
        XCTAssertEqual(blob([]), "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391")
        XCTAssertEqual(blob(Array("hello\n".utf8)), "ce013625030ba8dba906f756967f9e9ca394464a")
    }

    /// Every length around the 64-byte block and padding boundaries, against `git hash-object`.
    func testMatchesGitAtEveryBoundary() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spend-oid-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var rng = SplitMix64(seed: 5)
        let lengths = Array(0...130) + [1000, 4095, 4096, 65_537, 1_000_003]
        var expected: [String] = []
        var paths: [String] = []
        for length in lengths {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let path = dir.appendingPathComponent("f\(length)").path
            FileManager.default.createFile(atPath: path, contents: Data(bytes))
            paths.append(path)
            expected.append(blob(bytes))
        }
        let git = Process()
        git.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        git.arguments = ["git", "hash-object"] + paths
        let pipe = Pipe()
        git.standardOutput = pipe
        try git.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        git.waitUntilExit()
        XCTAssertEqual(git.terminationStatus, 0)
        let ids = output.split(separator: "\n").map(String.init)
        XCTAssertEqual(ids.count, lengths.count)
        for (i, length) in lengths.enumerated() where i < ids.count {
            XCTAssertEqual(expected[i], ids[i], "length \(length)")
        }
    }
}
