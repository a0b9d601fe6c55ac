/// One cost event with owned values: what `append` writes and tools build.
/// (Reports read events in place as `EventRecord`s instead.)
public struct LedgerEvent: Sendable, Hashable {
    public var ts: Int64
    public var id: String
    public var provider: String
    public var model: String
    public var modelRequested: String?
    public var serviceTier: String?
    public var batch: Bool?
    public var requests: Int64?
    public var inputTokens: Int64
    public var cachedInputTokens: Int64?
    public var cacheWriteTokens: Int64?
    public var outputTokens: Int64
    public var toolCalls: [String: Int64]?
    public var status: String?
    public var attempt: Int64?
    public var latencyMs: Int64?
    public var traceId: String?
    public var tags: [String: String]
    public var release: String?
    public var commit: String?
    public var cost: ExactDecimal?
    public var pricedWith: String?

    public init(
        ts: Int64, id: String, provider: String, model: String, inputTokens: Int64, outputTokens: Int64,
        tags: [String: String]
    ) {
        self.ts = ts
        self.id = id
        self.provider = provider
        self.model = model
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.tags = tags
    }

    /// The usage this event bills.
    public var usage: Usage {
        Usage(
            requests: requests ?? 1, inputTokens: inputTokens, cachedInputTokens: cachedInputTokens ?? 0,
            cacheWriteTokens: cacheWriteTokens ?? 0, outputTokens: outputTokens, toolCalls: toolCalls ?? [:])
    }

    /// The event as one JSON line (no newline), keys in canonical order, tags sorted.
    public var jsonLine: String {
        var out = "{\"ts\":\"" + Timestamp.format(millis: ts) + "\",\"id\":" + JSON.quote(id)
        out += ",\"provider\":" + JSON.quote(provider) + ",\"model\":" + JSON.quote(model)
        if let modelRequested { out += ",\"model_requested\":" + JSON.quote(modelRequested) }
        if let serviceTier { out += ",\"service_tier\":" + JSON.quote(serviceTier) }
        if let batch { out += ",\"batch\":" + (batch ? "true" : "false") }
        if let requests { out += ",\"requests\":\(requests)" }
        out += ",\"input_tokens\":\(inputTokens)"
        if let cachedInputTokens { out += ",\"cached_input_tokens\":\(cachedInputTokens)" }
        if let cacheWriteTokens { out += ",\"cache_write_tokens\":\(cacheWriteTokens)" }
        out += ",\"output_tokens\":\(outputTokens)"
        if let toolCalls {
            out += ",\"tool_calls\":{" + toolCalls.sorted { $0.key < $1.key }.map { JSON.quote($0.key) + ":\($0.value)" }.joined(separator: ",") + "}"
        }
        if let status { out += ",\"status\":" + JSON.quote(status) }
        if let attempt { out += ",\"attempt\":\(attempt)" }
        if let latencyMs { out += ",\"latency_ms\":\(latencyMs)" }
        if let traceId { out += ",\"trace_id\":" + JSON.quote(traceId) }
        out += ",\"tags\":{" + tags.sorted { $0.key < $1.key }.map { JSON.quote($0.key) + ":" + JSON.quote($0.value) }.joined(separator: ",") + "}"
        if let release { out += ",\"release\":" + JSON.quote(release) }
        if let commit { out += ",\"commit\":" + JSON.quote(commit) }
        if let cost { out += ",\"cost\":" + JSON.quote(cost.description) }
        if let pricedWith { out += ",\"priced_with\":" + JSON.quote(pricedWith) }
        return out + "}"
    }

    /// The shard an event belongs in: `ledger/YYYY/YYYY-MM.jsonl` by the UTC month of `ts`.
    public var shardPath: String {
        let month = Timestamp.monthString(millis: ts)
        return "ledger/\(month.prefix(4))/\(month).jsonl"
    }
}

extension LedgerEvent {
    /// Builds an owned event from a scanned record.
    public init(_ e: EventRecord, scanner: LedgerScanner) {
        self.init(
            ts: e.ts, id: scanner.string(e.id) ?? "", provider: scanner.string(e.provider) ?? "",
            model: scanner.string(e.model) ?? "", inputTokens: e.inputTokens, outputTokens: e.outputTokens, tags: [:])
        modelRequested = scanner.string(e.modelRequested)
        serviceTier = scanner.string(e.serviceTier)
        status = scanner.string(e.status)
        release = scanner.string(e.release)
        commit = scanner.string(e.commit)
        traceId = scanner.string(e.traceId)
        pricedWith = scanner.string(e.pricedWith)
        cost = scanner.string(e.cost).flatMap { ExactDecimal($0) }
        batch = e.batch ? true : nil
        requests = e.requests == 1 ? nil : e.requests
        cachedInputTokens = e.cachedInputTokens == 0 ? nil : e.cachedInputTokens
        cacheWriteTokens = e.cacheWriteTokens == 0 ? nil : e.cacheWriteTokens
        attempt = e.attempt == 1 ? nil : e.attempt
        latencyMs = e.latencyMs < 0 ? nil : e.latencyMs
        for k in e.tags {
            let t = scanner.tags[k]
            tags[scanner.string(t.key) ?? ""] = scanner.string(t.value) ?? ""
        }
        if !e.toolCalls.isEmpty {
            var calls: [String: Int64] = [:]
            for k in e.toolCalls { calls[scanner.string(scanner.toolCalls[k].name) ?? ""] = scanner.toolCalls[k].count }
            toolCalls = calls
        }
    }

    /// Parses one JSON line (throws the scanner's error, offsets relative to the line).
    public static func parse(line: String) throws(LedgerScanError) -> LedgerEvent {
        let bytes = Array(line.utf8)
        let result = bytes.withUnsafeBytes { buffer -> Result<LedgerEvent, LedgerScanError> in
            var scanner = LedgerScanner(buffer: buffer)
            var record = EventRecord()
            do throws(LedgerScanError) {
                guard try scanner.next(into: &record) else {
                    return .failure(LedgerScanError(offset: 0, rule: "json", message: "empty line"))
                }
                return .success(LedgerEvent(record, scanner: scanner))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}
