/// The commit that introduced a price point.
public struct PointCommit: Sendable, Hashable {
    public var id: ObjectID
    /// Committer time, milliseconds since the epoch.
    public var time: Int64
    public var summary: String
}

/// One row of `spend cards list`: a priced model or an alias, with the point
/// in effect at the date asked.
public struct CardListRow: Sendable, Hashable {
    public var provider: String
    /// The priced model's name, or the alias's pattern.
    public var name: String
    /// The alias behind the row, nil for a priced model.
    public var alias: ModelAlias?
    /// The priced model the row resolves to (nil: an alias that resolves nowhere).
    public var pricedModel: String?
    /// The point in effect (nil before the model's first point).
    public var point: PricePoint?
}

/// `spend cards show MODEL`: how one provider prices a name.
public struct CardModelHistory: Sendable, Hashable {
    public var provider: String
    /// The name asked for.
    public var name: String
    /// The alias that claims the name (nil: the card prices it by name).
    public var alias: ModelAlias?
    public var cardPath: String
    public var pricedModel: String
    /// Every point of the priced model, oldest first, with the commit that introduced it.
    public var points: [CardPointEntry]
    /// Index in `points` of the point in effect at the date asked (nil: before the first).
    public var inEffect: Int?
}

/// A price point and the commit that introduced it (nil: not committed, or no git history).
public struct CardPointEntry: Sendable, Hashable {
    public var point: PricePoint
    public var commit: PointCommit?
}

/// What the cards say a model costs at a date, and where that comes from.
public enum CardCatalog {
    /// Every priced model and every alias of every card, with the point in effect at `at`.
    public static func list(book: PriceBook, at: Int64) -> [CardListRow] {
        var rows: [CardListRow] = []
        for (m, model) in book.models.enumerated() {
            rows.append(
                CardListRow(
                    provider: model.provider, name: model.name, alias: nil, pricedModel: model.name,
                    point: book.pointIndex(model: m, at: at).map { book.points[Int($0)] }))
        }
        for card in book.cards {
            for alias in card.aliases {
                let resolved = try? book.resolve(provider: card.provider, model: alias.target).get()
                rows.append(
                    CardListRow(
                        provider: card.provider, name: alias.pattern, alias: alias,
                        pricedModel: resolved.map { book.models[$0].name },
                        point: resolved.flatMap { m in book.pointIndex(model: m, at: at).map { book.points[Int($0)] } }))
            }
        }
        return rows.sorted { ($0.provider, $0.name) < ($1.provider, $1.name) }
    }

    /// How every card that prices `model` (by name or alias) prices it at `at`,
    /// with each point's introducing commit from `history` (when there is one).
    /// A name no card prices is an `unknown-model` error.
    public static func show(book: PriceBook, model: String, at: Int64, history: CardHistory?) throws(SpendError) -> [CardModelHistory] {
        var out: [CardModelHistory] = []
        var commitsByPath: [String: [String: PointCommit]] = [:]
        for card in book.cards {
            guard case .success(let m) = book.resolve(provider: card.provider, model: model) else { continue }
            let priced = book.models[m]
            if commitsByPath[card.path] == nil { commitsByPath[card.path] = history.map { introductions(of: card.path, in: $0) } ?? [:] }
            let commits = commitsByPath[card.path] ?? [:]
            let points = priced.pointIndices.map { index in
                let point = book.points[Int(index)]
                return CardPointEntry(point: point, commit: commits[point.id])
            }
            let current = book.pointIndex(model: m, at: at)
            out.append(
                CardModelHistory(
                    provider: card.provider, name: model, alias: priced.name == model ? nil : PriceBook.matchingAlias(of: model, in: card),
                    cardPath: card.path, pricedModel: priced.name, points: points,
                    inEffect: current.flatMap { priced.pointIndices.firstIndex(of: $0) }))
        }
        guard !out.isEmpty else {
            let cards = book.cards.map(\.path).sorted().joined(separator: ", ")
            let names = book.cards.indices.flatMap { book.knownModelNames(card: $0) }
            let hint = Suggestions.didYouMean(model, in: names).map { "; \($0)" } ?? ""
            throw SpendError.input([
                Diagnostic(path: "ratecards", rule: .unknownModel, message: "model \"\(model)\" matches no price or alias in \(cards)\(hint)")
            ])
        }
        return out
    }

    /// Point id → the first commit (oldest first) whose version of `path` has the point.
    static func introductions(of path: String, in history: CardHistory) -> [String: PointCommit] {
        var first: [String: PointCommit] = [:]
        var lastBlob: String?
        for commit in history.commits {
            guard let blob = commit.cards[path], blob.hex != lastBlob else { continue }
            lastBlob = blob.hex
            guard let card = try? history.card(path: path, blob: blob) else { continue }
            for point in card.points where first[point.id] == nil {
                first[point.id] = PointCommit(id: commit.id, time: commit.time, summary: commit.summary)
            }
        }
        return first
    }
}
