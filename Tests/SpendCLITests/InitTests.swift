import Foundation
import SpendCore
import XCTest

/// `spend init`, end to end: the built `spend` against fresh directories and
/// real git repositories (git identity and configuration fixed by the
/// environment; CI has no global git config).
final class InitTests: XCTestCase {
    /// PATH with the built spend first, so the installed hook finds it.
    var environment: [String: String] = [:]
    var home: URL!

    override func setUpWithError() throws {
        home = try makeTempDir()
        environment = [
            "PATH": Paths.binaries.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
            "HOME": home.path,
            "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null",
            "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
            "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
        ]
    }

    // MARK: Helpers

    func spend(_ args: [String], in directory: URL) throws -> RunResult {
        try runSpend("spend", args, in: directory, environment: environment)
    }

    /// Runs git; fails the test (and throws) when it fails, unless `check` is false.
    @discardableResult
    func git(_ args: [String], in directory: URL, check: Bool = true, file: StaticString = #filePath, line: UInt = #line) throws -> RunResult {
        let r = try runProcess(Paths.git, ["-c", "commit.gpgsign=false"] + args, in: directory, environment: environment)
        if check && r.status != 0 {
            XCTFail("git \(args.joined(separator: " ")) failed (\(r.status)):\n\(r.stdout)\(r.stderr)", file: file, line: line)
            throw NSError(domain: "git", code: Int(r.status))
        }
        return r
    }

    func read(_ url: URL) -> Data? { FileManager.default.contents(atPath: url.path) }

    func text(_ url: URL) -> String? { read(url).map { String(decoding: $0, as: UTF8.self) } }

    func write(_ url: URL, _ text: String) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    func appendLine(_ url: URL, _ line: String) throws {
        let existing = text(url) ?? ""
        try write(url, existing + line + "\n")
    }

    /// Every file and directory under `root` (.git included) with its bytes and mode.
    func snapshot(_ root: URL) throws -> [String: String] {
        var out: [String: String] = [:]
        let fm = FileManager.default
        guard let walker = fm.enumerator(atPath: root.path) else { return out }
        while let relative = walker.nextObject() as? String {
            let path = root.appendingPathComponent(relative).path
            let attributes = try fm.attributesOfItem(atPath: path)
            let mode = (attributes[.posixPermissions] as? Int).map { String($0, radix: 8) } ?? "?"
            if (attributes[.type] as? FileAttributeType) == .typeDirectory {
                out[relative] = "dir \(mode)"
            } else {
                out[relative] = "file \(mode) " + (read(URL(fileURLWithPath: path))?.base64EncodedString() ?? "")
            }
        }
        return out
    }

    /// A ledger line that satisfies the default policy.
    func line(_ id: String, team: String = "growth", ts: String = "2026-11-03T14:22:05.123Z") -> String {
        #"{"ts":"\#(ts)","id":"\#(id)","provider":"openai","model":"gpt-4o-mini","input_tokens":1000,"output_tokens":50,"tags":{"env":"dev","feature":"chat","team":"\#(team)"}}"#
    }

    var bundledNames: [String] { BundledRateCards.cards.map(\.name) }

    // MARK: A fresh directory

    func testInitInFreshNonGitDirectoryMakesACostRepository() throws {
        let base = try makeTempDir()
        let dir = base.appendingPathComponent("costs")  // missing: created, like `git init DIR`
        let r = try spend(["init", "-C", dir.path], in: base)
        assertOK(r)
        XCTAssertEqual(r.stderr, "")
        var expected = ["initialized empty git repository in \(dir.path)/.git/", "created ledger/ (with an empty .gitkeep, so git tracks it)"]
        expected += bundledNames.map { "created ratecards/\($0)" }
        expected += [
            "created litellm-known.toml (the bundled cards' reviewed differences from LiteLLM's price map)",
            "created spend.toml (default policy: tags team, feature and env required)",
            "created .gitattributes (ledger/**/*.jsonl merge=union)",
            "installed hook .git/hooks/pre-commit (runs spend lint --staged)",
            "next steps:",
            "  cd costs",
            "  spend append --provider openai --model gpt-4o --input 1200 --output 300 --tag team=growth --tag feature=chat --tag env=dev",
            "  spend report",
            "  git add . && git commit -m \"Start the cost ledger\"",
        ]
        XCTAssertEqual(r.lines, expected, r.stdout)

        let fm = FileManager.default
        XCTAssertTrue(fm.fileExists(atPath: dir.appendingPathComponent(".git/HEAD").path))
        XCTAssertEqual(read(dir.appendingPathComponent("ledger/.gitkeep")), Data())
        for card in BundledRateCards.cards {
            XCTAssertEqual(read(dir.appendingPathComponent("ratecards/" + card.name)), Data(card.text.utf8), card.name)
            XCTAssertEqual(
                read(dir.appendingPathComponent("ratecards/" + card.name)),
                read(Paths.packageRoot.appendingPathComponent("ratecards/" + card.name)), card.name)
        }
        XCTAssertEqual(
            read(dir.appendingPathComponent("litellm-known.toml")), read(Paths.packageRoot.appendingPathComponent("litellm-known.toml")))
        XCTAssertEqual(text(dir.appendingPathComponent("spend.toml")), DefaultFiles.policy)
        XCTAssertEqual(text(dir.appendingPathComponent(".gitattributes")), DefaultFiles.gitattributes)
        XCTAssertTrue(text(dir.appendingPathComponent(".gitattributes"))!.split(separator: "\n").contains("ledger/**/*.jsonl merge=union"))
        let hook = dir.appendingPathComponent(".git/hooks/pre-commit").path
        XCTAssertTrue(fm.isExecutableFile(atPath: hook))
        XCTAssertEqual(text(URL(fileURLWithPath: hook)), PreCommitHook.script(costDirectory: ""))

        // git sees a repository with the new files untracked.
        let status = try git(["status", "--porcelain", "--untracked-files=all"], in: dir)
        XCTAssertEqual(
            Set(status.lines),
            Set(["?? .gitattributes", "?? ledger/.gitkeep", "?? litellm-known.toml", "?? spend.toml"] + bundledNames.map { "?? ratecards/\($0)" }), status.stdout)
        // git applies the union merge driver to shards.
        let attr = try git(["check-attr", "merge", "--", "ledger/2026/2026-11.jsonl"], in: dir)
        XCTAssertEqual(attr.stdout, "ledger/2026/2026-11.jsonl: merge: union\n")

        // The other verbs work on it: an empty ledger reports zero, lint is clean.
        let report = try spend(["report"], in: dir)
        assertOK(report)
        XCTAssertEqual(tableRow(report, "total"), ["total", "0", "0", "0", "0", "0", "$0.00", "-"], report.stdout)
        let csv = try spend(["report", "--format", "csv"], in: dir)
        assertOK(csv)
        XCTAssertEqual(csv.lines.first, "team,requests,input_tokens,cached_input_tokens,cache_write_tokens,output_tokens,cost,list_cost,effective_cost")
        assertOK(try spend(["lint", "--all"], in: dir))

        // The first commit goes through the installed hook.
        try git(["add", "."], in: dir)
        let commit = try git(["commit", "-q", "-m", "Start the cost ledger"], in: dir)
        XCTAssertTrue(commit.stderr.contains("spend lint: ok"), commit.stderr)
        let tracked = try git(["ls-files"], in: dir)
        XCTAssertTrue(tracked.lines.contains("ledger/.gitkeep"), tracked.stdout)
    }

    func testDirectoryArgumentAndCurrentDirectory() throws {
        let base = try makeTempDir()
        // A positional directory, relative to the current one.
        let r = try spend(["init", "--no-hook", "books"], in: base)
        assertOK(r)
        XCTAssertTrue(FileManager.default.fileExists(atPath: base.appendingPathComponent("books/spend.toml").path))
        XCTAssertTrue(r.lines.contains("  cd books"), r.stdout)
        // No argument: the current directory (no `cd` hint).
        let here = base.appendingPathComponent("here")
        try FileManager.default.createDirectory(at: here, withIntermediateDirectories: true)
        let r2 = try spend(["init"], in: here)
        assertOK(r2)
        XCTAssertTrue(FileManager.default.fileExists(atPath: here.appendingPathComponent(".git").path))
        XCTAssertFalse(r2.stdout.contains("  cd "), r2.stdout)
    }

    // MARK: Idempotency

    func testSecondRunChangesNothingAndSaysSo() throws {
        let dir = try makeTempDir()
        assertOK(try spend(["init"], in: dir))
        let before = try snapshot(dir)
        let r = try spend(["init"], in: dir)
        assertOK(r)
        XCTAssertEqual(r.stderr, "")
        var expected = ["kept ledger/ (exists)"]
        expected += bundledNames.map { "kept ratecards/\($0) (same as the bundled card)" }
        expected += [
            "kept litellm-known.toml (same as the bundled file)",
            "kept spend.toml (the default policy)",
            "kept .gitattributes (has ledger/**/*.jsonl merge=union)",
            "kept hook .git/hooks/pre-commit (up to date)",
            "nothing changed: \(dir.path) is already a cost repository",
        ]
        XCTAssertEqual(r.lines, expected, r.stdout)
        XCTAssertEqual(try snapshot(dir), before, "the second run must not change a byte")
    }

    func testUserChangedFilesAreKeptAndMissingOnesRestored() throws {
        let dir = try makeTempDir()
        assertOK(try spend(["init"], in: dir))
        let policy = "[policy]\nrequired_tags = [\"team\"]\n"
        try write(dir.appendingPathComponent("spend.toml"), policy)
        let openai = dir.appendingPathComponent("ratecards/openai.toml")
        let card = text(openai)! + "\n# our negotiated prices follow\n"
        try write(openai, card)
        let removed = bundledNames.first { $0 != "openai.toml" }!
        try FileManager.default.removeItem(at: dir.appendingPathComponent("ratecards/" + removed))
        try write(dir.appendingPathComponent("ratecards/acme.toml"), "provider = \"acme\"\n")

        let r = try spend(["init"], in: dir)
        assertOK(r)
        XCTAssertTrue(r.lines.contains("kept spend.toml (exists; not overwritten)"), r.stdout)
        XCTAssertTrue(r.lines.contains("kept ratecards/openai.toml (differs from the bundled card; not overwritten)"), r.stdout)
        XCTAssertTrue(r.lines.contains("created ratecards/\(removed)"), r.stdout)
        XCTAssertFalse(r.stdout.contains("acme"), r.stdout)
        XCTAssertEqual(text(dir.appendingPathComponent("spend.toml")), policy)
        XCTAssertEqual(text(openai), card)
        XCTAssertEqual(text(dir.appendingPathComponent("ratecards/acme.toml")), "provider = \"acme\"\n")
        XCTAssertTrue(r.lines.contains("next steps:"), r.stdout)  // something changed
    }

    /// Init writes the bundled cards' known differences, so the weekly check of
    /// docs/cards.md runs in a new repository as it is: clean against the map
    /// the cards were reviewed with. A file of the user's is kept.
    func testKnownDifferencesFileMakesTheCardsCheckCleanAndIsKept() throws {
        let dir = try makeTempDir()
        assertOK(try spend(["init", "--no-hook"], in: dir))
        let maps = ((try? FileManager.default.contentsOfDirectory(atPath: Paths.packageRoot.path + "/../shared/data")) ?? [])
            .filter { $0.hasPrefix("litellm-model-prices-") && $0.hasSuffix(".json") }.sorted()
        if let map = maps.last {
            let mapPath = Paths.packageRoot.path + "/../shared/data/" + map
            let check = try spend(["cards", "check", "--litellm", mapPath, "--known", "litellm-known.toml"], in: dir)
            XCTAssertEqual(check.status, 0, check.stdout + check.stderr)
            // Without it, the reviewed differences are findings (exit 1).
            let bare = try spend(["cards", "check", "--litellm", mapPath], in: dir)
            XCTAssertEqual(bare.status, 1, bare.stdout + bare.stderr)
        } else {
            print("skipped: no LiteLLM price map in ../shared/data: the check of the written known-differences file not run")
        }

        let ours = "# reviewed by us\n"
        try write(dir.appendingPathComponent("litellm-known.toml"), ours)
        let again = try spend(["init", "--no-hook"], in: dir)
        assertOK(again)
        XCTAssertTrue(again.lines.contains("kept litellm-known.toml (differs from the bundled file; not overwritten)"), again.stdout)
        XCTAssertEqual(text(dir.appendingPathComponent("litellm-known.toml")), ours)
        try FileManager.default.removeItem(at: dir.appendingPathComponent("litellm-known.toml"))
        let restored = try spend(["init", "--no-hook"], in: dir)
        XCTAssertTrue(
            restored.lines.contains("created litellm-known.toml (the bundled cards' reviewed differences from LiteLLM's price map)"), restored.stdout)
    }

    func testBrokenExistingPolicyIsKeptWithAWarning() throws {
        let dir = try makeTempDir()
        try write(dir.appendingPathComponent("spend.toml"), "[policy]\nrequired_tag = [\"team\"]\n")
        let r = try spend(["init"], in: dir)
        assertOK(r)
        XCTAssertTrue(r.lines.contains("kept spend.toml (exists; not overwritten)"), r.stdout)
        XCTAssertEqual(r.stderr, "spend: warning: spend.toml (kept as it is) has 1 error; `spend lint` shows it\n")
        XCTAssertEqual(text(dir.appendingPathComponent("spend.toml")), "[policy]\nrequired_tag = [\"team\"]\n")
    }

    func testExistingGitattributesGetsTheLineAppendedOnce() throws {
        let dir = try makeTempDir()
        try git(["init", "-q"], in: dir)
        let mine = "*.png binary"  // no final newline
        try write(dir.appendingPathComponent(".gitattributes"), mine)
        let r = try spend(["init"], in: dir)
        assertOK(r)
        XCTAssertTrue(r.lines.contains("appended ledger/**/*.jsonl merge=union to .gitattributes"), r.stdout)
        let expected = mine + "\n" + DefaultFiles.gitattributes
        XCTAssertEqual(text(dir.appendingPathComponent(".gitattributes")), expected)
        let again = try spend(["init"], in: dir)
        assertOK(again)
        XCTAssertTrue(again.lines.contains("kept .gitattributes (has ledger/**/*.jsonl merge=union)"), again.stdout)
        XCTAssertEqual(text(dir.appendingPathComponent(".gitattributes")), expected)
        let attr = try git(["check-attr", "merge", "binary", "--", "ledger/2026/2026-11.jsonl", "a.png"], in: dir)
        XCTAssertTrue(attr.lines.contains("ledger/2026/2026-11.jsonl: merge: union"), attr.stdout)
        XCTAssertTrue(attr.lines.contains("a.png: binary: set"), attr.stdout)
    }

    func testGitattributesThatChoseOtherwiseForShardsIsNotChanged() throws {
        let dir = try makeTempDir()
        let mine = "ledger/**/*.jsonl -merge\n"
        try write(dir.appendingPathComponent(".gitattributes"), mine)
        let r = try spend(["init"], in: dir)
        assertOK(r)
        XCTAssertTrue(
            r.lines.contains("kept .gitattributes (it sets its own attributes for ledger/**/*.jsonl: ledger/**/*.jsonl -merge; not changed)"),
            r.stdout)
        XCTAssertEqual(text(dir.appendingPathComponent(".gitattributes")), mine)
    }

    // MARK: Hooks

    func testExistingPreCommitHookIsChainedAndStillRuns() throws {
        let dir = try makeTempDir()
        try git(["init", "-q"], in: dir)
        let hooks = dir.appendingPathComponent(".git/hooks")
        let ran = dir.appendingPathComponent("../\(dir.lastPathComponent)-local-hook-ran").standardizedFileURL
        let mine = "#!/bin/sh\necho ran >> '\(ran.path)'\n"
        try write(hooks.appendingPathComponent("pre-commit"), mine)
        chmod(hooks.appendingPathComponent("pre-commit").path, 0o755)
        addTeardownBlock { try? FileManager.default.removeItem(at: ran) }

        let r = try spend(["init"], in: dir)
        assertOK(r)
        XCTAssertTrue(
            r.lines.contains("installed hook .git/hooks/pre-commit (the hook that was there is now pre-commit.local and runs first)"), r.stdout)
        XCTAssertEqual(text(hooks.appendingPathComponent("pre-commit.local")), mine)
        XCTAssertEqual(text(hooks.appendingPathComponent("pre-commit")), PreCommitHook.script())

        let again = try spend(["init"], in: dir)
        XCTAssertTrue(again.lines.contains("kept hook .git/hooks/pre-commit (up to date)"), again.stdout)
        XCTAssertEqual(text(hooks.appendingPathComponent("pre-commit.local")), mine)

        // A commit runs both: the old hook first, then spend lint.
        try git(["add", "."], in: dir)
        let commit = try git(["commit", "-q", "-m", "start"], in: dir)
        XCTAssertEqual(text(ran), "ran\n")
        XCTAssertTrue(commit.stderr.contains("spend lint: ok"), commit.stderr)
    }

    func testNoHookSkipsItAndALaterRunInstallsIt() throws {
        let dir = try makeTempDir()
        let r = try spend(["init", "--no-hook"], in: dir)
        assertOK(r)
        XCTAssertTrue(r.lines.contains("skipped the pre-commit hook (--no-hook; `spend hooks install` adds it)"), r.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent(".git/hooks/pre-commit").path))
        let again = try spend(["init"], in: dir)
        assertOK(again)
        XCTAssertTrue(again.lines.contains("installed hook .git/hooks/pre-commit (runs spend lint --staged)"), again.stdout)
        XCTAssertFalse(again.stdout.contains("nothing changed"), again.stdout)
    }

    func testHintWhenSpendIsNotOnPath() throws {
        let dir = try makeTempDir()
        environment["PATH"] = "/usr/bin:/bin"
        environment["SPEND"] = nil
        let r = try runSpend("spend", ["init"], in: dir, environment: environment)
        assertOK(r)
        XCTAssertTrue(
            r.lines.last?.hasPrefix("the pre-commit hook runs `spend lint --staged`: put spend on PATH, or export SPEND=/") ?? false, r.stdout)
    }

    // MARK: Where

    func testInitInASubdirectoryOfAnExistingRepository() throws {
        let top = try makeTempDir()
        try git(["init", "-q"], in: top)
        try write(top.appendingPathComponent("README"), "app\n")
        try git(["add", "README"], in: top)
        try git(["commit", "-q", "-m", "app"], in: top)
        let sub = top.appendingPathComponent("ops/costs")

        let r = try spend(["init", "-C", "ops/costs"], in: top)
        assertOK(r)
        XCTAssertFalse(r.stdout.contains("initialized"), r.stdout)
        XCTAssertEqual(r.lines.first, "using the git repository at \(top.path)/ (cost repository in ops/costs/)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: sub.appendingPathComponent(".git").path))
        XCTAssertTrue(r.lines.contains("installed hook \(top.path)/.git/hooks/pre-commit (runs spend lint --staged)"), r.stdout)
        XCTAssertTrue(r.lines.contains("  cd ops/costs"), r.stdout)
        XCTAssertEqual(text(top.appendingPathComponent(".git/hooks/pre-commit")), PreCommitHook.script(costDirectory: "ops/costs/"))
        XCTAssertEqual(text(sub.appendingPathComponent(".gitattributes")), DefaultFiles.gitattributes)
        let attr = try git(["check-attr", "merge", "--", "ops/costs/ledger/2026/2026-11.jsonl", "ledger/x.jsonl"], in: top)
        XCTAssertEqual(attr.lines, ["ops/costs/ledger/2026/2026-11.jsonl: merge: union", "ledger/x.jsonl: merge: unspecified"])

        // The hook lints the subdirectory: a good event commits, an untagged one is refused.
        try appendLine(sub.appendingPathComponent("ledger/2026/2026-11.jsonl"), line("a"))
        try git(["add", "-A"], in: top)
        let good = try git(["commit", "-q", "-m", "costs"], in: top)
        XCTAssertTrue(good.stderr.contains("spend lint: ok"), good.stderr)
        try appendLine(
            sub.appendingPathComponent("ledger/2026/2026-11.jsonl"),
            #"{"ts":"2026-11-03T15:00:00Z","id":"b","provider":"openai","model":"gpt-4o-mini","input_tokens":1,"output_tokens":1,"tags":{"env":"dev","feature":"chat"}}"#)
        try git(["add", "-A"], in: top)
        let bad = try git(["commit", "-q", "-m", "untagged"], in: top, check: false)
        XCTAssertNotEqual(bad.status, 0, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("error[tag-required]"), bad.stderr)

        // Run again from inside the cost repository: nothing to do.
        let again = try spend(["init"], in: sub)
        XCTAssertTrue(again.lines.last?.hasPrefix("nothing changed: ") ?? false, again.stdout)
    }

    func testInsideAnExistingCostRepositoryIsRefused() throws {
        let dir = try makeTempDir()
        assertOK(try spend(["init"], in: dir))
        let r = try spend(["init", "-C", "ledger/2026"], in: dir)
        assertRejected(r)
        XCTAssertEqual(
            r.stderr,
            "spend: error: cannot initialize ledger/2026: it is inside the cost repository \(dir.path); run spend init there to complete it\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("ledger/2026").path))
    }

    // MARK: Merging

    /// After init, two branches that each append to the same shard merge
    /// without a conflict (merge=union), keeping both lines; so do two
    /// branches that each start the same new shard.
    func testAppendsOnTwoBranchesMergeWithoutConflict() throws {
        let dir = try makeTempDir()
        assertOK(try spend(["init"], in: dir))
        let shard = dir.appendingPathComponent("ledger/2026/2026-11.jsonl")
        try appendLine(shard, line("base"))
        try git(["add", "."], in: dir)
        try git(["commit", "-q", "-m", "init"], in: dir)
        let main = try git(["rev-parse", "--abbrev-ref", "HEAD"], in: dir).stdout.trimmingCharacters(in: .whitespacesAndNewlines)

        try git(["checkout", "-q", "-b", "feature"], in: dir)
        try appendLine(shard, line("from-feature", team: "search"))
        let december = dir.appendingPathComponent("ledger/2026/2026-12.jsonl")
        try appendLine(december, line("dec-feature", ts: "2026-12-01T08:00:00Z"))
        try git(["add", "."], in: dir)
        try git(["commit", "-q", "-m", "feature spend"], in: dir)

        try git(["checkout", "-q", main], in: dir)
        try appendLine(shard, line("from-main"))
        try appendLine(december, line("dec-main", ts: "2026-12-01T09:00:00Z"))
        try git(["add", "."], in: dir)
        try git(["commit", "-q", "-m", "main spend"], in: dir)

        let merge = try git(["merge", "--no-edit", "feature"], in: dir, check: false)
        XCTAssertEqual(merge.status, 0, merge.stdout + merge.stderr)
        XCTAssertFalse((merge.stdout + merge.stderr).contains("CONFLICT"), merge.stdout + merge.stderr)
        XCTAssertEqual(text(shard), [line("base"), line("from-main"), line("from-feature", team: "search")].map { $0 + "\n" }.joined())
        XCTAssertEqual(
            text(december), [line("dec-main", ts: "2026-12-01T09:00:00Z"), line("dec-feature", ts: "2026-12-01T08:00:00Z")].map { $0 + "\n" }.joined())
        XCTAssertEqual(try git(["status", "--porcelain"], in: dir).stdout, "")
        assertOK(try spend(["lint", "--commits", "HEAD~2..HEAD"], in: dir))
        let report = try spend(["report", "--by", "team", "--format", "csv"], in: dir)
        assertOK(report)
        XCTAssertTrue(report.lines.contains { $0.hasPrefix("search,1,") }, report.stdout)
        XCTAssertTrue(report.lines.contains { $0.hasPrefix("growth,4,") }, report.stdout)
    }

    // MARK: Failures

    func testATargetThatIsAFileIsAUsageError() throws {
        let dir = try makeTempDir()
        try write(dir.appendingPathComponent("path/to/file"), "x")
        let r = try spend(["init", "-C", "path/to/file"], in: dir)
        assertRejected(r)
        XCTAssertEqual(r.stderr, "spend: error: cannot initialize path/to/file: it exists and is not a directory\n")
        let below = try spend(["init", "-C", "path/to/file/costs"], in: dir)
        assertRejected(below)
        XCTAssertEqual(below.stderr, "spend: error: cannot create path/to/file/costs: \(dir.path)/path/to/file is not a directory\n")
    }

    func testLayoutConflictIsFoundBeforeAnythingIsWritten() throws {
        let dir = try makeTempDir()
        try write(dir.appendingPathComponent("ledger"), "not a directory\n")
        let r = try spend(["init"], in: dir)
        assertRejected(r)
        XCTAssertEqual(r.stderr, "spend: error: cannot initialize .: ledger exists and is not a directory; nothing was changed\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["ledger"])
    }

    func testBareRepositoryIsRefused() throws {
        let dir = try makeTempDir()
        try git(["init", "-q", "--bare", "costs.git"], in: dir)
        let r = try spend(["init", "-C", "costs.git"], in: dir)
        assertRejected(r)
        XCTAssertEqual(
            r.stderr, "spend: error: cannot initialize costs.git: it is a bare git repository (no working tree); run spend init in a clone of it\n")
        let inside = try spend(["init", "-C", "costs.git/refs"], in: dir)
        assertRejected(inside)
        XCTAssertTrue(inside.stderr.contains("it is inside the bare git repository \(dir.path)/costs.git/"), inside.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("costs.git/spend.toml").path))
    }

    func testInsideTheGitDirectoryIsRefused() throws {
        let dir = try makeTempDir()
        try git(["init", "-q"], in: dir)
        let r = try spend(["init", "-C", ".git/hooks"], in: dir)
        assertRejected(r)
        XCTAssertTrue(r.stderr.contains("is inside the git directory"), r.stderr)
    }

    // MARK: The default policy

    /// The default spend.toml parses, and so does every commented example once uncommented.
    func testDefaultPolicyParsesAndItsExamplesAreValid() throws {
        let policy = try Policy.parse(DefaultFiles.policy)
        XCTAssertEqual(policy.requiredTags, ["team", "feature", "env"])
        XCTAssertEqual(policy.tags["env"]?.allowed, ["prod", "staging", "dev"])
        XCTAssertEqual(policy.tags["team"]?.pattern, "^[a-z][a-z0-9-]*$")
        XCTAssertTrue(policy.environments.isEmpty)
        XCTAssertNil(policy.maxInputTokens)

        let uncommented = DefaultFiles.policy.split(separator: "\n", omittingEmptySubsequences: false).map { line -> Substring in
            guard line.hasPrefix("# ") else { return line }
            let rest = line.dropFirst(2)
            if rest.hasPrefix("[") || rest.range(of: #"^[a-z_]+ = "#, options: .regularExpression) != nil { return rest }
            return line
        }.joined(separator: "\n")
        let full = try Policy.parse(uncommented)
        XCTAssertEqual(full.environments["prod"]?.requiredTags, ["customer"])
        XCTAssertEqual(full.environments["staging"]?.denyModels, ["gpt-4o", "claude-opus-*"])
        XCTAssertEqual(full.maxInputTokens, 500000)
        XCTAssertEqual(full.tags["customer"]?.pattern, "^cus_[A-Za-z0-9]+$")
        XCTAssertEqual(full.features.map(\.name), ["summaries"])
        XCTAssertEqual(full.teams.map(\.name), ["search"])
    }
}
