import Foundation
import XCTest

@testable import SpendCore

/// The library's parsers of what people type: grouping lists and filters
/// (one parser for report, reprice, diff and releases) and default tags; each
/// problem is a structured ``RequestProblem`` that names no CLI flag.
final class RequestParsingTests: XCTestCase {
    func expectProblem<T>(_ expected: RequestProblem, _ body: () throws(SpendError) -> T, line: UInt = #line) {
        do {
            let value = try body()
            XCTFail("expected \(expected), got \(value)", line: line)
        } catch {
            XCTAssertEqual(error, .request(expected), line: line)
            XCTAssertFalse(error.description.contains("--"), "a library message names a CLI flag: \(error)", line: line)
        }
    }

    func testGroupingNamesAreTrimmedAndNoneMayBeEmpty() throws {
        XCTAssertEqual(try ReportQuery.groupingNames(parsing: "team, model ,tags.env"), ["team", "model", "tags.env"])
        expectProblem(.emptyGroupingName(example: "team,model")) { () throws(SpendError) in try ReportQuery.groupingNames(parsing: "team,,model") }
        expectProblem(.emptyGroupingName(example: "team,model")) { () throws(SpendError) in try ReportQuery.groupingNames(parsing: "") }
        expectProblem(.emptyGroupingName(example: "month,model")) { () throws(SpendError) in
            try ReportQuery.groupingNames(parsing: "month,", example: "month,model")
        }
    }

    func testAQueryParsedFromText() throws {
        let q = try ReportQuery(parsing: "team,model", period: .month, filters: ["env=prod", "provider!=openai"])
        XCTAssertEqual(q.dimensions, [.tag("team"), .field(.model)])
        XCTAssertEqual(q.dimensionNames, ["team", "model"])
        XCTAssertEqual(q.period, .month)
        XCTAssertEqual(
            q.filters,
            [
                WhereClause(dimension: .tag("env"), value: "prod", negated: false),
                WhereClause(dimension: .field(.provider), value: "openai", negated: true),
            ])
        XCTAssertEqual(q, try ReportQuery(by: ["team", "model"], period: .month, filters: try ReportQuery.filters(parsing: ["env=prod", "provider!=openai"])))
        expectProblem(.badFilter("env")) { () throws(SpendError) in try ReportQuery(parsing: "team", filters: ["env"]) }
        expectProblem(.tooManyGroupingNames(max: ReportQuery.maxDimensions, inDiff: false)) { () throws(SpendError) in
            try ReportQuery(parsing: Array(repeating: "team", count: ReportQuery.maxDimensions + 1).joined(separator: ","))
        }
    }

    func testDefaultTagsFromAListThenPairs() throws {
        XCTAssertEqual(try DefaultTags.parse(list: nil), [:])
        XCTAssertEqual(try DefaultTags.parse(list: " team=growth, ,env=prod,"), ["team": "growth", "env": "prod"])
        XCTAssertEqual(
            try DefaultTags.parse(list: "team=growth,env=prod", pairs: ["team=platform", "feature=a=b"]),
            ["team": "platform", "env": "prod", "feature": "a=b"])
        XCTAssertEqual(try DefaultTags.parse(list: "note="), ["note": ""])
        expectProblem(.badTagList("team")) { () throws(SpendError) in try DefaultTags.parse(list: "env=prod, team") }
        expectProblem(.badTagList("=x")) { () throws(SpendError) in try DefaultTags.parse(list: "=x") }
        expectProblem(.badTag("team")) { () throws(SpendError) in try DefaultTags.parse(list: "env=prod", pairs: ["team"]) }
        XCTAssertNil(DefaultTags.pair("=growth"))
        XCTAssertEqual(DefaultTags.pair("team=")?.key, "team")
    }

    func testLibraryRequestMessagesNameNoFlag() {
        let problems: [RequestProblem] = [
            .emptyGroupingName(example: "team,model"), .tooManyGroupingNames(max: 6, inDiff: true), .repeatedPeriod("day", "week"),
            .unknownGroupingName("a b"), .badFilter("x"), .badTag("x"), .badTagList("x"), .releasePairNeeded,
            .referencePrices(path: "p.json", .unreadable), .needsGitRepository(root: "/r", for: .staged), .bareRepository(root: "/r"),
        ]
        for problem in problems {
            XCTAssertFalse(problem.description.contains("--"), problem.description)
            XCTAssertFalse(problem.description.contains("SPEND_"), problem.description)
        }
    }
}
