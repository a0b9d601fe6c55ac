/// `spend import csv`: any CSV (RFC 4180, a header row) whose columns are
/// mapped to event fields by name (`CSVColumnMapping`). One row is one event:
///
/// - `ts` in the mapping's time format (RFC 3339 or a date, midnight UTC, by
///   default; or Unix seconds or milliseconds); token counts non-negative integers; `batch` true/false;
/// - `provider` from its column, or the constant `provider` setting;
/// - tags from the `tag.NAME` columns (an empty cell is no tag);
/// - the id is `csv:` + the `id` column when one is mapped, else
///   `ImportID.hashed` of the row's mapped cells (and, for rows that are
///   identical in them, their order among those rows), so the same file, or
///   an export overlapping it, gives the same ids.
///
/// The file is converted whole: the header is its first line, and a quoted
/// cell may span lines. A row that cannot be converted is a rejection at its
/// line naming the field and its column; a header that lacks a mapped
/// column rejects the file (at line 1).
public struct CSVImportSource: ImportSource {
    public let name = "csv"
    let mapping: CSVColumnMapping
    /// The provider of rows without a provider column (or with it empty).
    let provider: String?
    let timeFormat: CSVTimeFormat
    /// The input column counts cached and cache-write tokens too (they are subtracted).
    let inputIncludesCached: Bool

    /// The spend.toml section name of this source: `[import.csv]`.
    public static let settingsName = "csv"

    /// The source with `[import.csv]` of `spend.toml` (`map`, `provider`,
    /// `ts_format`, `input_includes_cached`; located `policy` errors) and the
    /// command line's mapping items (`FIELD=COLUMN`, comma-separated; they
    /// win over the table field by field), provider and time format.
    package static func make(
        settings: ImportSettings, map: [String] = [], provider: String? = nil, timeFormat: String? = nil
    ) throws(SpendError) -> CSVImportSource {
        var reader = ImportSettingsReader(settings, source: settingsName)
        var mapping = CSVColumnMapping()
        var tableProvider: String?
        var tableFormat: CSVTimeFormat?
        var includesCached = false
        if let table = settings.table {
            reader.unknownKeys(table, allowed: ["map", "provider", "ts_format", "input_includes_cached"], at: [])
            tableProvider = reader.string(table, "provider", at: [])
            includesCached = reader.bool(table, "input_includes_cached", at: []) ?? false
            if let text = reader.string(table, "ts_format", at: []) {
                tableFormat = CSVTimeFormat(rawValue: text)
                if tableFormat == nil { reader.error(["ts_format"], Self.formatMessage(text, in: reader.name([]))) }
            }
            if let map = reader.table(table, "map", at: []) {
                for key in map.keys {
                    if key == "tag" || key == "tool_calls", let names = reader.table(map, key, at: ["map"]) {
                        for name in names.keys {
                            if let column = reader.string(names, name, at: ["map", key]) { _ = mapping.set(key + "." + name, column) }
                        }
                    } else if key != "tag" && key != "tool_calls", let column = reader.string(map, key, at: ["map"]),
                        let problem = mapping.set(key, column)
                    {
                        reader.error(["map", key], "\(problem) in \(reader.name(["map"]))")
                    }
                }
            }
        }
        try reader.finish()
        try CSVColumnMapping.parse(map, into: &mapping)
        var format = tableFormat ?? .rfc3339
        if let timeFormat {
            guard let f = CSVTimeFormat(rawValue: timeFormat) else { throw SpendError.usage(Self.formatMessage(timeFormat, in: nil)) }
            format = f
        }
        let constant = provider ?? tableProvider
        var missing = CSVColumnMapping.required.filter { mapping.fields[$0] == nil }.map(\.rawValue)
        if mapping.fields[.provider] == nil && constant == nil { missing.insert("provider", at: 0) }
        if !missing.isEmpty {
            throw SpendError.usage(
                "the column mapping has no \(missing.joined(separator: ", ")): map \(missing.count == 1 ? "it" : "each") to a column "
                    + "(e.g. \(missing[0])=COLUMN)\(missing.contains("provider") ? ", or give a provider for every row" : "")")
        }
        return CSVImportSource(mapping: mapping, provider: constant, timeFormat: format, inputIncludesCached: includesCached)
    }

    private static func formatMessage(_ text: String, in section: String?) -> String {
        "time format \"\(text)\"\(section.map { " in \($0)" } ?? "") is not one of \(CSVTimeFormat.allCases.map(\.rawValue).joined(separator: ", "))"
    }

    init(mapping: CSVColumnMapping, provider: String?, timeFormat: CSVTimeFormat, inputIncludesCached: Bool) {
        self.mapping = mapping
        self.provider = provider
        self.timeFormat = timeFormat
        self.inputIncludesCached = inputIncludesCached
    }

    public func convert(_ bytes: UnsafeRawBufferPointer, path: String, firstLine: Int) -> ImportedRecords {
        var out = ImportedRecords()
        var reader = CSVReader(bytes, firstLine: firstLine)
        var cells: [CSVCell] = []
        func syntax(_ error: CSVSyntaxError) { out.rejected.append(error.rejection(path: path, reader: reader)) }
        // The header.
        let header: CSVRecordPlace
        do throws(CSVSyntaxError) {
            guard let place = try reader.next(into: &cells) else { return out }
            header = place
        } catch {
            syntax(error)
            return out
        }
        let names = cells.map { reader.text($0) }
        let headerOrigin = EventOrigin(path: path, line: header.line, sourceLine: reader.text(header.start, header.end))
        let columns: CSVColumns
        switch CSVColumns.resolve(mapping, header: names) {
        case .success(let c): columns = c
        case .failure(let problem):
            out.rejected.append(problem.rejection(at: headerOrigin))
            return out
        }
        var converter = CSVRowConverter(source: self, columns: columns, width: names.count)
        while true {
            let place: CSVRecordPlace
            do throws(CSVSyntaxError) {
                guard let p = try reader.next(into: &cells) else { break }
                place = p
            } catch {
                out.records += 1
                syntax(error)
                if error.resume == nil { break }
                continue
            }
            // A blank line is no record.
            if cells.count == 1 && cells[0].start == cells[0].end && place.end - place.start == 0 { continue }
            out.records += 1
            let origin = EventOrigin(path: path, line: place.line, sourceLine: reader.text(place.start, place.end))
            do throws(RecordProblem) {
                out.drafts.append(try converter.draft(cells, reader: reader, origin: origin))
            } catch {
                out.rejected.append(error.rejection(at: origin))
            }
        }
        return out
    }
}

/// The header positions of a mapping's columns.
struct CSVColumns {
    var fields: [(field: CSVColumnMapping.Field, index: Int, column: String)] = []
    var tags: [(name: String, index: Int, column: String)] = []
    var toolCalls: [(name: String, index: Int, column: String)] = []
    /// The id parts' columns: mapped names in sorted order.
    var idColumns: [(name: String, index: Int)] = []

    func index(_ field: CSVColumnMapping.Field) -> (index: Int, column: String)? {
        fields.first { $0.field == field }.map { ($0.index, $0.column) }
    }

    static func resolve(_ mapping: CSVColumnMapping, header: [String]) -> Result<CSVColumns, RecordProblem> {
        var positions: [String: Int] = [:]
        var twice: Set<String> = []
        for (i, name) in header.enumerated() {
            if positions[name] != nil { twice.insert(name) } else { positions[name] = i }
        }
        var missing: [String] = []
        func find(_ name: String, _ column: String) -> Int? {
            guard let i = positions[column] else {
                missing.append("\"\(column)\" (mapped to \(name))")
                return nil
            }
            return i
        }
        for (name, column) in mapping.entries where twice.contains(column) {
            return .failure(RecordProblem(.importRecord, "the header has two columns named \"\(column)\" (mapped to \(name)): rename one"))
        }
        var out = CSVColumns()
        for (field, column) in mapping.fields.sorted(by: { $0.key < $1.key }) {
            if let i = find(field.rawValue, column) { out.fields.append((field, i, column)) }
        }
        for (name, column) in mapping.tags.sorted(by: { $0.key < $1.key }) {
            if let i = find("tag." + name, column) { out.tags.append((name, i, column)) }
        }
        for (name, column) in mapping.toolCalls.sorted(by: { $0.key < $1.key }) {
            if let i = find("tool_calls." + name, column) { out.toolCalls.append((name, i, column)) }
        }
        if !missing.isEmpty {
            let shown = header.count > 12 ? header.prefix(12).joined(separator: ", ") + ", …" : header.joined(separator: ", ")
            return .failure(
                RecordProblem(
                    .importRecord,
                    "the header has no column \(missing.joined(separator: ", ")); its columns are: \(shown)"))
        }
        out.idColumns = mapping.entries.compactMap { entry in positions[entry.column].map { (entry.name, $0) } }
        return .success(out)
    }
}

/// Converts rows to drafts (one per file: it counts identical rows).
struct CSVRowConverter {
    let source: CSVImportSource
    let columns: CSVColumns
    let width: Int
    /// How many rows had each hashed id so far.
    private var seen: [String: Int] = [:]

    init(source: CSVImportSource, columns: CSVColumns, width: Int) {
        self.source = source
        self.columns = columns
        self.width = width
    }

    mutating func draft(_ cells: [CSVCell], reader: CSVReader, origin: EventOrigin) throws(RecordProblem) -> EventDraft {
        guard cells.count == width else {
            throw RecordProblem(.importRecord, "the row has \(cells.count) cells, the header \(width)")
        }
        let bytes = reader.bytes
        func raw(_ i: Int) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[cells[i].start..<cells[i].end]) }
        func string(_ field: CSVColumnMapping.Field) -> String? {
            guard let (i, _) = columns.index(field), cells[i].end > cells[i].start else { return nil }
            return reader.text(cells[i])
        }
        func count(_ field: CSVColumnMapping.Field, required: Bool = false, minimum: Int64 = 0) throws(RecordProblem) -> Int64? {
            guard let (i, column) = columns.index(field) else { return nil }
            return try CSVValue.count(raw(i), cells[i], reader: reader, what: "\(field.rawValue) (column \"\(column)\")", required: required, minimum: minimum)
        }
        // ts
        let (tsIndex, tsColumn) = columns.index(.ts)!
        let ts = try CSVValue.time(raw(tsIndex), cells[tsIndex], reader: reader, format: source.timeFormat, what: "ts (column \"\(tsColumn)\")")
        guard let model = string(.model) else {
            throw RecordProblem(.importRecord, "model (column \"\(columns.index(.model)!.column)\") is empty")
        }
        guard let provider = string(.provider) ?? source.provider else {
            throw RecordProblem(.importRecord, "provider (column \"\(columns.index(.provider)!.column)\") is empty and no provider is set for such rows")
        }
        var input = try count(.inputTokens, required: true)!
        let cached = try count(.cachedInputTokens) ?? 0
        let write = try count(.cacheWriteTokens) ?? 0
        let write1h = try count(.cacheWrite1hTokens) ?? 0
        let output = try count(.outputTokens, required: true)!
        if source.inputIncludesCached {
            guard let uncached = ImportCounts.uncachedInput(input, including: [cached, write, write1h]) else {
                let included = try UsageRecord.sum([cached, write, write1h], "the cached and cache-write tokens")
                throw RecordProblem(
                    .importRecord,
                    "input_tokens (column \"\(columns.index(.inputTokens)!.column)\") is \(input), less than the \(included) cached and "
                        + "cache-write tokens it includes (input_includes_cached)")
            }
            input = uncached
        }
        var event = LedgerEvent(ts: ts, id: "", provider: provider, model: model, inputTokens: input, outputTokens: output, tags: [:])
        if cached > 0 { event.cachedInputTokens = cached }
        if write > 0 { event.cacheWriteTokens = write }
        if write1h > 0 { event.cacheWrite1hTokens = write1h }
        if let requests = try count(.requests, minimum: 1), requests != 1 { event.requests = requests }
        event.latencyMs = try count(.latencyMs)
        event.modelRequested = string(.modelRequested)
        if let tier = string(.serviceTier), tier != "standard", tier != "default" { event.serviceTier = tier }
        event.status = string(.status)
        event.traceId = string(.traceId)
        if let (i, column) = columns.index(.batch), cells[i].end > cells[i].start {
            switch reader.text(cells[i]).lowercased() {
            case "true", "1": event.batch = true
            case "false", "0": break
            case let other: throw RecordProblem(.importRecord, "batch (column \"\(column)\") must be true or false, not \"\(other)\"")
            }
        }
        for (name, i, _) in columns.tags where cells[i].end > cells[i].start { event.tags[name] = reader.text(cells[i]) }
        for (name, i, column) in columns.toolCalls {
            let calls = try CSVValue.count(raw(i), cells[i], reader: reader, what: "tool_calls.\(name) (column \"\(column)\")", required: false) ?? 0
            if calls > 0 { event.toolCalls = (event.toolCalls ?? [:]).merging([name: calls]) { a, _ in a } }
        }
        if let id = string(.id) {
            event.id = ImportID.natural(source.name, id)
        } else if let (_, column) = columns.index(.id) {
            throw RecordProblem(.importRecord, "id (column \"\(column)\") is empty")
        } else {
            var parts = columns.idColumns.map { $0.name + "=" + reader.text(cells[$0.index]) }
            let key = parts.joined(separator: "\u{1}")
            let n = seen[key, default: 0] + 1
            seen[key] = n
            if n > 1 { parts.append("#\(n)") }  // the n-th identical row
            event.id = ImportID.hashed(source.name, parts)
        }
        return EventDraft(event: event, hasTimestamp: true, hasId: true, origin: origin)
    }
}

/// Cell values, read from their bytes.
enum CSVValue {
    /// A non-negative integer (at least `minimum`) of at most 10^15; nil for an empty optional cell.
    static func count(
        _ raw: UnsafeRawBufferPointer, _ cell: CSVCell, reader: CSVReader, what: String, required: Bool, minimum: Int64 = 0
    ) throws(RecordProblem) -> Int64? {
        if raw.isEmpty {
            if required { throw RecordProblem(.importRecord, "\(what) is empty") }
            return nil
        }
        var value: Int64 = 0
        var ok = !cell.escaped
        for b in raw where ok {
            guard b >= 48 && b <= 57 else {
                ok = false
                break
            }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int64(b - 48))
            if o1 || o2 || a > TokenCounts.perEventLimit {
                throw RecordProblem(.overflow, "\(what) is \(reader.text(cell)), above the per-event limit 10^15")
            }
            value = a
        }
        guard ok, value >= minimum else {
            let kind = minimum == 0 ? "a non-negative integer" : "an integer ≥ \(minimum)"
            throw RecordProblem(.importRecord, "\(what) must be \(kind), not \"\(reader.text(cell))\"")
        }
        return value
    }

    /// A time in `format`, in ms since the epoch, within years 0001–9999.
    static func time(
        _ raw: UnsafeRawBufferPointer, _ cell: CSVCell, reader: CSVReader, format: CSVTimeFormat, what: String
    ) throws(RecordProblem) -> Int64 {
        if raw.isEmpty { throw RecordProblem(.importRecord, "\(what) is empty") }
        let text = reader.text(cell)
        let digitsOnly = raw.allSatisfy { $0 >= 48 && $0 <= 57 }
        switch format {
        case .rfc3339:
            if let ms = raw.count == 10 ? Timestamp.parseDateOrTimestamp(text) : Timestamp.parse(raw) { return ms }
            let hint = digitsOnly ? " (it looks like a Unix time: set the time format to unix or unix_ms)" : ""
            throw RecordProblem(.timestamp, "\(what) \"\(text)\" is not an RFC 3339 time or a date within years 0001–9999\(hint)")
        case .unix, .unixMs:
            var seconds: Int64 = 0
            var millis: Int64 = 0
            var decimals = -1
            var ok = !raw.isEmpty
            for b in raw {
                if b == 46 && format == .unix && decimals < 0 {
                    decimals = 0
                    continue
                }
                guard b >= 48 && b <= 57, decimals < 3 else {
                    ok = false
                    break
                }
                if decimals >= 0 {
                    millis = millis * 10 + Int64(b - 48)
                    decimals += 1
                } else {
                    let (m, o1) = seconds.multipliedReportingOverflow(by: 10)
                    let (a, o2) = m.addingReportingOverflow(Int64(b - 48))
                    guard !o1 && !o2 else {
                        ok = false
                        break
                    }
                    seconds = a
                }
            }
            if decimals == 0 { ok = false }
            while decimals > 0 && decimals < 3 {
                millis *= 10
                decimals += 1
            }
            let unit = format == .unix ? "seconds" : "milliseconds"
            let (ms, overflow) = format == .unix ? seconds.multipliedReportingOverflow(by: 1000) : (seconds, false)
            guard ok, !overflow, Timestamp.supported.contains(ms + millis) else {
                throw RecordProblem(.timestamp, "\(what) \"\(text)\" is not a Unix time in \(unit) within years 0001–9999")
            }
            return ms + millis
        }
    }
}
