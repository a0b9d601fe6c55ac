import Foundation
import SpendBase

/// The pre-commit hook that runs `spend lint --staged`, and its installer.
public enum PreCommitHook {
    /// The line that marks a hook written by spend (so installing again updates it).
    public static let marker = "# spend pre-commit hook"
    /// Where an existing, foreign hook is moved to; the spend hook runs it first.
    public static let chainedName = "pre-commit.local"

    /// The hook script. `costDirectory` is the cost repository's path from the
    /// top of the working tree ("" or "sub/dir/"): git runs hooks from the top.
    public static func script(costDirectory: String = "") -> String {
        let dir = costDirectory.hasSuffix("/") ? String(costDirectory.dropLast()) : costDirectory
        let lint = dir.isEmpty ? "\"$spend\" lint --staged" : "\"$spend\" lint --staged -C '\(dir.replacingOccurrences(of: "'", with: "'\\''"))'"
        return """
            #!/bin/sh
            \(marker)
            # Rejects a commit whose staged ledger, rate cards or spend.toml break the
            # rules (tagging policy, prices, append-only history): `spend lint --staged`.
            # Install with `spend hooks install`; skip once with `git commit --no-verify`
            # (CI runs `spend lint --commits` and catches it).

            # A hook that was here before spend's is kept as pre-commit.local and runs first.
            hook_dir=$(dirname "$0")
            if [ -x "$hook_dir/\(chainedName)" ]; then
              "$hook_dir/\(chainedName)" "$@" || exit $?
            fi

            spend=${SPEND:-spend}
            if ! command -v "$spend" >/dev/null 2>&1; then
              echo "spend pre-commit: '$spend' is not on PATH, so the ledger cannot be checked." >&2
              echo "  Install spend (see its README: ./scripts/spend builds .build/release/spend) and put it on PATH," >&2
              echo "  or set SPEND=/path/to/spend; to commit without the check: git commit --no-verify" >&2
              exit 1
            fi
            exec \(lint)

            """
    }

    /// What `install` did.
    public struct Installation: Sendable {
        public var path: String
        /// The foreign hook moved aside to `pre-commit.local`, when there was one.
        public var chained: String?
        /// True when a spend hook was already there (rewritten in place).
        public var updated: Bool
    }

    /// A relative `core.hooksPath` that leads out of the repository (`..`, or a
    /// symlink on the way) is refused: an absolute one says where it means to go.
    static func refuseHooksPathOutside(_ git: GitRepository, directory: String) throws(SpendError) {
        guard let configured = try? git.configPath("core.hooksPath"), !configured.isEmpty, !configured.hasPrefix("/") else { return }
        let top = resolved(git.workdir ?? git.gitdir)
        let target = resolved(directory)
        if target == top || target.hasPrefix(top + "/") { return }
        throw SpendError.usage(
            "core.hooksPath \"\(configured)\" leads outside the repository (to \(target), not under \(top)); spend hooks install "
                + "writes only inside the repository: set core.hooksPath to an absolute path if that directory is meant, "
                + "or install by hand with spend hooks show > DIR/pre-commit")
    }

    /// `path` without `.`, `..` or symlinks (those of its longest existing ancestor), no trailing slash.
    static func resolved(_ path: String) -> String {
        var existing = path
        var rest: [String] = []
        while !existing.isEmpty && existing != "/" && access(existing, F_OK) != 0 {
            let trimmed = existing.hasSuffix("/") ? String(existing.dropLast()) : existing
            guard let slash = trimmed.lastIndex(of: "/") else { break }
            rest.insert(String(trimmed[trimmed.index(after: slash)...]), at: 0)
            existing = String(trimmed[..<slash])
        }
        var parts: [String] = []
        let real = realpath(existing.isEmpty ? "/" : existing, nil).map { p in defer { free(p) }; return String(cString: p) } ?? existing
        for part in (real.split(separator: "/").map(String.init) + rest) where part != "." && !part.isEmpty {
            if part == ".." { _ = parts.popLast() } else { parts.append(part) }
        }
        return "/" + parts.joined(separator: "/")
    }

    /// Writes the hook into the repository's hooks directory (honouring
    /// `core.hooksPath`). A foreign hook already there is moved to
    /// `pre-commit.local` and run first; a spend hook is rewritten, so
    /// installing twice changes nothing.
    public static func install(into git: GitRepository, costDirectory: String) throws(SpendError) -> Installation {
        let directory: String
        do { directory = try git.hooksDirectory() } catch { throw SpendError.git(error) }
        try refuseHooksPathOutside(git, directory: directory)
        do { try FileSystem.makeDirectories(directory) } catch { throw SpendError.usage("cannot create \(directory): \(error)") }
        let path = directory + "/pre-commit"
        let local = directory + "/" + chainedName
        let fm = FileManager.default
        var chained: String?
        var updated = false
        if let existing = fm.contents(atPath: path) {
            let text = String(decoding: existing, as: UTF8.self)
            if text.contains(marker) {
                updated = true
            } else {
                if fm.fileExists(atPath: local) {
                    throw SpendError.usage(
                        "\(path) exists and so does \(local); merge them by hand (spend's hook runs \(chainedName) first), then run spend hooks install again")
                }
                guard rename(path, local) == 0 else {
                    throw SpendError.usage("cannot move \(path) to \(local): \(String(cString: strerror(errno)))")
                }
                chmod(local, 0o755)
                chained = local
            }
        }
        let text = script(costDirectory: costDirectory)
        let temp = path + ".spend-tmp"
        guard fm.createFile(atPath: temp, contents: Data(text.utf8), attributes: [.posixPermissions: 0o755]),
            rename(temp, path) == 0
        else {
            throw SpendError.usage("cannot write \(path): \(String(cString: strerror(errno)))")
        }
        chmod(path, 0o755)
        return Installation(path: path, chained: chained, updated: updated)
    }
}
