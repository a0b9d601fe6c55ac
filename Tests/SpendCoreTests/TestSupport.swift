import Foundation
import SpendTestSupport
import XCTest

@testable import SpendCore

extension XCTestCase {
    /// The tests' one random generator (``TestRandom``'s seed: `SPEND_TEST_SEED`
    /// when set, else fresh) as a SplitMix64; when the test fails, the seed is
    /// printed with how to repeat the run.
    func seededRandom() -> SplitMix64 {
        let random = TestRandom()
        let name = self.name
        addTeardownBlock { [weak self] in
            if let run = self?.testRun, !run.hasSucceeded { print("\(name): random \(random)") }
        }
        return SplitMix64(seed: random.seed)
    }
}

/// Shared helpers for the SpendCore unit tests.
enum TestSupport {
    /// The package root (`/…/main`).
    static let packageRoot: String = TestPaths.packageRoot.path

    /// Names of the bundled rate cards (`openai.toml`, …), sorted.
    static var bundledCardNames: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: packageRoot + "/ratecards")) ?? [])
            .filter { $0.hasSuffix(".toml") }.sorted()
    }

    /// The bundled rate cards parsed with the real parser, paths as `ratecards/NAME`.
    static func bundledCards() throws -> [RateCard] {
        var cards: [RateCard] = []
        for name in bundledCardNames {
            let text = try String(contentsOfFile: packageRoot + "/ratecards/" + name, encoding: .utf8)
            cards.append(try RateCardParser.parse(text, path: "ratecards/" + name))
        }
        return cards
    }

    /// A price book over the bundled rate cards (parsed once).
    static let bundledBook: PriceBook = {
        do {
            return PriceBook(cards: try bundledCards())
        } catch {
            fatalError("bundled rate cards do not parse: \(error)")
        }
    }()

    /// UTF-8 byte offset of the first occurrence of `needle` in `text`.
    static func offset(of needle: String, in text: String, file: StaticString = #filePath, line: UInt = #line) -> Int {
        guard let range = text.range(of: needle) else {
            XCTFail("\(needle) not in \(text)", file: file, line: line)
            return -1
        }
        return text.utf8.distance(from: text.utf8.startIndex, to: range.lowerBound)
    }

    /// Milliseconds of an RFC 3339 timestamp or date (test input is always valid).
    static func ms(_ text: String) -> Int64 {
        guard let v = Timestamp.parseDateOrTimestamp(text) else { fatalError("bad test timestamp \(text)") }
        return v
    }

    /// A fresh temporary directory.
    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "spend-core-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

extension ExactDecimal {
    /// A decimal literal for tests; traps on a typo.
    static func d(_ text: String) -> ExactDecimal {
        guard let v = ExactDecimal(text) else { fatalError("bad test decimal \(text)") }
        return v
    }
}
