import CLibGit2
import SpendBase

extension GitRepository {
    /// The commits of a range `A..B` (reachable from B, not from A), oldest
    /// first in topological order, like `git rev-list --reverse --topo-order A..B`.
    /// `A..` means `A..HEAD`.
    public func commits(inRange range: String) throws(GitError) -> [ObjectID] {
        guard let dots = range.range(of: "..") else {
            throw GitError(message: "expected a range A..B (e.g. origin/main..HEAD), got \"\(range)\"")
        }
        let from = String(range[..<dots.lowerBound])
        var to = String(range[dots.upperBound...])
        if to.hasPrefix(".") {
            throw GitError(message: "symmetric ranges (A...B) are not supported; use A..B")
        }
        if to.isEmpty { to = "HEAD" }
        guard !from.isEmpty else { throw GitError(message: "expected a range A..B, got \"\(range)\" (no start)") }
        let hide = try commitID(from)
        let push = try commitID(to)
        return try walk(push: [push], hide: [hide])
    }

    /// Commits reachable from `push` and not from `hide`, oldest first.
    public func walk(push: [ObjectID], hide: [ObjectID]) throws(GitError) -> [ObjectID] {
        var walker: OpaquePointer?
        var code = git_revwalk_new(&walker, pointer)
        guard code == 0, let walker else { throw GitError.last("walking history", code: code) }
        defer { git_revwalk_free(walker) }
        git_revwalk_sorting(walker, GIT_SORT_TOPOLOGICAL.rawValue | GIT_SORT_REVERSE.rawValue)
        for id in push {
            var oid = git_oid()
            git_oid_fromstr(&oid, id.hex)
            code = git_revwalk_push(walker, &oid)
            guard code == 0 else { throw failure("walking from \(id.short)", code: code) }
        }
        for id in hide {
            var oid = git_oid()
            git_oid_fromstr(&oid, id.hex)
            code = git_revwalk_hide(walker, &oid)
            guard code == 0 else { throw failure("hiding \(id.short)", code: code) }
        }
        var out: [ObjectID] = []
        var oid = git_oid()
        while true {
            code = git_revwalk_next(&oid, walker)
            if code == GIT_ITEROVER.rawValue { break }
            guard code == 0 else { throw failure("walking history", code: code) }
            out.append(ObjectID(&oid))
        }
        return out
    }
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
