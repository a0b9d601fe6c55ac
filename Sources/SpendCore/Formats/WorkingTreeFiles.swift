#if canImport(Glibc)
    import Glibc
#endif

/// The ledger shards and rate cards of a working tree, listed without ever
/// following a symbolic link or opening a file: append, lint and report all
/// read this one list, so reading and writing see the same files.
///
/// Only regular files are listed. Under `ledger/` every symlink and every
/// entry that is neither a regular file nor a directory (FIFO, socket,
/// device), and a directory named `*.jsonl`, is a problem (`symlink`,
/// `special-file`); so is a `ledger` or `ratecards` that is not a directory.
/// In `ratecards/`, symlinks and non-regular `*.toml` entries are problems;
/// `spend.toml` must be (or lead to) a regular file.
public struct WorkingTreeFiles: Sendable {
    /// `ledger/YYYY/YYYY-MM.jsonl` paths (any `*.jsonl`), sorted.
    public var shards: [String] = []
    /// `ratecards/NAME.toml` paths, sorted.
    public var cards: [String] = []
    /// One error per entry that is not what its place requires.
    public var problems: [Diagnostic] = []

    /// Lists `root/ledger` (recursively) and `root/ratecards` (top level);
    /// `listingLedger: false` or `listingCards: false` leaves that part out.
    public init(root: String, listingLedger: Bool = true, listingCards: Bool = true) {
        if listingLedger, let kind = Self.kind(root + "/ledger", relative: "ledger", expectDirectory: true, into: &problems), kind == S_IFDIR {
            walkLedger(root: root, relative: "ledger")
        }
        if listingCards, let kind = Self.kind(root + "/ratecards", relative: "ratecards", expectDirectory: true, into: &problems), kind == S_IFDIR {
            for (name, type) in Self.entries(root + "/ratecards") {
                let relative = "ratecards/" + name
                if type == S_IFLNK {
                    problems.append(Self.symlinkProblem(root + "/" + relative, relative))
                } else if name.hasSuffix(".toml") {
                    if type == S_IFREG { cards.append(relative) } else { problems.append(Self.specialProblem(relative, type, expected: "rate card file")) }
                }
            }
        }
        // spend.toml may be a link, but must lead to a regular file (a FIFO would block every reader).
        var policy = stat()
        if stat(root + "/spend.toml", &policy) == 0 && policy.st_mode & S_IFMT != S_IFREG {
            problems.append(Self.specialProblem("spend.toml", policy.st_mode & S_IFMT, expected: "regular file"))
        }
        shards.sort()
        cards.sort()
        problems.sort { $0.path < $1.path }
    }

    /// Throws the problems (exit 2, nothing done) when there are any.
    public func check() throws(SpendError) {
        if !problems.isEmpty { throw SpendError.input(problems) }
    }

    private mutating func walkLedger(root: String, relative: String) {
        for (name, type) in Self.entries(root + "/" + relative) {
            let path = relative + "/" + name
            switch type {
            case S_IFDIR:
                if name.hasSuffix(".jsonl") {
                    problems.append(Self.specialProblem(path, type, expected: "shard file"))
                } else {
                    walkLedger(root: root, relative: path)
                }
            case S_IFREG:
                if name.hasSuffix(".jsonl") { shards.append(path) }
            case S_IFLNK:
                problems.append(Self.symlinkProblem(root + "/" + path, path))
            default:
                problems.append(Self.specialProblem(path, type, expected: name.hasSuffix(".jsonl") ? "shard file" : "regular file"))
            }
        }
    }

    /// The names and types (`S_IFMT` bits, from `lstat`) of a directory's entries.
    static func entries(_ directory: String) -> [(String, mode_t)] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var out: [(String, mode_t)] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name == "." || name == ".." { continue }
            var info = stat()
            guard lstat(directory + "/" + name, &info) == 0 else { continue }  // removed meanwhile
            out.append((name, info.st_mode & S_IFMT))
        }
        return out
    }

    /// The type of `absolute` (nil when it does not exist); a symlink, or a
    /// non-directory where a directory belongs, is recorded as a problem.
    static func kind(_ absolute: String, relative: String, expectDirectory: Bool, into problems: inout [Diagnostic]) -> mode_t? {
        var info = stat()
        guard lstat(absolute, &info) == 0 else { return nil }
        let type = info.st_mode & S_IFMT
        if type == S_IFLNK {
            problems.append(symlinkProblem(absolute, relative))
        } else if expectDirectory && type != S_IFDIR {
            problems.append(specialProblem(relative, type, expected: "directory"))
        }
        return type
    }

    /// What a file type is called in a message.
    static func describe(_ type: mode_t) -> String {
        switch type {
        case S_IFREG: return "a regular file"
        case S_IFDIR: return "a directory"
        case S_IFIFO: return "a FIFO (named pipe)"
        case S_IFSOCK: return "a socket"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFLNK: return "a symbolic link"
        default: return "not a regular file"
        }
    }

    /// `error[special-file]`: `relative` is of the wrong type (`expected` names what belongs there).
    static func specialProblem(_ relative: String, _ type: mode_t, expected: String) -> Diagnostic {
        let article = expected.first.map { "aeiou".contains($0) } == true ? "an" : "a"
        let advice =
            expected == "directory"
            ? "move it away: spend keeps \(relative)/ as a directory"
            : relative == "spend.toml"
                ? "spend reads the policy only from a regular file: replace it"
                : "spend reads and writes only regular files in ledger/ and ratecards/: remove it"
        return Diagnostic(path: relative, rule: .specialFile, message: "is \(describe(type)), not \(article) \(expected); \(advice)")
    }

    /// `error[symlink]`: `relative` is a symbolic link (its target, read from disk, is shown).
    static func symlinkProblem(_ absolute: String, _ relative: String) -> Diagnostic {
        var buffer = [CChar](repeating: 0, count: 4097)
        let n = readlink(absolute, &buffer, 4096)
        let target = n >= 0 ? String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "?"
        return symlinkProblem(relative, target: target)
    }

    /// `error[symlink]`: `relative` is a symbolic link to `target`.
    public static func symlinkProblem(_ relative: String, target: String) -> Diagnostic {
        Diagnostic(
            path: relative, rule: .symlink,
            message: "is a symbolic link (to \(target)); spend never follows links in ledger/ or ratecards/: replace it with the file or directory itself")
    }
}
