import Foundation

/// Turns a provider's API response body into a draft event: model, id and
/// token counts come from the body, normalized to the ledger's disjoint
/// counts (`input_tokens` excludes cached and cache-write tokens).
public enum ProviderResponse {
    /// Which provider's body a caller says it is (one per input flag).
    public enum Kind: String, Sendable, CaseIterable {
        case openai, anthropic, gemini

        /// The ledger `provider` of the events this kind makes.
        public var provider: String { self == .gemini ? "google" : rawValue }
    }

    /// Parses `body` (the whole JSON response) of `kind`; `path` names it in messages.
    public static func draft(_ kind: Kind, body: [UInt8], path: String) throws(DiagnosticsError) -> EventDraft {
        let origin = EventOrigin(path: path)
        func fail(_ message: String) -> DiagnosticsError {
            DiagnosticsError([origin.diagnostic(rule: .response, message: message)])
        }
        let object: [String: Any]
        do {
            guard let parsed = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
                throw fail("the \(kind.rawValue) response is not a JSON object")
            }
            object = parsed
        } catch let error as DiagnosticsError {
            throw error
        } catch {
            // A JSON Lines batch file given as one body.
            if let shape = ResponseShape.detect(body: body) {
                throw fail("this looks like \(shape.description), not \(kind.expected)")
            }
            throw fail("the \(kind.rawValue) response is not valid JSON: \(describe(error))")
        }
        // Held to the ledger's JSON rules too: a key twice (two `usage`
        // objects: which one was billed?) or bytes that are not UTF-8.
        if let problem = body.withUnsafeBytes({ LedgerScanner.validateDocument($0) }) {
            let at = body.withUnsafeBytes { SourcePosition.locate(offset: problem.offset, in: $0) }
            throw DiagnosticsError([
                Diagnostic(
                    path: path, line: at.line, column: at.column, rule: problem.rule, message: problem.message,
                    sourceLine: at.lineText)
            ])
        }
        if let shape = ResponseShape.detect(object), !kind.reads(shape) {
            throw fail("this looks like \(shape.description), not \(kind.expected)")
        }
        return try draft(kind, object: object, origin: origin)
    }

    /// The draft of a parsed body already checked for shape and JSON rules
    /// (a batch file's line reads its bodies through this).
    static func draft(_ kind: Kind, object: [String: Any], origin: EventOrigin) throws(DiagnosticsError) -> EventDraft {
        func fail(_ message: String) -> DiagnosticsError {
            DiagnosticsError([origin.diagnostic(rule: .response, message: message)])
        }
        if let error = object["error"] as? [String: Any] {
            let message = error["message"] as? String ?? "unknown error"
            throw fail("the \(kind.rawValue) response is an error, not a completion (\(message)): it has no usage to record")
        }
        switch kind {
        case .openai: return try openAI(object, origin: origin, fail: fail)
        case .anthropic: return try anthropic(object, origin: origin, fail: fail)
        case .gemini: return try gemini(object, origin: origin, fail: fail)
        }
    }

    /// Chat Completions (`prompt_tokens`, `completion_tokens`,
    /// `prompt_tokens_details.cached_tokens`), Responses API (`input_tokens`,
    /// `output_tokens`, `input_tokens_details.cached_tokens`) and embeddings
    /// (`prompt_tokens` only). OpenAI counts cached tokens inside the prompt:
    /// they are subtracted. Reasoning tokens are inside the output count.
    private static func openAI(
        _ object: [String: Any], origin: EventOrigin, fail: (String) -> DiagnosticsError
    ) throws(DiagnosticsError) -> EventDraft {
        guard let usage = object["usage"] as? [String: Any] else { throw fail("the openai response has no \"usage\" object") }
        guard let model = object["model"] as? String, !model.isEmpty else { throw fail("the openai response has no \"model\"") }
        let isResponses = usage["input_tokens"] != nil
        let isEmbeddings = !isResponses && (object["object"] as? String) == "list" && usage["completion_tokens"] == nil
        let promptKey = isResponses ? "input_tokens" : "prompt_tokens"
        let outputKey = isResponses ? "output_tokens" : "completion_tokens"
        let detailsKey = isResponses ? "input_tokens_details" : "prompt_tokens_details"
        let outputDetailsKey = isResponses ? "output_tokens_details" : "completion_tokens_details"
        let prompt = try count(usage, promptKey, "usage", fail)
        let output = isEmbeddings ? 0 : try count(usage, outputKey, "usage", fail)
        var cached: Int64 = 0
        if let details = usage[detailsKey] as? [String: Any], details["cached_tokens"] != nil {
            cached = try count(details, "cached_tokens", "usage.\(detailsKey)", fail)
        }
        guard cached <= prompt else {
            throw fail("usage.\(detailsKey).cached_tokens (\(cached)) exceeds usage.\(promptKey) (\(prompt))")
        }
        // Audio tokens bill at their own rates, which the cards do not hold yet.
        for key in [detailsKey, outputDetailsKey] {
            guard let details = usage[key] as? [String: Any], details["audio_tokens"] != nil, !(details["audio_tokens"] is NSNull) else { continue }
            let audio = try count(details, "audio_tokens", "usage.\(key)", fail)
            if audio > 0 {
                throw fail(
                    "usage.\(key).audio_tokens is \(audio): audio tokens bill at audio rates, which rate cards do not price yet; "
                        + "this call cannot be recorded from its body")
            }
        }
        if let details = usage[outputDetailsKey] as? [String: Any], details["reasoning_tokens"] != nil,
            !(details["reasoning_tokens"] is NSNull)
        {
            // Billed as output and already inside the output count: only checked.
            let reasoning = try count(details, "reasoning_tokens", "usage.\(outputDetailsKey)", fail)
            guard reasoning <= output else {
                throw fail("usage.\(outputDetailsKey).reasoning_tokens (\(reasoning)) exceeds usage.\(outputKey) (\(output))")
            }
        }
        var event = LedgerEvent(
            ts: 0, id: object["id"] as? String ?? "", provider: "openai", model: model, inputTokens: prompt - cached,
            outputTokens: output, tags: [:])
        if cached > 0 { event.cachedInputTokens = cached }
        event.serviceTier = openAIServiceTier(object["service_tier"] as? String)
        var ts: Int64?
        let createdKey = isResponses ? "created_at" : "created"
        if let created = object[createdKey] as? NSNumber {
            // A time a ledger ts can spell; anything else would overflow `* 1000` or write an unreadable line.
            let seconds = created.doubleValue
            guard seconds.isFinite, seconds >= Self.earliestSeconds, seconds < Self.endSeconds else {
                throw fail("\(createdKey) (\(created)) is not a Unix time in seconds within years 0001–9999")
            }
            ts = created.int64Value * 1000
        }
        if isResponses {
            switch object["status"] as? String {
            case "failed": event.status = "error"
            case "cancelled": event.status = "cancelled"
            default: break
            }
            if let items = object["output"] as? [[String: Any]] {
                var calls: [String: Int64] = [:]
                for item in items {
                    if let type = item["type"] as? String, let tool = Self.openAIHostedTools[type] { calls[tool, default: 0] += 1 }
                }
                if !calls.isEmpty { event.toolCalls = calls }
            }
        }
        if let ts { event.ts = ts }
        return EventDraft(event: event, hasTimestamp: ts != nil, hasId: !event.id.isEmpty, origin: origin)
    }

    /// The ledger `service_tier` of an OpenAI `service_tier` value: nil for
    /// the standard tier (`default`, `auto`, `standard`, or none).
    static func openAIServiceTier(_ tier: String?) -> String? {
        guard let tier, tier != "default", tier != "auto", tier != "standard" else { return nil }
        return tier
    }

    /// Responses API `output[]` item types that are hosted tool calls billed
    /// per call, and the `tool_calls` name each counts under. (Function,
    /// custom, computer-use, shell and MCP calls bill only their tokens.)
    /// A card without a price for the name makes the event unpriceable.
    public static let openAIHostedTools: [String: String] = [
        "web_search_call": "web_search",
        "file_search_call": "file_search",
        "code_interpreter_call": "code_interpreter",
        "image_generation_call": "image_generation",
    ]

    /// Messages API: `input_tokens` (uncached), `cache_creation_input_tokens`
    /// (split by `cache_creation.ephemeral_5m_input_tokens` /
    /// `ephemeral_1h_input_tokens` when present), `cache_read_input_tokens`,
    /// `output_tokens`; already disjoint. `usage.service_tier` "batch" is a
    /// batch event, "priority" a service tier.
    private static func anthropic(
        _ object: [String: Any], origin: EventOrigin, fail: (String) -> DiagnosticsError
    ) throws(DiagnosticsError) -> EventDraft {
        guard let usage = object["usage"] as? [String: Any] else { throw fail("the anthropic response has no \"usage\" object") }
        guard let model = object["model"] as? String, !model.isEmpty else { throw fail("the anthropic response has no \"model\"") }
        let input = try count(usage, "input_tokens", "usage", fail)
        let output = try count(usage, "output_tokens", "usage", fail)
        let write = usage["cache_creation_input_tokens"] is NSNull || usage["cache_creation_input_tokens"] == nil
            ? 0 : try count(usage, "cache_creation_input_tokens", "usage", fail)
        let read = usage["cache_read_input_tokens"] is NSNull || usage["cache_read_input_tokens"] == nil
            ? 0 : try count(usage, "cache_read_input_tokens", "usage", fail)
        // The writes split by time to live: 5-minute writes are cache_write, 1-hour writes cache_write_1h.
        var (fiveMinute, hour) = (write, Int64(0))
        if let creation = usage["cache_creation"] as? [String: Any] {
            func split(_ key: String) throws(DiagnosticsError) -> Int64 {
                creation[key] == nil || creation[key] is NSNull ? 0 : try count(creation, key, "usage.cache_creation", fail)
            }
            fiveMinute = try split("ephemeral_5m_input_tokens")
            hour = try split("ephemeral_1h_input_tokens")
            let (sum, overflow) = fiveMinute.addingReportingOverflow(hour)
            guard !overflow, sum == write else {
                throw fail(
                    "usage.cache_creation splits \(fiveMinute) + \(hour) cache write tokens, but usage.cache_creation_input_tokens "
                        + "is \(write)")
            }
        }
        var event = LedgerEvent(
            ts: 0, id: object["id"] as? String ?? "", provider: "anthropic", model: model, inputTokens: input,
            outputTokens: output, tags: [:])
        if read > 0 { event.cachedInputTokens = read }
        if fiveMinute > 0 { event.cacheWriteTokens = fiveMinute }
        if hour > 0 { event.cacheWrite1hTokens = hour }
        applyAnthropicServiceTier(usage["service_tier"] as? String, to: &event)
        if let tools = usage["server_tool_use"] as? [String: Any], tools["web_search_requests"] != nil {
            let searches = try count(tools, "web_search_requests", "usage.server_tool_use", fail)
            if searches > 0 { event.toolCalls = ["web_search": searches] }
        }
        return EventDraft(event: event, hasTimestamp: false, hasId: !event.id.isEmpty, origin: origin)
    }

    /// An Anthropic `service_tier`: "batch" is a batch event, "standard" (or
    /// none) the standard tier, anything else (`priority`) a service tier.
    static func applyAnthropicServiceTier(_ tier: String?, to event: inout LedgerEvent) {
        switch tier {
        case "batch": event.batch = true
        case let tier? where tier != "standard": event.serviceTier = tier
        default: break
        }
    }

    /// 0001-01-01T00:00:00Z and 10000-01-01T00:00:00Z in seconds since the epoch.
    static let earliestSeconds = Double(Timestamp.daysFromCivil(year: 1, month: 1, day: 1) * 86_400)
    static let endSeconds = Double(Timestamp.daysFromCivil(year: 10_000, month: 1, day: 1) * 86_400)

    /// A non-negative integer field.
    static func count(
        _ object: [String: Any], _ key: String, _ at: String, _ fail: (String) -> DiagnosticsError
    ) throws(DiagnosticsError) -> Int64 {
        guard let value = object[key] else { throw fail("\(at).\(key) is missing") }
        // JSON true/false: not `value is Bool`, which on Linux also holds for
        // every NSNumber equal to 0 or 1 (so "cache_read_input_tokens": 0 failed).
        let number = value as? NSNumber
        let isBool = number.map { String(cString: $0.objCType) == "c" } ?? false
        guard let number, !isBool, let int = Int64(exactly: number.doubleValue), int >= 0, "\(number)" == "\(int)" else {
            let shown = isBool ? (number!.boolValue ? "true" : "false") : (value as? String).map { "\"\($0)\"" } ?? "\(value)"
            throw fail("\(at).\(key) must be a non-negative integer, not \(shown)")
        }
        return int
    }

    static func describe(_ error: Error) -> String {
        let ns = error as NSError
        return (ns.userInfo[NSDebugDescriptionErrorKey] as? String) ?? ns.localizedDescription
    }
}
