/// Writes the canonical ledger line of a scanned event straight from its
/// bytes: values are copied as written (strings keep their escapes), keys
/// come out in canonical order, tags sorted, stamps filled in. This is the
/// `--stdin` fast path: no `LedgerEvent` is materialized.
///
/// It declines (returns false, writing nothing) whenever the result could
/// differ from `LedgerEvent.encodeLine` — escaped or non-ASCII tag keys or
/// tool names, or a `cost` / `priced_with` / `source_cost` given by the caller (normalized by
/// the slow path) — and the caller takes the slow path. (Duplicate keys never
/// get here: the scanner refuses them.)
struct CanonicalLine {
    /// Tags to add when missing, sorted by key (ASCII keys only).
    let defaultTags: [(key: [UInt8], value: [UInt8])]
    let commit: [UInt8]?
    let release: [UInt8]?

    init(settings: AppendSettings) {
        var tags: [(key: [UInt8], value: [UInt8])] = []
        for (key, value) in settings.defaultTags { tags.append((Array(key.utf8), Array(value.utf8))) }
        tags.sort { $0.key.lexicographicallyPrecedes($1.key) }
        defaultTags = tags
        commit = settings.code.commit.map { Array($0.utf8) }
        release = settings.code.release.map { Array($0.utf8) }
    }

    /// True when the default tags are plain ASCII (else every event takes the slow path).
    var usable: Bool {
        defaultTags.allSatisfy { $0.key.allSatisfy { $0 < 0x80 && $0 != 92 && $0 != 34 } }
    }

    private struct Tag {
        var keyStart: Int
        var keyCount: Int
        /// Raw value bytes: a span of the scanned buffer, or a default (index into defaultTags).
        var valueSpan: ByteSpan
        var defaultIndex: Int
    }

    /// Encodes `e` (scanned by `scanner`) with `ts` and `id` when the event has none.
    func encode(
        _ e: EventRecord, _ scanner: LedgerScanner, ts: Int64, id: String?, into out: inout [UInt8]
    ) -> Bool {
        if e.has(.cost) || e.has(.pricedWith) || e.has(.sourceCost) || e.correction != .none { return false }
        let base = scanner.base
        @inline(__always) func byte(_ i: Int) -> UInt8 { base.load(fromByteOffset: i, as: UInt8.self) }
        // Tags: the event's, then defaults for missing keys; sorted by key bytes.
        var tags: [Tag] = []
        tags.reserveCapacity(e.tags.count + defaultTags.count)
        for k in e.tags {
            let key = scanner.tags[k].key
            if key.escaped { return false }
            for i in 0..<key.count where byte(key.start + i) >= 0x80 { return false }
            tags.append(Tag(keyStart: key.start, keyCount: key.count, valueSpan: scanner.tags[k].value, defaultIndex: -1))
        }
        @inline(__always) func keyLess(_ a: Tag, _ b: Tag) -> Bool {
            let n = min(a.keyCount, b.keyCount)
            let c = memcmp(base + a.keyStart, base + b.keyStart, n)
            return c != 0 ? c < 0 : a.keyCount < b.keyCount
        }
        tags.sort(by: keyLess)
        var w = JSONWriter(out: out)
        out = []
        w.raw("{\"ts\":\"")
        Timestamp.encode(millis: ts, into: &w.out)
        w.raw("\",\"id\":")
        if let id { w.string(id) } else { w.span(e.id, base) }
        w.raw(",\"provider\":")
        w.span(e.provider, base)
        w.raw(",\"model\":")
        w.span(e.model, base)
        if !e.modelRequested.isAbsent { w.key("model_requested"); w.span(e.modelRequested, base) }
        if !e.serviceTier.isAbsent { w.key("service_tier"); w.span(e.serviceTier, base) }
        if e.batch { w.key("batch"); w.raw("true") }
        if e.requests != 1 { w.key("requests"); w.integer(e.requests) }
        w.key("input_tokens"); w.integer(e.inputTokens)
        if e.cachedInputTokens != 0 { w.key("cached_input_tokens"); w.integer(e.cachedInputTokens) }
        if e.cacheWriteTokens != 0 { w.key("cache_write_tokens"); w.integer(e.cacheWriteTokens) }
        if e.cacheWrite1hTokens != 0 { w.key("cache_write_1h_tokens"); w.integer(e.cacheWrite1hTokens) }
        w.key("output_tokens"); w.integer(e.outputTokens)
        if !e.toolCalls.isEmpty {
            var calls = Array(e.toolCalls).map { scanner.toolCalls[$0] }
            for call in calls where call.name.escaped { out = w.out; out.removeAll(); return false }
            for call in calls {
                for i in 0..<call.name.count where byte(call.name.start + i) >= 0x80 { out = w.out; out.removeAll(); return false }
            }
            calls.sort {
                let c = memcmp(base + $0.name.start, base + $1.name.start, min($0.name.count, $1.name.count))
                return c != 0 ? c < 0 : $0.name.count < $1.name.count
            }
            w.key("tool_calls")
            w.byte(123)
            for (i, call) in calls.enumerated() {
                if i > 0 { w.byte(44) }
                w.span(call.name, base)
                w.byte(58)
                w.integer(call.count)
            }
            w.byte(125)
        }
        if !e.status.isAbsent { w.key("status"); w.span(e.status, base) }
        if e.attempt != 1 { w.key("attempt"); w.integer(e.attempt) }
        if e.latencyMs >= 0 { w.key("latency_ms"); w.integer(e.latencyMs) }
        if !e.traceId.isAbsent { w.key("trace_id"); w.span(e.traceId, base) }
        w.key("tags")
        w.byte(123)
        // Merge the sorted event tags with the sorted defaults.
        var i = 0
        var d = 0
        var first = true
        while i < tags.count || d < defaultTags.count {
            let takeDefault: Bool
            if i == tags.count {
                takeDefault = true
            } else if d == defaultTags.count {
                takeDefault = false
            } else {
                let t = tags[i]
                let c = defaultTags[d].key.withUnsafeBytes { memcmp(base + t.keyStart, $0.baseAddress!, min(t.keyCount, $0.count)) }
                if c == 0 && t.keyCount == defaultTags[d].key.count {
                    d += 1  // the event's own tag wins
                    continue
                }
                takeDefault = c > 0 || (c == 0 && t.keyCount > defaultTags[d].key.count)
            }
            if !first { w.byte(44) }
            first = false
            if takeDefault {
                w.byte(34); w.out.append(contentsOf: defaultTags[d].key); w.byte(34); w.byte(58)
                w.string(String(decoding: defaultTags[d].value, as: UTF8.self))
                d += 1
            } else {
                w.byte(34)
                w.out.append(contentsOf: UnsafeRawBufferPointer(start: base + tags[i].keyStart, count: tags[i].keyCount))
                w.byte(34)
                w.byte(58)
                w.span(tags[i].valueSpan, base)
                i += 1
            }
        }
        w.byte(125)
        if !e.release.isAbsent {
            w.key("release"); w.span(e.release, base)
        } else if let release {
            w.key("release"); w.string(String(decoding: release, as: UTF8.self))
        }
        if !e.commit.isAbsent {
            w.key("commit"); w.span(e.commit, base)
        } else if let commit {
            w.key("commit"); w.string(String(decoding: commit, as: UTF8.self))
        }
        w.byte(125)
        out = w.out
        return true
    }
}

extension JSONWriter {
    /// A scanned string value as written (with its quotes; escapes kept).
    mutating func span(_ s: ByteSpan, _ base: UnsafeRawPointer) {
        out.append(34)
        out.append(contentsOf: UnsafeRawBufferPointer(start: base + s.start, count: s.count))
        out.append(34)
    }
}
