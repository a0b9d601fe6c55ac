import XCTest

@testable import SpendCore
@testable import SpendRender

final class ExactDecimalTests: XCTestCase {
    // MARK: Parsing

    func testParsesPlainDecimalWithTrailingZeroAsSameValue() {
        let v = ExactDecimal("2.50")
        XCTAssertEqual(v, ExactDecimal("2.5"))
        XCTAssertEqual(v?.description, "2.5")
        XCTAssertEqual(v?.significand, 250)
        XCTAssertEqual(v?.scale, 2)
    }

    func testEqualValuesHashAlike() {
        XCTAssertEqual(Set([ExactDecimal.d("2.50"), ExactDecimal.d("2.5"), ExactDecimal.d("2.500")]).count, 1)
    }

    func testParsesExponentNotation() {
        XCTAssertEqual(ExactDecimal("1e-05")?.description, "0.00001")
        XCTAssertEqual(ExactDecimal("1e-05"), ExactDecimal(significand: 1, scale: 5))
        XCTAssertEqual(ExactDecimal("2.5E3")?.description, "2500")
        XCTAssertEqual(ExactDecimal("1e+16")?.description, "10000000000000000")
    }

    func testParsesNegativeAndLeadingPoint() {
        XCTAssertEqual(ExactDecimal("-0.0375")?.description, "-0.0375")
        XCTAssertEqual(ExactDecimal("-0.0375"), ExactDecimal(significand: -375, scale: 4))
        XCTAssertEqual(ExactDecimal(".5")?.description, "0.5")
        XCTAssertEqual(ExactDecimal("12")?.description, "12")
        XCTAssertEqual(ExactDecimal("+7")?.description, "7")
    }

    func testParsesTomlDigitSeparators() {
        XCTAssertEqual(ExactDecimal("1_000.5")?.description, "1000.5")
    }

    func testRejectsNonNumbers() {
        XCTAssertNil(ExactDecimal("abc"))
        XCTAssertNil(ExactDecimal("1.2.3"))
        XCTAssertNil(ExactDecimal(""))
        XCTAssertNil(ExactDecimal("-"))
        XCTAssertNil(ExactDecimal("."))
        XCTAssertNil(ExactDecimal("1e"))
        XCTAssertNil(ExactDecimal("e5"))
        XCTAssertNil(ExactDecimal(" 1"))
        XCTAssertNil(ExactDecimal("1,5"))
        XCTAssertNil(ExactDecimal("_1"))
    }

    // MARK: Arithmetic

    func testAdditionIsExact() {
        // 0.1 + 0.2 is exactly 0.3, unlike binary floating point.
        XCTAssertEqual((ExactDecimal.d("0.1") + ExactDecimal.d("0.2")).description, "0.3")
        XCTAssertEqual(ExactDecimal.d("0.1") + ExactDecimal.d("0.2"), ExactDecimal.d("0.3"))
        XCTAssertEqual((ExactDecimal.d("1.005") + ExactDecimal.d("2")).description, "3.005")
        XCTAssertEqual((ExactDecimal.d("1") - ExactDecimal.d("0.0001")).description, "0.9999")
    }

    func testMultiplicationIsExact() throws {
        XCTAssertEqual((ExactDecimal.d("2.50") * ExactDecimal.d("0.5")).description, "1.25")
        XCTAssertEqual((ExactDecimal.d("0.075") * ExactDecimal(2000)).description, "150")
        XCTAssertEqual((ExactDecimal.d("-0.0375") * ExactDecimal.d("0.1")).description, "-0.00375")
        XCTAssertEqual(try ExactDecimal.d("4.5").times(1200).description, "5400")
    }

    func testShiftDividesByPowersOfTenExactly() throws {
        XCTAssertEqual(try ExactDecimal(11550).shifted(right: 6).description, "0.01155")
        XCTAssertEqual(try ExactDecimal(20).shifted(right: 3).description, "0.02")
    }

    func testComparison() {
        XCTAssertLessThan(ExactDecimal.d("0.099"), ExactDecimal.d("0.1"))
        XCTAssertLessThan(ExactDecimal.d("-1"), ExactDecimal.d("0.001"))
        XCTAssertTrue(ExactDecimal.d("-0.5").isNegative)
        XCTAssertTrue(ExactDecimal.d("0.000").isZero)
    }

    // MARK: Text

    func testDescriptionHasNoTrailingZeros() {
        XCTAssertEqual(ExactDecimal(significand: 1_155_000, scale: 8).description, "0.01155")
        XCTAssertEqual(ExactDecimal(significand: 12_000, scale: 3).description, "12")
        XCTAssertEqual(ExactDecimal(significand: -35_000, scale: 4).description, "-3.5")
        XCTAssertEqual(ExactDecimal(significand: 0, scale: 4).description, "0")
        XCTAssertEqual(ExactDecimal(significand: 5, scale: 3).description, "0.005")
    }

    func testRoundedIsHalfAwayFromZero() {
        XCTAssertEqual(ExactDecimal.d("1.005").rounded(places: 2).description, "1.01")
        XCTAssertEqual(ExactDecimal.d("-1.005").rounded(places: 2).description, "-1.01")
        XCTAssertEqual(ExactDecimal.d("1.0049").rounded(places: 2).description, "1")
        XCTAssertEqual(ExactDecimal.d("2.5").rounded(places: 0).description, "3")
        XCTAssertEqual(ExactDecimal.d("-2.5").rounded(places: 0).description, "-3")
        XCTAssertEqual(ExactDecimal.d("0.125").rounded(places: 2), ExactDecimal.d("0.13"))
    }

    func testFormattedHasExactlyThePlacesAsked() {
        XCTAssertEqual(ExactDecimal.d("0.01155").formatted(places: 2), "0.01")
        XCTAssertEqual(ExactDecimal.d("0.015").formatted(places: 2), "0.02")
        XCTAssertEqual(ExactDecimal.d("-0.015").formatted(places: 2), "-0.02")
        XCTAssertEqual(ExactDecimal.d("1.5").formatted(places: 4), "1.5000")
        XCTAssertEqual(ExactDecimal.d("12").formatted(places: 2), "12.00")
        XCTAssertEqual(ExactDecimal.d("-0.001").formatted(places: 2), "0.00")
    }

    func testFormattedGroupsThousands() {
        XCTAssertEqual(ExactDecimal.d("1234.567").formatted(places: 2, grouping: true), "1,234.57")
        XCTAssertEqual(ExactDecimal.d("1234567.891").formatted(places: 2, grouping: true), "1,234,567.89")
        XCTAssertEqual(ExactDecimal.d("-1234567").formatted(places: 0, grouping: true), "-1,234,567")
        XCTAssertEqual(ExactDecimal.d("999.999").formatted(places: 2, grouping: true), "1,000.00")
        XCTAssertEqual(ExactDecimal.d("123").formatted(places: 1, grouping: true), "123.0")
        XCTAssertEqual(Format.integer(1_234_567), "1,234,567")
    }

    func testRatioRoundsHalfAwayFromZero() {
        XCTAssertEqual(ExactDecimal(1).ratio(to: ExactDecimal(3), places: 2)?.description, "0.33")
        XCTAssertEqual(ExactDecimal(2).ratio(to: ExactDecimal(3), places: 2)?.description, "0.67")
        XCTAssertEqual(ExactDecimal(1).ratio(to: ExactDecimal(8), places: 2)?.description, "0.13")
        XCTAssertEqual(ExactDecimal(-1).ratio(to: ExactDecimal(8), places: 2)?.description, "-0.13")
        XCTAssertEqual(ExactDecimal.d("0.042").ratio(to: ExactDecimal.d("0.084"), places: 1)?.description, "0.5")
        // A percentage: 25 of 200 is 12.5%.
        XCTAssertEqual((ExactDecimal(25) * 100).ratio(to: ExactDecimal(200), places: 1)?.description, "12.5")
    }

    func testRatioToZeroIsNil() {
        XCTAssertNil(ExactDecimal(1).ratio(to: .zero, places: 2))
    }
}
