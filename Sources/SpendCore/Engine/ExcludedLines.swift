/// What a reading verb does with committed lines it cannot count (bad JSON,
/// a schema error, a model no rate card prices, a count that overflows):
/// the one place that decides between stopping and leaving them out.
public enum InvalidLinePolicy: Sendable, Hashable {
    /// Stop: the lines' diagnostics are the input error (nothing is reported).
    case strict
    /// Keep going: report what is valid and return the excluded lines with it.
    case exclude

    /// The excluded lines of a scan under this policy: returned as they are
    /// with `exclude`; with `strict`, their diagnostics thrown as the input
    /// error (when there are any).
    public func admit(_ excluded: ExcludedLines) throws(SpendError) -> ExcludedLines {
        if self == .strict, let rejection = excluded.rejection { throw rejection }
        return excluded
    }
}

/// Per chunk: how many lines the consumer rejected, and the stored `cost`
/// of those that parsed and carried one (filled by `ScanEngine.scan`).
public struct ExcludedTally: Sendable, Hashable {
    /// Lines for which the consumer recorded a diagnostic (and counted nothing).
    public var lines = 0
    /// Of those, the lines whose stored `cost` was read, and its sum.
    public var withRecordedCost = 0
    public var recordedCost = ExactDecimal.zero

    public init() {}

    /// Adds one excluded line; `cost`: its stored cost when it parsed and carried one.
    mutating func add(cost: ExactDecimal?) {
        lines += 1
        guard let cost, let sum = try? recordedCost.adding(cost) else { return }
        recordedCost = sum
        withRecordedCost += 1
    }

    /// Adds another tally (a recorded-cost sum that does not fit leaves those lines unpriceable).
    mutating func add(_ other: ExcludedTally) {
        lines += other.lines
        if let sum = try? recordedCost.adding(other.recordedCost) {
            recordedCost = sum
            withRecordedCost += other.withRecordedCost
        }
    }
}

/// The committed lines a report, diff or release list left out, with their
/// located diagnostics (sorted; at most the scan's limit per chunk, the
/// rest counted in `omitted`).
public struct ExcludedLines: Sendable, Hashable {
    public var tally = ExcludedTally()
    public var diagnostics: [Diagnostic] = []
    public var omitted = 0

    public init() {}

    /// The excluded lines of scanned chunks.
    public init<P>(_ parts: [ScannedChunk<P>]) {
        for part in parts { add(part) }
        diagnostics.sort()
    }

    /// Lines left out.
    public var count: Int { tally.lines }
    public var isEmpty: Bool { tally.lines == 0 && diagnostics.isEmpty && omitted == 0 }
    /// The stored cost of the excluded lines that carried one, and how many did.
    public var recordedCost: ExactDecimal { tally.recordedCost }
    public var withRecordedCost: Int { tally.withRecordedCost }
    /// Lines whose cost is unknown (they did not parse, or carried no stored cost).
    public var unpriceable: Int { tally.lines - tally.withRecordedCost }

    /// Adds one chunk's excluded lines (call `diagnostics.sort()` after the last).
    public mutating func add<P>(_ part: ScannedChunk<P>) {
        tally.add(part.excluded)
        diagnostics += part.diagnostics
        omitted += part.omitted
    }

    /// Adds another set (for example another shard's), keeping the diagnostics sorted.
    public mutating func add(_ other: ExcludedLines) {
        guard !other.isEmpty else { return }
        tally.add(other.tally)
        diagnostics += other.diagnostics
        diagnostics.sort()
        omitted += other.omitted
    }

    /// The input error of these lines (what `strict` throws), or nil when there are none.
    public var rejection: SpendError? {
        diagnostics.isEmpty && omitted == 0 ? nil : SpendError.input(diagnostics, omitted: omitted)
    }
}
