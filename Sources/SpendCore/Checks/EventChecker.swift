import Foundation

/// A finding about a scanned event, by byte offset (turned into
/// `path:line:col` by the caller).
public struct EventFinding: Sendable {
    public var offset: Int
    public var severity: Diagnostic.Severity
    public var rule: Rule
    public var message: String

    /// A finding of `rule` at `offset`, with the rule's severity.
    public init(offset: Int, rule: Rule, message: String) {
        self.offset = offset
        self.severity = rule.severity
        self.rule = rule
        self.message = message
    }
}

/// Judges scanned events: the tagging policy (required, allowed and pattern
/// tags, per-environment rules and denied models, token limits) and
/// priceability. `spend append` and `spend lint` both use it, so the rules
/// are the same code. One per thread.
public struct EventChecker {
    public let policy: Policy
    public var pricer: EventPricer
    public var interner: StringInterner
    private let envKey = Array("env".utf8)
    private var patterns: [String: NSRegularExpression] = [:]
    private var patternResults: [String: Bool] = [:]
    private var denyGlobs: [String: [Glob]] = [:]
    /// The time of the check (ms): an event more than a day after it is
    /// `future-ts`. Nil: not checked.
    public var now: Int64?

    public init(policy: Policy, book: PriceBook, now: Int64? = nil) {
        self.policy = policy
        self.now = now
        var interner = StringInterner()
        self.pricer = EventPricer(book: book, interner: &interner)
        self.interner = interner
        for (name, rule) in policy.tags {
            if let p = rule.pattern, let regex = try? NSRegularExpression(pattern: p) { patterns[name] = regex }
        }
        for (env, rule) in policy.environments { denyGlobs[env] = rule.denyModels.map { Glob($0) } }
    }

    /// The value span of a tag, or nil.
    func tag(_ name: String, _ e: EventRecord, _ scanner: LedgerScanner) -> ByteSpan? {
        var name = name  // native strings give their UTF-8 without a copy
        return name.withUTF8 { bytes in
            for k in e.tags {
                let key = scanner.tags[k].key
                if key.escaped {
                    if scanner.string(key) == String(decoding: bytes, as: UTF8.self) { return scanner.tags[k].value }
                } else if key.count == bytes.count && (bytes.isEmpty || bytesEqual(scanner.base + key.start, bytes.baseAddress!, bytes.count)) {
                    return scanner.tags[k].value
                }
            }
            return nil
        }
    }

    /// Checks one event, appending findings; returns how it is priced when it is.
    @discardableResult
    public mutating func check(_ e: EventRecord, scanner: LedgerScanner, into findings: inout [EventFinding]) -> PricedEvent? {
        if e.correction == .void {
            // A void records no usage: no policy or price applies, only its reason.
            if e.reason.count == 0 {
                findings.append(
                    EventFinding(offset: e.lineStart, rule: .correctionReason, message: "a void needs a reason: say why the event does not count"))
            }
            return nil
        }
        let envSpan = tag("env", e, scanner)
        let env = envSpan.flatMap { scanner.string($0) }
        let warnOnly = policy.missingTags(env: env) == .warn
        for name in policy.requiredTags(env: env) {
            let value = tag(name, e, scanner)
            if value == nil || value!.count == 0 {
                let scope = policy.requiredTags.contains(name) ? "" : " (required for env \"\(env ?? "")\")"
                let what = value == nil ? "missing tag \"\(name)\"\(scope)" : "tag \"\(name)\" is empty\(scope)"
                findings.append(
                    warnOnly
                        ? EventFinding(offset: e.tagsOffset, rule: .tagMissing, message: what + ": accepted as unattributed (missing_tags = \"warn\")")
                        : EventFinding(offset: e.tagsOffset, rule: .tagRequired, message: what))
            }
        }
        for (name, rule) in policy.tags {
            guard let span = tag(name, e, scanner), span.count > 0, let value = scanner.string(span) else { continue }
            if let allowed = rule.allowed, !allowed.contains(value) {
                findings.append(
                    EventFinding(
                        offset: span.start - 1, rule: .tagAllowed,
                        message: "tag \"\(name)\" is \"\(value)\", not one of: \(allowed.joined(separator: ", "))"))
            }
            if let regex = patterns[name] {
                let key = name + "\u{0}" + value
                let ok: Bool
                if let known = patternResults[key] {
                    ok = known
                } else {
                    let range = NSRange(value.startIndex..., in: value)
                    ok = regex.firstMatch(in: value, options: [.anchored], range: range).map { $0.range == range } ?? false
                    patternResults[key] = ok
                }
                if !ok {
                    findings.append(
                        EventFinding(
                            offset: span.start - 1, rule: .tagPattern,
                            message: "tag \"\(name)\" value \"\(value)\" does not match \(rule.pattern!)"))
                }
            }
        }
        if let now, e.ts > now, e.ts - now > Timestamp.millisPerDay {
            findings.append(
                EventFinding(
                    offset: e.lineStart, rule: .futureTs,
                    message:
                        "ts \(Timestamp.format(millis: e.ts)) is more than a day in the future (now \(Timestamp.format(millis: now))): a wrong clock or time zone?"
                ))
        }
        if let limit = policy.maxInputTokens, TokenCounts.exceeds(e.promptTokens, threshold: limit, requests: e.requests) {
            findings.append(
                EventFinding(
                    offset: e.lineStart, rule: .inputLimit,
                    message: "\(e.promptTokens / max(e.requests, 1)) input tokens per request exceed max_input_tokens \(limit)"))
        }
        switch pricer.price(e, scanner: scanner, interner: &interner) {
        case .failure(let failure):
            findings.append(EventFinding(offset: failure.offset, rule: failure.error.rule, message: failure.error.message))
            return nil
        case .success(let priced):
            if let env, let globs = denyGlobs[env], !globs.isEmpty {
                let resolved = pricer.book.models[Int(priced.model)].name
                if let glob = globs.first(where: { $0.matches(resolved) }) {
                    findings.append(
                        EventFinding(
                            offset: e.model.start - 1, rule: .modelDenied,
                            message: "model \"\(resolved)\" is denied for env \"\(env)\" (deny_models \"\(glob.pattern)\")"))
                }
            }
            return priced
        }
    }
}
