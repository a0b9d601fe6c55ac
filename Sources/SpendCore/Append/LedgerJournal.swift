import Foundation

/// The undo journal that makes an append batch all-or-nothing across
/// crashes (like SQLite's rollback journal), and the ledger-wide writer lock.
///
/// Protocol (see docs/append.md, "Crashes"):
/// 1. a writer opens the journal and takes its exclusive `flock` (before any
///    shard lock: the order is journal, then shards in path order);
/// 2. a record found there was left by a writer that died (its lock is free,
///    we hold it): every shard it names is cut back to its recorded size (a
///    shard the dead batch created is removed) and the record is cleared;
/// 3. before touching a shard the writer records each target shard's size
///    (`spend-journal 1`, one `SIZE old|new PATH` line per shard, `end N`);
/// 4. it writes the shards, then clears the record (truncates the journal to
///    0 bytes): that is the moment the batch is in. With `sync`, the record,
///    the shards and the clearing are each fsynced in that order.
///
/// Readers (`lint`, `report` on the working tree) run step 2 when the lock is
/// free, and say so on stderr.
final class LedgerJournal {
    let path: String
    let root: String
    /// Where the id indexes live (an index of a shard cut back is removed).
    let cacheDirectory: String?
    let sync: Bool
    private let fd: Int32

    /// One shard of a record: its size before the batch, and whether the batch creates it.
    struct Entry: Equatable {
        var path: String
        var size: Int
        var created: Bool
    }

    /// Where the journal of the cost repository at `root` lives: inside the
    /// git directory when there is one (`<git common dir>/spend/journal-<hash
    /// of the cost repository's real path>`, next to the id indexes), else
    /// `<root>/.spend-journal`.
    static func location(root: String) -> (journal: String, cacheDirectory: String?) {
        guard let git = GitDirectory.discover(from: root) else { return (root + "/.spend-journal", nil) }
        let real = realpath(root, nil).map { p in defer { free(p) }; return String(cString: p) } ?? root
        let key = String(IdIndex.hash(real), radix: 16)
        return (git.commonDirectory + "spend/journal-" + key, git.commonDirectory + "spend/ids")
    }

    /// Opens (creating) and locks the journal, waiting for a live writer, and
    /// rolls back what a dead writer left (reported through `notice`).
    init(root: String, cacheDirectory: String?, sync: Bool, notice: (String) -> Void) throws(SpendError) {
        path = Self.location(root: root).journal
        self.root = root
        self.cacheDirectory = cacheDirectory
        self.sync = sync
        let directory = String(path[..<path.lastIndex(of: "/")!])
        do { try FileSystem.makeDirectories(directory) } catch { throw SpendError.usage("cannot create \(directory): \(error)") }
        var fd: Int32
        var created = false
        repeat {
            fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)
            if fd < 0 && errno == ENOENT {
                fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
                created = fd >= 0
            }
        } while fd < 0 && errno == EINTR
        guard fd >= 0 else { throw SpendError.usage("cannot open the append journal \(path): \(String(cString: strerror(errno)))") }
        self.fd = fd
        if created && sync { ShardWriter.syncDirectory(of: path) }
        while flock(fd, LOCK_EX) != 0 {
            if errno != EINTR { throw SpendError.usage("cannot lock the append journal \(path): \(String(cString: strerror(errno)))") }
        }
        try rollBack(notice: notice)
    }

    /// For readers: rolls back what a dead writer left when no writer holds
    /// the journal now. Does nothing without a journal, while a writer is
    /// writing, or when the journal cannot be opened for writing (a
    /// read-only checkout: then it says so).
    static func recover(root: String, notice: (String) -> Void) throws(SpendError) {
        let (path, cache) = location(root: root)
        var info = stat()
        guard lstat(path, &info) == 0, info.st_size > 0 else { return }
        let fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else {
            notice("spend: an interrupted append left \(path), which cannot be opened to roll it back (\(String(cString: strerror(errno)))); the ledger may hold part of a batch")
            return
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)  // a live writer holds it: its batch is still being written
            return
        }
        let journal = LedgerJournal(path: path, root: root, cacheDirectory: cache, fd: fd)
        try journal.rollBack(notice: notice)
    }

    private init(path: String, root: String, cacheDirectory: String?, fd: Int32) {
        self.path = path
        self.root = root
        self.cacheDirectory = cacheDirectory
        self.sync = true
        self.fd = fd
    }

    deinit { close(fd) }  // releases the lock

    // MARK: Record

    /// Records the shards a batch is about to touch (before any is touched).
    func record(_ entries: [Entry]) throws(SpendError) {
        var text = "spend-journal 1\n"
        for e in entries { text += "\(e.size) \(e.created ? "new" : "old") \(e.path)\n" }
        text += "end \(entries.count)\n"
        let bytes = Array(text.utf8)
        let ok = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) } == bytes.count
        guard ok, ftruncate(fd, off_t(bytes.count)) == 0, !sync || fsync(fd) == 0 else {
            throw SpendError.usage("cannot write the append journal \(path): \(String(cString: strerror(errno))); nothing was appended")
        }
    }

    /// Clears the record: the batch is in.
    func clear() throws(SpendError) {
        guard ftruncate(fd, 0) == 0, !sync || fsync(fd) == 0 else {
            throw SpendError.usage("cannot clear the append journal \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// The entries of a complete record; nil for an empty or unfinished one
    /// (a writer that died while recording had touched no shard yet).
    static func parse(_ text: String) -> [Entry]? {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard text.hasSuffix("\n"), lines.count >= 3, lines.removeLast().isEmpty, lines.first == "spend-journal 1",
            lines.last == "end \(lines.count - 2)"
        else { return nil }
        var entries: [Entry] = []
        for line in lines.dropFirst().dropLast() {
            let parts = line.split(separator: " ", maxSplits: 2)
            guard parts.count == 3, let size = Int(parts[0]), size >= 0, parts[1] == "new" || parts[1] == "old",
                parts[2].hasPrefix("ledger/"), !parts[2].split(separator: "/").contains("..")
            else { return nil }
            entries.append(Entry(path: String(parts[2]), size: size, created: parts[1] == "new"))
        }
        return entries
    }

    /// Cuts every shard of a record left by a dead writer (or a
    /// `LedgerWriteSession` taking its parts back) to its recorded size
    /// (under the shard's lock, taken in path order), removes what the batch
    /// created and the id indexes of the shards cut, and clears the record.
    func rollBack(notice: (String) -> Void) throws(SpendError) {
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_size > 0 else { return }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n == bytes.count, let entries = Self.parse(String(decoding: bytes, as: UTF8.self)) else {
            try clearAfterRecovery()
            return
        }
        var done: [String] = []
        for entry in entries.sorted(by: { $0.path < $1.path }) {
            let shard: Int32?
            do {
                shard = try ShardWriter.openShard(root: root, relative: entry.path, create: false)
            } catch {
                throw SpendError.usage(
                    "cannot roll back the interrupted append recorded in \(path): \(error.description); fix that, then run spend lint")
            }
            guard let shard else { continue }
            defer { close(shard) }
            while flock(shard, LOCK_EX) != 0 {
                if errno != EINTR { throw SpendError.usage("cannot lock \(entry.path): \(String(cString: strerror(errno)))") }
            }
            var now = stat()
            fstat(shard, &now)
            let size = Int(now.st_size)
            if size < entry.size {
                done.append("\(entry.path) is shorter (\(size) bytes) than before the batch (\(entry.size)): left as it is")
                continue
            }
            if size == entry.size && !(entry.created && size == 0) { continue }
            guard ftruncate(shard, off_t(entry.size)) == 0 else {
                throw SpendError.usage("cannot roll back \(entry.path) to \(entry.size) bytes: \(String(cString: strerror(errno)))")
            }
            fsync(shard)
            if let cacheDirectory { unlink(IdIndex.path(cacheDirectory: cacheDirectory, shardAbsolute: root + "/" + entry.path)) }
            if entry.created && entry.size == 0 {
                unlink(root + "/" + entry.path)
                ShardWriter.syncDirectory(of: root + "/" + entry.path)
                done.append("removed \(entry.path) (\(size) bytes; the batch had created it)")
            } else {
                done.append("cut \(entry.path) back from \(size) to \(entry.size) bytes")
            }
        }
        try clearAfterRecovery()
        if !done.isEmpty {
            notice("spend: rolled back an append that was interrupted mid-write (its process died): " + done.joined(separator: "; "))
        }
    }

    private func clearAfterRecovery() throws(SpendError) {
        guard ftruncate(fd, 0) == 0, fsync(fd) == 0 else {
            throw SpendError.usage("cannot clear the append journal \(path): \(String(cString: strerror(errno)))")
        }
    }
}

/// Test hooks of the write phase (used by the crash tests; off in normal
/// use), which the CLI takes from its environment:
/// `SPEND_TEST_WRITE_MARK=FILE` appends `writing` to FILE when the write phase
/// starts and `written` once every shard is written (before the record is
/// cleared); `SPEND_TEST_WRITE_SLICE=N` writes at most N bytes per system call
/// (the phase lasts longer), so a kill can land anywhere in a line.
public struct WritePhaseProbe: Sendable {
    let mark: String?
    let slice: Int?

    /// Off: no marks, whole writes.
    public static let none = WritePhaseProbe(environment: [:])

    /// From `SPEND_TEST_WRITE_MARK` and `SPEND_TEST_WRITE_SLICE` in `environment`.
    public init(environment env: [String: String]) {
        mark = env["SPEND_TEST_WRITE_MARK"].flatMap { $0.isEmpty ? nil : $0 }
        slice = env["SPEND_TEST_WRITE_SLICE"].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }
    }

    func note(_ phase: String) {
        guard let mark else { return }
        let fd = open(mark, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        let line = Array((phase + "\n").utf8)
        _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }

    /// Writes `lines` in order, at most `slice` bytes per system call; an error description on failure.
    func writeSliced(_ fd: Int32, _ lines: [[UInt8]], slice: Int) -> String? {
        for line in lines {
            let failure: String? = line.withUnsafeBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let n = write(fd, bytes.baseAddress! + offset, min(slice, bytes.count - offset))
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { return n == 0 ? "no progress" : String(cString: strerror(errno)) }
                    offset += n
                }
                return nil
            }
            if let failure { return failure }
        }
        return nil
    }
}
