import Foundation

/// `spend import otel`: OTLP/JSON trace files as the OpenTelemetry
/// Collector's file exporter writes them — JSON Lines, one
/// `ExportTraceServiceRequest` (`resourceSpans` → `scopeSpans` → `spans`)
/// per line. Every span with a `gen_ai.usage.*` token count is one event,
/// read with the GenAI semantic conventions; other spans are skipped.
///
/// `gen_ai.usage.input_tokens` includes cache reads and cache writes: both
/// are subtracted to get the uncached input. The id is `otel:` and the
/// response id (`gen_ai.response.id`, so a call recorded by two
/// instrumentations is one event), else `otel:TRACE/SPAN`.
/// `[import.otel.tags]` maps attribute names (span first, then resource) to
/// tags; `[import.otel.providers]` maps provider names to rate cards.
public struct OtelSource: ImportSource {
    public let name = "otel"
    /// Attribute name → tag name.
    let tagAttributes: [(attribute: [UInt8], tag: String)]
    /// Provider name as the span writes it → card provider.
    let providers: [String: String]

    /// Reads `[import.otel]` (keys `tags`, `providers`).
    public init(policy: Policy) throws(SpendError) {
        var table = ImportTable(policy: policy, source: "otel")
        table.allowKeys(["tags", "providers"])
        let tags = table.stringMap("tags") ?? ["deployment.environment.name": "env", "deployment.environment": "env"]
        providers = table.stringMap("providers") ?? [:]
        try table.check()
        tagAttributes = tags.sorted { $0.key < $1.key }.map { (Array($0.key.utf8), $0.value) }
    }

    public func framing(start: UnsafeRawBufferPointer) -> ImportFraming { .lines }

    public func convert(_ bytes: UnsafeRawBufferPointer, path: String, firstLine: Int) -> ImportedRecords {
        var out = ImportedRecords()
        var tape = JSONTape()
        var line = firstLine
        var start = 0
        let count = bytes.count
        while start < count {
            var end = start
            if let nl = memchr(bytes.baseAddress! + start, 10, count - start) {
                end = bytes.baseAddress!.distance(to: UnsafeRawPointer(nl))
            } else {
                end = count
            }
            defer {
                start = end + 1
                line += 1
            }
            let lineBytes = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
            let lineStart = start
            guard lineBytes.contains(where: { $0 != 32 && $0 != 9 && $0 != 13 }) else { continue }
            let origin = EventOrigin(path: path, line: line)
            func reject(_ rule: Rule, _ message: String) {
                var o = origin
                o.sourceLine = String(decoding: lineBytes, as: UTF8.self)
                out.rejected.append(ImportRejection(origin: o, rule: rule, message: message))
                out.records += 1
            }
            do throws(JSONTapeError) {
                let after = try tape.parse(lineBytes, from: 0)
                if tape.skipSpace(after) < lineBytes.count {
                    reject(.json, "unexpected text after the JSON value (one ExportTraceServiceRequest per line)")
                    continue
                }
            } catch {
                reject(.json, "not JSON: \(error.message) (column \(error.offset + 1))")
                continue
            }
            guard let resourceSpans = tape.value(0, "resourceSpans"), tape.nodes[resourceSpans].kind == .array else {
                reject(.importRecord, "not an OTLP/JSON trace export: no \"resourceSpans\" array")
                continue
            }
            var found: [Int?] = []  // reused from span to span (see SpanReader.locate)
            tape.forEachElement(resourceSpans) { rs in
                let resourceAttributes = tape.value(rs, "resource", "attributes")
                // The tag attributes of the resource, read once for all its spans.
                let resourceTags = SpanReader.resourceTags(tape: tape, resource: resourceAttributes, tags: tagAttributes)
                guard let scopeSpans = tape.value(rs, "scopeSpans") else { return }
                tape.forEachElement(scopeSpans) { ss in
                    guard let spans = tape.value(ss, "spans") else { return }
                    tape.forEachElement(spans) { span in
                        out.records += 1
                        let attributes = tape.value(span, "attributes")
                        SpanReader.locate(tape: tape, attributes: attributes, tags: tagAttributes, into: &found)
                        let reader = SpanReader(
                            tape: tape, span: span, attributes: attributes, resource: resourceAttributes, resourceTags: resourceTags,
                            found: found)
                        switch reader.draft(source: self, origin: origin) {
                        case .skipped: break
                        case .draft(var draft):
                            let range = tape.textRange(span)  // of the line: made the piece's
                            draft.sourceRange = (range.lowerBound + lineStart)..<(range.upperBound + lineStart)
                            out.drafts.append(draft)
                        case .rejected(let message):
                            var o = origin
                            o.sourceLine = tape.text(span)
                            out.rejected.append(ImportRejection(origin: o, rule: .importRecord, message: message))
                        }
                    }
                }
            }
        }
        return out
    }
}

/// Reads one span of a parsed OTLP/JSON line.
private struct SpanReader {
    let tape: JSONTape
    let span: Int
    let spanAttributes: Int?
    let resource: Int?
    /// The text of each tag attribute in the resource's attributes (nil when absent).
    let resourceTags: [String?]
    /// The value nodes of the attributes the source reads (`known`), then of
    /// the tag attributes, found in one pass over the span's attributes.
    var found: [Int?]

    /// The attribute names read, in the order of `found`.
    static let known: [[UInt8]] = [
        "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "gen_ai.usage.cache_read.input_tokens",
        "gen_ai.usage.cache_creation.input_tokens", "gen_ai.provider.name", "gen_ai.system", "gen_ai.response.model",
        "gen_ai.request.model", "gen_ai.response.id", "openai.response.service_tier", "gen_ai.openai.response.service_tier",
        "error.type",
    ].map { Array($0.utf8) }

    enum Name: Int {
        case inputTokens, outputTokens, cacheRead, cacheCreation, providerName, system, responseModel, requestModel, responseId
        case serviceTier, legacyServiceTier, errorType
    }

    init(tape: JSONTape, span: Int, attributes: Int?, resource: Int?, resourceTags: [String?], found: [Int?]) {
        self.tape = tape
        self.span = span
        self.spanAttributes = attributes
        self.resource = resource
        self.resourceTags = resourceTags
        self.found = found
    }

    /// The text of each tag attribute in the resource attribute list `resource`.
    static func resourceTags(tape: JSONTape, resource: Int?, tags: [(attribute: [UInt8], tag: String)]) -> [String?] {
        guard let resource else { return [String?](repeating: nil, count: tags.count) }
        let reader = SpanReader(tape: tape, span: resource, attributes: nil, resource: resource, resourceTags: [], found: [])
        return tags.map { tag in tag.attribute.withUnsafeBytes { name in reader.text(reader.attribute(resource, name)) } }
    }

    /// Finds the value nodes of the known and tag attributes in the span's
    /// attribute list `attributes`, into `found` (reused: no allocation per span).
    static func locate(tape: JSONTape, attributes: Int?, tags: [(attribute: [UInt8], tag: String)], into found: inout [Int?]) {
        found.removeAll(keepingCapacity: true)
        found.append(contentsOf: repeatElement(nil, count: Self.known.count + tags.count))
        if let attributes {
            tape.forEachElement(attributes) { kv in
                guard let key = tape.value(kv, "key"), tape.nodes[key].kind == .string, !tape.nodes[key].escaped else { return }
                let k = tape.bytes(key)
                func matches(_ name: [UInt8]) -> Bool {
                    name.count == k.count && name.withUnsafeBytes { memcmp($0.baseAddress!, k.baseAddress!, k.count) == 0 }
                }
                for (i, name) in Self.known.enumerated() where found[i] == nil && matches(name) {
                    found[i] = tape.value(kv, "value")
                    return
                }
                for (i, tag) in tags.enumerated() where found[Self.known.count + i] == nil && matches(tag.attribute) {
                    found[Self.known.count + i] = tape.value(kv, "value")
                }
            }
        }
    }

    enum Result {
        case skipped
        case draft(EventDraft)
        case rejected(String)
    }

    /// The value node (`AnyValue`) of attribute `name` in the attribute list `list`.
    func attribute(_ list: Int?, _ name: UnsafeRawBufferPointer) -> Int? {
        guard let list else { return nil }
        var found: Int?
        tape.forEachElement(list) { kv in
            guard found == nil, let key = tape.value(kv, "key"), tape.nodes[key].kind == .string, !tape.nodes[key].escaped else { return }
            let k = tape.bytes(key)
            if k.count == name.count && (k.isEmpty || memcmp(k.baseAddress!, name.baseAddress!, k.count) == 0) { found = tape.value(kv, "value") }
        }
        return found
    }

    func spanAttribute(_ name: Name) -> Int? { found[name.rawValue] }

    /// An `AnyValue` as text (string, int or bool values).
    func text(_ value: Int?) -> String? {
        guard let value else { return nil }
        if let s = tape.value(value, "stringValue") { return tape.string(s) }
        if let i = tape.value(value, "intValue") { return tape.integer(i).map(String.init) }
        if let b = tape.value(value, "boolValue") { return tape.nodes[b].kind == .true ? "true" : "false" }
        return nil
    }

    /// An integer attribute: nil when absent, `.failure` with the reason when not a count.
    func count(_ name: Name, _ label: String) -> Swift.Result<Int64?, Problem> {
        guard let value = spanAttribute(name) else { return .success(nil) }
        let node = tape.value(value, "intValue") ?? tape.value(value, "stringValue") ?? tape.value(value, "doubleValue")
        guard let node, let n = tape.integer(node) ?? integral(node) else {
            return .failure(Problem("\(label) is not an integer"))
        }
        guard n >= 0 else { return .failure(Problem("\(label) is negative (\(n))")) }
        return .success(n)
    }

    /// A double value that is a whole number (`100.0`).
    func integral(_ node: Int) -> Int64? {
        guard tape.nodes[node].kind == .number, let text = tape.numberText(node), let d = ExactDecimal(text) else { return nil }
        return Int64(d.description)
    }

    struct Problem: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }

    func draft(source: OtelSource, origin: EventOrigin) -> Result {
        func rejected(_ why: String) -> Result {
            let spanName = tape.value(span, "spanId").flatMap { tape.string($0) } ?? "?"
            return .rejected("span \(spanName): \(why)")
        }
        let input: Int64?
        let output: Int64?
        let read: Int64?
        let creation: Int64?
        switch count(.inputTokens, "gen_ai.usage.input_tokens") {
        case .success(let n): input = n
        case .failure(let p): return rejected(p.message)
        }
        switch count(.outputTokens, "gen_ai.usage.output_tokens") {
        case .success(let n): output = n
        case .failure(let p): return rejected(p.message)
        }
        switch count(.cacheRead, "gen_ai.usage.cache_read.input_tokens") {
        case .success(let n): read = n
        case .failure(let p): return rejected(p.message)
        }
        switch count(.cacheCreation, "gen_ai.usage.cache_creation.input_tokens") {
        case .success(let n): creation = n
        case .failure(let p): return rejected(p.message)
        }
        if input == nil && output == nil { return .skipped }  // not a GenAI call with usage
        guard let input else { return rejected("gen_ai.usage.output_tokens without gen_ai.usage.input_tokens") }
        guard let output else { return rejected("gen_ai.usage.input_tokens without gen_ai.usage.output_tokens") }
        let cacheRead = read ?? 0
        let cacheCreation = creation ?? 0
        guard let uncached = ImportCounts.uncachedInput(input, including: [cacheRead, cacheCreation]) else {
            return rejected(
                "gen_ai.usage.input_tokens \(input) is less than cache_read (\(cacheRead)) + cache_creation (\(cacheCreation)); "
                    + "the input count includes both")
        }
        guard let providerName = text(spanAttribute(.providerName)) ?? text(spanAttribute(.system)), !providerName.isEmpty
        else { return rejected("no gen_ai.provider.name (or gen_ai.system)") }
        let responseModel = text(spanAttribute(.responseModel)).flatMap { $0.isEmpty ? nil : $0 }
        let requestModel = text(spanAttribute(.requestModel)).flatMap { $0.isEmpty ? nil : $0 }
        guard let model = responseModel ?? requestModel else { return rejected("no gen_ai.response.model or gen_ai.request.model") }
        guard let startNode = tape.value(span, "startTimeUnixNano"), let startNanos = tape.integer(startNode), startNanos > 0 else {
            return rejected("no startTimeUnixNano")
        }
        let ts = startNanos / 1_000_000
        guard ts <= 253_402_300_799_999 else { return rejected("startTimeUnixNano \(startNanos) is after the year 9999") }
        let traceId = tape.value(span, "traceId").flatMap { tape.string($0) }.flatMap { $0.isEmpty ? nil : $0 }
        let spanId = tape.value(span, "spanId").flatMap { tape.string($0) }.flatMap { $0.isEmpty ? nil : $0 }
        let responseId = text(spanAttribute(.responseId)).flatMap { $0.isEmpty ? nil : $0 }
        let id: String
        if let responseId {
            id = ImportID.natural("otel", responseId)
        } else if let spanId {
            id = ImportID.natural("otel", "\(traceId ?? "")/\(spanId)")
        } else {
            return rejected("no gen_ai.response.id and no spanId to make an id of")
        }
        var event = LedgerEvent(
            ts: ts, id: id, provider: ImportProviders.card(providerName, configured: source.providers), model: model,
            inputTokens: uncached, outputTokens: output, tags: [:])
        if cacheRead > 0 { event.cachedInputTokens = cacheRead }
        if cacheCreation > 0 { event.cacheWriteTokens = cacheCreation }
        if let requestModel, requestModel != model { event.modelRequested = requestModel }
        event.traceId = traceId
        if let endNode = tape.value(span, "endTimeUnixNano"), let end = tape.integer(endNode), end >= startNanos {
            event.latencyMs = (end - startNanos) / 1_000_000
        }
        if let tier = text(spanAttribute(.serviceTier)) ?? text(spanAttribute(.legacyServiceTier)),
            !tier.isEmpty
        {
            event.serviceTier = tier
        }
        if spanAttribute(.errorType) != nil || isErrorStatus() { event.status = "error" }
        for (i, (_, tag)) in source.tagAttributes.enumerated() where event.tags[tag] == nil {
            let value = text(found[Self.known.count + i]) ?? resourceTags[i]
            if let value, !value.isEmpty { event.tags[tag] = value }
        }
        return .draft(EventDraft(event: event, hasTimestamp: true, hasId: true, origin: origin))
    }

    /// `status.code` is 2 / `STATUS_CODE_ERROR`.
    private func isErrorStatus() -> Bool {
        guard let code = tape.value(span, "status", "code") else { return false }
        return tape.integer(code) == 2 || tape.equals(code, "STATUS_CODE_ERROR")
    }
}
