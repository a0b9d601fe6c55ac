import XCTest

@testable import SpendCore

/// `source_cost`: the optional event field for the cost a source reported.
final class SourceCostTests: XCTestCase {
    let base = #"{"ts":"2026-11-03T10:00:00Z","id":"a","provider":"openai","model":"gpt-4o","input_tokens":1,"output_tokens":1,"tags":{}"#

    func testTheScannerReadsItAndTheEncoderWritesItBeforeCost() throws {
        var event = try LedgerEvent.parse(line: base + #","source_cost":"0.0100"}"#)
        XCTAssertEqual(event.sourceCost?.description, "0.01")
        event.cost = ExactDecimal("0.00875")
        XCTAssertTrue(event.jsonLine.hasSuffix(#""tags":{},"source_cost":"0.01","cost":"0.00875"}"#), event.jsonLine)
    }

    func testItMustBeADecimalString() {
        XCTAssertThrowsError(try LedgerEvent.parse(line: base + #","source_cost":0.01}"#)) { error in
            XCTAssertEqual((error as? LedgerScanError)?.message, "source_cost must be a decimal string, e.g. \"0.01155\"")
        }
        let long = "0." + String(repeating: "1", count: 19)
        XCTAssertThrowsError(try LedgerEvent.parse(line: base + #","source_cost":"\#(long)"}"#)) { error in
            XCTAssertEqual((error as? LedgerScanError)?.rule, .overflow)
        }
    }
}
