import Foundation
import SpendCore

/// Generates realistic cost events deterministically: several teams,
/// features, environments and customers; OpenAI, Anthropic and Google models;
/// retries, errors, batch roll-ups, prompt caching, tool calls and a few
/// untagged events. Used for the bundled sample ledger, the benchmark and tests.
public struct SyntheticLedger: Sendable {
    /// First month generated (UTC), as year and month.
    public var startYear: Int64
    public var startMonth: Int64
    public var months: Int
    public var eventsPerMonth: Int
    public var seed: UInt64

    public init(startYear: Int64 = 2026, startMonth: Int64 = 7, months: Int = 4, eventsPerMonth: Int = 1000, seed: UInt64 = 42) {
        self.startYear = startYear
        self.startMonth = startMonth
        self.months = months
        self.eventsPerMonth = eventsPerMonth
        self.seed = seed
    }

    struct Workload {
        var team: String
        var feature: String
        var weight: Int
        var models: [(provider: String, model: String)]
        var input: ClosedRange<Int64>
        var output: ClosedRange<Int64>
        var cachedShare: Int64  // percent of input served from cache
        var cacheWrites: Bool
        var batchPercent: Double
        var webSearchPercent: Double
    }

    static let workloads: [Workload] = [
        Workload(team: "support", feature: "support-copilot", weight: 26,
            models: [("openai", "gpt-4o"), ("openai", "gpt-4o-2024-11-20"), ("anthropic", "claude-sonnet-4-20250514")],
            input: 1_500...9_000, output: 200...1_200, cachedShare: 40, cacheWrites: true, batchPercent: 0, webSearchPercent: 0),
        Workload(team: "support", feature: "classify-tickets", weight: 18,
            models: [("openai", "gpt-4o-mini"), ("openai", "gpt-5.4-mini")],
            input: 300...1_200, output: 5...40, cachedShare: 0, cacheWrites: false, batchPercent: 10, webSearchPercent: 0),
        Workload(team: "growth", feature: "summaries", weight: 16,
            models: [("openai", "gpt-4.1"), ("anthropic", "claude-3-5-haiku-20241022")],
            input: 3_000...24_000, output: 300...1_500, cachedShare: 20, cacheWrites: true, batchPercent: 0, webSearchPercent: 0),
        Workload(team: "growth", feature: "sales-assistant", weight: 8,
            models: [("anthropic", "claude-sonnet-4-20250514"), ("openai", "gpt-5.4")],
            input: 4_000...60_000, output: 500...3_000, cachedShare: 30, cacheWrites: true, batchPercent: 0, webSearchPercent: 15),
        Workload(team: "search", feature: "search-rerank", weight: 14,
            models: [("google", "gemini-3-flash-preview"), ("openai", "gpt-4.1-mini")],
            input: 2_000...12_000, output: 50...300, cachedShare: 10, cacheWrites: false, batchPercent: 0, webSearchPercent: 0),
        Workload(team: "search", feature: "embeddings-index", weight: 8,
            models: [("openai", "text-embedding-3-small")],
            input: 20_000...400_000, output: 0...0, cachedShare: 0, cacheWrites: false, batchPercent: 0, webSearchPercent: 0),
        Workload(team: "research", feature: "agent-research", weight: 6,
            models: [("anthropic", "claude-sonnet-4-20250514"), ("google", "gemini-1.5-pro-002")],
            input: 20_000...260_000, output: 1_000...6_000, cachedShare: 25, cacheWrites: true, batchPercent: 0, webSearchPercent: 40),
        Workload(team: "platform", feature: "eval-harness", weight: 4,
            models: [("openai", "gpt-4.1-mini"), ("openai", "gpt-4o-mini")],
            input: 1_000...6_000, output: 100...800, cachedShare: 0, cacheWrites: false, batchPercent: 70, webSearchPercent: 0),
    ]

    static let customers = ["acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne"]
    static let releases = ["v1.0.0", "v1.1.0", "v1.2.0", "v1.3.0", "v1.4.0", "v1.5.0"]

    /// The events of month `index` (0-based from the start), sorted by `ts`.
    public func events(month index: Int) -> [LedgerEvent] {
        var out: [LedgerEvent] = []
        out.reserveCapacity(eventsPerMonth)
        generate(month: index) { out.append($0) }
        return out
    }

    /// Calls `body` with each event of month `index`, in `ts` order.
    public func generate(month index: Int, _ body: (LedgerEvent) -> Void) {
        var rng = SplitMix64(seed: seed &+ UInt64(index) &* 0x1000_0001)
        let monthNumber = startMonth - 1 + Int64(index)
        let year = startYear + monthNumber / 12
        let month = monthNumber % 12 + 1
        let startDay = Timestamp.daysFromCivil(year: year, month: month, day: 1)
        let monthMillis = Timestamp.daysInMonth(year: year, month: month) * Timestamp.millisPerDay
        let start = startDay * Timestamp.millisPerDay
        let step = max(1, monthMillis / Int64(max(eventsPerMonth, 1)))
        let totalWeight = Self.workloads.reduce(0) { $0 + $1.weight }
        let release = Self.releases[min(index, Self.releases.count - 1)]
        let commits = (0..<6).map { _ in String(format: "%016llx%016llx%08x", rng.next(), rng.next(), UInt32(truncatingIfNeeded: rng.next())) }
        var ts = start
        var previous: (trace: String, workload: Int)?
        for n in 0..<eventsPerMonth {
            ts = start + Int64(n) * step + rng.int(0...(step - 1))
            var pickWeight = Int(rng.next() % UInt64(totalWeight))
            var w = 0
            while pickWeight >= Self.workloads[w].weight {
                pickWeight -= Self.workloads[w].weight
                w += 1
            }
            // A retry repeats the previous call's workload and trace.
            let retry = previous != nil && rng.chance(5)
            if retry { w = previous!.workload }
            let load = Self.workloads[w]
            let (provider, model) = rng.pick(load.models)
            let id = String(format: "req_%011llx%08x", ts, UInt32(truncatingIfNeeded: rng.next()))
            var tags = ["team": load.team, "feature": load.feature]
            let envRoll = rng.int(0...99)
            let env = envRoll < 80 ? "prod" : envRoll < 93 ? "staging" : "dev"
            tags["env"] = env
            if env == "prod" { tags["customer"] = rng.pick(Self.customers) }
            if rng.chance(2.5) { tags["team"] = nil }  // untagged spend: the first thing to fix
            var input = rng.int(load.input)
            let cachedShare = load.cachedShare > 0 && rng.chance(60) ? rng.int(0...load.cachedShare) : 0
            let cached = input * cachedShare / 100
            input -= cached
            var event = LedgerEvent(ts: ts, id: id, provider: provider, model: model, inputTokens: input, outputTokens: rng.int(load.output), tags: tags)
            if cached > 0 { event.cachedInputTokens = cached }
            if load.cacheWrites && provider == "anthropic" && rng.chance(20) { event.cacheWriteTokens = rng.int(500...4_000) }
            if load.batchPercent > 0 && rng.chance(load.batchPercent) {
                event.batch = true
                let requests = rng.int(20...200)
                event.requests = requests
                event.inputTokens *= requests
                event.outputTokens *= requests
                event.cachedInputTokens = event.cachedInputTokens.map { $0 * requests }
            } else if load.feature == "embeddings-index" {
                let requests = rng.int(10...100)
                event.requests = requests
            }
            if provider == "openai" && load.feature == "support-copilot" && rng.chance(10) { event.serviceTier = "priority" }
            if load.webSearchPercent > 0 && provider == "anthropic" && rng.chance(load.webSearchPercent) {
                event.toolCalls = ["web_search": rng.int(1...4)]
            }
            let trace = retry ? previous!.trace : String(format: "tr_%016llx", rng.next())
            event.traceId = trace
            if retry { event.attempt = rng.int(2...3) }
            let statusRoll = rng.int(0...999)
            if statusRoll < 20 {
                event.status = "error"
                event.outputTokens = 0
            } else if statusRoll < 30 {
                event.status = "timeout"
                event.outputTokens /= 3
            }
            event.latencyMs = 200 + event.outputTokens * 12 + rng.int(0...800)
            event.release = release
            event.commit = rng.pick(commits)
            previous = (trace, w)
            body(event)
        }
    }

    /// Writes the ledger shards under `root/ledger/`. Returns (events, bytes).
    @discardableResult
    public func write(to root: String) throws -> (events: Int, bytes: Int) {
        var total = (events: 0, bytes: 0)
        for index in 0..<months {
            var text = ""
            text.reserveCapacity(eventsPerMonth * 400)
            var path = ""
            generate(month: index) { event in
                if path.isEmpty { path = event.shardPath }
                text += event.jsonLine
                text += "\n"
                total.events += 1
            }
            guard !path.isEmpty else { continue }
            let url = URL(fileURLWithPath: root).appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            let data = Data(text.utf8)
            try data.write(to: url)
            total.bytes += data.count
        }
        return total
    }
}
