import Foundation

/// A JSON string as written and as decoded.
struct RefString: Equatable {
    var raw: [UInt8]
    var decoded: [UInt8]
    var escaped: Bool { raw.contains(92) }
}

/// A JSON value with what `JSONSerialization` throws away: key order,
/// duplicate keys and the text of numbers.
indirect enum RefValue {
    case object([(key: RefString, value: RefValue)])
    case array([RefValue])
    case string(RefString)
    case number(String)
    case bool(Bool)
    case null

    /// Nesting below this value: 0 for a scalar or an empty container.
    var height: Int {
        switch self {
        case .object(let pairs): return pairs.isEmpty ? 0 : 1 + pairs.map(\.value.height).max()!
        case .array(let items): return items.isEmpty ? 0 : 1 + items.map(\.height).max()!
        default: return 0
        }
    }

    /// True when some object at or below this value repeats a key (decoded bytes).
    var hasDuplicateKeys: Bool {
        switch self {
        case .object(let pairs):
            var seen: Set<[UInt8]> = []
            for pair in pairs where !seen.insert(pair.key.decoded).inserted { return true }
            return pairs.contains { $0.value.hasDuplicateKeys }
        case .array(let items): return items.contains { $0.hasDuplicateKeys }
        default: return false
        }
    }
}

/// The reference JSON reader: `JSONSerialization` decides what is JSON and
/// decodes strings; a structural walk of the same bytes keeps what
/// `JSONSerialization` discards, and states its quirks explicitly:
///
/// - it accepts trailing commas (`{"a":1,}`, `[1,]`): the walk rejects them;
/// - it keeps the last of duplicate keys: the walk keeps every key, in order;
/// - it rejects numbers beyond Double's range (`1E400`), which RFC 8259
///   allows: they are replaced by `0` before it reads the text;
/// - it skips a byte-order mark: the caller rejects anything before `{`.
enum ReferenceJSON {
    /// The parsed value, or why the bytes are not JSON.
    static func parse(_ bytes: [UInt8]) -> Result<RefValue, ReferenceError> {
        var walk = Walk(bytes: bytes)
        let walked = walk.document()
        let text = walk.substituted ?? bytes
        do {
            _ = try JSONSerialization.jsonObject(with: Data(text))
        } catch {
            let ns = error as NSError
            let why = (ns.userInfo[NSDebugDescriptionErrorKey] as? String) ?? "\(error)"
            return .failure(ReferenceError(message: "JSONSerialization: \(why)"))
        }
        switch walked {
        case .success(let value): return .success(value)
        case .failure(let e): return .failure(ReferenceError(message: "accepted by JSONSerialization, not by RFC 8259: \(e.message)"))
        }
    }

    /// Decodes the content of a string (between the quotes) with JSONSerialization.
    ///
    /// Quirk: JSONSerialization drops a raw U+FEFF at the start of a string or
    /// right after an escape (`"\\n\u{FEFF}"` decodes to one byte); written as
    /// `\\ufeff` it is kept, so raw ones are rewritten that way first.
    static func decodeString(_ raw: [UInt8]) -> [UInt8]? {
        if !raw.contains(92) { return raw }
        var text: [UInt8] = []
        var k = 0
        while k < raw.count {
            if raw[k] == 0xEF && k + 2 < raw.count && raw[k + 1] == 0xBB && raw[k + 2] == 0xBF {
                text += Array("\\ufeff".utf8)
                k += 3
            } else {
                text.append(raw[k])
                k += 1
            }
        }
        let quoted = [34] + text + [34]
        guard let s = try? JSONSerialization.jsonObject(with: Data(quoted), options: .fragmentsAllowed) as? String else { return nil }
        return Array(s.utf8)
    }

    struct Walk {
        let bytes: [UInt8]
        var i = 0
        /// The text with out-of-range numbers replaced, when there are any.
        var substituted: [UInt8]?
        private var copiedUpTo = 0
        private var out: [UInt8] = []

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func document() -> Result<RefValue, ReferenceError> {
            do throws(ReferenceError) {
                space()
                let v = try value(depth: 0)
                space()
                guard i == bytes.count else { throw ReferenceError(message: "text after the value at \(i)") }
                if copiedUpTo > 0 {
                    out += bytes[copiedUpTo...]
                    substituted = out
                }
                return .success(v)
            } catch {
                return .failure(error)
            }
        }

        mutating func space() {
            while i < bytes.count, [32, 9, 10, 13].contains(bytes[i]) { i += 1 }
        }

        mutating func value(depth: Int) throws(ReferenceError) -> RefValue {
            guard depth < 600 else { throw ReferenceError(message: "nesting deeper than 600") }
            guard i < bytes.count else { throw ReferenceError(message: "expected a value at the end") }
            switch bytes[i] {
            case 123:
                i += 1
                space()
                var pairs: [(key: RefString, value: RefValue)] = []
                if i < bytes.count && bytes[i] == 125 {
                    i += 1
                    return .object(pairs)
                }
                while true {
                    space()
                    guard i < bytes.count, bytes[i] == 34 else {
                        throw ReferenceError(message: i < bytes.count && bytes[i] == 125 ? "trailing comma in an object" : "expected a key at \(i)")
                    }
                    let key = try string()
                    space()
                    guard i < bytes.count, bytes[i] == 58 else { throw ReferenceError(message: "expected ':' at \(i)") }
                    i += 1
                    space()
                    pairs.append((key, try value(depth: depth + 1)))
                    space()
                    guard i < bytes.count else { throw ReferenceError(message: "unterminated object") }
                    if bytes[i] == 44 {
                        i += 1
                        continue
                    }
                    guard bytes[i] == 125 else { throw ReferenceError(message: "expected ',' or '}' at \(i)") }
                    i += 1
                    return .object(pairs)
                }
            case 91:
                i += 1
                space()
                var items: [RefValue] = []
                if i < bytes.count && bytes[i] == 93 {
                    i += 1
                    return .array(items)
                }
                while true {
                    space()
                    if i < bytes.count && bytes[i] == 93 { throw ReferenceError(message: "trailing comma in an array") }
                    items.append(try value(depth: depth + 1))
                    space()
                    guard i < bytes.count else { throw ReferenceError(message: "unterminated array") }
                    if bytes[i] == 44 {
                        i += 1
                        continue
                    }
                    guard bytes[i] == 93 else { throw ReferenceError(message: "expected ',' or ']' at \(i)") }
                    i += 1
                    return .array(items)
                }
            case 34:
                return .string(try string())
            case 116, 102, 110:
                for (word, v) in [("true", RefValue.bool(true)), ("false", .bool(false)), ("null", .null)] {
                    let w = Array(word.utf8)
                    if bytes.count - i >= w.count && Array(bytes[i..<(i + w.count)]) == w {
                        i += w.count
                        return v
                    }
                }
                throw ReferenceError(message: "invalid literal at \(i)")
            default:
                guard let end = ReferenceJSON.numberEnd(bytes, i) else { throw ReferenceError(message: "invalid value at \(i)") }
                let text = String(decoding: bytes[i..<end], as: UTF8.self)
                if let d = Double(text), d.isInfinite {
                    out += bytes[copiedUpTo..<i]
                    out.append(48)
                    copiedUpTo = end
                }
                i = end
                return .number(text)
            }
        }

        mutating func string() throws(ReferenceError) -> RefString {
            let start = i + 1
            var p = start
            while p < bytes.count {
                let b = bytes[p]
                if b == 34 { break }
                if b < 0x20 { throw ReferenceError(message: "control character in a string at \(p)") }
                p += b == 92 ? 2 : 1
            }
            guard p < bytes.count else { throw ReferenceError(message: "unterminated string") }
            let raw = Array(bytes[start..<p])
            guard let decoded = ReferenceJSON.decodeString(raw) else { throw ReferenceError(message: "invalid escape in a string at \(start)") }
            i = p + 1
            return RefString(raw: raw, decoded: decoded)
        }
    }

    /// The end of an RFC 8259 number at `start` that is followed by a
    /// delimiter (or the end), or nil.
    static func numberEnd(_ b: [UInt8], _ start: Int) -> Int? {
        var p = start
        func isDigit(_ k: Int) -> Bool { k < b.count && b[k] >= 48 && b[k] <= 57 }
        if p < b.count && b[p] == 45 { p += 1 }
        guard isDigit(p) else { return nil }
        if b[p] == 48 { p += 1 } else { while isDigit(p) { p += 1 } }
        if p < b.count && b[p] == 46 {
            p += 1
            guard isDigit(p) else { return nil }
            while isDigit(p) { p += 1 }
        }
        if p < b.count && (b[p] == 101 || b[p] == 69) {
            p += 1
            if p < b.count && (b[p] == 43 || b[p] == 45) { p += 1 }
            guard isDigit(p) else { return nil }
            while isDigit(p) { p += 1 }
        }
        if p < b.count, ![32, 9, 10, 13, 44, 93, 125].contains(b[p]) { return nil }
        return p
    }

    /// True when a JSON value starts at `at` (the token there is JSON; what
    /// follows is not checked): a string, object or array opener, a literal
    /// or an RFC 8259 number.
    static func startsValue(_ b: [UInt8], _ at: Int) -> Bool {
        guard at < b.count else { return false }
        switch b[at] {
        case 34, 123, 91: return true
        case 116, 102, 110:
            for word in ["true", "false", "null"] {
                let w = Array(word.utf8)
                if b.count - at >= w.count && Array(b[at..<(at + w.count)]) == w {
                    let next = at + w.count
                    return next == b.count || [32, 9, 13, 44, 93, 125].contains(b[next])
                }
            }
            return false
        default:
            return numberEnd(b, at) != nil
        }
    }
}

struct ReferenceError: Error {
    var message: String
}
