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
    /// Backtracking took 52 s on this pair (exponential in the number of `*`);
    /// the automaton reads the text once.
    func testManyStarsDoNotBacktrackExponentially() {
        let text = String(repeating: "a", count: 40)
        XCTAssertFalse(Glob("*a*a*a*a*a*a*a*a*a*a*b").matches(text))
        XCTAssertTrue(Glob("*a*a*a*a*a*a*a*a*a*a*").matches(text))
        XCTAssertFalse(Glob(String(repeating: "*a", count: 200) + "*b").matches(String(repeating: "a", count: 5_000)))
        XCTAssertFalse(Glob(String(repeating: "**/a", count: 50) + "/b", pathMode: true).matches(String(repeating: "a/", count: 2_000)))
    }

    /// Overlap of two alias globs with long runs of stars: each search step
    /// paired every star position of one run with every one of the other.
    func testGlobOverlapWithLongStarRunsReturns() {
        let stars = String(repeating: "*", count: 300)
        XCTAssertNil(GlobOverlap.witness(stars + "a", stars + "b"))
        XCTAssertEqual(GlobOverlap.witness(stars + "a" + stars, stars + "b"), "ab")
        XCTAssertEqual(GlobOverlap.witness("x**y", "x*"), GlobOverlap.witness("x*y", "x*"))
    }

    /// The automaton gives the same answers as the former backtracking matcher
    /// (kept here as the reference) on every pattern of up to 5 bytes over
    /// `ab/*?` and every text of up to 4 bytes over `ab/`, in both modes.
    func testSameAnswersAsBacktracking() {
        func all(_ alphabet: String, upTo length: Int) -> [[UInt8]] {
            var out: [[UInt8]] = [[]]
            var last: [[UInt8]] = [[]]
            for _ in 0..<length {
                last = last.flatMap { prefix in alphabet.utf8.map { prefix + [$0] } }
                out += last
            }
            return out
        }
        let texts = all("ab/", upTo: 4)
        for pattern in all("ab/*?", upTo: 5) {
            let p = String(decoding: pattern, as: UTF8.self)
            for pathMode in [false, true] {
                let glob = Glob(p, pathMode: pathMode)
                for text in texts where glob.matches(String(decoding: text, as: UTF8.self)) != Self.backtrackingMatch(pattern, 0, text, 0, pathMode) {
                    XCTFail("pattern \"\(p)\" text \"\(String(decoding: text, as: UTF8.self))\" pathMode \(pathMode)")
                }
            }
        }
    }

    /// The former matcher (exponential on many stars), as the reference.
    static func backtrackingMatch(_ p: [UInt8], _ pi0: Int, _ t: [UInt8], _ ti0: Int, _ pathMode: Bool) -> Bool {
        var pi = pi0
        var ti = ti0
        while pi < p.count {
            let c = p[pi]
            if c == 42 {
                let doubleStar = pathMode && pi + 1 < p.count && p[pi + 1] == 42
                let next = pi + (doubleStar ? 2 : 1)
                if doubleStar && next < p.count && p[next] == 47 {
                    if backtrackingMatch(p, next + 1, t, ti, pathMode) { return true }
                }
                if next == p.count { return doubleStar || !pathMode || !t[ti...].contains(47) }
                var k = ti
                while k <= t.count {
                    if backtrackingMatch(p, next, t, k, pathMode) { return true }
                    if k < t.count && pathMode && !doubleStar && t[k] == 47 { return false }
                    k += 1
                }
                return false
            }
            guard ti < t.count else { return false }
            if c == 63 {
                if pathMode && t[ti] == 47 { return false }
            } else if c != t[ti] {
                return false
            }
            pi += 1
            ti += 1
        }
        return ti == t.count
    }
}
