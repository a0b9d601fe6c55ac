import CLibGit2
import SpendBase

/// A commit as `spend diff --releases` shows it.
public struct CommitSummary: Sendable, Hashable {
    public var id: ObjectID
    public var author: String
    /// Author time, seconds since the epoch.
    public var time: Int64
    public var subject: String
    /// Paths changed against the first parent (every file for a root commit), from the top of the work tree.
    public var files: [String]
}

extension GitRepository {
    // MARK: Reading tags and history

    /// Every tag name (`refs/tags/*`), unsorted.
    public func tagNames() throws(GitError) -> [String] {
        var array = git_strarray()
        let code = git_tag_list(&array, pointer)
        guard code == 0 else { throw GitError.last("listing tags", code: code) }
        defer { git_strarray_dispose(&array) }
        var names: [String] = []
        for i in 0..<array.count {
            if let p = array.strings[i] { names.append(String(cString: p)) }
        }
        return names
    }

    /// The tag a commit is closest to: `git describe --tags --abbrev=0 COMMIT`
    /// (the commit's own tag, else the tag of its nearest tagged ancestor), or nil.
    /// With `pattern`, only tags matching the glob count.
    public func nearestTag(of commit: ObjectID, pattern: String? = nil) -> String? {
        var oid = git_oid()
        guard git_oid_fromstr(&oid, commit.hex) == 0 else { return nil }
        var object: OpaquePointer?
        guard git_object_lookup(&object, pointer, &oid, GIT_OBJECT_COMMIT) == 0, let object else { return nil }
        defer { git_object_free(object) }
        var options = git_describe_options()
        git_describe_options_init(&options, UInt32(GIT_DESCRIBE_OPTIONS_VERSION))
        options.describe_strategy = GIT_DESCRIBE_TAGS.rawValue
        var result: OpaquePointer?
        let code: Int32 = pattern.map { p in
            p.withCString { cp in
                options.pattern = cp
                return git_describe_commit(&result, object, &options)
            }
        } ?? git_describe_commit(&result, object, &options)
        guard code == 0, let result else { return nil }
        defer { git_describe_result_free(result) }
        var format = git_describe_format_options()
        git_describe_format_options_init(&format, UInt32(GIT_DESCRIBE_FORMAT_OPTIONS_VERSION))
        format.abbreviated_size = 0
        var buffer = git_buf()
        defer { git_buf_dispose(&buffer) }
        guard git_describe_format(&buffer, result, &format) == 0, let p = buffer.ptr else { return nil }
        return String(cString: p)
    }

    /// Author, time, subject and changed files of a commit.
    public func commitSummary(_ id: ObjectID) throws(GitError) -> CommitSummary {
        var oid = git_oid()
        guard git_oid_fromstr(&oid, id.hex) == 0 else { throw GitError(message: "bad object id \(id.hex)") }
        var commit: OpaquePointer?
        var code = git_commit_lookup(&commit, pointer, &oid)
        guard code == 0, let commit else { throw failure("reading commit \(id.short)", code: code) }
        defer { git_commit_free(commit) }
        let author = git_commit_author(commit)
        let name = author.flatMap { $0.pointee.name.map { String(cString: $0) } } ?? ""
        let time = author.map { Int64($0.pointee.when.time) } ?? Int64(git_commit_time(commit))
        let subject = git_commit_summary(commit).map { String(cString: $0) } ?? ""
        var tree: OpaquePointer?
        code = git_commit_tree(&tree, commit)
        guard code == 0, let tree else { throw failure("reading the tree of \(id.short)", code: code) }
        defer { git_tree_free(tree) }
        var parentTree: OpaquePointer?
        if git_commit_parentcount(commit) > 0 {
            var parent: OpaquePointer?
            if git_commit_parent(&parent, commit, 0) == 0, let parent {
                _ = git_commit_tree(&parentTree, parent)
                git_commit_free(parent)
            }
        }
        defer { if let parentTree { git_tree_free(parentTree) } }
        var diff: OpaquePointer?
        code = git_diff_tree_to_tree(&diff, pointer, parentTree, tree, nil)
        guard code == 0, let diff else { throw GitError.last("diffing \(id.short)", code: code) }
        defer { git_diff_free(diff) }
        var files: [String] = []
        for i in 0..<git_diff_num_deltas(diff) {
            guard let delta = git_diff_get_delta(diff, i) else { continue }
            if let p = delta.pointee.new_file.path { files.append(String(cString: p)) }
            if let p = delta.pointee.old_file.path {
                let old = String(cString: p)
                if files.last != old { files.append(old) }
            }
        }
        return CommitSummary(id: id, author: name, time: time, subject: subject, files: Array(Set(files)).sorted())
    }

    // MARK: Writing (for `spend demo`)

    /// Stages every file of the work tree and commits it on HEAD with the given
    /// author/committer and time (seconds since the epoch, UTC).
    @discardableResult
    public func commitAll(message: String, name: String, email: String, time: Int64) throws(GitError) -> ObjectID {
        var index: OpaquePointer?
        var code = git_repository_index(&index, pointer)
        guard code == 0, let index else { throw GitError.last("opening the index", code: code) }
        defer { git_index_free(index) }
        var star: UnsafeMutablePointer<CChar>? = strdup("*")
        defer { free(star) }
        code = withUnsafeMutablePointer(to: &star) { p in
            var spec = git_strarray(strings: p, count: 1)
            return git_index_add_all(index, &spec, 0, nil, nil)
        }
        guard code == 0 else { throw GitError.last("staging files", code: code) }
        code = git_index_write(index)
        guard code == 0 else { throw GitError.last("writing the index", code: code) }
        var treeID = git_oid()
        code = git_index_write_tree(&treeID, index)
        guard code == 0 else { throw GitError.last("writing the tree", code: code) }
        var tree: OpaquePointer?
        code = git_tree_lookup(&tree, pointer, &treeID)
        guard code == 0, let tree else { throw GitError.last("reading the tree", code: code) }
        defer { git_tree_free(tree) }
        var signature: UnsafeMutablePointer<git_signature>?
        code = git_signature_new(&signature, name, email, git_time_t(time), 0)
        guard code == 0, let signature else { throw GitError.last("making a signature", code: code) }
        defer { git_signature_free(signature) }
        var parents: [OpaquePointer?] = []
        if let head = try headCommit() {
            var oid = git_oid()
            git_oid_fromstr(&oid, head.hex)
            var parent: OpaquePointer?
            code = git_commit_lookup(&parent, pointer, &oid)
            guard code == 0 else { throw GitError.last("reading HEAD", code: code) }
            parents.append(parent)
        }
        defer { for p in parents { git_commit_free(p) } }
        var out = git_oid()
        code = parents.withUnsafeMutableBufferPointer { buffer in
            git_commit_create(&out, pointer, "HEAD", signature, signature, nil, message, tree, buffer.count, buffer.baseAddress)
        }
        guard code == 0 else { throw GitError.last("committing", code: code) }
        return ObjectID(&out)
    }

    /// Creates a lightweight tag on a commit.
    public func createTag(_ name: String, at commit: ObjectID) throws(GitError) {
        var oid = git_oid()
        guard git_oid_fromstr(&oid, commit.hex) == 0 else { throw GitError(message: "bad object id \(commit.hex)") }
        var object: OpaquePointer?
        var code = git_object_lookup(&object, pointer, &oid, GIT_OBJECT_COMMIT)
        guard code == 0, let object else { throw GitError.last("reading \(commit.short)", code: code) }
        defer { git_object_free(object) }
        var tagID = git_oid()
        code = git_tag_create_lightweight(&tagID, pointer, name, object, 0)
        guard code == 0 else { throw GitError.last("creating tag \(name)", code: code) }
    }
}
