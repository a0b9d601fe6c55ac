import SpendBase

// Adding a scanned event to the checked sums of SpendBase/Money (`Usage`,
// `RunningTotals`): the hot path of every aggregation.

extension Usage {
    /// Adds one scanned event's requests and tokens (not its tool calls), checked:
    /// on overflow throws naming the field and leaves `self` unchanged.
    @inlinable @inline(__always)
    public mutating func add(_ e: EventRecord) throws(SumOverflow) {
        // The hot path of every aggregation: five checked adds, no copy of `toolCalls`.
        let r = try TokenCounts.add(requests, e.requests, field: "requests")
        let i = try TokenCounts.add(inputTokens, e.inputTokens, field: "input_tokens")
        let c = try TokenCounts.add(cachedInputTokens, e.cachedInputTokens, field: "cached_input_tokens")
        let w = try TokenCounts.add(cacheWriteTokens, e.cacheWriteTokens, field: "cache_write_tokens")
        let h = try TokenCounts.add(cacheWrite1hTokens, e.cacheWrite1hTokens, field: "cache_write_1h_tokens")
        let o = try TokenCounts.add(outputTokens, e.outputTokens, field: "output_tokens")
        (requests, inputTokens, cachedInputTokens, cacheWriteTokens, cacheWrite1hTokens, outputTokens) = (r, i, c, w, h, o)
    }
}

extension RunningTotals {
    /// Adds one scanned event, checked; unchanged on overflow (the hot path: no allocation).
    @inlinable @inline(__always)
    public mutating func add(_ e: EventRecord, scanner: LedgerScanner) throws(SumOverflow) {
        var calls = toolCalls
        for k in e.toolCalls { calls = try TokenCounts.add(calls, scanner.toolCalls[k].count, field: "tool_calls") }
        let r = try TokenCounts.add(requests, e.requests, field: "requests")
        let i = try TokenCounts.add(inputTokens, e.inputTokens, field: "input_tokens")
        let c = try TokenCounts.add(cachedInputTokens, e.cachedInputTokens, field: "cached_input_tokens")
        let w = try TokenCounts.add(cacheWriteTokens, e.cacheWriteTokens, field: "cache_write_tokens")
        let h = try TokenCounts.add(cacheWrite1hTokens, e.cacheWrite1hTokens, field: "cache_write_1h_tokens")
        let o = try TokenCounts.add(outputTokens, e.outputTokens, field: "output_tokens")
        let p = try TokenCounts.add(promptTokens, e.promptTokens, field: "input tokens (input + cached + cache_write)")
        (requests, inputTokens, cachedInputTokens, cacheWriteTokens, cacheWrite1hTokens, outputTokens, promptTokens, toolCalls) =
            (r, i, c, w, h, o, p, calls)
    }
}
