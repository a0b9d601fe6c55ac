import Foundation

/// One thing `spend init` did or left alone, as the line it prints.
public struct InitStep: Sendable, Hashable {
    public enum Kind: String, Sendable {
        /// A new git repository (`git init`).
        case initializedGit
        /// The cost repository goes into a subdirectory of an existing working tree.
        case usingGit
        /// A file or directory that was not there.
        case created
        /// A line added to an existing file (`.gitattributes`).
        case appended
        /// The pre-commit hook written.
        case installed
        /// Already there (same or different content): left alone.
        case kept
        /// Not done because it cannot be done safely.
        case skipped
        /// Not done because the caller did not ask for it (`installHook` false).
        case notRequested
    }

    public var kind: Kind
    /// The path, relative to the cost repository where it is inside it.
    public var path: String
    /// What is printed: `created ratecards/openai.toml`, `kept spend.toml (exists)`.
    public var line: String

    /// True when the step changed something on disk.
    public var changed: Bool { kind != .kept && kind != .skipped && kind != .notRequested && kind != .usingGit }
}

/// What `spend init` did.
public struct InitReport: Sendable {
    /// Absolute path of the cost repository.
    public var root: String
    /// The top of the git working tree (with a trailing slash).
    public var gitWorkdir: String
    /// The cost repository's path inside the working tree ("" or "sub/dir/").
    public var prefix: String
    public var steps: [InitStep]
    /// Things the user should look at (printed as warnings; not failures).
    public var warnings: [String]

    /// True when anything was created, appended or installed.
    public var changed: Bool { steps.contains(where: \.changed) }
}

/// Turns a directory into a cost repository: `git init` when it is in no git
/// repository, then `ledger/`, `ratecards/` (the bundled cards),
/// `litellm-known.toml` (their reviewed differences from LiteLLM's price map),
/// `spend.toml`, `.gitattributes` (`merge=union` for ledger shards) and the
/// pre-commit hook.
///
/// Idempotent and conservative: a file that exists is never rewritten (a
/// different rate card or policy is the user's and is reported as kept), an
/// existing `.gitattributes` only gets the merge line appended, a foreign
/// pre-commit hook is chained (`PreCommitHook.install`). Conflicts that make
/// the layout impossible (`ledger` is a file, the target is a file, a bare
/// repository) are found before anything is written.
public struct CostRepositoryInitializer {
    /// The directory to make a cost repository (created when missing).
    public var directory: String
    /// Where a relative `directory` is taken from (nil: the process's working
    /// directory). Messages quote `directory` as given.
    public var base: String?
    /// Install the pre-commit hook (off: the hook step is `notRequested`).
    public var installHook: Bool
    /// The rate cards to seed `ratecards/` with.
    public var cards: [(name: String, text: String)]
    /// The known-differences file written beside them (nil: none), for
    /// `spend cards check` to pass as its known differences.
    public var knownDifferences: (name: String, text: String)?

    public init(
        directory: String, relativeTo base: String? = nil, installHook: Bool = true,
        cards: [(name: String, text: String)] = BundledRateCards.cards,
        knownDifferences: (name: String, text: String)? = BundledRateCards.knownDifferences
    ) {
        self.directory = directory
        self.base = base
        self.installHook = installHook
        self.cards = cards
        self.knownDifferences = knownDifferences
    }

    public func run() throws(SpendError) -> InitReport {
        let target = URL(fileURLWithPath: WorkingDirectory.absolute(directory, from: base)).standardizedFileURL.path

        // 1. The target: a directory, or a path whose nearest existing ancestor is one.
        var existing = target
        var missing = false
        while !Self.exists(existing) {
            missing = true
            let parent = (existing as NSString).deletingLastPathComponent
            if parent == existing || parent.isEmpty { break }
            existing = parent
        }
        if !Self.isDirectory(existing) {
            if existing == target {
                throw SpendError.usage("cannot initialize \(directory): it exists and is not a directory")
            }
            throw SpendError.usage("cannot create \(directory): \(existing) is not a directory")
        }

        // 2. The git repository around it, if any (checked on the part that exists).
        let git: GitRepository?
        if let found = try? GitRepository(discovering: existing) {
            let resolvedExisting = Self.resolved(existing) + "/"
            guard let workdir = found.workdir else {
                if resolvedExisting == Self.resolved(found.gitdir) + "/" {
                    throw SpendError.usage(
                        "cannot initialize \(directory): it is a bare git repository (no working tree); run spend init in a clone of it")
                }
                throw SpendError.usage(
                    "cannot initialize \(directory): it is inside the bare git repository \(found.gitdir) (no working tree); run spend init in a clone of it")
            }
            if resolvedExisting.hasPrefix(Self.resolved(found.gitdir) + "/") {
                throw SpendError.usage("cannot initialize \(directory): it is inside the git directory \(found.gitdir)")
            }
            if !resolvedExisting.hasPrefix(Self.resolved(workdir) + "/") {
                throw SpendError.usage("cannot initialize \(directory): it is outside the working tree \(workdir) of its git repository")
            }
            if let enclosing = Self.enclosingCostRepository(of: Self.resolved(existing), includingSelf: missing, top: Self.resolved(workdir)) {
                throw SpendError.usage(
                    "cannot initialize \(directory): it is inside the cost repository \(enclosing); run spend init there to complete it")
            }
            git = found
        } else {
            git = nil
        }

        // 3. Nothing in the way of the layout (before anything is written).
        if !missing {
            for name in ["ledger", "ratecards"] where Self.exists(target + "/" + name) && !Self.isDirectory(target + "/" + name) {
                throw SpendError.usage("cannot initialize \(directory): \(name) exists and is not a directory; nothing was changed")
            }
            var files = ["spend.toml", ".gitattributes"]
            files += cards.map { "ratecards/" + $0.name }
            if let knownDifferences { files.append(knownDifferences.name) }
            for name in files where Self.isDirectory(target + "/" + name) {
                throw SpendError.usage("cannot initialize \(directory): \(name) is a directory; nothing was changed")
            }
            // No symlink or special file in ledger/ or ratecards/: init would write through a link.
            try WorkingTreeFiles(root: target).check()
        }

        var steps: [InitStep] = []
        var warnings: [String] = []
        if missing {
            do { try FileSystem.makeDirectories(target) } catch { throw SpendError.usage("cannot create \(directory): \(error)") }
        }

        // 4. git init when there is no repository.
        let repo: GitRepository
        if let git {
            repo = git
        } else {
            do {
                repo = try GitRepository.initialize(at: target)
            } catch {
                throw SpendError.git(error)
            }
            steps.append(InitStep(kind: .initializedGit, path: repo.gitdir, line: "initialized empty git repository in \(repo.gitdir)"))
        }
        guard let workdir = repo.workdir else {
            throw SpendError.usage("\(target) is a bare git repository: run spend init in a clone")
        }
        let root = Self.resolved(target)
        let top = Self.resolved(workdir) + "/"
        let prefix = (root + "/").hasPrefix(top) ? String((root + "/").dropFirst(top.count)) : ""
        if git != nil && !prefix.isEmpty {
            steps.append(
                InitStep(kind: .usingGit, path: top, line: "using the git repository at \(top) (cost repository in \(prefix))"))
        }

        // 5. The files.
        steps.append(try ledger(at: target))
        do {
            try FileSystem.makeDirectories(target + "/ratecards")
        } catch {
            throw SpendError.usage("cannot create \(target)/ratecards: \(error)")
        }
        for card in cards {
            steps.append(try bundled("ratecards/" + card.name, text: card.text, in: target, what: "card", note: nil))
        }
        if let knownDifferences {
            steps.append(
                try bundled(
                    knownDifferences.name, text: knownDifferences.text, in: target, what: "file",
                    note: "the bundled cards' reviewed differences from LiteLLM's price map"))
        }
        steps.append(try policy(at: target, warnings: &warnings))
        steps.append(try gitattributes(at: target))

        // 6. The hook.
        if installHook {
            steps.append(try hook(repo, prefix: prefix, root: root, warnings: &warnings))
        } else {
            steps.append(InitStep(kind: .notRequested, path: "", line: "skipped the pre-commit hook (not requested; `spend hooks install` adds it)"))
        }
        return InitReport(root: root, gitWorkdir: top, prefix: prefix, steps: steps, warnings: warnings)
    }

    // MARK: Steps

    /// A file spend bundles: created when missing, else kept (whatever it holds).
    private func bundled(_ path: String, text: String, in target: String, what: String, note: String?) throws(SpendError) -> InitStep {
        guard let current = FileManager.default.contents(atPath: target + "/" + path) else {
            return try create(path, in: target, text: text, note: note)
        }
        let same = Array(current) == Array(text.utf8)
        return InitStep(
            kind: .kept, path: path,
            line: "kept \(path) (\(same ? "same as the bundled \(what)" : "differs from the bundled \(what); not overwritten"))")
    }

    private func ledger(at target: String) throws(SpendError) -> InitStep {
        let dir = target + "/ledger"
        if Self.exists(dir) {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
            if !entries.isEmpty { return InitStep(kind: .kept, path: "ledger/", line: "kept ledger/ (exists)") }
            let step = try create("ledger/.gitkeep", in: target, text: "", note: "so git tracks the empty ledger/")
            return step
        }
        do { try FileSystem.makeDirectories(dir) } catch { throw SpendError.usage("cannot create \(dir): \(error)") }
        _ = try create("ledger/.gitkeep", in: target, text: "", note: nil)
        return InitStep(kind: .created, path: "ledger/", line: "created ledger/ (with an empty .gitkeep, so git tracks it)")
    }

    private func policy(at target: String, warnings: inout [String]) throws(SpendError) -> InitStep {
        guard let current = FileManager.default.contents(atPath: target + "/spend.toml") else {
            return try create("spend.toml", in: target, text: DefaultFiles.policy, note: "default policy: tags team, feature and env required")
        }
        if Array(current) == Array(DefaultFiles.policy.utf8) {
            return InitStep(kind: .kept, path: "spend.toml", line: "kept spend.toml (the default policy)")
        }
        do {
            _ = try Policy.parse(String(decoding: current, as: UTF8.self))
        } catch {
            let n = error.diagnostics.count
            warnings.append("spend.toml (kept as it is) has \(n) error\(n == 1 ? "" : "s"); `spend lint` shows \(n == 1 ? "it" : "them")")
        }
        return InitStep(kind: .kept, path: "spend.toml", line: "kept spend.toml (exists; not overwritten)")
    }

    private func gitattributes(at target: String) throws(SpendError) -> InitStep {
        let path = target + "/.gitattributes"
        guard let current = FileManager.default.contents(atPath: path) else {
            return try create(".gitattributes", in: target, text: DefaultFiles.gitattributes, note: DefaultFiles.mergeAttribute)
        }
        let text = String(decoding: current, as: UTF8.self)
        let pattern = "ledger/**/*.jsonl"
        for raw in text.split(whereSeparator: \.isNewline) {
            let fields = raw.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard fields.first == pattern else { continue }
            if fields.contains("merge=union") {
                return InitStep(kind: .kept, path: ".gitattributes", line: "kept .gitattributes (has \(DefaultFiles.mergeAttribute))")
            }
            return InitStep(
                kind: .kept, path: ".gitattributes",
                line: "kept .gitattributes (it sets its own attributes for \(pattern): \(raw.trimmingCharacters(in: .whitespaces)); not changed)")
        }
        var addition = DefaultFiles.gitattributes
        if !current.isEmpty && current.last != UInt8(ascii: "\n") { addition = "\n" + addition }
        let fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else { throw SpendError.usage("cannot append to \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard Self.writeAll(fd, Array(addition.utf8)) else {
            throw SpendError.usage("cannot append to \(path): \(String(cString: strerror(errno)))")
        }
        return InitStep(kind: .appended, path: ".gitattributes", line: "appended \(DefaultFiles.mergeAttribute) to .gitattributes")
    }

    private func hook(_ git: GitRepository, prefix: String, root: String, warnings: inout [String]) throws(SpendError) -> InitStep {
        let directory: String
        do { directory = try git.hooksDirectory() } catch { throw SpendError.git(error) }
        let path = directory + "/pre-commit"
        let shown = Self.display(path, root: root)
        let expected = PreCommitHook.script(costDirectory: prefix)
        let fm = FileManager.default
        if let current = fm.contents(atPath: path) {
            let text = String(decoding: current, as: UTF8.self)
            if text.contains(PreCommitHook.marker) {
                if Array(current) == Array(expected.utf8) && fm.isExecutableFile(atPath: path) {
                    return InitStep(kind: .kept, path: shown, line: "kept hook \(shown) (up to date)")
                }
                if Array(current) != Array(expected.utf8) {
                    return InitStep(
                        kind: .kept, path: shown,
                        line: "kept hook \(shown) (a spend hook, but not this one: edited, older, or for another cost directory; `spend hooks install` rewrites it)")
                }
                // spend's own script, not executable: installing again only fixes the mode.
            } else if Self.exists(directory + "/" + PreCommitHook.chainedName) {
                warnings.append(
                    "the pre-commit hook was not installed: \(shown) is not spend's and \(PreCommitHook.chainedName) exists too; merge them by hand (spend's hook runs \(PreCommitHook.chainedName) first), then run spend hooks install")
                return InitStep(kind: .skipped, path: shown, line: "skipped hook \(shown) (another hook is there; see the warning)")
            }
        }
        let done = try PreCommitHook.install(into: git, costDirectory: prefix)
        let installed = Self.display(done.path, root: root)
        if let chained = done.chained {
            let name = (chained as NSString).lastPathComponent
            return InitStep(kind: .installed, path: installed, line: "installed hook \(installed) (the hook that was there is now \(name) and runs first)")
        }
        return InitStep(kind: .installed, path: installed, line: "installed hook \(installed) (runs spend lint --staged)")
    }

    /// Writes a new file; never replaces one (O_EXCL): a file that appeared
    /// meanwhile is kept.
    private func create(_ relative: String, in target: String, text: String, note: String?) throws(SpendError) -> InitStep {
        let path = target + "/" + relative
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if fd < 0 {
            if errno == EEXIST { return InitStep(kind: .kept, path: relative, line: "kept \(relative) (exists)") }
            throw SpendError.usage("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        let ok = Self.writeAll(fd, Array(text.utf8))
        let code = errno
        close(fd)
        guard ok else {
            unlink(path)
            throw SpendError.usage("cannot write \(path): \(String(cString: strerror(code)))")
        }
        return InitStep(kind: .created, path: relative, line: "created \(relative)" + (note.map { " (\($0))" } ?? ""))
    }

    // MARK: Helpers

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += n
        }
        return true
    }

    /// True when something (even a dangling symlink) is at `path`.
    static func exists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    /// True for a directory or a symlink to one.
    static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }

    /// `path` with symlinks resolved, no trailing slash.
    static func resolved(_ path: String) -> String {
        var p = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        return p
    }

    /// Where to show a path: relative to the cost repository when inside it.
    static func display(_ path: String, root: String) -> String {
        let full = resolved((path as NSString).deletingLastPathComponent) + "/" + (path as NSString).lastPathComponent
        return full.hasPrefix(root + "/") ? String(full.dropFirst(root.count + 1)) : full
    }

    /// A cost repository (a directory with `spend.toml`, or with both
    /// `ledger/` and `ratecards/`) at or above `directory`, up to `top`.
    static func enclosingCostRepository(of directory: String, includingSelf: Bool, top: String) -> String? {
        var dir = directory
        var first = true
        while true {
            if !first || includingSelf {
                if exists(dir + "/spend.toml") || (isDirectory(dir + "/ledger") && isDirectory(dir + "/ratecards")) { return dir }
            }
            first = false
            if dir == top || !dir.hasPrefix(top + "/") { return nil }
            let parent = (dir as NSString).deletingLastPathComponent
            if parent == dir { return nil }
            dir = parent
        }
    }
}
