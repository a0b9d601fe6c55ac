import Foundation

/// `spend import litellm`: LiteLLM proxy spend logs (`LiteLLM_SpendLogs`
/// rows) as exported — a JSON list of rows (`/spend/logs`), an object with
/// a `data` list, or the CSV export (with `metadata` and `request_tags` as
/// JSON text). One row is one event, id `litellm:` + `request_id`.
///
/// `prompt_tokens` includes cache reads and (for Anthropic) cache writes,
/// from `metadata.usage_object`; both are subtracted. LiteLLM's own `spend`
/// is kept as `source_cost`. `request_tags` entries `key:value` become
/// tags; `[import.litellm.tags]` maps row fields (`team_id`, `end_user`,
/// `metadata.user_api_key_team_alias`, …) to tag names, and
/// `[import.litellm.providers]` maps `custom_llm_provider` to rate cards.
public struct LiteLLMSource: ImportSource {
    public let name = "litellm"
    /// (field, tag) in order: the first non-empty field of a tag wins.
    let tagFields: [(field: String, tag: String)]
    /// Each of `tagFields` as the object it is read from and its key's bytes.
    let tagKeys: [(inMetadata: Bool, key: [UInt8])]
    let providers: [String: String]

    /// The mapping when spend.toml has no `[import.litellm.tags]`.
    static let defaultTags: [(field: String, tag: String)] = [
        ("metadata.user_api_key_team_alias", "team"), ("team_id", "team"), ("end_user", "customer"),
    ]

    /// Reads `[import.litellm]` (keys `tags`, `providers`).
    public init(policy: Policy) throws(SpendError) {
        var table = ImportTable(policy: policy, source: "litellm")
        table.allowKeys(["tags", "providers"])
        let tags = table.stringMap("tags")
        providers = table.stringMap("providers") ?? [:]
        try table.check()
        tagFields = tags.map { $0.sorted { $0.key < $1.key }.map { ($0.key, $0.value) } } ?? Self.defaultTags
        tagKeys = tagFields.map { field, _ in
            field.hasPrefix("metadata.") ? (true, Array(field.utf8.dropFirst("metadata.".utf8.count))) : (false, Array(field.utf8))
        }
    }

    public func framing(start: UnsafeRawBufferPointer) -> ImportFraming {
        let first = start.first { $0 != 32 && $0 != 9 && $0 != 10 && $0 != 13 && $0 != 0xEF && $0 != 0xBB && $0 != 0xBF }
        switch first {
        case 91: return .jsonArray
        case 123: return .wholeFile
        default: return .csvRows
        }
    }

    public func convert(_ bytes: UnsafeRawBufferPointer, path: String, firstLine: Int) -> ImportedRecords {
        let first = bytes.first { $0 != 32 && $0 != 9 && $0 != 10 && $0 != 13 }
        if first == 91 || first == 123 || first == 44 { return convertJSON(bytes, path: path, firstLine: firstLine) }
        return convertCSV(bytes, path: path, firstLine: firstLine)
    }

    // MARK: JSON

    /// A piece of a JSON list (elements and commas, maybe with `[` / `]`),
    /// or an object with a `data` list.
    func convertJSON(_ bytes: UnsafeRawBufferPointer, path: String, firstLine: Int) -> ImportedRecords {
        var out = ImportedRecords()
        var tape = JSONTape()
        var lines = LineCounter(bytes: bytes, firstLine: firstLine)
        var p = tape.skipSpaceIn(bytes, 0)
        func fail(_ offset: Int, _ message: String) {
            out.rejected.append(
                ImportRejection(origin: EventOrigin(path: path, line: lines.line(at: offset)), rule: .json, message: message))
            out.records += 1
        }
        if p < bytes.count && bytes[p] == 123 {
            // {"data": [...], …}: the whole file.
            do throws(JSONTapeError) {
                _ = try tape.parse(bytes, from: p)
            } catch {
                fail(error.offset, "not JSON: \(error.message)")
                return out
            }
            guard let data = tape.value(0, "data"), tape.nodes[data].kind == .array else {
                fail(p, "not LiteLLM spend logs: an object without a \"data\" list of rows")
                return out
            }
            let rows = tape.elements(data)
            for row in rows { add(row, tape, path: path, line: lines.line(at: tape.nodes[row].start), into: &out) }
            return out
        }
        if p < bytes.count && bytes[p] == 91 { p += 1 }
        while true {
            p = tape.skipSpaceIn(bytes, p)
            if p >= bytes.count || bytes[p] == 93 { break }
            if bytes[p] == 44 {
                p += 1
                continue
            }
            let start = p
            do throws(JSONTapeError) {
                p = try tape.parse(bytes, from: p)
            } catch {
                fail(error.offset, "not JSON: \(error.message)")
                return out
            }
            guard tape.nodes[0].kind == .object else {
                fail(start, "not a spend log row: a JSON list of objects was expected")
                continue
            }
            add(0, tape, path: path, line: lines.line(at: start), into: &out)
        }
        return out
    }

    /// Converts the row node `row` (the tape parsed over the piece itself,
    /// so its offsets are the piece's: the draft keeps its text as a range).
    private func add(_ row: Int, _ tape: JSONTape, path: String, line: Int, into out: inout ImportedRecords) {
        out.records += 1
        var origin = EventOrigin(path: path, line: line)
        switch draft(Row(tape: tape, node: row, metadata: nil), origin: origin) {
        case .success(var draft):
            draft.sourceRange = tape.textRange(row)
            out.drafts.append(draft)
        case .failure(let problem):
            origin.sourceLine = tape.text(row)
            out.rejected.append(ImportRejection(origin: origin, rule: .importRecord, message: problem.message))
        }
    }

    // MARK: CSV

    /// Rows of the CSV export (the piece starts with the header row).
    func convertCSV(_ bytes: UnsafeRawBufferPointer, path: String, firstLine: Int) -> ImportedRecords {
        var out = ImportedRecords()
        var reader = CSVReader(bytes, firstLine: firstLine)
        var cells: [CSVCell] = []
        func next() -> (fields: [String], line: Int, text: String)? {
            while true {
                do throws(CSVSyntaxError) {
                    guard let place = try reader.next(into: &cells) else { return nil }
                    return (cells.map { reader.text($0) }, place.line, reader.text(place.start, place.end))
                } catch {
                    out.records += 1
                    out.rejected.append(error.rejection(path: path, reader: reader))
                    if error.resume == nil { return nil }
                }
            }
        }
        guard let header = next() else { return out }
        let columns = header.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        guard columns.contains("request_id") else {
            out.rejected.append(
                ImportRejection(
                    origin: EventOrigin(path: path, line: header.line, sourceLine: header.text), rule: .importRecord,
                    message: "not LiteLLM spend logs: expected a JSON list of rows or a CSV export with a request_id column"))
            out.records += 1
            return out
        }
        var json: [UInt8] = []
        var tape = JSONTape()
        while let row = next() {
            if row.fields.count == 1 && row.fields[0].isEmpty { continue }
            out.records += 1
            let origin = EventOrigin(path: path, line: row.line, sourceLine: row.text)
            guard row.fields.count == columns.count else {
                out.rejected.append(
                    ImportRejection(
                        origin: origin, rule: .importRecord,
                        message: "row has \(row.fields.count) fields; the header has \(columns.count)"))
                continue
            }
            // The row as a JSON object (JSON-valued columns kept as JSON), read like a JSON row.
            json.removeAll(keepingCapacity: true)
            var w = JSONWriter(out: json)
            w.byte(123)
            for (i, column) in columns.enumerated() {
                if i > 0 { w.byte(44) }
                w.string(column)
                w.byte(58)
                let value = row.fields[i]
                if (column == "metadata" || column == "request_tags" || column == "usage_object") && Self.isJSON(value) {
                    w.out.append(contentsOf: value.utf8)
                } else {
                    w.string(value)
                }
            }
            w.byte(125)
            json = w.out
            let result: Result<EventDraft, Problem> = json.withUnsafeBytes { buffer in
                do throws(JSONTapeError) {
                    _ = try tape.parse(buffer, from: 0)
                } catch {
                    return .failure(Problem("a JSON column is not valid JSON: \(error.message)"))
                }
                return draft(Row(tape: tape, node: 0, metadata: nil), origin: origin)
            }
            switch result {
            case .success(var draft):
                draft.origin.sourceLine = row.text
                out.drafts.append(draft)
            case .failure(let problem): out.rejected.append(ImportRejection(origin: origin, rule: .importRecord, message: problem.message))
            }
        }
        return out
    }

    static func isJSON(_ text: String) -> Bool {
        guard let first = text.utf8.first(where: { $0 != 32 }), first == 123 || first == 91 else { return false }
        var copy = text
        return copy.withUTF8 { LedgerScanner.validateDocument(UnsafeRawBufferPointer($0)) == nil }
    }

    // MARK: A row

    struct Problem: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }

    /// The row fields the conversion reads.
    enum Field: Int, CaseIterable {
        case requestId, startTime, endTime, model, customLLMProvider, metadata, usageObject, promptTokens, completionTokens
        case modelGroup, sessionId, status, spend, requestTags

        var name: StaticString {
            switch self {
            case .requestId: "request_id"
            case .startTime: "startTime"
            case .endTime: "endTime"
            case .model: "model"
            case .customLLMProvider: "custom_llm_provider"
            case .metadata: "metadata"
            case .usageObject: "usage_object"
            case .promptTokens: "prompt_tokens"
            case .completionTokens: "completion_tokens"
            case .modelGroup: "model_group"
            case .sessionId: "session_id"
            case .status: "status"
            case .spend: "spend"
            case .requestTags: "request_tags"
            }
        }

        /// The fields by the length of their name (a member's key is compared only with these).
        static let byLength: [[Field]] = {
            var table = [[Field]](repeating: [], count: 32)
            for field in allCases { table[field.name.utf8CodeUnitCount].append(field) }
            return table
        }()
    }

    /// The fields of one row, found in one pass over its members (the first
    /// of duplicate keys wins, as with `JSONTape.value`).
    struct Row {
        let tape: JSONTape
        let node: Int
        let metadata: Int?
        /// The value node of each `Field` (by raw value), or -1.
        private var found: [Int]

        init(tape: JSONTape, node: Int, metadata: Int?) {
            self.tape = tape
            self.node = node
            self.metadata = metadata
            var found = [Int](repeating: -1, count: Field.allCases.count)
            tape.forEachMember(node) { k, v in
                let key = tape.nodes[k]
                if key.escaped {
                    guard let text = tape.string(k) else { return }
                    for field in Field.allCases where found[field.rawValue] < 0 && text == field.name.description {
                        found[field.rawValue] = v
                    }
                    return
                }
                let n = key.end - key.start
                guard n < Field.byLength.count else { return }
                for field in Field.byLength[n] where found[field.rawValue] < 0 {
                    if n == 0 || memcmp(tape.base.baseAddress! + key.start, field.name.utf8Start, n) == 0 {
                        found[field.rawValue] = v
                        return
                    }
                }
            }
            self.found = found
        }

        func value(_ field: Field) -> Int? {
            let v = found[field.rawValue]
            guard v >= 0, tape.nodes[v].kind != .null else { return nil }
            return v
        }

        func text(_ field: Field) -> String? {
            value(field).flatMap { tape.nodes[$0].kind == .string || tape.nodes[$0].kind == .number ? tape.numberText($0) : nil }
                .flatMap { $0.isEmpty ? nil : $0 }
        }

        /// A count: an integer, or a string or number holding a whole number (`"120"`, `120.0`).
        func count(_ node: Int?, _ name: String) -> Result<Int64?, Problem> {
            guard let node, tape.nodes[node].kind != .null else { return .success(nil) }
            if tape.nodes[node].kind == .string && tape.nodes[node].start == tape.nodes[node].end { return .success(nil) }
            let n = tape.integer(node) ?? tape.numberText(node).flatMap { ExactDecimal($0) }.flatMap { Int64($0.description) }
            guard let n else { return .failure(Problem("\(name) is not an integer")) }
            guard n >= 0 else { return .failure(Problem("\(name) is negative (\(n))")) }
            return .success(n)
        }
    }

    func draft(_ row: Row, origin: EventOrigin) -> Result<EventDraft, Problem> {
        let tape = row.tape
        guard let requestId = row.text(.requestId) else { return .failure(Problem("no request_id")) }
        func rejected(_ why: String) -> Result<EventDraft, Problem> { .failure(Problem("request \(requestId): \(why)")) }
        guard let start = row.text(.startTime) else { return rejected("no startTime") }
        guard let ts = Self.time(start) else { return rejected("startTime \"\(start)\" is not a date and time") }
        guard var model = row.text(.model) else { return rejected("no model") }
        var providerName = row.text(.customLLMProvider)
        if let slash = Self.firstSlash(model) {
            let prefix = String(model[..<slash])
            if providerName == nil || providerName == prefix {
                providerName = prefix
                model = String(model[model.index(after: slash)...])
            }
        }
        guard let providerName else { return rejected("no custom_llm_provider (and the model has no provider/ prefix)") }
        // metadata: an object (JSON rows), maybe a JSON string of one.
        let metadata = row.value(.metadata)
        let usage = metadata.flatMap { tape.value($0, "usage_object") } ?? row.value(.usageObject)
        var counts: [Int64?] = []
        let cacheReadNode =
            usage.flatMap { tape.value($0, "cache_read_input_tokens") }
            ?? usage.flatMap { tape.value($0, "prompt_tokens_details", "cached_tokens") }
        for (node, name) in [
            (row.value(.promptTokens), "prompt_tokens"), (row.value(.completionTokens), "completion_tokens"),
            (cacheReadNode, "usage_object cache_read_input_tokens"),
            (usage.flatMap { tape.value($0, "cache_creation_input_tokens") }, "usage_object cache_creation_input_tokens"),
        ] {
            switch row.count(node, name) {
            case .success(let n): counts.append(n)
            case .failure(let p): return rejected(p.message)
            }
        }
        guard let prompt = counts[0] else { return rejected("no prompt_tokens") }
        guard let completion = counts[1] else { return rejected("no completion_tokens") }
        let cacheRead = counts[2] ?? 0
        let cacheCreation = counts[3] ?? 0
        guard let uncached = ImportCounts.uncachedInput(prompt, including: [cacheRead, cacheCreation]) else {
            return rejected(
                "prompt_tokens \(prompt) is less than cache reads (\(cacheRead)) + cache writes (\(cacheCreation)); "
                    + "LiteLLM's prompt_tokens includes both")
        }
        var event = LedgerEvent(
            ts: ts, id: ImportID.natural("litellm", requestId), provider: ImportProviders.card(providerName, configured: providers),
            model: model, inputTokens: uncached, outputTokens: completion, tags: [:])
        if cacheRead > 0 { event.cachedInputTokens = cacheRead }
        if cacheCreation > 0 { event.cacheWriteTokens = cacheCreation }
        if let group = row.text(.modelGroup), group != model, group != "\(providerName)/\(model)" { event.modelRequested = group }
        if let end = row.text(.endTime).flatMap(Self.time), end >= ts { event.latencyMs = end - ts }
        if let session = row.text(.sessionId) { event.traceId = session }
        let status = row.text(.status) ?? metadata.flatMap { tape.value($0, "status") }.flatMap { tape.string($0) }
        if status == "failure" { event.status = "error" }
        if let spendNode = row.value(.spend), let text = tape.numberText(spendNode), !text.isEmpty {
            guard let spend = ExactDecimal(text) else { return rejected("spend \"\(text)\" is not a number") }
            // A float's shortest text can carry more decimals than a recorded cost: 18 places keep it exact to a billionth of a cent.
            event.sourceCost = spend.rounded(places: 18)
        }
        // Tags: request_tags "key:value", then the mapped fields (not overriding).
        if let tags = row.value(.requestTags) {
            tape.forEachElement(tags) { element in
                if let (key, value) = Self.plainTag(tape, element) {
                    if !value.isEmpty { event.tags[key] = value }
                    return
                }
                guard let text = tape.string(element), let sep = text.firstIndex(where: { $0 == ":" || $0 == "=" }),
                    sep != text.startIndex
                else { return }
                let value = String(text[text.index(after: sep)...])
                if !value.isEmpty { event.tags[String(text[..<sep])] = value }
            }
        }
        for (i, (_, tag)) in tagFields.enumerated() where event.tags[tag] == nil {
            if let value = fieldText(tagKeys[i], row, metadata), !value.isEmpty { event.tags[tag] = value }
        }
        return .success(EventDraft(event: event, hasTimestamp: true, hasId: true, origin: origin))
    }

    /// A `request_tags` entry `key:value` (or `key=value`) read from its
    /// bytes, when it is plain ASCII without escapes; nil otherwise (and then
    /// it is read as text, which splits the same way).
    static func plainTag(_ tape: JSONTape, _ element: Int) -> (key: String, value: String)? {
        let node = tape.nodes[element]
        guard node.kind == .string, !node.escaped else { return nil }
        let bytes = tape.bytes(element)
        var sep = -1
        for (i, b) in bytes.enumerated() {
            if b >= 0x80 { return nil }
            if sep < 0 && (b == 58 || b == 61) { sep = i }
        }
        guard sep > 0 else { return nil }
        return (
            String(decoding: UnsafeRawBufferPointer(rebasing: bytes[..<sep]), as: UTF8.self),
            String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(sep + 1)...]), as: UTF8.self)
        )
    }

    /// The first `/` of `text`: found in its bytes when it is ASCII (where a
    /// byte is a character, `\r\n` aside, which holds no slash), else by characters.
    static func firstSlash(_ text: String) -> String.Index? {
        let utf8 = text.utf8
        if utf8.allSatisfy({ $0 < 0x80 }) { return utf8.firstIndex(of: 47) }
        return text.firstIndex(of: "/")
    }

    /// A row field, or a `metadata` field, by its key's bytes, as text.
    func fieldText(_ field: (inMetadata: Bool, key: [UInt8]), _ row: Row, _ metadata: Int?) -> String? {
        let tape = row.tape
        var owner = row.node
        if field.inMetadata {
            guard let metadata else { return nil }
            owner = metadata
        }
        var found: String?
        field.key.withUnsafeBytes { wanted in
            tape.forEachMember(owner) { k, v in
                guard found == nil, !tape.nodes[k].escaped else { return }
                let bytes = tape.bytes(k)
                guard bytes.count == wanted.count, wanted.isEmpty || memcmp(bytes.baseAddress!, wanted.baseAddress!, wanted.count) == 0
                else { return }
                switch tape.nodes[v].kind {
                case .string, .number: found = tape.numberText(v)
                default: break
                }
            }
        }
        return found
    }

    /// LiteLLM's times: RFC 3339, or without a zone (`2026-11-03 14:22:05.123`,
    /// Postgres `timestamp without time zone`), which is UTC.
    static func time(_ text: String) -> Int64? {
        if let ms = Timestamp.parse(text) { return ms }
        return Timestamp.parse(text + "Z")
    }
}

/// Finds the line of a byte offset in a piece (offsets asked in increasing order).
struct LineCounter {
    let bytes: UnsafeRawBufferPointer
    let firstLine: Int
    var position = 0
    var current: Int

    init(bytes: UnsafeRawBufferPointer, firstLine: Int) {
        self.bytes = bytes
        self.firstLine = firstLine
        self.current = firstLine
    }

    mutating func line(at offset: Int) -> Int {
        let end = min(offset, bytes.count)
        if end < position {
            // Asked out of order: count again from the start.
            position = 0
            current = firstLine
        }
        if end > position, let base = bytes.baseAddress {
            var p = base + position
            let stop = base + end
            while p < stop, let nl = memchr(p, 10, stop - p) {
                current += 1
                p = UnsafeRawPointer(nl) + 1
            }
            position = end
        }
        return current
    }
}

extension JSONTape {
    /// The first offset at or after `p` in `bytes` that is not JSON whitespace.
    func skipSpaceIn(_ bytes: UnsafeRawBufferPointer, _ p: Int) -> Int {
        var p = p
        while p < bytes.count && (bytes[p] == 32 || bytes[p] == 10 || bytes[p] == 13 || bytes[p] == 9) { p += 1 }
        return p
    }
}
