/// A correction line of an append batch, as `EventPreparer` keeps it: which
/// prepared event it is and what it corrects.
struct BatchCorrection: Sendable {
    /// The event's index in its preparer's `events` (then in the joined batch).
    var index = 0
    var target: String
    var kind: CorrectionKind
    /// The input line, for the reject file (`--stdin --reject-file` only).
    var input: String?
}

/// `correction-target` and `correction-twice` for the correction lines that
/// `spend append` is given (`--stdin`, `--json`): the rules lint and the
/// correcting verbs apply (`CorrectionRules`), asked of the working tree's
/// ledger (`CorrectionSurvey`) followed by the batch itself, line by line.
/// A correction may name an event of the ledger or one earlier in the batch;
/// an id is corrected once, in the ledger or the batch. (`correction-reason`
/// is an event check, `EventChecker`, run on every line already.)
struct BatchCorrections {
    /// The ledger as it is before the batch, for the corrections' targets.
    var survey: CorrectionSurvey

    /// Reads the working tree's ledger for `corrections` (nothing is read
    /// for a batch without corrections: `problems` has nothing to check).
    init(_ corrections: [BatchCorrection], repository: CostRepository) throws(SpendError) {
        survey = corrections.isEmpty ? CorrectionSurvey([], wanted: []) : try CorrectionSurvey(workingTreeOf: repository, wanted: corrections.map(\.target))
    }

    /// Checks against a survey already read (the correcting verbs').
    init(survey: CorrectionSurvey) {
        self.survey = survey
    }

    /// The correction lines of `events` that break a rule, in batch order,
    /// each with its finding at the line's origin. A refused line is no event
    /// of the batch: a later line cannot correct it, nor be refused for it.
    func problems(_ corrections: [BatchCorrection], in events: [PreparedEvent]) -> [(correction: BatchCorrection, diagnostic: Diagnostic)] {
        if corrections.isEmpty { return [] }
        var ledger = survey
        let wanted = Set(corrections.map { CorrectionSurvey.hash($0.target) })
        var refused: [(BatchCorrection, Diagnostic)] = []
        var k = 0  // the next correction (they are in batch order)
        for (i, event) in events.enumerated() {
            let place = CorrectionSurvey.Place(path: event.origin.path, line: event.origin.line ?? 1)
            if k < corrections.count && corrections[k].index == i {
                let c = corrections[k]
                k += 1
                if let problem = Self.problem(c, id: event.id, in: ledger) {
                    refused.append((c, event.origin.diagnostic(rule: problem.rule, message: problem.message)))
                    continue
                }
                ledger.corrections[CorrectionSurvey.hash(c.target), default: []].append(.init(place: place, kind: c.kind, id: event.id))
            }
            let hash = CorrectionSurvey.hash(event.id)
            // The batch's own events can be corrected by its later lines (their fields are not needed: no replace is made from them).
            if wanted.contains(hash) && ledger.found[hash] == nil { ledger.found[hash] = .init(place: place, event: nil) }
        }
        return refused
    }

    /// The rules' verdict on one correction line. A correction already in the
    /// ledger under this line's own id is this line written before (a batch
    /// appended again): the writer refuses or skips it as a duplicate id.
    private static func problem(_ c: BatchCorrection, id: String, in ledger: CorrectionSurvey) -> (rule: Rule, message: String)? {
        if ledger.corrections[CorrectionSurvey.hash(c.target)]?.contains(where: { $0.id == id }) == true { return nil }
        return CorrectionRules.problem(correcting: c.target, in: ledger)
    }
}
