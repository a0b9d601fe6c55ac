/// Token, request and tool-call counts: the per-event limit, checked sums
/// and exact per-request comparisons (no wrapping arithmetic anywhere).
public enum TokenCounts {
    /// The largest count one event may carry in `requests`, each `*_tokens`
    /// field and each `tool_calls` value: 10^15. Sums of counts are Int64 and
    /// checked; at this bound it takes more than 9,000 events at the limit
    /// for one sum to overflow, which is then `error[overflow]`.
    public static let perEventLimit: Int64 = 1_000_000_000_000_000

    /// `tokens > threshold × requests`, exactly: a product beyond Int64 is
    /// larger than any token count, so it never wraps into a wrong answer.
    @inlinable @inline(__always)
    public static func exceeds(_ tokens: Int64, threshold: Int64, requests: Int64) -> Bool {
        let (limit, overflow) = threshold.multipliedReportingOverflow(by: requests)
        return !overflow && tokens > limit
    }

    /// `sum + count`, or `SumOverflow` naming `field`.
    @inlinable @inline(__always)
    public static func add(_ sum: Int64, _ count: Int64, field: String) throws(SumOverflow) -> Int64 {
        let (result, overflow) = sum.addingReportingOverflow(count)
        if overflow { throw SumOverflow(field: field) }
        return result
    }
}

/// A sum that does not fit: counts beyond Int64, costs beyond ExactDecimal's 38 digits.
public struct SumOverflow: Error, Sendable, Hashable {
    /// What was summed: `input_tokens`, `requests`, `tool_calls`, `cost` …
    public var field: String
    /// The bound passed, in words.
    public var limit: String

    public init(field: String, limit: String = String(Int64.max)) {
        self.field = field
        self.limit = limit
    }

    /// A cost sum beyond exact arithmetic.
    public static func cost(_ field: String = "cost") -> SumOverflow {
        SumOverflow(field: field, limit: "exact arithmetic (38 digits)")
    }

    /// `the sum of input_tokens exceeds 9223372036854775807`.
    public var message: String { "the sum of \(field) exceeds \(limit)" }
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
    public var cacheWrite1hTokens: Int64 = 0
    public var outputTokens: Int64 = 0
    /// input + cached + cache_write + cache_write_1h (what summaries and tiers sum).
    public var promptTokens: Int64 = 0
    /// Every tool call, whatever its name.
    public var toolCalls: Int64 = 0

    public init() {}

    /// Adds the totals of a later part of the ledger, checked; unchanged on overflow.
    public mutating func add(_ other: RunningTotals) throws(SumOverflow) {
        var sum = self
        sum.requests = try TokenCounts.add(requests, other.requests, field: "requests")
        sum.inputTokens = try TokenCounts.add(inputTokens, other.inputTokens, field: "input_tokens")
        sum.cachedInputTokens = try TokenCounts.add(cachedInputTokens, other.cachedInputTokens, field: "cached_input_tokens")
        sum.cacheWriteTokens = try TokenCounts.add(cacheWriteTokens, other.cacheWriteTokens, field: "cache_write_tokens")
        sum.cacheWrite1hTokens = try TokenCounts.add(cacheWrite1hTokens, other.cacheWrite1hTokens, field: "cache_write_1h_tokens")
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
