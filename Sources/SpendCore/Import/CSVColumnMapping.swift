/// Which CSV column holds each event field: `ts=time,model=model_name,
/// input_tokens=in,…,tag.team=Team,tool_calls.web_search=searches`, from
/// `[import.csv.map]` in `spend.toml` and the command line (which wins, field
/// by field).
struct CSVColumnMapping: Sendable, Equatable {
    /// The event fields a column can fill (`tag.NAME` and `tool_calls.NAME` aside).
    enum Field: String, CaseIterable, Sendable, Comparable {
        case ts, id, provider, model
        case modelRequested = "model_requested"
        case serviceTier = "service_tier"
        case batch, requests
        case inputTokens = "input_tokens"
        case cachedInputTokens = "cached_input_tokens"
        case cacheWriteTokens = "cache_write_tokens"
        case cacheWrite1hTokens = "cache_write_1h_tokens"
        case outputTokens = "output_tokens"
        case status
        case traceId = "trace_id"
        case latencyMs = "latency_ms"

        static func < (a: Field, b: Field) -> Bool { a.rawValue < b.rawValue }
    }

    /// Field → column name.
    var fields: [Field: String] = [:]
    /// Tag name → column name.
    var tags: [String: String] = [:]
    /// Tool name → column name (calls counted in that column).
    var toolCalls: [String: String] = [:]

    /// Fields an event cannot do without (`provider` may be a constant instead).
    static let required: [Field] = [.ts, .model, .inputTokens, .outputTokens]

    /// The names a mapping item may start with, for messages.
    static var known: String { Field.allCases.map(\.rawValue).joined(separator: ", ") + ", tag.NAME, tool_calls.NAME" }

    /// Sets `name` (a field, `tag.NAME` or `tool_calls.NAME`) to `column`; a
    /// message when `name` is none of them.
    mutating func set(_ name: String, _ column: String) -> String? {
        if name.hasPrefix("tag.") || name.hasPrefix("tool_calls.") {
            let isTag = name.hasPrefix("tag.")
            let key = String(name.dropFirst(isTag ? 4 : 11))
            guard !key.isEmpty else { return "\"\(name)\" names no \(isTag ? "tag" : "tool"): write \(isTag ? "tag.team" : "tool_calls.web_search")=COLUMN" }
            if isTag { tags[key] = column } else { toolCalls[key] = column }
            return nil
        }
        guard let field = Field(rawValue: name) else { return "unknown field \"\(name)\" (expected: \(Self.known))" }
        fields[field] = column
        return nil
    }

    /// Every mapped (name, column), sorted by name: the id parts of a row.
    var entries: [(name: String, column: String)] {
        (fields.map { ($0.key.rawValue, $0.value) } + tags.map { ("tag." + $0.key, $0.value) }
            + toolCalls.map { ("tool_calls." + $0.key, $0.value) }).sorted { $0.0 < $1.0 }
    }

    /// Parses command-line items: each `FIELD=COLUMN`, several per item when
    /// separated by commas (`ts=time,model=model_name`). Throws a usage error
    /// for an item that is not one.
    static func parse(_ items: [String], into mapping: inout CSVColumnMapping) throws(SpendError) {
        for item in items {
            for pair in item.split(separator: ",", omittingEmptySubsequences: false) {
                guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex, pair.index(after: eq) != pair.endIndex else {
                    throw SpendError.usage("a column mapping item is FIELD=COLUMN (e.g. ts=time,model=model_name), got '\(pair)'")
                }
                if let problem = mapping.set(String(pair[..<eq]), String(pair[pair.index(after: eq)...])) {
                    throw SpendError.usage("column mapping: \(problem)")
                }
            }
        }
    }
}

/// How a CSV's `ts` column spells time.
enum CSVTimeFormat: String, CaseIterable, Sendable {
    /// RFC 3339 (`2026-10-01T09:30:00Z`, an offset, or a space for `T`).
    case rfc3339
    /// Unix seconds, optionally with up to three decimals (`1790845800`, `1790845800.250`).
    case unix
    /// Unix milliseconds (`1790845800250`).
    case unixMs = "unix_ms"
}
