import SpendBase

/// A TOML error: 1-based line and byte column, and what is wrong.
struct TOMLParseError: Error, Sendable, Equatable {
    var line: Int
    var column: Int
    var message: String
}

/// spend's own strict TOML 1.0 parser: recursive descent over UTF-8 bytes,
/// linear in the input, nesting bounded by `maxDepth`, and every malformed
/// input a located `TOMLParseError` (never a trap, never a guess).
struct TOMLParser {
    /// Deepest nesting of arrays and inline tables, and most parts of one key.
    static let maxDepth = 128

    /// Parses a whole document into its root table.
    static func parse(_ text: String) throws(TOMLParseError) -> TOMLTable {
        var parser = TOMLParser(bytes: Array(text.utf8))
        return try parser.document()
    }

    private let bytes: [UInt8]
    private var i = 0
    /// Nesting so far: header parts, dotted key parts, arrays and inline tables.
    private var depth = 0
    /// Parts of the current table header.
    private var sectionDepth = 0

    private init(bytes: [UInt8]) { self.bytes = bytes }

    // MARK: Building tables

    /// How a table came to be, for TOML's rules on defining it again.
    private enum Origin { case implicit, header, dotted, inline }

    private final class TableBuilder {
        var origin: Origin
        var keys: [String] = []
        var entries: [String: Entry] = [:]
        var lines: [String: Int] = [:]
        init(_ origin: Origin) { self.origin = origin }

        func add(_ key: String, _ entry: Entry, line: Int) {
            keys.append(key)
            entries[key] = entry
            lines[key] = line
        }

        func frozen() -> TOMLTable {
            var table = TOMLTable()
            for key in keys {
                guard let entry = entries[key] else { continue }
                switch entry {
                case .value(let v): table.set(key, v)
                case .table(let t): table.set(key, .table(t.frozen()))
                case .tables(let list): table.set(key, .array(list.map { .table($0.frozen()) }))
                }
            }
            return table
        }
    }

    private enum Entry {
        case value(TOMLValue)
        case table(TableBuilder)
        /// An array of tables (`[[name]]`), still open for more elements.
        case tables([TableBuilder])
    }

    private typealias Key = [(name: String, offset: Int)]

    // MARK: Document

    private mutating func document() throws(TOMLParseError) -> TOMLTable {
        let root = TableBuilder(.header)
        var current = root
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { i = 3 }
        while i < bytes.count {
            skipWhitespace()
            guard let c = peek() else { break }
            switch c {
            case 10, 13:
                try newline()
                continue
            case UInt8(ascii: "#"):
                try comment()
                continue
            case UInt8(ascii: "["):
                current = try header(root)
            default:
                depth = sectionDepth
                try keyValue(into: current)
            }
            skipWhitespace()
            if peek() == UInt8(ascii: "#") { try comment() }
            guard let end = peek() else { break }
            guard end == 10 || end == 13 else { throw error("expected a newline after \(c == UInt8(ascii: "[") ? "the table header" : "the value"), found \(describe(end))") }
            try newline()
        }
        return root.frozen()
    }

    /// `[a.b]` or `[[a.b]]`: the table that following keys go into.
    private mutating func header(_ root: TableBuilder) throws(TOMLParseError) -> TableBuilder {
        let start = i
        i += 1
        let isArray = peek() == UInt8(ascii: "[")
        if isArray { i += 1 }
        skipWhitespace()
        let key = try self.key()
        skipWhitespace()
        guard peek() == UInt8(ascii: "]") else { throw error("expected ']' to close the table header, found \(describe(peek()))") }
        i += 1
        if isArray {
            guard peek() == UInt8(ascii: "]") else { throw error("expected ']]' to close the array-of-tables header, found \(describe(peek()))") }
            i += 1
        }
        let line = lineNumber(at: start)
        if key.count > Self.maxDepth { throw error("table header has more than \(Self.maxDepth) parts", at: start) }
        sectionDepth = key.count
        var table = root
        for part in key.dropLast() {
            table = try descend(table, part, line: line, viaDottedKey: false)
        }
        guard let last = key.last else { throw error("expected a key", at: start) }
        let name = describeKey(key)
        switch table.entries[last.name] {
        case nil:
            let new = TableBuilder(.header)
            table.add(last.name, isArray ? .tables([new]) : .table(new), line: line)
            return new
        case .table(let existing) where !isArray && existing.origin == .implicit:
            existing.origin = .header
            return existing
        case .table(let existing):
            let first = table.lines[last.name] ?? line
            if isArray { throw error("[[\(name)]] is already a table (first at line \(first))", at: last.offset) }
            let how = existing.origin == .dotted ? " by dotted keys" : ""
            throw error("table [\(name)] is already defined\(how) (first at line \(first))", at: last.offset)
        case .tables(var list) where isArray:
            let new = TableBuilder(.header)
            list.append(new)
            table.entries[last.name] = .tables(list)
            return new
        case .tables:
            throw error("table [\(name)] is already defined as an array of tables (first at line \(table.lines[last.name] ?? line))", at: last.offset)
        case .value:
            throw error("key \"\(name)\" is already defined as a value (first at line \(table.lines[last.name] ?? line))", at: last.offset)
        }
    }

    /// The sub-table `part` of `table` for a header or dotted key, creating it if new.
    private func descend(_ table: TableBuilder, _ part: (name: String, offset: Int), line: Int, viaDottedKey: Bool) throws(TOMLParseError) -> TableBuilder {
        switch table.entries[part.name] {
        case nil:
            let new = TableBuilder(viaDottedKey ? .dotted : .implicit)
            table.add(part.name, .table(new), line: line)
            return new
        case .table(let existing):
            if viaDottedKey && existing.origin == .implicit { existing.origin = .dotted }
            if viaDottedKey && existing.origin != .dotted {
                throw error("cannot add keys to table \"\(part.name)\" with dotted keys: it is defined by a header (first at line \(table.lines[part.name] ?? line))", at: part.offset)
            }
            return existing
        case .tables(let list):
            if viaDottedKey || list.isEmpty {
                throw error("cannot add keys to array of tables \"\(part.name)\" with dotted keys (first at line \(table.lines[part.name] ?? line))", at: part.offset)
            }
            return list[list.count - 1]
        case .value(let v):
            let what = v.type == .table ? "an inline table" : v.type == .array ? "an array" : "a value"
            throw error("cannot extend \"\(part.name)\": it is \(what) (first at line \(table.lines[part.name] ?? line))", at: part.offset)
        }
    }

    /// `key = value` into `table` (dotted keys create sub-tables of `origin`).
    private mutating func keyValue(into table: TableBuilder) throws(TOMLParseError) {
        let start = i
        let key = try self.key()
        let line = lineNumber(at: start)
        skipWhitespace()
        guard peek() == UInt8(ascii: "=") else { throw error("expected '=' after key \(quoted(describeKey(key))), found \(describe(peek()))") }
        i += 1
        skipWhitespace()
        depth += key.count - 1
        if depth > Self.maxDepth { throw error("tables nested more than \(Self.maxDepth) deep", at: start) }
        let value = try self.value()
        depth -= key.count - 1
        var target = table
        for part in key.dropLast() {
            target = try descend(target, part, line: line, viaDottedKey: true)
        }
        guard let last = key.last else { throw error("expected a key", at: start) }
        if target.entries[last.name] != nil {
            throw error("duplicate key \(quoted(last.name)) (first at line \(target.lines[last.name] ?? line))", at: last.offset)
        }
        target.add(last.name, .value(value), line: line)
    }

    // MARK: Keys

    private mutating func key() throws(TOMLParseError) -> Key {
        var parts: Key = []
        while true {
            let offset = i
            parts.append((try simpleKey(), offset))
            if parts.count > Self.maxDepth { throw error("key has more than \(Self.maxDepth) parts", at: offset) }
            let save = i
            skipWhitespace()
            guard peek() == UInt8(ascii: ".") else {
                i = save
                return parts
            }
            i += 1
            skipWhitespace()
        }
    }

    private mutating func simpleKey() throws(TOMLParseError) -> String {
        guard let c = peek() else { throw error("expected a key, found end of file") }
        if c == UInt8(ascii: "\"") {
            if starts("\"\"\"") { throw error("a key cannot be a multi-line string") }
            return try basicString()
        }
        if c == UInt8(ascii: "'") {
            if starts("'''") { throw error("a key cannot be a multi-line string") }
            return try literalString()
        }
        let start = i
        while let b = peek(), Self.isBareKey(b) { i += 1 }
        guard i > start else { throw error("expected a key, found \(describe(c))") }
        return String(decoding: bytes[start..<i], as: UTF8.self)
    }

    private static func isBareKey(_ b: UInt8) -> Bool {
        isDigit(b) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == UInt8(ascii: "_") || b == UInt8(ascii: "-")
    }

    // MARK: Values

    private mutating func value() throws(TOMLParseError) -> TOMLValue {
        guard let c = peek() else { throw error("expected a value, found end of file") }
        switch c {
        case UInt8(ascii: "\""):
            return .string(starts("\"\"\"") ? try multilineBasicString() : try basicString())
        case UInt8(ascii: "'"):
            return .string(starts("'''") ? try multilineLiteralString() : try literalString())
        case UInt8(ascii: "t"):
            if starts("true") && !continuesBareWord(after: 4) { i += 4; return .boolean(true) }
        case UInt8(ascii: "f"):
            if starts("false") && !continuesBareWord(after: 5) { i += 5; return .boolean(false) }
        case UInt8(ascii: "["):
            return try array()
        case UInt8(ascii: "{"):
            return try inlineTable()
        case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "i"), UInt8(ascii: "n"):
            return try number()
        default:
            if Self.isDigit(c) { return isDateOrTime() ? try dateOrTime() : try number() }
        }
        throw error("expected a value (string, number, boolean, date, array or inline table), found \(describe(c))")
    }

    private func continuesBareWord(after n: Int) -> Bool {
        i + n < bytes.count && Self.isBareKey(bytes[i + n])
    }

    private mutating func enterNesting() throws(TOMLParseError) {
        depth += 1
        if depth > Self.maxDepth { throw error("arrays and inline tables nested more than \(Self.maxDepth) deep") }
    }

    private mutating func array() throws(TOMLParseError) -> TOMLValue {
        try enterNesting()
        i += 1
        var elements: [TOMLValue] = []
        while true {
            try skipWhitespaceNewlinesAndComments()
            if peek() == UInt8(ascii: "]") { break }
            elements.append(try value())
            try skipWhitespaceNewlinesAndComments()
            if peek() == UInt8(ascii: ",") {
                i += 1
                continue
            }
            guard peek() == UInt8(ascii: "]") else { throw error("expected ',' or ']' in array, found \(describe(peek()))") }
            break
        }
        i += 1
        depth -= 1
        return .array(elements)
    }

    private mutating func inlineTable() throws(TOMLParseError) -> TOMLValue {
        try enterNesting()
        i += 1
        let table = TableBuilder(.inline)
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            i += 1
            depth -= 1
            return .table(table.frozen())
        }
        while true {
            skipWhitespace()
            if peek() == UInt8(ascii: "}") { throw error("trailing comma not allowed in an inline table") }
            if peek() == 10 || peek() == 13 { throw error("newline in an inline table (inline tables are one line)") }
            try keyValue(into: table)
            skipWhitespace()
            if peek() == UInt8(ascii: ",") {
                i += 1
                continue
            }
            if peek() == UInt8(ascii: "}") { break }
            if peek() == 10 || peek() == 13 { throw error("newline in an inline table (inline tables are one line)") }
            throw error("expected ',' or '}' in inline table, found \(describe(peek()))")
        }
        i += 1
        depth -= 1
        return .table(table.frozen())
    }

    // MARK: Strings

    /// `"…"`, on one line, with escapes.
    private mutating func basicString() throws(TOMLParseError) -> String {
        let open = i
        i += 1
        var out: [UInt8] = []
        while true {
            guard let c = peek(), c != 10, c != 13 else { throw error("unterminated string", at: open) }
            if c == UInt8(ascii: "\"") {
                i += 1
                return String(decoding: out, as: UTF8.self)
            }
            if c == UInt8(ascii: "\\") {
                try escape(into: &out)
                continue
            }
            try checkStringByte(c)
            out.append(c)
            i += 1
        }
    }

    /// `"""…"""`: a newline right after the opening quotes is dropped; `\` at a line's end joins lines.
    private mutating func multilineBasicString() throws(TOMLParseError) -> String {
        let open = i
        i += 3
        try skipFirstNewline()
        var out: [UInt8] = []
        while true {
            guard let c = peek() else { throw error("unterminated string", at: open) }
            if c == UInt8(ascii: "\"") {
                if let done = closeMultiline(quote: c, into: &out) { return done }
                continue
            }
            if c == UInt8(ascii: "\\") {
                // A line-ending backslash: skip whitespace and newlines up to the next content.
                var j = i + 1
                while j < bytes.count && (bytes[j] == 32 || bytes[j] == 9) { j += 1 }
                if j < bytes.count && (bytes[j] == 10 || (bytes[j] == 13 && j + 1 < bytes.count && bytes[j + 1] == 10)) {
                    i = j
                    while let b = peek(), b == 32 || b == 9 || b == 10 || b == 13 {
                        if b == 13 { try newline() } else { i += 1 }
                    }
                    continue
                }
                try escape(into: &out)
                continue
            }
            if c == 13 || c == 10 {
                try newline()
                out.append(10)
                continue
            }
            try checkStringByte(c)
            out.append(c)
            i += 1
        }
    }

    /// `'…'`: on one line, no escapes.
    private mutating func literalString() throws(TOMLParseError) -> String {
        let open = i
        i += 1
        let start = i
        while true {
            guard let c = peek(), c != 10, c != 13 else { throw error("unterminated string", at: open) }
            if c == UInt8(ascii: "'") {
                let s = String(decoding: bytes[start..<i], as: UTF8.self)
                i += 1
                return s
            }
            try checkStringByte(c)
            i += 1
        }
    }

    /// `'''…'''`: no escapes; a newline right after the opening quotes is dropped.
    private mutating func multilineLiteralString() throws(TOMLParseError) -> String {
        let open = i
        i += 3
        try skipFirstNewline()
        var out: [UInt8] = []
        while true {
            guard let c = peek() else { throw error("unterminated string", at: open) }
            if c == UInt8(ascii: "'") {
                if let done = closeMultiline(quote: c, into: &out) { return done }
                continue
            }
            if c == 13 || c == 10 {
                try newline()
                out.append(10)
                continue
            }
            try checkStringByte(c)
            out.append(c)
            i += 1
        }
    }

    private mutating func skipFirstNewline() throws(TOMLParseError) {
        if peek() == 10 || peek() == 13 { try newline() }
    }

    /// At a run of `quote`s in a multi-line string: 1–2 are content; 3–5 end it (the extra 1–2 are content).
    private mutating func closeMultiline(quote: UInt8, into out: inout [UInt8]) -> String? {
        var n = 0
        while i + n < bytes.count && bytes[i + n] == quote && n < 5 { n += 1 }
        if n < 3 {
            out.append(contentsOf: repeatElement(quote, count: n))
            i += n
            return nil
        }
        out.append(contentsOf: repeatElement(quote, count: n - 3))
        i += n
        return String(decoding: out, as: UTF8.self)
    }

    /// Control characters other than tab are not allowed in strings.
    private func checkStringByte(_ c: UInt8) throws(TOMLParseError) {
        if (c < 0x20 && c != 9) || c == 0x7F {
            throw error("control character U+\(hex(UInt32(c), width: 4)) in a string (write it as an escape)")
        }
    }

    private mutating func escape(into out: inout [UInt8]) throws(TOMLParseError) {
        let start = i
        i += 1
        guard let c = peek() else { throw error("unterminated string", at: start) }
        i += 1
        switch c {
        case UInt8(ascii: "b"): out.append(8)
        case UInt8(ascii: "t"): out.append(9)
        case UInt8(ascii: "n"): out.append(10)
        case UInt8(ascii: "f"): out.append(12)
        case UInt8(ascii: "r"): out.append(13)
        case UInt8(ascii: "\""): out.append(34)
        case UInt8(ascii: "\\"): out.append(92)
        case UInt8(ascii: "u"), UInt8(ascii: "U"):
            let count = c == UInt8(ascii: "u") ? 4 : 8
            var scalar: UInt32 = 0
            for _ in 0..<count {
                guard let d = peek(), let v = Self.hexValue(d) else {
                    throw error("\\\(Character(Unicode.Scalar(c))) needs \(count) hex digits", at: start)
                }
                scalar = scalar << 4 | UInt32(v)
                i += 1
            }
            guard let u = Unicode.Scalar(scalar) else {
                throw error("\\\(Character(Unicode.Scalar(c)))\(hex(scalar, width: count)) is not a Unicode scalar value", at: start)
            }
            out.append(contentsOf: Array(String(Character(u)).utf8))
        default:
            throw error("invalid escape \\\(describeRaw(c)) (valid: \\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX \\UXXXXXXXX)", at: start)
        }
    }

    // MARK: Numbers

    private mutating func number() throws(TOMLParseError) -> TOMLValue {
        let start = i
        var sign: UInt8?
        if let c = peek(), c == UInt8(ascii: "+") || c == UInt8(ascii: "-") {
            sign = c
            i += 1
        }
        if starts("inf") || starts("nan") {
            let isNaN = starts("nan")
            i += 3
            if let b = peek(), Self.isBareKey(b) || b == UInt8(ascii: ".") { throw error("invalid number", at: start) }
            let literal = String(decoding: bytes[start..<i], as: UTF8.self)
            let value: Double = isNaN ? .nan : (sign == UInt8(ascii: "-") ? -.infinity : .infinity)
            return .float(value, literal: literal)
        }
        guard let first = peek(), Self.isDigit(first) else { throw error("expected a value, found \(describe(peek()))", at: start) }
        if first == UInt8(ascii: "0"), let p = peekAt(1), p == UInt8(ascii: "x") || p == UInt8(ascii: "o") || p == UInt8(ascii: "b") {
            if sign != nil { throw error("a hexadecimal, octal or binary integer cannot have a sign", at: start) }
            i += 2
            return .integer(try radixInteger(radix: p == UInt8(ascii: "x") ? 16 : p == UInt8(ascii: "o") ? 8 : 2, start: start))
        }
        let integerStart = i
        try digits(start: start)
        if bytes[integerStart] == UInt8(ascii: "0") && i - integerStart > 1 {
            throw error("leading zeros are not allowed in a number", at: start)
        }
        var isFloat = false
        if peek() == UInt8(ascii: ".") {
            isFloat = true
            i += 1
            guard let d = peek(), Self.isDigit(d) else { throw error("expected a digit after the decimal point", at: start) }
            try digits(start: start)
        }
        if let e = peek(), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            isFloat = true
            i += 1
            if let s = peek(), s == UInt8(ascii: "+") || s == UInt8(ascii: "-") { i += 1 }
            guard let d = peek(), Self.isDigit(d) else { throw error("expected a digit in the exponent", at: start) }
            try digits(start: start)
        }
        if let b = peek(), Self.isBareKey(b) || b == UInt8(ascii: ".") || b == UInt8(ascii: "+") || b == UInt8(ascii: ":") {
            throw error("invalid number", at: start)
        }
        let literal = String(decoding: bytes[start..<i], as: UTF8.self)
        let clean = literal.filter { $0 != "_" }
        if isFloat {
            guard let d = Double(clean), d.isFinite else { throw error("float \(literal) is out of range", at: start) }
            return .float(d, literal: literal)
        }
        // Accumulate towards the sign so Int64.min fits.
        var n: Int64 = 0
        let negative = sign == UInt8(ascii: "-")
        for b in clean.utf8 where Self.isDigit(b) {
            let digit = Int64(b - 48)
            let (m, o1) = n.multipliedReportingOverflow(by: 10)
            let (s, o2) = negative ? m.subtractingReportingOverflow(digit) : m.addingReportingOverflow(digit)
            if o1 || o2 { throw error("integer \(literal) is out of range (64-bit)", at: start) }
            n = s
        }
        return .integer(n)
    }

    /// Decimal digits with single underscores between them.
    private mutating func digits(start: Int) throws(TOMLParseError) {
        var last: UInt8 = UInt8(ascii: "_")
        guard let first = peek(), Self.isDigit(first) else { throw error("invalid number", at: start) }
        while let b = peek(), Self.isDigit(b) || b == UInt8(ascii: "_") {
            if b == UInt8(ascii: "_") && last == UInt8(ascii: "_") { throw error("'_' must be between digits", at: start) }
            last = b
            i += 1
        }
        if last == UInt8(ascii: "_") { throw error("'_' must be between digits", at: start) }
    }

    private mutating func radixInteger(radix: Int64, start: Int) throws(TOMLParseError) -> Int64 {
        var n: Int64 = 0
        var last: UInt8 = UInt8(ascii: "_")
        var count = 0
        while let b = peek(), Self.hexValue(b) != nil || b == UInt8(ascii: "_") {
            if b == UInt8(ascii: "_") {
                if last == UInt8(ascii: "_") { throw error("'_' must be between digits", at: start) }
            } else {
                guard let v = Self.hexValue(b), Int64(v) < radix else { throw error("invalid digit \(describe(b)) in a base-\(radix) integer", at: start) }
                let (m, o1) = n.multipliedReportingOverflow(by: radix)
                let (s, o2) = m.addingReportingOverflow(Int64(v))
                if o1 || o2 { throw error("integer is out of range (64-bit)", at: start) }
                n = s
                count += 1
            }
            last = b
            i += 1
        }
        if count == 0 || last == UInt8(ascii: "_") { throw error("invalid number", at: start) }
        if let b = peek(), Self.isBareKey(b) || b == UInt8(ascii: ".") { throw error("invalid number", at: start) }
        return n
    }

    // MARK: Dates and times

    /// `dddd-` starts a date, `dd:` a time.
    private func isDateOrTime() -> Bool {
        var n = 0
        while let b = peekAt(n), Self.isDigit(b) { n += 1 }
        return (n == 4 && peekAt(4) == UInt8(ascii: "-")) || (n == 2 && peekAt(2) == UInt8(ascii: ":"))
    }

    private mutating func dateOrTime() throws(TOMLParseError) -> TOMLValue {
        let start = i
        if peekAt(2) == UInt8(ascii: ":") {
            let t = try time()
            try endOfDateTime(start)
            return .time(t)
        }
        let year = try fixedDigits(4, start: start)
        try expect("-", start: start, what: "date")
        let month = try fixedDigits(2, start: start)
        try expect("-", start: start, what: "date")
        let day = try fixedDigits(2, start: start)
        guard (1...12).contains(month) else { throw error("month \(month) is not 1–12", at: start) }
        guard day >= 1 && day <= Self.daysIn(month: month, year: year) else {
            throw error("day \(day) does not exist in \(year)-\(month < 10 ? "0" : "")\(month)", at: start)
        }
        let date = TOMLDate(year: year, month: month, day: day)
        guard let c = peek() else { return .date(date) }
        if c == UInt8(ascii: "T") || c == UInt8(ascii: "t") {
            i += 1
            guard let d = peek(), Self.isDigit(d) else { throw error("expected a time (HH:MM:SS) after 'T', found \(describe(peek()))") }
        } else if c == 32, let d = peekAt(1), Self.isDigit(d) {
            i += 1
        } else {
            try endOfDateTime(start)
            return .date(date)
        }
        let t = try time()
        var offset: Int?
        if let z = peek(), z == UInt8(ascii: "Z") || z == UInt8(ascii: "z") {
            i += 1
            offset = 0
        } else if let s = peek(), s == UInt8(ascii: "+") || s == UInt8(ascii: "-") {
            i += 1
            let h = try fixedDigits(2, start: start)
            try expect(":", start: start, what: "time offset")
            let m = try fixedDigits(2, start: start)
            guard h <= 23 && m <= 59 else { throw error("time offset out of range", at: start) }
            offset = (s == UInt8(ascii: "-") ? -1 : 1) * (h * 60 + m)
        }
        try endOfDateTime(start)
        return .dateTime(TOMLDateTime(date: date, time: t, offsetMinutes: offset))
    }

    private mutating func time() throws(TOMLParseError) -> TOMLTime {
        let start = i
        let hour = try fixedDigits(2, start: start)
        try expect(":", start: start, what: "time")
        let minute = try fixedDigits(2, start: start)
        try expect(":", start: start, what: "time (seconds are required)")
        let second = try fixedDigits(2, start: start)
        guard hour <= 23, minute <= 59, second <= 59 else { throw error("time \(hour):\(minute):\(second) is out of range", at: start) }
        var nano = 0
        if peek() == UInt8(ascii: ".") {
            i += 1
            var count = 0
            while let b = peek(), Self.isDigit(b) {
                if count < 9 { nano = nano * 10 + Int(b - 48) }
                count += 1
                i += 1
            }
            guard count > 0 else { throw error("expected digits after '.' in a time", at: start) }
            for _ in count..<max(count, 9) { nano *= 10 }
        }
        return TOMLTime(hour: hour, minute: minute, second: second, nanoSecond: nano)
    }

    private func endOfDateTime(_ start: Int) throws(TOMLParseError) {
        if let b = peek(), Self.isBareKey(b) || b == UInt8(ascii: ".") || b == UInt8(ascii: ":") || b == UInt8(ascii: "+") {
            throw error("invalid date or time", at: start)
        }
    }

    private mutating func fixedDigits(_ count: Int, start: Int) throws(TOMLParseError) -> Int {
        var n = 0
        for _ in 0..<count {
            guard let b = peek(), Self.isDigit(b) else { throw error("invalid date or time: expected a digit, found \(describe(peek()))") }
            n = n * 10 + Int(b - 48)
            i += 1
        }
        return n
    }

    private mutating func expect(_ c: Unicode.Scalar, start: Int, what: String) throws(TOMLParseError) {
        guard peek() == UInt8(ascii: c) else { throw error("invalid \(what): expected '\(c)', found \(describe(peek()))") }
        i += 1
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    // MARK: Whitespace, newlines, comments

    private func peek() -> UInt8? { i < bytes.count ? bytes[i] : nil }
    private func peekAt(_ n: Int) -> UInt8? { i + n < bytes.count ? bytes[i + n] : nil }

    private func starts(_ s: StaticString) -> Bool {
        let count = s.utf8CodeUnitCount
        guard i + count <= bytes.count else { return false }
        return s.withUTF8Buffer { buffer in
            for k in 0..<count where bytes[i + k] != buffer[k] { return false }
            return true
        }
    }

    private mutating func skipWhitespace() {
        while let b = peek(), b == 32 || b == 9 { i += 1 }
    }

    /// LF or CRLF; a lone CR is an error.
    private mutating func newline() throws(TOMLParseError) {
        if peek() == 13 {
            guard peekAt(1) == 10 else { throw error("carriage return (CR) not followed by a line feed") }
            i += 2
        } else {
            i += 1
        }
    }

    private mutating func comment() throws(TOMLParseError) {
        while let b = peek(), b != 10 {
            if b == 13 && peekAt(1) == 10 { return }
            if (b < 0x20 && b != 9) || b == 0x7F { throw error("control character U+\(hex(UInt32(b), width: 4)) in a comment") }
            i += 1
        }
    }

    private mutating func skipWhitespaceNewlinesAndComments() throws(TOMLParseError) {
        while let b = peek() {
            switch b {
            case 32, 9: i += 1
            case 10, 13: try newline()
            case UInt8(ascii: "#"): try comment()
            default: return
            }
        }
    }

    // MARK: Errors

    private func error(_ message: String, at offset: Int? = nil) -> TOMLParseError {
        let at = min(offset ?? i, bytes.count)
        var line = 1
        var lineStart = 0
        for k in 0..<at where bytes[k] == 10 {
            line += 1
            lineStart = k + 1
        }
        return TOMLParseError(line: line, column: at - lineStart + 1, message: message)
    }

    private func lineNumber(at offset: Int) -> Int {
        // Asked at every key and header, in increasing order: counted on from the last answer (linear).
        lineCache.line(at: offset, in: bytes)
    }

    private let lineCache = LineCache()

    private func describe(_ b: UInt8?) -> String {
        guard let b else { return "end of file" }
        switch b {
        case 10, 13: return "end of line"
        case 0x21...0x7E: return "'\(Character(Unicode.Scalar(b)))'"
        case 32: return "' '"
        default: return b < 0x80 ? "U+\(hex(UInt32(b), width: 4))" : "a non-ASCII character"
        }
    }

    private func describeRaw(_ b: UInt8) -> String {
        b >= 0x21 && b <= 0x7E ? String(Character(Unicode.Scalar(b))) : describe(b)
    }

    private func describeKey(_ key: Key) -> String {
        key.map { part in
            !part.name.isEmpty && part.name.utf8.allSatisfy(Self.isBareKey) ? part.name : "\"\(part.name)\""
        }.joined(separator: ".")
    }

    private func quoted(_ s: String) -> String { s.hasPrefix("\"") ? s : "\"\(s)\"" }

    private func hex(_ v: UInt32, width: Int) -> String {
        let s = String(v, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }

    private static func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }

    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 48...57: b - 48
        case 65...70: b - 55
        case 97...102: b - 87
        default: nil
        }
    }
}

/// Line numbers of byte offsets that mostly increase: linear overall.
private final class LineCache {
    private var offset = 0
    private var line = 1

    func line(at target: Int, in bytes: [UInt8]) -> Int {
        if target < offset {
            offset = 0
            line = 1
        }
        while offset < target && offset < bytes.count {
            if bytes[offset] == 10 { line += 1 }
            offset += 1
        }
        return line
    }
}
