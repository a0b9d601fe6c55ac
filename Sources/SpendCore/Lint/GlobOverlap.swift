/// Decides whether two alias globs (`*` any run, `?` one character) can
/// match a same name, exactly: a breadth-first search over pairs of pattern
/// positions (the product of the two patterns' automata). Returns the
/// shortest such name, or nil when the globs are disjoint.
public enum GlobOverlap {
    public static func witness(_ a: String, _ b: String) -> String? {
        // A run of `*` matches what one `*` matches: collapsed, a position's
        // closure below has at most two positions (a run of 200 stars made
        // each step of the search 200 × 200 pairs).
        let p = collapsingStars(Array(a.utf8))
        let q = collapsingStars(Array(b.utf8))
        // The alphabet that matters: every literal of either pattern, and one other byte.
        var alphabet = Set<UInt8>((p + q).filter { $0 != 42 && $0 != 63 })
        if let other = (UInt8(ascii: "a")...UInt8(ascii: "z")).first(where: { !alphabet.contains($0) }) ?? (48...57).first(where: {
            !alphabet.contains($0)
        }) {
            alphabet.insert(other)
        }
        let letters = alphabet.sorted()

        /// The positions reachable from `i` without reading (a `*` may match nothing).
        func closure(_ pattern: [UInt8], _ i: Int) -> [Int] {
            var out = [i]
            var k = i
            while k < pattern.count && pattern[k] == 42 {
                k += 1
                out.append(k)
            }
            return out
        }
        func step(_ pattern: [UInt8], _ i: Int, _ c: UInt8) -> [Int] {
            guard i < pattern.count else { return [] }
            switch pattern[i] {
            case 42: return [i]
            case 63: return [i + 1]
            default: return pattern[i] == c ? [i + 1] : []
            }
        }
        struct State: Hashable {
            var i: Int
            var j: Int
        }
        var parent: [State: (State, UInt8)] = [:]
        var seen: Set<State> = []
        var queue: [State] = []
        for i in closure(p, 0) {
            for j in closure(q, 0) {
                let s = State(i: i, j: j)
                if seen.insert(s).inserted { queue.append(s) }
            }
        }
        var head = 0
        while head < queue.count {
            let s = queue[head]
            head += 1
            if s.i == p.count && s.j == q.count {
                var bytes: [UInt8] = []
                var cur = s
                while let (prev, c) = parent[cur] {
                    bytes.append(c)
                    cur = prev
                }
                return String(decoding: bytes.reversed(), as: UTF8.self)
            }
            for c in letters {
                for i2 in step(p, s.i, c) {
                    for j2 in step(q, s.j, c) {
                        for i3 in closure(p, i2) {
                            for j3 in closure(q, j2) {
                                let n = State(i: i3, j: j3)
                                if seen.insert(n).inserted {
                                    parent[n] = (s, c)
                                    queue.append(n)
                                }
                            }
                        }
                    }
                }
            }
        }
        return nil
    }

    /// `pattern` with every run of `*` made one `*` (alias globs: `*` crosses everything).
    static func collapsingStars(_ pattern: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        for c in pattern where !(c == 42 && out.last == 42) { out.append(c) }
        return out
    }
}
