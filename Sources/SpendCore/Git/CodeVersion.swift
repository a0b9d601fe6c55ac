import CLibGit2

/// The commit and nearest tag of the code that runs a script: what `append`
/// stamps on events as `commit` and `release`.
public struct CodeVersion: Sendable, Hashable {
    public var commit: String?
    public var release: String?

    public init(commit: String?, release: String?) {
        self.commit = commit
        self.release = release
    }

    /// Reads HEAD and its nearest tag (`git describe --tags --abbrev=0`) of the
    /// repository enclosing `directory`; `SPEND_COMMIT` / `SPEND_RELEASE` override.
    public static func detect(directory: String, environment: [String: String]) -> CodeVersion {
        var version = CodeVersion(commit: nil, release: nil)
        if let repo = try? GitRepository(discovering: directory) {
            version.commit = try? repo.commitID("HEAD").hex
            version.release = repo.nearestTag()
        }
        if let c = environment["SPEND_COMMIT"], !c.isEmpty { version.commit = c }
        if let r = environment["SPEND_RELEASE"], !r.isEmpty { version.release = r }
        return version
    }
}

extension GitRepository {
    /// The nearest tag reachable from HEAD, or nil.
    public func nearestTag() -> String? {
        var head: OpaquePointer?
        guard git_revparse_single(&head, pointer, "HEAD") == 0, let head else { return nil }
        defer { git_object_free(head) }
        var options = git_describe_options()
        git_describe_options_init(&options, UInt32(GIT_DESCRIBE_OPTIONS_VERSION))
        options.describe_strategy = GIT_DESCRIBE_TAGS.rawValue
        var result: OpaquePointer?
        guard git_describe_commit(&result, head, &options) == 0, let result else { return nil }
        defer { git_describe_result_free(result) }
        var format = git_describe_format_options()
        git_describe_format_options_init(&format, UInt32(GIT_DESCRIBE_FORMAT_OPTIONS_VERSION))
        format.abbreviated_size = 0
        var buffer = git_buf()
        defer { git_buf_dispose(&buffer) }
        guard git_describe_format(&buffer, result, &format) == 0, let p = buffer.ptr else { return nil }
        return String(cString: p)
    }

    /// Creates a repository (`git init`) at `path`, or opens the one there.
    public static func initialize(at path: String) throws(GitError) -> GitRepository {
        _ = LibGit2.initialized
        var repo: OpaquePointer?
        let code = git_repository_init(&repo, path, 0)
        guard code == 0, let repo else { throw GitError.last("git init \(path)", code: code) }
        git_repository_free(repo)
        return try GitRepository(at: path)
    }
}
