import Foundation

/// Differences between the cards and LiteLLM's price map that were reviewed
/// and are kept on purpose (`spend cards check --known FILE`): a TOML file of
/// `[[known]]` tables.
///
/// ```toml
/// [[known]]
/// provider = "google"                 # optional: the card
/// model = "gemini-4-argon"            # the map's name, as `cards check` shows it
/// fields = ["input", "output"]        # optional: only these fields; absent: every field, or a missing model
/// reason = "Google doubled the launch price on 2026-12-01; LiteLLM still lists $2 / $10"
/// ```
public struct KnownDifferences: Sendable {
    /// One reviewed difference.
    public struct Entry: Sendable, Hashable {
        public var provider: String?
        public var model: String
        /// The fields it covers (`CardCheck.fields`); nil: all of them, and the model missing.
        public var fields: [String]?
        public var reason: String
        /// The line of its `[[known]]` header.
        public var line: Int

        /// True when the entry covers `field` of `model`.
        func covers(_ model: LiteLLMPriceMap.Model, field: String?) -> Bool {
            guard self.model == model.name, provider.map({ $0 == model.provider }) ?? true else { return false }
            guard let field else { return fields == nil }
            return fields?.contains(field) ?? true
        }
    }

    /// The file as the user named it.
    public var path: String
    public var entries: [Entry]

    public init(path: String, entries: [Entry]) {
        self.path = path
        self.entries = entries
    }

    static let keys: Set<String> = ["provider", "model", "fields", "reason"]

    /// Reads the file at `path` (relative paths from `base`), shown as `displayPath`.
    public static func read(path: String, relativeTo base: String? = nil, displayPath: String? = nil) throws(SpendError) -> KnownDifferences {
        let shown = displayPath ?? path
        guard let data = FileManager.default.contents(atPath: WorkingDirectory.absolute(path, from: base)) else {
            throw SpendError.request(.referencePrices(path: shown, .unreadable))
        }
        do {
            return try parse(String(decoding: data, as: UTF8.self), path: shown)
        } catch {
            throw SpendError.input(error.diagnostics, omitted: error.omitted)
        }
    }

    /// Parses the file's text; every problem is a located `cards-known` (or `toml`) error.
    public static func parse(_ text: String, path: String) throws(DiagnosticsError) -> KnownDifferences {
        let table = try TOMLDocument.parse(text, path: path)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let headers = lines.indices.filter { lines[$0].trimmingCharacters(in: .whitespaces).hasPrefix("[[known]]") }.map { $0 + 1 }
        var problems: [Diagnostic] = []
        func problem(_ line: Int?, _ message: String) {
            problems.append(
                Diagnostic(
                    path: path, line: line, rule: .cardsKnown, message: message,
                    sourceLine: line.flatMap { $0 >= 1 && $0 <= lines.count ? lines[$0 - 1] : nil }))
        }
        for key in table.keys where key != "known" {
            problem(lines.firstIndex { $0.hasPrefix(key) }.map { $0 + 1 }, "unknown key \"\(key)\": the file holds [[known]] tables only")
        }
        var entries: [Entry] = []
        let known = table["known"]?.array ?? []
        if table["known"] != nil, table["known"]?.array == nil { problem(nil, "\"known\" must be an array of tables: write each entry as [[known]]") }
        for (index, value) in known.enumerated() {
            let line = index < headers.count ? headers[index] : nil
            guard let entry = value.table else {
                problem(line, "each [[known]] entry must be a table")
                continue
            }
            for key in entry.keys where !keys.contains(key) {
                problem(line, "unknown key \"\(key)\" in [[known]] (keys: provider, model, fields, reason)")
            }
            guard let model = entry["model"]?.string, !model.isEmpty else {
                problem(line, "[[known]] needs model = \"NAME\" (the map's model name, as `cards check` shows it)")
                continue
            }
            guard let reason = entry["reason"]?.string, !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
                problem(line, "[[known]] \(model) needs a reason: why the card is right, or why the model is not priced")
                continue
            }
            if entry["provider"] != nil, entry["provider"]?.string == nil { problem(line, "provider must be a string") }
            var fields: [String]?
            if let value = entry["fields"] {
                let names = value.array?.compactMap(\.string) ?? []
                if value.array == nil || names.count != value.array?.count || names.isEmpty {
                    problem(line, "fields must be a non-empty array of field names (\(CardCheck.fields.joined(separator: ", ")))")
                } else if let bad = names.first(where: { !CardCheck.fields.contains($0) }) {
                    problem(line, "unknown field \"\(bad)\" (fields: \(CardCheck.fields.joined(separator: ", ")))")
                }
                fields = names
            }
            entries.append(Entry(provider: entry["provider"]?.string, model: model, fields: fields, reason: reason, line: line ?? 0))
        }
        if !problems.isEmpty { throw DiagnosticsError(problems) }
        return KnownDifferences(path: path, entries: entries)
    }
}

/// A finding of `cards check` that a known-differences entry covers.
public struct KnownFinding: Sendable, Hashable {
    public var listed: LiteLLMPriceMap.Model
    /// The latest point compared (nil: the model is missing from the cards).
    public var point: PricePoint?
    /// The differing fields it covers (empty for a missing model).
    public var differences: [RateDifference]
    public var entry: KnownDifferences.Entry
}

extension CardCheckResult {
    /// The result with every finding an entry of `known` covers moved to
    /// `known`, and the entries that cover nothing listed as `stale`.
    public func applying(_ known: KnownDifferences) -> CardCheckResult {
        var result = self
        result.knownPath = known.path
        var used: Set<KnownDifferences.Entry> = []
        result.differences = []
        for difference in differences {
            var open: [RateDifference] = []
            var covered: [KnownDifferences.Entry: [RateDifference]] = [:]
            for rate in difference.differences {
                if let entry = known.entries.first(where: { $0.covers(difference.listed, field: rate.field) }) {
                    covered[entry, default: []].append(rate)
                    used.insert(entry)
                } else {
                    open.append(rate)
                }
            }
            for entry in known.entries where covered[entry] != nil {
                result.known.append(KnownFinding(listed: difference.listed, point: difference.point, differences: covered[entry] ?? [], entry: entry))
            }
            if !open.isEmpty {
                var remaining = difference
                remaining.differences = open
                result.differences.append(remaining)
            }
        }
        result.missing = []
        for model in missing {
            if let entry = known.entries.first(where: { $0.covers(model, field: nil) }) {
                result.known.append(KnownFinding(listed: model, point: nil, differences: [], entry: entry))
                used.insert(entry)
            } else {
                result.missing.append(model)
            }
        }
        result.stale = known.entries.filter { !used.contains($0) }
        return result
    }
}
