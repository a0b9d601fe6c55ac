import XCTest

@testable import SpendBase

/// The one "did you mean" helper: nearest names by edit distance, with a cutoff.
final class SuggestionsTests: XCTestCase {
    func testNearestNamesWithinTheCutoff() {
        XCTAssertEqual(Suggestions.nearest(to: "colour", in: ["color", "team", "env"]), ["color"])
        XCTAssertEqual(Suggestions.nearest(to: "prd", in: ["prod", "dev", "staging"]), ["prod"])
        XCTAssertEqual(Suggestions.nearest(to: "gpt-4p", in: ["gpt-4o", "gpt-4o-mini", "o3"]), ["gpt-4o"])
        // Only the nearest distance is offered; ties in name order.
        XCTAssertEqual(Suggestions.nearest(to: "tema", in: ["team", "teams", "tram"]), ["team"])  // a transposition is one edit
        XCTAssertEqual(Suggestions.nearest(to: "gpt-4p", in: ["gpt-4o", "gpt-4", "gpt-4.1"]), ["gpt-4", "gpt-4o"])
        // Case differences are not edits.
        XCTAssertEqual(Suggestions.nearest(to: "Team", in: ["team"]), ["team"])
        // Too far, or too short to guess: nothing.
        XCTAssertEqual(Suggestions.nearest(to: "customer", in: ["team", "env"]), [])
        XCTAssertEqual(Suggestions.nearest(to: "qa", in: ["dev", "prod"]), [])
        XCTAssertEqual(Suggestions.nearest(to: "", in: ["a"]), [])
        // The name itself is never a suggestion.
        XCTAssertEqual(Suggestions.nearest(to: "team", in: ["team"]), [])
    }

    func testPhrase() {
        XCTAssertEqual(Suggestions.didYouMean("colour", in: ["color"]), "did you mean color?")
        XCTAssertEqual(Suggestions.phrase(["a", "b"]), "did you mean a or b?")
        XCTAssertEqual(Suggestions.phrase(["a", "b", "c"]), "did you mean a, b or c?")
        XCTAssertNil(Suggestions.phrase([]))
    }

    func testDistance() {
        func d(_ a: String, _ b: String) -> Int {
            Suggestions.distance(Array(a.unicodeScalars), Array(b.unicodeScalars), cutoff: 10)
        }
        XCTAssertEqual(d("kitten", "sitting"), 3)
        XCTAssertEqual(d("ab", "ba"), 1)
        XCTAssertEqual(d("", "abc"), 3)
        XCTAssertEqual(d("same", "same"), 0)
        // Beyond the cutoff the answer is only "too far".
        XCTAssertGreaterThan(Suggestions.distance(Array("aaaaaaaa".unicodeScalars), Array("bbbbbbbb".unicodeScalars), cutoff: 2), 2)
    }
}
