import XCTest

@testable import SpendCore

/// Diagnostics of a chunk are located incrementally; the figures must equal
/// a full scan from the start of the shard.
final class ChunkLocatorTests: XCTestCase {
    func testMatchesAFullScanFromTheShardStart() {
        var text = ""
        for n in 1...500 { text += String(repeating: "x", count: n % 17) + "line \(n)\n" }
        let bytes = Array(text.utf8)
        let buffer = bytes.withUnsafeBytes { ShardBuffer(shard: LedgerShard(path: "ledger/s.jsonl", content: .file("/dev/null")), copying: $0) }
        let start = bytes.count / 3
        let chunkStart = bytes[start...].firstIndex(of: 10)! + 1
        var locator = ChunkLocator(LedgerChunk(buffer: buffer, range: chunkStart..<bytes.count))
        for offset in stride(from: chunkStart, to: bytes.count, by: 97) {
            let fast = locator.diagnostic(at: offset, rule: .json, message: "m")
            let full = SourcePosition.locate(offset: offset, in: buffer.bytes)
            XCTAssertEqual(fast.line, full.line, "offset \(offset)")
            XCTAssertEqual(fast.column, full.column, "offset \(offset)")
            XCTAssertEqual(fast.sourceLine, full.lineText, "offset \(offset)")
        }
    }
}
