import Foundation
import XCTest

final class ExecutableLocationTests: XCTestCase {
    func testExecutablesAreBuilt() throws {
        let dir = Bundle.main.bundleURL
        print("bundle:", dir.path, CommandLine.arguments[0])
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("spend").path) || FileManager.default.fileExists(atPath: dir.deletingLastPathComponent().appendingPathComponent("spend").path))
    }
}
