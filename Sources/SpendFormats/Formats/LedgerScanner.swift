import SpendBase

/// Why a ledger line was rejected: a byte offset in the buffer, a rule id and a message.
public struct LedgerScanError: Error, Sendable {
    public var offset: Int
    public var rule: Rule
    public var message: String
}

/// A byte-level JSON Lines scanner for ledger events.
///
/// It walks a whole buffer (a memory-mapped shard or a git blob) line by line,
/// validating JSON syntax and the event schema as it goes and recording
/// values as positions, so a line costs no allocation. Keys may come in any
/// order; unknown keys are validated and skipped.
///
/// Strict input (docs/FORMAT.md): a key may appear only once in any object,
/// at any depth (`json`, at the second key's quote; keys are compared after
/// decoding escapes); string bytes must be well-formed UTF-8 (RFC 3629: no
/// overlong forms, no encoded surrogates, nothing above U+10FFFF) and escapes
/// may not leave a surrogate unpaired (`json`, at the offending byte); a byte
/// order mark is not JSON. Only bytes ≥ 0x80 are checked for UTF-8, so ASCII
/// lines keep the 8-bytes-at-a-time path.
public struct LedgerScanner {
    public private(set) var base: UnsafeRawPointer
    public private(set) var count: Int
    /// Offset of the next unread byte.
    public private(set) var position: Int
    /// Tag pairs of the current event (reused between events).
    public private(set) var tags: [TagSpan] = []
    /// Tool-call counts of the current event (reused between events).
    public private(set) var toolCalls: [ToolCallSpan] = []
    /// Top-level keys of the current event that the schema does not know (for duplicates).
    private var unknownKeys: [ByteSpan] = []
    /// Tag keys of the current event whose value is `null` (absent; kept to catch a duplicate key).
    private var nullTags: [ByteSpan] = []
    /// The keys a line must carry (`EventKey.requiredMask`, or the draft set for `append` input).
    public var requiredKeys = EventKey.requiredMask

    /// Scans `buffer[range]`; offsets stay relative to `buffer`.
    public init(buffer: UnsafeRawBufferPointer, range: Range<Int>? = nil) {
        self.base = buffer.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
        let r = range ?? 0..<buffer.count
        self.count = r.upperBound
        self.position = r.lowerBound
        tags.reserveCapacity(16)
    }

    /// Scans `buffer` from its start with the arrays of `previous` (their
    /// capacity kept): one scanner's storage reused over many single lines
    /// (`append` checks each encoded line) instead of an allocation per line.
    public init(buffer: UnsafeRawBufferPointer, reusing previous: consuming LedgerScanner) {
        self.base = buffer.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
        self.count = buffer.count
        self.position = 0
        self.requiredKeys = previous.requiredKeys
        self.tags = previous.tags
        self.toolCalls = previous.toolCalls
        self.unknownKeys = previous.unknownKeys
        self.nullTags = previous.nullTags
    }

    /// Points the scanner at `buffer` from its start, keeping its arrays'
    /// storage: one scanner checks many single lines (`append` checks each
    /// encoded line) without an allocation per line.
    public mutating func reset(buffer: UnsafeRawBufferPointer) {
        base = buffer.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
        count = buffer.count
        position = 0
    }

    @inline(__always) private func byte(_ i: Int) -> UInt8 {
        base.load(fromByteOffset: i, as: UInt8.self)
    }

    /// The raw bytes of a span.
    @inline(__always) public func bytes(_ span: ByteSpan) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + span.start, count: span.count)
    }

    /// The decoded string of a span (escapes resolved); nil when absent.
    public func string(_ span: ByteSpan) -> String? {
        if span.isAbsent { return nil }
        let raw = bytes(span)
        if !span.escaped { return String(decoding: raw, as: UTF8.self) }
        switch JSONStringDecoder.decode(raw) {
        case .success(let decoded): return String(decoding: decoded, as: UTF8.self)
        case .failure: return nil
        }
    }

    /// True when every byte has been read.
    public var atEnd: Bool { position >= count }

    /// Skips to the start of the next line (after an error).
    public mutating func skipLine() {
        if position >= count { return }
        if let nl = memchr(base + position, 10, count - position) {
            position = base.distance(to: UnsafeRawPointer(nl)) + 1
        } else {
            position = count
        }
    }

    /// Reads the next event into `event`. Returns false at the end of the
    /// buffer; blank lines are skipped. On a bad line throws with the
    /// offending offset, leaving `position` on that line (call `skipLine()`
    /// to go on).
    public mutating func next(into event: inout EventRecord) throws(LedgerScanError) -> Bool {
        // Skip blank lines.
        while position < count {
            let b = byte(position)
            if b == 10 || b == 13 || b == 32 || b == 9 { position += 1 } else { break }
        }
        if position >= count { return false }
        event = EventRecord()
        event.lineStart = position
        tags.removeAll(keepingCapacity: true)
        toolCalls.removeAll(keepingCapacity: true)
        if !unknownKeys.isEmpty { unknownKeys.removeAll(keepingCapacity: true) }
        if !nullTags.isEmpty { nullTags.removeAll(keepingCapacity: true) }
        var p = position
        guard byte(p) == 123 else {
            if matchLiteral(p, "\u{FEFF}") {
                throw fail(p, .json, "byte order mark (U+FEFF) before the event: ledger files are UTF-8 without a BOM")
            }
            throw fail(p, .json, "expected '{' at the start of an event")
        }
        p += 1
        var seen: UInt32 = 0
        p = skipSpace(p)
        if p < count && byte(p) == 125 {
            p += 1
        } else {
            while true {
                guard p < count, byte(p) == 34 else { throw fail(p, .json, "expected a quoted key") }
                let keyStart = p
                let key = try scanString(p + 1)
                p = key.start + key.count + 1
                p = skipSpace(p)
                guard p < count, byte(p) == 58 else { throw fail(p, .json, "expected ':' after key") }
                p = skipSpace(p + 1)
                let known: EventKey?
                if key.escaped {
                    try validateEscapes(key)
                    known = self.string(key).flatMap { EventKey(name: $0) }
                } else {
                    known = EventKey.match(base + key.start, key.count)
                }
                if let known {
                    let bit = UInt32(1) << UInt32(known.rawValue)
                    if seen & bit != 0 { throw fail(keyStart, .json, "duplicate key \"\(known.name)\"") }
                    seen |= bit
                    p = try scanField(known, at: p, into: &event)
                } else {
                    if event.unknownKeyOffset < 0 { event.unknownKeyOffset = keyStart }
                    for other in unknownKeys where sameKey(other, key) { throw duplicateKey(key) }
                    unknownKeys.append(key)
                    p = try skipValue(p, depth: 0)
                }
                p = skipSpace(p)
                guard p < count else { throw fail(p, .json, "unexpected end of line inside an object") }
                let c = byte(p)
                if c == 44 {
                    p = skipSpace(p + 1)
                    continue
                }
                if c == 125 {
                    p += 1
                    break
                }
                throw fail(p, .json, "expected ',' or '}'")
            }
        }
        // Only whitespace may follow on the line.
        while p < count {
            let b = byte(p)
            if b == 10 { break }
            guard b == 32 || b == 9 || b == 13 else { throw fail(p, .json, "unexpected text after the event object") }
            p += 1
        }
        event.lineEnd = p
        event.keys = seen
        var required = requiredKeys
        if seen & EventKey.correctionMask != 0 { required = try correctionRequirements(seen, event) }
        if seen & required != required {
            let missing = EventKey.allCases.first { required & (1 << UInt32($0.rawValue)) != 0 && seen & (1 << UInt32($0.rawValue)) == 0 }!
            throw fail(event.lineStart, .schema, "missing required key \"\(missing.name)\"")
        }
        event.tags = 0..<tags.count
        event.toolCalls = 0..<toolCalls.count
        position = p < count ? p + 1 : p
        return true
    }

    /// Checks that `bytes` hold one JSON value, with whitespace (newlines
    /// included) around it, under the same rules as a ledger line: no
    /// duplicate key at any depth, well-formed UTF-8, valid escapes. For JSON
    /// documents that are not ledger lines (a provider's response body).
    /// Returns the first problem, with its offset in `bytes`.
    public static func validateDocument(_ bytes: UnsafeRawBufferPointer) -> LedgerScanError? {
        // A newline is whitespace outside strings and an error inside them,
        // exactly like a carriage return: read it as one.
        var copy = Array(bytes)
        for i in copy.indices where copy[i] == 10 { copy[i] = 13 }
        return copy.withUnsafeBytes { buffer -> LedgerScanError? in
            let scanner = LedgerScanner(buffer: buffer)
            do throws(LedgerScanError) {
                let end = scanner.skipSpace(try scanner.skipValue(scanner.skipSpace(0), depth: 0))
                return end < buffer.count ? scanner.fail(end, .json, "unexpected text after the JSON value") : nil
            } catch {
                return error
            }
        }
    }

    // MARK: Fields

    /// The keys a correction must carry: `corrects` and `correction` together;
    /// a void carries only its stamps and `reason` (it records no usage), a
    /// replace everything an event carries.
    private func correctionRequirements(_ seen: UInt32, _ event: EventRecord) throws(LedgerScanError) -> UInt32 {
        guard event.correction == .void else { return requiredKeys | EventKey.correctionMask }
        if seen & ~EventKey.voidAllowedMask != 0 {
            let extra = EventKey.allCases.first { seen & ~EventKey.voidAllowedMask & (1 << UInt32($0.rawValue)) != 0 }!
            throw fail(
                event.lineStart, .schema,
                "a void records no usage: \"\(extra.name)\" is not allowed on it (use \"correction\":\"replace\" to change an event)")
        }
        let stamps: UInt32 = 1 << UInt32(EventKey.ts.rawValue) | 1 << UInt32(EventKey.id.rawValue)
        return requiredKeys & stamps | EventKey.correctionMask
    }

    private mutating func scanField(_ key: EventKey, at p: Int, into event: inout EventRecord) throws(LedgerScanError) -> Int {
        switch key {
        case .ts:
            guard p < count, byte(p) == 34 else { throw typeError(p, "ts must be an RFC 3339 UTC timestamp string") }
            let s = try scanString(p + 1)
            if s.escaped { try validateEscapes(s) }
            guard !s.escaped, let ms = Timestamp.parse(bytes(s)) else {
                throw fail(p, .timestamp, "ts \"\(string(s) ?? "")\" is not an RFC 3339 timestamp (e.g. 2026-11-03T14:22:05.123Z)")
            }
            event.ts = ms
            return s.start + s.count + 1
        case .id: return try requiredString(p, key, &event.id)
        case .provider: return try requiredString(p, key, &event.provider)
        case .model: return try requiredString(p, key, &event.model)
        case .modelRequested: return try optionalString(p, key, &event.modelRequested)
        case .serviceTier:
            let after = try optionalString(p, key, &event.serviceTier)
            // `"default"` is the standard tier (docs/FORMAT.md): recorded as absent, so every reader sees `standard`.
            if isDefaultServiceTier(event.serviceTier) { event.serviceTier = .absent }
            return after
        case .status: return try optionalString(p, key, &event.status)
        case .release: return try optionalString(p, key, &event.release)
        case .commit: return try optionalString(p, key, &event.commit)
        case .traceId: return try optionalString(p, key, &event.traceId)
        case .pricedWith: return try optionalString(p, key, &event.pricedWith)
        case .cost: return try decimal(p, key, &event.cost)
        case .sourceCost: return try decimal(p, key, &event.sourceCost)
        case .corrects: return try requiredString(p, key, &event.corrects)
        case .reason: return try optionalString(p, key, &event.reason)
        case .correction:
            guard p < count, byte(p) == 34 else { throw typeError(p, "correction must be \"void\" or \"replace\"") }
            let s = try scanString(p + 1)
            if s.escaped { try validateEscapes(s) }
            switch string(s) {
            case "void": event.correction = .void
            case "replace": event.correction = .replace
            default: throw fail(p, .schema, "correction must be \"void\" or \"replace\"")
            }
            return s.start + s.count + 1
        case .batch:
            if let after = isNull(p) { return after }
            if matchLiteral(p, "true") { event.batch = true; return p + 4 }
            if matchLiteral(p, "false") { event.batch = false; return p + 5 }
            throw typeError(p, "batch must be true or false")
        case .requests: return try count(p, key, minimum: 1, optional: true, &event.requests)
        case .inputTokens: return try count(p, key, minimum: 0, optional: false, &event.inputTokens)
        case .cachedInputTokens: return try count(p, key, minimum: 0, optional: true, &event.cachedInputTokens)
        case .cacheWriteTokens: return try count(p, key, minimum: 0, optional: true, &event.cacheWriteTokens)
        case .cacheWrite1hTokens: return try count(p, key, minimum: 0, optional: true, &event.cacheWrite1hTokens)
        case .outputTokens: return try count(p, key, minimum: 0, optional: false, &event.outputTokens)
        case .attempt: return try integer(p, key, minimum: 1, optional: true, &event.attempt)
        case .latencyMs: return try integer(p, key, minimum: 0, optional: true, &event.latencyMs)
        case .tags:
            event.tagsOffset = p
            return try scanTags(p)
        case .toolCalls: return try scanToolCalls(p)
        }
    }

    /// `cost` or `source_cost`: null, or a decimal string within the cost digit limits.
    private mutating func decimal(_ p: Int, _ key: EventKey, _ out: inout ByteSpan) throws(LedgerScanError) -> Int {
        if let after = isNull(p) { return after }
        guard p < count, byte(p) == 34 else { throw typeError(p, "\(key.name) must be a decimal string, e.g. \"0.01155\"") }
        let s = try scanString(p + 1)
        if s.escaped { try validateEscapes(s) }
        guard !s.escaped, isDecimal(s) else { throw fail(p, .schema, "\(key.name) must be a decimal string, e.g. \"0.01155\"") }
        guard fitsCostLimit(s) else {
            throw fail(
                p, .overflow,
                "\(key.name) has more digits than spend carries exactly (at most \(Self.costDigits) before and \(Self.costDigits) after the point)")
        }
        out = s
        return s.start + s.count + 1
    }

    private func isNull(_ p: Int) -> Int? {
        matchLiteral(p, "null") ? p + 4 : nil
    }

    private func matchLiteral(_ p: Int, _ s: StaticString) -> Bool {
        let n = s.utf8CodeUnitCount
        return p + n <= count && memcmp(base + p, s.utf8Start, n) == 0
    }

    private func isDecimal(_ s: ByteSpan) -> Bool {
        var i = s.start
        let end = s.start + s.count
        if i < end && byte(i) == 45 { i += 1 }
        var digits = 0
        var point = false
        while i < end {
            let b = byte(i)
            if b >= 48 && b <= 57 { digits += 1 } else if b == 46 && !point { point = true } else { return false }
            i += 1
        }
        return digits > 0
    }

    /// Digits a recorded `cost` may have on each side of the point: any
    /// sum of such costs over a ledger stays exact in ExactDecimal.
    static let costDigits = 18

    /// True when a decimal (already checked by `isDecimal`) has at most
    /// `costDigits` significant integer digits and `costDigits` decimals.
    private func fitsCostLimit(_ s: ByteSpan) -> Bool {
        var integer = 0
        var fraction = 0
        var point = false
        for i in s.start..<(s.start + s.count) {
            let b = byte(i)
            if b == 46 {
                point = true
            } else if b >= 48 && b <= 57 {
                if point {
                    fraction += 1
                } else if integer > 0 || b != 48 {
                    integer += 1
                }
            }
        }
        return integer <= Self.costDigits && fraction <= Self.costDigits
    }

    private mutating func requiredString(_ p: Int, _ key: EventKey, _ out: inout ByteSpan) throws(LedgerScanError) -> Int {
        guard p < count, byte(p) == 34 else { throw typeError(p, "\(key.name) must be a string") }
        let s = try scanString(p + 1)
        if s.escaped { try validateEscapes(s) }
        guard s.count > 0 else { throw fail(p, .schema, "\(key.name) must not be empty") }
        out = s
        return s.start + s.count + 1
    }

    private static let defaultServiceTier = Array("default".utf8)

    /// True for a `service_tier` of `"default"` (written plainly or with escapes).
    private func isDefaultServiceTier(_ s: ByteSpan) -> Bool {
        if s.isAbsent { return false }
        if s.escaped { return string(s) == "default" }
        return s.count == Self.defaultServiceTier.count
            && Self.defaultServiceTier.withUnsafeBytes { bytesEqual(base + s.start, $0.baseAddress!, s.count) }
    }

    private mutating func optionalString(_ p: Int, _ key: EventKey, _ out: inout ByteSpan) throws(LedgerScanError) -> Int {
        if let after = isNull(p) { return after }
        guard p < count, byte(p) == 34 else { throw typeError(p, "\(key.name) must be a string") }
        let s = try scanString(p + 1)
        if s.escaped { try validateEscapes(s) }
        out = s
        return s.start + s.count + 1
    }

    /// A count that sums into reports (requests, tokens, tool calls): an
    /// integer up to `TokenCounts.perEventLimit`, beyond it `overflow`.
    private func count(
        _ p: Int, _ key: EventKey, minimum: Int64, optional: Bool, _ out: inout Int64
    ) throws(LedgerScanError) -> Int {
        let limit = TokenCounts.perEventLimit
        let end = try integer(p, key, minimum: minimum, optional: optional, &out, limit: limit)
        guard out <= limit else {
            throw fail(p, .overflow, "\(key.name) \(out) is above the per-event limit \(limit) (10^15)")
        }
        return end
    }

    private func integer(
        _ p: Int, _ key: EventKey, minimum: Int64, optional: Bool, _ out: inout Int64, limit: Int64 = .max
    ) throws(LedgerScanError) -> Int {
        if optional, let after = isNull(p) { return after }
        let what = minimum == 0 ? "a non-negative integer" : "an integer ≥ \(minimum)"
        var i = p
        var negative = false
        if i < count && byte(i) == 45 {
            negative = true
            i += 1
        }
        var value: Int64 = 0
        let digitsStart = i
        while i < count {
            let b = byte(i)
            guard b >= 48 && b <= 57 else { break }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int64(b - 48))
            if o1 || o2 {
                if negative || limit == .max { throw typeError(p, "\(key.name) must be \(what) (too large)") }
                throw typeError(p, "\(key.name) is above the per-event limit \(limit) (10^15)", rule: .overflow)
            }
            value = a
            i += 1
        }
        if i == digitsStart || (i - digitsStart > 1 && byte(digitsStart) == 48) {
            throw typeError(p, "\(key.name) must be \(what)")
        }
        // `1.5`, `1e3` (JSON, not an integer: schema) or `12x` (not JSON: json).
        if !endsValue(i) { throw typeError(p, "\(key.name) must be \(what)") }
        if negative { value = -value }
        guard value >= minimum else { throw fail(p, .schema, "\(key.name) must be \(what)") }
        out = value
        return i
    }

    private mutating func scanTags(_ start: Int) throws(LedgerScanError) -> Int {
        guard start < count, byte(start) == 123 else { throw typeError(start, "tags must be an object of strings") }
        var p = skipSpace(start + 1)
        if p < count && byte(p) == 125 { return p + 1 }
        while true {
            guard p < count, byte(p) == 34 else { throw fail(p, .json, "expected a quoted key") }
            let key = try scanString(p + 1)
            p = skipSpace(key.start + key.count + 1)
            guard p < count, byte(p) == 58 else { throw fail(p, .json, "expected ':' after key") }
            p = skipSpace(p + 1)
            if key.escaped { try validateEscapes(key) }
            var k = 0
            while k < tags.count {
                if sameKey(tags[k].key, key) { throw duplicateKey(key, in: "tags") }
                k += 1
            }
            for other in nullTags where sameKey(other, key) { throw duplicateKey(key, in: "tags") }
            if p < count, byte(p) == 34 {
                let value = try scanString(p + 1)
                if value.escaped { try validateEscapes(value) }
                tags.append(TagSpan(key: key, value: value))
                p = skipSpace(value.start + value.count + 1)
            } else if let after = isNull(p) {
                // `null` is the same as absent (docs/FORMAT.md): the tag is not recorded.
                nullTags.append(key)
                p = skipSpace(after)
            } else {
                throw typeError(p, "tag \"\(string(key) ?? "")\" must be a string")
            }
            guard p < count else { throw fail(p, .json, "unexpected end of line inside an object") }
            if byte(p) == 44 {
                p = skipSpace(p + 1)
                continue
            }
            if byte(p) == 125 { return p + 1 }
            throw fail(p, .json, "expected ',' or '}'")
        }
    }

    private mutating func scanToolCalls(_ start: Int) throws(LedgerScanError) -> Int {
        if let after = isNull(start) { return after }
        guard start < count, byte(start) == 123 else {
            throw typeError(start, "tool_calls must be an object of non-negative integers")
        }
        var p = skipSpace(start + 1)
        if p < count && byte(p) == 125 { return p + 1 }
        while true {
            guard p < count, byte(p) == 34 else { throw fail(p, .json, "expected a quoted key") }
            let key = try scanString(p + 1)
            if key.escaped { try validateEscapes(key) }
            var k = 0
            while k < toolCalls.count {
                if sameKey(toolCalls[k].name, key) { throw duplicateKey(key, in: "tool_calls") }
                k += 1
            }
            p = skipSpace(key.start + key.count + 1)
            guard p < count, byte(p) == 58 else { throw fail(p, .json, "expected ':' after key") }
            p = skipSpace(p + 1)
            var n: Int64 = 0
            p = try count(p, .toolCalls, minimum: 0, optional: false, &n)
            toolCalls.append(ToolCallSpan(name: key, count: n))
            p = skipSpace(p)
            guard p < count else { throw fail(p, .json, "unexpected end of line inside an object") }
            if byte(p) == 44 {
                p = skipSpace(p + 1)
                continue
            }
            if byte(p) == 125 { return p + 1 }
            throw fail(p, .json, "expected ',' or '}'")
        }
    }

    // MARK: JSON primitives

    @inline(__always) private func skipSpace(_ start: Int) -> Int {
        var p = start
        while p < count {
            let b = byte(p)
            if b == 32 || b == 9 || b == 13 { p += 1 } else { break }
        }
        return p
    }

    /// Scans string content starting just after the opening quote. Bytes
    /// ≥ 0x80 must form well-formed UTF-8 sequences.
    @inline(__always)
    private func scanString(_ start: Int) throws(LedgerScanError) -> ByteSpan {
        var p = start
        var escaped = false
        // Skip 8 plain ASCII bytes at a time; stop at the first quote,
        // backslash, control character or byte ≥ 0x80.
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        while p + 8 <= count {
            // SWAR: a byte that is '"', '\\', < 0x20 or ≥ 0x80 sets its high bit here.
            let w = (base + p).loadUnaligned(as: UInt64.self)
            let quote = w ^ (ones &* 34)
            let slash = w ^ (ones &* 92)
            let special = (((quote &- ones) & ~quote) | ((slash &- ones) & ~slash) | ((w &- ones &* 32) & ~w) | w) & highs
            if special != 0 {
                // Borrows only run upwards, so the lowest flagged byte is a
                // true one; on little-endian machines it is the first in memory.
                #if _endian(little)
                    p += special.trailingZeroBitCount >> 3
                #endif
                break
            }
            p += 8
        }
        while p < count {
            let b = byte(p)
            if b == 34 { return ByteSpan(start: start, count: p - start, escaped: escaped) }
            if b == 92 {
                escaped = true
                // Skip the escaped byte, unless it starts a UTF-8 sequence or is a
                // control character (checked like any other: a newline after a
                // backslash ends the line, it never joins the next one; the escape
                // is refused later).
                if p + 1 < count {
                    let next = byte(p + 1)
                    p += next >= 0x80 || next < 0x20 ? 1 : 2
                } else {
                    p += 2
                }
                continue
            }
            if b < 0x20 {
                throw fail(p, .json, b == 10 ? "unterminated string" : "control character in string")
            }
            p = b < 0x80 ? p + 1 : try utf8Sequence(p)
        }
        throw fail(min(p, count), .json, "unterminated string")
    }

    /// Checks the UTF-8 sequence whose first byte (≥ 0x80) is at `p` and
    /// returns the offset after it. Well-formed means RFC 3629 / Unicode
    /// Table 3-7: no overlong form, no surrogate (U+D800–U+DFFF), nothing
    /// above U+10FFFF, no stray continuation byte, no truncated sequence.
    @inline(never)
    private func utf8Sequence(_ p: Int) throws(LedgerScanError) -> Int {
        let lead = byte(p)
        let length: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE, 0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: throw invalidUTF8(p)
        }
        guard p + length <= count else { throw invalidUTF8(p) }
        let second = byte(p + 1)
        guard second >= low && second <= high else { throw invalidUTF8(p) }
        var k = 2
        while k < length {
            guard byte(p + k) & 0xC0 == 0x80 else { throw invalidUTF8(p) }
            k += 1
        }
        return p + length
    }

    @inline(never)
    private func invalidUTF8(_ p: Int) -> LedgerScanError {
        let hex = String(byte(p), radix: 16, uppercase: true)
        return fail(p, .json, "invalid UTF-8: byte 0x\(hex.count == 1 ? "0" : "")\(hex) does not start a well-formed sequence")
    }

    /// True when two keys are the same string once escapes are decoded
    /// (both spans already validated).
    @inline(__always)
    private func sameKey(_ a: ByteSpan, _ b: ByteSpan) -> Bool {
        if !a.escaped && !b.escaped {
            return a.count == b.count && bytesEqual(base + a.start, base + b.start, a.count)
        }
        return sameDecodedKey(a, b)
    }

    @inline(never)
    private func sameDecodedKey(_ a: ByteSpan, _ b: ByteSpan) -> Bool {
        decoded(a) == decoded(b)
    }

    private func decoded(_ s: ByteSpan) -> [UInt8] {
        if !s.escaped { return Array(bytes(s)) }
        if case .success(let d) = JSONStringDecoder.decode(bytes(s)) { return d }
        return Array(bytes(s))
    }

    /// The error for a key seen twice in one object (at its opening quote).
    @inline(never)
    private func duplicateKey(_ key: ByteSpan, in object: String? = nil) -> LedgerScanError {
        let name = string(key) ?? ""
        return fail(key.start - 1, .json, "duplicate key \"\(name)\"" + (object.map { " in \($0)" } ?? ""))
    }

    /// The error for a value of the wrong type (or size) at `p`: `rule` when
    /// the value is JSON, else the JSON error (`{"ts":oops}` is not JSON at all).
    @inline(never)
    private func typeError(_ p: Int, _ message: @autoclosure () -> String, rule: Rule = .schema) -> LedgerScanError {
        do {
            _ = try skipValue(p, depth: 0)
        } catch {
            return error
        }
        return fail(p, rule, message())
    }

    /// Validates the escapes of a span (only called for escaped strings).
    private func validateEscapes(_ s: ByteSpan) throws(LedgerScanError) {
        if case .failure(let e) = JSONStringDecoder.decode(bytes(s)) {
            throw fail(s.start + e.offset, .json, e.message)
        }
    }

    private func skipValue(_ start: Int, depth: Int) throws(LedgerScanError) -> Int {
        guard depth < 64 else { throw fail(start, .json, "nesting too deep") }
        guard start < count else { throw fail(start, .json, "expected a value") }
        switch byte(start) {
        case 34:
            let s = try scanString(start + 1)
            if s.escaped { try validateEscapes(s) }
            return s.start + s.count + 1
        case 123, 91:
            let close: UInt8 = byte(start) == 123 ? 125 : 93
            var p = skipSpace(start + 1)
            if p < count && byte(p) == close { return p + 1 }
            var keys: [ByteSpan] = []
            while true {
                if close == 125 {
                    guard p < count, byte(p) == 34 else { throw fail(p, .json, "expected a quoted key") }
                    let k = try scanString(p + 1)
                    if k.escaped { try validateEscapes(k) }
                    for other in keys where sameKey(other, k) { throw duplicateKey(k) }
                    keys.append(k)
                    p = skipSpace(k.start + k.count + 1)
                    guard p < count, byte(p) == 58 else { throw fail(p, .json, "expected ':' after key") }
                    p = skipSpace(p + 1)
                }
                p = skipSpace(try skipValue(p, depth: depth + 1))
                guard p < count else { throw fail(p, .json, "unexpected end of line") }
                if byte(p) == 44 {
                    p = skipSpace(p + 1)
                    continue
                }
                if byte(p) == close { return p + 1 }
                throw fail(p, .json, close == 125 ? "expected ',' or '}'" : "expected ',' or ']'")
            }
        case 116: if matchLiteral(start, "true"), endsValue(start + 4) { return start + 4 }
        case 102: if matchLiteral(start, "false"), endsValue(start + 5) { return start + 5 }
        case 110: if matchLiteral(start, "null"), endsValue(start + 4) { return start + 4 }
        default:
            if let end = numberEnd(start) {
                // A number must end at a delimiter: "1.2.3", "1-2" or 1e400"x" is not JSON.
                guard endsValue(end) else { throw fail(start, .json, "invalid number") }
                return end
            }
        }
        throw fail(start, .json, "invalid value")
    }

    /// True when a literal or number ending at `p` is followed by what may follow
    /// a JSON value: white space, `,`, `]`, `}` or the end of the line. Otherwise
    /// the text at the value is not JSON (`1e400"x"`, `truex`) and the error is
    /// `json`, not a type error.
    @inline(__always)
    private func endsValue(_ p: Int) -> Bool {
        guard p < count else { return true }
        switch byte(p) {
        case 32, 9, 13, 10, 44, 93, 125: return true
        default: return false
        }
    }

    /// The end of a JSON number at `start` (RFC 8259 grammar:
    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`), or nil.
    private func numberEnd(_ start: Int) -> Int? {
        var p = start
        @inline(__always) func digits() -> Int {
            let from = p
            while p < count, byte(p) >= 48, byte(p) <= 57 { p += 1 }
            return p - from
        }
        if p < count && byte(p) == 45 { p += 1 }
        guard p < count else { return nil }
        if byte(p) == 48 {
            p += 1
        } else if digits() == 0 {
            return nil
        }
        if p < count && byte(p) == 46 {
            p += 1
            guard digits() > 0 else { return nil }
        }
        if p < count && (byte(p) == 101 || byte(p) == 69) {
            p += 1
            if p < count && (byte(p) == 43 || byte(p) == 45) { p += 1 }
            guard digits() > 0 else { return nil }
        }
        return p
    }

    private func fail(_ offset: Int, _ rule: Rule, _ message: String) -> LedgerScanError {
        LedgerScanError(offset: offset, rule: rule, message: message)
    }
}
