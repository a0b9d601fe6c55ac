import Foundation
import XCTest

@testable import SpendCore

/// `ImportFileReader`: a file cut into pieces of whole records converts to
/// the same drafts, with the same line numbers, as the whole file (JSON
/// Lines, a JSON list cut at top-level commas, CSV with the header repeated).
final class ImportFramingTests: XCTestCase {
    static let fixtures = TestSupport.packageRoot + "/Tests/Fixtures/import/"

    /// (id, line, input tokens) of every draft, and the rejections' lines, reading in pieces of about `pieceSize` bytes.
    func read(_ source: any ImportSource, _ path: String, pieceSize: Int) throws -> (drafts: [String], records: Int, pieces: Int) {
        var reader = try ImportFileReader(absolute: path, path: "f", pieceSize: pieceSize)
        defer { reader.close() }
        try reader.start { source.framing(start: $0) }
        var drafts: [String] = []
        var records = 0
        var pieces = 0
        while let piece = try reader.next() {
            pieces += 1
            let converted = piece.bytes.withUnsafeBytes { source.convert($0, path: "f", firstLine: piece.firstLine) }
            XCTAssertEqual(converted.rejected.map(\.message), [])
            drafts += converted.drafts.map { "\($0.event.id)@\($0.origin.line ?? 0):\($0.event.inputTokens)" }
            records += converted.records
        }
        return (drafts, records, pieces)
    }

    func check(_ source: any ImportSource, _ name: String, records: Int) throws {
        let whole = try read(source, Self.fixtures + name, pieceSize: 1 << 30)
        XCTAssertEqual(whole.pieces, 1)
        XCTAssertEqual(whole.records, records)
        for size in [1, 7, 64, 300, 1000] {
            let cut = try read(source, Self.fixtures + name, pieceSize: size)
            XCTAssertEqual(cut.drafts, whole.drafts, "\(name) in pieces of \(size)")
            XCTAssertEqual(cut.records, whole.records, "\(name) in pieces of \(size)")
            XCTAssertGreaterThan(cut.pieces, 1, "\(name) in pieces of \(size)")
        }
    }

    func testJSONLinesPieces() throws {
        try check(try OtelSource(policy: .empty), "otel-traces.jsonl", records: 4)
    }

    func testJSONListPieces() throws {
        let source = try LiteLLMSource(policy: .empty)
        try check(source, "litellm-spend-logs.json", records: 3)
        let lines = try read(source, Self.fixtures + "litellm-spend-logs.json", pieceSize: 64).drafts.map { $0.split(separator: "@")[1] }
        XCTAssertEqual(lines, ["2:1000", "45:2000", "85:100"])
    }

    /// The JSON-list framing (eight bytes at a time, strings skipped by their
    /// quotes and escapes) cuts only just before top-level commas, whatever
    /// the strings hold and wherever a read ends (reads of a few bytes end
    /// inside strings, between a backslash and the byte it escapes, …).
    func testJSONListCutsOnlyAtTopLevelCommasWhateverTheStrings() throws {
        let strings = [
            #"plain"#, #"a\"b"#, #"\\"#, #"ends with backslash \\"#, #"},{\"request_id\":\"x\"},{"#, #"[1,2],[3]"#,
            #"\\\"quote after escaped backslash"#, #"eight by"#, #"sixteen bytes!!!"#, #"\u00e9 é ü 中文"#, "",
        ]
        var rows: [String] = []
        for (k, text) in strings.enumerated() {
            rows.append(#"{"request_id":"r\#(k)","note":"\#(text)","nested":{"a":[1,{"b":"\#(text)"}],"c":"x,y"}}"#)
        }
        let text = "[\n" + rows.joined(separator: ",\n") + "\n]\n"
        let path = try TestSupport.temporaryDirectory() + "/list.json"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        // The top-level commas, by a byte-at-a-time reference scan.
        var commas: Set<Int> = []
        var (depth, inString, escape) = (0, false, false)
        for (i, b) in text.utf8.enumerated() {
            if inString {
                if escape { escape = false } else if b == 92 { escape = true } else if b == 34 { inString = false }
                continue
            }
            switch b {
            case 34: inString = true
            case 91, 123: depth += 1
            case 93, 125: depth -= 1
            case 44 where depth == 1: commas.insert(i)
            default: break
            }
        }
        XCTAssertEqual(commas.count, strings.count - 1)
        for size in [1, 2, 3, 5, 8, 9, 13, 31, 64, 1 << 20] {
            var reader = try ImportFileReader(absolute: path, path: "f", pieceSize: size)
            defer { reader.close() }
            try reader.start { _ in .jsonArray }
            var joined: [UInt8] = []
            while let piece = try reader.next() {
                if !joined.isEmpty { XCTAssertTrue(commas.contains(joined.count), "a cut at \(joined.count) in pieces of \(size)") }
                joined += piece.bytes
            }
            XCTAssertEqual(joined, Array(text.utf8), "pieces of \(size)")
        }
        // Each piece parses as whole rows: every row is read (and refused: these rows are not spend logs).
        var reader = try ImportFileReader(absolute: path, path: "f", pieceSize: 5)
        defer { reader.close() }
        try reader.start { _ in .jsonArray }
        var records = 0
        let source = try LiteLLMSource(policy: .empty)
        while let piece = try reader.next() {
            let converted = piece.bytes.withUnsafeBytes { source.convert($0, path: "f", firstLine: piece.firstLine) }
            XCTAssertEqual(converted.rejected.map(\.rule), Array(repeating: .importRecord, count: converted.records))
            records += converted.records
        }
        XCTAssertEqual(records, strings.count)
    }

    func testCSVPiecesRepeatTheHeader() throws {
        let source = try LiteLLMSource(policy: .empty)
        try check(source, "litellm-spend-logs.csv", records: 3)
        let lines = try read(source, Self.fixtures + "litellm-spend-logs.csv", pieceSize: 64).drafts.map { $0.split(separator: "@")[1] }
        XCTAssertEqual(lines, ["2:1000", "3:2000", "4:100"])
    }

    func testJSONTapeReadsOTLPValues() throws {
        let text = Array(#"{"a":[1,"2",-3,{"k":"v\"w"}],"b":true,"c":null,"d":1.5e-05}"#.utf8)
        var tape = JSONTape()
        let end = try text.withUnsafeBytes { try tape.parse($0, from: 0) }
        XCTAssertEqual(end, text.count)
        let a = try XCTUnwrap(tape.value(0, "a"))
        let elements = tape.elements(a)
        XCTAssertEqual(elements.count, 4)
        XCTAssertEqual(tape.integer(elements[0]), 1)
        XCTAssertEqual(tape.integer(elements[1]), 2)
        XCTAssertEqual(tape.integer(elements[2]), -3)
        XCTAssertEqual(tape.value(elements[3], "k").flatMap { tape.string($0) }, "v\"w")
        XCTAssertEqual(tape.nodes[try XCTUnwrap(tape.value(0, "b"))].kind, .true)
        XCTAssertEqual(tape.numberText(try XCTUnwrap(tape.value(0, "d"))), "1.5e-05")
        for bad in [#"{"a":}"#, #"{"a":1"#, #"[1,]"#, #""abc"#, #"{"a":01}"#] {
            var t = JSONTape()
            XCTAssertThrowsError(try Array(bad.utf8).withUnsafeBytes { try t.parse($0, from: 0) }, bad)
        }
    }
}

/// `ImportPipeline` over its memory budget: the prepared events are written
/// in parts, and the result is the same ledger as one write.
final class ImportPipelineBudgetTests: XCTestCase {
    func repository() throws -> CostRepository {
        let dir = try TestSupport.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir + "/ratecards", withIntermediateDirectories: true)
        for name in TestSupport.bundledCardNames {
            try FileManager.default.copyItem(atPath: TestSupport.packageRoot + "/ratecards/" + name, toPath: dir + "/ratecards/" + name)
        }
        return try CostRepository(directory: dir)
    }

    func run(_ repository: CostRepository, budget: Int, twice: Bool = false) throws -> (ImportOutcome, String) {
        let appender = try LedgerAppender(repository: repository)
        let path = ImportFramingTests.fixtures + "otel-traces.jsonl"
        var request = ImportRequest(files: [(path, "traces.jsonl"), (path, "again.jsonl")])
        request.memoryBudget = budget
        let pipeline = ImportPipeline(appender: appender, source: try OtelSource(policy: .empty))
        let outcome = try pipeline.run(request, settings: ImportPipeline.settings(now: 0))
        let ledger = try String(contentsOfFile: repository.root + "/ledger/2026/2026-11.jsonl", encoding: .utf8)
        return (outcome, ledger)
    }

    func testAnImportOverTheBudgetIsWrittenInPartsWithTheSameResult() throws {
        let (whole, wholeLedger) = try run(try repository(), budget: 1 << 30)
        let (parts, partsLedger) = try run(try repository(), budget: 1)
        XCTAssertEqual(whole.writes, 1)
        XCTAssertEqual(parts.writes, 2)  // one per file: each batch is over a 1-byte budget
        XCTAssertEqual(partsLedger, wholeLedger)
        XCTAssertEqual([parts.new, parts.alreadyPresent], [3, 3])
        XCTAssertEqual([whole.new, whole.alreadyPresent], [3, 3])
        XCTAssertEqual(parts.cost?.description, "0.019427")
    }

    /// Without `keepValid`, a record refused after parts were written takes
    /// every part back: the ledger is as it was before the import.
    func testARejectionAfterWrittenPartsRollsThemAllBack() throws {
        let repository = try repository()
        let shard = repository.root + "/ledger/2026/2026-11.jsonl"
        let before = #"{"ts":"2026-11-01T00:00:00.000Z","id":"kept","provider":"openai","model":"gpt-4o","input_tokens":1,"output_tokens":1,"tags":{}}"#
            + "\n"
        try FileManager.default.createDirectory(atPath: repository.root + "/ledger/2026", withIntermediateDirectories: true)
        try before.write(toFile: shard, atomically: true, encoding: .utf8)
        let bad = repository.root + "/bad.jsonl"
        try "{\"resourceSpans\":[}\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let traces = ImportFramingTests.fixtures + "otel-traces.jsonl"
        var request = ImportRequest(files: [(traces, "traces.jsonl"), (bad, "bad.jsonl")])
        request.memoryBudget = 1  // the first file is written as a part before the bad one is read
        let pipeline = ImportPipeline(appender: try LedgerAppender(repository: repository), source: try OtelSource(policy: .empty))
        XCTAssertThrowsError(try pipeline.run(request, settings: ImportPipeline.settings(now: 0))) { error in
            guard case .input(let diagnostics, _) = error as? SpendError else { return XCTFail("\(error)") }
            XCTAssertEqual(diagnostics.map(\.path), ["bad.jsonl"])
        }
        XCTAssertEqual(try String(contentsOfFile: shard, encoding: .utf8), before)
        // Importing the good file alone afterwards writes it (the rolled-back ids are not "already present").
        let outcome = try pipeline.run(ImportRequest(files: [(traces, "traces.jsonl")]), settings: ImportPipeline.settings(now: 0))
        XCTAssertEqual(outcome.new, 3)
    }

    /// A dry run holds every prepared event (to count duplicates) but not its
    /// line: the same events, bytes counted and cost, without the line bytes.
    func testADryRunHoldsTheEventsWithoutTheirLines() throws {
        let repository = try repository()
        let appender = try LedgerAppender(repository: repository)
        let source = try OtelSource(policy: .empty)
        let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: ImportFramingTests.fixtures + "otel-traces.jsonl")))
        let (kept, dropped) = bytes.withUnsafeBytes { piece in
            let converted = source.convert(piece, path: "f", firstLine: 1)
            let settings = ImportPipeline.settings(now: 0)
            return (
                ImportPipeline.prepare(converted, piece: piece, book: appender.book, policy: appender.policy, settings: settings),
                ImportPipeline.prepare(
                    converted, piece: piece, book: appender.book, policy: appender.policy, settings: settings, keepLines: false)
            )
        }
        XCTAssertEqual(kept.events.map(\.id), dropped.events.map(\.id))
        XCTAssertEqual([kept.bytes, kept.events.count], [dropped.bytes, 3])
        XCTAssertEqual(kept.cost, dropped.cost)
        XCTAssertTrue(kept.events.allSatisfy { !$0.line.isEmpty })
        XCTAssertTrue(dropped.events.allSatisfy { $0.line.isEmpty })
        // And the dry run's summary is the real import's.
        var request = ImportRequest(files: [(ImportFramingTests.fixtures + "otel-traces.jsonl", "traces.jsonl")])
        request.dryRun = true
        let pipeline = ImportPipeline(appender: appender, source: source)
        let dry = try pipeline.run(request, settings: ImportPipeline.settings(now: 0))
        request.dryRun = false
        let real = try pipeline.run(request, settings: ImportPipeline.settings(now: 0))
        XCTAssertEqual([dry.new, dry.alreadyPresent], [real.new, real.alreadyPresent])
        XCTAssertEqual(dry.cost, real.cost)
    }

    /// A session that ends without `commit()` (its process died) leaves its
    /// record; the next writer takes every part of it back.
    func testASessionThatDiesBeforeItsCommitIsRolledBackWhole() throws {
        let repository = try repository()
        let appender = try LedgerAppender(repository: repository)
        var settings = ImportPipeline.settings(now: 0)
        settings.skipDuplicates = true
        let lines = [
            #"{"ts":"2026-11-02T00:00:00.000Z","id":"a","provider":"openai","model":"gpt-4o","input_tokens":1,"output_tokens":1,"tags":{}}"#,
            #"{"ts":"2026-12-02T00:00:00.000Z","id":"b","provider":"openai","model":"gpt-4o","input_tokens":1,"output_tokens":1,"tags":{}}"#,
        ].joined(separator: "\n")
        let (events, _) = try Array(lines.utf8).withUnsafeBytes { bytes throws(SpendError) in
            try appender.prepare(jsonLines: bytes, path: "<test>", settings: settings)
        }
        XCTAssertEqual(events.count, 2)
        do {
            let session = try appender.openSession(settings: settings)
            _ = try appender.write([events[0]], settings: settings, session: session)
            _ = try appender.write([events[1]], settings: settings, session: session)
            XCTAssertTrue(FileManager.default.fileExists(atPath: repository.root + "/ledger/2026/2026-12.jsonl"))
        }  // dropped without commit: the journal's lock is released, its record stays
        _ = try appender.write([], settings: settings)
        XCTAssertFalse(FileManager.default.fileExists(atPath: repository.root + "/ledger/2026/2026-11.jsonl"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: repository.root + "/ledger/2026/2026-12.jsonl"))
    }
}
