import Foundation
import SpendCore

/// `ratecards/*.toml`: parse, then build a price book and price every point.
enum CardHarness {
    static func check(_ data: UnsafeRawBufferPointer) -> String? {
        let text = String(decoding: data, as: UTF8.self)
        guard let card = try? RateCardParser.parse(text, path: "ratecards/fuzz.toml") else { return nil }
        let book = PriceBook(cards: [card])
        _ = book.aliasDiagnostics()
        let usage = Usage(requests: 2, inputTokens: 300_000, cachedInputTokens: 1000, cacheWriteTokens: 1000, outputTokens: 500, toolCalls: ["web_search": 3])
        for point in card.points {
            for batch in [false, true] {
                for tier in [nil] + point.serviceTiers.keys.sorted() {
                    guard let priced = try? book.price(
                        provider: card.provider, model: point.model, at: point.effective, usage: usage, batch: batch, serviceTier: tier)
                    else { continue }
                    // Negative prices are refused, so no cost can be negative.
                    if priced.cost.isNegative { return "negative cost \(priced.cost) for \(point.id) batch=\(batch) tier=\(tier ?? "standard")" }
                }
            }
        }
        for alias in card.aliases {
            _ = book.resolve(provider: card.provider, model: alias.pattern)
        }
        return nil
    }
}

/// `spend.toml`: parse, then use what was parsed.
enum PolicyHarness {
    static func check(_ data: UnsafeRawBufferPointer) -> String? {
        let text = String(decoding: data, as: UTF8.self)
        guard let policy = try? Policy.parse(text) else { return nil }
        for env in [nil] + policy.environments.keys.sorted() {
            let tags = policy.requiredTags(env: env)
            if !policy.requiredTags.allSatisfy(tags.contains) { return "requiredTags(env: \(env ?? "nil")) drops a global required tag" }
        }
        for rule in policy.environments.values {
            for model in rule.denyModels { _ = Glob(model).matches("gpt-4o-2024-08-06") }
        }
        for mapping in policy.features + policy.teams {
            for path in mapping.paths { _ = Glob(path, pathMode: true).matches("src/summarize/stream.py") }
        }
        return nil
    }
}

/// `spend append --openai-response / --anthropic-response` bodies.
enum ResponseHarness {
    static func check(_ kind: ProviderResponse.Kind, _ data: UnsafeRawBufferPointer) -> String? {
        guard let draft = try? ProviderResponse.draft(kind, body: Array(data), path: "response.json") else { return nil }
        let e = draft.event
        let counts = [e.inputTokens, e.outputTokens, e.cachedInputTokens ?? 0, e.cacheWriteTokens ?? 0, e.cacheWrite1hTokens ?? 0]
            + (e.toolCalls ?? [:]).values
        if counts.contains(where: { $0 < 0 }) { return "negative token count in a draft: \(e)" }
        if e.model.isEmpty { return "empty model in a draft: \(e)" }
        if e.provider != kind.provider { return "provider \(e.provider) from a \(kind.rawValue) response" }
        return nil
    }
}

/// `Glob` (rate-card aliases, deny_models, feature paths) against a
/// dynamic-programming reference. Input: a flag byte (bit 0: path mode),
/// the pattern, a NUL byte, the text.
enum GlobHarness {
    static func check(_ data: UnsafeRawBufferPointer, pending: Set<PendingRule>) -> String? {
        guard let flags = data.first else { return nil }
        let rest = Array(data.dropFirst())
        let nul = rest.firstIndex(of: 0) ?? rest.count
        if pending.contains(.globBacktracking) && (rest[..<nul].filter { $0 == 42 }.count > 3 || rest.count - nul > 65) { return nil }
        let pattern = String(decoding: rest[..<nul], as: UTF8.self)
        let text = String(decoding: rest[min(nul + 1, rest.count)...], as: UTF8.self)
        let pathMode = flags & 1 == 1
        let glob = Glob(pattern, pathMode: pathMode)
        _ = glob.isWildcard
        _ = glob.literalCount
        let got = glob.matches(text)
        let want = ReferenceGlob.matches(Array(pattern.utf8), Array(text.utf8), pathMode: pathMode)
        if got != want {
            return "Glob(\(show(Array(pattern.utf8))), pathMode: \(pathMode)).matches(\(show(Array(text.utf8)))) = \(got), reference \(want)"
        }
        return nil
    }
}

/// The glob language of `Glob`'s documentation, over UTF-8 bytes, in O(pattern × text):
/// `*` any run (in path mode: of bytes other than `/`), `?` one byte (not `/`
/// in path mode), path mode `**` any run, `**/` nothing or any run ending in `/`.
enum ReferenceGlob {
    enum Token: Equatable { case byte(UInt8), one, run, segmentRun, directories }

    static func tokens(_ p: [UInt8], pathMode: Bool) -> [Token] {
        var out: [Token] = []
        var i = 0
        while i < p.count {
            switch p[i] {
            case 42 where pathMode && i + 1 < p.count && p[i + 1] == 42:
                if i + 2 < p.count && p[i + 2] == 47 {
                    out.append(.directories)
                    i += 3
                } else {
                    out.append(.run)
                    i += 2
                }
            case 42:
                out.append(pathMode ? .segmentRun : .run)
                i += 1
            case 63:
                out.append(.one)
                i += 1
            default:
                out.append(.byte(p[i]))
                i += 1
            }
        }
        return out
    }

    static func matches(_ pattern: [UInt8], _ t: [UInt8], pathMode: Bool) -> Bool {
        let tk = tokens(pattern, pathMode: pathMode)
        let n = t.count
        // dp[i][j]: tokens i... match t[j...].
        var next = [Bool](repeating: false, count: n + 1)
        next[n] = true
        for token in tk.reversed() {
            var cur = [Bool](repeating: false, count: n + 1)
            var slashAhead = false  // some k ≥ j with t[k] == "/" and next[k + 1]
            for j in stride(from: n, through: 0, by: -1) {
                switch token {
                case .byte(let c): cur[j] = j < n && t[j] == c && next[j + 1]
                case .one: cur[j] = j < n && !(pathMode && t[j] == 47) && next[j + 1]
                case .run: cur[j] = next[j] || (j < n && cur[j + 1])
                case .segmentRun: cur[j] = next[j] || (j < n && t[j] != 47 && cur[j + 1])
                case .directories:
                    if j < n && t[j] == 47 && next[j + 1] { slashAhead = true }
                    cur[j] = next[j] || slashAhead
                }
            }
            next = cur
        }
        return next[0]
    }
}
