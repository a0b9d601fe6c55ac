/// The rules a correction must keep (docs/lint.md: `correction-target`,
/// `correction-twice`; `correction-reason` is a single-event check in
/// `EventChecker`): lint and the correcting verbs word them the same way.
public enum CorrectionRules {
    /// The problem with correcting `target` given what the ledger holds, or
    /// nil. `replacing`: the correction copies the target's fields, so the
    /// target's line must be readable.
    public static func problem(correcting target: String, in survey: CorrectionSurvey, replacing: Bool = false) -> (rule: Rule, message: String)? {
        let hash = CorrectionSurvey.hash(target)
        let shown = JSONString.quoted(target)
        guard let found = survey.found[hash] else {
            return (.correctionTarget, "corrects \(shown) but no event of the ledger has that id")
        }
        if let earlier = survey.corrections[hash]?.first {
            return (
                .correctionTwice,
                "\(shown) is already corrected (\(earlier.kind.name ?? "") \(JSONString.quoted(earlier.id)) at \(earlier.place)): correct that correction instead"
            )
        }
        if replacing && found.event?.correction == .void {
            return (
                .correctionTarget,
                "\(shown) is a void (\(found.place)): it records no usage to change; append the event again with spend append"
            )
        }
        if replacing && found.event == nil {
            return (
                .correctionTarget,
                "\(shown) is on a line that cannot be read (\(found.place)): void it, then append the event again with spend append"
            )
        }
        return nil
    }
}
