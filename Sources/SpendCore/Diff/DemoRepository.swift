import Foundation

/// The scripted repository of `spend demo`: four releases of a small app,
/// a retry loop introduced in the summaries feature in v1.3, a gpt-4o-mini
/// price cut, and some prototype spend made before the first release with no
/// owner tags (unattributed, of no release). Built with libgit2 (no git binary),
/// deterministically (fixed dates, authors and token counts).
public enum DemoRepository {
    public static let card = """
        provider = "openai"
        currency = "USD"

        [[price]]
        model = "gpt-4o"
        effective = 2024-10-01
        input = 2.50
        cached_input = 1.25
        output = 10.00

        [[price]]
        model = "gpt-4o-mini"
        effective = 2024-07-18
        input = 0.15
        cached_input = 0.075
        output = 0.60

        """

    public static let priceCut = """

        [[price]]
        model = "gpt-4o-mini"
        effective = 2026-03-01
        input = 0.10
        cached_input = 0.05
        output = 0.40

        """

    public static let policy = """
        [policy]
        required_tags = ["team", "feature", "env"]

        [features.chat]
        paths = ["src/chat/**"]

        [features.search]
        paths = ["src/search/**"]

        [features.summaries]
        paths = ["src/summarize/**"]

        """

    struct Feature {
        var name: String
        var team: String
        var model: String
        var perDay: Int
        var input: Int
        var output: Int
    }

    static let features = [
        Feature(name: "chat", team: "assistant", model: "gpt-4o", perDay: 24, input: 1800, output: 350),
        Feature(name: "search", team: "discovery", model: "gpt-4o-mini", perDay: 40, input: 3000, output: 200),
        Feature(name: "summaries", team: "assistant", model: "gpt-4o", perDay: 12, input: 6000, output: 600),
    ]

    /// Builds the repository at `directory`, which is created (its parent must exist).
    public static func build(at directory: String) throws {
        let fm = FileManager.default
        if mkdir(directory, 0o755) != 0 { throw IOError(path: directory, errno: errno) }
        let repo = try GitRepository.initialize(at: directory)
        func write(_ path: String, _ text: String, append: Bool = false) throws {
            let url = URL(fileURLWithPath: directory + "/" + path)
            try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            var data = Data(text.utf8)
            if append, let old = fm.contents(atPath: url.path) { data = old + data }
            try data.write(to: url)
        }
        func day(_ s: String) -> Int64 { Timestamp.parseDateOrTimestamp(s)! / 1000 }
        @discardableResult
        func commit(_ message: String, _ author: String, _ date: String) throws -> ObjectID {
            let email = author.lowercased().replacingOccurrences(of: " ", with: ".") + "@example.com"
            return try repo.commitAll(message: message, name: author, email: email, time: day(date))
        }
        var seed: UInt64 = 42
        func jitter(_ base: Int) -> Int {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return base * (80 + Int((seed >> 33) % 41)) / 100
        }
        var counter = 0
        /// Events of every feature for each day in [from, to), stamped by `stamp`.
        /// With `ownerTags` false, the events carry only `env` (no team, no feature: unattributed).
        func events(from: String, days: Int, stamp: String, retries: Set<String> = [], only: Set<String>? = nil, ownerTags: Bool = true)
            -> [String: String]
        {
            var shards: [String: String] = [:]
            let start = Timestamp.day(ofMillis: Timestamp.parseDateOrTimestamp(from)!)
            for d in 0..<days {
                let date = Timestamp.dateString(days: start + Int64(d))
                for f in features where only?.contains(f.name) ?? true {
                    for k in 0..<f.perDay {
                        let attempts = retries.contains(f.name) && k % 4 != 3 ? 3 : 1
                        for attempt in 1...attempts {
                            counter += 1
                            let minute = (k * 37 + attempt) % 60
                            let hour = 8 + (k % 10)
                            let ts = "\(date)T\(Timestamp.pad(Int64(hour), 2)):\(Timestamp.pad(Int64(minute), 2)):00Z"
                            var line = "{\"ts\":\"\(ts)\",\"id\":\"demo-\(counter)\",\"provider\":\"openai\",\"model\":\"\(f.model)\","
                            line += "\"input_tokens\":\(jitter(f.input)),\"output_tokens\":\(jitter(f.output)),"
                            if attempt > 1 { line += "\"status\":\"ok\",\"attempt\":\(attempt)," }
                            let owner = ownerTags ? "\"team\":\"\(f.team)\",\"feature\":\"\(f.name)\"," : ""
                            line += "\"tags\":{\(owner)\"env\":\"prod\"}\(stamp)}\n"
                            shards["ledger/" + date.prefix(4) + "/" + date.prefix(7) + ".jsonl", default: ""] += line
                        }
                    }
                }
            }
            return shards
        }
        func appendEvents(_ shards: [String: String]) throws {
            for (path, text) in shards.sorted(by: { $0.key < $1.key }) { try write(path, text, append: true) }
        }
        /// A nightly backfill job run from a laptop: no release, no commit (placed by tag dates).
        func backfill(from: String, days: Int) -> [String: String] {
            var shards: [String: String] = [:]
            let start = Timestamp.day(ofMillis: Timestamp.parseDateOrTimestamp(from)!)
            for d in 0..<days where d % 2 == 0 {
                let date = Timestamp.dateString(days: start + Int64(d))
                counter += 1
                shards["ledger/" + date.prefix(4) + "/" + date.prefix(7) + ".jsonl", default: ""] +=
                    "{\"ts\":\"\(date)T02:00:00Z\",\"id\":\"demo-\(counter)\",\"provider\":\"openai\",\"model\":\"gpt-4o-mini\",\"requests\":50,\"input_tokens\":\(jitter(400000)),\"output_tokens\":\(jitter(50000)),\"tags\":{\"team\":\"data\",\"feature\":\"backfill\",\"env\":\"prod\"}}\n"
            }
            return shards
        }

        try write("spend.toml", policy)
        try write("ratecards/openai.toml", card)
        try write(".gitattributes", "ledger/**/*.jsonl merge=union\n")
        try write("src/chat/handler.py", "def reply(message):\n    return llm.chat(SYSTEM, message)\n")
        try write("src/search/query.py", "def search(q):\n    return rank(llm.expand(q))\n")
        try write("src/summarize/stream.py", "def summarize(doc):\n    return llm.stream(doc)\n")
        try write("README.md", "A small app that calls LLM APIs.\n")
        // Prototype days before the first release: no owner tags (unattributed) and no release.
        try appendEvents(events(from: "2026-01-02", days: 3, stamp: "", only: ["chat"], ownerTags: false))
        let v10 = try commit("Initial app: chat, search, summaries", "Ana Lima", "2026-01-05")
        try repo.createTag("v1.0", at: v10)
        try appendEvents(events(from: "2026-01-05", days: 27, stamp: ",\"release\":\"v1.0\""))
        try appendEvents(backfill(from: "2026-01-05", days: 27))
        try commit("ledger: January", "Cost Bot", "2026-01-31T23:00:00Z")

        try write("src/search/rerank.py", "def rerank(results):\n    return llm.rerank(results)\n")
        let v11 = try commit("Search: rerank results", "Ben Okafor", "2026-02-01T09:00:00Z")
        try repo.createTag("v1.1", at: v11)
        try appendEvents(events(from: "2026-02-01", days: 14, stamp: ",\"commit\":\"\(v11.hex)\""))
        try appendEvents(backfill(from: "2026-02-01", days: 14))
        try commit("ledger: 1-14 February", "Cost Bot", "2026-02-14T23:00:00Z")

        try write("src/chat/prompt.py", "SYSTEM = 'Be brief.'\n")
        let v12 = try commit("Chat: shorter system prompt", "Chen Wei", "2026-02-15T09:00:00Z")
        try repo.createTag("v1.2", at: v12)
        try appendEvents(events(from: "2026-02-15", days: 14, stamp: ",\"release\":\"v1.2\""))
        try appendEvents(backfill(from: "2026-02-15", days: 14))
        try commit("ledger: 15-28 February", "Cost Bot", "2026-02-28T23:00:00Z")

        try write("ratecards/openai.toml", card + priceCut)
        try commit("ratecards: gpt-4o-mini price cut from 2026-03-01", "Finance Ops", "2026-02-28T23:30:00Z")
        try write("src/summarize/stream.py", "def summarize(doc):\n    for attempt in range(3):\n        out = llm.stream(doc)\n        if not out.rate_limited: return out\n")
        try commit("Summaries: retry on 429 before stream close", "Dana Ruiz", "2026-03-01T08:00:00Z")
        try write("src/chat/handler.py", "def reply(message):\n    log.info(len(message))\n    return llm.chat(SYSTEM, message)\n")
        let v13 = try commit("Chat: log prompt sizes", "Chen Wei", "2026-03-01T09:00:00Z")
        try repo.createTag("v1.3", at: v13)
        try appendEvents(events(from: "2026-03-01", days: 14, stamp: ",\"commit\":\"\(v13.hex)\"", retries: ["summaries"]))
        try appendEvents(backfill(from: "2026-03-01", days: 14))
        try commit("ledger: 1-14 March", "Cost Bot", "2026-03-14T23:00:00Z")
    }
}
