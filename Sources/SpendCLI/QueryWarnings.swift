import SpendCore

/// The CLI's words for ``QueryHint``s: one warning line each on standard
/// error, naming the flag the user typed and the nearest names that exist.
enum QueryWarnings {
    /// `spend: warning: --by colour: no event has a tag "colour"; did you mean color?`
    static func text(for hint: QueryHint) -> String {
        switch hint {
        case .groupingTagNotFound(let name, let tag, let suggestions):
            return "spend: warning: --by \(name): no event has a tag \"\(tag)\"" + clause(suggestions)
                + (suggestions.isEmpty ? " (every row is unattributed)" : "")
        case .filterTagNotFound(let where_, let tag, let suggestions):
            return "spend: warning: --where \(text(of: where_)): no event has a tag \"\(tag)\"" + clause(suggestions)
        case .filterValueNotFound(let where_, let suggestions):
            return "spend: warning: --where \(text(of: where_)): no event has \(key(of: where_)) \"\(where_.value)\"" + clause(suggestions)
        }
    }

    /// Finds the hints of a finished query and prints them (nothing when it found what it asked for).
    static func show(_ query: ReportQuery, groups: [[String]], matched: Int, in snapshot: Snapshot) throws {
        for hint in try QueryHints.find(query, groups: groups, matched: matched, in: snapshot) { Console.err(text(for: hint)) }
    }

    static func clause(_ suggestions: [String]) -> String {
        Suggestions.phrase(suggestions).map { "; \($0)" } ?? ""
    }

    /// The clause's key as typed: a field's name, or a tag's.
    static func key(of clause: WhereClause) -> String {
        switch clause.dimension {
        case .field(let field): field.rawValue
        case .tag(let tag): tag
        }
    }

    static func text(of clause: WhereClause) -> String {
        key(of: clause) + (clause.negated ? "!=" : "=") + clause.value
    }
}
