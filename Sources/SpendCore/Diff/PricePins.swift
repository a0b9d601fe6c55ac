import Foundation

/// A rate-card commit that changed prices a row's events used: who, when, and
/// each changed field old → new (what `spend audit` reports for it).
public struct PriceCommit: Sendable {
    public var id: ObjectID
    /// Committer time, ms since the epoch.
    public var time: Int64
    public var author: String
    public var subject: String
    public var changes: [PriceChange]
}

/// Why a row's price moved: the rate-card commits that added or edited the
/// points its events used instead of the constant prices' points.
public struct PricePin: Sendable {
    public var keys: [String]
    /// Oldest first.
    public var commits: [PriceCommit]
    /// Points with no commit that made them (`openai/gpt-4o@2026-12-01`): uncommitted card edits.
    public var uncommitted: [String]
}

/// Finds the rate-card commits behind a price effect, from the cost
/// repository's card history (first-parent, from HEAD), read once and only
/// when a row needs it.
public final class RateCardBlame {
    let repository: CostRepository
    private var history: [PriceCommit]?

    public init(repository: CostRepository) { self.repository = repository }

    /// Every price change of the history, per commit, oldest first (none without a history).
    func commits() -> [PriceCommit] {
        if let history { return history }
        var out: [PriceCommit] = []
        if let cards = try? CardHistory(costRepository: repository) {
            func parsed(_ files: [String: ObjectID]) -> [RateCard] {
                var list: [RateCard] = []
                for (path, blob) in files.sorted(by: { $0.key < $1.key }) {
                    if let card = try? cards.card(path: path, blob: blob), !list.contains(where: { $0.provider == card.provider }) { list.append(card) }
                }
                return list
            }
            for c in cards.commits {
                let changes = PriceChanges.between(old: parsed(c.parentCards), new: parsed(c.cards), commitTime: c.time)
                if !changes.isEmpty {
                    out.append(PriceCommit(id: c.id, time: c.time, author: c.author, subject: c.summary, changes: changes))
                }
            }
        }
        history = out
        return out
    }

    /// The points (other than the constant prices' own) that priced `repriced`
    /// models over their days, and the commits that added or edited them.
    public func pin(keys: [String], repriced: [String: ClosedRange<String>], book: PriceBook, prices: ConstantPrices) -> PricePin {
        var wanted: [(provider: String, model: String, effective: String)] = []
        for (served, days) in repriced.sorted(by: { $0.key < $1.key }) {
            guard let slash = served.firstIndex(of: "/") else { continue }
            let provider = String(served[..<slash])
            guard case .success(let m) = book.resolve(provider: provider, model: String(served[served.index(after: slash)...])),
                let from = Timestamp.parseDateOrTimestamp(days.lowerBound), let to = ConstantPrices.endOfDay(days.upperBound)
            else { continue }
            let constant = book.pointIndex(model: m, at: prices.instant)
            let model = book.models[m]
            for (k, index) in model.pointIndices.enumerated() where index != constant {
                // In effect at some instant of [from, to]: starts by `to`, and the next point starts after `from`.
                let next = k + 1 < model.effectives.count ? model.effectives[k + 1] : Int64.max
                guard model.effectives[k] <= to, next > from else { continue }
                let p = book.points[Int(index)]
                if !wanted.contains(where: { $0 == (p.provider, p.model, p.effectiveText) }) { wanted.append((p.provider, p.model, p.effectiveText)) }
            }
        }
        var pin = PricePin(keys: keys, commits: [], uncommitted: [])
        guard !wanted.isEmpty else { return pin }
        var found = Set<Int>()
        for commit in commits() {
            let relevant = commit.changes.filter { c in
                [.added, .backdated, .edited].contains(c.kind) && wanted.contains { $0 == (c.provider, c.model, c.effective) }
            }
            guard !relevant.isEmpty else { continue }
            for c in relevant { if let k = wanted.firstIndex(where: { $0 == (c.provider, c.model, c.effective) }) { found.insert(k) } }
            var hit = commit
            hit.changes = relevant
            pin.commits.append(hit)
        }
        pin.uncommitted = wanted.indices.filter { !found.contains($0) }.map { "\(wanted[$0].provider)/\(wanted[$0].model)@\(wanted[$0].effective)" }
        return pin
    }
}
