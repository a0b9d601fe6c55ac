import SpendBase
import SpendFormats

/// Reads `ratecards/*.toml` into `RateCard`s, strictly: unknown keys, wrong
/// types, negative prices, unordered tiers and two points with the same model
/// and effective date are errors naming file and line.
public enum RateCardParser {
    static let pointKeys: Set<String> = [
        "model", "effective", "input", "cached_input", "cache_write", "cache_write_1h", "output", "batch_discount",
        "batch_input", "batch_cached_input", "batch_cache_write", "batch_cache_write_1h", "batch_output", "tool_calls", "tiers",
        "service_tiers",
    ]
    /// Decimal places a rate, fee or `batch_discount` may have, and a rate
    /// after its batch discount: with them, and counts within the ledger's
    /// limits, every cost is exact within ExactDecimal's 38 digits.
    public static let maxDecimals = 12
    /// Every rate (USD per 1M tokens) and tool-call fee (USD per 1,000 calls) is below this.
    public static let rateLimit = ExactDecimal(1_000_000)

    static let discountKeys: Set<String> = ["effective", "until", "percent", "models"]

    static let batchRateKeys: Set<String> = ["batch_input", "batch_cached_input", "batch_cache_write", "batch_cache_write_1h", "batch_output"]
    static let tierKeys: Set<String> = batchRateKeys.union(["above_input_tokens", "input", "cached_input", "cache_write", "cache_write_1h", "output"])
    static let serviceTierKeys: Set<String> = batchRateKeys.union(["input", "cached_input", "cache_write", "cache_write_1h", "output", "tiers"])

    /// `; did you mean output?` for an unknown key near one of `known`, else "".
    static func hint(_ key: String, _ known: some Sequence<String>) -> String {
        Suggestions.didYouMean(key, in: known).map { "; \($0)" } ?? ""
    }

    /// Parses one card. `path` is used in messages.
    public static func parse(_ text: String, path: String, blobId: String? = nil) throws(DiagnosticsError) -> RateCard {
        let table = try TOMLDocument.parse(text, path: path)
        var context = Context(path: path, lines: text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init))
        let card = context.card(from: table, blobId: blobId)
        if !context.diagnostics.isEmpty { throw DiagnosticsError(context.diagnostics) }
        return card
    }

    private struct Context {
        let path: String
        let lines: [String]
        var diagnostics: [Diagnostic] = []

        init(path: String, lines: [String]) {
            self.path = path
            self.lines = lines
        }

        mutating func error(_ line: Int?, _ rule: Rule, _ message: String) {
            diagnostics.append(
                Diagnostic(path: path, line: line, rule: rule, message: message, sourceLine: line.flatMap { lineText($0) }))
        }

        func lineText(_ line: Int) -> String? {
            line >= 1 && line <= lines.count ? lines[line - 1] : nil
        }

        /// Line numbers of `[[price]]` headers, in order.
        var priceHeaderLines: [Int] { headerLines("[[price]]") }

        /// Line numbers of the headers `header` (`[[price]]`, `[[discount]]`), in order.
        func headerLines(_ header: String) -> [Int] {
            lines.enumerated().compactMap { index, line in
                // The header, spaces allowed anywhere (rare: only then is a compact copy made).
                let trimmed = line.utf8.drop { $0 == 32 || $0 == 9 }
                guard trimmed.starts(with: "[[".utf8) else { return nil }
                if trimmed.starts(with: header.utf8) { return index + 1 }
                let compact = line.filter { $0 != " " && $0 != "\t" }
                return compact.hasPrefix(header) ? index + 1 : nil
            }
        }

        /// Lines of the keys assigned before the first `[[price]]` (quoted or bare), by key.
        var topKeyLines: [String: Int] {
            var found: [String: Int] = [:]
            for (index, line) in lines.enumerated() {
                let trimmed = line.drop { $0 == " " || $0 == "\t" }
                if trimmed.hasPrefix("[[") { break }
                let key: Substring
                if trimmed.first == "\"" {
                    guard let close = trimmed.dropFirst().firstIndex(of: "\"") else { continue }
                    key = trimmed[trimmed.index(after: trimmed.startIndex)..<close]
                } else {
                    guard let end = trimmed.firstIndex(where: { $0 == " " || $0 == "=" }) else { continue }
                    key = trimmed[..<end]
                }
                if !key.isEmpty && found[String(key)] == nil { found[String(key)] = index + 1 }
            }
            return found
        }

        /// The first line at or after `from` that assigns `key`.
        func line(ofKey key: String, from: Int?) -> Int? {
            let start = max(1, from ?? 1)
            guard start <= lines.count else { return from }
            for index in (start - 1)..<lines.count {
                let trimmed = lines[index].drop { $0 == " " || $0 == "\t" }
                if trimmed.hasPrefix(key + " ") || trimmed.hasPrefix(key + "=") || trimmed.hasPrefix("\"\(key)\"") {
                    return index + 1
                }
                if index + 1 > start && trimmed.hasPrefix("[[") { break }  // the next block (not a comment mentioning one)
            }
            return from
        }

        mutating func card(from table: TOMLTable, blobId: String?) -> RateCard {
            let cardKeys = ["provider", "currency", "aliases", "price", "discount"]
            for key in table.keys where !cardKeys.contains(key) {
                error(
                    line(ofKey: key, from: 1), .ratecard,
                    "unknown key \"\(key)\" (expected provider, currency, [aliases], [[price]], [[discount]])" + RateCardParser.hint(key, cardKeys))
            }
            var provider = ""
            if let p = table["provider"]?.string, !p.isEmpty {
                provider = p
            } else {
                error(line(ofKey: "provider", from: 1), .ratecard, "missing or empty string \"provider\"")
            }
            let currency = table["currency"]?.string ?? "USD"
            if currency != "USD" {
                error(line(ofKey: "currency", from: 1), .ratecard, "currency \"\(currency)\" is not supported (prices are USD)")
            }
            var aliases: [ModelAlias] = []
            if let aliasValue = table["aliases"] {
                if let aliasTable = aliasValue.table {
                    let keyLines = topKeyLines
                    for key in aliasTable.keys {
                        let line = keyLines[key] ?? self.line(ofKey: key, from: 1)
                        guard let target = aliasTable[key]?.string, !target.isEmpty else {
                            error(line, .ratecard, "alias \"\(key)\" must map to a model name string")
                            continue
                        }
                        aliases.append(ModelAlias(pattern: key, target: target, line: line ?? 0))
                    }
                } else {
                    error(line(ofKey: "aliases", from: 1), .ratecard, "aliases must be a table")
                }
            }
            var points: [PricePoint] = []
            let headers = priceHeaderLines
            if let priceValue = table["price"] {
                if let array = priceValue.array {
                    for (index, value) in array.enumerated() {
                        let line = index < headers.count ? headers[index] : nil
                        guard let pointTable = value.table else {
                            error(line, .ratecard, "each [[price]] must be a table")
                            continue
                        }
                        if let point = self.point(pointTable, provider: provider, line: line) { points.append(point) }
                    }
                } else {
                    error(line(ofKey: "price", from: 1), .ratecard, "price must be an array of tables: write [[price]]")
                }
            }
            var seen: [String: PricePoint] = [:]
            for point in points {
                let key = point.model + "\u{0}" + String(point.effective)
                if let first = seen[key] {
                    error(
                        point.location.line, .ratecardDuplicate,
                        "two price points for \"\(point.model)\" effective \(point.effectiveText) (the other is at line \(first.location.line)); a price change is a new point with a later effective date"
                    )
                } else {
                    seen[key] = point
                }
            }
            let discounts = self.discounts(table["discount"], provider: provider, points: points)
            return RateCard(
                provider: provider, currency: currency, path: path, blobId: blobId, aliases: aliases, points: points, discounts: discounts)
        }

        mutating func point(_ t: TOMLTable, provider: String, line: Int?) -> PricePoint? {
            let before = diagnostics.count
            for key in t.keys where !RateCardParser.pointKeys.contains(key) {
                error(self.line(ofKey: key, from: line), .ratecard, "unknown key \"\(key)\" in [[price]]" + RateCardParser.hint(key, RateCardParser.pointKeys))
            }
            guard let model = t["model"]?.string, !model.isEmpty else {
                error(line, .ratecard, "[[price]] needs a model name: model = \"…\"")
                return nil
            }
            let what = "\"\(model)\""
            var effective: Int64 = 0
            var effectiveText = ""
            if let value = t["effective"] {
                if let instant = self.instant(value, key: "effective", line: line, what: what) { (effective, effectiveText) = instant }
            } else {
                error(line, .ratecard, "[[price]] \(what) needs an effective date")
            }
            let rates = self.rates(t, prefix: "", line: line, what: what, requireInputOutput: true)
            let batchRates = self.rates(t, prefix: "batch_", line: line, what: what, requireInputOutput: false)
            let batchDiscount = decimal(t, "batch_discount", line: line, what: what)
            if let d = batchDiscount, d.isZero || d > 1 {
                error(self.line(ofKey: "batch_discount", from: line), .ratecard, "batch_discount of \(what) must be a multiplier in (0, 1], e.g. 0.5")
            }
            let tiers = self.tiers(t["tiers"], line: line, what: what)
            var toolFees: [String: ExactDecimal] = [:]
            if let value = t["tool_calls"] {
                if let table = value.table {
                    for key in table.keys {
                        if let fee = decimal(table, key, line: line, what: "\(what) tool_calls") { toolFees[key] = fee }
                    }
                } else {
                    error(self.line(ofKey: "tool_calls", from: line), .ratecard, "tool_calls of \(what) must be a table of USD per 1,000 calls")
                }
            }
            var serviceTiers: [String: ServiceTierPrice] = [:]
            if let value = t["service_tiers"] {
                if let table = value.table {
                    for name in table.keys {
                        guard let tierTable = table[name]?.table else {
                            error(self.line(ofKey: "service_tiers", from: line), .ratecard, "service tier \"\(name)\" of \(what) must be a table")
                            continue
                        }
                        for key in tierTable.keys where !RateCardParser.serviceTierKeys.contains(key) {
                            error(
                                self.line(ofKey: "service_tiers", from: line), .ratecard,
                                "unknown key \"\(key)\" in service tier \"\(name)\" of \(what)" + RateCardParser.hint(key, RateCardParser.serviceTierKeys))
                        }
                        let tierWhat = "\(what) service tier \"\(name)\""
                        let tierRates = self.rates(tierTable, prefix: "", line: line, what: tierWhat, requireInputOutput: true)
                        let tierBatchRates = self.rates(tierTable, prefix: "batch_", line: line, what: tierWhat, requireInputOutput: false)
                        serviceTiers[name] = ServiceTierPrice(
                            rates: tierRates, tiers: self.tiers(tierTable["tiers"], line: line, what: what), batchRates: tierBatchRates)
                    }
                } else {
                    error(self.line(ofKey: "service_tiers", from: line), .ratecard, "service_tiers of \(what) must be a table")
                }
            }
            if let discount = batchDiscount {
                checkDiscounted(rates: rates, tiers: tiers, serviceTiers: serviceTiers, by: discount, line: line, what: what)
            }
            guard diagnostics.count == before else { return nil }
            return PricePoint(
                provider: provider, model: model, effective: effective, effectiveText: effectiveText, rates: rates,
                tiers: tiers, batchDiscount: batchDiscount, batchRates: batchRates, toolCallFees: toolFees,
                serviceTiers: serviceTiers, location: SourceLocation(path: path, line: line ?? 0))
        }

        /// Reads a date (`2024-10-01`, midnight UTC) or an RFC 3339 datetime, as
        /// milliseconds since the epoch and its text; nil after an error at `key`.
        mutating func instant(_ value: TOMLValue, key: String, line: Int?, what: String) -> (Int64, String)? {
            var millis: Int64
            var text: String
            if let date = value.date {
                millis = Timestamp.daysFromCivil(year: Int64(date.year), month: Int64(date.month), day: Int64(date.day)) * Timestamp.millisPerDay
                text = Timestamp.dateString(days: millis / Timestamp.millisPerDay)
            } else if let dateTime = value.dateTime {
                let d = dateTime.date
                let t = dateTime.time
                let days = Timestamp.daysFromCivil(year: Int64(d.year), month: Int64(d.month), day: Int64(d.day))
                let offsetMinutes = Int64(dateTime.offsetMinutes ?? 0)
                millis = ((days * 24 + Int64(t.hour)) * 60 + Int64(t.minute) - offsetMinutes) * 60_000 + Int64(t.second) * 1000
                    + Int64(t.nanoSecond / 1_000_000)
                text = Timestamp.format(millis: millis)
            } else if let s = value.string, let ms = Timestamp.parseDateOrTimestamp(s) {
                millis = ms
                text = s
            } else {
                error(self.line(ofKey: key, from: line), .ratecard, "\(key) of \(what) must be a date (2024-10-01) or an RFC 3339 datetime")
                return nil
            }
            if !Timestamp.supported.contains(millis) {
                error(self.line(ofKey: key, from: line), .ratecard, "\(key) of \(what) must be in the years 0001–9999 (UTC)")
                return nil
            }
            return (millis, text)
        }

        /// Reads the `[[discount]]` blocks: each checked field by field, then
        /// against the card's points (its globs must match a priced model;
        /// every rate it discounts must stay within `maxDecimals` places) and
        /// against each other (two discounts never cover one model at one instant).
        mutating func discounts(_ value: TOMLValue?, provider: String, points: [PricePoint]) -> [ContractDiscount] {
            guard let value else { return [] }
            guard let array = value.array else {
                error(line(ofKey: "discount", from: 1), .ratecard, "discount must be an array of tables: write [[discount]]")
                return []
            }
            let headers = headerLines("[[discount]]")
            var discounts: [ContractDiscount] = []
            for (index, element) in array.enumerated() {
                let line = index < headers.count ? headers[index] : nil
                guard let t = element.table else {
                    error(line, .ratecardDiscount, "each [[discount]] must be a table")
                    continue
                }
                if let discount = self.discount(t, provider: provider, points: points, line: line) { discounts.append(discount) }
            }
            let models = Set(points.map(\.model)).sorted()
            for (k, b) in discounts.enumerated() {
                for a in discounts[..<k] where a.effective < (b.until ?? Int64.max) && b.effective < (a.until ?? Int64.max) {
                    guard let model = models.first(where: { a.applies(toModel: $0) && b.applies(toModel: $0) }) else { continue }
                    error(
                        b.location.line, .ratecardDiscountOverlap,
                        "discounts \(b.id) and \(a.id) (line \(a.location.line)) both cover \"\(model)\" from \(Timestamp.format(millis: max(a.effective, b.effective))); end one (until) before the other starts, or write one discount with the combined percent")
                    break
                }
            }
            return discounts
        }

        mutating func discount(_ t: TOMLTable, provider: String, points: [PricePoint], line: Int?) -> ContractDiscount? {
            let before = diagnostics.count
            for key in t.keys where !RateCardParser.discountKeys.contains(key) {
                error(
                    self.line(ofKey: key, from: line), .ratecardDiscount,
                    "unknown key \"\(key)\" in [[discount]] (expected effective, until, percent, models)" + RateCardParser.hint(key, RateCardParser.discountKeys))
            }
            let what = "[[discount]]"
            var effective: (Int64, String)?
            if let value = t["effective"] {
                effective = instant(value, key: "effective", line: line, what: what)
            } else {
                error(line, .ratecardDiscount, "[[discount]] needs an effective date")
            }
            let until = t["until"].flatMap { instant($0, key: "until", line: line, what: what) }
            if let (from, fromText) = effective, let (end, endText) = until, end <= from {
                error(
                    self.line(ofKey: "until", from: line), .ratecardDiscount,
                    "until \(endText) of [[discount]] is not after its effective \(fromText) (until is exclusive)")
            }
            var percent: ExactDecimal?
            if t["percent"] == nil {
                error(line, .ratecardDiscount, "[[discount]] needs a percent, e.g. percent = \"15\"")
            } else if let p = decimal(t, "percent", line: line, what: what) {
                if p > ExactDecimal(100) {
                    error(self.line(ofKey: "percent", from: line), .ratecardDiscount, "percent of [[discount]] is \(p); it must be between 0 and 100")
                } else {
                    percent = p.normalized()
                }
            }
            var models: [String] = []
            if let value = t["models"] {
                let names = value.array?.compactMap { $0.string } ?? []
                if value.array == nil || names.count != value.array!.count || names.contains("") {
                    error(self.line(ofKey: "models", from: line), .ratecardDiscount, "models of [[discount]] must be an array of model names or globs")
                } else if names.isEmpty {
                    error(self.line(ofKey: "models", from: line), .ratecardDiscount, "models of [[discount]] is empty; name the models it covers (globs allowed: \"gpt-4o*\")")
                } else {
                    models = names
                    for glob in names where !points.contains(where: { Glob(glob).matches($0.model) }) {
                        error(
                            self.line(ofKey: "models", from: line), .ratecardDiscount,
                            "models of [[discount]]: \"\(glob)\" matches no model priced in this card (globs match the model of a [[price]] point, not aliases)")
                    }
                }
            } else {
                error(line, .ratecardDiscount, "[[discount]] needs models = [\"…\"] (globs allowed: \"gpt-4o*\")")
            }
            guard diagnostics.count == before, let (from, fromText) = effective, let percent else { return nil }
            let discount = ContractDiscount(
                provider: provider, effective: from, effectiveText: fromText, until: until?.0, untilText: until?.1, percent: percent,
                models: models, location: SourceLocation(path: path, line: line ?? 0))
            checkDiscounted(by: discount, points: points, line: line)
            return diagnostics.count == before ? discount : nil
        }

        /// A contract-discounted rate must be as exact as a written one: every
        /// rate and fee the discount applies to (and its batch price), times
        /// `1 − percent/100`, within `maxDecimals` places.
        mutating func checkDiscounted(by discount: ContractDiscount, points: [PricePoint], line: Int?) {
            let multiplier = discount.multiplier
            for point in points where discount.applies(toModel: point.model) {
                var sets = [point.rates, point.batchRates] + point.tiers.flatMap { [$0.rates, $0.batchRates] }
                for name in point.serviceTiers.keys.sorted() {
                    let tier = point.serviceTiers[name]!
                    sets += [tier.rates, tier.batchRates] + tier.tiers.flatMap { [$0.rates, $0.batchRates] }
                }
                // Batch prices by batch_discount are within 12 places (checked above): discounted again, they must stay so.
                if let batch = point.batchDiscount { sets += sets.map { $0.scaled(by: batch) } }
                var values = sets.flatMap { $0.fields.compactMap { field in field.value.map { (field.name, $0) } } }
                values += point.toolCallFees.sorted { $0.key < $1.key }.map { ("tool_calls \"\($0.key)\"", $0.value) }
                for (name, rate) in values {
                    // rate < 10^6 with ≤ 12 places, multiplier ≤ 1 with ≤ 14: the product fits.
                    guard let product = try? rate.multiplied(by: multiplier), product.scale > RateCardParser.maxDecimals else { continue }
                    error(
                        self.line(ofKey: "percent", from: line), .ratecardPrecision,
                        "percent \(discount.percent) of [[discount]] makes \(name) of \(point.id) \(rate) × \(multiplier) = \(product), more than \(RateCardParser.maxDecimals) decimal places")
                    return
                }
            }
        }

        /// A batch-discounted rate must be as exact as a written one: at most
        /// `maxDecimals` places (`0.075 × 0.3333333333` is not).
        mutating func checkDiscounted(
            rates: TokenRates, tiers: [PriceTier], serviceTiers: [String: ServiceTierPrice], by discount: ExactDecimal, line: Int?, what: String
        ) {
            var all = [rates] + tiers.map(\.rates)
            for name in serviceTiers.keys.sorted() { all += [serviceTiers[name]!.rates] + serviceTiers[name]!.tiers.map(\.rates) }
            for set in all {
                for (name, rate) in set.fields {
                    // Both factors are bounded by `decimal` (12 places, below 10^6): the product fits.
                    guard let rate, let product = try? rate.multiplied(by: discount), product.scale > RateCardParser.maxDecimals else { continue }
                    error(
                        self.line(ofKey: "batch_discount", from: line), .ratecardPrecision,
                        "batch_discount \(discount) of \(what) makes \(name) \(rate) × \(discount) = \(product), more than \(RateCardParser.maxDecimals) decimal places")
                    return
                }
            }
        }

        mutating func tiers(_ value: TOMLValue?, line: Int?, what: String) -> [PriceTier] {
            guard let value else { return [] }
            guard let array = value.array else {
                error(self.line(ofKey: "tiers", from: line), .ratecard, "tiers of \(what) must be an array of tables")
                return []
            }
            var tiers: [PriceTier] = []
            for element in array {
                guard let t = element.table else {
                    error(self.line(ofKey: "tiers", from: line), .ratecard, "tiers of \(what) must be an array of tables")
                    continue
                }
                for key in t.keys where !RateCardParser.tierKeys.contains(key) {
                    error(self.line(ofKey: "tiers", from: line), .ratecard, "unknown key \"\(key)\" in a tier of \(what)" + RateCardParser.hint(key, RateCardParser.tierKeys))
                }
                guard let above = t["above_input_tokens"]?.int, above >= 0 else {
                    error(self.line(ofKey: "tiers", from: line), .ratecard, "each tier of \(what) needs above_input_tokens (a non-negative integer)")
                    continue
                }
                let tierWhat = "\(what) tier above \(above)"
                let rates = self.rates(t, prefix: "", line: line, what: tierWhat, requireInputOutput: true)
                let batchRates = self.rates(t, prefix: "batch_", line: line, what: tierWhat, requireInputOutput: false)
                tiers.append(PriceTier(aboveInputTokens: Int64(above), rates: rates, batchRates: batchRates))
            }
            for (a, b) in zip(tiers, tiers.dropFirst()) where b.aboveInputTokens <= a.aboveInputTokens {
                error(
                    self.line(ofKey: "tiers", from: line), .ratecardTiers,
                    "tiers of \(what) must be in increasing order of above_input_tokens (\(b.aboveInputTokens) follows \(a.aboveInputTokens))")
            }
            // A rate selection names its tier in 8 bits (`RateSelection.tier`: indices 0…127).
            if tiers.count > Int(Int8.max) + 1 {
                error(self.line(ofKey: "tiers", from: line), .ratecardTiers, "\(what) has \(tiers.count) tiers; at most \(Int(Int8.max) + 1)")
            }
            return tiers
        }

        mutating func rates(_ t: TOMLTable, prefix: String, line: Int?, what: String, requireInputOutput: Bool) -> TokenRates {
            var rates = TokenRates()
            rates.input = decimal(t, prefix + "input", line: line, what: what)
            rates.cachedInput = decimal(t, prefix + "cached_input", line: line, what: what)
            rates.cacheWrite = decimal(t, prefix + "cache_write", line: line, what: what)
            rates.cacheWrite1h = decimal(t, prefix + "cache_write_1h", line: line, what: what)
            rates.output = decimal(t, prefix + "output", line: line, what: what)
            if requireInputOutput {
                if t["input"] == nil { error(line, .ratecard, "\(what) needs an input price") }
                if t["output"] == nil { error(line, .ratecard, "\(what) needs an output price") }
            }
            return rates
        }

        /// Reads a price: a TOML integer, float or decimal string, as the exact decimal written.
        mutating func decimal(_ t: TOMLTable, _ key: String, line: Int?, what: String) -> ExactDecimal? {
            guard let value = t[key] else { return nil }
            // Only a finding needs the key's line: search for it then.
            var keyLine: Int? { self.line(ofKey: key, from: line) }
            let parsed: ExactDecimal?
            switch value.type {
            case .int: parsed = value.int.map { ExactDecimal($0) }
            // A TOML float is read from its text as written, exactly (never through binary floating point); inf and nan are not prices.
            case .float: parsed = value.floatLiteral.flatMap { ExactDecimal($0) }
            case .string: parsed = value.string.flatMap { ExactDecimal($0) }
            default: parsed = nil
            }
            guard let parsed else {
                error(keyLine, .ratecard, "\(key) of \(what) must be a number or a decimal string")
                return nil
            }
            if parsed.isNegative {
                error(keyLine, .ratecardNegative, "\(key) of \(what) is negative (\(parsed))")
                return nil
            }
            let places = parsed.normalized().scale
            if places > RateCardParser.maxDecimals {
                error(
                    keyLine, .ratecardPrecision,
                    "\(key) of \(what) has \(places) decimal places; spend carries prices exactly to at most \(RateCardParser.maxDecimals)")
                return nil
            }
            if parsed >= RateCardParser.rateLimit {
                error(keyLine, .ratecardPrecision, "\(key) of \(what) is \(parsed); prices must be below \(RateCardParser.rateLimit)")
                return nil
            }
            return parsed
        }
    }
}
