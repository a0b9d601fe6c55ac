import SpendBase

/// A JSON value parsed into a flat, reusable array of nodes over its bytes
/// (the shape of simdjson's tape): no allocation per value once the array
/// has grown, strings and numbers stay spans of the buffer. For the import
/// sources, which read documents of someone else's schema (OTLP/JSON,
/// LiteLLM rows) far too often for `JSONSerialization`.
///
/// A node's subtree is the nodes after it up to `next`. An object's
/// children alternate key (a string node) and value.
public struct JSONTape {
    public enum Kind: UInt8, Sendable {
        case object, array, string, number, `true`, `false`, null
    }

    public struct Node: Sendable {
        public var kind: Kind
        /// A string with backslash escapes (decode it with `string(_:)`).
        public var escaped: Bool
        /// Strings: the bytes between the quotes; numbers: the number; objects
        /// and arrays: from the opening to just past the closing bracket.
        public var start: Int
        public var end: Int
        /// The index just past this node's subtree.
        public var next: Int
    }

    public private(set) var nodes: [Node] = []
    public private(set) var base: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)

    public init() {}

    /// Deepest nesting read (a guard against stack exhaustion).
    public static let maxDepth = 128

    /// Parses the one value that starts at `offset` (after whitespace) in
    /// `bytes`, which must outlive the use of the tape. Returns the offset
    /// just past the value. The root is node 0.
    public mutating func parse(_ bytes: UnsafeRawBufferPointer, from offset: Int) throws(JSONTapeError) -> Int {
        base = bytes
        nodes.removeAll(keepingCapacity: true)
        return try value(skipSpace(offset), depth: 0)
    }

    // MARK: Reading

    @inline(__always) func byte(_ i: Int) -> UInt8 { base[i] }

    /// The bytes of a string or number node.
    @inlinable
    public func bytes(_ i: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: base[nodes[i].start..<nodes[i].end])
    }

    /// The value of `key` in the object node `object`, or nil (also when
    /// `object` is not an object). The first of duplicate keys wins.
    public func value(_ object: Int, _ key: StaticString) -> Int? {
        guard nodes[object].kind == .object else { return nil }
        var i = object + 1
        let end = nodes[object].next
        let n = key.utf8CodeUnitCount
        while i < end {
            let k = nodes[i]
            let v = i + 1
            if k.escaped {
                if string(i) == key.description { return v }
            } else if k.end - k.start == n && (n == 0 || memcmp(base.baseAddress! + k.start, key.utf8Start, n) == 0) {
                return v
            }
            i = nodes[v].next
        }
        return nil
    }

    /// The value at a path of keys (`value(i, "a", "b")` is `i.a.b`).
    public func value(_ object: Int, _ first: StaticString, _ second: StaticString) -> Int? {
        value(object, first).flatMap { value($0, second) }
    }

    /// The element nodes of an array node (none for anything else).
    public func elements(_ array: Int) -> [Int] {
        var out: [Int] = []
        forEachElement(array) { out.append($0) }
        return out
    }

    /// Calls `body` with each element of an array node.
    @inlinable
    public func forEachElement(_ array: Int, _ body: (Int) throws -> Void) rethrows {
        guard nodes[array].kind == .array else { return }
        var i = array + 1
        while i < nodes[array].next {
            try body(i)
            i = nodes[i].next
        }
    }

    /// Calls `body` with the key and value nodes of each member of an object node.
    @inlinable
    public func forEachMember(_ object: Int, _ body: (Int, Int) throws -> Void) rethrows {
        guard nodes[object].kind == .object else { return }
        var i = object + 1
        while i < nodes[object].next {
            try body(i, i + 1)
            i = nodes[i + 1].next
        }
    }

    /// A string node's decoded text (nil for other kinds).
    public func string(_ i: Int) -> String? {
        let node = nodes[i]
        guard node.kind == .string else { return nil }
        let raw = bytes(i)
        if !node.escaped { return String(decoding: raw, as: UTF8.self) }
        guard case .success(let decoded) = JSONStringDecoder.decode(raw) else { return nil }
        return String(decoding: decoded, as: UTF8.self)
    }

    /// True when string node `i` is exactly `text` (no allocation when it has no escapes).
    public func equals(_ i: Int, _ text: StaticString) -> Bool {
        let node = nodes[i]
        guard node.kind == .string else { return false }
        if node.escaped { return string(i) == text.description }
        let n = text.utf8CodeUnitCount
        return node.end - node.start == n && (n == 0 || memcmp(base.baseAddress! + node.start, text.utf8Start, n) == 0)
    }

    /// An integer from a number node, or from a string node holding one
    /// (proto3 JSON writes 64-bit integers as strings). Nil when it is not
    /// a whole number or does not fit in Int64; `1.0` and `1e3` are refused.
    public func integer(_ i: Int) -> Int64? {
        let node = nodes[i]
        guard node.kind == .number || (node.kind == .string && !node.escaped) else { return nil }
        var p = node.start
        let end = node.end
        guard p < end else { return nil }
        var negative = false
        if byte(p) == 45 {
            negative = true
            p += 1
        }
        guard p < end else { return nil }
        var value: Int64 = 0
        while p < end {
            let b = byte(p)
            guard b >= 48 && b <= 57 else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int64(b - 48))
            if o1 || o2 { return nil }
            value = s
            p += 1
        }
        return negative ? -value : value
    }

    /// The text of a number node (or of a string node), for exact decimals.
    public func numberText(_ i: Int) -> String? {
        let node = nodes[i]
        guard node.kind == .number || node.kind == .string else { return nil }
        return node.kind == .string ? string(i) : String(decoding: bytes(i), as: UTF8.self)
    }

    /// The raw JSON text of any node (for a rejected record's text).
    public func text(_ i: Int) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: base[textRange(i)]), as: UTF8.self)
    }

    /// Where the raw JSON text of any node lies in the parsed buffer (a
    /// string's with its quotes): `text(_:)` without making the text.
    @inlinable
    public func textRange(_ i: Int) -> Range<Int> {
        let node = nodes[i]
        return node.kind == .string ? (node.start - 1)..<(node.end + 1) : node.start..<node.end
    }

    // MARK: Parsing

    /// The offset of the first byte at or after `p` that is not JSON whitespace.
    public func skipSpace(_ p: Int) -> Int {
        var p = p
        while p < base.count {
            let b = base[p]
            if b != 32 && b != 10 && b != 13 && b != 9 { break }
            p += 1
        }
        return p
    }

    private func fail(_ p: Int, _ message: String) -> JSONTapeError { JSONTapeError(offset: p, message: message) }

    private mutating func value(_ p: Int, depth: Int) throws(JSONTapeError) -> Int {
        guard p < base.count else { throw fail(p, "unexpected end of input: expected a value") }
        guard depth < Self.maxDepth else { throw fail(p, "nested more than \(Self.maxDepth) levels deep") }
        let index = nodes.count
        switch byte(p) {
        case 123:  // {
            nodes.append(Node(kind: .object, escaped: false, start: p, end: p, next: 0))
            var q = skipSpace(p + 1)
            if q < base.count && byte(q) == 125 {
                q += 1
            } else {
                while true {
                    guard q < base.count, byte(q) == 34 else { throw fail(q, "expected a quoted key") }
                    q = try string(q)
                    q = skipSpace(q)
                    guard q < base.count, byte(q) == 58 else { throw fail(q, "expected ':' after the key") }
                    q = try value(skipSpace(q + 1), depth: depth + 1)
                    q = skipSpace(q)
                    guard q < base.count else { throw fail(q, "unexpected end of input inside an object") }
                    if byte(q) == 44 {
                        q = skipSpace(q + 1)
                        continue
                    }
                    guard byte(q) == 125 else { throw fail(q, "expected ',' or '}'") }
                    q += 1
                    break
                }
            }
            nodes[index].end = q
            nodes[index].next = nodes.count
            return q
        case 91:  // [
            nodes.append(Node(kind: .array, escaped: false, start: p, end: p, next: 0))
            var q = skipSpace(p + 1)
            if q < base.count && byte(q) == 93 {
                q += 1
            } else {
                while true {
                    q = try value(q, depth: depth + 1)
                    q = skipSpace(q)
                    guard q < base.count else { throw fail(q, "unexpected end of input inside an array") }
                    if byte(q) == 44 {
                        q = skipSpace(q + 1)
                        continue
                    }
                    guard byte(q) == 93 else { throw fail(q, "expected ',' or ']'") }
                    q += 1
                    break
                }
            }
            nodes[index].end = q
            nodes[index].next = nodes.count
            return q
        case 34:
            return try string(p)
        case 116: return try literal(p, "true", .true)
        case 102: return try literal(p, "false", .false)
        case 110: return try literal(p, "null", .null)
        default:
            return try number(p)
        }
    }

    private mutating func literal(_ p: Int, _ text: StaticString, _ kind: Kind) throws(JSONTapeError) -> Int {
        let n = text.utf8CodeUnitCount
        guard p + n <= base.count, memcmp(base.baseAddress! + p, text.utf8Start, n) == 0 else { throw fail(p, "invalid value") }
        nodes.append(Node(kind: kind, escaped: false, start: p, end: p + n, next: nodes.count + 1))
        return p + n
    }

    private mutating func number(_ p: Int) throws(JSONTapeError) -> Int {
        var q = p
        if q < base.count && byte(q) == 45 { q += 1 }
        let digits = q
        while q < base.count && byte(q) >= 48 && byte(q) <= 57 { q += 1 }
        guard q > digits else { throw fail(p, "invalid value") }
        if byte(digits) == 48 && q - digits > 1 { throw fail(p, "invalid number: leading zero") }
        if q < base.count && byte(q) == 46 {
            q += 1
            let f = q
            while q < base.count && byte(q) >= 48 && byte(q) <= 57 { q += 1 }
            guard q > f else { throw fail(q, "invalid number: no digits after '.'") }
        }
        if q < base.count && (byte(q) == 101 || byte(q) == 69) {
            q += 1
            if q < base.count && (byte(q) == 43 || byte(q) == 45) { q += 1 }
            let e = q
            while q < base.count && byte(q) >= 48 && byte(q) <= 57 { q += 1 }
            guard q > e else { throw fail(q, "invalid number: no digits in the exponent") }
        }
        nodes.append(Node(kind: .number, escaped: false, start: p, end: q, next: nodes.count + 1))
        return q
    }

    /// A string starting at the quote `p`; returns the offset after the closing quote.
    /// Eight bytes at a time while none is a quote, a backslash or a control
    /// character (one pass; short keys and values are most of a document).
    private mutating func string(_ p: Int) throws(JSONTapeError) -> Int {
        let count = base.count
        let start = base.baseAddress!
        var i = p + 1
        var escaped = false
        while true {
            while i + 8 <= count {
                let x = (start + i).loadUnaligned(as: UInt64.self)
                let special = SWAR.zeroBytes(x ^ SWAR.repeated(34)) | SWAR.zeroBytes(x ^ SWAR.repeated(92)) | SWAR.bytesBelow32(x)
                if special == 0 {
                    i += 8
                    continue
                }
                i += special.trailingZeroBitCount >> 3  // the first flagged byte (the lowest is exact)
                break
            }
            guard i < count else { throw fail(p, "unterminated string") }
            switch byte(i) {
            case 34:
                nodes.append(Node(kind: .string, escaped: escaped, start: p + 1, end: i, next: nodes.count + 1))
                return i + 1
            case 92:
                escaped = true
                i += 2
            case 0..<32:
                throw fail(i, "control character in a string")
            default:
                i += 1  // the last bytes of the buffer, one at a time
            }
        }
    }
}

/// A JSON syntax error at a byte offset of the parsed buffer.
public struct JSONTapeError: Error, Sendable {
    public var offset: Int
    public var message: String
}

/// Eight bytes at a time (SIMD within a register): masks with the high bit of
/// each byte of a word that matches. Only the lowest flagged byte of a mask
/// is exact (a borrow may flag a byte above a match), which is all
/// `JSONTape` uses: it jumps to it and looks. (For the JSON-list framing,
/// where quotes come every few bytes, `memchr` per string measured faster.)
package enum SWAR {
    /// `b` in every byte of a word.
    @inlinable @inline(__always) package static func repeated(_ b: UInt8) -> UInt64 { 0x0101_0101_0101_0101 &* UInt64(b) }

    /// The zero bytes of `x` (`x ^ repeated(c)` finds the bytes equal to `c`).
    @inlinable @inline(__always) package static func zeroBytes(_ x: UInt64) -> UInt64 {
        (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080
    }

    /// The bytes of `x` below 0x20 (JSON's control characters).
    @inlinable @inline(__always) package static func bytesBelow32(_ x: UInt64) -> UInt64 {
        (x &- 0x2020_2020_2020_2020) & ~x & 0x8080_8080_8080_8080
    }
}
