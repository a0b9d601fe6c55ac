import Foundation
import SpendCore

/// An event's values, as the scanner and the reference both report them
/// (absent optional values take the scanner's defaults).
struct EventValues: Equatable, CustomStringConvertible {
    var ts: Int64 = 0
    /// id, provider, model and the optional strings that are present and not null, decoded.
    var strings: [String: [UInt8]] = [:]
    var cost: [UInt8]?
    var batch = false
    /// requests, input, cached, cache_write, cache_write_1h, output, attempt, latency_ms.
    var integers: [Int64] = [1, 0, 0, 0, 0, 0, 1, -1]
    var tags: [[[UInt8]]] = []
    var toolCalls: [String] = []

    var description: String {
        let s = strings.keys.sorted().map { "\($0)=\(show(strings[$0]!))" }.joined(separator: " ")
        return "ts=\(ts) \(s) cost=\(cost.map { show($0) } ?? "nil") batch=\(batch) ints=\(integers) "
            + "tags=\(tags.map { show($0[0]) + ":" + show($0[1]) }) tool_calls=\(toolCalls)"
    }

    static let integerKeys: [EventKey] = [
        .requests, .inputTokens, .cachedInputTokens, .cacheWriteTokens, .cacheWrite1hTokens, .outputTokens, .attempt, .latencyMs,
    ]
    static let stringKeys: [EventKey] = [.id, .provider, .model, .modelRequested, .serviceTier, .status, .release, .commit, .traceId, .pricedWith]
}

/// What happened to one line.
enum LineOutcome: CustomStringConvertible {
    case blank
    case accepted(EventValues)
    /// `rules`: the rule ids the format allows; `pending`: set when only a
    /// strict-input rule rejects the line.
    case rejected(rules: Set<String>, reason: String, pending: PendingRule?)

    var description: String {
        switch self {
        case .blank: return "blank"
        case .accepted(let v): return "accepted: \(v)"
        case .rejected(let rules, let reason, let pending):
            return "rejected [\(rules.sorted().joined(separator: "|"))]: \(reason)" + (pending.map { " (pending rule \($0.rawValue))" } ?? "")
        }
    }
}

/// The reference decoder of a ledger line: `ReferenceJSON` (JSONSerialization)
/// plus the event rules of docs/FORMAT.md, written to the strict-input
/// semantics (duplicate keys rejected at every level, invalid UTF-8 and non-JSON
/// values are rule json, years 0001–9999). Rules FORMAT.md leaves open are
/// the scanner's, stated here:
///
/// - `ts` and `cost` are written without escapes;
/// - a decimal string is `-?[0-9]*(.[0-9]*)?` with at least one digit;
/// - an integer is `-?(0|[1-9][0-9]*)` within Int64 (`-0` is 0);
/// - `ts` seconds may be 60 (a leap second, counted as :59); fraction digits
///   past milliseconds are truncated; offsets are ±hh:mm with hh < 24, mm < 60;
/// - values of unknown keys nest at most 63 levels below the key (rule json).
enum ReferenceLedger {
    static func decode(_ line: [UInt8]) -> LineOutcome {
        guard let first = line.firstIndex(where: { ![32, 9, 13].contains($0) }) else { return .blank }
        guard line[first] == 123 else { return .rejected(rules: ["json"], reason: "no '{' at the start", pending: nil) }
        if String(validating: line, as: UTF8.self) == nil {
            return .rejected(rules: ["json"], reason: "invalid UTF-8", pending: .utf8)
        }
        let root: RefValue
        switch ReferenceJSON.parse(line) {
        case .failure(let e): return .rejected(rules: ["json"], reason: e.message, pending: nil)
        case .success(let v): root = v
        }
        guard case .object(let pairs) = root else { return .rejected(rules: ["json"], reason: "not an object", pending: nil) }
        // JSON-level rules first: the scanner's depth limit for unknown values.
        for pair in pairs where EventKey(name: String(decoding: pair.key.decoded, as: UTF8.self)) == nil {
            if pair.value.height >= 64 { return .rejected(rules: ["json"], reason: "unknown value nested 64 levels or more", pending: nil) }
        }
        var values = EventValues()
        var seen: Set<EventKey> = []
        func duplicate() -> LineOutcome {
            .rejected(rules: ["json"], reason: "duplicate key in a nested or unknown object", pending: nil)
        }
        var unknownKeys: Set<[UInt8]> = []
        func schema(_ why: String) -> LineOutcome { .rejected(rules: ["schema"], reason: why, pending: nil) }
        func overflow(_ why: String) -> LineOutcome { .rejected(rules: ["overflow"], reason: why, pending: nil) }
        for (key, value) in pairs {
            guard let known = EventKey(name: String(decoding: key.decoded, as: UTF8.self)) else {
                // Left to right, like the scanner: a duplicate key is json where it stands.
                if !unknownKeys.insert(key.decoded).inserted || value.hasDuplicateKeys { return duplicate() }
                continue
            }
            guard seen.insert(known).inserted else { return .rejected(rules: ["json"], reason: "duplicate key \(known.name)", pending: nil) }
            if value.hasDuplicateKeys { return duplicate() }
            switch known {
            case .ts:
                guard case .string(let s) = value else { return schema("ts is not a string") }
                guard !s.escaped else { return .rejected(rules: ["timestamp"], reason: "ts has escapes", pending: nil) }
                switch ReferenceTimestamp.parse(s.raw) {
                case .none: return .rejected(rules: ["timestamp"], reason: "ts is not RFC 3339", pending: nil)
                case .some((let ms, let year)):
                    if year == 0 { return .rejected(rules: ["timestamp"], reason: "year 0000", pending: .year) }
                    values.ts = ms
                }
            case .id, .provider, .model:
                guard case .string(let s) = value else { return schema("\(known.name) is not a string") }
                guard !s.raw.isEmpty else { return schema("\(known.name) is empty") }
                values.strings[known.name] = s.decoded
            case .corrects:
                guard case .string(let s) = value else { return schema("corrects is not a string") }
                guard !s.raw.isEmpty else { return schema("corrects is empty") }
                values.strings[known.name] = s.decoded
            case .correction:
                guard case .string(let s) = value, s.decoded == Array("void".utf8) || s.decoded == Array("replace".utf8) else {
                    return schema("correction is not void or replace")
                }
                values.strings[known.name] = s.decoded
            case .modelRequested, .serviceTier, .status, .release, .commit, .traceId, .pricedWith, .reason:
                if case .null = value { continue }
                guard case .string(let s) = value else { return schema("\(known.name) is not a string") }
                values.strings[known.name] = s.decoded
            case .cost:
                if case .null = value { continue }
                guard case .string(let s) = value, !s.escaped, isDecimal(s.raw) else { return schema("cost is not a decimal string") }
                guard fitsCostLimit(s.raw) else { return overflow("cost has more than 18 integer or 18 fraction digits") }
                values.cost = s.raw
            case .sourceCost:
                if case .null = value { continue }
                guard case .string(let s) = value, !s.escaped, isDecimal(s.raw) else { return schema("source_cost is not a decimal string") }
                guard fitsCostLimit(s.raw) else { return overflow("source_cost has more than 18 integer or 18 fraction digits") }
            case .batch:
                switch value {
                case .null: continue
                case .bool(let b): values.batch = b
                default: return schema("batch is not a bool")
                }
            case .requests, .inputTokens, .cachedInputTokens, .cacheWriteTokens, .cacheWrite1hTokens, .outputTokens, .attempt, .latencyMs:
                let optional = known != .inputTokens && known != .outputTokens
                if optional, case .null = value { continue }
                let minimum: Int64 = known == .requests || known == .attempt ? 1 : 0
                guard let n = integer(value), n >= minimum else {
                    if known.isCount, isOverLimit(value) { return overflow("\(known.name) above 10^15") }
                    return schema("\(known.name) is not an integer ≥ \(minimum)")
                }
                if known.isCount, n > countLimit { return overflow("\(known.name) above 10^15") }
                values.integers[EventValues.integerKeys.firstIndex(of: known)!] = n
            case .tags:
                guard case .object(let tags) = value else { return schema("tags is not an object") }
                for (k, v) in tags {
                    guard case .string(let s) = v else { return schema("a tag is not a string") }
                    values.tags.append([k.decoded, s.decoded])
                }
            case .toolCalls:
                if case .null = value { continue }
                guard case .object(let calls) = value else { return schema("tool_calls is not an object") }
                for (k, v) in calls {
                    guard let n = integer(v), n >= 0 else {
                        if isOverLimit(v) { return overflow("a tool call count above 10^15") }
                        return schema("a tool call count is not an integer ≥ 0")
                    }
                    if n > countLimit { return overflow("a tool call count above 10^15") }
                    values.toolCalls.append("\(show(k.decoded))=\(n)")
                }
            }
        }
        var required = EventKey.required
        if seen.contains(.corrects) || seen.contains(.correction) {
            // docs/FORMAT.md, "Corrections": a void records no usage; any correction carries both keys.
            if values.strings["correction"] == Array("void".utf8) {
                let allowed: Set<EventKey> = [.ts, .id, .corrects, .correction, .reason]
                if !seen.isSubset(of: allowed) { return schema("a void carries a usage key") }
                required = [.ts, .id]
            }
            required += [.corrects, .correction]
        }
        if let missing = required.first(where: { !seen.contains($0) }) { return schema("missing \(missing.name)") }
        return .accepted(values)
    }

    /// The per-event limit of `requests`, token counts and tool-call counts (docs/FORMAT.md, "Limits").
    static let countLimit: Int64 = 1_000_000_000_000_000

    /// A non-negative JSON integer too large for Int64 (still above the per-event limit).
    static func isOverLimit(_ value: RefValue) -> Bool {
        guard case .number(let text) = value, !text.hasPrefix("-") else { return false }
        return text.allSatisfy { $0.isASCII && $0.isNumber } && !text.hasPrefix("0") && text.count > 16
    }

    /// At most 18 significant integer digits and 18 fraction digits (docs/FORMAT.md, "Limits").
    static func fitsCostLimit(_ raw: [UInt8]) -> Bool {
        var s = raw[...]
        if s.first == 45 { s = s.dropFirst() }
        let parts = s.split(separator: 46, maxSplits: 1, omittingEmptySubsequences: false)
        let integer = parts[0].drop { $0 == 48 }
        return integer.count <= 18 && (parts.count < 2 || parts[1].count <= 18)
    }

    /// `-?(0|[1-9][0-9]*)` within Int64.
    static func integer(_ value: RefValue) -> Int64? {
        guard case .number(let text) = value else { return nil }
        let digits = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), digits == "0" || !digits.hasPrefix("0") else { return nil }
        return Int64(text)
    }

    /// `-?[0-9]*(.[0-9]*)?` with at least one digit.
    static func isDecimal(_ raw: [UInt8]) -> Bool {
        var s = raw[...]
        if s.first == 45 { s = s.dropFirst() }
        let parts = s.split(separator: 46, maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count <= 2, parts.allSatisfy({ $0.allSatisfy { $0 >= 48 && $0 <= 57 } }) else { return false }
        return parts.contains { !$0.isEmpty }
    }
}

/// RFC 3339 as docs/FORMAT.md states it, computed independently of
/// `Timestamp` (days from 0001-01-01 rather than a civil-from-days formula).
enum ReferenceTimestamp {
    /// Milliseconds since the epoch and the year written, or nil.
    static func parse(_ raw: [UInt8]) -> (Int64, Int64)? {
        let s = String(decoding: raw, as: UTF8.self)
        guard String(validating: raw, as: UTF8.self) != nil else { return nil }
        let c = Array(s.unicodeScalars)
        func num(_ at: Int, _ n: Int) -> Int64? {
            guard at + n <= c.count else { return nil }
            var v: Int64 = 0
            for k in at..<(at + n) {
                guard c[k].value >= 48 && c[k].value <= 57 else { return nil }
                v = v * 10 + Int64(c[k].value - 48)
            }
            return v
        }
        func char(_ at: Int, _ allowed: String) -> Bool { at < c.count && allowed.unicodeScalars.contains(c[at]) }
        guard let year = num(0, 4), char(4, "-"), let month = num(5, 2), char(7, "-"), let day = num(8, 2), char(10, "Tt "),
            let hour = num(11, 2), char(13, ":"), let minute = num(14, 2), char(16, ":"), let second = num(17, 2)
        else { return nil }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let monthDays: [Int64] = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard (1...12).contains(month), day >= 1, day <= monthDays[Int(month) - 1], hour <= 23, minute <= 59, second <= 60 else { return nil }
        var i = 19
        var millis: Int64 = 0
        if char(i, ".") {
            i += 1
            var digits = 0
            while let d = num(i, 1) {
                if digits < 3 { millis += d * [100, 10, 1][digits] }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
        }
        var offset: Int64 = 0
        if char(i, "Zz") {
            i += 1
        } else if char(i, "+-"), let oh = num(i + 1, 2), char(i + 3, ":"), let om = num(i + 4, 2), oh <= 23, om <= 59 {
            offset = (oh * 60 + om) * (c[i] == "-" ? -1 : 1)
            i += 6
        } else {
            return nil
        }
        guard i == c.count else { return nil }
        func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }
        let y = year - 1
        let daysBeforeYear = y * 365 + floorDiv(y, 4) - floorDiv(y, 100) + floorDiv(y, 400)
        let dayOfYear = monthDays[0..<(Int(month) - 1)].reduce(0, +) + day - 1
        let days = daysBeforeYear + dayOfYear - 719_162
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + min(second, 59) - offset * 60
        return (seconds * 1000 + millis, year)
    }
}

extension EventKey {
    /// Keys whose values are summed across events and so carry the per-event limit.
    var isCount: Bool {
        switch self {
        case .requests, .inputTokens, .cachedInputTokens, .cacheWriteTokens, .cacheWrite1hTokens, .outputTokens: return true
        default: return false
        }
    }
}
