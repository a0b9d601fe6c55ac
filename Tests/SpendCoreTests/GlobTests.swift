import XCTest

@testable import SpendCore

final class GlobTests: XCTestCase {
    func testStarMatchesAnyRun() {
        let glob = Glob("claude-sonnet-4-2025*")
        XCTAssertTrue(glob.matches("claude-sonnet-4-20250514"))
        XCTAssertTrue(glob.matches("claude-sonnet-4-2025"))
        XCTAssertFalse(glob.matches("claude-sonnet-4-5-20250929"))
        XCTAssertFalse(glob.matches("claude-sonnet-4-5-2025"))
        XCTAssertFalse(glob.matches("claude-sonnet-4"))
    }

    func testLiteralPatternMatchesOnlyItself() {
        XCTAssertTrue(Glob("gpt-4o").matches("gpt-4o"))
        XCTAssertFalse(Glob("gpt-4o").matches("gpt-4o-mini"))
        XCTAssertFalse(Glob("gpt-4o").matches("gpt-4"))
        XCTAssertFalse(Glob("gpt-4o").isWildcard)
    }

    func testStarInTheMiddleAndAtTheStart() {
        XCTAssertTrue(Glob("gpt-*-mini").matches("gpt-4o-mini"))
        XCTAssertTrue(Glob("gpt-*-mini").matches("gpt-5.4-mini"))
        XCTAssertFalse(Glob("gpt-*-mini").matches("gpt-4o-mini-2024"))
        XCTAssertTrue(Glob("*-latest").matches("claude-3-5-sonnet-latest"))
        XCTAssertTrue(Glob("*").matches(""))
        XCTAssertTrue(Glob("a*b*c").matches("aXXbYYc"))
        XCTAssertFalse(Glob("a*b*c").matches("aXXbYY"))
    }

    func testQuestionMarkMatchesExactlyOneCharacter() {
        let glob = Glob("gemini-1.5-pro-00?")
        XCTAssertTrue(glob.matches("gemini-1.5-pro-002"))
        XCTAssertFalse(glob.matches("gemini-1.5-pro-00"))
        XCTAssertFalse(glob.matches("gemini-1.5-pro-0021"))
        XCTAssertTrue(glob.isWildcard)
    }

    func testNonPathStarCrossesSlashes() {
        XCTAssertTrue(Glob("org/*").matches("org/team/model"))
    }

    func testPathModeDoubleStarCrossesDirectories() {
        let glob = Glob("src/summarize/**", pathMode: true)
        XCTAssertTrue(glob.matches("src/summarize/a/b.swift"))
        XCTAssertTrue(glob.matches("src/summarize/x.swift"))
        XCTAssertFalse(glob.matches("src/summarizer/x.swift"))
        XCTAssertFalse(glob.matches("src/other/summarize/x.swift"))
    }

    func testPathModeStarDoesNotCrossSlash() {
        let glob = Glob("src/*.swift", pathMode: true)
        XCTAssertTrue(glob.matches("src/main.swift"))
        XCTAssertFalse(glob.matches("src/a/main.swift"))
        XCTAssertFalse(Glob("src/*", pathMode: true).matches("src/a/b"))
        XCTAssertTrue(Glob("src/*", pathMode: true).matches("src/a"))
        XCTAssertFalse(Glob("src/?/x", pathMode: true).matches("src///x"))
    }

    func testPathModeDoubleStarSlashMatchesZeroOrMoreDirectories() {
        let glob = Glob("src/**/x.swift", pathMode: true)
        XCTAssertTrue(glob.matches("src/x.swift"))
        XCTAssertTrue(glob.matches("src/a/x.swift"))
        XCTAssertTrue(glob.matches("src/a/b/c/x.swift"))
        XCTAssertFalse(glob.matches("src/a/y.swift"))
        XCTAssertTrue(Glob("**/*.swift", pathMode: true).matches("a/b/c.swift"))
        XCTAssertTrue(Glob("**/*.swift", pathMode: true).matches("c.swift"))
    }

    func testSpecificityCountsLiteralCharacters() {
        XCTAssertGreaterThan(Glob("claude-sonnet-4-5-*").literalCount, Glob("claude-sonnet-4-*").literalCount)
        XCTAssertEqual(Glob("a?b*").literalCount, 2)
    }
}
