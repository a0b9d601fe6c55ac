import Foundation

/// `spend import openai-usage`: pages of OpenAI's organization Usage API for
/// completions (`GET /v1/organization/usage/completions`). Each bucket result
/// is one roll-up event:
///
/// - `ts` is the bucket's `start_time`; `requests` is `num_model_requests`;
/// - `input_tokens` is `input_tokens − input_cached_tokens` (OpenAI counts
///   cached tokens inside the input), `cached_input_tokens` is
///   `input_cached_tokens`, `output_tokens` is `output_tokens`;
/// - `batch: true` when the result's `batch` is true, `service_tier` when it
///   is neither `default`, `auto` nor `standard`;
/// - the id is `ImportID.hashed` of the bucket's start and end and the
///   result's grouping values, so overlapping exports give the same ids;
/// - tags: `openai_project`, `openai_user`, `openai_api_key` keep the ids the
///   result is grouped by, and `[import.openai.projects.ID]` /
///   `[import.openai.api_keys.ID]` in `spend.toml` add the tags each id
///   stands for (an API key's tags win over its project's).
///
/// A result without `model` (usage not grouped by model), with audio tokens
/// (not priced yet), or of a bucket that has not ended is rejected.
public struct OpenAIUsageSource: UsageReportSource {
    public let name = "openai-usage"
    /// The tags of the grouping ids.
    let tags: GroupingTags
    /// Now (ms since the epoch): a bucket ending after it is still open and is
    /// rejected (its totals can still grow, and its id would then skip them).
    let now: Int64?

    /// The spend.toml section name of this source: `[import.openai]`.
    public static let settingsName = "openai"

    /// The source with the `[import.openai]` table of `spend.toml` (checked:
    /// unknown keys and non-string tags are `policy` errors at their line) and
    /// the time after which a bucket is still open.
    package static func make(settings: ImportSettings, now: Int64?) throws(SpendError) -> OpenAIUsageSource {
        let tags = try GroupingTags.read(
            settings, source: settingsName, idTags: idTags, tables: [("projects", "project_id"), ("api_keys", "api_key_id")])
        return OpenAIUsageSource(tags: tags, now: now)
    }

    /// Result field → the tag that keeps its id.
    static let idTags: [(field: String, tag: String)] = [
        ("project_id", "openai_project"), ("user_id", "openai_user"), ("api_key_id", "openai_api_key"),
    ]

    func draft(_ record: UsagePages.Result) throws(RecordProblem) -> EventDraft? {
        let r = record.result
        if let object = r["object"] as? String, object != "organization.usage.completions.result" {
            throw RecordProblem(
                .importRecord,
                "result is \(object), not organization.usage.completions.result: only completions usage "
                    + "(/v1/organization/usage/completions) is read")
        }
        let start = try UsageBucket.seconds(record.bucket, "start_time")
        let end = try UsageBucket.seconds(record.bucket, "end_time")
        try UsageBucket.checkEnded(start: start * 1000, end: end * 1000, now: now)
        let requests = try UsageRecord.count(r, "num_model_requests", "result")
        let input = try UsageRecord.count(r, "input_tokens", "result")
        let cached = try UsageRecord.count(r, "input_cached_tokens", "result", optional: true)
        let output = try UsageRecord.count(r, "output_tokens", "result")
        for key in ["input_audio_tokens", "output_audio_tokens"] {
            let audio = try UsageRecord.count(r, key, "result", optional: true)
            if audio > 0 {
                throw RecordProblem(
                    .importRecord,
                    "result.\(key) is \(audio): audio tokens bill at audio rates, which rate cards do not price yet; "
                        + "fetch audio models apart (models=…) and leave them out")
            }
        }
        if requests == 0 {
            if input == 0 && output == 0 { return nil }  // an empty group: nothing to record
            throw RecordProblem(.importRecord, "result has \(input) input and \(output) output tokens but num_model_requests 0")
        }
        guard let model = UsageRecord.string(r, "model") else {
            throw RecordProblem(
                .importRecord, "result has no model (the usage was not grouped by model): fetch it with group_by=model")
        }
        guard cached <= input else {
            throw RecordProblem(.importRecord, "result.input_cached_tokens (\(cached)) exceeds result.input_tokens (\(input))")
        }
        var event = LedgerEvent(
            ts: start * 1000, id: ImportID.hashed(name, UsagePages.idParts(start: "\(start)", end: "\(end)", result: r)),
            provider: "openai", model: model, inputTokens: input - cached, outputTokens: output,
            tags: tags.tags { UsageRecord.string(r, $0) })
        if cached > 0 { event.cachedInputTokens = cached }
        if requests != 1 { event.requests = requests }
        if (r["batch"] as? NSNumber).map({ String(cString: $0.objCType) == "c" && $0.boolValue }) == true { event.batch = true }
        event.serviceTier = ProviderResponse.openAIServiceTier(r["service_tier"] as? String)
        return EventDraft(event: event, hasTimestamp: true, hasId: true, origin: record.origin)
    }
}

/// A usage bucket's bounds.
enum UsageBucket {
    /// A bucket time in Unix seconds (`start_time`), within the years a ledger `ts` can spell.
    static func seconds(_ bucket: [String: Any], _ key: String) throws(RecordProblem) -> Int64 {
        let seconds = try UsageRecord.count(bucket, key, "bucket")
        guard Double(seconds) < ProviderResponse.endSeconds else {
            throw RecordProblem(.timestamp, "bucket.\(key) (\(seconds)) is not a Unix time in seconds within years 0001–9999")
        }
        return seconds
    }

    /// An RFC 3339 bucket time (`starting_at`) in ms.
    static func millis(_ bucket: [String: Any], _ key: String) throws(RecordProblem) -> Int64 {
        guard let text = bucket[key] as? String else {
            throw RecordProblem(.schema, bucket[key] == nil ? "bucket.\(key) is missing" : "bucket.\(key) must be an RFC 3339 time string")
        }
        guard let ms = Timestamp.parse(text) else {
            throw RecordProblem(.timestamp, "bucket.\(key) \"\(text)\" is not an RFC 3339 time within years 0001–9999")
        }
        return ms
    }

    /// Refuses a bucket (ms) that ends after `now` or not after its start.
    static func checkEnded(start: Int64, end: Int64, now: Int64?) throws(RecordProblem) {
        guard end > start else {
            throw RecordProblem(
                .timestamp, "the bucket ends (\(Timestamp.format(millis: end))) before it starts (\(Timestamp.format(millis: start)))")
        }
        if let now, end > now {
            throw RecordProblem(
                .importRecord,
                "the bucket \(Timestamp.format(millis: start)) – \(Timestamp.format(millis: end)) has not ended: "
                    + "its totals can still grow; import it once it has ended (fetch with an end time in the past)")
        }
    }
}
