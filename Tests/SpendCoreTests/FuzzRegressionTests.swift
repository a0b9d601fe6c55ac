import Foundation
import XCTest

@testable import SpendCore

/// Replays the fuzzers' seed corpora (`Fuzz/Corpus/TARGET/`) and saved
/// findings (`Tests/Fixtures/fuzz/TARGET/`) through the same checks the
/// libFuzzer harnesses run (`Fuzz/Sources/FuzzHarness`, linked into this
/// target as `FuzzHarness/`), so `swift test` catches a regression without
/// the fuzzer. See docs/fuzzing.md.
final class FuzzRegressionTests: XCTestCase {
    /// What other work still has to fix: `Fuzz/pending`, as `scripts/fuzz` reads it.
    static let pending: Set<PendingRule> = {
        let text = (try? String(contentsOfFile: TestSupport.packageRoot + "/Fuzz/pending", encoding: .utf8)) ?? ""
        return PendingRule.parse(text.split(separator: "\n").filter { !$0.hasPrefix("#") }.joined(separator: ","))
    }()

    func testLedgerInputs() throws { try replay(.ledger) }
    func testRateCardInputs() throws { try replay(.ratecard) }
    func testPolicyInputs() throws { try replay(.policy) }
    func testOpenAIResponseInputs() throws { try replay(.openaiResponse) }
    func testAnthropicResponseInputs() throws { try replay(.anthropicResponse) }
    func testGlobInputs() throws { try replay(.glob) }
    func testRevisionInputs() throws { try replay(.revision) }

    /// The reference decoder holds the scanner to the strict-input rules: a
    /// duplicate tag key is json where it stands, before a missing key (found
    /// by the ledger fuzzer: the reference said schema for a line that also
    /// lacked "model").
    func testReferenceRejectsDuplicateKeysAsJSONLeftToRight() {
        let line = #"{"ts":"2026-10-01T00:00:00Z","id":"x","provider":"p","input_tokens":1,"output_tokens":1,"tags":{"a":"1","a":"2"}}"#
        guard case .rejected(let rules, _, let pending) = ReferenceLedger.decode(Array(line.utf8)) else {
            return XCTFail("the reference accepts a duplicate tag key")
        }
        XCTAssertEqual(rules, ["json"])
        XCTAssertNil(pending)
        let finding = Array((line + "\n").utf8).withUnsafeBytes { FuzzTarget.ledger.check($0, pending: []) }
        XCTAssertNil(finding)
    }

    private func replay(_ target: FuzzTarget) throws {
        let fm = FileManager.default
        var files: [String] = []
        for dir in ["Fuzz/Corpus/", "Tests/Fixtures/fuzz/"].map({ TestSupport.packageRoot + "/" + $0 + target.rawValue }) {
            files += ((try? fm.contentsOfDirectory(atPath: dir)) ?? []).sorted().map { dir + "/" + $0 }
        }
        XCTAssertFalse(files.isEmpty, "no inputs for \(target.rawValue)")
        for file in files {
            let bytes = try XCTUnwrap(fm.contents(atPath: file), file)
            let finding = Array(bytes).withUnsafeBytes { target.check($0, pending: Self.pending) }
            XCTAssertNil(finding, "\(file): \(finding ?? "")")
        }
    }
}

/// Defects the fuzzers found, fixed here.
final class FuzzFindingTests: XCTestCase {
    /// `created` of 9223372036854775807 trapped on `created * 1000` (arithmetic overflow).
    func testOpenAICreatedOutOfRangeIsAResponseError() {
        for created in ["9223372036854775807", "1.7e27", "-62135596801", "253402300800"] {
            let body = #"{"model":"gpt-4o","created":\#(created),"usage":{"prompt_tokens":1,"completion_tokens":1}}"#
            XCTAssertThrowsError(try ProviderResponse.draft(.openai, body: Array(body.utf8), path: "r.json"), created) { error in
                let d = (error as? DiagnosticsError)?.diagnostics.first
                XCTAssertEqual(d?.rule, "response")
                XCTAssertTrue(d?.message.hasPrefix("created (") == true, d?.message ?? "")
                XCTAssertTrue(d?.message.hasSuffix(") is not a Unix time in seconds within years 0001–9999") == true, d?.message ?? "")
            }
        }
        let body = #"{"model":"gpt-4o","created_at":253402300799,"usage":{"input_tokens":1,"output_tokens":1}}"#
        XCTAssertEqual(try ProviderResponse.draft(.openai, body: Array(body.utf8), path: "r.json").event.ts, 253_402_300_799_000)
    }
}
