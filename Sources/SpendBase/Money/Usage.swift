/// Tokens and calls to price: one event, or a sum of events priced alike.
public struct Usage: Sendable, Hashable {
    public var requests: Int64 = 0
    public var inputTokens: Int64 = 0
    public var cachedInputTokens: Int64 = 0
    /// 5-minute cache writes.
    public var cacheWriteTokens: Int64 = 0
    /// 1-hour cache writes (priced by `cache_write_1h`).
    public var cacheWrite1hTokens: Int64 = 0
    public var outputTokens: Int64 = 0
    public var toolCalls: [String: Int64] = [:]

    public init(
        requests: Int64 = 1, inputTokens: Int64 = 0, cachedInputTokens: Int64 = 0, cacheWriteTokens: Int64 = 0,
        cacheWrite1hTokens: Int64 = 0, outputTokens: Int64 = 0, toolCalls: [String: Int64] = [:]
    ) {
        self.requests = requests
        self.inputTokens = inputTokens
        self.cachedInputTokens = cachedInputTokens
        self.cacheWriteTokens = cacheWriteTokens
        self.cacheWrite1hTokens = cacheWrite1hTokens
        self.outputTokens = outputTokens
        self.toolCalls = toolCalls
    }

    /// Adds `rhs`, checked: on overflow throws naming the field and leaves `self` unchanged.
    public mutating func add(_ rhs: Usage) throws(SumOverflow) {
        var sum = self
        sum.requests = try TokenCounts.add(requests, rhs.requests, field: "requests")
        sum.inputTokens = try TokenCounts.add(inputTokens, rhs.inputTokens, field: "input_tokens")
        sum.cachedInputTokens = try TokenCounts.add(cachedInputTokens, rhs.cachedInputTokens, field: "cached_input_tokens")
        sum.cacheWriteTokens = try TokenCounts.add(cacheWriteTokens, rhs.cacheWriteTokens, field: "cache_write_tokens")
        sum.cacheWrite1hTokens = try TokenCounts.add(cacheWrite1hTokens, rhs.cacheWrite1hTokens, field: "cache_write_1h_tokens")
        sum.outputTokens = try TokenCounts.add(outputTokens, rhs.outputTokens, field: "output_tokens")
        for (name, count) in rhs.toolCalls {
            sum.toolCalls[name] = try TokenCounts.add(sum.toolCalls[name] ?? 0, count, field: "tool_calls \"\(name)\"")
        }
        self = sum
    }

    /// Input tokens of every kind (what tier thresholds compare against), checked.
    public func promptTokens() throws(SumOverflow) -> Int64 {
        let field = "input tokens (input + cached + cache_write)"
        let inputAndCached = try TokenCounts.add(inputTokens, cachedInputTokens, field: field)
        return try TokenCounts.add(TokenCounts.add(inputAndCached, cacheWriteTokens, field: field), cacheWrite1hTokens, field: field)
    }

    /// 5-minute and 1-hour cache writes together, for reports that show one
    /// cache-write column. Each is a part of a checked prompt-token sum, so
    /// their sum fits.
    public var allCacheWriteTokens: Int64 { cacheWriteTokens + cacheWrite1hTokens }
}
