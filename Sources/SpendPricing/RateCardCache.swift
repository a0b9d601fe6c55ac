import Foundation
import SpendBase
import Synchronization

/// Parsed rate cards by content. A card's text (with its path and blob id)
/// always parses to the same ``RateCard``, so a process that prices the same
/// cards more than once — `spend audit` across commits, a host that runs
/// several invocations (the in-process test suite, an editor integration) —
/// parses each distinct card once.
///
/// Only successful parses are kept: a card with errors is parsed again, so
/// its diagnostics are always fresh. The cache holds at most ``capacity``
/// cards and forgets the oldest first. Lookups compare the whole text (its
/// hash, then equality), so an edited card is never served stale.
package final class RateCardCache: Sendable {
    /// The process's cache.
    package static let shared = RateCardCache(capacity: 64)

    /// The most cards kept.
    package let capacity: Int

    private struct Key: Hashable {
        let path: String
        let blobId: String?
        let text: String
    }

    private struct State {
        var cards: [Key: RateCard] = [:]
        /// Keys in insertion order (the oldest first).
        var order: [Key] = []
    }

    private let state = Mutex(State())

    package init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// The card `text` parses to (``RateCardParser/parse(_:path:blobId:)``),
    /// parsed once per distinct (text, path, blob id).
    package func card(_ text: String, path: String, blobId: String? = nil) throws(DiagnosticsError) -> RateCard {
        let key = Key(path: path, blobId: blobId, text: text)
        if let card = state.withLock({ $0.cards[key] }) { return card }
        // Parsed outside the lock: two threads may parse the same card at
        // once; both get equal cards and the second insert is a no-op.
        let card = try RateCardParser.parse(text, path: path, blobId: blobId)
        state.withLock { state in
            guard state.cards[key] == nil else { return }
            if state.order.count >= capacity {
                let oldest = state.order.removeFirst()
                state.cards[oldest] = nil
            }
            state.cards[key] = card
            state.order.append(key)
        }
        return card
    }

    /// How many cards are kept.
    package var count: Int { state.withLock { $0.cards.count } }
}
