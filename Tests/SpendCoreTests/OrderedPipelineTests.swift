import Foundation
import Synchronization
import XCTest

@testable import SpendBase

/// `orderedPipeline`: outputs come back in production order whatever order
/// the workers finish in, no more than `window` items are in flight, and a
/// throw stops the stream only after the items in flight have finished.
final class OrderedPipelineTests: XCTestCase {
    struct Stop: Error, Equatable { var at: Int }

    /// Counts the transforms running at once (and the most ever).
    final class Gauge: Sendable {
        let state = Mutex<(now: Int, most: Int, done: Int)>((0, 0, 0))
        func enter() { state.withLock { $0.now += 1; $0.most = max($0.most, $0.now) } }
        func leave() { state.withLock { $0.now -= 1; $0.done += 1 } }

        /// A transform that takes a little while and returns its item.
        var slowIdentity: @Sendable (Int) -> Int {
            { i in
                self.enter()
                usleep(100)
                self.leave()
                return i
            }
        }
    }

    func testOutputsComeInProductionOrderWithAtMostAWindowInFlight() throws {
        let gauge = Gauge()
        var next = 0
        var consumed: [Int] = []
        var inFlightSeen = 0
        try orderedPipeline(
            window: 3,
            produce: { () throws(Stop) -> Int? in
                defer { next += 1 }
                inFlightSeen = max(inFlightSeen, next - consumed.count)
                return next < 200 ? next : nil
            },
            transform: { i in
                gauge.enter()
                // Later items often finish first: a short sleep for every third one.
                if i % 3 == 0 { usleep(200) }
                gauge.leave()
                return i * 2
            },
            consume: { (output: Int) throws(Stop) in consumed.append(output) })
        XCTAssertEqual(consumed, (0..<200).map { $0 * 2 })
        XCTAssertLessThanOrEqual(inFlightSeen, 3)
        XCTAssertLessThanOrEqual(gauge.state.withLock { $0.most }, 3)
    }

    func testAThrowFromConsumeStopsTheStreamAfterTheItemsInFlight() {
        let gauge = Gauge()
        var produced = 0
        XCTAssertThrowsError(
            try orderedPipeline(
                window: 4,
                produce: { () throws(Stop) -> Int? in
                    produced += 1
                    return produced
                },
                transform: gauge.slowIdentity,
                consume: { (output: Int) throws(Stop) in if output == 10 { throw Stop(at: output) } })
        ) { error in XCTAssertEqual(error as? Stop, Stop(at: 10)) }
        // Nothing is produced after the throw, and every item produced has finished.
        XCTAssertLessThanOrEqual(produced, 10 + 4)
        XCTAssertEqual(gauge.state.withLock { $0.now }, 0)
        XCTAssertEqual(gauge.state.withLock { $0.done }, produced)
    }

    func testAThrowFromProduceIsRethrownAfterTheItemsInFlight() {
        let gauge = Gauge()
        var produced = 0
        var consumed: [Int] = []
        XCTAssertThrowsError(
            try orderedPipeline(
                window: 2,
                produce: { () throws(Stop) -> Int? in
                    produced += 1
                    if produced == 6 { throw Stop(at: 6) }
                    return produced
                },
                transform: gauge.slowIdentity,
                consume: { (output: Int) throws(Stop) in consumed.append(output) })
        ) { error in XCTAssertEqual(error as? Stop, Stop(at: 6)) }
        XCTAssertEqual(gauge.state.withLock { $0.now }, 0)
        XCTAssertEqual(gauge.state.withLock { $0.done }, 5)
        XCTAssertEqual(consumed, Array(1...consumed.count))  // in order, a prefix
    }

    func testAnEmptyStreamConsumesNothing() throws {
        var consumed = 0
        try orderedPipeline(
            window: 8, produce: { () throws(Stop) -> Int? in nil }, transform: { $0 }, consume: { (_: Int) throws(Stop) in consumed += 1 })
        XCTAssertEqual(consumed, 0)
    }
}
