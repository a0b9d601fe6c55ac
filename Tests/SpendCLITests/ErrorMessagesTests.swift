import ArgumentParser
import Foundation
import SpendCLI
import XCTest

@testable import SpendCore

/// `ErrorMessages`: every kind of error a command throws becomes one message
/// (text and stream) and one exit code, in one place; the library's request
/// problems are worded there with the CLI's flags.
final class ErrorMessagesTests: XCTestCase {
    func message(_ error: any Error, note: String = "nothing was reported") -> ErrorMessage {
        ErrorMessages.message(for: error, command: ReportCommand.self, rejectionNote: note)
    }

    func assertError(_ error: any Error, _ text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(message(error), ErrorMessage(text: text, stream: .standardError, exitCode: 2), file: file, line: line)
    }

    func testUsageIsOneEscapedLineExit2() {
        assertError(SpendError.usage("no such revision 'a\nb'"), "spend: error: no such revision 'a\\nb'\n")
    }

    func testIOAndGitErrorsExit2WrappedOrNot() {
        let io = IOError(path: "/nowhere/x", errno: ENOENT)
        assertError(SpendError.io(io), "spend: error: /nowhere/x: No such file or directory\n")
        assertError(io, "spend: error: /nowhere/x: No such file or directory\n")
        let git = GitError(message: "reading the index: index file corrupt")
        assertError(SpendError.git(git), "spend: error: reading the index: index file corrupt\n")
        assertError(git, "spend: error: reading the index: index file corrupt\n")
    }

    func testInputDiagnosticsThenTheCountAndTheNote() {
        let diagnostics = [
            Diagnostic(path: "ledger/a.jsonl", line: 3, column: 5, rule: .json, message: "expected a value", sourceLine: "{\"a\":}"),
            Diagnostic(path: "ledger/a.jsonl", line: 4, severity: .warning, rule: .tagRequired, message: "no team"),
        ]
        XCTAssertEqual(
            ErrorMessages.message(for: SpendError.input(diagnostics, omitted: 2), command: ReportCommand.self, rejectionNote: "nothing was written"),
            ErrorMessage(
                text: """
                    ledger/a.jsonl:3:5: error[json]: expected a value
                      |
                    3 | {"a":}
                      |     ^
                    ledger/a.jsonl:4: warning[tag-required]: no team
                    spend: 2 more errors not shown
                    spend: 3 errors; nothing was written

                    """, stream: .standardError, exitCode: 2))
        assertError(
            SpendError.input([Diagnostic(path: "spend.toml", rule: .policy, message: "bad")]),
            "spend.toml: error[policy]: bad\nspend: 1 error; nothing was reported\n")
    }

    func testRequestProblemsAreWordedWithTheirFlags() {
        let cases: [(RequestProblem, String)] = [
            (.emptyGroupingName(example: "team,model"), "--by expects a comma list of names, e.g. --by team,model"),
            (.emptyGroupingName(example: "month,model"), "--by expects a comma list of names, e.g. --by month,model"),
            (.tooManyGroupingNames(max: 11, inDiff: false), "--by takes at most 11 names"),
            (.tooManyGroupingNames(max: 6, inDiff: true), "--by takes at most 6 names in spend diff"),
            (.repeatedPeriod("month", "week"), "--by takes at most one of day, week, month, quarter, year (got 'month' and 'week')"),
            (
                .unknownGroupingName("team=x"),
                "unknown --by name 'team=x': expected day, week, month, quarter, year, an event field (provider, model, priced_model, …) or a tag"
            ),
            (.badFilter("team"), "--where expects KEY=VALUE or KEY!=VALUE, got 'team'"),
            (.badTag("team"), "--tag expects KEY=VALUE, got 'team'"),
            (.badTagList("team"), "SPEND_TAGS expects KEY=VALUE pairs separated by commas, got 'team'"),
            (.releasePairNeeded, "--releases needs two release tags: spend diff --releases R1 R2 (or R1..R2)"),
            (.referencePrices(path: "p.json", .unreadable), "--litellm p.json: cannot read the file"),
            (
                .referencePrices(path: "p.json", .notJSON),
                "--litellm p.json: not valid JSON (expected LiteLLM's model_prices_and_context_window.json)"
            ),
            (
                .referencePrices(path: "p.json", .notObject),
                "--litellm p.json: expected a JSON object of model names (LiteLLM's model_prices_and_context_window.json)"
            ),
            (.needsGitRepository(root: "/r", for: .staged), "/r is not inside a git repository (needed for --staged)"),
            (.needsGitRepository(root: "/r", for: .revision), "/r is not inside a git repository (needed for --rev)"),
            (.needsGitRepository(root: "/r", for: .commits), "/r is not inside a git repository (needed for --commits)"),
            (.bareRepository(root: "/r"), "/r is a bare repository: use --rev or --commits"),
        ]
        for (problem, text) in cases {
            XCTAssertEqual(ErrorMessages.text(for: problem), text)
            assertError(SpendError.request(problem), "spend: error: " + text + "\n")
        }
    }

    func testExitCodeSaysNothing() {
        XCTAssertEqual(message(ExitCode(1)), ErrorMessage(text: "", stream: .standardError, exitCode: 1))
    }

    func testParserErrorsKeepTheParsersText() throws {
        func parse(_ arguments: [String]) -> any Error {
            do {
                _ = try ReportCommand.parseAsRoot(arguments)
                XCTFail("parsed \(arguments)")
                return ExitCode(0)
            } catch {
                return error
            }
        }
        let help = message(CleanExit.helpRequest(ReportCommand.self))
        XCTAssertEqual(help.stream, .standardOutput)
        XCTAssertEqual(help.exitCode, 0)
        XCTAssertTrue(help.text.hasPrefix("OVERVIEW: "), help.text)

        let bad = message(parse(["--format", "x\u{1b}y"]))
        XCTAssertEqual(bad.stream, .standardError)
        XCTAssertEqual(bad.exitCode, 2)
        XCTAssertTrue(bad.text.hasPrefix("Error: "), bad.text)
        XCTAssertTrue(bad.text.contains("x\\u001by"), bad.text)
        XCTAssertFalse(bad.text.contains("\u{1b}"), bad.text)

        // A library problem found while validating options: the parser's frame, the CLI's words.
        let by = message(parse(["--by", "team,,model"]))
        XCTAssertEqual(by.exitCode, 2)
        XCTAssertTrue(by.text.hasPrefix("Error: --by expects a comma list of names, e.g. --by team,model\n"), by.text)
    }
}
