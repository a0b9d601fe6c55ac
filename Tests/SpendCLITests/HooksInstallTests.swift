import Foundation
import XCTest

/// `spend hooks install`: where the hook goes, chaining, idempotence, and the
/// files shipped for hooks (`hooks/pre-commit`, `.pre-commit-hooks.yaml`).
final class HooksInstallTests: XCTestCase {
    let shard = "ledger/2026/2026-11.jsonl"

    func read(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }

    func testInstallWritesExecutableHookIntoGitHooks() throws {
        let repo = try LintSandbox()
        let run = try repo.spend(["hooks", "install"])
        XCTAssertEqual(run.status, 0, run.output)
        let path = repo.top.appendingPathComponent(".git/hooks/pre-commit").path
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: path))
        XCTAssertTrue(read(path)?.contains("lint --staged") ?? false)
        XCTAssertTrue(run.stdout.contains(".git/hooks/pre-commit"), run.stdout)
    }

    func testInstallHonoursRelativeCoreHooksPath() throws {
        let repo = try LintSandbox()
        try repo.git("config", "core.hooksPath", "githooks")
        let run = try repo.spend(["hooks", "install"])
        XCTAssertEqual(run.status, 0, run.output)
        let path = repo.top.appendingPathComponent("githooks/pre-commit").path
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: path), run.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: repo.top.appendingPathComponent(".git/hooks/pre-commit").path))
        // git runs it: an untagged event is rejected.
        try repo.appendEvents(shard, [lintEvent(id: "a", tags: ["env": "prod"])])
        let commit = try repo.commitAll("untagged")
        XCTAssertNotEqual(commit.status, 0, commit.output)
        XCTAssertTrue(commit.output.contains("error[tag-required]"), commit.output)
    }

    /// A relative core.hooksPath that climbs out of the repository is refused (nothing written there).
    func testRelativeCoreHooksPathOutsideTheRepositoryIsRefused() throws {
        let repo = try LintSandbox()
        let outside = repo.top.deletingLastPathComponent().appendingPathComponent("spend-hooks-outside-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: outside) }
        try repo.git("config", "core.hooksPath", "../" + outside.lastPathComponent)
        let run = try repo.spend(["hooks", "install"])
        XCTAssertEqual(run.status, 2, run.output)
        XCTAssertTrue(
            run.stderr.contains(
                "core.hooksPath \"../\(outside.lastPathComponent)\" leads outside the repository (to \(outside.path), not under \(repo.top.path)); spend hooks install writes only inside the repository"
            ), run.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: outside.path))
        // A symlink inside the repository that points out is no way round it.
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: repo.top.appendingPathComponent("linked").path, withDestinationPath: outside.path)
        try repo.git("config", "core.hooksPath", "linked/hooks")
        let linked = try repo.spend(["hooks", "install"])
        XCTAssertEqual(linked.status, 2, linked.output)
        XCTAssertTrue(linked.stderr.contains("leads outside the repository (to \(outside.path)/hooks"), linked.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: outside.appendingPathComponent("hooks").path))
    }

    func testInstallHonoursAbsoluteCoreHooksPathFromSubdirectory() throws {
        let repo = try LintSandbox()
        let hooks = repo.top.appendingPathComponent("elsewhere/hooks")
        try repo.git("config", "core.hooksPath", hooks.path)
        let run = try repo.spend(["hooks", "install", "-C", repo.root.appendingPathComponent("ledger").path], in: URL(fileURLWithPath: "/"))
        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: hooks.appendingPathComponent("pre-commit").path), run.output)
    }

    func testExistingHookIsChainedNotClobberedAndInstallIsIdempotent() throws {
        let repo = try LintSandbox()
        let hooks = repo.top.appendingPathComponent(".git/hooks")
        try FileManager.default.createDirectory(at: hooks, withIntermediateDirectories: true)
        let marker = repo.top.appendingPathComponent("local-hook-ran")
        let mine = "#!/bin/sh\necho ran >> '\(marker.path)'\nexit 0\n"
        try Data(mine.utf8).write(to: hooks.appendingPathComponent("pre-commit"))
        chmod(hooks.appendingPathComponent("pre-commit").path, 0o755)

        let first = try repo.spend(["hooks", "install"])
        XCTAssertEqual(first.status, 0, first.output)
        XCTAssertTrue(first.stdout.contains("pre-commit.local"), first.stdout)
        XCTAssertEqual(read(hooks.appendingPathComponent("pre-commit.local").path), mine)
        let installed = read(hooks.appendingPathComponent("pre-commit").path)
        XCTAssertTrue(installed?.contains("# spend pre-commit hook") ?? false)

        // Installing again changes nothing: no second chain, same script.
        let second = try repo.spend(["hooks", "install"])
        XCTAssertEqual(second.status, 0, second.output)
        XCTAssertTrue(second.stdout.contains("updated"), second.stdout)
        XCTAssertEqual(read(hooks.appendingPathComponent("pre-commit").path), installed)
        XCTAssertEqual(read(hooks.appendingPathComponent("pre-commit.local").path), mine)
        let names = try FileManager.default.contentsOfDirectory(atPath: hooks.path).filter { $0.hasPrefix("pre-commit") && !$0.hasSuffix(".sample") }.sorted()
        XCTAssertEqual(names, ["pre-commit", "pre-commit.local"])

        // Both run on a commit: the old hook first, then spend's.
        try repo.appendEvents(shard, [lintEvent(id: "a")])
        let good = try repo.commitAll("good")
        XCTAssertEqual(good.status, 0, good.output)
        XCTAssertEqual(read(marker.path), "ran\n")
        try repo.appendEvents(shard, [lintEvent(id: "b", tags: ["env": "prod"])])
        let bad = try repo.commitAll("bad")
        XCTAssertNotEqual(bad.status, 0, bad.output)
        XCTAssertEqual(read(marker.path), "ran\nran\n")
    }

    func testFailingChainedHookStopsTheCommit() throws {
        let repo = try LintSandbox()
        let hooks = repo.top.appendingPathComponent(".git/hooks")
        try FileManager.default.createDirectory(at: hooks, withIntermediateDirectories: true)
        try Data("#!/bin/sh\necho 'local hook says no' >&2\nexit 3\n".utf8).write(to: hooks.appendingPathComponent("pre-commit"))
        chmod(hooks.appendingPathComponent("pre-commit").path, 0o755)
        XCTAssertEqual(try repo.spend(["hooks", "install"]).status, 0)
        try repo.appendEvents(shard, [lintEvent(id: "a")])
        let commit = try repo.commitAll("good events, unhappy local hook")
        XCTAssertNotEqual(commit.status, 0)
        XCTAssertTrue(commit.output.contains("local hook says no"), commit.output)
    }

    func testInstallOutsideGitIsAUsageError() throws {
        let repo = try LintSandbox(git: false)
        let run = try repo.spend(["hooks", "install"])
        XCTAssertEqual(run.status, 2, run.output)
        XCTAssertTrue(run.stderr.contains("not inside a git repository"), run.stderr)
    }

    /// The shipped `hooks/pre-commit` is exactly what `install` writes.
    func testShippedHookMatchesInstalledScript() throws {
        let shipped = read(LintPaths.packageRoot.appendingPathComponent("hooks/pre-commit").path)
        XCTAssertNotNil(shipped)
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: LintPaths.packageRoot.appendingPathComponent("hooks/pre-commit").path))
        let repo = try LintSandbox()
        XCTAssertEqual(try repo.spend(["hooks", "install"]).status, 0)
        XCTAssertEqual(read(repo.top.appendingPathComponent(".git/hooks/pre-commit").path), shipped)
        XCTAssertEqual(try repo.spend(["hooks", "show"]).stdout, shipped)
        // It is valid POSIX sh.
        XCTAssertEqual(try lintExec("/bin/sh", ["-n", LintPaths.packageRoot.appendingPathComponent("hooks/pre-commit").path], in: repo.top).status, 0)
    }

    func testPreCommitHooksYamlOffersSpendLint() throws {
        let text = read(LintPaths.packageRoot.appendingPathComponent(".pre-commit-hooks.yaml").path) ?? ""
        XCTAssertTrue(text.contains("- id: spend-lint"), text)
        XCTAssertTrue(text.contains("entry: spend lint --staged"), text)
        XCTAssertTrue(text.contains("language: system"), text)
        XCTAssertTrue(text.contains("pass_filenames: false"), text)
        XCTAssertTrue(text.contains("always_run: true"), text)
    }

    /// The `.pre-commit-hooks.yaml` entry, run by the pre-commit framework for
    /// real (skipped when `pre-commit` is not installed).
    func testPreCommitFrameworkRunsSpendLint() throws {
        let which = try lintExec("/bin/sh", ["-c", "command -v pre-commit"], in: URL(fileURLWithPath: "/"))
        let tool = which.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        guard which.status == 0, !tool.isEmpty else { throw XCTSkip("pre-commit is not installed (pip install pre-commit)") }
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("spend-precommit-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: home) }
        let env = ["PRE_COMMIT_HOME": home.path]

        // A hook repository holding the shipped .pre-commit-hooks.yaml.
        let hookRepo = try LintSandbox(policy: nil, cards: false)
        try FileManager.default.copyItem(
            at: LintPaths.packageRoot.appendingPathComponent(".pre-commit-hooks.yaml"),
            to: hookRepo.url(".pre-commit-hooks.yaml"))
        try hookRepo.write("README", "hooks\n")
        XCTAssertEqual(try hookRepo.commitAll("hooks", verify: false).status, 0)
        let rev = try hookRepo.git("rev-parse", "HEAD").stdout.trimmingCharacters(in: .whitespacesAndNewlines)

        let repo = try LintSandbox()
        try repo.write(
            ".pre-commit-config.yaml",
            "repos:\n  - repo: \(hookRepo.top.path)\n    rev: \(rev)\n    hooks:\n      - id: spend-lint\n")
        try repo.appendEvents(shard, [lintEvent(id: "a")])
        XCTAssertEqual(try repo.commitAll("first", verify: false).status, 0)
        let install = try lintExec(tool, ["install"], in: repo.top, extra: env)
        XCTAssertEqual(install.status, 0, install.output)

        try repo.appendEvents(shard, [lintEvent(id: "b", tags: ["env": "prod"])])
        try lintExec("/usr/bin/git", ["add", "-A"], in: repo.top)
        let bad = try lintExec("/usr/bin/git", ["commit", "-q", "-m", "untagged"], in: repo.top, extra: env)
        XCTAssertNotEqual(bad.status, 0, bad.output)
        XCTAssertTrue(bad.output.contains("spend lint"), bad.output)
        XCTAssertTrue(bad.output.contains("error[tag-required]"), bad.output)

        try repo.replace(in: shard, lintEvent(id: "b", tags: ["env": "prod"]), with: lintEvent(id: "b"))
        try lintExec("/usr/bin/git", ["add", "-A"], in: repo.top)
        let good = try lintExec("/usr/bin/git", ["commit", "-q", "-m", "tagged"], in: repo.top, extra: env)
        XCTAssertEqual(good.status, 0, good.output)
    }
}
