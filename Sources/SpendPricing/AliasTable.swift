import SpendBase
import SpendFormats

/// The aliases of one rate card, indexed once: exact aliases by name, globs
/// compiled, and where the chain from every alias target ends (a priced
/// model, a name that resolves nowhere, or a loop), found in one pass over
/// the chains. Resolving a served name is then one alias lookup and one
/// table read, whatever the length of its chain.
struct AliasTable: Sendable {
    /// The most alias links followed from a served name to its priced model
    /// (docs/FORMAT.md). A longer chain is an error that gives its length.
    static let maxLinks = 64

    /// Where a chain of aliases ends, seen from a name on it.
    enum End: Sendable, Hashable {
        /// At priced model `model`, `links` alias links on.
        case priced(model: Int, links: Int)
        /// At `name`, which is neither priced nor aliased, `links` links on.
        case nowhere(name: String, links: Int)
        /// In a loop of `cycle` aliases, entered at `entry` after `links` links.
        case loop(entry: String, cycle: Int, links: Int)
    }

    private let exact: [String: String]
    private let globs: [(glob: Glob, target: String)]
    /// The end of the chain from every alias target.
    private let ends: [String: End]

    /// Indexes `card`'s aliases; `priced` gives the priced model of a name.
    init(card: RateCard, priced: (String) -> Int?) {
        var exact: [String: String] = [:]
        var globs: [(glob: Glob, target: String)] = []
        for alias in card.aliases {
            if alias.isGlob {
                globs.append((Glob(alias.pattern), alias.target))
            } else if exact[alias.pattern] == nil {
                exact[alias.pattern] = alias.target  // the first of duplicate names wins
            }
        }
        self.exact = exact
        self.globs = globs

        // Follow each chain once; names met on an earlier chain are not walked again.
        var ends: [String: End] = [:]
        func next(_ name: String) -> String? { Self.target(of: name, exact: exact, globs: globs) }
        for alias in card.aliases where ends[alias.target] == nil {
            var path: [String] = []
            var position: [String: Int] = [:]
            var name = alias.target
            var end: End
            while true {
                if let known = ends[name] {
                    end = known
                    break
                }
                if let m = priced(name) {
                    end = .priced(model: m, links: 0)
                    break
                }
                if let start = position[name] {
                    // The names from `start` on form the cycle; those before lead into it.
                    let cycle = path.count - start
                    for member in path[start...] { ends[member] = .loop(entry: member, cycle: cycle, links: 0) }
                    path.removeLast(cycle)
                    end = .loop(entry: name, cycle: cycle, links: 0)
                    break
                }
                guard let target = next(name) else {
                    end = .nowhere(name: name, links: 0)
                    break
                }
                position[name] = path.count
                path.append(name)
                name = target
            }
            // Every name on the path is one link further from the end than the next.
            for (distance, member) in path.reversed().enumerated() {
                ends[member] = end.further(by: distance + 1)
            }
            if path.isEmpty && ends[name] == nil { ends[name] = end }
        }
        self.ends = ends
    }

    /// The alias `name` maps to: an exact alias first, then the most specific
    /// glob (most literal characters; the first of equals).
    func target(of name: String) -> String? { Self.target(of: name, exact: exact, globs: globs) }

    /// Where the chain from `target`, an alias target of this card, ends.
    func end(from target: String) -> End? { ends[target] }

    private static func target(of name: String, exact: [String: String], globs: [(glob: Glob, target: String)]) -> String? {
        if let target = exact[name] { return target }
        var best: (specificity: Int, target: String)?
        for (glob, target) in globs where glob.matches(name) {
            if best == nil || glob.literalCount > best!.specificity { best = (glob.literalCount, target) }
        }
        return best?.target
    }
}

extension AliasTable.End {
    /// Alias links from the name to the end of the chain.
    var links: Int {
        switch self {
        case .priced(_, let links), .nowhere(_, let links), .loop(_, _, let links): return links
        }
    }

    /// The same end seen `extra` links earlier on the chain.
    func further(by extra: Int) -> AliasTable.End {
        switch self {
        case .priced(let m, let links): return .priced(model: m, links: links + extra)
        case .nowhere(let name, let links): return .nowhere(name: name, links: links + extra)
        case .loop(let entry, let cycle, let links): return .loop(entry: entry, cycle: cycle, links: links + extra)
        }
    }
}
