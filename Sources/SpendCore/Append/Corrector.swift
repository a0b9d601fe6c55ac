/// What a replace changes in the event it corrects (nil: kept).
public struct EventChanges: Sendable {
    /// Tags to set; a nil value removes the tag.
    public var tags: [String: String?] = [:]
    public var provider: String?
    public var model: String?
    public var inputTokens: Int64?
    public var outputTokens: Int64?
    public var cachedInputTokens: Int64?
    public var cacheWriteTokens: Int64?

    public init() {}

    /// True when the usage or its pricing changes (the cost is computed again).
    var changesUsage: Bool {
        provider != nil || model != nil || inputTokens != nil || outputTokens != nil || cachedInputTokens != nil || cacheWriteTokens != nil
    }

    var isEmpty: Bool { tags.isEmpty && !changesUsage }
}

/// A correction ready to write: the prepared event and what it corrects.
public struct PreparedCorrection: Sendable {
    public var event: PreparedEvent
    public var kind: CorrectionKind
    public var corrects: String
    /// Where the corrected event is.
    public var original: CorrectionSurvey.Place
}

/// Writes correction events (docs/FORMAT.md, "Corrections") through the
/// append path: each is checked against the ledger (`CorrectionRules`),
/// stamped (`ts`, a new `id`), checked like any appended event
/// (`EventChecker`: policy, priceability, a void's reason) and priced, then
/// written by `ShardWriter` under the lock. The corrected line is never
/// touched. All-or-nothing, like `append`.
public struct Corrector {
    public let appender: LedgerAppender

    public init(repository: CostRepository) throws(SpendError) {
        appender = try LedgerAppender(repository: repository)
    }

    /// Settings for corrections: `ts` stamps a void; nothing else is stamped
    /// from the calling code (a replace keeps the original's commit and release).
    public static func settings(now: Int64) -> AppendSettings {
        AppendSettings(now: now, code: CodeVersion(commit: nil, release: nil))
    }

    /// Voids of `ids`, each stamped now and written to the current month's shard.
    public func voids(_ ids: [String], reason: String, settings: AppendSettings) throws(SpendError) -> [PreparedCorrection] {
        let survey = try self.survey(ids)
        var problems: [Diagnostic] = []
        var seen: Set<String> = []
        for id in ids {
            if !seen.insert(id).inserted {
                problems.append(Self.origin.diagnostic(rule: .correctionTwice, message: "\(JSONString.quoted(id)) is given twice"))
            } else if let problem = CorrectionRules.problem(correcting: id, in: survey) {
                problems.append(Self.origin.diagnostic(rule: problem.rule, message: problem.message))
            }
        }
        if !problems.isEmpty { throw SpendError.input(problems) }
        var identifiers = EventIdentifier()
        let drafts = ids.map { id in
            EventDraft(
                event: LedgerEvent.void(ts: settings.now, id: identifiers.next(millis: settings.now), corrects: id, reason: reason),
                hasTimestamp: true, hasId: true, origin: Self.origin)
        }
        return try prepare(drafts, ids, .void, survey, settings)
    }

    /// A replace of `id`: the original's fields with `changes`, at the
    /// original's `ts` (so it lands in the original's shard and period). A
    /// re-tag keeps the recorded `cost` and `priced_with`; a change of model,
    /// provider or tokens prices the event again.
    public func replacement(of id: String, changes: EventChanges, reason: String?, settings: AppendSettings) throws(SpendError)
        -> [PreparedCorrection]
    {
        if changes.isEmpty { throw SpendError.usage("nothing to change: give a tag, a model, a provider or token counts") }
        let survey = try self.survey([id])
        if let problem = CorrectionRules.problem(correcting: id, in: survey, replacing: true) {
            throw SpendError.input([Self.origin.diagnostic(rule: problem.rule, message: problem.message)])
        }
        var event = survey.found[CorrectionSurvey.hash(id)]!.event!
        var identifiers = EventIdentifier()
        event.id = identifiers.next(millis: settings.now)
        event.corrects = id
        event.correction = .replace
        event.reason = reason
        for (key, value) in changes.tags { event.tags[key] = value }
        if changes.changesUsage {
            if let v = changes.provider { event.provider = v }
            if let v = changes.model { event.model = v }
            if let v = changes.inputTokens { event.inputTokens = v }
            if let v = changes.outputTokens { event.outputTokens = v }
            if let v = changes.cachedInputTokens { event.cachedInputTokens = v == 0 ? nil : v }
            if let v = changes.cacheWriteTokens { event.cacheWriteTokens = v == 0 ? nil : v }
            event.cost = nil
            event.pricedWith = nil
        }
        return try prepare([EventDraft(event: event, hasTimestamp: true, hasId: true, origin: Self.origin)], [id], .replace, survey, settings)
    }

    /// Writes prepared corrections (see `LedgerAppender.write`).
    public func write(_ corrections: [PreparedCorrection], settings: AppendSettings, dryRun: Bool = false) throws(SpendError) -> AppendOutcome {
        try appender.write(corrections.map(\.event), settings: settings, dryRun: dryRun)
    }

    static let origin = EventOrigin(path: "<arguments>")

    private func survey(_ ids: [String]) throws(SpendError) -> CorrectionSurvey {
        try CorrectionSurvey(workingTreeOf: appender.repository, wanted: ids)
    }

    private func prepare(
        _ drafts: [EventDraft], _ ids: [String], _ kind: CorrectionKind, _ survey: CorrectionSurvey, _ settings: AppendSettings
    ) throws(SpendError) -> [PreparedCorrection] {
        let (events, _) = try appender.prepare(drafts, settings: settings, survey: survey)
        return zip(events, ids).map { event, id in
            PreparedCorrection(event: event, kind: kind, corrects: id, original: survey.found[CorrectionSurvey.hash(id)]!.place)
        }
    }
}
