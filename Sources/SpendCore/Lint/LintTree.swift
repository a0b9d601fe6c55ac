import Foundation

/// A file lint reads: its cost-repository-relative path, where its bytes
/// are, and its git blob id when known (equal ids mean equal content).
public struct LintFile: Sendable, Hashable {
    public var path: String
    public var source: LedgerShard.Content
    public var blob: ObjectID?

    public init(path: String, source: LedgerShard.Content, blob: ObjectID?) {
        self.path = path
        self.source = source
        self.blob = blob
    }
}

/// The ledger shards, rate cards and policy of one state of a cost
/// repository: the working tree, the index, or a commit.
public struct LintTree: Sendable {
    /// `working tree`, `index`, `HEAD`, a commit id.
    public var label: String
    public var shards: [LintFile]
    public var cards: [LintFile]
    public var policy: LintFile?
    /// The commit, for a commit tree.
    public var commit: ObjectID?
    /// Entries that are not regular files where files belong (`symlink`, `special-file`).
    public var problems: [Diagnostic] = []
}

/// The cost repository lint works on and its git repository, and how to
/// read the trees and bytes of each mode.
public final class LintWorkspace {
    /// Absolute path of the cost repository (a bare git repository's directory for server-side checks).
    public let root: String
    /// nil outside git (only `--all` works then).
    public let git: GitRepository?
    /// The cost repository's path inside the git working tree ("" or "sub/dir/").
    public let prefix: String
    /// Told when reading the working tree rolls back a dead append (``CostRepository/notice``).
    public let notice: @Sendable (String) -> Void

    public init(costRepository: CostRepository) {
        root = costRepository.root
        notice = costRepository.notice
        if let (repo, prefix) = try? costRepository.git() {
            repo.adoptEnvironmentObjectDirectories()
            git = repo
            self.prefix = prefix
        } else {
            git = nil
            prefix = ""
        }
    }

    /// A bare repository (a server's): revisions only, the cost repository at the top of its trees.
    public init(bare git: GitRepository) {
        root = git.gitdir
        notice = { _ in }
        git.adoptEnvironmentObjectDirectories()
        self.git = git
        prefix = ""
    }

    /// The git repository, or a usage error saying what needs it (`what`: "reading commits").
    public func requireGit(for what: String) throws(SpendError) -> GitRepository {
        guard let git else {
            throw SpendError.usage("\(root) is not inside a git repository (needed for \(what))")
        }
        return git
    }

    /// The git repository, or a request error naming the lint mode that needs it.
    public func requireGit(for mode: RequestProblem.GitLintMode) throws(SpendError) -> GitRepository {
        guard let git else {
            throw SpendError.request(.needsGitRepository(root: root, for: mode))
        }
        return git
    }

    static func isCard(_ relative: String) -> Bool {
        relative.hasPrefix("ratecards/") && relative.hasSuffix(".toml") && !relative.dropFirst(10).contains("/")
    }

    static func isInLedgerOrCards(_ relative: String) -> Bool {
        relative.hasPrefix("ledger/") || relative.hasPrefix("ratecards/")
    }

    /// `error[symlink]` for a link committed or staged in git (its blob holds the target).
    func symlinkProblem(_ relative: String, _ blob: ObjectID) -> Diagnostic {
        WorkingTreeFiles.symlinkProblem(relative, target: (try? git?.blobText(blob)) ?? "?")
    }

    static func isShard(_ relative: String) -> Bool {
        relative.hasPrefix("ledger/") && relative.hasSuffix(".jsonl")
    }

    // MARK: Trees

    /// The files on disk (after rolling back an append whose process died
    /// mid-write), listed without following symlinks: symlinks and special
    /// files are `problems`, never read. Blob ids are filled in from the index
    /// where the file is stat-clean (so unchanged shards need not be compared to HEAD).
    public func workingTree() throws(SpendError) -> LintTree {
        if let git, git.workdir == nil { throw SpendError.request(.bareRepository(root: root)) }
        try LedgerJournal.recover(root: root, notice: notice)
        let fm = FileManager.default
        let files = WorkingTreeFiles(root: root)
        let shards = files.shards.map { LintFile(path: $0, source: .file(root + "/" + $0), blob: nil) }
        let cards = files.cards.map { LintFile(path: $0, source: .file(root + "/" + $0), blob: nil) }
        let policyUnreadable = files.problems.contains { $0.path == "spend.toml" }
        let policy =
            fm.fileExists(atPath: root + "/spend.toml") && !policyUnreadable
            ? LintFile(path: "spend.toml", source: .file(root + "/spend.toml"), blob: nil) : nil
        var tree = LintTree(label: "working tree", shards: shards, cards: cards, policy: policy)
        tree.problems = files.problems
        if let git, let workdir = git.workdir, let staged = try? git.stagedFiles(under: [prefix + "ledger/"]).files {
            let indexTime = git.indexFileMTime
            var byPath: [String: StagedFile] = [:]
            for file in staged { byPath[String(file.path.dropFirst(prefix.count))] = file }
            for i in tree.shards.indices {
                guard let entry = byPath[tree.shards[i].path] else { continue }
                if git.workingFileMatches(entry, absolutePath: workdir + entry.path, indexMTime: indexTime) {
                    tree.shards[i].blob = entry.blob
                }
            }
        }
        return tree
    }

    /// What the next commit will hold. A working file that is stat-clean
    /// against its index entry is read from disk (same bytes, no inflating).
    public func index() throws(SpendError) -> LintTree {
        let git = try requireGit(for: .staged)
        if git.workdir == nil { throw SpendError.request(.bareRepository(root: root)) }
        let staged: [StagedFile]
        let conflicts: [String]
        do {
            (staged, conflicts) = try git.stagedFiles(under: [prefix + "ledger/", prefix + "ratecards/", prefix + "spend.toml"])
        } catch {
            throw SpendError.git(error)
        }
        if !conflicts.isEmpty {
            throw SpendError.usage("unmerged paths in the index (resolve the conflicts first): \(conflicts.joined(separator: ", "))")
        }
        let indexTime = git.indexFileMTime
        var tree = LintTree(label: "index", shards: [], cards: [], policy: nil)
        for entry in staged {
            let relative = String(entry.path.dropFirst(prefix.count))
            if entry.isSymlink {
                if Self.isInLedgerOrCards(relative) { tree.problems.append(symlinkProblem(relative, entry.blob)) }
                continue
            }
            var source = LedgerShard.Content.blob(entry.blob)
            if let workdir = git.workdir, git.workingFileMatches(entry, absolutePath: workdir + entry.path, indexMTime: indexTime) {
                source = .file(workdir + entry.path)
            }
            let file = LintFile(path: relative, source: source, blob: entry.blob)
            if Self.isShard(relative) {
                tree.shards.append(file)
            } else if Self.isCard(relative) {
                tree.cards.append(file)
            } else if relative == "spend.toml" {
                tree.policy = file
            }
        }
        return tree
    }

    /// The tree of a commit.
    public func commitTree(_ commit: ObjectID) throws(SpendError) -> LintTree {
        let git = try requireGit(for: "reading commits")
        do {
            var tree = LintTree(label: commit.short, shards: [], cards: [], policy: nil, commit: commit)
            let ledger = try git.files(at: commit.hex, under: prefix + "ledger")
            let cards = try git.files(at: commit.hex, under: prefix + "ratecards")
            for file in ledger + cards where file.isSymlink {
                tree.problems.append(symlinkProblem(String(file.path.dropFirst(prefix.count)), file.blob))
            }
            for file in ledger where !file.isSymlink {
                let relative = String(file.path.dropFirst(prefix.count))
                if Self.isShard(relative) { tree.shards.append(LintFile(path: relative, source: .blob(file.blob), blob: file.blob)) }
            }
            for file in cards where !file.isSymlink {
                let relative = String(file.path.dropFirst(prefix.count))
                if Self.isCard(relative) { tree.cards.append(LintFile(path: relative, source: .blob(file.blob), blob: file.blob)) }
            }
            if let policy = try git.files(at: commit.hex, under: prefix).first(where: { $0.path == prefix + "spend.toml" }) {
                tree.policy = LintFile(path: "spend.toml", source: .blob(policy.blob), blob: policy.blob)
            }
            return tree
        } catch {
            throw SpendError.git(error)
        }
    }

    // MARK: Bytes

    /// The text of a small file (card, policy).
    public func text(_ file: LintFile) throws(SpendError) -> String {
        switch file.source {
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw SpendError.usage("cannot read \(file.path)")
            }
            return String(decoding: data, as: UTF8.self)
        case .blob(let id):
            do {
                return try requireGit(for: "reading \(file.path)").blobText(id)
            } catch let e as SpendError {
                throw e
            } catch {
                throw SpendError.usage("cannot read \(file.path) (\(id.short)): \(error)")
            }
        }
    }

    /// Maps or reads many files in parallel (one libgit2 handle per worker for blobs).
    public func buffers(_ files: [LintFile]) throws(SpendError) -> [ShardBuffer] {
        if files.isEmpty { return [] }
        let gitdir = git?.gitdir
        let environment = git?.environment ?? .none
        let results = parallelMap(files.count) { i -> Result<ShardBuffer, SpendError> in
            let file = files[i]
            let shard = LedgerShard(path: file.path, content: file.source)
            do {
                switch file.source {
                case .file(let path):
                    return .success(ShardBuffer(shard: shard, mapped: try MappedFile(path: path)))
                case .blob(let id):
                    guard let gitdir else { throw GitError(message: "no git repository") }
                    let repo = try GitRepository(at: gitdir, environment: environment)
                    repo.adoptEnvironmentObjectDirectories()
                    return .success(try repo.withBlob(id) { ShardBuffer(shard: shard, copying: $0) })
                }
            } catch {
                return .failure(SpendError.usage("cannot read \(file.path): \(error)"))
            }
        }
        var out: [ShardBuffer] = []
        for result in results {
            switch result {
            case .success(let b): out.append(b)
            case .failure(let e): throw e
            }
        }
        return out
    }
}
