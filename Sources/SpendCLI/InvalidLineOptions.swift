import ArgumentParser
import SpendCore

/// `--strict` for the verbs that read committed history (report, diff,
/// releases): by default an invalid committed line is left out, the output
/// says so at its foot, its diagnostic goes to standard error and the exit
/// code is 1; `--strict` stops at it instead (exit 2, nothing reported).
public struct InvalidLineOptions: ParsableArguments {
    @Flag(help: "Stop at invalid committed lines (exit 2, nothing reported) instead of leaving them out (exit 1).")
    public var strict = false

    public init() {}

    /// The engines' policy for invalid lines.
    public var policy: InvalidLinePolicy { strict ? .strict : .exclude }

    /// Diagnostics shown on standard error (the rest are counted).
    static let shown = 10

    /// After the output: the diagnostics of the lines left out (on any side)
    /// on standard error, then exit 1; nothing when no line was left out.
    public func finish(_ sides: ExcludedLines...) throws { try finish(sides) }

    /// ``finish(_:)-(ExcludedLines...)`` for a list of sides.
    public func finish(_ sides: [ExcludedLines]) throws {
        var distinct = Set<Diagnostic>()
        var omitted = 0
        for side in sides where !side.isEmpty {
            distinct.formUnion(side.diagnostics)
            omitted = max(omitted, side.omitted)
        }
        guard !distinct.isEmpty || omitted > 0 else { return }
        Invocation.current.standardError.write(ErrorMessages.excludedLines(distinct.sorted(), omitted: omitted, shown: Self.shown))
        throw ExitCode(1)
    }
}
