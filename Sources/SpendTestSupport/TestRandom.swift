import Foundation

/// The one random generator of the tests: seeded (SplitMix64), so a failing
/// run can be replayed exactly.
///
/// Each run draws a fresh seed unless `SPEND_TEST_SEED` is set, so repeated
/// runs explore more inputs. Put the generator in every assertion message
/// (`XCTAssertEqual(a, b, "\(random)")`): a failure then prints its seed and the
/// command that replays it:
///
///     seed 1234 (replay: SPEND_TEST_SEED=1234 swift test --filter …)
public struct TestRandom: RandomNumberGenerator, CustomStringConvertible {
    /// The environment variable that fixes the seed of every `TestRandom`.
    public static let seedVariable = "SPEND_TEST_SEED"

    /// The seed this generator started from.
    public let seed: UInt64
    private var generator: SplitMix64

    /// A generator seeded from `SPEND_TEST_SEED` when set, else from the
    /// system's generator. A malformed `SPEND_TEST_SEED` stops the test run:
    /// a replay that silently used another seed would prove nothing.
    public init() {
        let text = ProcessInfo.processInfo.environment[Self.seedVariable]
        self.init(seed: text.map(Self.parse) ?? UInt64.random(in: 0...UInt64.max))
    }

    /// A generator with a fixed seed.
    public init(seed: UInt64) {
        self.seed = seed
        generator = SplitMix64(seed: seed)
    }

    public mutating func next() -> UInt64 { generator.next() }

    /// `seed N (replay: SPEND_TEST_SEED=N swift test --filter …)`.
    public var description: String {
        "seed \(seed) (replay: \(Self.seedVariable)=\(seed) swift test --filter …)"
    }

    static func parse(_ text: String) -> UInt64 {
        guard let seed = UInt64(text) else { fatalError("\(seedVariable)=\(text) is not a seed (a decimal UInt64)") }
        return seed
    }
}

/// A small, fast, deterministic PRNG (SplitMix64): same seed, same sequence.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform integer in `range`.
    public mutating func int(_ range: ClosedRange<Int64>) -> Int64 {
        range.lowerBound + Int64(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }

    /// True with probability `percent`/100.
    public mutating func chance(_ percent: Double) -> Bool {
        Double(next() % 1_000_000) < percent * 10_000
    }

    /// One of `items`, uniformly.
    public mutating func pick<T>(_ items: [T]) -> T { items[Int(next() % UInt64(items.count))] }
}
