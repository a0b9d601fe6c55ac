import CLibGit2
import Foundation

/// A commit of the history that changed `ratecards/`: who, when, and the
/// card blobs before (first parent) and after.
public struct CardCommit: Sendable {
    public var id: ObjectID
    /// Committer time, milliseconds since the epoch.
    public var time: Int64
    public var author: String
    public var authorEmail: String
    /// Author time, milliseconds since the epoch.
    public var authorTime: Int64
    public var summary: String
    /// Card files after the commit: cost-repository-relative path → blob.
    public var cards: [String: ObjectID]
    /// Card files of the first parent (empty for a root commit).
    public var parentCards: [String: ObjectID]
}

extension GitRepository {
    /// A commit's author name, email and time (milliseconds).
    public func commitAuthor(_ id: ObjectID) throws(GitError) -> (name: String, email: String, time: Int64) {
        var oid = git_oid()
        guard git_oid_fromstr(&oid, id.hex) == 0 else { throw GitError(message: "bad object id \(id.hex)") }
        var commit: OpaquePointer?
        let code = git_commit_lookup(&commit, pointer, &oid)
        guard code == 0, let commit else { throw failure("reading commit \(id.short)", code: code) }
        defer { git_commit_free(commit) }
        guard let signature = git_commit_author(commit) else { return ("", "", 0) }
        let name = signature.pointee.name.map { String(cString: $0) } ?? ""
        let email = signature.pointee.email.map { String(cString: $0) } ?? ""
        return (name, email, Int64(signature.pointee.when.time) * 1000)
    }
}

/// The history of a cost repository's rate cards, read through libgit2:
/// the commits that changed `ratecards/*.toml`, oldest first, and the parsed
/// cards and price books of every version (cached by blob id).
public final class CardHistory {
    public let repository: GitRepository
    /// The cost repository's path inside the git work tree ("" or "sub/dir/").
    public let prefix: String
    /// Commits that changed the cards, oldest first.
    public private(set) var commits: [CardCommit] = []
    private var cardCache: [String: Result<RateCard, SpendError>] = [:]
    private var bookCache: [String: Result<PriceBook, SpendError>] = [:]
    private var filesCache: [String: [String: ObjectID]] = [:]

    /// Reads the history reachable from `head`: the first-parent chain, or
    /// with `allParents` every reachable commit (merges are listed only when
    /// their cards differ from every parent's).
    public init(repository: GitRepository, prefix: String, head: ObjectID, allParents: Bool = false) throws(SpendError) {
        self.repository = repository
        self.prefix = prefix
        do {
            var chain: [ObjectID] = []
            if allParents {
                chain = try repository.walk(push: [head], hide: [])
            } else {
                var next: ObjectID? = head
                while let id = next {
                    chain.append(id)
                    next = try repository.commitInfo(id).parents.first
                }
                chain.reverse()
            }
            for id in chain {
                let info = try repository.commitInfo(id)
                let cards = try cardFiles(at: id)
                let parentCards = try info.parents.first.map { parent throws(GitError) in try cardFiles(at: parent) } ?? [:]
                guard cards != parentCards else { continue }
                if allParents && info.parents.count > 1 {
                    var differsFromAll = true
                    for parent in info.parents.dropFirst() where try cardFiles(at: parent) == cards { differsFromAll = false }
                    guard differsFromAll else { continue }
                }
                let author = try repository.commitAuthor(id)
                commits.append(
                    CardCommit(
                        id: id, time: info.time * 1000, author: author.name, authorEmail: author.email, authorTime: author.time,
                        summary: info.summary, cards: cards, parentCards: parentCards))
            }
        } catch {
            throw SpendError.git(error)
        }
    }

    /// Opens the history of a cost repository's git repository from `revision` (default HEAD).
    public convenience init(costRepository: CostRepository, revision: String? = nil, allParents: Bool = false) throws(SpendError) {
        let repo: GitRepository
        let prefix: String
        do {
            (repo, prefix) = try costRepository.git()
        } catch {
            throw SpendError.usage(
                "\(costRepository.root) is not inside a git repository: the rate-card history is read through git (run `git init` and commit ratecards/)")
        }
        let head: ObjectID
        do {
            head = try repo.commitID(revision ?? "HEAD")
        } catch {
            if revision == nil, (try? repo.headCommit()) == nil {
                throw SpendError.usage("the git repository has no commits yet: commit ratecards/ first")
            }
            throw SpendError.git(error)
        }
        try self.init(repository: repo, prefix: prefix, head: head, allParents: allParents)
    }

    /// The `.toml` files under the cost repository's `ratecards/` at a commit.
    public func cardFiles(at commit: ObjectID) throws(GitError) -> [String: ObjectID] {
        if let known = filesCache[commit.hex] { return known }
        var out: [String: ObjectID] = [:]
        for file in try repository.files(at: commit.hex, under: prefix + "ratecards") where file.path.hasSuffix(".toml") {
            out[String(file.path.dropFirst(prefix.count))] = file.blob
        }
        filesCache[commit.hex] = out
        return out
    }

    /// Parses every card version of the history (with `IncrementalCardParser`:
    /// each distinct `[[price]]` block once) and caches them, so later
    /// `card(path:blob:)` calls are lookups.
    public func preloadCards() {
        var seen = Set<String>()
        var files: [(path: String, blob: ObjectID)] = []
        for commit in commits {
            for (path, blob) in commit.cards.sorted(by: { $0.key < $1.key }) + commit.parentCards.sorted(by: { $0.key < $1.key })
            where cardCache[blob.hex] == nil && seen.insert(blob.hex).inserted {
                files.append((path, blob))
            }
        }
        let parser = IncrementalCardParser()
        for file in files {
            guard let text = try? repository.blobText(file.blob) else { continue }
            do {
                cardCache[file.blob.hex] = .success(try parser.parse(text, path: file.path, blobId: file.blob.hex))
            } catch {
                cardCache[file.blob.hex] = .failure(
                    SpendError.input(
                        error.diagnostics.map { d in
                            var d = d
                            d.message += " (in blob \(file.blob.short))"
                            return d
                        }))
            }
        }
    }

    /// The parsed card of a blob (cached by blob id).
    public func card(path: String, blob: ObjectID) throws(SpendError) -> RateCard {
        if let known = cardCache[blob.hex] { return try known.get() }
        let result: Result<RateCard, SpendError>
        do {
            let text = try repository.blobText(blob)
            do {
                result = .success(try RateCardParser.parse(text, path: path, blobId: blob.hex))
            } catch {
                result = .failure(SpendError.input(error.diagnostics.map { d in
                    var d = d
                    d.message += " (in blob \(blob.short))"
                    return d
                }))
            }
        } catch let e as GitError {
            result = .failure(SpendError.git(e))
        } catch {
            result = .failure(SpendError.usage("\(error)"))
        }
        cardCache[blob.hex] = result
        return try result.get()
    }

    /// The price book of a set of card files (cached by their blob ids).
    public func book(_ cards: [String: ObjectID]) throws(SpendError) -> PriceBook {
        let key = cards.sorted { $0.key < $1.key }.map { $0.key + "@" + $0.value.hex }.joined(separator: "\n")
        if let known = bookCache[key] { return try known.get() }
        var parsed: [RateCard] = []
        var result: Result<PriceBook, SpendError>
        do {
            for (path, blob) in cards.sorted(by: { $0.key < $1.key }) { parsed.append(try card(path: path, blob: blob)) }
            var providers: [String: String] = [:]
            var problems: [Diagnostic] = []
            for c in parsed {
                if let other = providers[c.provider] {
                    problems.append(Diagnostic(path: c.path, rule: .ratecard, message: "provider \"\(c.provider)\" is also defined in \(other)"))
                }
                providers[c.provider] = c.path
            }
            result = problems.isEmpty ? .success(PriceBook(cards: parsed)) : .failure(SpendError.input(problems))
        } catch {
            result = .failure(error)
        }
        bookCache[key] = result
        return try result.get()
    }

    /// The commit whose cards were in force at `ts` on this history: the last
    /// card commit at or before `ts` (by committer time), or nil before the first.
    public func commitIndex(at ts: Int64) -> Int? {
        var best: Int?
        for (k, c) in commits.enumerated() where c.time <= ts {
            if best == nil || commits[best!].time <= c.time { best = k }
        }
        return best
    }
}
