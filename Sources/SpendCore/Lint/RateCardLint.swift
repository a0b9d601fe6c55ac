/// A rate card as read for lint: its file, text, and the parsed card (nil
/// when it has errors).
public struct LintedCard: Sendable {
    public var path: String
    public var text: String
    public var card: RateCard?
}

/// The rate-card rules of `spend lint`:
///
/// - `toml`, `ratecard`, `ratecard-negative`, `ratecard-tiers`, `ratecard-duplicate` (the parser);
/// - `ratecard-alias`: an alias that points nowhere or loops;
/// - `ratecard-alias-overlap`: a glob alias that claims a name a priced model,
///   an exact alias or another glob also claims, for a different model;
/// - `ratecard-alias-shadow` (warning, with `--litellm FILE`): a glob alias that claims a
///   model name the reference list prices differently from the glob's model;
/// - `ratecard-rewrite`: a price point or `[[discount]]` of the base edited or deleted
///   where it prices recorded events (``CardChange``);
/// - `ratecard-backdated` (warning): a new point or `[[discount]]` effective more than 7 days before today;
/// - `ratecard-dropped-field` (warning): a new point that drops what its model's previous point priced.
public enum RateCardLint {
    /// How far back a new point may take effect without a warning.
    public static let backdateGrace: Int64 = 7 * Timestamp.millisPerDay

    /// Parsed cards by path and text, so `--commits` parses each version once.
    public final class Memo {
        var parsed: [String: Result<RateCard, DiagnosticsError>] = [:]
        public init() {}

        func parse(_ text: String, path: String) throws(DiagnosticsError) -> RateCard {
            let key = path + "\u{0}" + text
            if let known = parsed[key] { return try known.get() }
            do {
                let card = try RateCardCache.shared.card(text, path: path)
                parsed[key] = .success(card)
                return card
            } catch {
                parsed[key] = .failure(error)
                throw error
            }
        }
    }

    /// Parses every card; returns them with the parser's findings.
    public static func parse(_ files: [(path: String, text: String)], memo: Memo = Memo()) -> (cards: [LintedCard], diagnostics: [Diagnostic]) {
        var out: [LintedCard] = []
        var diagnostics: [Diagnostic] = []
        var providers: [String: String] = [:]
        for file in files {
            do {
                let card = try memo.parse(file.text, path: file.path)
                if let other = providers[card.provider] {
                    diagnostics.append(
                        Diagnostic(
                            path: file.path, line: lineOf(key: "provider", in: file.text), rule: .ratecard,
                            message: "provider \"\(card.provider)\" is also defined in \(other) (one card per provider)"))
                    out.append(LintedCard(path: file.path, text: file.text, card: nil))
                    continue
                }
                providers[card.provider] = file.path
                out.append(LintedCard(path: file.path, text: file.text, card: card))
            } catch {
                diagnostics += error.diagnostics
                out.append(LintedCard(path: file.path, text: file.text, card: nil))
            }
        }
        return (out, diagnostics)
    }

    static func lineOf(key: String, in text: String) -> Int? {
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let t = line.drop { $0 == " " || $0 == "\t" }
            if t.hasPrefix(key + " ") || t.hasPrefix(key + "=") { return i + 1 }
        }
        return nil
    }

    /// Alias targets that go nowhere or loop, and overlapping globs.
    public static func aliasFindings(_ book: PriceBook) -> [Diagnostic] {
        var out = book.aliasDiagnostics()
        for card in book.cards {
            let priced = Array(Set(card.points.map(\.model))).sorted()
            let exact = card.aliases.filter { !$0.isGlob }
            let globs = card.aliases.filter(\.isGlob).sorted { $0.line < $1.line }
            /// The priced model a name finally maps to (its raw target when it does not resolve).
            func resolved(_ target: String) -> String {
                switch book.resolve(provider: card.provider, model: target) {
                case .success(let m): return book.models[m].name
                case .failure: return target
                }
            }
            for (k, alias) in globs.enumerated() {
                let glob = Glob(alias.pattern)
                let mine = resolved(alias.target)
                for model in priced where glob.matches(model) && model != mine {
                    out.append(
                        Diagnostic(
                            path: card.path, line: alias.line, rule: .ratecardAliasOverlap,
                            message: "alias glob \"\(alias.pattern)\" (→ \(mine)) also matches the priced model \"\(model)\"; narrow the glob"))
                }
                for other in exact where glob.matches(other.pattern) && resolved(other.target) != mine {
                    out.append(
                        Diagnostic(
                            path: card.path, line: alias.line, rule: .ratecardAliasOverlap,
                            message:
                                "alias glob \"\(alias.pattern)\" (→ \(mine)) also matches the alias \"\(other.pattern)\" (→ \(resolved(other.target)), line \(other.line)); narrow the glob"
                        ))
                }
                for other in globs[..<k] {
                    let theirs = resolved(other.target)
                    guard theirs != mine, let name = GlobOverlap.witness(alias.pattern, other.pattern) else { continue }
                    out.append(
                        Diagnostic(
                            path: card.path, line: alias.line, rule: .ratecardAliasOverlap,
                            message:
                                "alias globs \"\(alias.pattern)\" (→ \(mine)) and \"\(other.pattern)\" (→ \(theirs), line \(other.line)) both claim names such as \"\(name)\""
                        ))
                }
            }
        }
        return out
    }

    /// Glob aliases that claim a model name which `reference` prices (input
    /// or output per 1M tokens) differently from the latest point of the model
    /// the glob maps to (`ratecard-alias-shadow`, a warning), such as
    /// `"gemini-2.5-pro-preview-*"` claiming the TTS model
    /// `gemini-2.5-pro-preview-tts`. Names the card prices or aliases exactly
    /// are not claimed by a glob and are skipped.
    public static func shadowFindings(_ book: PriceBook, reference: ReferencePrices) -> [Diagnostic] {
        var out: [Diagnostic] = []
        let names = reference.entries.keys.sorted()
        for card in book.cards where card.aliases.contains(where: \.isGlob) {
            let priced = Set(card.points.map(\.model))
            for name in names where !priced.contains(name) {
                guard let alias = PriceBook.matchingAlias(of: name, in: card), alias.isGlob,
                    case .success(let m) = book.resolve(provider: card.provider, model: name),
                    let latest = book.models[m].pointIndices.last, let entry = reference.entries[name]
                else { continue }
                let point = book.points[Int(latest)]
                func differs(_ listed: ExactDecimal?, _ ours: ExactDecimal?) -> Bool { listed != nil && listed != ours }
                guard differs(entry.input, point.rates.input) || differs(entry.output, point.rates.output) else { continue }
                func text(_ value: ExactDecimal?) -> String { value.map { "\($0.normalized())" } ?? "unset" }
                out.append(
                    Diagnostic(
                        path: card.path, line: alias.line, rule: .ratecardAliasShadow,
                        message:
                            "alias glob \"\(alias.pattern)\" (→ \(book.models[m].name)) also matches \"\(name)\", which LiteLLM (\(entry.key)) prices at \(text(entry.input)) / \(text(entry.output)) per 1M input / output tokens, not \(text(point.rates.input)) / \(text(point.rates.output)) as \(point.id): narrow the glob, or alias or price \"\(name)\" on its own"
                    ))
            }
        }
        return out
    }

    /// Compares the cards of `target` with those of `base`: deleted cards
    /// (`ratecard-rewrite`), new points and discounts of existing cards that take effect
    /// more than 7 days before `now` (`ratecard-backdated`), new or edited
    /// points that drop what the previous point of their model priced
    /// (`ratecard-dropped-field`), and the points and discounts edited or
    /// deleted, for ``CardChange/verdict(now:latestEvent:baseLabel:)`` to
    /// judge. Cards that failed to parse on either side are skipped (their
    /// errors are reported already).
    static func history(
        target: [LintedCard], base: [LintedCard], baseLabel: String, now: Int64
    ) -> (findings: [Diagnostic], changes: [CardChange]) {
        var out: [Diagnostic] = []
        var changes: [CardChange] = []
        // Providers whose target card could not be read: nothing can be said about their points.
        let brokenTargetPaths = Set(target.filter { $0.card == nil }.map(\.path))
        let targetCards = target.compactMap(\.card)
        var targetByProvider: [String: RateCard] = [:]
        for card in targetCards { targetByProvider[card.provider] = card }
        var baseByProvider: [String: RateCard] = [:]
        var baseTexts: [String: String] = [:]
        for linted in base {
            guard let card = linted.card else { continue }
            baseByProvider[card.provider] = card
            baseTexts[card.provider] = linted.text
        }
        var targetTexts: [String: String] = [:]
        for linted in target { if let card = linted.card { targetTexts[card.provider] = linted.text } }

        func key(_ p: PricePoint) -> String { p.model + "\u{0}" + String(p.effective) }

        for (provider, old) in baseByProvider.sorted(by: { $0.key < $1.key }) {
            guard let new = targetByProvider[provider] else {
                // The card is gone (or broken): every point is deleted, unless it is only broken.
                if brokenTargetPaths.contains(old.path) { continue }
                out.append(
                    Diagnostic(
                        path: old.path, rule: .ratecardRewrite,
                        message:
                            "rate card of \"\(provider)\" was deleted (\(old.points.count) price point\(old.points.count == 1 ? "" : "s") in \(baseLabel)): history is restated — keep the card and add new points instead"
                    ))
                continue
            }
            if baseTexts[provider] != targetTexts[provider] || old.path != new.path {
                changes += Self.changes(from: old, to: new)
                out += DroppedFields.findings(old: old, new: new)
            }
            var oldKeys = Set<String>()
            for p in old.points { oldKeys.insert(key(p)) }
            out += new.points.filter { !oldKeys.contains(key($0)) }.compactMap {
                backdated("price point \($0.id)", effective: $0.effective, effectiveText: $0.effectiveText, at: $0.location, now: now)
            }
            out += matchDiscounts(from: old, to: new).added.compactMap {
                backdated("discount \($0.id)", effective: $0.effective, effectiveText: $0.effectiveText, at: $0.location, now: now)
            }
        }
        return (out, changes)
    }

    /// `ratecard-backdated` for a new point or `[[discount]]` (`what`: `price
    /// point openai/gpt-4o@2026-10-01`, `discount acme discount 15% from
    /// 2026-01-01`) that takes effect more than ``backdateGrace`` before `now`;
    /// nil otherwise.
    static func backdated(_ what: String, effective: Int64, effectiveText: String, at location: SourceLocation, now: Int64) -> Diagnostic? {
        guard effective < now - backdateGrace else { return nil }
        let days = (now - effective) / Timestamp.millisPerDay
        return Diagnostic(
            path: location.path, line: location.line, rule: .ratecardBackdated,
            message:
                "new \(what) takes effect \(days) days before today (\(Timestamp.dateString(days: Timestamp.day(ofMillis: now)))): events already recorded since \(effectiveText) will price differently than when they were appended"
        )
    }

    /// What changed between two versions of a point, or nil when they price alike.
    /// A `cache_write_1h` rate added where the old version had none is not a
    /// change: the field is newer than the points, and no recorded event can
    /// have been priced with a rate that was not there (it was `no-price`).
    static func difference(_ a: PricePoint, _ b: PricePoint) -> String? {
        let b = b.withoutOneHourWritesAdded(since: a)
        var changes: [String] = []
        func rates(_ prefix: String, _ x: TokenRates, _ y: TokenRates) {
            for (fx, fy) in zip(x.fields, y.fields) where fx.value != fy.value {
                changes.append("\(prefix)\(fx.name) \(fx.value.map { "\($0)" } ?? "unset") → \(fy.value.map { "\($0)" } ?? "unset")")
            }
        }
        rates("", a.rates, b.rates)
        rates("batch_", a.batchRates, b.batchRates)
        if a.batchDiscount != b.batchDiscount {
            changes.append("batch_discount \(a.batchDiscount.map { "\($0)" } ?? "unset") → \(b.batchDiscount.map { "\($0)" } ?? "unset")")
        }
        if a.tiers != b.tiers { changes.append("tiers") }
        if a.toolCallFees != b.toolCallFees { changes.append("tool_calls") }
        if a.serviceTiers != b.serviceTiers { changes.append("service_tiers") }
        return changes.isEmpty ? nil : changes.joined(separator: ", ")
    }
}

extension TokenRates {
    /// These rates without a `cache_write_1h` that `old` did not have.
    func withoutOneHourWritesAdded(since old: TokenRates) -> TokenRates {
        var rates = self
        if old.cacheWrite1h == nil { rates.cacheWrite1h = nil }
        return rates
    }
}

extension PriceTier {
    func withoutOneHourWritesAdded(since old: PriceTier) -> PriceTier {
        var tier = self
        tier.rates = rates.withoutOneHourWritesAdded(since: old.rates)
        tier.batchRates = batchRates.withoutOneHourWritesAdded(since: old.batchRates)
        return tier
    }
}

extension PricePoint {
    /// This point without the `cache_write_1h` rates `old` did not have, in
    /// every rate set: base, batch, long-context tiers and service tiers.
    func withoutOneHourWritesAdded(since old: PricePoint) -> PricePoint {
        func tiers(_ new: [PriceTier], _ old: [PriceTier]) -> [PriceTier] {
            new.count == old.count ? zip(new, old).map { $0.withoutOneHourWritesAdded(since: $1) } : new
        }
        var point = self
        point.rates = rates.withoutOneHourWritesAdded(since: old.rates)
        point.batchRates = batchRates.withoutOneHourWritesAdded(since: old.batchRates)
        point.tiers = tiers(self.tiers, old.tiers)
        for (name, var serviceTier) in serviceTiers {
            guard let before = old.serviceTiers[name] else { continue }
            serviceTier.rates = serviceTier.rates.withoutOneHourWritesAdded(since: before.rates)
            serviceTier.batchRates = serviceTier.batchRates.withoutOneHourWritesAdded(since: before.batchRates)
            serviceTier.tiers = tiers(serviceTier.tiers, before.tiers)
            point.serviceTiers[name] = serviceTier
        }
        return point
    }
}
