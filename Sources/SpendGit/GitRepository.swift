import CLibGit2
import SpendBase

extension GitError {
    /// libgit2's last error for `what`, or its code when libgit2 gives no message.
    package static func last(_ what: String, code: Int32) -> GitError {
        if let e = git_error_last(), let m = e.pointee.message {
            return GitError(message: "\(what): \(String(cString: m))")
        }
        return GitError(message: "\(what): libgit2 error \(code)")
    }
}

/// Initializes libgit2 once per process, without re-hashing every object
/// read: spend reads whole shard blobs (hundreds of MB; SHA-1 costs ~0.25 s
/// per 100 MB) and zlib's own checksum still catches a corrupt object, as
/// `git cat-file` does not re-hash either.
enum LibGit2 {
    static let initialized: Bool = {
        git_libgit2_init()
        _ = spend_git_set_strict_hash_verification(0)
        return true
    }()
}

/// A git object id as 40 hex digits.
public struct ObjectID: Sendable, Hashable, CustomStringConvertible {
    public var hex: String
    public var description: String { hex }
    public var short: String { String(hex.prefix(7)) }

    init(_ oid: UnsafePointer<git_oid>) {
        var buffer = [CChar](repeating: 0, count: 41)
        git_oid_tostr(&buffer, 41, oid)
        hex = String(decoding: buffer.prefix(40).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public init(hex: String) { self.hex = hex }

    /// The git blob id of `bytes` (what `git hash-object` prints).
    /// Computed here (SHA-1 of `blob <size>\0` and the bytes) without starting libgit2.
    public static func blob(of bytes: UnsafeRawBufferPointer) -> ObjectID {
        var sha = SHA1()
        let header = Array("blob \(bytes.count)\0".utf8)
        header.withUnsafeBytes { sha.update($0) }
        if bytes.count > 0 { sha.update(bytes) }
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        for byte in sha.finish() {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 15)])
        }
        return ObjectID(hex: String(decoding: hex, as: UTF8.self))
    }
}

/// A file in a git tree: its path from the tree root and its blob id.
public struct TreeFile: Sendable, Hashable {
    public var path: String
    public var blob: ObjectID
    /// A symbolic link (mode 120000): the blob holds the link's target.
    public var isSymlink = false
}

/// A repository opened through libgit2. Not shared across threads: open one
/// per thread when reading in parallel.
public final class GitRepository {
    let pointer: OpaquePointer

    /// The working directory (with a trailing slash), nil for a bare repository.
    public let workdir: String?
    /// The `.git` directory (with a trailing slash).
    public let gitdir: String
    /// The index file and extra object directories git named (in a hook).
    public let environment: GitEnvironment

    /// Opens the repository containing `path` (searching upwards, like git).
    public init(discovering path: String, environment: GitEnvironment = .none) throws(GitError) {
        self.environment = environment
        _ = LibGit2.initialized
        var repo: OpaquePointer?
        let code = git_repository_open_ext(&repo, path, 0, nil)
        guard code == 0, let repo else { throw GitError.last("not a git repository: \(path)", code: code) }
        pointer = repo
        workdir = git_repository_workdir(repo).map { String(cString: $0) }
        gitdir = String(cString: git_repository_path(repo))
        try LooseObjectBackend.install(in: repo)
    }

    /// Opens exactly the repository at `path`.
    public init(at path: String, environment: GitEnvironment = .none) throws(GitError) {
        self.environment = environment
        _ = LibGit2.initialized
        var repo: OpaquePointer?
        let code = git_repository_open(&repo, path)
        guard code == 0, let repo else { throw GitError.last("not a git repository: \(path)", code: code) }
        pointer = repo
        workdir = git_repository_workdir(repo).map { String(cString: $0) }
        gitdir = String(cString: git_repository_path(repo))
        try LooseObjectBackend.install(in: repo)
    }

    deinit { git_repository_free(pointer) }

    /// `GitError.last`, and when an object is missing from a shallow clone,
    /// a note naming that cause and the fix.
    func failure(_ what: String, code: Int32) -> GitError {
        noteShallow(GitError.last(what, code: code), code: code)
    }

    private func noteShallow(_ error: GitError, code: Int32) -> GitError {
        guard code == GIT_ENOTFOUND.rawValue && git_repository_is_shallow(pointer) == 1 else { return error }
        return GitError(message: error.message + "; " + Self.shallowNote)
    }

    /// True for a shallow clone (`git clone --depth N`, CI checkouts): history beyond its depth is missing.
    public var isShallow: Bool { git_repository_is_shallow(pointer) == 1 }

    /// What a missing commit in a shallow clone means, and the fix.
    package static let shallowNote = """
        this repository is a shallow clone: commits older than its fetch depth are missing; \
        fetch them with `git fetch --unshallow` (in CI, check out the full history: `fetch-depth: 0` for actions/checkout)
        """

    /// Why `revision` did not resolve (`code` from `git_revparse_single`),
    /// naming it: unknown (with the shallow-clone note when that is the
    /// likely cause), or unreadable (a corrupt object…).
    func revisionFailure(_ revision: String, code: Int32) -> GitError {
        let unknown = code == GIT_ENOTFOUND.rawValue || code == GIT_EINVALIDSPEC.rawValue || code == GIT_EAMBIGUOUS.rawValue
        guard unknown else { return failure("cannot read revision \"\(revision)\"", code: code) }
        if git_error_last() == nil {
            // libgit2 gives no reason for some revisions (`@{-1}` without an earlier checkout).
            let reason =
                revision.hasPrefix("@{-")
                ? "no branch was checked out that many switches ago (HEAD's reflog records no such checkout)"
                : "libgit2 cannot resolve it"
            return noteShallow(GitError(message: "unknown revision \"\(revision)\": \(reason)"), code: code)
        }
        return failure("unknown revision \"\(revision)\"", code: code)
    }

    /// The commit a revision names (`HEAD`, `v1.2.0`, `main~3`, an id…).
    public func commitID(_ revision: String) throws(GitError) -> ObjectID {
        var object: OpaquePointer?
        git_error_clear()
        var code = git_revparse_single(&object, pointer, revision)
        guard code == 0, let object else { throw revisionFailure(revision, code: code) }
        defer { git_object_free(object) }
        var peeled: OpaquePointer?
        code = git_object_peel(&peeled, object, GIT_OBJECT_COMMIT)
        guard code == 0, let peeled else { throw GitError.last("\"\(revision)\" is not a commit", code: code) }
        defer { git_object_free(peeled) }
        return ObjectID(git_object_id(peeled))
    }

    /// Every file under `prefix` (a directory path, or "" for the root) in the
    /// tree of `revision`, recursively, sorted by path. Paths are relative to the
    /// tree root.
    public func files(at revision: String, under prefix: String) throws(GitError) -> [TreeFile] {
        var object: OpaquePointer?
        git_error_clear()
        var code = git_revparse_single(&object, pointer, revision + "^{tree}")
        guard code == 0, let tree = object else { throw revisionFailure(revision, code: code) }
        defer { git_object_free(tree) }
        var subtree: OpaquePointer? = tree
        var ownedSubtree: OpaquePointer?
        let trimmed = prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix
        if !trimmed.isEmpty {
            var entry: OpaquePointer?
            code = git_tree_entry_bypath(&entry, tree, trimmed)
            if code == GIT_ENOTFOUND.rawValue { return [] }
            guard code == 0, let entry else { throw GitError.last("reading \(trimmed) at \(revision)", code: code) }
            defer { git_tree_entry_free(entry) }
            guard git_tree_entry_type(entry) == GIT_OBJECT_TREE else { return [] }
            code = git_tree_lookup(&ownedSubtree, pointer, git_tree_entry_id(entry))
            guard code == 0 else { throw GitError.last("reading \(trimmed) at \(revision)", code: code) }
            subtree = ownedSubtree
        }
        defer { if let ownedSubtree { git_tree_free(ownedSubtree) } }
        final class Collector {
            var files: [TreeFile] = []
            var base: String
            init(base: String) { self.base = base }
        }
        let collector = Collector(base: trimmed.isEmpty ? "" : trimmed + "/")
        let unmanaged = Unmanaged.passUnretained(collector)
        code = git_tree_walk(subtree, GIT_TREEWALK_PRE, { root, entry, payload in
            guard let entry, let payload, git_tree_entry_type(entry) == GIT_OBJECT_BLOB else { return 0 }
            let c = Unmanaged<Collector>.fromOpaque(payload).takeUnretainedValue()
            let name = String(cString: git_tree_entry_name(entry))
            let dir = root.map { String(cString: $0) } ?? ""
            c.files.append(
                TreeFile(
                    path: c.base + dir + name, blob: ObjectID(git_tree_entry_id(entry)),
                    isSymlink: git_tree_entry_filemode(entry) == GIT_FILEMODE_LINK))
            return 0
        }, unmanaged.toOpaque())
        guard code == 0 else { throw GitError.last("walking \(revision)", code: code) }
        return collector.files.sorted { $0.path < $1.path }
    }

    /// Calls `body` with the raw content of a blob (valid only during the call).
    public func withBlob<R>(_ id: ObjectID, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        var oid = git_oid()
        guard git_oid_fromstr(&oid, id.hex) == 0 else { throw GitError(message: "bad object id \(id.hex)") }
        var blob: OpaquePointer?
        let code = git_blob_lookup(&blob, pointer, &oid)
        guard code == 0, let blob else { throw GitError.last("reading blob \(id.short)", code: code) }
        defer { git_blob_free(blob) }
        let size = Int(git_blob_rawsize(blob))
        let raw = UnsafeRawBufferPointer(start: git_blob_rawcontent(blob), count: size)
        return try body(raw)
    }

    /// The content of a blob as text.
    public func blobText(_ id: ObjectID) throws -> String {
        try withBlob(id) { String(decoding: $0, as: UTF8.self) }
    }
}
