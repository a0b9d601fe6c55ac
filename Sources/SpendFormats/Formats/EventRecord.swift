import SpendBase

/// One ledger event as scanned, by position in its buffer: the hot-path form
/// (no allocation per event). Strings are `ByteSpan`s into the buffer; tags
/// and tool calls are ranges into the scanner's scratch arrays.
public struct EventRecord {
    /// Byte offset of the start of the line in the buffer.
    public var lineStart = 0
    /// Byte offset just past the end of the line (excluding the newline).
    public var lineEnd = 0
    /// `ts` in milliseconds since the epoch, UTC.
    public var ts: Int64 = 0
    public var id = ByteSpan.absent
    public var provider = ByteSpan.absent
    public var model = ByteSpan.absent
    public var modelRequested = ByteSpan.absent
    public var serviceTier = ByteSpan.absent
    public var status = ByteSpan.absent
    public var release = ByteSpan.absent
    public var commit = ByteSpan.absent
    public var traceId = ByteSpan.absent
    public var cost = ByteSpan.absent
    public var pricedWith = ByteSpan.absent
    /// The cost the source reported (an importer's `source_cost`), never priced from.
    public var sourceCost = ByteSpan.absent
    /// The id this event corrects (`corrects`), absent on an ordinary event.
    public var corrects = ByteSpan.absent
    /// What kind of correction the event is (`correction`), `.none` on an ordinary event.
    public var correction = CorrectionKind.none
    /// Why (`reason`): required on a void, optional on a replace.
    public var reason = ByteSpan.absent
    public var batch = false
    public var requests: Int64 = 1
    public var inputTokens: Int64 = 0
    public var cachedInputTokens: Int64 = 0
    public var cacheWriteTokens: Int64 = 0
    public var cacheWrite1hTokens: Int64 = 0
    public var outputTokens: Int64 = 0
    public var attempt: Int64 = 1
    /// -1 when absent.
    public var latencyMs: Int64 = -1
    /// Byte offset of the `tags` object's opening brace.
    public var tagsOffset = 0
    /// Range of this event's pairs in `LedgerScanner.tags`.
    public var tags: Range<Int> = 0..<0
    /// Range of this event's pairs in `LedgerScanner.toolCalls`.
    public var toolCalls: Range<Int> = 0..<0
    /// The keys present, as bits `1 << EventKey.rawValue`.
    public var keys: UInt32 = 0
    /// The first key the schema does not know (JSON offset of its quote), or -1.
    public var unknownKeyOffset = -1

    /// True when the event carries `key`.
    @inline(__always) public func has(_ key: EventKey) -> Bool { keys & (1 << UInt32(key.rawValue)) != 0 }

    public init() {}

    /// Input tokens of every kind (what tier thresholds compare against).
    /// The scanner bounds each by `TokenCounts.perEventLimit` (10^15), so the
    /// sum fits with room to spare: a plain, checked `+` that cannot trap.
    @inlinable @inline(__always) public var promptTokens: Int64 {
        inputTokens + cachedInputTokens + cacheWriteTokens + cacheWrite1hTokens
    }
}

/// A tag of an event: key and value spans.
public struct TagSpan {
    public var key: ByteSpan
    public var value: ByteSpan
}

/// A tool-call count of an event.
public struct ToolCallSpan {
    public var name: ByteSpan
    public var count: Int64
}

/// The keys an event may carry, in canonical order (`source_cost`, added
/// last, is written between `commit` and `cost`).
public enum EventKey: Int, CaseIterable, Sendable {
    case ts, id, provider, model, modelRequested, serviceTier, batch, requests
    case inputTokens, cachedInputTokens, cacheWriteTokens, cacheWrite1hTokens, outputTokens, toolCalls
    case status, attempt, latencyMs, traceId, tags, release, commit, cost, pricedWith
    case sourceCost
    /// Correction fields (docs/FORMAT.md, "Corrections"); written right after `id`.
    case corrects, correction, reason

    /// The JSON key.
    public var name: String {
        switch self {
        case .ts: "ts"
        case .id: "id"
        case .provider: "provider"
        case .model: "model"
        case .modelRequested: "model_requested"
        case .serviceTier: "service_tier"
        case .batch: "batch"
        case .requests: "requests"
        case .inputTokens: "input_tokens"
        case .cachedInputTokens: "cached_input_tokens"
        case .cacheWriteTokens: "cache_write_tokens"
        case .cacheWrite1hTokens: "cache_write_1h_tokens"
        case .outputTokens: "output_tokens"
        case .toolCalls: "tool_calls"
        case .status: "status"
        case .attempt: "attempt"
        case .latencyMs: "latency_ms"
        case .traceId: "trace_id"
        case .tags: "tags"
        case .release: "release"
        case .commit: "commit"
        case .cost: "cost"
        case .pricedWith: "priced_with"
        case .sourceCost: "source_cost"
        case .corrects: "corrects"
        case .correction: "correction"
        case .reason: "reason"
        }
    }

    /// Keys every event must carry.
    public static let required: [EventKey] = [.ts, .id, .provider, .model, .inputTokens, .outputTokens, .tags]

    /// The required keys as a bit set.
    public static let requiredMask: UInt32 = required.reduce(0) { $0 | 1 << UInt32($1.rawValue) }

    /// The two keys a correction carries together.
    public static let correctionMask: UInt32 = 1 << UInt32(EventKey.corrects.rawValue) | 1 << UInt32(EventKey.correction.rawValue)

    /// The keys a void may carry: it records no usage.
    public static let voidAllowedMask: UInt32 = [EventKey.ts, .id, .corrects, .correction, .reason].reduce(0) {
        $0 | 1 << UInt32($1.rawValue)
    }

    /// What an event given to `append` must carry: the rest is stamped.
    public static let draftRequiredMask: UInt32 = [EventKey.provider, .model, .inputTokens, .outputTokens].reduce(0) {
        $0 | 1 << UInt32($1.rawValue)
    }

    private static let byName: [String: EventKey] = Dictionary(
        uniqueKeysWithValues: allCases.map { ($0.name, $0) })

    /// The key with this JSON name.
    public init?(name: String) {
        guard let key = Self.byName[name] else { return nil }
        self = key
    }

    /// Matches raw key bytes without allocating.
    @inline(__always)
    static func match(_ p: UnsafeRawPointer, _ n: Int) -> EventKey? {
        @inline(__always) func eq(_ s: StaticString) -> Bool {
            s.utf8CodeUnitCount == n && bytesEqual(p, s.utf8Start, n)
        }
        switch n {
        case 2: return eq("ts") ? .ts : eq("id") ? .id : nil
        case 4: return eq("tags") ? .tags : eq("cost") ? .cost : nil
        case 5: return eq("model") ? .model : eq("batch") ? .batch : nil
        case 6: return eq("status") ? .status : eq("commit") ? .commit : eq("reason") ? .reason : nil
        case 7: return eq("attempt") ? .attempt : eq("release") ? .release : nil
        case 8: return eq("provider") ? .provider : eq("requests") ? .requests : eq("trace_id") ? .traceId : eq("corrects") ? .corrects : nil
        case 10: return eq("tool_calls") ? .toolCalls : eq("latency_ms") ? .latencyMs : eq("correction") ? .correction : nil
        case 11: return eq("priced_with") ? .pricedWith : eq("source_cost") ? .sourceCost : nil
        case 12: return eq("input_tokens") ? .inputTokens : eq("service_tier") ? .serviceTier : nil
        case 13: return eq("output_tokens") ? .outputTokens : nil
        case 15: return eq("model_requested") ? .modelRequested : nil
        case 18: return eq("cache_write_tokens") ? .cacheWriteTokens : nil
        case 19: return eq("cached_input_tokens") ? .cachedInputTokens : nil
        case 21: return eq("cache_write_1h_tokens") ? .cacheWrite1hTokens : nil
        default: return nil
        }
    }
}
