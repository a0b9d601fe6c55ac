/// The errors a command reports: usage (exit 2), rejected input with
/// diagnostics (exit 2).
public enum SpendError: Error, Sendable, CustomStringConvertible {
    case usage(String)
    /// Rejected input: the diagnostics kept, and how many more were found but not kept.
    case input([Diagnostic], omitted: Int = 0)

    public var description: String {
        switch self {
        case .usage(let message): return message
        case .input(let diagnostics, let omitted):
            var lines = diagnostics.map(\.description)
            if omitted > 0 { lines.append("\(omitted) more errors not shown") }
            return lines.joined(separator: "\n")
        }
    }
}
