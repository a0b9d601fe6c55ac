/// One cost event with owned values: what `append` writes and tools build.
/// (Reports read events in place as `EventRecord`s instead.)
public struct LedgerEvent: Sendable, Hashable {
    public var ts: Int64
    public var id: String
    public var provider: String
    public var model: String
    public var modelRequested: String?
    public var serviceTier: String?
    public var batch: Bool?
    public var requests: Int64?
    public var inputTokens: Int64
    public var cachedInputTokens: Int64?
    /// 5-minute cache writes.
    public var cacheWriteTokens: Int64?
    /// 1-hour cache writes.
    public var cacheWrite1hTokens: Int64?
    public var outputTokens: Int64
    public var toolCalls: [String: Int64]?
    public var status: String?
    public var attempt: Int64?
    public var latencyMs: Int64?
    public var traceId: String?
    public var tags: [String: String]
    public var release: String?
    public var commit: String?
    /// The cost the source reported (e.g. LiteLLM's `spend`), kept beside
    /// spend's own `cost` so the difference is visible; never priced from.
    public var sourceCost: ExactDecimal?
    public var cost: ExactDecimal?
    public var pricedWith: String?
    /// The id this event corrects, with `correction` (docs/FORMAT.md, "Corrections").
    public var corrects: String?
    public var correction = CorrectionKind.none
    /// Why: required on a void, optional on a replace.
    public var reason: String?

    public init(
        ts: Int64, id: String, provider: String, model: String, inputTokens: Int64, outputTokens: Int64,
        tags: [String: String]
    ) {
        self.ts = ts
        self.id = id
        self.provider = provider
        self.model = model
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.tags = tags
    }

    /// The usage this event bills.
    public var usage: Usage {
        Usage(
            requests: requests ?? 1, inputTokens: inputTokens, cachedInputTokens: cachedInputTokens ?? 0,
            cacheWriteTokens: cacheWriteTokens ?? 0, cacheWrite1hTokens: cacheWrite1hTokens ?? 0, outputTokens: outputTokens,
            toolCalls: toolCalls ?? [:])
    }

    /// The event as one JSON line (no newline), keys in canonical order, tags sorted.
    public var jsonLine: String {
        var out: [UInt8] = []
        encodeLine(into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the event's JSON line (no newline) to `out`: keys in canonical
    /// order, tags and tool calls sorted by name. Byte-level, for bulk appends.
    public func encodeLine(into out: inout [UInt8]) {
        var w = JSONWriter(out: out)
        out = []
        w.raw("{\"ts\":\"")
        Timestamp.encode(millis: ts, into: &w.out)
        w.raw("\",\"id\":")
        w.string(id)
        if let corrects, let kind = correction.name {
            w.key("corrects"); w.string(corrects)
            w.key("correction"); w.string(kind)
            if let reason { w.key("reason"); w.string(reason) }
            if correction == .void {
                w.byte(125)
                out = w.out
                return
            }
        }
        w.raw(",\"provider\":")
        w.string(provider)
        w.raw(",\"model\":")
        w.string(model)
        if let modelRequested { w.key("model_requested"); w.string(modelRequested) }
        if let serviceTier { w.key("service_tier"); w.string(serviceTier) }
        if let batch { w.key("batch"); w.raw(batch ? "true" : "false") }
        if let requests { w.key("requests"); w.integer(requests) }
        w.key("input_tokens"); w.integer(inputTokens)
        if let cachedInputTokens { w.key("cached_input_tokens"); w.integer(cachedInputTokens) }
        if let cacheWriteTokens { w.key("cache_write_tokens"); w.integer(cacheWriteTokens) }
        if let cacheWrite1hTokens { w.key("cache_write_1h_tokens"); w.integer(cacheWrite1hTokens) }
        w.key("output_tokens"); w.integer(outputTokens)
        if let toolCalls {
            w.key("tool_calls")
            w.byte(123)
            for (i, (name, count)) in toolCalls.sorted(by: { $0.key < $1.key }).enumerated() {
                if i > 0 { w.byte(44) }
                w.string(name)
                w.byte(58)
                w.integer(count)
            }
            w.byte(125)
        }
        if let status { w.key("status"); w.string(status) }
        if let attempt { w.key("attempt"); w.integer(attempt) }
        if let latencyMs { w.key("latency_ms"); w.integer(latencyMs) }
        if let traceId { w.key("trace_id"); w.string(traceId) }
        w.key("tags")
        w.byte(123)
        if tags.count == 1, let (key, value) = tags.first {
            w.string(key); w.byte(58); w.string(value)
        } else if !tags.isEmpty {
            for (i, (key, value)) in tags.sorted(by: { $0.key < $1.key }).enumerated() {
                if i > 0 { w.byte(44) }
                w.string(key); w.byte(58); w.string(value)
            }
        }
        w.byte(125)
        if let release { w.key("release"); w.string(release) }
        if let commit { w.key("commit"); w.string(commit) }
        if let sourceCost { w.key("source_cost"); w.decimal(sourceCost) }
        if let cost { w.key("cost"); w.decimal(cost) }
        if let pricedWith { w.key("priced_with"); w.string(pricedWith) }
        w.byte(125)
        out = w.out
    }

    /// A void of `target` (docs/FORMAT.md, "Corrections"): stamps, the target and the reason, no usage.
    public static func void(ts: Int64, id: String, corrects target: String, reason: String) -> LedgerEvent {
        var event = LedgerEvent(ts: ts, id: id, provider: "", model: "", inputTokens: 0, outputTokens: 0, tags: [:])
        event.corrects = target
        event.correction = .void
        event.reason = reason
        return event
    }

    /// The shard an event belongs in: `ledger/YYYY/YYYY-MM.jsonl` by the UTC month of `ts`.
    public var shardPath: String {
        let month = Timestamp.monthString(millis: ts)
        return "ledger/\(month.prefix(4))/\(month).jsonl"
    }
}

/// Appends JSON tokens as bytes.
package struct JSONWriter {
    package var out: [UInt8]

    package init(out: [UInt8]) { self.out = out }

    @inline(__always) package mutating func byte(_ b: UInt8) { out.append(b) }

    package mutating func raw(_ s: StaticString) {
        s.withUTF8Buffer { out.append(contentsOf: $0) }
    }

    /// `,"name":`
    package mutating func key(_ name: StaticString) {
        out.append(44)
        out.append(34)
        raw(name)
        out.append(34)
        out.append(58)
    }

    package mutating func integer(_ value: Int64) {
        if value >= 0 && value < 10 {
            out.append(48 + UInt8(value))
            return
        }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
            UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var magnitude = value.magnitude
        var n = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[19 - n] = 48 + UInt8(magnitude % 10)
                magnitude /= 10
                n += 1
            } while magnitude > 0
            if value < 0 { out.append(45) }
            out.append(contentsOf: buffer[(20 - n)...])
        }
    }

    /// A decimal as a JSON string (`"0.0125"`), written without making a `String`.
    package mutating func decimal(_ value: ExactDecimal) {
        out.append(34)
        value.appendDescription(to: &out)
        out.append(34)
    }

    /// A JSON string: quotes, backslashes and control characters escaped; UTF-8 passed through.
    package mutating func string(_ s: String) {
        out.append(34)
        var copy = s
        copy.withUTF8 { bytes in
            var clean = 0
            // Most strings need no escape: find that eight bytes at a time.
            var i = 0
            if let base = bytes.baseAddress {
                while i + 8 <= bytes.count {
                    let x = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
                    let quote = x ^ 0x2222_2222_2222_2222
                    let backslash = x ^ 0x5C5C_5C5C_5C5C_5C5C
                    let high = 0x8080_8080_8080_8080 as UInt64
                    let ones = 0x0101_0101_0101_0101 as UInt64
                    let special =
                        ((x &- 0x2020_2020_2020_2020) & ~x) | ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash)
                    if special & high != 0 { break }
                    i += 8
                }
            }
            if i == bytes.count {
                out.append(contentsOf: bytes)
                return
            }
            for (i, b) in bytes.enumerated().dropFirst(i) where b == 34 || b == 92 || b < 0x20 {
                out.append(contentsOf: bytes[clean..<i])
                switch b {
                case 34: out.append(contentsOf: [92, 34])
                case 92: out.append(contentsOf: [92, 92])
                case 10: out.append(contentsOf: [92, 110])
                case 13: out.append(contentsOf: [92, 114])
                case 9: out.append(contentsOf: [92, 116])
                default:
                    let hex: [UInt8] = Array("0123456789abcdef".utf8)
                    out.append(contentsOf: [92, 117, 48, 48, hex[Int(b >> 4)], hex[Int(b & 15)]])
                }
                clean = i + 1
            }
            out.append(contentsOf: bytes[clean...])
        }
        out.append(34)
    }
}

/// What a correction event does to the event it `corrects` (docs/FORMAT.md, "Corrections").
public enum CorrectionKind: UInt8, Sendable {
    /// An ordinary event.
    case none
    /// `"correction":"void"`: the original is excluded from every report; the void itself records no usage.
    case void
    /// `"correction":"replace"`: the original is excluded; this event's own fields count in its place.
    case replace

    /// The JSON value (nil for `.none`).
    public var name: String? {
        switch self {
        case .none: nil
        case .void: "void"
        case .replace: "replace"
        }
    }
}
