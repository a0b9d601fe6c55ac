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
        self.tokens = Self.compile(bytes, pathMode: pathMode)
    }

    public var description: String { pattern }

    /// True when the pattern has a wildcard.
    public var isWildcard: Bool { bytes.contains(42) || bytes.contains(63) }

    /// Number of literal (non-wildcard) bytes: more means more specific.
    public var literalCount: Int { bytes.filter { $0 != 42 && $0 != 63 }.count }

    public func matches(_ text: String) -> Bool {
        Self.match(tokens, Array(text.utf8), pathMode)
    }

    /// One step of a compiled pattern.
    private enum Token: Hashable {
        /// This byte.
        case byte(UInt8)
        /// `?`: any one byte (not `/` in path mode).
        case one
        /// `*`, or `**` in path mode (`crossesSlash`).
        case star(crossesSlash: Bool)
        /// Before the `**` of `**/` in path mode: reads nothing, and may skip
        /// the `**/` (zero directories).
        case zeroDirectories
    }

    private let tokens: [Token]

    private static func compile(_ p: [UInt8], pathMode: Bool) -> [Token] {
        var tokens: [Token] = []
        var i = 0
        while i < p.count {
            if p[i] == 42 {  // *
                let doubleStar = pathMode && i + 1 < p.count && p[i + 1] == 42
                i += doubleStar ? 2 : 1
                if doubleStar && i < p.count && p[i] == 47 { tokens.append(.zeroDirectories) }
                tokens.append(.star(crossesSlash: doubleStar || !pathMode))
            } else {
                tokens.append(p[i] == 63 ? .one : .byte(p[i]))
                i += 1
            }
        }
        return tokens
    }

    /// Runs the pattern as a nondeterministic automaton over the text (the
    /// set of pattern positions reachable so far): time O(pattern × text),
    /// where backtracking takes exponential time on `*a*a*a…b`.
    private static func match(_ tokens: [Token], _ text: [UInt8], _ pathMode: Bool) -> Bool {
        let n = tokens.count
        var current = [Bool](repeating: false, count: n + 1)
        var next = current
        current[0] = true
        close(&current, tokens)
        for c in text {
            for i in 0...n { next[i] = false }
            var any = false
            for i in 0..<n where current[i] {
                switch tokens[i] {
                case .byte(let b):
                    if b == c { next[i + 1] = true; any = true }
                case .one:
                    if !(pathMode && c == 47) { next[i + 1] = true; any = true }
                case .star(let crossesSlash):
                    if crossesSlash || c != 47 { next[i] = true; any = true }
                case .zeroDirectories:
                    break
                }
            }
            if !any { return false }
            close(&next, tokens)
            swap(&current, &next)
        }
        return current[n]
    }

    /// Adds the positions reachable without reading: past a `*` (matching
    /// nothing), and past a whole `**/` (zero directories). Moves only
    /// forward, so one pass suffices.
    private static func close(_ states: inout [Bool], _ tokens: [Token]) {
        for i in 0..<tokens.count where states[i] {
            switch tokens[i] {
            case .star: states[i + 1] = true
            case .zeroDirectories:
                states[i + 1] = true
                states[i + 3] = true  // past `**` and `/`
            case .byte, .one: break
            }
        }
    }
}
