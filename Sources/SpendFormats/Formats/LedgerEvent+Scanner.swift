import SpendBase

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
        corrects = scanner.string(e.corrects)
        correction = e.correction
        reason = scanner.string(e.reason)
        cost = scanner.string(e.cost).flatMap { ExactDecimal($0) }
        sourceCost = scanner.string(e.sourceCost).flatMap { ExactDecimal($0) }
        batch = e.batch ? true : nil
        requests = e.requests == 1 ? nil : e.requests
        cachedInputTokens = e.cachedInputTokens == 0 ? nil : e.cachedInputTokens
        cacheWriteTokens = e.cacheWriteTokens == 0 ? nil : e.cacheWriteTokens
        cacheWrite1hTokens = e.cacheWrite1hTokens == 0 ? nil : e.cacheWrite1hTokens
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
                    return .failure(LedgerScanError(offset: 0, rule: .json, message: "empty line"))
                }
                return .success(LedgerEvent(record, scanner: scanner))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}
