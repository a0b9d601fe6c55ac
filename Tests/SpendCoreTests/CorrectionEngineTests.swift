import XCTest

@testable import SpendCore

/// The engine's side of corrections on one chunk: what the consumer is
/// handed with and without the snapshot's corrected ids, what the chunk
/// declares, and the lenient id of a line the scanner rejects.
final class CorrectionEngineTests: XCTestCase {
    static let text = [
        ScanEngineTests.event("a", "2026-11-02T10:00:00Z", tags: #""team":"search""#),
        #"{"ts":"2026-11-03T10:00:00Z","id":"bad","input_tokens":-5}"#,
        ScanEngineTests.event("b", "2026-11-04T10:00:00Z", tags: #""team":"search""#),
        #"{"ts":"2026-11-05T10:00:00Z","id":"v1","corrects":"bad","correction":"void","reason":"broken"}"#,
        #"{"ts":"2026-11-04T10:00:00Z","id":"r1","corrects":"b","correction":"replace","provider":"openai","model":"gpt-4o","input_tokens":10,"output_tokens":1,"tags":{}}"#,
    ].joined(separator: "\n") + "\n"

    func scan(_ scope: ScanScope, corrections: CorrectionSet = .none) -> ScannedChunk<[ScanEngineTests.Recorder.Seen]> {
        let bytes = Array(Self.text.utf8)
        let buffer = bytes.withUnsafeBytes { ShardBuffer(shard: LedgerShard(path: "ledger/2026/2026-11.jsonl", content: .file("/dev/null")), copying: $0) }
        return ScanEngine.scan(LedgerChunk(buffer: buffer, range: 0..<bytes.count), ScanEngineTests.Recorder(scope: scope), corrections: corrections)
    }

    func testVoidsNeverReachTheConsumerAndCorrectedIdsAreSkipped() {
        let first = scan(ScanScope())
        // Without the snapshot's corrections: voids are left out, the rest counts; the bad line is an error.
        XCTAssertEqual(first.partial.map(\.id), ["a", "b", "r1"])
        XCTAssertEqual(first.diagnostics.map(\.line), [2])
        XCTAssertEqual(Set(first.declaredCorrections), Set([CorrectionSurvey.hash("bad"), CorrectionSurvey.hash("b")]))
        // With them: b is replaced by r1, and the voided bad line is skipped without a diagnostic.
        let second = scan(ScanScope(), corrections: CorrectionSet(first.declaredCorrections))
        XCTAssertEqual(second.partial.map(\.id), ["a", "r1"])
        XCTAssertEqual(second.diagnostics, [])
    }

    func testLintScopeSeesEveryLineAsWritten() {
        var scope = ScanScope()
        scope.appliesCorrections = false
        let result = scan(scope, corrections: CorrectionSet([CorrectionSurvey.hash("b")]))
        XCTAssertEqual(result.partial.map(\.id), ["a", "b", "v1", "r1"])
        XCTAssertEqual(result.diagnostics.count, 1)
    }

    func testTheIdOfARejectedLineIsReadLeniently() {
        func id(_ line: String) -> String? {
            let bytes = Array(line.utf8)
            return bytes.withUnsafeBytes { buffer in
                let scanner = LedgerScanner(buffer: buffer)
                return scanner.idOfRejectedLine(at: 0).flatMap { scanner.string($0) }
            }
        }
        XCTAssertEqual(id(#"{"ts":"x","id":"req-1","input_tokens":-5}"#), "req-1")
        XCTAssertEqual(id(#"{"ts":"x", "id" : "req-2" ,"#), "req-2")
        XCTAssertEqual(id(#"{"model":"valid","id":"req-3"}"#), "req-3")
        XCTAssertNil(id(#"{"ts":"x","id":"a\"b"}"#), "an escaped id is not read leniently")
        XCTAssertNil(id(#"{"ts":"x","idx":"req-4"}"#))
        XCTAssertNil(id(#"{"ts":"x"}"# + "\n" + #"{"id":"next-line"}"#), "only the line itself")
    }

    func testTheDigestIsStableAndEmptyWithoutCorrections() {
        XCTAssertEqual(CorrectionSet().digest, "")
        XCTAssertEqual(CorrectionSet([1, 2, 3]).digest, CorrectionSet([3, 1, 2]).digest)
        XCTAssertNotEqual(CorrectionSet([1, 2]).digest, CorrectionSet([1, 3]).digest)
    }
}
