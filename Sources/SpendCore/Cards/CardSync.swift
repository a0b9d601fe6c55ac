import Foundation

/// What `spend cards sync` is asked to do.
public struct CardSyncRequest: Sendable {
    /// The new points' `effective` date as written (`2026-12-01`).
    public var effective: String
    /// The day of the sync, for the source comment (`2026-12-02`).
    public var syncedOn: String
    /// Only this card's provider (nil: every card).
    public var provider: String?
    /// Only map model names matching this glob (nil: all).
    public var models: String?

    public init(effective: String, syncedOn: String, provider: String? = nil, models: String? = nil) {
        self.effective = effective
        self.syncedOn = syncedOn
        self.provider = provider
        self.models = models
    }
}

/// The new points a sync writes, and the card files with them appended.
public struct CardSyncPlan: Sendable {
    /// One new `[[price]]` block.
    public struct NewPoint: Sendable, Hashable {
        /// The card file it is appended to (`ratecards/openai.toml`).
        public var path: String
        public var provider: String
        public var model: String
        /// The point it follows (`openai/gpt-4o@2024-10-01`), nil for a new model.
        public var replaces: String?
        public var differences: [RateDifference]
        /// The block as written, comment lines included, without a trailing newline.
        public var text: String
    }

    /// A changed map model that is not synced, and why.
    public struct Skipped: Sendable, Hashable {
        public var key: String
        public var reason: String
    }

    public var points: [NewPoint]
    public var skipped: [Skipped]
    /// Each changed card file's full new text, by path.
    public var files: [String: String]
}

/// Turns a `CardCheck` into new dated points: never an edit of an old point.
public enum CardSync {
    /// Plans the new points. `cardTexts` are the card files as they are now
    /// (path → text). A date not after a changed model's latest point, or an
    /// unknown provider, is an error and nothing is planned.
    public static func plan(
        book: PriceBook, cardTexts: [String: String], map: LiteLLMPriceMap, request: CardSyncRequest
    ) throws(SpendError) -> CardSyncPlan {
        guard let effective = Timestamp.parseDateOrTimestamp(request.effective),
            request.effective.utf8.count == 10
        else {
            throw SpendError.usage("the effective date must be a date like 2026-12-01, got '\(request.effective)'")
        }
        if let provider = request.provider, book.card(provider: provider) == nil {
            let known = book.cards.map(\.provider).sorted().joined(separator: ", ")
            throw SpendError.usage("no rate card for provider \"\(provider)\" (cards: \(known))")
        }
        let glob = request.models.map { Glob($0) }
        var check = CardCheck.run(book: book, map: map)
        check.differences = check.differences.filter { d in
            (request.provider ?? d.listed.provider) == d.listed.provider && (glob?.matches(d.listed.name) ?? true)
        }
        check.missing = check.missing.filter { m in
            (request.provider ?? m.provider) == m.provider && (glob?.matches(m.name) ?? true)
        }
        var points: [CardSyncPlan.NewPoint] = []
        var skipped: [CardSyncPlan.Skipped] = []
        var late: [Diagnostic] = []
        let source = "# source: LiteLLM model_prices_and_context_window.json \(map.label), synced \(request.syncedOn)"
        for difference in check.differences {
            let point = difference.point
            if difference.viaAlias {
                skipped.append(
                    .init(
                        key: difference.listed.key,
                        reason: "priced through an alias to \(difference.pricedModel) (\(point.id)): not synced; price \"\(difference.listed.name)\" on its own or update \(difference.pricedModel)"))
                continue
            }
            guard point.effective < effective else {
                late.append(
                    Diagnostic(
                        path: point.location.path, line: point.location.line, rule: .ratecardSync,
                        message: "\(point.id) is effective on or after \(request.effective): a synced point must be later than the model's latest point"))
                continue
            }
            guard let text = cardTexts[point.location.path] else { continue }
            points.append(
                .init(
                    path: point.location.path, provider: point.provider, model: point.model, replaces: point.id,
                    differences: difference.differences,
                    text: changedBlock(difference, previous: text, effective: request.effective, source: source)))
        }
        if !late.isEmpty { throw SpendError.input(late) }
        for listed in check.missing {
            guard let card = book.card(provider: listed.provider) else { continue }
            let differences = CardCheck.fields.compactMap { field in
                CardCheck.mapRate(field, of: listed).map { RateDifference(field: field, card: nil, map: $0) }
            }
            var lines = [source, "[[price]]", "model = \(JSONString.quoted(listed.name))", "effective = \(request.effective)"]
            lines += differences.map { "\($0.field) = \($0.map)" }
            points.append(
                .init(
                    path: card.path, provider: listed.provider, model: listed.name, replaces: nil, differences: differences,
                    text: lines.joined(separator: "\n")))
        }
        points.sort { ($0.path, $0.model) < ($1.path, $1.model) }
        var files: [String: String] = [:]
        for point in points {
            var text = files[point.path] ?? cardTexts[point.path] ?? ""
            if !text.isEmpty && !text.hasSuffix("\n") { text += "\n" }
            files[point.path] = text + "\n" + point.text + "\n"
        }
        return CardSyncPlan(points: points, skipped: skipped, files: files)
    }

    /// The previous point's block with `effective` and the changed rates
    /// replaced (or added in card order); every other line carried over.
    static func changedBlock(_ difference: ModelDifference, previous text: String, effective: String, source: String) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // The `[[price]]` line at or above the point's line, through the line before a blank
        // line or the next table; comment lines at its end belong to what follows.
        var start = min(max(difference.point.location.line - 1, 0), lines.count - 1)
        while start > 0 && lines[start].trimmingCharacters(in: .whitespaces) != "[[price]]" { start -= 1 }
        var end = start + 1
        while end < lines.count {
            let trimmed = lines[end].trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || lines[end].hasPrefix("[") { break }
            end += 1
        }
        while end > start + 1 && lines[end - 1].trimmingCharacters(in: .whitespaces).hasPrefix("#") { end -= 1 }
        var block = Array(lines[start..<end])
        func key(_ line: String) -> String? {
            guard let eq = line.firstIndex(of: "="), !line.hasPrefix(" ") else { return nil }
            return line[..<eq].trimmingCharacters(in: .whitespaces)
        }
        func set(_ field: String, _ value: String, after: [String]) {
            if let k = block.firstIndex(where: { key($0) == field }) {
                block[k] = "\(field) = \(value)"
            } else {
                let anchor = block.lastIndex { line in key(line).map(after.contains) ?? false } ?? 0
                block.insert("\(field) = \(value)", at: anchor + 1)
            }
        }
        set("effective", effective, after: ["model"])
        for d in difference.differences {
            let k = CardCheck.fields.firstIndex(of: d.field) ?? 0
            set(d.field, "\(d.map)", after: ["model", "effective"] + CardCheck.fields[..<k])
        }
        let written: Set<String> = Set(["model", "effective"] + CardCheck.fields)
        let carried = block.dropFirst().compactMap(key).filter { !written.contains($0) }
        let changes = difference.differences.map { "\($0.field) \($0.card.map { "\($0)" } ?? "unset") → \($0.map)" }
        var header = [source, "# follows \(difference.point.id): " + changes.joined(separator: ", ")]
        if !carried.isEmpty {
            header.append("# carried over from \(difference.point.id) (not in the map; review): " + carried.joined(separator: ", "))
        }
        return (header + block).joined(separator: "\n")
    }

    /// Writes the planned card files under `root` (each replaced whole, atomically).
    public static func write(_ plan: CardSyncPlan, root: String) throws(SpendError) {
        for (path, text) in plan.files.sorted(by: { $0.key < $1.key }) {
            do {
                try Data(text.utf8).write(to: URL(fileURLWithPath: root + "/" + path), options: .atomic)
            } catch {
                let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
                let code = underlying?.domain == NSPOSIXErrorDomain ? Int32(underlying!.code) : EIO
                throw SpendError.io(IOError(path: path, errno: code))
            }
        }
    }
}
