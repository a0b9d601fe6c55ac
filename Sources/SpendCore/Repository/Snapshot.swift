import Foundation

/// Where a snapshot reads from: the files on disk, or a git revision.
public enum SnapshotSource: Sendable, Hashable {
    case workingTree
    case revision(String)
}

/// A ledger shard of a snapshot: its repository-relative path and where its bytes are.
public struct LedgerShard: Sendable, Hashable {
    public enum Content: Sendable, Hashable {
        /// An absolute file path on disk.
        case file(String)
        /// A git blob.
        case blob(ObjectID)
    }

    public var path: String
    public var content: Content

    /// Whether the shard is read from a git blob.
    public var isBlob: Bool {
        if case .blob = content { return true } else { return false }
    }
}

/// A cost repository: the directory holding `ledger/`, `ratecards/` and
/// `spend.toml`, possibly inside a larger git repository.
public struct CostRepository: Sendable {
    /// Absolute path of the cost repository root (no trailing slash).
    public let root: String
    /// What git named through the environment (a hook's index or objects),
    /// for every ``GitRepository`` opened through ``git()``.
    public var gitEnvironment: GitEnvironment = .none
    /// Told what reading or appending did besides its job: one line each when
    /// an append that died mid-write is rolled back (the CLI shows them on
    /// stderr; by default they are dropped: the library prints nothing).
    public var notice: @Sendable (String) -> Void = { _ in }

    /// Finds the cost repository containing `directory`: the nearest ancestor
    /// with `ratecards/`, `ledger/` or `spend.toml`. A relative `directory` is
    /// taken from `base` (default: the process's working directory); messages
    /// quote `directory` as given.
    public init(directory: String, relativeTo base: String? = nil) throws(SpendError) {
        let start = URL(fileURLWithPath: WorkingDirectory.absolute(directory, from: base)).standardizedFileURL.path
        var dir = start
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: start, isDirectory: &isDir), isDir.boolValue else {
            throw SpendError.usage("cannot change to '\(directory)': no such directory")
        }
        while true {
            for marker in ["ratecards", "ledger", "spend.toml"] where fm.fileExists(atPath: dir + "/" + marker) {
                root = dir
                return
            }
            let parent = (dir as NSString).deletingLastPathComponent
            if parent == dir || parent.isEmpty { break }
            dir = parent
        }
        throw SpendError.usage(
            "not a cost repository (or any parent up to /): \(start) has no ratecards/, ledger/ or spend.toml; run `spend init` to make one")
    }

    /// The git repository around the cost repository, and the cost repository's
    /// path inside it ("" or "sub/dir/").
    public func git() throws(SpendError) -> (GitRepository, prefix: String) {
        let repo: GitRepository
        do {
            repo = try GitRepository(discovering: root, environment: gitEnvironment)
        } catch {
            throw SpendError.usage(
                "\(root) is not inside a git repository (revisions, history and the index are read from git; `spend init` makes one): "
                    + error.message)
        }
        guard let workdir = repo.workdir else { return (repo, "") }
        let resolvedRoot = URL(fileURLWithPath: root).resolvingSymlinksInPath().path + "/"
        let resolvedWork = URL(fileURLWithPath: workdir).resolvingSymlinksInPath().path + "/"
        let prefix = resolvedRoot.hasPrefix(resolvedWork) ? String(resolvedRoot.dropFirst(resolvedWork.count)) : ""
        return (repo, prefix)
    }

    /// Reads the ledger list, rate cards and policy of the working tree or a revision.
    public func snapshot(_ source: SnapshotSource) throws(SpendError) -> Snapshot {
        switch source {
        case .workingTree:
            return try workingTreeSnapshot()
        case .revision(let rev):
            return try revisionSnapshot(rev)
        }
    }

    /// Lists the working tree (after rolling back an append whose process
    /// died mid-write); a symlink or special file in `ledger/` or
    /// `ratecards/` is refused (`WorkingTreeFiles`).
    private func workingTreeSnapshot() throws(SpendError) -> Snapshot {
        try LedgerJournal.recover(root: root, notice: notice)
        let files = WorkingTreeFiles(root: root)
        try files.check()
        let shards = files.shards.map { LedgerShard(path: $0, content: .file(root + "/" + $0)) }
        let policy = FileManager.default.contents(atPath: root + "/spend.toml").map { String(decoding: $0, as: UTF8.self) }
        return try Snapshot(
            repository: self, source: .workingTree, shards: shards, cardFiles: try workingTreeCardFiles(files.cards),
            policyText: policy, gitPrefix: nil)
    }

    /// The rate cards and policy of the working tree, without listing the ledger
    /// (what `append` needs).
    ///
    /// With `providers`, only `ratecards/<provider>.toml` of those providers are
    /// read when they all exist (one process appending one event need not parse
    /// every card); otherwise every card is.
    public func workingTreePricing(providers: Set<String>? = nil) throws(SpendError) -> (book: PriceBook, policy: Policy) {
        let files = WorkingTreeFiles(root: root, listingLedger: false)
        try files.check()
        let book = try Snapshot.priceBook(cardFiles: workingTreeCardFiles(files.cards, providers: providers))
        guard let data = FileManager.default.contents(atPath: root + "/spend.toml") else { return (book, .empty) }
        do {
            return (book, try Policy.parse(String(decoding: data, as: UTF8.self), path: "spend.toml"))
        } catch {
            throw SpendError.input(error.diagnostics)
        }
    }

    /// Reads the rate cards at `listed` (`ratecards/NAME.toml` paths from `WorkingTreeFiles`).
    private func workingTreeCardFiles(_ listed: [String], providers: Set<String>? = nil) throws(SpendError) -> [(
        path: String, text: String, blob: String?
    )] {
        let fm = FileManager.default
        var cardFiles: [(path: String, text: String, blob: String?)] = []
        var cardPaths = listed
        if let providers {
            let wanted = providers.map { "ratecards/" + $0 + ".toml" }.sorted()
            if !wanted.isEmpty && wanted.allSatisfy(cardPaths.contains) { cardPaths = wanted }
        }
        for path in cardPaths {
            guard let data = fm.contents(atPath: root + "/" + path) else {
                throw SpendError.input([Diagnostic(path: path, rule: .io, message: "cannot read file")])
            }
            let blob = data.withUnsafeBytes { ObjectID.blob(of: $0).hex }
            cardFiles.append((path, String(decoding: data, as: UTF8.self), blob))
        }
        return cardFiles
    }

    private func revisionSnapshot(_ rev: String) throws(SpendError) -> Snapshot {
        let (repo, prefix) = try git()
        do {
            let commit = try repo.commitID(rev)
            let ledger = try repo.files(at: commit.hex, under: prefix + "ledger")
            let cardTree = try repo.files(at: commit.hex, under: prefix + "ratecards")
            // A committed symlink is refused here too (its blob is the link's target, not a shard).
            let links = (ledger + cardTree).filter(\.isSymlink).map {
                WorkingTreeFiles.symlinkProblem(String($0.path.dropFirst(prefix.count)), target: (try? repo.blobText($0.blob)) ?? "?")
            }
            if !links.isEmpty { throw SpendError.input(links) }
            let shards = ledger.filter { $0.path.hasSuffix(".jsonl") }.map {
                LedgerShard(path: String($0.path.dropFirst(prefix.count)), content: .blob($0.blob))
            }
            var cardFiles: [(path: String, text: String, blob: String?)] = []
            for file in cardTree where file.path.hasSuffix(".toml") {
                cardFiles.append((String(file.path.dropFirst(prefix.count)), try repo.blobText(file.blob), file.blob.hex))
            }
            let policyFile = try repo.files(at: commit.hex, under: prefix).first { $0.path == prefix + "spend.toml" }
            let policy = try policyFile.map { try repo.blobText($0.blob) }
            return try Snapshot(
                repository: self, source: .revision(rev), shards: shards, cardFiles: cardFiles, policyText: policy,
                gitPrefix: prefix, commit: commit)
        } catch let e as SpendError {
            throw e
        } catch let e as GitError {
            throw SpendError.git(e)
        } catch {
            throw SpendError.usage("\(error)")
        }
    }
}

/// Everything a report reads, as of one source: ledger shards (not yet read),
/// parsed rate cards, and the policy text.
public struct Snapshot: Sendable {
    public let repository: CostRepository
    public let source: SnapshotSource
    public let shards: [LedgerShard]
    public let priceBook: PriceBook
    public let policyText: String?
    /// The commit read, for a revision snapshot.
    public let commit: ObjectID?
    let gitPrefix: String?

    init(
        repository: CostRepository, source: SnapshotSource, shards: [LedgerShard],
        cardFiles: [(path: String, text: String, blob: String?)], policyText: String?, gitPrefix: String?,
        commit: ObjectID? = nil
    ) throws(SpendError) {
        self.repository = repository
        self.source = source
        self.shards = shards
        self.policyText = policyText
        self.gitPrefix = gitPrefix
        self.commit = commit
        priceBook = try Self.priceBook(cardFiles: cardFiles)
    }

    /// Parses rate-card files into one price book; every problem is reported.
    static func priceBook(cardFiles: [(path: String, text: String, blob: String?)]) throws(SpendError) -> PriceBook {
        var cards: [RateCard] = []
        var problems: [Diagnostic] = []
        for file in cardFiles {
            do {
                cards.append(try RateCardCache.shared.card(file.text, path: file.path, blobId: file.blob))
            } catch {
                problems += error.diagnostics
            }
        }
        var providers: [String: String] = [:]
        for card in cards {
            if let other = providers[card.provider] {
                problems.append(Diagnostic(path: card.path, rule: .ratecard, message: "provider \"\(card.provider)\" is also defined in \(other)"))
            }
            providers[card.provider] = card.path
        }
        if !problems.isEmpty { throw SpendError.input(problems) }
        return PriceBook(cards: cards)
    }

    /// Calls `body` with the bytes of a shard. Thread-safe: a revision
    /// snapshot opens its own libgit2 handle per call.
    public func withShardBytes<R>(_ shard: LedgerShard, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        switch shard.content {
        case .file(let path):
            let file = try MappedFile(path: path)
            return try file.withBytes(body)
        case .blob(let id):
            let (repo, _) = try repository.git()
            return try repo.withBlob(id, body)
        }
    }
}
