import CLibGit2
import SpendBase

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
    ///
    /// HEAD is read from the git directory's files, and the nearest tag comes
    /// from a small cache (`<git dir>/spend/describe`, keyed by HEAD and a
    /// fingerprint of all tags), so the usual call never starts libgit2.
    public static func detect(directory: String, environment: [String: String]) -> CodeVersion {
        let commitOverride = environment["SPEND_COMMIT"].flatMap { $0.isEmpty ? nil : $0 }
        let releaseOverride = environment["SPEND_RELEASE"].flatMap { $0.isEmpty ? nil : $0 }
        var version = CodeVersion(commit: commitOverride, release: releaseOverride)
        if commitOverride != nil && releaseOverride != nil { return version }
        var detected = CodeVersion(commit: nil, release: nil)
        let git = GitDirectory.discover(from: directory)
        if let git, let head = git.headCommit() {
            detected.commit = head
            detected.release = cachedNearestTag(git: git, head: head, directory: directory)
        } else if git != nil && !git!.headIsUnborn, let repo = try? GitRepository(discovering: directory) {
            // A layout the file reader does not know (e.g. reftable): ask libgit2.
            detected.commit = try? repo.commitID("HEAD").hex
            detected.release = repo.nearestTag()
        }
        version.commit = version.commit ?? detected.commit
        version.release = version.release ?? detected.release
        return version
    }

    private static func cachedNearestTag(git: GitDirectory, head: String, directory: String) -> String? {
        let key = "\(head) \(String(git.tagsFingerprint(), radix: 16))"
        let cache = git.commonDirectory + "spend/describe"
        if let text = GitDirectory.read(cache) {
            for line in text.split(separator: "\n") where line.hasPrefix(key + " ") {
                let tag = String(line.dropFirst(key.count + 1))
                return tag == "-" ? nil : tag
            }
        }
        guard let repo = try? GitRepository(discovering: directory) else { return nil }
        let tag = repo.nearestTag()
        // Append one line (a single O_APPEND write); start over past 64 KB.
        let line = Array("\(key) \(tag ?? "-")\n".utf8)
        try? FileSystem.makeDirectories(git.commonDirectory + "spend")
        var info = stat()
        let fresh = stat(cache, &info) == 0 && info.st_size > 65536
        let fd = open(cache, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (fresh ? O_TRUNC : 0), 0o644)
        if fd >= 0 {
            _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            close(fd)
        }
        return tag
    }
}

extension GitRepository {
    /// The nearest tag reachable from HEAD, or nil.
    public func nearestTag() -> String? {
        guard let head = try? headCommit() else { return nil }
        return nearestTag(of: head)
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
