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
    @inline(__always)
    public static func exceeds(_ tokens: Int64, threshold: Int64, requests: Int64) -> Bool {
        let (limit, overflow) = threshold.multipliedReportingOverflow(by: requests)
        return !overflow && tokens > limit
    }

    /// `sum + count`, or `SumOverflow` naming `field`.
    @inline(__always)
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
