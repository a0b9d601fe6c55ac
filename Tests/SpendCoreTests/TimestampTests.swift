import Foundation
import XCTest

@testable import SpendCore

final class TimestampTests: XCTestCase {
    /// `date -u -d 2026-11-03T14:22:05Z +%s` × 1000.
    let nov3 = Int64(1_793_715_725_000)

    // MARK: Parsing

    func testParsesUTCWithZ() {
        XCTAssertEqual(Timestamp.parse("2026-11-03T14:22:05Z"), nov3)
        XCTAssertEqual(Timestamp.parse("1970-01-01T00:00:00Z"), 0)
    }

    func testParsesMilliseconds() {
        XCTAssertEqual(Timestamp.parse("2026-11-03T14:22:05.123Z"), nov3 + 123)
        XCTAssertEqual(Timestamp.parse("2026-11-03T14:22:05.1Z"), nov3 + 100)
        XCTAssertEqual(Timestamp.parse("2026-11-03T14:22:05.12Z"), nov3 + 120)
    }

    func testParsesOffsetsToUTC() {
        XCTAssertEqual(Timestamp.parse("2026-11-03T16:22:05.123+02:00"), nov3 + 123)
        XCTAssertEqual(Timestamp.parse("2026-11-03T09:22:05-05:00"), nov3)
        XCTAssertEqual(Timestamp.parse("2026-11-03T14:22:05+00:00"), nov3)
        // An offset that crosses midnight lands on the previous UTC day.
        XCTAssertEqual(Timestamp.parse("2026-11-04T01:00:00+02:00"), Timestamp.parse("2026-11-03T23:00:00Z"))
    }

    func testParsesLowercaseAndSpaceSeparators() {
        XCTAssertEqual(Timestamp.parse("2026-11-03t14:22:05z"), nov3)
        XCTAssertEqual(Timestamp.parse("2026-11-03 14:22:05Z"), nov3)
    }

    func testParsesLeapDayOfLeapYearOnly() {
        XCTAssertEqual(Timestamp.parse("2024-02-29T00:00:00Z"), 1_709_164_800_000)
        XCTAssertNil(Timestamp.parse("2025-02-29T00:00:00Z"))
        XCTAssertNotNil(Timestamp.parse("2000-02-29T00:00:00Z"))
        XCTAssertNil(Timestamp.parse("1900-02-29T00:00:00Z"))
    }

    func testRejectsImpossibleDates() {
        XCTAssertNil(Timestamp.parse("2026-02-30T00:00:00Z"))
        XCTAssertNil(Timestamp.parse("2026-13-01T00:00:00Z"))
        XCTAssertNil(Timestamp.parse("2026-00-10T00:00:00Z"))
        XCTAssertNil(Timestamp.parse("2026-11-00T00:00:00Z"))
        XCTAssertNil(Timestamp.parse("2026-04-31T00:00:00Z"))
        XCTAssertNil(Timestamp.parse("2026-11-03T24:00:00Z"))
        XCTAssertNil(Timestamp.parse("2026-11-03T14:60:00Z"))
    }

    func testRejectsMissingZoneAndMalformedText() {
        XCTAssertNil(Timestamp.parse("2026-11-03T14:22:05"))
        XCTAssertNil(Timestamp.parse("2026-11-03T14:22:05.123"))
        XCTAssertNil(Timestamp.parse("2026-11-03T14:22:05.Z"))
        XCTAssertNil(Timestamp.parse("2026-11-03T14:22:05Zjunk"))
        XCTAssertNil(Timestamp.parse("2026-11-03T14:22:05+0200"))
        XCTAssertNil(Timestamp.parse("2026-11-03X14:22:05Z"))
        XCTAssertNil(Timestamp.parse("2026/11/03T14:22:05Z"))
        XCTAssertNil(Timestamp.parse("2026-11-03"))
        XCTAssertNil(Timestamp.parse(""))
    }

    // MARK: Formatting

    func testFormatsWithMillisecondsAndZ() {
        XCTAssertEqual(Timestamp.format(millis: nov3 + 123), "2026-11-03T14:22:05.123Z")
        XCTAssertEqual(Timestamp.format(millis: 0), "1970-01-01T00:00:00.000Z")
        XCTAssertEqual(Timestamp.format(millis: -1), "1969-12-31T23:59:59.999Z")
    }

    func testFormatParseRoundTrip() {
        for ms: Int64 in [0, -1, 1, nov3, nov3 + 999, 951_782_400_000, -86_400_000 * 365 * 30 + 12_345, 4_102_444_799_999] {
            let text = Timestamp.format(millis: ms)
            XCTAssertEqual(Timestamp.parse(text), ms, text)
        }
    }

    func testMonthAndDateStrings() {
        XCTAssertEqual(Timestamp.monthString(millis: nov3), "2026-11")
        XCTAssertEqual(Timestamp.dateString(days: Timestamp.day(ofMillis: nov3)), "2026-11-03")
        XCTAssertEqual(Timestamp.day(ofMillis: -1), -1)
        XCTAssertEqual(Timestamp.day(ofMillis: -86_400_000), -1)
        XCTAssertEqual(Timestamp.day(ofMillis: -86_400_001), -2)
    }

    // MARK: Civil days

    func testDaysFromCivilKnownValues() {
        XCTAssertEqual(Timestamp.daysFromCivil(year: 1970, month: 1, day: 1), 0)
        XCTAssertEqual(Timestamp.daysFromCivil(year: 2026, month: 11, day: 1), 20_758)
        XCTAssertEqual(Timestamp.daysFromCivil(year: 2000, month: 3, day: 1), 11_017)
        XCTAssertEqual(Timestamp.daysFromCivil(year: 2000, month: 2, day: 29), 11_016)
        XCTAssertEqual(Timestamp.daysFromCivil(year: 1969, month: 12, day: 31), -1)
    }

    func testCivilRoundTrip() {
        var days: Int64 = -800_000
        while days <= 800_000 {
            let (y, m, d) = Timestamp.civil(fromDays: days)
            XCTAssertTrue((1...12).contains(m) && d >= 1 && d <= Timestamp.daysInMonth(year: y, month: m), "\(days)")
            XCTAssertEqual(Timestamp.daysFromCivil(year: y, month: m, day: d), days)
            days += 997
        }
        // Every day of a leap year and its neighbours.
        for days in Int64(19_700)...Int64(20_800) {
            let (y, m, d) = Timestamp.civil(fromDays: days)
            XCTAssertEqual(Timestamp.daysFromCivil(year: y, month: m, day: d), days)
        }
    }

    func testCivilOfKnownDays() {
        let c = Timestamp.civil(fromDays: 20_758)
        XCTAssertEqual([c.year, c.month, c.day], [2026, 11, 1])
        let e = Timestamp.civil(fromDays: -1)
        XCTAssertEqual([e.year, e.month, e.day], [1969, 12, 31])
    }

    // MARK: Dates or timestamps (CLI bounds)

    func testParseDateOrTimestampTakesDatesAtMidnightUTC() {
        XCTAssertEqual(Timestamp.parseDateOrTimestamp("2026-11-01"), 1_793_491_200_000)
        XCTAssertEqual(Timestamp.parseDateOrTimestamp("2026-11-03T14:22:05Z"), nov3)
    }

    func testParseDateOrTimestampRejectsBadDates() {
        XCTAssertNil(Timestamp.parseDateOrTimestamp("2026-11-31"))
        XCTAssertNil(Timestamp.parseDateOrTimestamp("2026-13-01"))
        XCTAssertNil(Timestamp.parseDateOrTimestamp("2026-1-01"))
        XCTAssertNil(Timestamp.parseDateOrTimestamp("yesterday"))
    }

    /// Known bug: the date branch reads its fields with `Int64(_:)`, which
    /// accepts a sign, so `2026-+1-01` is taken as 2026-01-01.
    func testParseDateOrTimestampRejectsSignedFields() {
        XCTAssertNil(Timestamp.parseDateOrTimestamp("2026-+1-01"), "2026-+1-01 was accepted as a date")
        XCTAssertNil(Timestamp.parseDateOrTimestamp("+026-11-01"), "+026-11-01 was accepted as a date")
        XCTAssertNil(Timestamp.parseDateOrTimestamp("2026-11-+1"), "2026-11-+1 was accepted as a date")
    }

    // MARK: Report periods

    func label(_ period: Period, _ ts: String) -> String {
        period.label(period.bucket(TestSupport.ms(ts)))
    }

    func testPeriodLabels() {
        XCTAssertEqual(label(.day, "2026-11-03T23:59:59.999Z"), "2026-11-03")
        XCTAssertEqual(label(.month, "2026-11-30T23:59:59Z"), "2026-11")
        XCTAssertEqual(label(.month, "2026-12-01T00:00:00Z"), "2026-12")
        XCTAssertEqual(label(.day, "1969-12-31T12:00:00Z"), "1969-12-31")
        XCTAssertEqual(label(.quarter, "2026-01-01T00:00:00Z"), "2026-Q1")
        XCTAssertEqual(label(.quarter, "2026-03-31T23:59:59.999Z"), "2026-Q1")
        XCTAssertEqual(label(.quarter, "2026-04-01T00:00:00Z"), "2026-Q2")
        XCTAssertEqual(label(.quarter, "2026-12-31T23:59:59Z"), "2026-Q4")
        XCTAssertEqual(label(.quarter, "1969-12-31T23:59:59Z"), "1969-Q4")
        XCTAssertEqual(label(.year, "2026-12-31T23:59:59Z"), "2026")
        XCTAssertEqual(label(.year, "2027-01-01T00:00:00Z"), "2027")
        XCTAssertEqual(label(.year, "1969-06-30T00:00:00Z"), "1969")
    }

    func testISOWeekLabels() {
        XCTAssertEqual(label(.week, "2026-11-03T14:22:05Z"), "2026-W45")
        XCTAssertEqual(label(.week, "2026-11-08T23:59:59Z"), "2026-W45")  // Sunday
        XCTAssertEqual(label(.week, "2026-11-09T00:00:00Z"), "2026-W46")  // Monday
        // ISO years: 2026 has 53 weeks; 2024-12-30 is in 2025's first week.
        XCTAssertEqual(label(.week, "2027-01-01T00:00:00Z"), "2026-W53")
        XCTAssertEqual(label(.week, "2027-01-04T00:00:00Z"), "2027-W01")
        XCTAssertEqual(label(.week, "2024-12-30T00:00:00Z"), "2025-W01")
        XCTAssertEqual(label(.week, "1970-01-01T00:00:00Z"), "1970-W01")
        XCTAssertEqual(label(.week, "1969-12-29T00:00:00Z"), "1970-W01")
        XCTAssertEqual(label(.week, "1969-12-28T00:00:00Z"), "1969-W52")
    }
}

/// Timestamps with more than three fractional digits (microseconds from
/// OpenTelemetry, nanoseconds from Go) trap inside `Timestamp.parse`, which
/// would abort the whole test process, so each is checked in a child process
/// running one probe test of this same test binary.
final class TimestampSubprocessTests: XCTestCase {
    static let childVariable = "SPEND_CORE_TESTS_CHILD_PROBE"

    /// Runs `SpendCoreTests.TimestampSubprocessTests/<probe>` in a child; returns its exit status and output.
    func runProbe(_ probe: String) throws -> (status: Int32, reason: Process.TerminationReason, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = ["SpendCoreTests.TimestampSubprocessTests/\(probe)"]
        var environment = ProcessInfo.processInfo.environment
        environment[Self.childVariable] = "1"
        environment["SWIFT_BACKTRACE"] = "enable=no"
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, process.terminationReason, String(decoding: data, as: UTF8.self))
    }

    /// The child's crash or failure line, for the parent's message.
    static func firstError(_ output: String) -> String {
        output.split(separator: "\n").first { $0.contains("Fatal error") || $0.contains("error:") }.map(String.init)
            ?? "child exited abnormally"
    }

    var isChild: Bool { ProcessInfo.processInfo.environment[Self.childVariable] == "1" }

    func testMicrosecondTimestampIsTruncatedToMillisecondsWithoutCrashing() throws {
        guard !isChild else { return }
        let result = try runProbe("testProbeMicroseconds")
        XCTAssertTrue(
            result.reason == .exit && result.status == 0,
            "\(Self.firstError(result.output)) — Timestamp.parse of \"2026-11-03T14:22:05.123456Z\" failed or crashed in a child process:\n\(result.output.suffix(1500))")
    }

    func testLedgerLineWithNanosecondTimestampScansWithoutCrashing() throws {
        guard !isChild else { return }
        let result = try runProbe("testProbeLedgerNanoseconds")
        XCTAssertTrue(
            result.reason == .exit && result.status == 0,
            "\(Self.firstError(result.output)) — scanning a ledger line with ts \"…05.123456789Z\" failed or crashed in a child process:\n\(result.output.suffix(1500))")
    }

    /// Child only: microseconds parse like the milliseconds they start with.
    func testProbeMicroseconds() {
        guard isChild else { return }
        XCTAssertEqual(Timestamp.parse("2026-11-03T14:22:05.123456Z"), Timestamp.parse("2026-11-03T14:22:05.123Z"))
        XCTAssertEqual(Timestamp.parse("2026-11-03T16:22:05.1234+02:00"), Timestamp.parse("2026-11-03T14:22:05.123Z"))
    }

    /// Child only: a whole ledger line with a nanosecond `ts`.
    func testProbeLedgerNanoseconds() throws {
        guard isChild else { return }
        let line = #"{"ts":"2026-11-03T14:22:05.123456789Z","id":"a","provider":"openai","model":"gpt-4o","input_tokens":1,"output_tokens":1,"tags":{}}"#
        let event = try LedgerEvent.parse(line: line)
        XCTAssertEqual(event.ts, Timestamp.parse("2026-11-03T14:22:05.123Z"))
    }
}
