import XCTest

@testable import SpendCore
@testable import SpendRender

/// The render layer's number formats: each verb's table form, byte for byte
/// (the forms were gathered from the renderers into `Format` unchanged).
final class RenderFormatTests: XCTestCase {
    func testDollarsPutTheSignAfterTheDollar() {
        XCTAssertEqual(Format.dollars(.d("1234.567"), places: 2), "$1,234.57")
        XCTAssertEqual(Format.dollars(.d("-3"), places: 2), "$-3.00")
        XCTAssertEqual(Format.dollars(.d("1234.5"), places: 5, grouping: false), "$1234.50000")
    }

    func testRepriceMoneyPutsTheSignFirst() {
        XCTAssertEqual(Format.money(.d("-1234.5"), places: 2), "-$1,234.50")
        XCTAssertEqual(Format.money(.d("3"), places: 2), "$3.00")
        XCTAssertEqual(Format.signedMoney(.d("0.4"), places: 2), "+$0.40")
        XCTAssertEqual(Format.signedMoney(.d("-0.4"), places: 2), "-$0.40")
        XCTAssertEqual(Format.signedMoney(.zero, places: 2), "$0.00")
        XCTAssertEqual(Format.signedMoney(.d("0.001"), places: 2), "+$0.00")
        XCTAssertEqual(Format.signedMoney(.d("-0.001"), places: 2), "$0.00")
    }

    func testAuditImpactMarksAnyNonZeroAmount() {
        XCTAssertEqual(Format.impact(.d("12.5"), places: 2), "+$12.50")
        XCTAssertEqual(Format.impact(.d("-12.5"), places: 2), "-$12.50")
        XCTAssertEqual(Format.impact(.zero, places: 2), "$0.00")
        XCTAssertEqual(Format.impact(.d("-0.001"), places: 2), "+$0.00")
    }

    func testDiffDeltaIsUnsignedWhenItRoundsToZero() {
        XCTAssertEqual(Format.delta(.d("1234.5"), places: 2), "+$1,234.50")
        XCTAssertEqual(Format.delta(.d("-1234.5"), places: 2), "-$1,234.50")
        XCTAssertEqual(Format.delta(.d("0.001"), places: 2), "$0.00")
        XCTAssertEqual(Format.delta(.d("-0.001"), places: 2), "$0.00")
    }

    func testPercentChange() {
        XCTAssertEqual(Format.percentChange(.d("12.5"), none: "new"), "+12.5%")
        XCTAssertEqual(Format.percentChange(.d("-3"), none: "new"), "-3.0%")
        XCTAssertEqual(Format.percentChange(.zero, none: "new"), "0.0%")
        XCTAssertEqual(Format.percentChange(.zero, none: "", plusOnZero: true), "+0.0%")
        XCTAssertEqual(Format.percentChange(nil, none: "-"), "-")
        XCTAssertEqual(Format.percent(.d("12.45")), "12.5%")
    }
}
