import Foundation
import XCTest

/// A guard against hangs in end-to-end tests: a process still running after
/// `seconds` is killed (SIGKILL, through coreutils `timeout`) and the test
/// fails. Not a timed assertion: the bound is far above any normal run.
enum HangGuard {
    static let seconds = 60
    /// Exit status of a process `timeout -s KILL` killed (128 + SIGKILL).
    static let killedStatus: Int32 = 137

    static let timeout: URL = {
        for dir in ["/usr/bin", "/bin", "/usr/local/bin"] {
            let candidate = URL(fileURLWithPath: dir).appendingPathComponent("timeout")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return URL(fileURLWithPath: "/usr/bin/timeout")
    }()
}

extension TestRepo {
    /// Runs `spend ARGS` in the repository under the hang guard.
    func spendGuarded(_ args: [String]) throws -> RunResult {
        try runProcess(
            HangGuard.timeout, ["-s", "KILL", "\(HangGuard.seconds)", Paths.executable("spend").path] + args, in: root)
    }
}

extension XCTestCase {
    /// Fails when the hang guard killed the process.
    func assertNotHung(_ r: RunResult, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNotEqual(
            r.status, HangGuard.killedStatus, "\(what): still running after \(HangGuard.seconds) s, killed by the hang guard",
            file: file, line: line)
    }
}
