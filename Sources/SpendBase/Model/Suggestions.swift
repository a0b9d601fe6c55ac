/// "Did you mean …?": the known names nearest to a name that matched none.
///
/// Used only on the warning and error paths (an unknown `--by` tag or
/// `--where` value, an unknown model, an unknown key in a rate card or
/// `spend.toml`), never per event.
public enum Suggestions {
    /// The candidates nearest to `name` by edit distance (Damerau–Levenshtein,
    /// optimal string alignment, case-insensitive): those at the smallest
    /// distance found, in name order, at most `limit`. A candidate counts only within the
    /// cutoff: 1 edit for names up to 4 characters, 2 up to 8, else 3; and
    /// never more edits than half the name.
    public static func nearest(to name: String, in candidates: some Sequence<String>, limit: Int = 3) -> [String] {
        let target = Array(name.lowercased().unicodeScalars)
        guard !target.isEmpty else { return [] }
        let cutoff = min(target.count <= 4 ? 1 : target.count <= 8 ? 2 : 3, max(1, target.count / 2))
        var scored: [(distance: Int, name: String)] = []
        var seen: Set<String> = []
        for candidate in candidates where candidate != name && seen.insert(candidate).inserted {
            let other = Array(candidate.lowercased().unicodeScalars)
            guard abs(other.count - target.count) <= cutoff else { continue }
            let d = distance(target, other, cutoff: cutoff)
            if d <= cutoff { scored.append((d, candidate)) }
        }
        guard let best = scored.map(\.distance).min() else { return [] }
        return scored.filter { $0.distance == best }.map(\.name).sorted().prefix(limit).map { $0 }
    }

    /// `did you mean color?` (or `did you mean color or colors?`), or nil
    /// when no candidate is near: the clause a message appends.
    public static func didYouMean(_ name: String, in candidates: some Sequence<String>) -> String? {
        phrase(nearest(to: name, in: candidates))
    }

    /// `did you mean a?`, `did you mean a or b?`, `did you mean a, b or c?`; nil for none.
    public static func phrase(_ names: [String]) -> String? {
        guard let last = names.last else { return nil }
        let list = names.count == 1 ? last : names.dropLast().joined(separator: ", ") + " or " + last
        return "did you mean \(list)?"
    }

    /// The optimal-string-alignment distance of `a` and `b`; any value above
    /// `cutoff` means "too far" (rows stop early once every cell exceeds it).
    static func distance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar], cutoff: Int) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var before = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            var rowMinimum = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var d = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] { d = min(d, before[j - 2] + 1) }
                current[j] = d
                rowMinimum = min(rowMinimum, d)
            }
            if rowMinimum > cutoff { return cutoff + 1 }
            (before, previous, current) = (previous, current, before)
        }
        return previous[b.count]
    }
}
