import Foundation
import XCTest

@testable import SpendCore

/// Holds the rule registry (`Rule`) against the rule tables of docs/lint.md:
/// every registered id has a row with the same severity under the heading its
/// documentation names, and every row's id is registered.
final class RuleRegistryTests: XCTestCase {
    /// A row of a rule table: the id, its severity and the `###` heading above it.
    struct Row: Equatable {
        var id: String
        var severity: String
        var heading: String
    }

    /// The rows of every table under `## Rules` whose first column is `rule`.
    static func documentedRules() throws -> [Row] {
        let root = URL(fileURLWithPath: #filePath)  // …/Tests/SpendCoreTests/RuleRegistryTests.swift
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("docs/lint.md"), encoding: .utf8)
        var rows: [Row] = []
        var inRules = false
        var heading = ""
        var columns: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("## ") { inRules = line == "## Rules" }
            guard inRules else { continue }
            if line.hasPrefix("### ") {
                heading = String(line.dropFirst(4))
                columns = []
                continue
            }
            guard line.hasPrefix("|") else {
                columns = []
                continue
            }
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).dropFirst().dropLast()
                .map { $0.trimmingCharacters(in: .whitespaces) }
            if columns.isEmpty {
                columns = cells
                continue
            }
            guard columns.first == "rule", !cells.allSatisfy({ $0.allSatisfy { $0 == "-" } }) else { continue }
            let id = cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            let severity = columns.firstIndex(of: "severity").map { cells[$0].replacingOccurrences(of: "*", with: "") } ?? ""
            rows.append(Row(id: id, severity: severity, heading: heading))
        }
        return rows
    }

    func testEveryRegisteredRuleIsDocumentedWithItsSeverityAndSection() throws {
        let rows = try Self.documentedRules()
        XCTAssertGreaterThan(rows.count, 30, "the rule tables of docs/lint.md were not found")
        for rule in Rule.allCases {
            let documented = rows.filter { $0.id == rule.id }
            XCTAssertFalse(documented.isEmpty, "rule \(rule.id) is registered but has no row in docs/lint.md")
            for row in documented {
                XCTAssertEqual(row.severity, rule.severity.rawValue, "severity of \(rule.id) under \"\(row.heading)\"")
            }
            XCTAssertTrue(
                documented.contains { $0.heading == rule.definition.section.heading },
                "rule \(rule.id) is not in the table under \"\(rule.definition.section.heading)\" (found under \(documented.map(\.heading)))")
        }
    }

    func testEveryDocumentedRuleIsRegistered() throws {
        for row in try Self.documentedRules() {
            XCTAssertNotNil(Rule(rawValue: row.id), "docs/lint.md lists \(row.id) under \"\(row.heading)\", but Rule has no such case")
        }
    }

    func testSectionsAreHeadingsOfTheDocumentWithTheirAnchors() throws {
        let headings = Set(try Self.documentedRules().map(\.heading))
        for section in Rule.Section.allCases {
            XCTAssertTrue(headings.contains(section.heading), "no rule table under \"### \(section.heading)\" in docs/lint.md")
        }
        XCTAssertEqual(Rule.json.documentation, "docs/lint.md#events-ledgerjsonl")
        XCTAssertEqual(Rule.symlink.documentation, "docs/lint.md#files-ledger-ratecards-working-tree")
        XCTAssertEqual(Rule.ratecardBackdated.documentation, "docs/lint.md#rate-cards-ratecardstoml")
        XCTAssertEqual(Rule.policy.documentation, "docs/lint.md#policy-spendtoml")
        XCTAssertEqual(Rule.io.documentation, "docs/lint.md#raised-by-other-verbs")
    }

    func testIdsAreUniqueAndPrintedAsTheyAreRegistered() {
        XCTAssertEqual(Set(Rule.allCases.map(\.id)).count, Rule.allCases.count)
        XCTAssertEqual("\(Rule.tagRequired)", "tag-required")
        let d = Diagnostic(path: "ledger/2026/2026-11.jsonl", line: 3, column: 135, rule: .tagRequired, message: "missing tag \"team\"")
        XCTAssertEqual(d.description, "ledger/2026/2026-11.jsonl:3:135: error[tag-required]: missing tag \"team\"")
        let w = Diagnostic(path: "ratecards/openai.toml", line: 9, rule: .ratecardBackdated, message: "new price point")
        XCTAssertEqual(w.description, "ratecards/openai.toml:9: warning[ratecard-backdated]: new price point")
    }
}
