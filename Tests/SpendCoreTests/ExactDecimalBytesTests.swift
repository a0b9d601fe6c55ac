import SpendBase
import XCTest

/// `appendDescription(to:)` writes exactly the bytes of `description`
/// (`append` writes every cost with it).
final class ExactDecimalBytesTests: XCTestCase {
    func testTheBytesAreTheDescription() throws {
        let values = [
            "0", "1", "-1", "10", "0.5", "-0.5", "0.000123", "-0.000123", "123.456", "1000000", "0.00123000",
            "99999999999999999999999999999999999999", "0.000000000000000000000000000000000001", "-12345678901234567890.123456789",
        ]
        for text in values {
            let value = try XCTUnwrap(ExactDecimal(text), text)
            var bytes: [UInt8] = [120]
            value.appendDescription(to: &bytes)
            XCTAssertEqual(String(decoding: bytes, as: UTF8.self), "x" + value.description, text)
        }
        let scaled = ExactDecimal(significand: 1_230_000, scale: 6)
        var bytes: [UInt8] = []
        scaled.appendDescription(to: &bytes)
        XCTAssertEqual(String(decoding: bytes, as: UTF8.self), "1.23")
    }
}
