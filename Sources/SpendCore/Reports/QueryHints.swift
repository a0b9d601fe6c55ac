/// A grouping tag or a `--where` clause that matched nothing, with the
/// names the ledger does have: what turns a silent 100%-unattributed or
/// empty report into "did you mean color?".
public enum QueryHint: Sendable, Equatable {
    /// No event in the window has the grouping tag `tag` (`name`: as the
    /// query named it, e.g. `colour` or `tags.colour`); `suggestions`: the
    /// nearest tag names events do have.
    case groupingTagNotFound(name: String, tag: String, suggestions: [String])
    /// No event in the window has the clause's tag at all.
    case filterTagNotFound(WhereClause, tag: String, suggestions: [String])
    /// Events have the clause's key, but none has its value; `suggestions`:
    /// the nearest values they have.
    case filterValueNotFound(WhereClause, suggestions: [String])
}

/// Finds the ``QueryHint``s of a query whose result looks like a typo: a
/// grouping tag that every row has as `(unattributed)`, or filters that
/// left no event. Only then is the window read again (through the scan
/// engine) to learn the tag names and values that exist, so a report that
/// found what it asked for costs nothing more.
public enum QueryHints {
    /// The hints for `query`, whose result grouped `matched` events into
    /// rows labelled `groups` (one label per dimension, in query order,
    /// without the period; only groups that have events).
    public static func find(
        _ query: ReportQuery, groups: [[String]], matched: Int, in snapshot: Snapshot
    ) throws(SpendError) -> [QueryHint] {
        var groupingTags: [(name: String, tag: String)] = []
        if matched > 0 {
            for (i, dimension) in query.dimensions.enumerated() {
                guard case .tag(let tag) = dimension, groups.allSatisfy({ i < $0.count && $0[i] == Dimension.unattributedLabel })
                else { continue }
                groupingTags.append((query.dimensionNames[i], tag))
            }
        }
        // Ids and trace ids are one per event: no census of those (nor a useful suggestion).
        let unique: Set<Dimension> = [.field(.id), .field(.traceId)]
        let clauses = matched == 0 ? Array(query.filters.filter { !$0.negated && !unique.contains($0.dimension) }.prefix(GroupKey.dimensionLanes)) : []
        guard !groupingTags.isEmpty || !clauses.isEmpty else { return [] }

        let census = try Census.take(query, clauses: clauses, in: snapshot)
        guard census.events > 0 else { return [] }
        var hints: [QueryHint] = []
        for (name, tag) in groupingTags where !census.tagNames.contains(tag) {
            hints.append(.groupingTagNotFound(name: name, tag: tag, suggestions: Suggestions.nearest(to: tag, in: census.tagNames)))
        }
        for (i, clause) in clauses.enumerated() where !census.values[i].contains(clause.value) {
            if case .tag(let tag) = clause.dimension, !census.tagNames.contains(tag) {
                hints.append(.filterTagNotFound(clause, tag: tag, suggestions: Suggestions.nearest(to: tag, in: census.tagNames)))
            } else {
                let values = census.values[i].subtracting([Dimension.unattributedLabel, Dimension.noneLabel])
                hints.append(.filterValueNotFound(clause, suggestions: Suggestions.nearest(to: clause.value, in: values)))
            }
        }
        return hints
    }

    /// The tag names, and the values of some clauses' keys, of the events in a query's window.
    struct Census {
        var events = 0
        var tagNames: Set<String> = []
        /// Per clause: the labels its key takes (`(unattributed)` for a missing tag).
        var values: [Set<String>]

        static func take(_ query: ReportQuery, clauses: [WhereClause], in snapshot: Snapshot) throws(SpendError) -> Census {
            var scope = ScanScope(book: snapshot.priceBook)
            scope.since = query.since
            scope.until = query.until
            scope.dimensions = clauses.map(\.dimension)
            let parts = try ScanEngine.run(snapshot, Counter(scope: scope))
            var census = Census(values: Array(repeating: [], count: clauses.count))
            for part in parts.map(\.result.partial) {
                census.events += part.events
                census.tagNames.formUnion(part.tagNames)
                for i in census.values.indices { census.values[i].formUnion(part.values[i]) }
            }
            return census
        }
    }

    /// Collects tag names and dimension values, per chunk (decoded at the chunk's end).
    struct Counter: ScanConsumer {
        let scope: ScanScope

        struct Partial {
            var events = 0
            var tagIDs: Set<Int32> = []
            var keys: Set<GroupKey> = []
            var tagNames: Set<String> = []
            var values: [Set<String>] = []
        }

        func begin(_ scan: inout ChunkScan) -> Partial { Partial() }

        /// Unreadable lines are the report's business, not the census's.
        func reject(_ error: LedgerScanError, _ scan: inout ChunkScan, _ partial: inout Partial) {}

        func consume(_ scan: inout ChunkScan, _ partial: inout Partial) {
            partial.events += 1
            for k in scan.event.tags { partial.tagIDs.insert(scan.intern(scan.scanner.tags[k].key)) }
            if !scope.dimensions.isEmpty { partial.keys.insert(scan.groupKey()) }
        }

        func end(_ scan: inout ChunkScan, _ partial: inout Partial) {
            partial.tagNames = Set(partial.tagIDs.map { scan.interner.string($0) })
            partial.values = Array(repeating: [], count: scope.dimensions.count)
            for key in partial.keys {
                for i in partial.values.indices { partial.values[i].insert(GroupKey.label(key[i], scan.interner)) }
            }
        }
    }
}
