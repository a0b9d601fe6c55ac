/// The registry of findings: every stable rule id `spend` reports
/// (`error[overflow]`, `warning[input-limit]` …), with its default severity,
/// a one-line summary and the page that documents it.
///
/// Every place that raises a finding names one of these cases
/// (`Diagnostic(path: p, rule: .overflow, message: m)`), so an id cannot be
/// misspelt or left undocumented: `RuleRegistryTests` holds this list against
/// the rule tables of docs/lint.md, both ways. To add a rule, add a case and
/// its ``definition``, then a row to the table its ``Section`` names.
public enum Rule: String, CaseIterable, Sendable, Hashable, CustomStringConvertible {
    // Events (ledger/**/*.jsonl).
    case json
    case schema
    case overflow
    case timestamp
    case tagRequired = "tag-required"
    case tagAllowed = "tag-allowed"
    case tagPattern = "tag-pattern"
    case modelDenied = "model-denied"
    case inputLimit = "input-limit"
    case unknownModel = "unknown-model"
    case noPrice = "no-price"
    case duplicateId = "duplicate-id"
    case wrongShard = "wrong-shard"
    case shardName = "shard-name"
    case tornLine = "torn-line"
    case appendOnly = "append-only"
    // Files (ledger/, ratecards/).
    case symlink
    case specialFile = "special-file"
    // Rate cards (ratecards/*.toml).
    case toml
    case ratecard
    case ratecardNegative = "ratecard-negative"
    case ratecardPrecision = "ratecard-precision"
    case ratecardTiers = "ratecard-tiers"
    case ratecardDuplicate = "ratecard-duplicate"
    case ratecardAlias = "ratecard-alias"
    case ratecardAliasOverlap = "ratecard-alias-overlap"
    case ratecardAliasShadow = "ratecard-alias-shadow"
    case ratecardRewrite = "ratecard-rewrite"
    case ratecardBackdated = "ratecard-backdated"
    case ratecardDiscount = "ratecard-discount"
    case ratecardDiscountOverlap = "ratecard-discount-overlap"
    // Policy (spend.toml).
    case policy
    // Raised by other verbs (append, report …).
    case response
    case tornShard = "torn-shard"
    case io
    case litellm
    case ratecardSync = "ratecard-sync"
    case cardsKnown = "cards-known"
    case ratecardDroppedField = "ratecard-dropped-field"
    case importRecord = "import"
    // Events, added later (listed here so concurrent additions merge at the end).
    case futureTs = "future-ts"
    case tagMissing = "tag-missing"
    case correctionTarget = "correction-target"
    case correctionTwice = "correction-twice"
    case correctionReason = "correction-reason"

    /// The stable id printed in findings and JSON: `tag-required`.
    public var id: String { rawValue }

    /// The id, so that `"\(rule)"` reads like the output.
    public var description: String { rawValue }

    /// The severity a finding of this rule has (no rule is raised at two).
    public var severity: Diagnostic.Severity { definition.severity }

    /// When the rule fires, in one line (the "when" column of its table).
    public var summary: String { definition.summary }

    /// Where the rule is documented: `docs/lint.md#events-ledgerjsonl`.
    public var documentation: String { definition.section.documentation }

    /// The table of docs/lint.md that lists a rule (one `###` heading each).
    public enum Section: String, CaseIterable, Sendable {
        case events = "Events (`ledger/**/*.jsonl`)"
        case files = "Files (`ledger/`, `ratecards/`; working tree)"
        case rateCards = "Rate cards (`ratecards/*.toml`)"
        case policy = "Policy (`spend.toml`)"
        case otherVerbs = "Raised by other verbs"

        /// The heading's text in docs/lint.md.
        public var heading: String { rawValue }

        /// The heading's anchor as GitHub renders it: lower case, spaces to
        /// `-`, punctuation other than `-` and `_` dropped.
        public var anchor: String {
            String(
                heading.lowercased().compactMap { c -> Character? in
                    if c == " " { return "-" }
                    return c.isLetter || c.isNumber || c == "-" || c == "_" ? c : nil
                })
        }

        /// `docs/lint.md#` and the anchor.
        public var documentation: String { "docs/lint.md#" + anchor }
    }

    /// What the registry records about one rule.
    public struct Definition: Sendable {
        public var severity: Diagnostic.Severity
        public var section: Section
        public var summary: String
    }

    /// The registry's row for this rule (one place, read like a table).
    public var definition: Definition {
        switch self {
        case .json:
            Definition(.error, .events, "not one JSON object per line, a key twice, invalid UTF-8 or a BOM")
        case .schema:
            Definition(.error, .events, "valid JSON of the wrong type, out of range, or a missing key")
        case .overflow:
            Definition(.error, .events, "a count above 10^15, a cost with more than 18 digits, or a sum that does not fit")
        case .timestamp:
            Definition(.error, .events, "ts is not RFC 3339, or its UTC year is outside 0001–9999")
        case .tagRequired:
            Definition(.error, .events, "a required tag is missing or empty")
        case .tagAllowed:
            Definition(.error, .events, "a tag value is not one of the allowed values")
        case .tagPattern:
            Definition(.error, .events, "a tag value does not match its pattern")
        case .modelDenied:
            Definition(.error, .events, "the resolved model is denied for the event's env")
        case .inputLimit:
            Definition(.warning, .events, "input tokens per request above max_input_tokens")
        case .unknownModel:
            Definition(.error, .events, "no rate card for the provider, or the model matches no price or alias")
        case .noPrice:
            Definition(.error, .events, "no price point in effect, or a token kind, tier, batch or tool it does not price")
        case .duplicateId:
            Definition(.error, .events, "an id already in the ledger")
        case .wrongShard:
            Definition(.error, .events, "the event's UTC month is not the shard's")
        case .shardName:
            Definition(.error, .events, "a .jsonl under ledger/ not named ledger/YYYY/YYYY-MM.jsonl")
        case .tornLine:
            Definition(.error, .events, "the shard's last byte is not a newline")
        case .appendOnly:
            Definition(.error, .events, "a line of the base was edited, deleted, reordered or inserted, or a shard deleted")
        case .symlink:
            Definition(.error, .files, "a symbolic link under ledger/ or in ratecards/")
        case .specialFile:
            Definition(.error, .files, "a FIFO, socket, device or directory where a regular file belongs, or the reverse")
        case .toml:
            Definition(.error, .rateCards, "not valid TOML, a NUL byte, invalid UTF-8 or U+FFFD")
        case .ratecard:
            Definition(.error, .rateCards, "unknown key, wrong type, missing price, bad batch_discount or effective, two cards for one provider")
        case .ratecardNegative:
            Definition(.error, .rateCards, "a negative price")
        case .ratecardPrecision:
            Definition(.error, .rateCards, "a price or batch_discount that needs more than 12 decimal places, or a price not below 1,000,000")
        case .ratecardTiers:
            Definition(.error, .rateCards, "tiers out of order, or more than 128")
        case .ratecardDuplicate:
            Definition(.error, .rateCards, "two points with the same model and effective date")
        case .ratecardAlias:
            Definition(.error, .rateCards, "an alias that points nowhere, loops, or starts a chain of more than 64")
        case .ratecardAliasOverlap:
            Definition(.error, .rateCards, "a glob alias claims a name that another model claims")
        case .ratecardAliasShadow:
            Definition(.warning, .rateCards, "with --litellm: a glob alias claims a model LiteLLM prices differently")
        case .ratecardRewrite:
            Definition(.error, .rateCards, "a price point, [[discount]] or card of the base was edited or deleted where it prices recorded events")
        case .ratecardBackdated:
            Definition(.warning, .rateCards, "a new point takes effect more than 7 days before today")
        case .ratecardDiscount:
            Definition(.error, .rateCards, "a [[discount]] with an unknown key, a missing or bad field, until not after effective, or a glob matching no priced model")
        case .ratecardDiscountOverlap:
            Definition(.error, .rateCards, "two [[discount]]s cover one model at one instant")
        case .policy:
            Definition(.error, .policy, "unknown key, wrong type, invalid pattern or path glob in spend.toml")
        case .response:
            Definition(
                .error, .otherVerbs,
                "append's provider bodies and batch files: not JSON, another kind of body, an error or failed batch line, "
                    + "unpriced audio, or no usage, model or valid time")
        case .tornShard:
            Definition(.error, .otherVerbs, "append: the shard's last line has no newline (an interrupted writer); nothing is written")
        case .io:
            Definition(.error, .otherVerbs, "a shard or rate card that was listed cannot be read")
        case .litellm:
            Definition(.error, .otherVerbs, "cards check, cards sync: the LiteLLM price map is not valid JSON")
        case .ratecardSync:
            Definition(.error, .otherVerbs, "cards sync: the effective date is not after a changed model's latest point")
        case .cardsKnown:
            Definition(.error, .otherVerbs, "cards check --known: a known-differences entry without a model or reason, or with an unknown key or field")
        case .ratecardDroppedField:
            Definition(.warning, .rateCards, "a new point drops a rate, batch price, tier, tool fee or service tier its model's previous point had")
        case .importRecord:
            Definition(.error, .otherVerbs, "import: a source record that cannot become an event (a missing, negative or malformed field), or a file that is not the source's format")
        case .futureTs:
            Definition(.warning, .events, "ts more than a day after the time of the check (a clock or time-zone mistake)")
        case .tagMissing:
            Definition(.warning, .events, "a required tag is missing or empty where missing_tags = \"warn\": accepted as unattributed")
        case .correctionTarget:
            Definition(.error, .events, "a correction's `corrects` names no event of the ledger")
        case .correctionTwice:
            Definition(.error, .events, "an id is corrected by a second correction (correct the correction instead)")
        case .correctionReason:
            Definition(.error, .events, "a void without a `reason` (or with an empty one)")
        }
    }
}

extension Rule.Definition {
    init(_ severity: Diagnostic.Severity, _ section: Rule.Section, _ summary: String) {
        self.init(severity: severity, section: section, summary: summary)
    }
}
