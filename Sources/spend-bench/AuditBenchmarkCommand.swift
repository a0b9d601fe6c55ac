import ArgumentParser
import Foundation
import SpendCLI
import SpendCore
import SpendTestSupport

/// `spend-bench audit`: time `spend audit` over a long rate-card history and
/// a large ledger (warm: the first run is dropped).
public struct AuditBenchmarkCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Time `spend audit` over N scripted rate-card commits and a synthetic ledger.")

    @Option(help: "Events in the ledger (4 monthly shards, July–October 2026).")
    public var events: Int = 1_000_000

    @Option(help: "Rate-card commits to script.")
    public var commits: Int = 500

    @Option(help: "Timed runs after the warm-up (the median is reported).")
    public var runs: Int = 3

    @Option(help: "Where to build the benchmark repository (kept between runs).")
    public var dir: String = "/tmp/spend-bench-audit"

    @Option(help: "The spend executable to time (default: the one next to spend-bench).")
    public var spend: String?

    public init() {}

    /// Models of the synthetic ledger by provider, with the served names that alias to them.
    static let models: [(provider: String, model: String, aliases: [String])] = [
        ("openai", "gpt-4o", ["gpt-4o-2024-11-20"]), ("openai", "gpt-4o-mini", []), ("openai", "gpt-4.1", []),
        ("openai", "gpt-4.1-mini", []), ("openai", "gpt-5.4", []), ("openai", "gpt-5.4-mini", []),
        ("openai", "text-embedding-3-small", []), ("anthropic", "claude-sonnet-4", ["claude-sonnet-4-20250514"]),
        ("anthropic", "claude-3-5-haiku", ["claude-3-5-haiku-20241022"]), ("google", "gemini-3-flash-preview", []),
        ("google", "gemini-1.5-pro", ["gemini-1.5-pro-002"]),
    ]

    /// A full price point at `percent` of a base price list.
    static func point(_ model: String, _ effective: String, percent: Int) -> String {
        func rate(_ base: String) -> String { (try! (ExactDecimal(base)! * ExactDecimal(percent)).shifted(right: 2)).description }  // constants
        return """

            [[price]]
            model = "\(model)"
            effective = \(effective)
            input = "\(rate("2.50"))"
            cached_input = "\(rate("0.25"))"
            cache_write = "\(rate("3.125"))"
            output = "\(rate("10.00"))"
            batch_discount = 0.5
            tool_calls = { web_search = 10.00 }
            tiers = [ { above_input_tokens = 200000, input = "\(rate("5.00"))", cached_input = "\(rate("0.50"))", cache_write = "\(rate("6.25"))", output = "\(rate("15.00"))" } ]
            service_tiers = { priority = { input = "\(rate("4.25"))", cached_input = "\(rate("0.425"))", output = "\(rate("17.00"))" }, flex = { input = "\(rate("1.25"))", cached_input = "\(rate("0.125"))", output = "\(rate("5.00"))" } }

            """
    }

    public func run() throws {
        let fm = FileManager.default
        let executableDir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let spendPath = spend ?? executableDir.appendingPathComponent("spend").path
        let marker = dir + "/.generated-\(events)-\(commits)"
        if !fm.fileExists(atPath: marker) {
            try? fm.removeItem(atPath: dir)
            try fm.createDirectory(atPath: dir + "/ratecards", withIntermediateDirectories: true)
            let repo = try GitRepository.initialize(at: dir)
            // The ledger stays in the working tree (audit re-prices the working-tree ledger); git holds the card history.
            try Data("ledger/\n.generated-*\n".utf8).write(to: URL(fileURLWithPath: dir + "/.gitignore"))
            _ = try SyntheticLedger(startYear: 2026, startMonth: 7, months: 4, eventsPerMonth: events / 4, seed: 7).write(to: dir)
            // Each provider's card: aliases and one base point per model; then `commits` scripted changes.
            var points: [String: [(model: String, effective: String, percent: Int)]] = [:]
            var aliases: [String: [(String, String)]] = [:]
            for m in Self.models {
                points[m.provider, default: []].append((m.model, "2024-01-01", 100))
                for a in m.aliases { aliases[m.provider, default: []].append((a, m.model)) }
            }
            func writeCards() throws {
                for (provider, list) in points {
                    var text = "provider = \"\(provider)\"\ncurrency = \"USD\"\n\n[aliases]\n"
                    for (pattern, target) in aliases[provider] ?? [] { text += "\"\(pattern)\" = \"\(target)\"\n" }
                    for p in list { text += Self.point(p.model, p.effective, percent: p.percent) }
                    try Data(text.utf8).write(to: URL(fileURLWithPath: dir + "/ratecards/\(provider).toml"))
                }
            }
            let start = Timestamp.parse("2026-01-01T00:00:00Z")! / 1000
            try writeCards()
            try repo.commitAll(message: "rate cards", name: "Bench", email: "bench@example.com", time: start)
            var rng = SplitMix64(seed: 99)
            for k in 1..<commits {
                let time = start + Int64(k) * 16 * 3600
                let m = Self.models[Int(rng.next() % UInt64(Self.models.count))]
                var list = points[m.provider]!
                let kind: String
                switch k % 20 {
                case 7, 14:
                    // Edit a point in place.
                    let i = Int(rng.next() % UInt64(list.count))
                    list[i].percent += 3
                    kind = "edit \(list[i].model)@\(list[i].effective)"
                case 19 where list.count > 1:
                    let i = 1 + Int(rng.next() % UInt64(list.count - 1))
                    kind = "delete \(list[i].model)@\(list[i].effective)"
                    list.remove(at: i)
                case 11:
                    aliases[m.provider, default: []].append(("\(m.model)-bench-\(k)", m.model))
                    kind = "alias \(m.model)-bench-\(k)"
                default:
                    // A new point: a quarter backdated into the ledger's months, the rest effective after the commit.
                    let effective: Int64
                    if k % 4 == 0 {
                        effective = Timestamp.parse("2026-07-01T00:00:00Z")! + Int64(rng.next() % UInt64(120 * 86_400)) * 1000
                    } else {
                        effective = (time + 2 * 86_400 + Int64(k)) * 1000
                    }
                    let percent = 80 + Int(rng.next() % 40)
                    list.append((m.model, Timestamp.format(millis: effective), percent))
                    kind = "price \(m.model) \(percent)%"
                }
                points[m.provider] = list
                try writeCards()
                try repo.commitAll(message: "bench \(k): \(kind)", name: ["Alice", "Bob", "Carol"][k % 3], email: "bench@example.com", time: time)
            }
            fm.createFile(atPath: marker, contents: nil)
        }
        let ledgerBytes = ((try? fm.contentsOfDirectory(atPath: dir + "/ledger/2026")) ?? []).reduce(0) {
            $0 + (((try? fm.attributesOfItem(atPath: dir + "/ledger/2026/" + $1))?[.size] as? Int) ?? 0)
        }
        Console.out(
            "repository: \(commits) rate-card commits, \(events) events (\(String(format: "%.1f", Double(ledgerBytes) / 1e6)) MB); \(ProcessInfo.processInfo.activeProcessorCount) cores")
        for format in ["csv", "table"] {
            let (first, sorted) = try BenchProcess.time(spendPath, ["audit", "-C", dir, "--format", format], runs: runs)
            Console.out(
                String(
                    format: "spend audit --format %@: median %.2f s over %d warm runs (min %.2f, max %.2f); first run %.2f s",
                    format, sorted[sorted.count / 2], sorted.count, sorted.first!, sorted.last!, first))
        }
    }
}
