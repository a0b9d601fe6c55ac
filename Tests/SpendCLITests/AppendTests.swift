import Foundation
import SpendCore
import XCTest

/// `spend append` end to end: the built `spend` and `spend-append` executables
/// against temporary git repositories.
final class AppendTests: XCTestCase {
    static let shard = "ledger/2026/2026-11.jsonl"
    static let responses = Paths.packageRoot.appendingPathComponent("Tests/Fixtures/responses")

    /// A policy with every rule kind append enforces.
    static let policy = """
        [policy]
        required_tags = ["team", "env"]

        [policy.tags.env]
        allowed = ["prod", "staging", "dev"]

        [policy.env.staging]
        deny_models = ["gpt-4o", "claude-opus-*"]

        """

    /// Flags of a valid event in November 2026 that the policy above accepts.
    static let valid = [
        "--provider", "openai", "--model", "gpt-4o", "--input", "2000", "--output", "500", "--ts", "2026-11-03T10:00:00Z",
        "--tag", "team=growth", "--tag", "env=prod",
    ]

    // MARK: Helpers

    /// Runs `spend append ARGS` (or `spend-append` with `standalone`) with the repository as cwd
    /// (or `cwd`), feeding `input` on standard input.
    func append(
        _ repo: TestRepo, _ args: [String], input: Data? = nil, environment: [String: String] = [:], cwd: URL? = nil,
        standalone: Bool = false
    ) throws -> RunResult {
        try runSpend(
            standalone ? "spend-append" : "spend", (standalone ? [] : ["append"]) + args, in: cwd ?? repo.root, environment: environment,
            input: input)
    }

    /// The bytes of a file, or nil when it does not exist.
    func bytes(_ repo: TestRepo, _ relative: String) -> Data? {
        FileManager.default.contents(atPath: repo.url(relative).path)
    }

    /// The lines of a shard (no newlines); fails when a line is not a valid event.
    func events(_ repo: TestRepo, _ relative: String = AppendTests.shard, file: StaticString = #filePath, line: UInt = #line)
        throws -> [(text: String, event: LedgerEvent)]
    {
        let text = try repo.read(relative)
        XCTAssertTrue(text.isEmpty || text.hasSuffix("\n"), "\(relative) must end with a newline", file: file, line: line)
        return try text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { l in
            (String(l), try LedgerEvent.parse(line: String(l)))
        }
    }

    /// Every `.jsonl` file under `ledger/`, repository-relative, sorted.
    func shards(_ repo: TestRepo) -> [String] {
        let base = repo.url("ledger").path
        guard let walker = FileManager.default.enumerator(atPath: base) else { return [] }
        return walker.compactMap { $0 as? String }.filter { $0.hasSuffix(".jsonl") }.map { "ledger/" + $0 }.sorted()
    }

    /// `git hash-object` of a file in the repository.
    func blobID(_ repo: TestRepo, _ relative: String) throws -> String {
        try repo.git("hash-object", relative).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A repository with the bundled cards and, optionally, the test policy.
    func costRepo(policy: Bool = false, git: Bool = true) throws -> TestRepo {
        let repo = try makeRepo(git: git)
        if policy { try repo.write("spend.toml", Self.policy) }
        return repo
    }

    /// Asserts exit 2 with each of `fragments` on stderr, nothing on stdout, and the closing count line.
    func assertRejected(_ r: RunResult, _ fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
        assertRejected(r, file: file, line: line)
        for fragment in fragments {
            XCTAssertTrue(r.stderr.contains(fragment), "expected «\(fragment)» in stderr:\n\(r.stderr)", file: file, line: line)
        }
    }

    /// Decodes the 48-bit millisecond time of a ULID (its first 10 characters).
    func ulidMillis(_ id: String) -> Int64? {
        let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
        var value: Int64 = 0
        for c in id.prefix(10) {
            guard let digit = alphabet.firstIndex(of: c) else { return nil }
            value = value * 32 + Int64(digit)
        }
        return value
    }

    // MARK: Writing

    func testFlagsAppendOnePricedEventAndSayWhere() throws {
        let repo = try costRepo(policy: true)
        let r = try append(repo, Self.valid + ["--id", "req-1"])
        assertOK(r)
        // gpt-4o from 2024-10-01: 2,000 × 2.50 + 500 × 10.00 = 5,000 + 5,000 per 1M = 0.01
        XCTAssertEqual(r.stdout, "appended req-1 to \(Self.shard), cost $0.01\n")
        XCTAssertEqual(r.stderr, "")
        let lines = try events(repo)
        XCTAssertEqual(lines.count, 1)
        XCTAssertEqual(lines[0].event.cost, ExactDecimal("0.01"))
        XCTAssertEqual(
            lines[0].event.pricedWith, "openai/gpt-4o@2025-08-07 ratecards/openai.toml@\(try blobID(repo, "ratecards/openai.toml"))")
        XCTAssertEqual(shards(repo), [Self.shard])
        // The standalone executable does the same.
        let s = try append(repo, Self.valid + ["--id", "req-2"], standalone: true)
        assertOK(s)
        XCTAssertEqual(s.stdout, "appended req-2 to \(Self.shard), cost $0.01\n")
        XCTAssertEqual(try events(repo).map(\.event.id), ["req-1", "req-2"])
        let lint = try repo.spend("lint", "--all")
        XCTAssertEqual(lint.status, 0, lint.stdout + lint.stderr)
    }

    func testCanonicalKeyOrderAndShardOfTheUTCMonth() throws {
        let repo = try costRepo()
        // Keys scrambled; ts two hours west of UTC on Oct 31 is Nov 1 in UTC.
        let json = """
            {"tags":{"team":"growth","env":"prod"},"commit":"abc123","trace_id":"tr_1","latency_ms":1200,"attempt":2,\
            "status":"ok","tool_calls":{"web_search":1},"output_tokens":400,"cache_write_tokens":300,"cached_input_tokens":2000,\
            "input_tokens":1000,"requests":2,"batch":true,"service_tier":"standard","model_requested":"claude-sonnet-4-0",\
            "model":"claude-sonnet-4-20250514","provider":"anthropic","id":"req-canon","ts":"2026-10-31T23:30:00-02:00"}
            """
        let r = try append(repo, ["--json", json], environment: ["SPEND_RELEASE": "v9.9.9"])
        assertOK(r)
        // claude-sonnet-4 (2025-05-22), batch halves the token rates: 1.50 in, 0.15 cached, 1.875 write, 7.50 out.
        // 1,000 × 1.50 + 2,000 × 0.15 + 300 × 1.875 + 400 × 7.50 = 1,500 + 300 + 562.5 + 3,000 = 5,362.5 per 1M
        // = 0.0053625; plus 1 web search at 10.00 per 1,000 = 0.01 → 0.0153625. (500 tokens per request: no tier.)
        let blob = try blobID(repo, "ratecards/anthropic.toml")
        let expected = """
            {"ts":"2026-11-01T01:30:00.000Z","id":"req-canon","provider":"anthropic","model":"claude-sonnet-4-20250514",\
            "model_requested":"claude-sonnet-4-0","service_tier":"standard","batch":true,"requests":2,"input_tokens":1000,\
            "cached_input_tokens":2000,"cache_write_tokens":300,"output_tokens":400,"tool_calls":{"web_search":1},"status":"ok",\
            "attempt":2,"latency_ms":1200,"trace_id":"tr_1","tags":{"env":"prod","team":"growth"},"release":"v9.9.9",\
            "commit":"abc123","cost":"0.0153625","priced_with":"anthropic/claude-sonnet-4@2025-05-22 ratecards/anthropic.toml@\(blob)"}

            """
        XCTAssertEqual(try repo.read("ledger/2026/2026-11.jsonl"), expected)
        XCTAssertEqual(shards(repo), ["ledger/2026/2026-11.jsonl"])

        // The directories of a new year are created.
        assertOK(try append(repo, ["--provider", "openai", "--model", "gpt-4o", "--input", "1", "--output", "1", "--ts", "2031-02-28T23:59:59.999+00:00"]))
        XCTAssertEqual(shards(repo), ["ledger/2026/2026-11.jsonl", "ledger/2031/2031-02.jsonl"])
        // Just before midnight UTC in a +01:00 zone is still the previous month.
        assertOK(try append(repo, ["--provider", "openai", "--model", "gpt-4o", "--input", "1", "--output", "1", "--ts", "2031-03-01T00:30:00+01:00"]))
        XCTAssertEqual(try events(repo, "ledger/2031/2031-02.jsonl").map { Timestamp.format(millis: $0.event.ts) },
            ["2031-02-28T23:59:59.999Z", "2031-02-28T23:30:00.000Z"])
    }

    func testStdinBatchWritesInInputOrderAndSummarizes() throws {
        let repo = try costRepo(policy: true)
        var text = ""
        for i in 1...5 {
            text += #"{"ts":"2026-11-0\#(i)T10:00:00Z","id":"b-\#(i)","provider":"openai","model":"gpt-4o","input_tokens":1000,"output_tokens":100,"tags":{"team":"growth","env":"dev"}}"# + "\n"
            if i == 2 { text += "\n   \n" }  // blank lines are skipped
        }
        text += #"{"ts":"2026-12-01T00:00:00Z","id":"b-dec","provider":"openai","model":"gpt-4o","input_tokens":1000,"output_tokens":100,"tags":{"team":"growth","env":"dev"}}"#  // no final newline
        let r = try append(repo, ["--stdin"], input: Data(text.utf8))
        assertOK(r)
        // Each: 1,000 × 2.50 + 100 × 10.00 = 3,500 per 1M = 0.0035; × 6 = 0.021
        XCTAssertEqual(r.stdout, "appended 6 events (ledger/2026/2026-11.jsonl +5, ledger/2026/2026-12.jsonl +1), cost $0.021\n")
        XCTAssertEqual(try events(repo).map(\.event.id), ["b-1", "b-2", "b-3", "b-4", "b-5"])
        XCTAssertEqual(try events(repo, "ledger/2026/2026-12.jsonl").map(\.event.id), ["b-dec"])

        // Empty standard input: nothing to do, nothing written, exit 0.
        let before = bytes(repo, Self.shard)
        let empty = try append(repo, ["--stdin"], input: Data("\n\n".utf8))
        XCTAssertEqual(empty.status, 0, empty.stderr)
        XCTAssertEqual(empty.stdout, "")
        XCTAssertTrue(empty.stderr.contains("nothing to append"), empty.stderr)
        XCTAssertEqual(bytes(repo, Self.shard), before)
    }

    func testDryRunWritesNothingAndPrintsTheLine() throws {
        let repo = try costRepo(policy: true)
        let r = try append(repo, Self.valid + ["--id", "dry-1", "--dry-run"], environment: ["SPEND_COMMIT": "c0ffee", "SPEND_RELEASE": "v1"])
        assertOK(r)
        let blob = try blobID(repo, "ratecards/openai.toml")
        XCTAssertEqual(
            r.stdout,
            """
            {"ts":"2026-11-03T10:00:00.000Z","id":"dry-1","provider":"openai","model":"gpt-4o","input_tokens":2000,\
            "output_tokens":500,"tags":{"env":"prod","team":"growth"},"release":"v1","commit":"c0ffee","cost":"0.01",\
            "priced_with":"openai/gpt-4o@2025-08-07 ratecards/openai.toml@\(blob)"}

            """)
        XCTAssertTrue(r.stderr.contains("dry run: 1 event checked; nothing written"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: repo.url("ledger").path), "dry run created ledger/")
        XCTAssertFalse(FileManager.default.fileExists(atPath: repo.gitRoot.appendingPathComponent(".git/spend").path))

        // A dry run still rejects what a real append would.
        assertRejected(try append(repo, Array(Self.valid.dropLast(2)) + ["--dry-run"]), ["error[tag-required]: missing tag \"env\""])

        // And it prints what the real append then writes.
        let real = try append(repo, Self.valid + ["--id", "dry-1"], environment: ["SPEND_COMMIT": "c0ffee", "SPEND_RELEASE": "v1"])
        assertOK(real)
        XCTAssertEqual(try repo.read(Self.shard), r.stdout)
    }

    func testQuietPrintsNothing() throws {
        let repo = try costRepo()
        let r = try append(repo, ["-q", "--provider", "openai", "--model", "gpt-4o", "--input", "1", "--output", "1", "--ts", "2026-11-01T00:00:00Z"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "")
        XCTAssertEqual(r.stderr, "")
        XCTAssertEqual(try events(repo).count, 1)
        let s = try append(repo, ["--quiet", "--stdin"], input: Data(#"{"ts":"2026-11-02T00:00:00Z","provider":"openai","model":"gpt-4o","input_tokens":1,"output_tokens":1}"#.utf8))
        XCTAssertEqual(s.status, 0, s.stderr)
        XCTAssertEqual(s.stdout + s.stderr, "")
        XCTAssertEqual(try events(repo).count, 2)
    }

    func testEveryFlagLandsInItsKey() throws {
        let repo = try costRepo()
        let r = try append(
            repo,
            [
                "--provider", "openai", "--model", "gpt-4o-2024-11-20", "--model-requested", "gpt-4o", "--service-tier", "priority",
                "--requests", "2", "--input", "3000", "--cached-input", "1000", "--output", "600", "--status", "error", "--attempt", "3",
                "--latency-ms", "950", "--trace-id", "tr-9", "--tag", "team=x", "--id", "all-flags", "--ts", "2026-11-07T08:09:10.011Z",
                "--sync",
            ], environment: ["SPEND_COMMIT": "c", "SPEND_RELEASE": "r"])
        assertOK(r)
        // gpt-4o-2024-11-20 is an alias of gpt-4o; the 2024-10-01 point's priority tier: 4.25 in, 2.125 cached, 17.00 out.
        // 3,000 × 4.25 + 1,000 × 2.125 + 600 × 17 = 12,750 + 2,125 + 10,200 = 25,075 per 1M = 0.025075
        let blob = try blobID(repo, "ratecards/openai.toml")
        XCTAssertEqual(
            try repo.read(Self.shard),
            """
            {"ts":"2026-11-07T08:09:10.011Z","id":"all-flags","provider":"openai","model":"gpt-4o-2024-11-20","model_requested":"gpt-4o",\
            "service_tier":"priority","requests":2,"input_tokens":3000,"cached_input_tokens":1000,"output_tokens":600,"status":"error",\
            "attempt":3,"latency_ms":950,"trace_id":"tr-9","tags":{"team":"x"},"release":"r","commit":"c","cost":"0.025075",\
            "priced_with":"openai/gpt-4o@2025-08-07 ratecards/openai.toml@\(blob)"}

            """)
        // --batch halves gpt-4o: 2,000 × 1.25 + 500 × 5.00 = 5,000 per 1M = 0.005.
        let b = try append(repo, ["--provider", "openai", "--model", "gpt-4o", "--batch", "--input", "2000", "--output", "500", "--ts", "2026-11-07T00:00:00Z", "--dry-run"])
        assertOK(b)
        XCTAssertTrue(b.stdout.contains(#""model":"gpt-4o","batch":true,"input_tokens":2000,"#), b.stdout)
        XCTAssertTrue(b.stdout.contains(#""cost":"0.005""#), b.stdout)
        // Repeated --tool-call flags add up: claude-sonnet-4 8,000 / 1,200 = 0.042, + 3 searches × 0.01 = 0.072.
        let t = try append(repo, [
            "--provider", "anthropic", "--model", "claude-sonnet-4-0", "--input", "8000", "--output", "1200", "--tool-call", "web_search=1",
            "--tool-call", "web_search=2", "--ts", "2026-11-07T00:00:00Z", "--dry-run",
        ])
        assertOK(t)
        XCTAssertTrue(t.stdout.contains(#""tool_calls":{"web_search":3}"#), t.stdout)
        XCTAssertTrue(t.stdout.contains(#""cost":"0.072""#), t.stdout)
        assertRejected(try append(repo, ["--provider", "anthropic", "--model", "claude-sonnet-4-0", "--input", "1", "--output", "1", "--tool-call", "web_search"]), ["--tool-call expects NAME=N, got 'web_search'"])
        assertRejected(try append(repo, ["--provider", "openai", "--model", "gpt-4o", "--input", "1", "--output", "1", "--tool-call", "code_interpreter=1"]), ["error[no-price]"])
        assertRejected(try append(repo, ["--provider", "openai", "--model", "gpt-4o", "--input", "1", "--output", "1", "--requests", "0"]), ["error[schema]: requests must be an integer ≥ 1"])
        assertRejected(try append(repo, ["--provider", "openai", "--model", "gpt-4o", "--input", "1", "--output", "1", "--id", ""]), ["error[schema]: id must not be empty"])
        XCTAssertEqual(try events(repo).count, 1)
    }

    /// A cost repository in a subdirectory of a larger git repository (a monorepo).
    func testCostRepositoryInASubdirectory() throws {
        // (TestRepo's own `git init` runs in the subdirectory: init the top instead.)
        let repo = try makeRepo(git: false, subdirectory: "finops")
        let initialized = try runProcess(Paths.git, ["init", "-q", "-b", "main"], in: repo.gitRoot)
        XCTAssertEqual(initialized.status, 0, initialized.stderr)
        let base = ["--provider", "openai", "--model", "gpt-4o", "--input", "1", "--output", "1", "--ts", "2026-11-01T00:00:00Z"]
        assertOK(try append(repo, base + ["--id", "m-1"]))
        XCTAssertEqual(try events(repo).map(\.event.id), ["m-1"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: repo.gitRoot.appendingPathComponent("ledger").path))
        let ids = repo.gitRoot.appendingPathComponent(".git/spend/ids")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: ids.path).filter { $0.hasSuffix(".idx") }.count, 1)
        // From deeper inside the cost repository, and with -C from the top of the git repository.
        let deep = repo.url("ledger/2026")
        let r = try append(repo, base + ["--id", "m-1"], cwd: deep)
        assertRejected(r, ["duplicate id \"m-1\": already in \(Self.shard)"])
        assertOK(try append(repo, ["-C", "finops"] + base + ["--id", "m-2"], cwd: repo.gitRoot))
        XCTAssertEqual(try events(repo).map(\.event.id), ["m-1", "m-2"])
        // Outside any cost repository.
        let nowhere = try makeTempDir()
        assertRejected(try append(repo, base, cwd: nowhere), ["not a cost repository"])
    }

    // MARK: Stamping

    func testStampsNowAndTimeSortableIds() throws {
        let repo = try costRepo()
        var ids: [String] = []
        for _ in 0..<3 {
            let before = Int64(Date().timeIntervalSince1970 * 1000)
            let r = try append(repo, ["-q", "--provider", "openai", "--model", "gpt-4o", "--input", "10", "--output", "1"])
            let after = Int64(Date().timeIntervalSince1970 * 1000)
            XCTAssertEqual(r.status, 0, r.stderr)
            let all = shards(repo).flatMap { (try? events(repo, $0)) ?? [] }
            guard let last = all.first(where: { !ids.contains($0.event.id) }) else { return XCTFail("no new event") }
            let e = last.event
            // ts: now, UTC, milliseconds.
            XCTAssertTrue(e.ts >= before - 1 && e.ts <= after + 1, "ts \(e.ts) not within [\(before), \(after)]")
            XCTAssertNotNil(last.text.range(of: #"^\{"ts":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z","#, options: .regularExpression), last.text)
            XCTAssertEqual(shards(repo).last, e.shardPath)
            // id: a 26-character ULID whose time part is the event's ts.
            XCTAssertEqual(e.id.count, 26)
            XCTAssertNotNil(e.id.range(of: "^[0-9A-HJKMNP-TV-Z]{26}$", options: .regularExpression), e.id)
            XCTAssertEqual(ulidMillis(e.id), e.ts)
            ids.append(e.id)
            usleep(2000)  // consecutive appends at distinct milliseconds
        }
        XCTAssertEqual(ids, ids.sorted(), "ids of consecutive appends sort in time order")
        XCTAssertEqual(Set(ids).count, 3)
    }

    func testCommitAndReleaseOfTheCodeRepository() throws {
        let costs = try costRepo()
        let code = try makeRepo(cards: false)
        try code.write("app.py", "print('v1')\n")
        try code.commitAll("v1")
        try code.git("tag", "v1.2.0")
        try code.write("app.py", "print('v1 + fix')\n")
        try code.commitAll("fix")
        let head = try code.git("rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
        let flags = ["-C", costs.root.path, "--provider", "openai", "--model", "gpt-4o", "--input", "1", "--output", "1", "--ts", "2026-11-01T00:00:00Z"]

        assertOK(try append(costs, flags + ["--id", "from-code"], cwd: code.root))
        // The environment overrides what git says.
        assertOK(try append(costs, flags + ["--id", "overridden"], environment: ["SPEND_COMMIT": "deadbeef", "SPEND_RELEASE": "v9"], cwd: code.root))
        // Values in the event win over both.
        let json = #"{"ts":"2026-11-01T00:00:00Z","id":"own","provider":"openai","model":"gpt-4o","input_tokens":1,"output_tokens":1,"release":"r-own","commit":"c-own"}"#
        assertOK(try append(costs, ["-C", costs.root.path, "--json", json], environment: ["SPEND_COMMIT": "deadbeef", "SPEND_RELEASE": "v9"], cwd: code.root))
        // A subdirectory of the code repository is inside it too.
        let sub = code.root.appendingPathComponent("src")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        assertOK(try append(costs, flags + ["--id", "from-subdir"], cwd: sub))
        // Outside any git repository: no commit or release.
        let outside = try makeTempDir()
        assertOK(try append(costs, flags + ["--id", "no-git"], cwd: outside))

        let byId = Dictionary(uniqueKeysWithValues: try events(costs).map { ($0.event.id, $0.event) })
        XCTAssertEqual(byId["from-code"]?.commit, head)
        XCTAssertEqual(byId["from-code"]?.release, "v1.2.0")
        XCTAssertEqual(byId["overridden"]?.commit, "deadbeef")
        XCTAssertEqual(byId["overridden"]?.release, "v9")
        XCTAssertEqual(byId["own"]?.commit, "c-own")
        XCTAssertEqual(byId["own"]?.release, "r-own")
        XCTAssertEqual(byId["from-subdir"]?.commit, head)
        XCTAssertEqual(byId["from-subdir"]?.release, "v1.2.0")
        XCTAssertNil(byId["no-git"]?.commit)
        XCTAssertNil(byId["no-git"]?.release)

        // The code repository moves on: new tags, packed refs, new commits, a detached HEAD, a worktree.
        func stamped(_ id: String, cwd: URL) throws -> (commit: String?, release: String?) {
            let r = try append(costs, flags + ["--id", id, "--dry-run"], cwd: cwd)
            assertOK(r)
            let e = try LedgerEvent.parse(line: r.lines.first ?? "")
            return (e.commit, e.release)
        }
        func rev(_ name: String) throws -> String {
            try code.git("rev-parse", name).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        try code.git("tag", "v1.3.0")
        var got = try stamped("retagged", cwd: code.root)
        XCTAssertEqual(got.commit, head)
        XCTAssertEqual(got.release, "v1.3.0", "a new tag on HEAD is the nearest")
        try code.git("pack-refs", "--all")
        got = try stamped("packed", cwd: code.root)
        XCTAssertEqual(got.commit, head)
        XCTAssertEqual(got.release, "v1.3.0")
        try code.write("app.py", "print('v1.3 + more')\n")
        try code.commitAll("more")
        got = try stamped("next-commit", cwd: code.root)
        XCTAssertEqual(got.commit, try rev("HEAD"))
        XCTAssertNotEqual(got.commit, head)
        XCTAssertEqual(got.release, "v1.3.0")
        try code.git("tag", "-a", "v2.0.0", "-m", "two")
        XCTAssertEqual(try stamped("annotated", cwd: code.root).release, "v2.0.0")
        try code.git("tag", "-d", "v2.0.0")
        XCTAssertEqual(try stamped("tag-deleted", cwd: code.root).release, "v1.3.0")
        try code.git("checkout", "-q", "--detach", "v1.2.0")
        got = try stamped("detached", cwd: code.root)
        XCTAssertEqual(got.commit, try rev("v1.2.0^{commit}"))
        XCTAssertEqual(got.release, "v1.2.0")
        let worktree = try makeTempDir().appendingPathComponent("wt")
        try code.git("worktree", "add", "-q", "-b", "side", worktree.path, "main")
        got = try stamped("worktree", cwd: worktree)
        XCTAssertEqual(got.commit, try rev("main"))
        XCTAssertEqual(got.release, "v1.3.0")
    }

    func testTagsFromEnvironmentFlagsAndTheEvent() throws {
        let repo = try costRepo(policy: true)
        let env = ["SPEND_TAGS": "team=platform, env=dev,feature=search"]
        let base = ["--provider", "openai", "--model", "gpt-4o", "--input", "1", "--output", "1", "--ts", "2026-11-01T00:00:00Z"]
        // SPEND_TAGS alone satisfies the policy.
        assertOK(try append(repo, base + ["--id", "env-only"], environment: env))
        // --tag wins over SPEND_TAGS; the rest of SPEND_TAGS still applies.
        assertOK(try append(repo, base + ["--id", "flag-wins", "--tag", "team=growth"], environment: env))
        // Tags in the event win over both.
        let json = #"{"ts":"2026-11-01T00:00:00Z","id":"event-wins","provider":"openai","model":"gpt-4o","input_tokens":1,"output_tokens":1,"tags":{"team":"search","customer":"acme"}}"#
        assertOK(try append(repo, ["--json", json, "--tag", "team=growth", "--tag", "env=prod"], environment: env))
        let byId = Dictionary(uniqueKeysWithValues: try events(repo).map { ($0.event.id, $0.event.tags) })
        XCTAssertEqual(byId["env-only"], ["team": "platform", "env": "dev", "feature": "search"])
        XCTAssertEqual(byId["flag-wins"], ["team": "growth", "env": "dev", "feature": "search"])
        XCTAssertEqual(byId["event-wins"], ["team": "search", "env": "prod", "feature": "search", "customer": "acme"])
        // A malformed SPEND_TAGS is a usage error.
        let bad = try append(repo, base + ["--id", "bad-env"], environment: ["SPEND_TAGS": "team"])
        assertRejected(bad, ["SPEND_TAGS expects KEY=VALUE pairs separated by commas, got 'team'"])
        XCTAssertEqual(try events(repo).count, 3)
    }

    func testNoPriceWritesNoCostButStillChecksTheModel() throws {
        let repo = try costRepo()
        let r = try append(repo, ["--no-price", "--id", "np", "--provider", "openai", "--model", "gpt-4o", "--input", "1", "--output", "1", "--ts", "2026-11-01T00:00:00Z"])
        assertOK(r)
        XCTAssertEqual(r.stdout, "appended np to \(Self.shard)\n")
        let line = try events(repo)[0]
        XCTAssertNil(line.event.cost)
        XCTAssertNil(line.event.pricedWith)
        XCTAssertFalse(line.text.contains("cost") || line.text.contains("priced_with"), line.text)
        let before = bytes(repo, Self.shard)
        assertRejected(
            try append(repo, ["--no-price", "--provider", "openai", "--model", "gpt-9", "--input", "1", "--output", "1", "--ts", "2026-11-01T00:00:00Z"]),
            ["<flags>: error[unknown-model]: model \"gpt-9\" matches no price or alias in ratecards/openai.toml"])
        assertRejected(
            try append(repo, ["--no-price", "--provider", "openai", "--model", "gpt-4o", "--input", "1", "--output", "1", "--ts", "2019-01-01T00:00:00Z"]),
            ["error[no-price]"])
        XCTAssertEqual(bytes(repo, Self.shard), before)
    }

    // MARK: Rejected input

    func testEachBadInputIsRejectedWithItsRule() throws {
        let repo = try costRepo(policy: true)
        // A shard that exists: every rejection below must leave it byte-identical.
        assertOK(try append(repo, Self.valid + ["--id", "existing"]))
        let before = try XCTUnwrap(bytes(repo, Self.shard))
        let base = ["--provider", "openai", "--model", "gpt-4o", "--input", "1", "--output", "1", "--ts", "2026-11-01T00:00:00Z"]
        let cases: [(String, [String], [String])] = [
            ("missing tag", base + ["--tag", "env=dev"], ["<flags>: error[tag-required]: missing tag \"team\""]),
            ("empty tag", base + ["--tag", "env=dev", "--tag", "team="], ["<flags>: error[tag-required]: tag \"team\" is empty"]),
            ("tag not allowed", base + ["--tag", "env=qa", "--tag", "team=x"],
                ["<flags>: error[tag-allowed]: tag \"env\" is \"qa\", not one of: prod, staging, dev"]),
            ("denied model", base + ["--tag", "env=staging", "--tag", "team=x"],
                ["<flags>: error[model-denied]: model \"gpt-4o\" is denied for env \"staging\" (deny_models \"gpt-4o\")"]),
            ("denied model via alias", ["--provider", "openai", "--model", "gpt-4o-2024-11-20", "--input", "1", "--output", "1", "--tag", "env=staging", "--tag", "team=x"],
                ["error[model-denied]: model \"gpt-4o\" is denied for env \"staging\""]),
            ("unknown model", ["--provider", "openai", "--model", "gpt-9", "--input", "1", "--output", "1", "--tag", "env=dev", "--tag", "team=x"],
                ["<flags>: error[unknown-model]: model \"gpt-9\" matches no price or alias in ratecards/openai.toml"]),
            ("unknown provider", ["--provider", "acme", "--model", "m", "--input", "1", "--output", "1", "--tag", "env=dev", "--tag", "team=x"],
                ["<flags>: error[unknown-model]"]),
            ("no price at ts", ["--provider", "openai", "--model", "gpt-4o", "--input", "1", "--output", "1", "--ts", "2019-01-01T00:00:00Z", "--tag", "env=dev", "--tag", "team=x"],
                ["<flags>: error[no-price]: no price for openai/gpt-4o in effect at 2019-01-01T00:00:00.000Z (first point is effective 2024-05-13, ratecards/openai.toml:"]),
            ("unpriced token kind", base + ["--cache-write", "10", "--tag", "env=dev", "--tag", "team=x"], ["<flags>: error[no-price]"]),
            ("negative input flag", ["--provider", "openai", "--model", "gpt-4o", "--input=-5", "--output", "1", "--tag", "env=dev", "--tag", "team=x"],
                ["<flags>: error[schema]: input_tokens must be a non-negative integer"]),
            ("negative input json",
                ["--json", #"{"provider":"openai","model":"gpt-4o","input_tokens":-5,"output_tokens":1,"tags":{"team":"x","env":"dev"}}"#],
                [
                    "<json>:1:54: error[schema]: input_tokens must be a non-negative integer\n",
                    #"1 | {"provider":"openai","model":"gpt-4o","input_tokens":-5,"#,
                ]),
            ("malformed json",
                ["--json", #"{"provider":"openai","model":"gpt-4o","input_tokens":5 "output_tokens":1}"#],
                [
                    "<json>:1:56: error[json]: expected ',' or '}'\n  |\n"
                        + #"1 | {"provider":"openai","model":"gpt-4o","input_tokens":5 "output_tokens":1}"# + "\n"
                        + "  | " + String(repeating: " ", count: 55) + "^\n"
                ]),
            ("unknown key",
                ["--json", #"{"provider":"openai","model":"gpt-4o","input_tokens":5,"output_tokens":1,"colour":"x","tags":{"team":"x","env":"dev"}}"#],
                ["<json>:1:74: error[schema]: unknown key \"colour\""]),
            ("two lines in --json", ["--json", "{\"provider\":\"openai\"}\n{\"provider\":\"openai\"}"], ["--json takes one event on one line"]),
            ("bad ts", Array(base.dropLast(2)) + ["--ts", "2026-13-01", "--tag", "env=dev", "--tag", "team=x"], ["--ts expects an RFC 3339 timestamp"]),
            ("missing flags", ["--provider", "openai", "--model", "gpt-4o"], ["an event needs --input, --output"]),
            ("two inputs", ["--stdin", "--json", "{}"], ["give one input"]),
        ]
        for (name, args, fragments) in cases {
            let r = try append(repo, args)
            XCTAssertEqual(r.status, 2, "\(name): \(r.stderr)")
            XCTAssertEqual(r.stdout, "", name)
            for fragment in fragments {
                XCTAssertTrue(r.stderr.contains(fragment), "\(name): expected «\(fragment)» in:\n\(r.stderr)")
            }
            XCTAssertEqual(bytes(repo, Self.shard), before, "\(name) changed the shard")
        }
        // Input errors end with the count and "nothing was written".
        let last = try append(repo, base + ["--tag", "env=dev"])
        XCTAssertTrue(last.stderr.hasSuffix("spend: 1 error; nothing was written\n"), last.stderr)
        XCTAssertEqual(shards(repo), [Self.shard])
    }

    func testStdinBatchWithOneBadLineWritesNothing() throws {
        let repo = try costRepo(policy: true)
        func batch(badLine: Int, bad: String, alsoBad: Int = 0) -> Data {
            var text = ""
            for i in 1...100 {
                if i == badLine || i == alsoBad {
                    text += bad + "\n"
                } else {
                    text += #"{"ts":"2026-11-0\#(1 + i % 9)T10:00:00Z","provider":"openai","model":"gpt-4o","input_tokens":\#(i),"output_tokens":1,"tags":{"team":"growth","env":"dev"}}"# + "\n"
                }
            }
            return Data(text.utf8)
        }
        let missingEnv = #"{"ts":"2026-11-05T10:00:00Z","provider":"openai","model":"gpt-4o","input_tokens":1,"output_tokens":1,"tags":{"team":"growth"}}"#
        let syntax = #"{"ts":"2026-11-05T10:00:00Z","provider":"openai","model":"gpt-4o","input_tokens":1,,"output_tokens":1}"#

        // The shard does not exist yet: it must not be created (nor ledger/).
        let r1 = try append(repo, ["--stdin"], input: batch(badLine: 57, bad: missingEnv))
        assertRejected(r1, ["<stdin>:57: error[tag-required]: missing tag \"env\"", "spend: 1 error; nothing was written"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: repo.url("ledger").path), "a rejected batch created ledger/")

        let r2 = try append(repo, ["--stdin"], input: batch(badLine: 100, bad: syntax))
        assertRejected(r2, ["<stdin>:100:84: error[json]: expected a quoted key\n", "    | " + String(repeating: " ", count: 83) + "^\n"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: repo.url("ledger").path))

        // The shard exists: byte-identical afterwards.
        assertOK(try append(repo, Self.valid + ["--id", "existing"]))
        let before = try XCTUnwrap(bytes(repo, Self.shard))
        assertRejected(try append(repo, ["--stdin"], input: batch(badLine: 1, bad: missingEnv)), ["<stdin>:1: error[tag-required]"])
        XCTAssertEqual(bytes(repo, Self.shard), before)
        assertRejected(try append(repo, ["--stdin"], input: batch(badLine: 42, bad: syntax)), ["<stdin>:42:84: error[json]"])
        XCTAssertEqual(bytes(repo, Self.shard), before)
        // The last line without its newline is still line 100.
        var noNewline = batch(badLine: 100, bad: missingEnv)
        noNewline.removeLast()
        assertRejected(try append(repo, ["--stdin"], input: noNewline), ["<stdin>:100: error[tag-required]"])
        XCTAssertEqual(bytes(repo, Self.shard), before)

        // Every bad line is reported, not just the first: syntax and schema errors together,
        // then (once every line parses) policy errors together.
        var text = String(decoding: batch(badLine: 3, bad: syntax), as: UTF8.self)
        text = text.replacingOccurrences(of: #""input_tokens":77,"#, with: #""input_tokens":-77,"#)
        let r3 = try append(repo, ["--stdin"], input: Data(text.utf8))
        assertRejected(r3, ["<stdin>:3:84: error[json]", "<stdin>:77:", "error[schema]: input_tokens must be a non-negative integer", "spend: 2 errors; nothing was written"])
        XCTAssertEqual(bytes(repo, Self.shard), before)
        let r4 = try append(repo, ["--stdin"], input: batch(badLine: 3, bad: missingEnv, alsoBad: 77))
        assertRejected(r4, ["<stdin>:3: error[tag-required]", "<stdin>:77: error[tag-required]", "spend: 2 errors; nothing was written"])
        XCTAssertEqual(bytes(repo, Self.shard), before)

        // The batch once corrected goes in whole.
        let good = batch(badLine: 0, bad: "")
        let ok = try append(repo, ["--stdin"], input: good)
        assertOK(ok)
        XCTAssertEqual(try events(repo).count, 101)
        XCTAssertEqual(try events(repo).dropFirst().map(\.event.inputTokens), Array(1...100).map(Int64.init))
    }

    func testManyBadLinesAreCountedButFiftyShown() throws {
        let repo = try costRepo()
        let bad = String(repeating: #"{"provider":"openai","model":"gpt-9","input_tokens":1,"output_tokens":1}"# + "\n", count: 60)
        let r = try append(repo, ["--stdin"], input: Data(bad.utf8))
        assertRejected(r, ["<stdin>:1: error[unknown-model]", "<stdin>:50: error[unknown-model]", "spend: 10 more errors not shown\nspend: 60 errors; nothing was written\n"])
        XCTAssertFalse(r.stderr.contains("<stdin>:51:"), r.stderr)
        let dups = String(repeating: #"{"id":"same","provider":"openai","model":"gpt-4o","input_tokens":1,"output_tokens":1}"# + "\n", count: 60)
        assertRejected(try append(repo, ["--stdin"], input: Data(dups.utf8)), ["spend: 59 errors; nothing was written"])
        XCTAssertEqual(shards(repo), [])
    }

    func testDuplicateIdsAcrossShardsAreFound() throws {
        let repo = try costRepo()
        let base = ["--provider", "openai", "--model", "gpt-4o", "--input", "1", "--output", "1", "--id", "same"]
        assertOK(try append(repo, base + ["--ts", "2026-10-02T00:00:00Z"]))
        // Same id a month later: another shard, still a duplicate (lint checks the whole ledger).
        let r = try append(repo, base + ["--ts", "2026-11-02T00:00:00Z"])
        assertRejected(r, ["<flags>: error[duplicate-id]: duplicate id \"same\": already in ledger/2026/2026-10.jsonl"])
        XCTAssertNil(bytes(repo, Self.shard), "the November shard must not be created")
        // --skip-duplicates skips it (idempotent re-imports across a month boundary).
        let skip = try append(repo, base + ["--ts", "2026-11-02T00:00:00Z", "--skip-duplicates"])
        assertOK(skip)
        XCTAssertEqual(skip.stdout, "appended nothing\nskipped 1 duplicate (already in the ledger)\n")
        XCTAssertNil(bytes(repo, Self.shard))
        // --dry-run runs the same checks.
        assertRejected(try append(repo, base + ["--ts", "2026-11-02T00:00:00Z", "--dry-run"]), ["error[duplicate-id]"])
    }

    func testRejectedBatchCreatesNoShard() throws {
        let repo = try costRepo()
        let torn = repo.root.appendingPathComponent(Self.shard)
        try FileManager.default.createDirectory(at: torn.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(#"{"ts":"2026-11-01T00:00:00Z","id":"x""#.utf8).write(to: torn)
        let lines = [
            #"{"ts":"2026-11-03T00:00:00Z","provider":"openai","model":"gpt-4o","input_tokens":1,"output_tokens":1}"#,
            #"{"ts":"2027-01-03T00:00:00Z","provider":"openai","model":"gpt-4o","input_tokens":1,"output_tokens":1}"#,
        ]
        assertRejected(try append(repo, ["--stdin"], input: Data((lines.joined(separator: "\n") + "\n").utf8)), ["error[torn-shard]"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: repo.root.appendingPathComponent("ledger/2027").path), "a rejected batch created a shard")
    }

    func testIdIndexNoticesASameLengthRewrite() throws {
        let repo = try costRepo()
        var text = ""
        for n in 0..<100 {
            text += #"{"ts":"2026-11-02T00:00:00Z","id":"id-\#(String(format: "%03d", n))","provider":"openai","model":"gpt-4o","input_tokens":1,"output_tokens":1}"# + "\n"
        }
        assertOK(try append(repo, ["--stdin"], input: Data(text.utf8)))
        // Rewrite an id in the middle, same length (sed -i: a new file).
        let path = repo.root.appendingPathComponent(Self.shard)
        let edited = try String(contentsOf: path, encoding: .utf8).replacingOccurrences(of: "\"id-050\"", with: "\"zz-050\"")
        try FileManager.default.removeItem(at: path)
        try edited.write(to: path, atomically: false, encoding: .utf8)
        let r = try append(repo, ["--provider", "openai", "--model", "gpt-4o", "--input", "1", "--output", "1", "--ts", "2026-11-05T00:00:00Z", "--id", "zz-050"])
        assertRejected(r, ["duplicate id \"zz-050\": already in \(Self.shard)"])
    }

    func testStandaloneExecutablesPrintTheVersion() throws {
        let repo = try costRepo()
        for tool in ["spend-append", "spend-report", "spend-lint", "spend"] {
            let r = try runProcess(Paths.executable(tool), ["--version"], in: repo.root)
            XCTAssertEqual(r.status, 0, tool)
            XCTAssertEqual(r.stdout, "0.1.0\n", tool)
        }
    }

    func testDuplicateIds() throws {
        let repo = try costRepo()
        let base = ["--provider", "openai", "--model", "gpt-4o", "--input", "1", "--output", "1", "--ts", "2026-11-01T00:00:00Z"]
        assertOK(try append(repo, base + ["--id", "dup-1"]))
        let before = try XCTUnwrap(bytes(repo, Self.shard))
        let again = try append(repo, base + ["--id", "dup-1"])
        assertRejected(again, ["<flags>: error[duplicate-id]: duplicate id \"dup-1\": already in \(Self.shard)", "nothing was written"])
        XCTAssertEqual(bytes(repo, Self.shard), before)
        XCTAssertEqual(try events(repo).count, 1)

        // --skip-duplicates: exit 0, still one line.
        let skip = try append(repo, base + ["--id", "dup-1", "--skip-duplicates"])
        assertOK(skip)
        XCTAssertEqual(skip.stdout, "appended nothing\nskipped 1 duplicate (already in the ledger)\n")
        XCTAssertEqual(bytes(repo, Self.shard), before)

        // Inside one --stdin batch.
        func line(_ id: String) -> String {
            #"{"ts":"2026-11-02T00:00:00Z","id":"\#(id)","provider":"openai","model":"gpt-4o","input_tokens":1,"output_tokens":1}"# + "\n"
        }
        let batch = Data((line("n-1") + line("n-2") + line("n-1") + line("n-3") + line("n-2")).utf8)
        let r = try append(repo, ["--stdin"], input: batch)
        assertRejected(r, [
            "<stdin>:3: error[duplicate-id]: duplicate id \"n-1\" (also at line 1 of this batch)",
            "<stdin>:5: error[duplicate-id]: duplicate id \"n-2\" (also at line 2 of this batch)",
            "spend: 2 errors; nothing was written",
        ])
        XCTAssertEqual(bytes(repo, Self.shard), before)
        // A batch repeating an id already in the ledger is rejected whole.
        assertRejected(try append(repo, ["--stdin"], input: Data((line("n-9") + line("dup-1")).utf8)), ["<stdin>:2: error[duplicate-id]: duplicate id \"dup-1\": already in"])
        XCTAssertEqual(bytes(repo, Self.shard), before)

        // With --skip-duplicates the batch keeps the first of each id and skips those in the ledger.
        let s = try append(repo, ["--stdin", "--skip-duplicates"], input: Data((line("dup-1") + line("n-1") + line("n-2") + line("n-1")).utf8))
        assertOK(s)
        // 1 in / 1 out of gpt-4o: 2.50 + 10.00 per 1M = 0.0000125; × 2 = 0.000025
        XCTAssertEqual(s.stdout, "appended 2 events (\(Self.shard) +2), cost $0.000025\nskipped 2 duplicates (already in the ledger)\n")
        XCTAssertEqual(try events(repo).map(\.event.id), ["dup-1", "n-1", "n-2"])
        // Importing the same batch again is a no-op.
        let s2 = try append(repo, ["--stdin", "--skip-duplicates"], input: Data((line("dup-1") + line("n-1") + line("n-2")).utf8))
        assertOK(s2)
        XCTAssertEqual(try events(repo).map(\.event.id), ["dup-1", "n-1", "n-2"])
        let lint = try repo.spend("lint", "--all")
        XCTAssertEqual(lint.status, 0, lint.stdout)
    }

    func testTornShardIsRefusedAndLeftAlone() throws {
        let repo = try costRepo()
        let complete = #"{"ts":"2026-11-01T00:00:00Z","id":"t1","provider":"openai","model":"gpt-4o","input_tokens":5,"output_tokens":1,"tags":{}}"# + "\n"
        let partial = #"{"ts":"2026-11-01T00:00:00Z","id":"t2","prov"#
        try repo.write(Self.shard, complete + partial)
        let before = try XCTUnwrap(bytes(repo, Self.shard))
        let keep = complete.utf8.count
        let r = try append(repo, ["--provider", "openai", "--model", "gpt-4o", "--input", "1", "--output", "1", "--ts", "2026-11-20T00:00:00Z"])
        assertRejected(r, [
            "\(Self.shard): error[torn-shard]: the last line is incomplete (no newline after byte \(before.count))",
            "`truncate -s \(keep) \(Self.shard)`",
            "`tail -c 300 \(Self.shard)`",
            "nothing was written",
        ])
        XCTAssertEqual(bytes(repo, Self.shard), before)
        // The same through a batch, and with -C from elsewhere (the hint names the repository path).
        let elsewhere = try makeTempDir()
        let s = try append(repo, ["-C", repo.root.path, "--stdin"], input: Data(complete.replacingOccurrences(of: "t1", with: "t3").utf8), cwd: elsewhere)
        assertRejected(s, ["error[torn-shard]", "truncate -s \(keep) \(Self.shard)"])
        XCTAssertEqual(bytes(repo, Self.shard), before)
        // A shard with no newline at all: cut to 0.
        try repo.write(Self.shard, partial)
        assertRejected(try append(repo, ["--provider", "openai", "--model", "gpt-4o", "--input", "1", "--output", "1", "--ts", "2026-11-20T00:00:00Z"]), ["`truncate -s 0 \(Self.shard)`"])
        XCTAssertEqual(bytes(repo, Self.shard), Data(partial.utf8))
        // Following the hint repairs it.
        try repo.write(Self.shard, complete)
        assertOK(try append(repo, ["--provider", "openai", "--model", "gpt-4o", "--input", "1", "--output", "1", "--ts", "2026-11-20T00:00:00Z"]))
        XCTAssertEqual(try events(repo).count, 2)
    }

    // MARK: Provider responses

    func testOpenAIChatCompletion() throws {
        let repo = try costRepo()
        let file = Self.responses.appendingPathComponent("openai-chat-completion.json").path
        let r = try append(repo, ["--openai-response", file, "--tag", "team=support"])
        assertOK(r)
        // created 1764064800 = 2025-11-25T10:00:00Z; gpt-4o-2024-08-06 has its own point from 2024-10-01:
        // input 2.50, cached_input 1.25, output 10.00. prompt 2,006 of which 1,920 cached → 86 uncached.
        // 86 × 2.50 + 1,920 × 1.25 + 300 × 10.00 = 215 + 2,400 + 3,000 = 5,615 per 1M = 0.005615
        XCTAssertEqual(r.stdout, "appended chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG to ledger/2025/2025-11.jsonl, cost $0.005615\n")
        let e = try XCTUnwrap(events(repo, "ledger/2025/2025-11.jsonl").first?.event)
        XCTAssertEqual(e.id, "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG")
        XCTAssertEqual(e.model, "gpt-4o-2024-08-06")
        XCTAssertEqual(e.provider, "openai")
        XCTAssertEqual(Timestamp.format(millis: e.ts), "2025-11-25T10:00:00.000Z")
        XCTAssertEqual(e.inputTokens, 86)
        XCTAssertEqual(e.cachedInputTokens, 1920)
        XCTAssertNil(e.cacheWriteTokens)
        XCTAssertEqual(e.outputTokens, 300)
        XCTAssertNil(e.serviceTier, "service_tier \"default\" is the standard tier")
        XCTAssertEqual(e.tags, ["team": "support"])
        XCTAssertEqual(e.cost, ExactDecimal("0.005615"))
        XCTAssertEqual(e.pricedWith, "openai/gpt-4o-2024-08-06@2024-10-01 ratecards/openai.toml@\(try blobID(repo, "ratecards/openai.toml"))")
        // The same response again is a duplicate (idempotent with --skip-duplicates).
        assertRejected(try append(repo, ["--openai-response", file]), ["error[duplicate-id]"])
        assertOK(try append(repo, ["--openai-response", file, "--skip-duplicates"]))
        XCTAssertEqual(try events(repo, "ledger/2025/2025-11.jsonl").count, 1)
    }

    func testOpenAIResponsesAPIFromStdin() throws {
        let repo = try costRepo()
        let body = try Data(contentsOf: Self.responses.appendingPathComponent("openai-responses.json"))
        let r = try append(repo, ["--openai-response", "-", "--dry-run"], input: body)
        assertOK(r)
        // created_at 1764068400 = 2025-11-25T11:00:00Z; o3-2025-04-16 → o3, the 2025-06-10 point, flex tier:
        // input 1.00, cached_input 0.25, output 4.00. input 10,000 of which 4,000 cached → 6,000 uncached.
        // 6,000 × 1.00 + 4,000 × 0.25 + 2,500 × 4.00 = 6,000 + 1,000 + 10,000 = 17,000 per 1M = 0.017
        let blob = try blobID(repo, "ratecards/openai.toml")
        XCTAssertEqual(
            r.stdout,
            """
            {"ts":"2025-11-25T11:00:00.000Z","id":"resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b","provider":"openai",\
            "model":"o3-2025-04-16","service_tier":"flex","input_tokens":6000,"cached_input_tokens":4000,"output_tokens":2500,\
            "tags":{},"cost":"0.017","priced_with":"openai/o3@2025-06-10 ratecards/openai.toml@\(blob)"}

            """)
        // From standard input, written, with --id and --ts overriding the body's.
        let w = try append(repo, ["--openai-response", "-", "--id", "mine", "--ts", "2025-06-01T00:00:00Z"], input: body)
        assertOK(w)
        // Before 2025-06-10 the first o3 point applies, flex: 5.00 / 1.25 / 20.00:
        // 6,000 × 5 + 4,000 × 1.25 + 2,500 × 20 = 30,000 + 5,000 + 50,000 = 85,000 per 1M = 0.085
        XCTAssertEqual(w.stdout, "appended mine to ledger/2025/2025-06.jsonl, cost $0.085\n")
        // Bad JSON on stdin names <stdin>.
        assertRejected(try append(repo, ["--openai-response", "-"], input: Data("{\"usage\":".utf8)), ["<stdin>: error[response]: the openai response is not valid JSON"])
    }

    func testAnthropicMessage() throws {
        let repo = try costRepo()
        let file = Self.responses.appendingPathComponent("anthropic-message.json").path
        let before = Int64(Date().timeIntervalSince1970 * 1000)
        let r = try append(repo, ["--anthropic-response", file, "--tag", "team=review", "--dry-run"])
        assertOK(r)
        let line = try XCTUnwrap(r.lines.first, "no line printed")
        let e = try LedgerEvent.parse(line: line)
        XCTAssertEqual(e.id, "msg_01XFDUDYJgAACzvnptvVoYEL")
        XCTAssertEqual(e.provider, "anthropic")
        XCTAssertEqual(e.model, "claude-sonnet-4-20250514")
        XCTAssertEqual(e.inputTokens, 2095)
        XCTAssertEqual(e.cachedInputTokens, 48000)
        XCTAssertEqual(e.cacheWriteTokens, 12000)
        XCTAssertEqual(e.outputTokens, 503)
        XCTAssertEqual(e.toolCalls, ["web_search": 2])
        XCTAssertNil(e.batch)
        XCTAssertNil(e.serviceTier)
        // No timestamp in a Messages body: now.
        XCTAssertGreaterThanOrEqual(e.ts, before - 1)
        XCTAssertLessThanOrEqual(e.ts, Int64(Date().timeIntervalSince1970 * 1000) + 1)
        // claude-sonnet-4 (2025-05-22): 3.00 in, 0.30 cached, 3.75 write, 15.00 out; 62,095 input tokens: below the 200K tier.
        // 2,095 × 3 + 48,000 × 0.30 + 12,000 × 3.75 + 503 × 15 = 6,285 + 14,400 + 45,000 + 7,545 = 73,230 per 1M
        // = 0.07323; plus 2 web searches at 10.00 per 1,000 = 0.02 → 0.09323
        XCTAssertEqual(e.cost, ExactDecimal("0.09323"))
        XCTAssertEqual(e.pricedWith, "anthropic/claude-sonnet-4@2025-05-22 ratecards/anthropic.toml@\(try blobID(repo, "ratecards/anthropic.toml"))")
        XCTAssertTrue(line.contains(#""cost":"0.09323""#), line)

        // From standard input, for real.
        let w = try append(repo, ["--anthropic-response", "-", "--ts", "2026-11-05T00:00:00Z"], input: try Data(contentsOf: URL(fileURLWithPath: file)))
        assertOK(w)
        XCTAssertEqual(w.stdout, "appended msg_01XFDUDYJgAACzvnptvVoYEL to \(Self.shard), cost $0.09323\n")
    }

    func testOpenAIEmbeddingsAndHostedToolCalls() throws {
        let repo = try costRepo()
        let embeddings = Self.responses.appendingPathComponent("openai-embeddings.json").path
        // text-embedding-3-small (2024-01-25): 0.02 per 1M input, no output: 12,000 × 0.02 = 240 per 1M = 0.00024
        let e = try append(repo, ["--openai-response", embeddings, "--id", "emb_1", "--ts", "2025-11-25T10:00:00Z"])
        assertOK(e)
        XCTAssertEqual(e.stdout, "appended emb_1 to ledger/2025/2025-11.jsonl, cost $0.00024\n")

        let tools = Self.responses.appendingPathComponent("openai-responses-tools.json").path
        let r = try append(repo, ["--openai-response", tools, "--dry-run"])
        assertOK(r)
        // gpt-5 (2025-08-07): 1.25 in, 0.125 cached, 10.00 out, web search 10.00 per 1,000 calls.
        // 12,000 × 1.25 + 8,000 × 0.125 + 1,500 × 10 = 15,000 + 1,000 + 15,000 = 31,000 per 1M = 0.031; 2 searches = 0.02 → 0.051
        let blob = try blobID(repo, "ratecards/openai.toml")
        XCTAssertEqual(
            r.stdout,
            """
            {"ts":"2025-11-25T11:00:00.000Z","id":"resp_68a1f0c2e4b88193a2d6f1c0f5e7b9a10c4d2e3f4a5b6c7d","provider":"openai",\
            "model":"gpt-5","input_tokens":12000,"cached_input_tokens":8000,"output_tokens":1500,"tool_calls":{"web_search":2},\
            "tags":{},"cost":"0.051","priced_with":"openai/gpt-5@2025-08-07 ratecards/openai.toml@\(blob)"}

            """)
        // A hosted tool the card has no price for is never $0.
        let fileSearch = #"{"object":"response","created_at":1764068400,"model":"gpt-5","output":[{"type":"file_search_call"}],"usage":{"input_tokens":1,"output_tokens":1}}"#
        assertRejected(try append(repo, ["--openai-response", "-"], input: Data(fileSearch.utf8)), ["error[no-price]", "\"file_search\""])

        let audio = Self.responses.appendingPathComponent("openai-chat-audio.json").path
        assertRejected(
            try append(repo, ["--openai-response", audio]),
            ["\(audio): error[response]: usage.prompt_tokens_details.audio_tokens is 480: audio tokens bill at audio rates"])
        XCTAssertEqual(try events(repo, "ledger/2025/2025-11.jsonl").count, 1)
    }

    func testGeminiAndVertexResponses() throws {
        let repo = try costRepo()
        let gemini = Self.responses.appendingPathComponent("gemini-generate-content.json").path
        // gemini-2.5-flash (2025-06-17): 0.30 in, 0.03 cached, 2.50 out.
        // (12,000 − 8,000 + 400) × 0.30 + 8,000 × 0.03 + (600 + 900) × 2.50 = 1,320 + 240 + 3,750 = 5,310 per 1M = 0.00531
        let g = try append(repo, ["--gemini-response", gemini, "--ts", "2025-11-25T10:00:00Z", "--tag", "team=search"])
        assertOK(g)
        XCTAssertEqual(g.stdout, "appended mPcxaJ3rEpWJ1MkP6pK8qAQ to ledger/2025/2025-11.jsonl, cost $0.00531\n")
        let e = try XCTUnwrap(events(repo, "ledger/2025/2025-11.jsonl").first?.event)
        XCTAssertEqual(e.provider, "google")
        XCTAssertEqual(e.pricedWith, "google/gemini-2.5-flash@2025-06-17 ratecards/google.toml@\(try blobID(repo, "ratecards/google.toml"))")

        // Vertex: createTime is the ts; 250,000 prompt tokens are above gemini-2.5-pro's 200K tier (2.50 / 15.00):
        // 250,000 × 2.50 + (2,000 + 1,000) × 15 = 625,000 + 45,000 = 670,000 per 1M = 0.67
        let vertex = Self.responses.appendingPathComponent("vertex-generate-content.json").path
        let v = try append(repo, ["--gemini-response", "-"], input: try Data(contentsOf: URL(fileURLWithPath: vertex)))
        assertOK(v)
        XCTAssertEqual(v.stdout, "appended gFc2aPTnJs6S2PgPgeS8oAk to ledger/2025/2025-11.jsonl, cost $0.67\n")
        XCTAssertEqual(Timestamp.format(millis: try XCTUnwrap(events(repo, "ledger/2025/2025-11.jsonl").last?.event.ts)), "2025-11-25T10:00:00.123Z")

        // The wrong flag names the right one, and one input at a time.
        assertRejected(
            try append(repo, ["--openai-response", gemini]),
            ["\(gemini): error[response]: this looks like a Gemini generateContent body, not an OpenAI Chat Completions, Responses or embeddings body: use --gemini-response"])
        let message = Self.responses.appendingPathComponent("anthropic-message.json").path
        assertRejected(
            try append(repo, ["--gemini-response", message]),
            ["error[response]: this looks like an Anthropic Messages body, not a Gemini generateContent body: use --anthropic-response"])
        let both = try append(repo, ["--gemini-response", gemini, "--openai-response", gemini])
        XCTAssertEqual(both.status, 2)
        XCTAssertTrue(both.stderr.contains("give one input: --json, --stdin, --openai-response, --anthropic-response, --gemini-response, --openai-batch-output or --anthropic-batch-results"), both.stderr)
        XCTAssertEqual(try events(repo, "ledger/2025/2025-11.jsonl").count, 2)
    }

    func testAnthropicOneHourCacheWritesAndServiceTier() throws {
        let repo = try costRepo()
        let file = Self.responses.appendingPathComponent("anthropic-message-cache-1h.json").path
        let r = try append(repo, ["--anthropic-response", file, "--ts", "2025-11-25T10:00:00Z"])
        assertOK(r)
        // claude-sonnet-4-5 (2025-09-29): 3.00 in, 3.75 5-minute write, 6.00 1-hour write, 15.00 out.
        // 1,200 × 3 + 10,000 × 3.75 + 20,000 × 6 + 800 × 15 = 3,600 + 37,500 + 120,000 + 12,000 = 173,100 per 1M = 0.1731
        XCTAssertEqual(r.stdout, "appended msg_01HKc9Tq3mWbV7rYx2ZpLs4N to ledger/2025/2025-11.jsonl, cost $0.1731\n")
        let line = try XCTUnwrap(events(repo, "ledger/2025/2025-11.jsonl").first?.text)
        XCTAssertTrue(line.contains(#""input_tokens":1200,"cache_write_tokens":10000,"cache_write_1h_tokens":20000,"output_tokens":800"#), line)

        // The same split from the fixture of testAnthropicMessage: 8,000 5-minute + 4,000 1-hour writes.
        // 2,095 × 3 + 48,000 × 0.30 + 8,000 × 3.75 + 4,000 × 6 + 503 × 15 = 6,285 + 14,400 + 30,000 + 24,000 + 7,545
        // = 82,230 per 1M = 0.08223; plus 2 web searches = 0.02 → 0.10223
        let message = try String(contentsOf: Self.responses.appendingPathComponent("anthropic-message.json"), encoding: .utf8)
        let hour = message.replacingOccurrences(of: #""ephemeral_5m_input_tokens": 12000,"#, with: #""ephemeral_5m_input_tokens": 8000,"#)
            .replacingOccurrences(of: #""ephemeral_1h_input_tokens": 0"#, with: #""ephemeral_1h_input_tokens": 4000"#)
        XCTAssertNotEqual(hour, message)
        let h = try append(repo, ["--anthropic-response", "-", "--ts", "2025-11-25T11:00:00Z"], input: Data(hour.utf8))
        assertOK(h)
        XCTAssertEqual(h.stdout, "appended msg_01XFDUDYJgAACzvnptvVoYEL to ledger/2025/2025-11.jsonl, cost $0.10223\n")

        // As flags: --cache-write-1h.
        let f = try append(repo, [
            "--provider", "anthropic", "--model", "claude-sonnet-4-5", "--input", "0", "--output", "0", "--cache-write-1h", "1000",
            "--id", "flags-1h", "--ts", "2025-11-25T12:00:00Z",
        ])
        assertOK(f)
        XCTAssertEqual(f.stdout, "appended flags-1h to ledger/2025/2025-11.jsonl, cost $0.006\n")

        // A card point without cache_write_1h: an error, never the 5-minute rate.
        let card = try repo.read("ratecards/anthropic.toml")
        try repo.write("ratecards/anthropic.toml", card.replacingOccurrences(of: "cache_write_1h = 6.00\n", with: ""))
        assertRejected(
            try append(repo, ["--anthropic-response", file, "--id", "again", "--ts", "2025-11-25T13:00:00Z"]),
            ["error[no-price]: anthropic/claude-sonnet-4-5@2025-09-29 has no cache_write_1h price, but 1-hour cache write tokens were used"])
        try repo.write("ratecards/anthropic.toml", card)

        // usage.service_tier: "priority" is a service tier (which the bundled card does not price: an error), "batch" a batch event.
        let priority = message.replacingOccurrences(of: #""service_tier": "standard""#, with: #""service_tier": "priority""#)
        assertRejected(
            try append(repo, ["--anthropic-response", "-", "--id", "p", "--ts", "2025-11-25T14:00:00Z"], input: Data(priority.utf8)),
            ["error[no-price]", "service tier \"priority\""])
        let batch = message.replacingOccurrences(of: #""service_tier": "standard""#, with: #""service_tier": "batch""#)
        let b = try append(repo, ["--anthropic-response", "-", "--id", "b", "--ts", "2025-11-25T15:00:00Z", "--dry-run"], input: Data(batch.utf8))
        assertOK(b)
        // Half of 0.07323, plus the 2 searches at full price: 0.036615 + 0.02
        XCTAssertTrue(b.stdout.contains(#""batch":true"#) && b.stdout.contains(#""cost":"0.056615""#), b.stdout)
        XCTAssertEqual(try events(repo, "ledger/2025/2025-11.jsonl").count, 3)
    }

    func testOpenAIBatchOutputFile() throws {
        let repo = try costRepo()
        let file = Self.responses.appendingPathComponent("openai-batch-output.jsonl").path
        let r = try append(repo, ["--openai-batch-output", file, "--tag", "team=support", "--dry-run"])
        assertOK(r)
        XCTAssertEqual(r.lines.count, 2)
        // gpt-4o-mini batch (0.5 × 0.15 in, 0.5 × 0.60 out): 1,000 × 0.075 + 200 × 0.30 = 75 + 60 = 135 per 1M = 0.000135
        let chat = try LedgerEvent.parse(line: r.lines[0])
        XCTAssertEqual(chat.id, "chatcmpl-AbT7xQ2mN4pL8kR1vW9yZ3cD5eF6g")
        XCTAssertEqual(chat.batch, true)
        XCTAssertEqual(chat.traceId, "ticket-4812")
        XCTAssertEqual(chat.tags, ["team": "support"])
        XCTAssertEqual(chat.cost, ExactDecimal("0.000135"))
        XCTAssertEqual(chat.pricedWith, "openai/gpt-4o-mini@2025-08-07 ratecards/openai.toml@\(try blobID(repo, "ratecards/openai.toml"))")
        // text-embedding-3-small batch: 5,000 × 0.01 = 50 per 1M = 0.00005
        let embedding = try LedgerEvent.parse(line: r.lines[1])
        XCTAssertEqual(embedding.traceId, "doc-77-embed")
        XCTAssertEqual(embedding.batch, true)
        XCTAssertEqual(embedding.cost, ExactDecimal("0.00005"))
        XCTAssertTrue(r.stderr.contains("dry run: 2 events checked; nothing written"), r.stderr)

        // Written, from standard input: the chat line in its own month, the embeddings line (no time in the body) now.
        let w = try append(repo, ["--openai-batch-output", "-"], input: try Data(contentsOf: URL(fileURLWithPath: file)))
        assertOK(w)
        XCTAssertTrue(w.stdout.hasPrefix("appended 2 events (ledger/2025/2025-11.jsonl +1, ledger/"), w.stdout)
        XCTAssertTrue(w.stdout.hasSuffix(" +1), cost $0.000185\n"), w.stdout)

        // A failed line rejects the file, with its line number; nothing is written.
        let errors = Self.responses.appendingPathComponent("openai-batch-output-errors.jsonl").path
        assertRejected(
            try append(repo, ["--openai-batch-output", errors]),
            [
                "\(errors):2: error[response]: request \"ticket-4813\" failed (batch_expired: ",
                "\(errors):3: error[response]: request \"ticket-4814\" failed with status 400",
                "spend: 2 errors; nothing was written",
            ])
        XCTAssertEqual(try events(repo, "ledger/2025/2025-11.jsonl").count, 1)

        // A response body given as a batch file names its flag; --id names one event.
        let chatBody = Self.responses.appendingPathComponent("openai-chat-completion.json").path
        assertRejected(
            try append(repo, ["--openai-batch-output", chatBody]),
            ["error[response]: this looks like an OpenAI Chat Completions body, not an OpenAI Batch API output file: use --openai-response"])
        assertRejected(
            try append(repo, ["--openai-response", file]),
            ["error[response]: this looks like an OpenAI Batch API output file, not an OpenAI Chat Completions, Responses or embeddings body: use --openai-batch-output"])
        let withId = try append(repo, ["--openai-batch-output", file, "--id", "x"])
        XCTAssertEqual(withId.status, 2)
        XCTAssertTrue(withId.stderr.contains("--id and --ts name one event; a batch file's events take theirs from each line"), withId.stderr)
    }

    func testAnthropicBatchResultsFile() throws {
        let repo = try costRepo()
        let file = Self.responses.appendingPathComponent("anthropic-batch-results.jsonl").path
        let r = try append(repo, ["--anthropic-batch-results", file, "--ts", "2025-11-25T10:00:00Z"])
        XCTAssertEqual(r.status, 2, "--ts names one event")
        let w = try append(repo, ["--anthropic-batch-results", file])
        assertOK(w)
        // claude-sonnet-4-5 batch (1.50 / 7.50): 2,000 × 1.50 + 500 × 7.50 = 3,000 + 3,750 = 6,750 per 1M = 0.00675
        // claude-haiku-4-5 batch (0.50 / 2.50): 10,000 × 0.50 + 1,000 × 2.50 = 5,000 + 2,500 = 7,500 per 1M = 0.0075
        XCTAssertTrue(w.stdout.hasPrefix("appended 2 events (ledger/"), w.stdout)
        XCTAssertTrue(w.stdout.hasSuffix(" +2), cost $0.01425\n"), w.stdout)
        let written = try XCTUnwrap(shards(repo).first)
        let events = try self.events(repo, written).map(\.event)
        XCTAssertEqual(events.map(\.traceId), ["review-pr-1182", "summarize-incident-77"])
        XCTAssertEqual(events.map(\.batch), [true, true])
        XCTAssertEqual(events.map { $0.cost?.description }, ["0.00675", "0.0075"])

        let errors = Self.responses.appendingPathComponent("anthropic-batch-results-errors.jsonl").path
        assertRejected(
            try append(repo, ["--anthropic-batch-results", errors]),
            [
                "\(errors):2: error[response]: request \"review-pr-1183\" errored (max_tokens: Field required): it has no usage to record",
                "\(errors):3: error[response]: request \"review-pr-1184\" was expired, not succeeded",
                "\(errors):4: error[response]: request \"review-pr-1185\" was canceled, not succeeded",
                "spend: 3 errors; nothing was written",
            ])
        XCTAssertEqual(try self.events(repo, written).count, 2)
        assertRejected(
            try append(repo, ["--anthropic-batch-results", Self.responses.appendingPathComponent("openai-batch-output.jsonl").path]),
            ["this looks like an OpenAI Batch API output file, not an Anthropic Message Batches results line: use --openai-batch-output"])
    }

    /// 1-hour cache writes through the JSON Lines path, then every verb that reads them back.
    func testOneHourCacheWritesThroughStdinLintAndReport() throws {
        let repo = try costRepo()
        let lines = """
            {"ts":"2025-11-25T10:00:00Z","id":"h1","provider":"anthropic","model":"claude-sonnet-4-5","input_tokens":1000,"cache_write_1h_tokens":2000,"cache_write_tokens":500,"output_tokens":100,"tags":{"team":"a"}}
            {"ts":"2025-11-25T11:00:00Z","id":"h2","provider":"anthropic","model":"claude-sonnet-4-5","input_tokens":1000,"cache_write_tokens":300,"output_tokens":100,"tags":{"team":"a"}}

            """
        let r = try append(repo, ["--stdin"], input: Data(lines.utf8))
        assertOK(r)
        // h1: 1,000 × 3 + 500 × 3.75 + 2,000 × 6 + 100 × 15 = 3,000 + 1,875 + 12,000 + 1,500 = 18,375 per 1M = 0.018375
        // h2: 3,000 + 300 × 3.75 + 1,500 = 5,625 per 1M = 0.005625 → 0.024
        XCTAssertEqual(r.stdout, "appended 2 events (ledger/2025/2025-11.jsonl +2), cost $0.024\n")
        let written = try events(repo, "ledger/2025/2025-11.jsonl")
        XCTAssertTrue(written[0].text.contains(#""input_tokens":1000,"cache_write_tokens":500,"cache_write_1h_tokens":2000,"output_tokens":100"#), written[0].text)
        try repo.commitAll("events")
        assertOK(try repo.spend("lint"))
        // Reports show one cache-write column: 500 + 2,000 + 300.
        let csv = try repo.spendReport("--by", "team", "--format", "csv", "--since", "2025-11-01", "--until", "2025-12-01")
        assertOK(csv)
        XCTAssertTrue(csv.stdout.contains("a,2,2000,0,2800,200,0.024"), csv.stdout)
    }

    func testAnthropicErrorAndWrongBodiesAreRejected() throws {
        let repo = try costRepo()
        let errorFile = Self.responses.appendingPathComponent("anthropic-error.json").path
        assertRejected(
            try append(repo, ["--anthropic-response", errorFile]),
            ["\(errorFile): error[response]: the anthropic response is an error, not a completion (Overloaded): it has no usage to record"])

        // A provider response of the wrong kind or with no usage.
        let chat = Self.responses.appendingPathComponent("openai-chat-completion.json").path
        assertRejected(
            try append(repo, ["--anthropic-response", chat]),
            ["\(chat): error[response]: this looks like an OpenAI Chat Completions body, not an Anthropic Messages body: use --openai-response"])
        assertRejected(try append(repo, ["--openai-response", "-"], input: Data(#"{"model":"gpt-4o"}"#.utf8)), ["error[response]: the openai response has no \"usage\" object"])
        assertRejected(try append(repo, ["--openai-response", "/nonexistent/response.json"]), ["cannot read /nonexistent/response.json"])
        XCTAssertEqual(shards(repo), [])
    }

    // MARK: Git

    func testBranchesAppendingToOneShardMergeWithUnion() throws {
        let repo = try costRepo()
        try repo.write(".gitattributes", "ledger/**/*.jsonl merge=union\n")
        let base = ["--provider", "openai", "--model", "gpt-4o", "--input", "100", "--output", "10"]
        assertOK(try append(repo, base + ["--id", "base-1", "--ts", "2026-11-01T00:00:00Z"]))
        try repo.commitAll("base")
        try repo.git("checkout", "-q", "-b", "feature-a")
        assertOK(try append(repo, base + ["--id", "a-1", "--ts", "2026-11-02T00:00:00Z"]))
        assertOK(try append(repo, base + ["--id", "a-2", "--ts", "2026-11-03T00:00:00Z"]))
        try repo.commitAll("a")
        try repo.git("checkout", "-q", "main")
        try repo.git("checkout", "-q", "-b", "feature-b")
        assertOK(try append(repo, base + ["--id", "b-1", "--ts", "2026-11-02T00:00:00Z"]))
        assertOK(try append(repo, base + ["--id", "b-2", "--ts", "2026-11-04T00:00:00Z"]))
        try repo.commitAll("b")
        try repo.git("checkout", "-q", "main")
        try repo.git("merge", "-q", "--no-edit", "feature-a")
        try repo.git("merge", "-q", "--no-edit", "feature-b")  // fails (throws) on a conflict
        XCTAssertEqual(try repo.git("status", "--porcelain"), "")
        let ids = try events(repo).map(\.event.id)
        XCTAssertEqual(ids.sorted(), ["a-1", "a-2", "b-1", "b-2", "base-1"])
        let lint = try repo.spend("lint", "--all")
        XCTAssertEqual(lint.status, 0, lint.stdout + lint.stderr)
        // After the merge the index knows every id, whichever branch wrote it.
        for id in ["a-1", "b-2"] {
            assertRejected(try append(repo, base + ["--id", id, "--ts", "2026-11-05T00:00:00Z"]), ["duplicate id \"\(id)\": already in"])
        }
    }

    func testIdIndexFollowsChangesBehindItsBack() throws {
        let repo = try costRepo()
        let base = ["--provider", "openai", "--model", "gpt-4o", "--input", "1", "--output", "1", "--ts", "2026-11-10T00:00:00Z"]
        assertOK(try append(repo, base + ["--id", "i-1"]))
        assertOK(try append(repo, base + ["--id", "i-2"]))
        let idsDir = repo.gitRoot.appendingPathComponent(".git/spend/ids")
        let indexes = try FileManager.default.contentsOfDirectory(atPath: idsDir.path).filter { $0.hasSuffix(".idx") }
        XCTAssertEqual(indexes.count, 1, "\(indexes)")
        XCTAssertTrue(indexes[0].hasSuffix("-2026-11.jsonl.idx"), indexes[0])

        // Lines appended by another tool: a duplicate of their id is still found.
        func external(_ id: String) -> String {
            #"{"ts":"2026-11-11T00:00:00Z","id":"\#(id)","provider":"openai","model":"gpt-4o","input_tokens":7,"output_tokens":7,"tags":{"team":"somebody-else"}}"#
        }
        let sh = try runProcess(URL(fileURLWithPath: "/bin/sh"), ["-c", "echo '\(external("ext-1"))' >> \(Self.shard)"], in: repo.root)
        XCTAssertEqual(sh.status, 0, sh.stderr)
        assertRejected(try append(repo, base + ["--id", "ext-1"]), ["duplicate id \"ext-1\": already in \(Self.shard)"])
        assertRejected(try append(repo, base + ["--id", "i-1"]), ["duplicate id \"i-1\""])
        assertOK(try append(repo, base + ["--id", "i-3"]))

        // The shard goes back to an older version (git checkout): what it lost is no longer a duplicate,
        // and an id appended after the checkout is.
        try repo.commitAll("three")
        assertOK(try append(repo, base + ["--id", "late-1"]))
        assertOK(try append(repo, base + ["--id", "late-2"]))
        try repo.git("checkout", "--", Self.shard)
        try repo.append(Self.shard, external("ext-2") + "\n")
        assertRejected(try append(repo, base + ["--id", "ext-2"]), ["duplicate id \"ext-2\""])
        assertOK(try append(repo, base + ["--id", "late-1"]))
        // Replaced by a shorter file.
        try repo.write(Self.shard, external("ext-3") + "\n")
        assertRejected(try append(repo, base + ["--id", "ext-3"]), ["duplicate id \"ext-3\""])
        assertOK(try append(repo, base + ["--id", "i-1"]))
        // Same length, different content (the id changed in place).
        let text = try repo.read(Self.shard)
        try repo.write(Self.shard, text.replacingOccurrences(of: "\"ext-3\"", with: "\"ext-4\""))
        assertRejected(try append(repo, base + ["--id", "ext-4"]), ["duplicate id \"ext-4\""])
        assertOK(try append(repo, base + ["--id", "ext-3"]))
        // A deleted index is rebuilt.
        try FileManager.default.removeItem(at: idsDir)
        assertRejected(try append(repo, base + ["--id", "ext-4"]), ["duplicate id \"ext-4\""])
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: idsDir.path).filter { $0.hasSuffix(".idx") }.isEmpty)
        XCTAssertEqual(try events(repo).map(\.event.id), ["ext-4", "i-1", "ext-3"])
    }

    func testWithoutGitDuplicatesAreFoundByScanning() throws {
        let repo = try costRepo(git: false)
        let base = ["--provider", "openai", "--model", "gpt-4o", "--input", "1", "--output", "1", "--ts", "2026-11-10T00:00:00Z"]
        assertOK(try append(repo, base + ["--id", "g-1"]))
        try repo.append(Self.shard, #"{"ts":"2026-11-11T00:00:00Z","id":"g-ext","provider":"openai","model":"gpt-4o","input_tokens":7,"output_tokens":7,"tags":{}}"# + "\n")
        assertRejected(try append(repo, base + ["--id", "g-1"]), ["duplicate id \"g-1\""])
        assertRejected(try append(repo, base + ["--id", "g-ext"]), ["duplicate id \"g-ext\""])
        assertOK(try append(repo, base + ["--id", "g-2"]))
        XCTAssertEqual(try events(repo).map(\.event.id), ["g-1", "g-ext", "g-2"])
    }

    // MARK: Concurrency

    /// Runs `script` in 8 concurrent `/bin/sh` processes (`$P` is 0…7) and waits for all.
    func runConcurrently(_ script: String, environment: [String: String]) throws {
        let fm = FileManager.default
        let logs = try makeTempDir()
        var processes: [(Process, URL)] = []
        for p in 0..<8 {
            let log = logs.appendingPathComponent("p\(p).log")
            _ = fm.createFile(atPath: log.path, contents: nil)
            let handle = try FileHandle(forWritingTo: log)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", script]
            var env = ProcessInfo.processInfo.environment
            for (k, v) in environment { env[k] = v }
            env["P"] = String(p)
            process.environment = env
            process.standardOutput = handle
            process.standardError = handle
            process.standardInput = FileHandle.nullDevice
            processes.append((process, log))
        }
        for (process, _) in processes { try process.run() }
        for (p, (process, log)) in processes.enumerated() {
            process.waitUntilExit()
            let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            XCTAssertEqual(process.terminationStatus, 0, "writer \(p) failed:\n\(output.suffix(2000))")
        }
    }

    /// Checks a shard written concurrently: `count` lines, each a valid event, unique ids,
    /// `spend lint --all` clean. Returns the events.
    func checkConcurrentShard(_ repo: TestRepo, count: Int, file: StaticString = #filePath, line: UInt = #line) throws -> [LedgerEvent] {
        let text = try repo.read(Self.shard)
        XCTAssertTrue(text.hasSuffix("\n"), file: file, line: line)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        XCTAssertEqual(lines.count, count, "lines in the shard", file: file, line: line)
        var parsed: [LedgerEvent] = []
        for (n, l) in lines.enumerated() {
            do {
                parsed.append(try LedgerEvent.parse(line: String(l)))
            } catch {
                XCTFail("line \(n + 1) is not a valid event (\(error)): \(l)", file: file, line: line)
            }
        }
        XCTAssertEqual(Set(parsed.map(\.id)).count, count, "ids must be unique", file: file, line: line)
        XCTAssertEqual(shards(repo), [Self.shard], file: file, line: line)
        let lint = try repo.spend("lint", "--all")
        XCTAssertEqual(lint.status, 0, String((lint.stdout + lint.stderr).prefix(3000)), file: file, line: line)
        return parsed
    }

    /// 8 processes, each launching `spend-append` once per event, all into one shard.
    ///
    /// The issue asks for 8 × 500. A debug `spend-append` launch costs ~90-100 ms of CPU
    /// (measured on a 2-core CI-sized machine: 100 sequential appends took 9.9 s), so 4,000
    /// launches take minutes (8 × 500 measured 169 s, and passed). By default each process
    /// appends 25 events (200 launches, 9-21 s); `SPEND_TEST_APPENDS_PER_PROCESS=500` runs
    /// the full 8 × 500.
    /// The 4,000-line version with whole batches is `testEightProcessesAppendBatchesConcurrently`.
    func testEightProcessesAppendSingleEventsConcurrently() throws {
        let perProcess = Int(ProcessInfo.processInfo.environment["SPEND_TEST_APPENDS_PER_PROCESS"] ?? "") ?? 25
        let repo = try costRepo()
        // One event per launch; each writer's events carry its trace id and a sequence in input_tokens.
        let script = """
            i=1
            while [ $i -le $N ]; do
              "$BIN" -C "$REPO" -q --provider openai --model gpt-4o --input $i --output 1 \
                --ts 2026-11-15T12:00:00Z --trace-id "w$P" --tag team=load || exit 1
              i=$((i + 1))
            done
            """
        let start = Date()
        try runConcurrently(
            script, environment: ["BIN": Paths.executable("spend-append").path, "REPO": repo.root.path, "N": String(perProcess)])
        let elapsed = Date().timeIntervalSince(start)
        let parsed = try checkConcurrentShard(repo, count: 8 * perProcess)
        // Each writer's events are all there, in the order it wrote them.
        for p in 0..<8 {
            XCTAssertEqual(parsed.filter { $0.traceId == "w\(p)" }.map(\.inputTokens), (1...perProcess).map(Int64.init), "writer \(p)")
        }
        print("8 × \(perProcess) single-event appends: \(String(format: "%.1f", elapsed)) s")
    }

    /// 8 processes × 10 `--stdin` batches × 50 events = 4,000 lines in one shard; every
    /// batch lands as one contiguous run (one write per shard), in its own order.
    func testEightProcessesAppendBatchesConcurrently() throws {
        let repo = try costRepo()
        let batches = try makeTempDir()
        for p in 0..<8 {
            for b in 0..<10 {
                var text = ""
                for i in 0..<50 {
                    // No id: generated (ULIDs from 8 processes at once must not collide).
                    text += #"{"ts":"2026-11-15T12:00:00Z","provider":"openai","model":"gpt-4o","input_tokens":\#(i + 1),"output_tokens":1,"trace_id":"p\#(p)-b\#(b)","tags":{"team":"load"}}"# + "\n"
                }
                try Data(text.utf8).write(to: batches.appendingPathComponent("p\(p)-b\(b).jsonl"))
            }
        }
        let script = """
            b=0
            while [ $b -lt 10 ]; do
              "$BIN" -C "$REPO" -q --stdin < "$BATCHES/p$P-b$b.jsonl" || exit 1
              b=$((b + 1))
            done
            """
        let start = Date()
        try runConcurrently(
            script, environment: ["BIN": Paths.executable("spend-append").path, "REPO": repo.root.path, "BATCHES": batches.path])
        let elapsed = Date().timeIntervalSince(start)
        let parsed = try checkConcurrentShard(repo, count: 4000)
        // Contiguous runs of 50, in order.
        var k = 0
        var seen = Set<String>()
        while k < parsed.count {
            let trace = parsed[k].traceId ?? ""
            XCTAssertFalse(seen.contains(trace), "batch \(trace) is split")
            seen.insert(trace)
            let run = parsed[k..<min(k + 50, parsed.count)]
            XCTAssertEqual(run.map { $0.traceId ?? "" }, Array(repeating: trace, count: run.count), "batch \(trace) is interleaved")
            XCTAssertEqual(run.map(\.inputTokens), (1...run.count).map(Int64.init), "batch \(trace) out of order")
            k += 50
        }
        XCTAssertEqual(seen.count, 80)
        // Every generated id is a ULID of the event's time.
        XCTAssertTrue(parsed.allSatisfy { $0.id.count == 26 && ulidMillis($0.id) == $0.ts })
        // The index built under contention is complete: any id of the shard is a duplicate.
        for e in [parsed[0], parsed[1999], parsed[3999]] {
            assertRejected(
                try append(repo, ["--provider", "openai", "--model", "gpt-4o", "--input", "1", "--output", "1", "--ts", "2026-11-15T12:00:00Z", "--id", e.id]),
                ["duplicate id"])
        }
        print("8 × 10 concurrent batches of 50: \(String(format: "%.1f", elapsed)) s")
    }
}
