import CLibGit2

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A file as staged in the index (stage 0): what the next commit will hold.
public struct StagedFile: Sendable, Hashable {
    /// Path from the top of the working tree.
    public var path: String
    public var blob: ObjectID
    /// Size and modification time recorded when the file was staged.
    public var size: UInt32
    public var mtimeSeconds: Int32
    public var mtimeNanoseconds: UInt32
    /// A symbolic link (mode 120000): the blob holds the link's target.
    public var isSymlink = false
}

extension GitRepository {
    /// The files staged in the index whose path starts with `prefix` (a
    /// directory with a trailing slash, or a file path), sorted by path.
    /// Conflicted (unmerged) entries are skipped; `conflicts` lists their paths.
    public func stagedFiles(under prefixes: [String]) throws(GitError) -> (files: [StagedFile], conflicts: [String]) {
        var index: OpaquePointer?
        // `git commit -a` / `git commit PATH` run hooks against a temporary index named by GIT_INDEX_FILE.
        let code = environmentIndexFile != nil ? git_index_open(&index, indexPath) : git_repository_index(&index, pointer)
        guard code == 0, let index else { throw GitError.last("reading the index", code: code) }
        defer { git_index_free(index) }
        var files: [StagedFile] = []
        var conflicts: [String] = []
        let count = git_index_entrycount(index)
        for i in 0..<count {
            guard let entry = git_index_get_byindex(index, i) else { continue }
            let path = String(cString: entry.pointee.path)
            guard prefixes.contains(where: { path.hasPrefix($0) }) else { continue }
            let stage = (Int(entry.pointee.flags) & 0x3000) >> 12
            if stage != 0 {
                if conflicts.last != path { conflicts.append(path) }
                continue
            }
            var oid = entry.pointee.id
            files.append(
                StagedFile(
                    path: path, blob: ObjectID(&oid), size: entry.pointee.file_size,
                    mtimeSeconds: entry.pointee.mtime.seconds, mtimeNanoseconds: entry.pointee.mtime.nanoseconds,
                    isSymlink: entry.pointee.mode & 0o170000 == 0o120000))
        }
        return (files.sorted { $0.path < $1.path }, conflicts)
    }

    /// `GIT_INDEX_FILE` (absolute), when git named one (``environment``).
    var environmentIndexFile: String? { environment.indexFile }

    /// The index file the next commit is made from.
    public var indexPath: String { environmentIndexFile ?? gitdir + "index" }

    /// Makes objects that git names only through the environment readable:
    /// `GIT_OBJECT_DIRECTORY` and `GIT_ALTERNATE_OBJECT_DIRECTORIES`, as set
    /// for a pre-receive hook (pushed objects are quarantined there), from
    /// ``environment``.
    public func adoptEnvironmentObjectDirectories() {
        let directories = environment.objectDirectories
        guard !directories.isEmpty else { return }
        var odb: OpaquePointer?
        guard git_repository_odb(&odb, pointer) == 0, let odb else { return }
        defer { git_odb_free(odb) }
        for d in directories { _ = git_odb_add_disk_alternate(odb, d) }
    }

    /// The modification time of the index file (nanoseconds since the epoch), nil when there is none.
    public var indexFileMTime: Int64? {
        var info = stat()
        guard stat(indexPath, &info) == 0 else { return nil }
        return Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
    }

    /// True when the working-tree file at `absolutePath` certainly holds the
    /// staged content: same size and modification time as recorded in the
    /// index, and modified strictly before the index was written (git's
    /// "racily clean" rule).
    public func workingFileMatches(_ staged: StagedFile, absolutePath: String, indexMTime: Int64?) -> Bool {
        guard let indexMTime else { return false }
        var info = stat()
        guard lstat(absolutePath, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return false }
        guard UInt64(info.st_size) & 0xFFFF_FFFF == UInt64(staged.size) else { return false }
        guard Int32(truncatingIfNeeded: info.st_mtim.tv_sec) == staged.mtimeSeconds,
            UInt32(truncatingIfNeeded: info.st_mtim.tv_nsec) == staged.mtimeNanoseconds
        else { return false }
        let fileMTime = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        return fileMTime < indexMTime
    }

    /// The commit HEAD points to, or nil on an unborn branch (no commit yet).
    public func headCommit() throws(GitError) -> ObjectID? {
        if git_repository_head_unborn(pointer) == 1 { return nil }
        return try commitID("HEAD")
    }

    /// A commit's parents (first parent first), committer time (seconds) and summary line.
    public func commitInfo(_ id: ObjectID) throws(GitError) -> (parents: [ObjectID], time: Int64, summary: String) {
        var oid = git_oid()
        guard git_oid_fromstr(&oid, id.hex) == 0 else { throw GitError(message: "bad object id \(id.hex)") }
        var commit: OpaquePointer?
        let code = git_commit_lookup(&commit, pointer, &oid)
        guard code == 0, let commit else { throw failure("reading commit \(id.short)", code: code) }
        defer { git_commit_free(commit) }
        var parents: [ObjectID] = []
        for i in 0..<git_commit_parentcount(commit) {
            if let p = git_commit_parent_id(commit, i) { parents.append(ObjectID(p)) }
        }
        let summary = git_commit_summary(commit).map { String(cString: $0) } ?? ""
        return (parents, Int64(git_commit_time(commit)), summary)
    }

    /// The directory shared by all worktrees of the repository (with a trailing slash).
    public var commonDirectory: String {
        String(cString: git_repository_commondir(pointer))
    }

    /// A configuration value read as a path (`~/` expanded), or nil when unset.
    public func configPath(_ name: String) throws(GitError) -> String? {
        var config: OpaquePointer?
        var code = git_repository_config_snapshot(&config, pointer)
        guard code == 0, let config else { throw GitError.last("reading the git configuration", code: code) }
        defer { git_config_free(config) }
        var buffer = git_buf()
        code = git_config_get_path(&buffer, config, name)
        defer { git_buf_dispose(&buffer) }
        if code == GIT_ENOTFOUND.rawValue { return nil }
        guard code == 0, let p = buffer.ptr else { throw GitError.last("reading \(name)", code: code) }
        return String(cString: p)
    }

    /// The directory git runs hooks from: `core.hooksPath` (relative to the
    /// top of the working tree) when set, else `hooks/` in the common git directory.
    public func hooksDirectory() throws(GitError) -> String {
        if let configured = try configPath("core.hooksPath"), !configured.isEmpty {
            if configured.hasPrefix("/") { return configured }
            let base = workdir ?? gitdir
            return (base.hasSuffix("/") ? base : base + "/") + configured
        }
        return commonDirectory + "hooks"
    }
}
