import XCTest

@testable import SpendCore

/// Shared by the import source tests: fixtures, conversion, and pricing the
/// drafts the way `spend append` prices events (`EventPreparer`).
enum ImportTestSupport {
    static let fixtures = TestSupport.packageRoot + "/Tests/Fixtures/import/"

    static func fixture(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: fixtures + name))) }

    /// Converts `bytes` as the file `path` (line 1 first).
    static func convert(_ source: some ImportSource, _ bytes: [UInt8], path: String) -> ImportedRecords {
        bytes.withUnsafeBytes { source.convert($0, path: path, firstLine: 1) }
    }

    /// The settings of `[import.NAME]` in the spend.toml `text`.
    static func settings(_ name: String, _ text: String) throws -> ImportSettings {
        let policy = try Policy.parse(text)
        return ImportSettings(table: policy.imports[name], text: text)
    }

    /// The cost `append` stamps on each draft with the bundled cards (no
    /// tagging policy), or the problems that stop it.
    static func costs(_ drafts: [EventDraft], file: StaticString = #filePath, line: UInt = #line) -> [ExactDecimal?] {
        var worker = EventPreparer(
            book: TestSupport.bundledBook, policy: .empty,
            settings: AppendSettings(now: TestSupport.ms("2026-12-01"), code: CodeVersion(commit: nil, release: nil)))
        for draft in drafts { worker.add(draft) }
        XCTAssertEqual(worker.problems.map(\.description), [], file: file, line: line)
        return worker.events.map(\.cost)
    }

    /// The canonical ledger line `append` writes for each draft (cost and priced_with stamped).
    static func lines(_ drafts: [EventDraft]) -> [String] {
        var worker = EventPreparer(
            book: TestSupport.bundledBook, policy: .empty,
            settings: AppendSettings(now: TestSupport.ms("2026-12-01"), code: CodeVersion(commit: nil, release: nil)))
        for draft in drafts { worker.add(draft) }
        return worker.events.map { String(decoding: $0.line, as: UTF8.self) }
    }
}
