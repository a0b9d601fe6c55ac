/// A shell-style glob: `*` any run of characters, `?` one character. In path
/// mode `*` stops at `/` and `**` crosses directories (`src/summarize/**`).
public struct Glob: Sendable, Hashable, CustomStringConvertible {
    public let pattern: String
    public let pathMode: Bool
    private let bytes: [UInt8]

    public init(_ pattern: String, pathMode: Bool = false) {
        self.pattern = pattern
        self.pathMode = pathMode
        self.bytes = Array(pattern.utf8)
    }

    public var description: String { pattern }

    /// True when the pattern has a wildcard.
    public var isWildcard: Bool { bytes.contains(42) || bytes.contains(63) }

    /// Number of literal (non-wildcard) bytes: more means more specific.
    public var literalCount: Int { bytes.filter { $0 != 42 && $0 != 63 }.count }

    public func matches(_ text: String) -> Bool {
        let t = Array(text.utf8)
        return Self.match(bytes, 0, t, 0, pathMode)
    }

    private static func match(_ p: [UInt8], _ pi0: Int, _ t: [UInt8], _ ti0: Int, _ pathMode: Bool) -> Bool {
        var pi = pi0
        var ti = ti0
        while pi < p.count {
            let c = p[pi]
            if c == 42 {  // *
                let doubleStar = pathMode && pi + 1 < p.count && p[pi + 1] == 42
                var next = pi + (doubleStar ? 2 : 1)
                if doubleStar && next < p.count && p[next] == 47 {
                    // "**/" also matches zero directories.
                    if match(p, next + 1, t, ti, pathMode) { return true }
                    next += 0
                }
                if next == p.count {
                    return doubleStar || !pathMode || !t[ti...].contains(47)
                }
                var k = ti
                while k <= t.count {
                    if match(p, next, t, k, pathMode) { return true }
                    if k < t.count && pathMode && !doubleStar && t[k] == 47 { return false }
                    k += 1
                }
                return false
            }
            guard ti < t.count else { return false }
            if c == 63 {
                if pathMode && t[ti] == 47 { return false }
            } else if c != t[ti] {
                return false
            }
            pi += 1
            ti += 1
        }
        return ti == t.count
    }
}
