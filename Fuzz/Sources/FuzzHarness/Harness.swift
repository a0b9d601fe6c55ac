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
        case .ratecard: return KnownTOMLCrash.skips(data, pending) ? nil : CardHarness.check(data)
        case .policy: return KnownTOMLCrash.skips(data, pending) ? nil : PolicyHarness.check(data)
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
    /// toml++ 3.4.0 (vendored by TOMLKit 0.6.0) asserts in debug and release
    /// builds (SwiftPM defines no NDEBUG) on malformed TOML: skip the inputs
    /// of the three known shapes (`KnownTOMLCrash`).
    case tomlAssert = "toml-assert"
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

/// The toml++ assertions found so far, as over-approximate shapes of input:
///
/// - `parse_key`: `is_bare_key_character(*cp) || is_string_delimiter(*cp)`, a
///   table header whose key does not start right after `[` / `[[` (`[\n`, `[[[a]]]`);
/// - `parse_value`: `!is_value_terminator(*cp)`, a `}` where an array expects
///   a value (`t=[}`, `t=[1,}`, `t=[\n}`);
/// - `parse_time`: `is_decimal_digit(*cp)`, a date followed by `T` and no digit (`r=2025-05-22T:`).
enum KnownTOMLCrash {
    static func skips(_ data: UnsafeRawBufferPointer, _ pending: Set<PendingRule>) -> Bool {
        guard pending.contains(.tomlAssert) else { return false }
        return headerWithoutKey(data) || braceInArray(data) || timeWithoutDigit(data)
    }

    static func headerWithoutKey(_ data: UnsafeRawBufferPointer) -> Bool {
        for line in data.split(separator: 10, omittingEmptySubsequences: false) {
            // Blanks and byte-order-mark bytes before the `[`.
            var rest = line.drop { $0 == 32 || $0 == 9 || $0 == 0xEF || $0 == 0xBB || $0 == 0xBF }
            guard rest.first == 91 else { continue }
            rest = rest.dropFirst()
            if rest.first == 91 { rest = rest.dropFirst() }
            rest = rest.drop { $0 == 32 || $0 == 9 }
            guard let c = rest.first else { return true }
            let bare = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c == 45 || c == 95
            if !bare && c != 34 && c != 39 { return true }
        }
        return false
    }

    /// A `}` whose previous character, blanks and comments aside, is `[` or `,`.
    static func braceInArray(_ data: UnsafeRawBufferPointer) -> Bool {
        var last: UInt8 = 0
        var inComment = false
        for b in data {
            if inComment {
                if b == 10 { inComment = false }
                continue
            }
            switch b {
            case 35: inComment = true
            case 32, 9, 10, 13: continue
            case 125 where last == 91 || last == 44: return true
            default: break
            }
            last = b
        }
        return false
    }

    /// A digit, then `T` or `t`, then anything but a digit (`2025-05-22T:`, `2025-05-22Tinf`).
    static func timeWithoutDigit(_ data: UnsafeRawBufferPointer) -> Bool {
        guard data.count >= 2 else { return false }
        for i in 0..<(data.count - 1) where data[i] >= 48 && data[i] <= 57 && (data[i + 1] == 84 || data[i + 1] == 116) {
            if i + 2 == data.count || data[i + 2] < 48 || data[i + 2] > 57 { return true }
        }
        return false
    }
}
