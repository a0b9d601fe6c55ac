import XCTest

@testable import SpendCore
@testable import SpendFormats

/// spend's own TOML 1.0 parser: every construct, and every malformed input a
/// located error (toml++ aborted the process on some of them).
final class TOMLParserTests: XCTestCase {
    private func parse(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> TOMLTable? {
        do {
            return try TOMLParser.parse(text)
        } catch {
            XCTFail("\(error.line):\(error.column): \(error.message)", file: file, line: line)
            return nil
        }
    }

    /// `line:column: message` of the error `text` must raise.
    private func failure(_ text: String) -> String {
        do {
            _ = try TOMLParser.parse(text)
            return "parsed"
        } catch {
            return "\(error.line):\(error.column): \(error.message)"
        }
    }

    // MARK: Valid documents

    func testCommentsKeysAndOrder() throws {
        let t = try XCTUnwrap(
            parse(
                """
                # a comment
                bare_key-1 = 1 # trailing
                "quoted key" = 2
                'literal key' = 3
                "" = 4
                a . b.c = 5
                site."google.com" = true

                """))
        XCTAssertEqual(t.keys, ["bare_key-1", "quoted key", "literal key", "", "a", "site"])
        XCTAssertEqual(t["bare_key-1"]?.int, 1)
        XCTAssertEqual(t["quoted key"]?.int, 2)
        XCTAssertEqual(t["literal key"]?.int, 3)
        XCTAssertEqual(t[""]?.int, 4)
        XCTAssertEqual(t["a"]?.table?["b"]?.table?["c"]?.int, 5)
        XCTAssertEqual(t["site"]?.table?["google.com"]?.bool, true)
    }

    func testStrings() throws {
        let t = try XCTUnwrap(
            parse(
                #"""
                basic = "tab\there \"q\" \\ \b\f\n\r \u00E9 \U0001F600"
                literal = 'C:\Users\nodejs'
                ml = """
                Roses \
                    are red
                one "" two ""\""""
                mll = '''
                first
                'quoted' ''still'''''
                crlf = "a"

                """#))
        XCTAssertEqual(t["basic"]?.string, "tab\there \"q\" \\ \u{8}\u{C}\n\r é 😀")
        XCTAssertEqual(t["literal"]?.string, #"C:\Users\nodejs"#)
        XCTAssertEqual(t["ml"]?.string, "Roses are red\none \"\" two \"\"\"")
        // Up to two quotes right before the closing three are content; six is one too many.
        let closing = try TOMLParser.parse(#"s = """x""""""# + "\n" + "l = '''y''''\n")
        XCTAssertEqual(closing["s"]?.string, "x\"\"")
        XCTAssertEqual(closing["l"]?.string, "y'")
        XCTAssertEqual(failure(#"s = """x"""""""# + "\n"), "1:14: expected a newline after the value, found '\"'")
        XCTAssertEqual(t["mll"]?.string, "first\n'quoted' ''still''")
        XCTAssertEqual(try TOMLParser.parse("s = \"\"\"\r\nx\r\ny\"\"\"\r\n")["s"]?.string, "x\ny")
    }

    func testIntegersAndFloats() throws {
        let t = try XCTUnwrap(
            parse(
                """
                a = +99
                b = -17
                c = 0
                d = 1_000_000
                e = 0xDEAD_beef
                f = 0o755
                g = 0b1101
                h = 9223372036854775807
                i = -9223372036854775808
                j = 1.25
                k = -0.000_001
                l = 5e+22
                m = 6.626e-34
                n = inf
                o = -inf
                p = nan
                q = 0.075

                """))
        XCTAssertEqual(t["a"]?.int, 99)
        XCTAssertEqual(t["b"]?.int, -17)
        XCTAssertEqual(t["c"]?.int, 0)
        XCTAssertEqual(t["d"]?.int, 1_000_000)
        XCTAssertEqual(t["e"]?.int, 0xDEAD_BEEF)
        XCTAssertEqual(t["f"]?.int, 0o755)
        XCTAssertEqual(t["g"]?.int, 13)
        XCTAssertEqual(t["h"]?.int, Int64.max)
        XCTAssertEqual(t["i"]?.int, Int64.min)
        XCTAssertEqual(t["j"]?.double, 1.25)
        XCTAssertEqual(t["k"]?.double, -0.000001)
        XCTAssertEqual(t["k"]?.floatLiteral, "-0.000_001")
        XCTAssertEqual(t["l"]?.double, 5e22)
        XCTAssertEqual(t["m"]?.double, 6.626e-34)
        XCTAssertEqual(t["n"]?.double, .infinity)
        XCTAssertEqual(t["o"]?.double, -.infinity)
        XCTAssertEqual(t["p"]?.double?.isNaN, true)
        XCTAssertEqual(t["q"]?.type, .float)
        XCTAssertEqual(t["q"]?.floatLiteral, "0.075")
        XCTAssertEqual(t["a"]?.type, .int)
        XCTAssertNil(t["a"]?.double)
    }

    func testBooleansDatesAndTimes() throws {
        let t = try XCTUnwrap(
            parse(
                """
                yes = true
                no = false
                odt1 = 1979-05-27T07:32:00Z
                odt2 = 1979-05-27T00:32:00.999999-07:00
                odt3 = 1979-05-27 07:32:00+05:30
                ldt = 1979-05-27t07:32:00.5
                ld = 2024-02-29
                lt = 00:32:00.123456789123

                """))
        XCTAssertEqual(t["yes"]?.bool, true)
        XCTAssertEqual(t["no"]?.bool, false)
        XCTAssertEqual(
            t["odt1"]?.dateTime,
            TOMLDateTime(date: TOMLDate(year: 1979, month: 5, day: 27), time: TOMLTime(hour: 7, minute: 32, second: 0, nanoSecond: 0), offsetMinutes: 0))
        XCTAssertEqual(t["odt2"]?.dateTime?.offsetMinutes, -420)
        XCTAssertEqual(t["odt2"]?.dateTime?.time.nanoSecond, 999_999_000)
        XCTAssertEqual(t["odt3"]?.dateTime?.offsetMinutes, 330)
        XCTAssertEqual(t["ldt"]?.dateTime?.offsetMinutes, nil)
        XCTAssertEqual(t["ldt"]?.dateTime?.time.nanoSecond, 500_000_000)
        XCTAssertEqual(t["ld"]?.date, TOMLDate(year: 2024, month: 2, day: 29))
        XCTAssertNil(t["ld"]?.dateTime)
        XCTAssertEqual(t["lt"]?.time, TOMLTime(hour: 0, minute: 32, second: 0, nanoSecond: 123_456_789))
    }

    func testArraysAndInlineTables() throws {
        let t = try XCTUnwrap(
            parse(
                """
                empty = []
                mixed = [ 1, "two", [3, 4], {x = 5} ]
                multi = [
                  1, # one
                  2,
                ]
                point = { x = 1, y.z = 2 }
                none = {}

                """))
        XCTAssertEqual(t["empty"]?.array, [])
        XCTAssertEqual(t["mixed"]?.array?.count, 4)
        XCTAssertEqual(t["mixed"]?.array?[2].array, [.integer(3), .integer(4)])
        XCTAssertEqual(t["mixed"]?.array?[3].table?["x"]?.int, 5)
        XCTAssertEqual(t["multi"]?.array, [.integer(1), .integer(2)])
        XCTAssertEqual(t["point"]?.table?.keys, ["x", "y"])
        XCTAssertEqual(t["point"]?.table?["y"]?.table?["z"]?.int, 2)
        XCTAssertEqual(t["none"]?.table, TOMLTable())
    }

    func testTablesAndArraysOfTables() throws {
        let t = try XCTUnwrap(
            parse(
                """
                \u{FEFF}title = "x"
                [a.b.c]
                d = 1
                [a]
                e = 2
                [ a . b ]
                f = 3
                [[price]]
                model = "m1"
                [price.tool_calls]
                web = 10
                [[price]]
                model = "m2"
                [[price.tiers]]
                above = 1
                [fruit]
                apple.color = "red"
                [fruit.apple.texture]
                smooth = true

                """))
        XCTAssertEqual(t.keys, ["title", "a", "price", "fruit"])
        XCTAssertEqual(t["a"]?.table?.keys, ["b", "e"])
        XCTAssertEqual(t["a"]?.table?["b"]?.table?["c"]?.table?["d"]?.int, 1)
        XCTAssertEqual(t["a"]?.table?["b"]?.table?["f"]?.int, 3)
        let prices = try XCTUnwrap(t["price"]?.array)
        XCTAssertEqual(prices.count, 2)
        XCTAssertEqual(prices[0].table?["tool_calls"]?.table?["web"]?.int, 10)
        XCTAssertEqual(prices[1].table?["tiers"]?.array?.first?.table?["above"]?.int, 1)
        XCTAssertEqual(t["fruit"]?.table?["apple"]?.table?.keys, ["color", "texture"])
    }

    // MARK: Invalid documents: line, byte column, message

    func testSyntaxErrors() {
        XCTAssertEqual(failure("a = 1\nb 2\n"), "2:3: expected '=' after key \"b\", found '2'")
        XCTAssertEqual(failure("a =\n"), "1:4: expected a value (string, number, boolean, date, array or inline table), found end of line")
        XCTAssertEqual(failure("a = 1 2\n"), "1:7: expected a newline after the value, found '2'")
        XCTAssertEqual(failure("a = \"abc\nb = 1\n"), "1:5: unterminated string")
        XCTAssertEqual(failure("a = \"\"\"abc"), "1:5: unterminated string")
        XCTAssertEqual(failure("a = 'abc"), "1:5: unterminated string")
        XCTAssertEqual(failure("a = \"\\x\"\n"), "1:6: invalid escape \\x (valid: \\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX \\UXXXXXXXX)")
        XCTAssertEqual(failure("a = \"\\uD800\"\n"), "1:6: \\uD800 is not a Unicode scalar value")
        XCTAssertEqual(failure("a = \"\\u12\"\n"), "1:6: \\u needs 4 hex digits")
        XCTAssertEqual(failure("a = \"\u{1}\"\n"), "1:6: control character U+0001 in a string (write it as an escape)")
        XCTAssertEqual(failure("a = [1 2]\n"), "1:8: expected ',' or ']' in array, found '2'")
        XCTAssertEqual(failure("a = {x = 1,}\n"), "1:12: trailing comma not allowed in an inline table")
        XCTAssertEqual(failure("a = {x = 1\n}\n"), "1:11: newline in an inline table (inline tables are one line)")
        XCTAssertEqual(failure("a = 1\r"), "1:6: carriage return (CR) not followed by a line feed")
        XCTAssertEqual(failure("[a\n"), "1:3: expected ']' to close the table header, found end of line")
        XCTAssertEqual(failure("[[a]\n"), "1:5: expected ']]' to close the array-of-tables header, found end of line")
        XCTAssertEqual(failure("a = truth\n"), "1:5: expected a value (string, number, boolean, date, array or inline table), found 't'")
        XCTAssertEqual(failure("\"\"\"k\"\"\" = 1\n"), "1:1: a key cannot be a multi-line string")
        XCTAssertEqual(failure("# bell \u{7}\n"), "1:8: control character U+0007 in a comment")
    }

    func testNumberErrors() {
        XCTAssertEqual(failure("a = 9223372036854775808\n"), "1:5: integer 9223372036854775808 is out of range (64-bit)")
        XCTAssertEqual(failure("a = -9223372036854775809\n"), "1:5: integer -9223372036854775809 is out of range (64-bit)")
        XCTAssertEqual(failure("a = 0x1_0000_0000_0000_0000\n"), "1:5: integer is out of range (64-bit)")
        XCTAssertEqual(failure("a = 012\n"), "1:5: leading zeros are not allowed in a number")
        XCTAssertEqual(failure("a = 1__0\n"), "1:5: '_' must be between digits")
        XCTAssertEqual(failure("a = 1_\n"), "1:5: '_' must be between digits")
        XCTAssertEqual(failure("a = 1.\n"), "1:5: expected a digit after the decimal point")
        XCTAssertEqual(failure("a = .5\n"), "1:5: expected a value (string, number, boolean, date, array or inline table), found '.'")
        XCTAssertEqual(failure("a = 1e\n"), "1:5: expected a digit in the exponent")
        XCTAssertEqual(failure("a = 1e400\n"), "1:5: float 1e400 is out of range")
        XCTAssertEqual(failure("a = -0x1\n"), "1:5: a hexadecimal, octal or binary integer cannot have a sign")
        XCTAssertEqual(failure("a = 0o8\n"), "1:5: invalid digit '8' in a base-8 integer")
        XCTAssertEqual(failure("a = 12abc\n"), "1:5: invalid number")
    }

    func testDateErrors() {
        XCTAssertEqual(failure("a = 2025-13-01\n"), "1:5: month 13 is not 1–12")
        XCTAssertEqual(failure("a = 2025-02-29\n"), "1:5: day 29 does not exist in 2025-02")
        XCTAssertEqual(failure("a = 2025-05-22T25:00:00\n"), "1:16: time 25:0:0 is out of range")
        XCTAssertEqual(failure("a = 2025-05-22T10:00\n"), "1:21: invalid time (seconds are required): expected ':', found end of line")
        XCTAssertEqual(failure("a = 2025-5-22\n"), "1:11: invalid date or time: expected a digit, found '-'")
        XCTAssertEqual(failure("a = 2025-05-22T10:00:00+0500\n"), "1:27: invalid time offset: expected ':', found '0'")
    }

    func testRedefinitionErrors() {
        XCTAssertEqual(failure("input = 1\noutput = 2\ninput = 3\n"), "3:1: duplicate key \"input\" (first at line 1)")
        XCTAssertEqual(failure("[a]\nx = 1\n[a]\n"), "3:2: table [a] is already defined (first at line 1)")
        XCTAssertEqual(failure("[a]\nb.c = 1\n[a.b]\n"), "3:4: table [a.b] is already defined by dotted keys (first at line 2)")
        XCTAssertEqual(failure("a = {x = 1}\n[a]\n"), "2:2: key \"a\" is already defined as a value (first at line 1)")
        XCTAssertEqual(failure("a = {x = 1}\na.y = 2\n"), "2:1: cannot extend \"a\": it is an inline table (first at line 1)")
        XCTAssertEqual(failure("a = {x = 1}\n[a.b]\n"), "2:2: cannot extend \"a\": it is an inline table (first at line 1)")
        XCTAssertEqual(failure("a = [1]\n[[a]]\n"), "2:3: key \"a\" is already defined as a value (first at line 1)")
        XCTAssertEqual(failure("[a]\n[[a]]\n"), "2:3: [[a]] is already a table (first at line 1)")
        XCTAssertEqual(failure("[[a]]\n[a]\n"), "2:2: table [a] is already defined as an array of tables (first at line 1)")
        XCTAssertEqual(failure("[a.b]\nz = 1\n[a]\nb.y = 2\n"), "4:1: cannot add keys to table \"b\" with dotted keys: it is defined by a header (first at line 1)")
        XCTAssertEqual(failure("a = 1\na.b = 2\n"), "2:1: cannot extend \"a\": it is a value (first at line 1)")
        XCTAssertEqual(failure("p = {a = 1, a = 2}\n"), "1:13: duplicate key \"a\" (first at line 1)")
    }

    func testNestingIsBounded() {
        let deep = "a = " + String(repeating: "[", count: 200) + String(repeating: "]", count: 200) + "\n"
        XCTAssertEqual(failure(deep), "1:133: arrays and inline tables nested more than 128 deep")
        let inline = "a = " + String(repeating: "{b=", count: 200) + "1" + String(repeating: "}", count: 200) + "\n"
        XCTAssertTrue(failure(inline).hasSuffix("nested more than 128 deep"), failure(inline))
        let key = String(repeating: "k.", count: 200) + "k = 1\n"
        XCTAssertTrue(failure(key).hasSuffix("key has more than 128 parts"), failure(key))
        XCTAssertNotNil(parse("a = " + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "\n"))
    }

    /// Inputs on which toml++ aborted the process (exit 134): now located errors.
    func testInputsThatCrashedTomlPlusPlus() {
        XCTAssertEqual(failure("[\n"), "1:2: expected a key, found end of line")
        XCTAssertEqual(failure("t=[}"), "1:4: expected a value (string, number, boolean, date, array or inline table), found '}'")
        XCTAssertEqual(failure("r=2025-05-22T:"), "1:14: expected a time (HH:MM:SS) after 'T', found ':'")
    }

    func testTimeAfterTMustStartWithADigit() {
        XCTAssertEqual(failure("[policy]\nrequired_tags = [2025-05-22Tinf00:00:00Z]\n"), "2:29: expected a time (HH:MM:SS) after 'T', found 'i'")
    }

    /// The fuzzer's crashing cards and policies (Tests/Fixtures/fuzz), through the real entry point.
    func testFuzzFixturesAreLocatedErrors() throws {
        let root = TestSupport.packageRoot + "/Tests/Fixtures/fuzz/"
        let expected: [String: String] = [
            "policy/toml-array-brace.toml": "spend.toml:1:6: error[toml]: invalid TOML: expected a value (string, number, boolean, date, array or inline table), found '}'",
            "policy/toml-header-after-bom": "spend.toml:1:6: error[toml]: NUL byte (U+0000): TOML files must not contain NUL",
            "policy/toml-header-newline.toml": "spend.toml:1:2: error[toml]: invalid TOML: expected a key, found end of line",
            // The NUL later on line 2 is found first (the input check runs before parsing).
            "policy/toml-time-T-inf.toml": "spend.toml:2:54: error[toml]: NUL byte (U+0000): TOML files must not contain NUL",
            "policy/toml-time-without-digit-min.toml": "spend.toml:1:14: error[toml]: invalid TOML: expected a time (HH:MM:SS) after 'T', found ':'",
            "ratecard/toml-array-brace-min.toml": "ratecards/fuzz.toml:1:4: error[toml]: invalid TOML: expected a value (string, number, boolean, date, array or inline table), found '}'",
            "ratecard/toml-header-triple-bracket.toml": "ratecards/fuzz.toml:2:3: error[toml]: invalid TOML: expected a key, found '['",
            "ratecard/toml-time-without-digit.toml": "ratecards/fuzz.toml:5:24: error[toml]: invalid TOML: expected a time (HH:MM:SS) after 'T', found ':'",
        ]
        for (name, message) in expected.sorted(by: { $0.key < $1.key }) {
            let data = try Data(contentsOf: URL(fileURLWithPath: root + name))
            let text = String(decoding: data, as: UTF8.self)
            do {
                if name.hasPrefix("policy/") {
                    _ = try Policy.parse(text)
                } else {
                    _ = try RateCardParser.parse(text, path: "ratecards/fuzz.toml")
                }
                XCTFail("\(name) parsed")
            } catch {
                XCTAssertEqual(error.diagnostics.map(\.description), [message], name)
            }
        }
    }

    /// Linear time: a long document of many keys, tables and array elements parses (no timing asserted).
    func testLargeDocumentParses() throws {
        var text = "big = [" + String(repeating: "1, ", count: 50_000) + "]\n"
        for n in 0..<5_000 { text += "[[t]]\nk\(n) = \"v\"\n" }
        let t = try XCTUnwrap(parse(text))
        XCTAssertEqual(t["big"]?.array?.count, 50_000)
        XCTAssertEqual(t["t"]?.array?.count, 5_000)
    }
}

/// Prices written as TOML floats are read from their text, exactly.
final class TOMLFloatPriceTests: XCTestCase {
    private func card(input: String) -> String {
        "provider = \"acme\"\n[[price]]\nmodel = \"m\"\neffective = 2025-01-01\ninput = \(input)\noutput = 2\n"
    }

    func testFloatPricesAreTheDecimalWritten() throws {
        let written = try RateCardParser.parse(card(input: "1_000.123456789012"), path: "ratecards/acme.toml")
        XCTAssertEqual(written.points.first?.rates.input, ExactDecimal("1000.123456789012"))
        let exponent = try RateCardParser.parse(card(input: "7.5e-2"), path: "ratecards/acme.toml")
        XCTAssertEqual(exponent.points.first?.rates.input, ExactDecimal("0.075"))
    }

    /// Through a Double, 0.1000000000000000055 read as 0.1: a silent guess. Now its 19 places are refused.
    func testFloatBeyondDoublePrecisionIsNotRounded() {
        do {
            _ = try RateCardParser.parse(card(input: "0.1000000000000000055"), path: "ratecards/acme.toml")
            XCTFail("parsed")
        } catch {
            XCTAssertEqual(
                error.diagnostics.map(\.description),
                ["ratecards/acme.toml:5: error[ratecard-precision]: input of \"m\" has 19 decimal places; spend carries prices exactly to at most 12"])
        }
    }
}
