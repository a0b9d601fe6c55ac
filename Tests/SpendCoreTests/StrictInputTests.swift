import XCTest

@testable import SpendCore

/// Strict input (issue 9): duplicate keys at every level, UTF-8 in ledger
/// lines, non-JSON values, the year range, NUL and invalid UTF-8 in TOML,
/// and `features.paths` that cannot name a file of the repository.
final class StrictInputTests: XCTestCase {
    static let minimal = LedgerScannerTests.minimal

    /// The scanner's verdict on one line given as raw bytes.
    func scan(_ bytes: [UInt8]) -> Result<LedgerEvent, LedgerScanError> {
        bytes.withUnsafeBytes { buffer in
            var scanner = LedgerScanner(buffer: buffer)
            var record = EventRecord()
            do throws(LedgerScanError) {
                guard try scanner.next(into: &record) else { return .failure(LedgerScanError(offset: 0, rule: "json", message: "empty")) }
                return .success(LedgerEvent(record, scanner: scanner))
            } catch {
                return .failure(error)
            }
        }
    }

    func assertError(
        _ bytes: [UInt8], rule: String, message: String, at offset: Int, file: StaticString = #filePath, line: UInt = #line
    ) {
        switch scan(bytes) {
        case .success:
            XCTFail("accepted: \(String(decoding: bytes, as: UTF8.self))", file: file, line: line)
        case .failure(let error):
            XCTAssertEqual(error.rule.id, rule, file: file, line: line)
            XCTAssertEqual(error.message, message, file: file, line: line)
            XCTAssertEqual(error.offset, offset, "offset", file: file, line: line)
        }
    }

    func assertError(_ text: String, rule: String, message: String, at offset: Int, file: StaticString = #filePath, line: UInt = #line) {
        assertError(Array(text.utf8), rule: rule, message: message, at: offset, file: file, line: line)
    }

    func offset(_ needle: String, _ text: String) -> Int { TestSupport.offset(of: needle, in: text) }

    /// `minimal` with `old` replaced by `new`.
    func line(_ old: String, _ new: String) -> String {
        let replaced = Self.minimal.replacingOccurrences(of: old, with: new)
        XCTAssertNotEqual(replaced, Self.minimal, "\(old) not in the minimal line")
        return replaced
    }

    // MARK: A backslash before a newline

    /// A string ending in a backslash at the end of a line must not run on into the
    /// next line (found by the ledger fuzzer's whole-buffer check): the first line
    /// is an unterminated string, and the next line is scanned as its own event.
    func testBackslashNewlineEndsTheLineAndTheNextLineIsItsOwnEvent() {
        let text = "{\"tags\":{\"team\":\"a\\\n" + Self.minimal + "\n"
        let outcomes: [String] = Array(text.utf8).withUnsafeBytes { buffer in
            var scanner = LedgerScanner(buffer: buffer)
            var record = EventRecord()
            var seen: [String] = []
            while true {
                do throws(LedgerScanError) {
                    guard try scanner.next(into: &record) else { break }
                    seen.append("event at \(record.lineStart)")
                } catch {
                    seen.append("\(error.rule) at \(error.offset): \(error.message)")
                    scanner.skipLine()
                }
            }
            return seen
        }
        let firstNewline = text.utf8.firstIndex(of: 10).map { text.utf8.distance(from: text.utf8.startIndex, to: $0) }!
        XCTAssertEqual(outcomes, ["json at \(firstNewline): unterminated string", "event at \(firstNewline + 1)"])
    }

    // MARK: Duplicate keys

    func testDuplicateTagKeyIsAJSONError() {
        let text = line(#""team":"search""#, #""team":"a","team":"b""#)
        assertError(text, rule: "json", message: #"duplicate key "team" in tags"#, at: offset(#""team":"b""#, text))
    }

    func testDuplicateToolCallIsAJSONError() {
        let text = line(#""tags""#, #""tool_calls":{"web_search":10,"web_search":1},"tags""#)
        assertError(text, rule: "json", message: #"duplicate key "web_search" in tool_calls"#, at: offset(#""web_search":1}"#, text))
    }

    func testKeysAreComparedAfterDecodingEscapes() {
        let text = line(#""team":"search""#, #""team":"a","t\u0065am":"b""#)
        assertError(text, rule: "json", message: #"duplicate key "team" in tags"#, at: offset(#""t\u0065am""#, text))
        let known = line(#""model":"gpt-4o","#, #""model":"gpt-4o","mod\u0065l":"x","#)
        assertError(known, rule: "json", message: #"duplicate key "model""#, at: offset(#""mod\u0065l""#, known))
    }

    func testDuplicateUnknownTopLevelKeyIsAJSONError() {
        let text = line(#""tags""#, #""x":1,"y":2,"x":3,"tags""#)
        assertError(text, rule: "json", message: #"duplicate key "x""#, at: offset(#""x":3"#, text))
    }

    func testDuplicateKeyInsideAnUnknownValueIsAJSONError() {
        let text = line(#""tags""#, #""x":{"a":1,"b":[{"c":1},{"c":2,"c":3}]},"tags""#)
        assertError(text, rule: "json", message: #"duplicate key "c""#, at: offset(#""c":3"#, text))
    }

    func testTheSameKeyInDifferentObjectsIsAccepted() throws {
        let text = line(
            #""tags":{"team":"search"}"#,
            #""tool_calls":{"team":1},"x":{"team":{"team":1},"y":[{"team":1},{"team":2}]},"tags":{"team":"search","x":"1"}"#)
        let e = try LedgerEvent.parse(line: text)
        XCTAssertEqual(e.tags, ["team": "search", "x": "1"])
        XCTAssertEqual(e.toolCalls, ["team": 1])
        // Tags of one event are not compared with the next event's.
        let two = Array((Self.minimal + "\n" + Self.minimal + "\n").utf8)
        two.withUnsafeBytes { buffer in
            var scanner = LedgerScanner(buffer: buffer)
            var record = EventRecord()
            var n = 0
            while (try? scanner.next(into: &record)) == true { n += 1 }
            XCTAssertEqual(n, 2)
        }
    }

    // MARK: UTF-8

    /// Ill-formed sequences (Unicode Table 3-7) placed in a tag value after
    /// "s": each is a json error at the sequence's first byte.
    func testInvalidUTF8InAStringIsAJSONErrorAtTheByte() {
        let cases: [[UInt8]] = [
            [0xFF], [0xFE], [0x80], [0xBF],  // never a lead byte
            [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0xE0, 0x9F, 0xBF], [0xF0, 0x8F, 0xBF, 0xBF],  // overlong
            [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF],  // UTF-16 surrogates
            [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80],  // above U+10FFFF
            [0xC3], [0xE2, 0x82], [0xF0, 0x9F, 0x98], [0xC3, 0x28], [0xE2, 0x28, 0xA1],  // truncated
        ]
        let prefix = Array(#"{"ts":"2026-11-03T14:22:05.123Z","id":"r","provider":"openai","model":"gpt-4o","input_tokens":1,"output_tokens":1,"tags":{"team":"s"#.utf8)
        for sequence in cases {
            let bytes = prefix + sequence + Array(#"xyzxyzxyz"}}"#.utf8)
            let hex = String(sequence[0], radix: 16, uppercase: true)
            assertError(bytes, rule: "json", message: "invalid UTF-8: byte 0x\(hex) does not start a well-formed sequence", at: prefix.count)
        }
    }

    func testInvalidUTF8IsCaughtInEveryKindOfString() {
        let bad: [UInt8] = [0xFF]
        let places: [(String, String)] = [
            (#""id":"req-1""#, #""id":"req-1Z""#),
            (#""team":"search""#, #""teamZ":"search""#),
            (#""tags""#, #""x":{"k":["vZ"]},"tags""#),
            (#""tags""#, #""xZ":1,"tags""#),
            (#""tags""#, #""tool_calls":{"wZ":1},"tags""#),
        ]
        for (old, new) in places {
            var bytes = Array(line(old, new).utf8)
            let at = bytes.firstIndex(of: UInt8(ascii: "Z"))!
            bytes.replaceSubrange(at...at, with: bad)
            assertError(bytes, rule: "json", message: "invalid UTF-8: byte 0xFF does not start a well-formed sequence", at: at)
        }
        // After a backslash too: the byte is checked as UTF-8 before the escape is.
        var escaped = Array(line(#""id":"req-1""#, #""id":"req\Z1""#).utf8)
        let at = escaped.firstIndex(of: UInt8(ascii: "Z"))!
        escaped.replaceSubrange(at...at, with: bad)
        assertError(escaped, rule: "json", message: "invalid UTF-8: byte 0xFF does not start a well-formed sequence", at: at)
    }

    func testWellFormedUTF8IsAccepted() throws {
        // 2-, 3- and 4-byte forms at the edges of Table 3-7, U+FFFD and U+FEFF
        // as characters, and ASCII after them (back on the 8-byte path).
        let values = ["é", "日本語のチーム", "😀", "\u{FFFD}", "\u{FEFF}", "\u{10FFFF}", "\u{D7FF}\u{E000}", "\u{80}\u{7FF}\u{800}\u{FFFF}\u{10000}"]
        for value in values {
            let tag = value + "-and-a-long-ascii-tail-" + value + "x"
            let e = try LedgerEvent.parse(line: line(#""team":"search""#, #""team":"\#(tag)""#))
            XCTAssertEqual(e.tags["team"], tag)
        }
        // \uFFFD (escaped) is the real character, distinct from rejected bytes.
        XCTAssertEqual(try LedgerEvent.parse(line: line(#""team":"search""#, #""team":"s\uFFFD""#)).tags["team"], "s\u{FFFD}")
    }

    /// The string scan jumps to the first special byte of an 8-byte block:
    /// every position of a quote, escape, control byte and UTF-8 byte.
    func testSpecialBytesAreFoundAtEveryPositionOfABlock() throws {
        for k in 0..<17 {
            let pad = String(repeating: "a", count: k)
            for tail in ["", "é", "\\n", "日本", "\\u00e9x"] {
                let raw = pad + tail + "bcdefghijklmnopq"
                let e = try LedgerEvent.parse(line: line(#""team":"search""#, #""team":"\#(raw)","x":"\#(pad)""#))
                XCTAssertEqual(e.tags["team"], pad + tail.replacingOccurrences(of: "\\n", with: "\n").replacingOccurrences(of: "\\u00e9", with: "é") + "bcdefghijklmnopq")
                XCTAssertEqual(e.tags["x"], pad)
            }
            let control = line(#""team":"search""#, "\"team\":\"\(pad)\u{1}bcdefghij\"")
            assertError(control, rule: "json", message: "control character in string", at: offset("\u{1}", control))
            var bytes = Array(line(#""team":"search""#, #""team":"\#(pad)~bcdefghij""#).utf8)
            let at = bytes.lastIndex(of: UInt8(ascii: "~"))!
            bytes[at] = 0xC0
            assertError(bytes, rule: "json", message: "invalid UTF-8: byte 0xC0 does not start a well-formed sequence", at: at)
        }
    }

    func testLoneSurrogateEscapesAreRejected() {
        let high = line(#""team":"search""#, #""team":"s\ud800x""#)
        assertError(high, rule: "json", message: "invalid \\u escape: unpaired high surrogate", at: offset(#"\ud800"#, high))
        let low = line(#""tags""#, #""x":"\udc00","tags""#)
        assertError(low, rule: "json", message: "invalid \\u escape: unpaired low surrogate", at: offset(#"\udc00"#, low))
        // In ts and cost too: a bad escape is a JSON error before it is a bad timestamp or decimal.
        let ts = line("2026-11-03T14:22:05.123Z", #"\ud800"#)
        assertError(ts, rule: "json", message: "invalid \\u escape: unpaired high surrogate", at: offset(#"\ud800"#, ts))
        let cost = line(#""tags""#, #""cost":"1\ud800","tags""#)
        assertError(cost, rule: "json", message: "invalid \\u escape: unpaired high surrogate", at: offset(#"\ud800"#, cost))
    }

    func testByteOrderMarkIsAJSONError() {
        assertError(
            "\u{FEFF}" + Self.minimal, rule: "json",
            message: "byte order mark (U+FEFF) before the event: ledger files are UTF-8 without a BOM", at: 0)
    }

    // MARK: Values that are not JSON

    func testAValueThatIsNotJSONIsAJSONErrorNotASchemaError() {
        let cases: [(String, String, String, String)] = [
            (#""ts":"2026-11-03T14:22:05.123Z""#, #""ts":oops"#, "oops", "invalid value"),
            (#""model":"gpt-4o""#, #""model":gpt"#, "gpt", "invalid value"),
            (#""input_tokens":2000"#, #""input_tokens":-"#, "-", "invalid value"),
            (#""input_tokens":2000"#, #""input_tokens":02000"#, "02000", "invalid number"),
            (#""tags":{"team":"search"}"#, #""tags":nope"#, "nope", "invalid value"),
            (#""team":"search""#, #""team":search"#, "search", "invalid value"),
            (#""tags""#, #""batch":yes,"tags""#, "yes", "invalid value"),
            (#""tags""#, #""tool_calls":[1,],"tags""#, "]", "invalid value"),
        ]
        for (old, new, at, message) in cases {
            let text = line(old, new)
            assertError(text, rule: "json", message: message, at: offset(new, text) + offset(at, new))
        }
        // Valid JSON of the wrong type stays a schema error.
        let number = line(#""ts":"2026-11-03T14:22:05.123Z""#, #""ts":17"#)
        assertError(number, rule: "schema", message: "ts must be an RFC 3339 UTC timestamp string", at: offset("17", number))
    }

    // MARK: Other JSON documents

    func testValidateDocumentAppliesTheLedgerRulesAcrossLines() {
        func check(_ text: String) -> LedgerScanError? {
            Array(text.utf8).withUnsafeBytes { LedgerScanner.validateDocument($0) }
        }
        XCTAssertNil(check("{\n  \"id\": \"x\",\n  \"usage\": {\"input_tokens\": 1}\n}\n"))
        let twice = "{\n  \"usage\": {\"input_tokens\": 1},\n  \"usage\": {\"input_tokens\": 2}\n}\n"
        XCTAssertEqual(check(twice)?.message, #"duplicate key "usage""#)
        XCTAssertEqual(check(twice)?.offset, offset(#""usage": {"input_tokens": 2"#, twice))
        XCTAssertEqual(check("{\"id\": \"a\nb\"}")?.message, "control character in string")
        XCTAssertEqual(check("{} {}")?.message, "unexpected text after the JSON value")
    }

    func testProviderResponseWithADuplicateKeyIsALocatedJSONError() {
        let body = "{\n  \"model\": \"gpt-4o\",\n  \"usage\": {\"prompt_tokens\": 10, \"completion_tokens\": 5,\n            \"prompt_tokens\": 1}\n}\n"
        do {
            _ = try ProviderResponse.draft(.openai, body: Array(body.utf8), path: "r.json")
            XCTFail("accepted")
        } catch {
            XCTAssertEqual(error.diagnostics.map(\.description), [#"r.json:4:13: error[json]: duplicate key "prompt_tokens""#])
        }
    }

    // MARK: Years 0001–9999

    func testProviderResponseCreatedOutsideTheYearRangeIsRejected() {
        // Before: 10^15 s was stamped in year 31,690,708 (and 10^17 overflowed).
        for created in ["1000000000000000", "-62135596801", "100000000000000000"] {
            let body = #"{"model":"gpt-4o","created":\#(created),"usage":{"prompt_tokens":1,"completion_tokens":1}}"#
            do {
                _ = try ProviderResponse.draft(.openai, body: Array(body.utf8), path: "r.json")
                XCTFail("accepted \(created)")
            } catch {
                XCTAssertEqual(error.diagnostics.map(\.description), ["r.json: error[response]: created (\(created)) is not a Unix time in seconds within years 0001–9999"])
            }
        }
    }

    func testTimestampsOutsideYears0001To9999AreRejected() {
        XCTAssertNil(Timestamp.parse("0000-06-01T00:00:00Z"))
        XCTAssertNil(Timestamp.parse("0001-01-01T00:30:00+01:00"), "year 0 in UTC")
        XCTAssertNil(Timestamp.parse("9999-12-31T23:30:00-01:00"), "year 10000 in UTC")
        XCTAssertNil(Timestamp.parseDateOrTimestamp("0000-01-01"))
        XCTAssertEqual(Timestamp.parse("0001-01-01T00:00:00Z"), Timestamp.supported.lowerBound)
        XCTAssertEqual(Timestamp.parse("9999-12-31T23:59:59.999Z"), Timestamp.supported.upperBound)
        XCTAssertEqual(Timestamp.format(millis: Timestamp.supported.lowerBound), "0001-01-01T00:00:00.000Z")
        XCTAssertEqual(Timestamp.format(millis: Timestamp.supported.upperBound), "9999-12-31T23:59:59.999Z")
    }

    func testLedgerTimestampInYear10000IsATimestampError() {
        let text = line("2026-11-03T14:22:05.123Z", "9999-12-31T23:30:00-01:00")
        assertError(
            text, rule: "timestamp",
            message: #"ts "9999-12-31T23:30:00-01:00" is not an RFC 3339 timestamp (e.g. 2026-11-03T14:22:05.123Z)"#,
            at: offset(#""9999"#, text))
    }

    func testRateCardEffectiveOutsideTheYearRangeIsRejected() {
        let card = "provider = \"acme\"\n\n[[price]]\nmodel = \"m\"\neffective = 0000-01-01\ninput = 1\noutput = 1\n"
        XCTAssertEqual(
            cardErrors(card), [#"ratecards/acme.toml:5: error[ratecard]: effective of "m" must be in the years 0001–9999 (UTC)"#])
    }

    // MARK: NUL and invalid UTF-8 in TOML

    static let card = """
        provider = "acme"

        [[price]]
        model = "m"
        effective = 2024-01-01
        input = 10
        output = 20

        [[price]]
        model = "m"
        effective = 2025-01-01
        input = 5
        output = 10

        """

    func cardErrors(_ text: String) -> [String] {
        do {
            _ = try RateCardParser.parse(text, path: "ratecards/acme.toml")
            return []
        } catch {
            return error.diagnostics.map(\.description)
        }
    }

    func testNulInARateCardIsALocatedTOMLError() {
        // Before: TOMLKit stopped at the NUL and the 2025 point vanished.
        let text = Self.card.replacingOccurrences(of: "input = 10", with: "input = 10 # old\0")
        XCTAssertEqual(cardErrors(text), ["ratecards/acme.toml:6:17: error[toml]: NUL byte (U+0000): TOML files must not contain NUL"])
    }

    func testInvalidUTF8InARateCardIsALocatedTOMLError() {
        // Readers decode bytes that are not UTF-8 as U+FFFD.
        let bytes = Array(Self.card.replacingOccurrences(of: "input = 5", with: "input = 5 # caf\u{1}").utf8).map { $0 == 1 ? 0xE9 : $0 }
        let text = String(decoding: bytes, as: UTF8.self)
        XCTAssertEqual(
            cardErrors(text),
            ["ratecards/acme.toml:12:16: error[toml]: invalid UTF-8 (or U+FFFD, which is what bytes that are not UTF-8 read as): TOML files must be UTF-8"])
    }

    func testIncrementalCardParserAppliesTheSameCheck() {
        let text = Self.card.replacingOccurrences(of: "input = 5", with: "input = 5 #\0")
        let parser = IncrementalCardParser()
        XCTAssertNoThrow(try parser.parse(Self.card, path: "ratecards/acme.toml", blobId: nil))
        do {
            _ = try parser.parse(text, path: "ratecards/acme.toml", blobId: nil)
            XCTFail("accepted")
        } catch {
            XCTAssertEqual(error.diagnostics.map(\.description), cardErrors(text))
            XCTAssertEqual(error.diagnostics.first?.description.hasPrefix("ratecards/acme.toml:12:12: error[toml]: NUL byte"), true)
        }
    }

    func policyErrors(_ text: String) -> [String] {
        do {
            _ = try Policy.parse(text)
            return []
        } catch {
            return error.diagnostics.map(\.description)
        }
    }

    func testNulInSpendTomlIsALocatedTOMLError() {
        // Before: the whole policy disappeared and untagged appends succeeded.
        XCTAssertEqual(
            policyErrors("# policy\0\n[policy]\nrequired_tags = [\"team\"]\n"),
            ["spend.toml:1:9: error[toml]: NUL byte (U+0000): TOML files must not contain NUL"])
    }

    // MARK: features.paths

    func testFeaturePathsMustStayInsideTheRepository() {
        let text = """
            [features.summaries]
            paths = ["src/summarize/**", "../../**"]

            [teams.platform]
            paths = [
              "infra/**",
              "/etc/passwd",
              "src/../x/**",
            ]

            """
        let hint = #"paths are globs relative to the repository root, e.g. "src/summarize/**""#
        XCTAssertEqual(
            policyErrors(text),
            [
                #"spend.toml:2:30: error[policy]: path "../../**" in [features.summaries] leaves the repository (".."): "# + hint,
                #"spend.toml:7:3: error[policy]: path "/etc/passwd" in [teams.platform] is absolute: "# + hint,
                #"spend.toml:8:3: error[policy]: path "src/../x/**" in [teams.platform] leaves the repository (".."): "# + hint,
            ])
        XCTAssertEqual(policyErrors("[features.x]\npaths = [\"src/**\", \"a..b/*.py\", \"..x/**\"]\n"), [])
    }
}
