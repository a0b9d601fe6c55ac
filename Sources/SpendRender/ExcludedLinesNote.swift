import SpendCore

/// How report, diff and releases say which invalid committed lines they left
/// out: one foot line for tables, one JSON member, one CSV row (report).
public enum ExcludedLinesNote {
    /// `3 invalid lines excluded ($? unpriceable) — see spend lint`; with
    /// stored costs on some of them, `… ($1.20 recorded on 1, $? on 2 unpriceable) …`,
    /// on all of them `… ($1.20 recorded on them) …`. `side`: where (a diff
    /// side), put after "excluded". Nil when nothing was left out.
    public static func line(_ excluded: ExcludedLines, places: Int, side: String? = nil) -> String? {
        guard !excluded.isEmpty else { return nil }
        let n = excluded.count
        var text = "\(Format.integer(Int64(n))) invalid line\(n == 1 ? "" : "s") excluded"
        if let side { text += " at " + side }
        let recorded = Format.dollars(excluded.recordedCost, places: places)
        if excluded.withRecordedCost == 0 {
            text += " ($? unpriceable)"
        } else if excluded.unpriceable == 0 {
            text += " (\(recorded) recorded on \(n == 1 ? "it" : "them"))"
        } else {
            text += " (\(recorded) recorded on \(excluded.withRecordedCost), $? on \(excluded.unpriceable) unpriceable)"
        }
        return text + " — see spend lint"
    }

    /// `{"lines":3,"with_recorded_cost":1,"recorded_cost":"1.2","unpriceable":2}` (zeros when nothing was left out).
    public static func json(_ excluded: ExcludedLines) -> String {
        "{\"lines\":\(excluded.count),\"with_recorded_cost\":\(excluded.withRecordedCost),"
            + "\"recorded_cost\":\(JSON.quote(excluded.recordedCost.description)),\"unpriceable\":\(excluded.unpriceable)}"
    }
}
