import Foundation
import SpendCore

/// The fuzz targets: one per input parser. `scripts/fuzz TARGET` runs
/// `fuzz-TARGET`; `FuzzRegressionTests` replays saved inputs through `check`.
public enum FuzzTarget: String, CaseIterable, Sendable {
    case ledger, ratecard, policy, openaiResponse = "openai-response", anthropicResponse = "anthropic-response", glob, revision

    /// Runs one input; returns a description of a broken invariant, or nil.
    /// A crash (trap, sanitizer report) is a finding too, caught by the fuzzer.
    public func check(_ data: UnsafeRawBufferPointer, pending: Set<PendingRule> = PendingRule.fromEnvironment) -> String? {
        switch self {
        case .ledger: return LedgerHarness.check(data, pending: pending)
        case .ratecard: return CardHarness.check(data)
        case .policy: return PolicyHarness.check(data)
        case .openaiResponse: return ResponseHarness.check(.openai, data)
        case .anthropicResponse: return ResponseHarness.check(.anthropic, data)
        case .glob: return GlobHarness.check(data, pending: pending)
        case .revision: return RevisionHarness.check(data)
        }
    }

    /// The libFuzzer callback body: a broken invariant prints its description
    /// and aborts, so libFuzzer saves the input as `crash-…`.
    public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
        if let finding = check(UnsafeRawBufferPointer(start: data, count: size)) {
            FileHandle.standardError.write(Data("\n=== spend fuzz: invariant broken (\(rawValue)) ===\n\(finding)\n".utf8))
            abort()
        }
        return 0
    }
}

/// Findings that other work is expected to fix: rules the reference decoder
/// applies that the scanner may not implement yet (the strict-input work),
/// and known crashes and hangs. `SPEND_FUZZ_PENDING=utf8,duplicates,…`
/// tolerates disagreements that only these explain (or skips the inputs
/// that reach a known crash or hang); `all` tolerates every one.
public enum PendingRule: String, CaseIterable, Sendable {
    /// Invalid UTF-8 in a line is rule json.
    case utf8
    /// A key may appear once in every object (tags, tool_calls, unknown values), not only at the top level.
    case duplicates
    /// A value that is not JSON (`{"ts":oops}`) is rule json, not schema.
    case valueJSON = "value-json"
    /// Years are 0001–9999.
    case year
    /// The scanner's string escape skips the byte after `\\` even when it is
    /// the line's `\n`, so a string can run on into the next line when a whole
    /// buffer is scanned (`{"ts":"\\` + newline + `"` is rule timestamp, not
    /// json): skip the whole-buffer comparison for inputs with `\\` + newline.
    case escapedNewline = "escaped-newline"
    /// `Glob` backtracks exponentially: skip patterns with more than 3 `*` or texts over 64 bytes.
    case globBacktracking = "glob-backtracking"

    public static let fromEnvironment: Set<PendingRule> = parse(ProcessInfo.processInfo.environment["SPEND_FUZZ_PENDING"] ?? "")

    public static func parse(_ list: String) -> Set<PendingRule> {
        var out: Set<PendingRule> = []
        for name in list.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if name == "all" { return Set(allCases) }
            if let rule = PendingRule(rawValue: name) { out.insert(rule) }
        }
        return out
    }
}

/// Shows bytes as a Swift-like literal (printable ASCII kept, the rest escaped).
func show(_ bytes: some Collection<UInt8>) -> String {
    var s = "\""
    for b in bytes {
        switch b {
        case 34: s += "\\\""
        case 92: s += "\\\\"
        case 10: s += "\\n"
        case 13: s += "\\r"
        case 9: s += "\\t"
        case 32...126: s += String(UnicodeScalar(b))
        default: s += "\\x" + (b < 16 ? "0" : "") + String(b, radix: 16)
        }
    }
    return s + "\""
}

