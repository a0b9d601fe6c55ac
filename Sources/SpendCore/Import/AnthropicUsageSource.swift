import Foundation

/// `spend import anthropic-usage`: pages of Anthropic's Admin API usage
/// report for messages (`GET /v1/organizations/usage_report/messages`). Each
/// bucket result is one roll-up event:
///
/// - `ts` is the bucket's `starting_at` (RFC 3339);
/// - `input_tokens` is `uncached_input_tokens`, `cached_input_tokens` is
///   `cache_read_input_tokens`, `cache_write_tokens` / `cache_write_1h_tokens`
///   are `cache_creation.ephemeral_5m_input_tokens` / `ephemeral_1h_input_tokens`
///   (Anthropic's counts are already disjoint), `output_tokens` is
///   `output_tokens`, `tool_calls.web_search` is
///   `server_tool_use.web_search_requests`;
/// - `service_tier` "batch" is `batch: true`, "priority" (or any tier but
///   "standard") a `service_tier`;
/// - the report has no request count: `requests` is the fewest requests that
///   hold the bucket's input tokens within its `context_window`
///   (⌈input / 200,000⌉ for "0-200k", ⌈input / 1,000,000⌉ for "200k-1M",
///   at least 1; input counting cache reads and writes), so a rate card's
///   >200K tier, chosen by tokens per request, applies exactly to the
///   long-context results;
/// - the id is `ImportID.hashed` of the bucket's bounds and the result's
///   grouping values;
/// - tags: `anthropic_workspace`, `anthropic_api_key` keep the ids, and
///   `[import.anthropic.workspaces.ID]` / `[import.anthropic.api_keys.ID]`
///   add the tags each stands for.
///
/// A result without `model` or `context_window` (usage not grouped by them),
/// or of a bucket that has not ended, is rejected.
public struct AnthropicUsageSource: UsageReportSource {
    public let name = "anthropic-usage"
    let tags: GroupingTags
    /// Now (ms since the epoch): a bucket ending after it is rejected.
    let now: Int64?

    /// The spend.toml section name of this source: `[import.anthropic]`.
    public static let settingsName = "anthropic"

    /// The largest input of a request in each `context_window` the report groups by.
    static let contextWindows: [String: Int64] = ["0-200k": 200_000, "200k-1M": 1_000_000]

    /// The source with the `[import.anthropic]` table of `spend.toml` and the
    /// time after which a bucket is still open.
    package static func make(settings: ImportSettings, now: Int64?) throws(SpendError) -> AnthropicUsageSource {
        let tags = try GroupingTags.read(
            settings, source: settingsName, idTags: idTags, tables: [("workspaces", "workspace_id"), ("api_keys", "api_key_id")])
        return AnthropicUsageSource(tags: tags, now: now)
    }

    /// Result field → the tag that keeps its id.
    static let idTags: [(field: String, tag: String)] = [("workspace_id", "anthropic_workspace"), ("api_key_id", "anthropic_api_key")]

    func draft(_ record: UsagePages.Result) throws(RecordProblem) -> EventDraft? {
        let r = record.result
        let start = try UsageBucket.millis(record.bucket, "starting_at")
        let end = try UsageBucket.millis(record.bucket, "ending_at")
        try UsageBucket.checkEnded(start: start, end: end, now: now)
        let uncached = try UsageRecord.count(r, "uncached_input_tokens", "result")
        let read = try UsageRecord.count(r, "cache_read_input_tokens", "result", optional: true)
        var (fiveMinute, hour): (Int64, Int64) = (0, 0)
        if let creation = r["cache_creation"] as? [String: Any] {
            fiveMinute = try UsageRecord.count(creation, "ephemeral_5m_input_tokens", "result.cache_creation", optional: true)
            hour = try UsageRecord.count(creation, "ephemeral_1h_input_tokens", "result.cache_creation", optional: true)
        } else if r["cache_creation"] != nil && !(r["cache_creation"] is NSNull) {
            throw RecordProblem(.schema, "result.cache_creation must be an object")
        }
        let output = try UsageRecord.count(r, "output_tokens", "result")
        var searches: Int64 = 0
        if let tools = r["server_tool_use"] as? [String: Any] {
            searches = try UsageRecord.count(tools, "web_search_requests", "result.server_tool_use", optional: true)
        }
        let input = try UsageRecord.sum([uncached, read, fiveMinute, hour], "the result's input tokens")
        if input == 0 && output == 0 && searches == 0 { return nil }  // an empty group: nothing to record
        guard let model = UsageRecord.string(r, "model") else {
            throw RecordProblem(
                .importRecord, "result has no model (the usage was not grouped by model): fetch it with group_by[]=model")
        }
        guard let window = UsageRecord.string(r, "context_window") else {
            throw RecordProblem(
                .importRecord,
                "result has no context_window, which spend needs to count requests (the report has none) and price "
                    + "long-context calls: fetch it with group_by[]=context_window")
        }
        guard let perRequest = Self.contextWindows[window] else {
            throw RecordProblem(
                .importRecord, "result.context_window \"\(window)\" is not one spend knows (\(Self.contextWindows.keys.sorted().joined(separator: ", ")))")
        }
        let requests = max(1, input / perRequest + (input % perRequest == 0 ? 0 : 1))
        let parts = UsagePages.idParts(start: Timestamp.format(millis: start), end: Timestamp.format(millis: end), result: r)
        var event = LedgerEvent(
            ts: start, id: ImportID.hashed(name, parts), provider: "anthropic", model: model, inputTokens: uncached,
            outputTokens: output, tags: tags.tags { UsageRecord.string(r, $0) })
        if read > 0 { event.cachedInputTokens = read }
        if fiveMinute > 0 { event.cacheWriteTokens = fiveMinute }
        if hour > 0 { event.cacheWrite1hTokens = hour }
        if searches > 0 { event.toolCalls = ["web_search": searches] }
        if requests != 1 { event.requests = requests }
        ProviderResponse.applyAnthropicServiceTier(UsageRecord.string(r, "service_tier"), to: &event)
        return EventDraft(event: event, hasTimestamp: true, hasId: true, origin: record.origin)
    }
}
