import SpendBase

extension Usage {
    /// Adds one scanned event's requests and tokens (not its tool calls), checked:
    /// on overflow throws naming the field and leaves `self` unchanged.
    @inline(__always)
    public mutating func add(_ e: EventRecord) throws(SumOverflow) {
        // The hot path of every aggregation: five checked adds, no copy of `toolCalls`.
        let r = try TokenCounts.add(requests, e.requests, field: "requests")
        let i = try TokenCounts.add(inputTokens, e.inputTokens, field: "input_tokens")
        let c = try TokenCounts.add(cachedInputTokens, e.cachedInputTokens, field: "cached_input_tokens")
        let w = try TokenCounts.add(cacheWriteTokens, e.cacheWriteTokens, field: "cache_write_tokens")
        let o = try TokenCounts.add(outputTokens, e.outputTokens, field: "output_tokens")
        (requests, inputTokens, cachedInputTokens, cacheWriteTokens, outputTokens) = (r, i, c, w, o)
    }
}

/// Checked running totals of the events read, in ledger order: requests,
/// each token kind, prompt tokens (input + cached + cache_write) and tool
/// calls. Every sum a verb forms over those events (a group, a total, a
/// summary cell) is at most these, so checking them as each event is added
/// names the event that makes a sum overflow.
public struct RunningTotals: Sendable, Hashable {
    public var requests: Int64 = 0
    public var inputTokens: Int64 = 0
    public var cachedInputTokens: Int64 = 0
    public var cacheWriteTokens: Int64 = 0
    public var outputTokens: Int64 = 0
    /// input + cached + cache_write (what summaries and tiers sum).
    public var promptTokens: Int64 = 0
    /// Every tool call, whatever its name.
    public var toolCalls: Int64 = 0

    public init() {}

    /// Adds one scanned event, checked; unchanged on overflow (the hot path: no allocation).
    @inline(__always)
    public mutating func add(_ e: EventRecord, scanner: LedgerScanner) throws(SumOverflow) {
        var calls = toolCalls
        for k in e.toolCalls { calls = try TokenCounts.add(calls, scanner.toolCalls[k].count, field: "tool_calls") }
        let r = try TokenCounts.add(requests, e.requests, field: "requests")
        let i = try TokenCounts.add(inputTokens, e.inputTokens, field: "input_tokens")
        let c = try TokenCounts.add(cachedInputTokens, e.cachedInputTokens, field: "cached_input_tokens")
        let w = try TokenCounts.add(cacheWriteTokens, e.cacheWriteTokens, field: "cache_write_tokens")
        let o = try TokenCounts.add(outputTokens, e.outputTokens, field: "output_tokens")
        let p = try TokenCounts.add(promptTokens, e.promptTokens, field: "input tokens (input + cached + cache_write)")
        (requests, inputTokens, cachedInputTokens, cacheWriteTokens, outputTokens, promptTokens, toolCalls) = (r, i, c, w, o, p, calls)
    }

    /// Adds the totals of a later part of the ledger, checked; unchanged on overflow.
    public mutating func add(_ other: RunningTotals) throws(SumOverflow) {
        var sum = self
        sum.requests = try TokenCounts.add(requests, other.requests, field: "requests")
        sum.inputTokens = try TokenCounts.add(inputTokens, other.inputTokens, field: "input_tokens")
        sum.cachedInputTokens = try TokenCounts.add(cachedInputTokens, other.cachedInputTokens, field: "cached_input_tokens")
        sum.cacheWriteTokens = try TokenCounts.add(cacheWriteTokens, other.cacheWriteTokens, field: "cache_write_tokens")
        sum.outputTokens = try TokenCounts.add(outputTokens, other.outputTokens, field: "output_tokens")
        sum.promptTokens = try TokenCounts.add(promptTokens, other.promptTokens, field: "input tokens (input + cached + cache_write)")
        sum.toolCalls = try TokenCounts.add(toolCalls, other.toolCalls, field: "tool_calls")
        self = sum
    }

    /// The index of the first part whose totals overflow the sum of those
    /// before it, and that sum (the prefix to re-read the part from); nil when all fit.
    public static func firstOverflow(_ parts: [RunningTotals]) -> (index: Int, prefix: RunningTotals)? {
        var running = RunningTotals()
        for (k, part) in parts.enumerated() {
            var next = running
            do {
                try next.add(part)
            } catch {
                return (k, running)
            }
            running = next
        }
        return nil
    }
}
