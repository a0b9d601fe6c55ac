import Foundation

/// Appends whole lines to ledger shards so that concurrent writers never tear
/// or lose a line:
///
/// 1. every target shard is opened `O_APPEND` and locked (`flock`, exclusive)
///    in path order, so two writers never deadlock;
/// 2. a shard whose last byte is not a newline is refused (a crash elsewhere
///    left a partial line; the tool never guesses how to fix it);
/// 3. ids are checked against the shard (a persistent id index, see
///    `IdIndex`) and the batch;
/// 4. each shard gets one `write` of all its lines; if any write fails, every
///    shard is cut back to its old length, so the batch is all-or-nothing;
/// 5. with `sync`, data (and a new shard's directory entry) is fsynced.
public struct ShardWriter {
    public let root: String
    /// Where the id indexes live (`<git dir>/spend/ids`), or nil to scan shards.
    public let cacheDirectory: String?
    public let sync: Bool
    /// Told what a rollback of a dead writer's batch did (one line each; the CLI shows them on stderr).
    public let notice: @Sendable (String) -> Void
    /// The crash tests' hooks into the write phase (``WritePhaseProbe/none`` in normal use).
    public let probe: WritePhaseProbe

    public init(
        root: String, cacheDirectory: String?, sync: Bool, notice: @escaping @Sendable (String) -> Void = { _ in },
        probe: WritePhaseProbe = .none
    ) {
        self.root = root
        self.cacheDirectory = cacheDirectory
        self.sync = sync
        self.notice = notice
        self.probe = probe
    }

    /// One locked shard.
    final class OpenShard {
        let path: String
        let absolute: String
        let fd: Int32
        let size: Int
        let created: Bool
        /// The shard as it was locked (for the id table kept between appends).
        let identity: ShardIdTable.Identity
        /// Indices (into the batch) of the events bound for this shard.
        var events: [Int] = []
        var index: IdIndex?
        /// The shard's ids, read on the first hash hit the text check cannot rule out.
        private var ids: ShardIdTable?

        /// Opens and locks the shard; nil when `create` is false and it does not
        /// exist. After the lock is taken, the path is checked to still name the
        /// same file (a checkout or merge may have replaced it while we waited).
        /// No symlink is followed and only a regular file is opened (`openShard`).
        init?(path: String, root: String, create: Bool) throws(SpendError) {
            self.path = path
            self.absolute = root + "/" + path
            for _ in 0..<8 {
                guard let fd = try ShardWriter.openShard(root: root, relative: path, create: create) else { return nil }
                while flock(fd, LOCK_EX) != 0 {
                    if errno != EINTR {
                        close(fd)
                        throw SpendError.usage("cannot lock \(path): \(String(cString: strerror(errno)))")
                    }
                }
                var held = stat()
                var named = stat()
                fstat(fd, &held)
                if lstat(absolute, &named) != 0 || named.st_ino != held.st_ino || named.st_dev != held.st_dev {
                    close(fd)  // replaced while we waited: lock the new file
                    if !create && access(absolute, F_OK) != 0 { return nil }
                    continue
                }
                self.fd = fd
                self.size = Int(held.st_size)
                self.created = create && held.st_size == 0
                self.identity = ShardIdTable.identity(held, size: Int(held.st_size))
                return
            }
            throw SpendError.usage("cannot lock \(path): it keeps being replaced")
        }

        deinit {
            index = nil
            close(fd)  // releases the lock
        }

        /// The byte offset just after the last newline (where a torn tail starts).
        func completeLength() -> Int {
            var end = size
            var buffer = [UInt8](repeating: 0, count: 4096)
            while end > 0 {
                let start = max(0, end - 4096)
                let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, end - start, off_t(start)) }
                if n <= 0 { return 0 }
                if let k = buffer[0..<n].lastIndex(of: 10) { return start + k + 1 }
                end = start
            }
            return 0
        }

        var isTorn: Bool {
            guard size > 0 else { return false }
            var b: UInt8 = 0
            return pread(fd, &b, 1, off_t(size - 1)) == 1 && b != 10
        }

        func tornDiagnostic() -> Diagnostic {
            let keep = completeLength()
            return Diagnostic(
                path: path, line: nil, rule: .tornShard,
                message: """
                    the last line is incomplete (no newline after byte \(size)): a writer was interrupted \
                    mid-line. Nothing was appended. Look at it with `tail -c 300 \(path)`; if the partial \
                    line is garbage, cut it with `truncate -s \(keep) \(path)`, or complete it and end it \
                    with a newline; then run `spend lint`.
                    """)
        }

        /// Opens (building or refreshing) the shard's id index.
        func openIndex(cacheDirectory: String?, size: Int? = nil, empty: Bool = false) {
            let size = size ?? self.size
            guard let cacheDirectory, size > 0 || empty else { return }
            index = try? IdIndex(path: IdIndex.path(cacheDirectory: cacheDirectory, shardAbsolute: absolute), shardFD: fd, shardSize: size)
        }

        /// After this writer appended its `events` of `batch` (now `newSize`
        /// bytes): the kept id table, if there is one of the shard as it was
        /// locked, is extended with their ids (nothing is done without one,
        /// as for a plain `append`).
        func extendIdTable(_ batch: [PreparedEvent], hashes: [UInt64], newSize: Int) {
            guard let table = ids ?? ShardIdTable.kept(absolute: absolute, identity: identity) else { return }
            let written = events.map { (batch[$0].id, hashes[$0]) }
            ShardIdTable.keep(table.adding(written, identity: ShardIdTable.identity(fd: fd, size: newSize)), absolute: absolute)
        }

        /// True when the shard already holds an event with this id.
        func contains(_ id: String, hash: UInt64) throws(SpendError) -> Bool {
            if size == 0 { return false }
            if let index {
                if !index.contains(hash) { return false }
                // An earlier part of this import read the shard's ids, and the shard is unchanged.
                if ids == nil { ids = ShardIdTable.kept(absolute: absolute, identity: identity) }
                // A hash hit: when no id in the shard is written with escapes,
                // the id's JSON text as the ledger writes it (bidi overrides and
                // DEL raw, unlike terminal-safe output) must appear in the shard;
                // look for it (a memory scan) before parsing the whole shard.
                if !index.hasEscapedIds, ids == nil, !(try textContains(Self.ledgerText(id))) { return false }
            }
            if ids == nil {
                do { ids = try ShardIdTable.table(absolute: absolute, identity: identity) } catch {
                    throw SpendError.usage("cannot read \(path): \(error)")
                }
            }
            return ids!.contains(id, hash: hash)
        }

        /// `id` as a JSON string the way `LedgerEvent.encodeLine` writes it.
        static func ledgerText(_ id: String) -> String {
            var writer = JSONWriter(out: [])
            writer.string(id)
            return String(decoding: writer.out, as: UTF8.self)
        }

        /// True when `needle` occurs in `haystack` (memchr for its second byte —
        /// the first is a quote, the most common byte of a ledger — then memcmp).
        static func find(_ needle: UnsafeBufferPointer<UInt8>, in haystack: UnsafeRawBufferPointer) -> Bool {
            guard needle.count >= 2, haystack.count >= needle.count, let h = haystack.baseAddress, let n = needle.baseAddress else {
                return false
            }
            let key = Int32(needle[1])
            var p = h + 1
            let last = h + (haystack.count - needle.count + 1)  // the last possible start, + 1
            while p < last + 1, let hit = memchr(p, key, (last + 1) - p) {
                let start = UnsafeRawPointer(hit) - 1
                if memcmp(start, n, needle.count) == 0 { return true }
                p = UnsafeRawPointer(hit) + 1
            }
            return false
        }

        /// True when `needle` occurs in the shard's first `size` bytes.
        private func textContains(_ needle: String) throws(SpendError) -> Bool {
            let file: MappedFile
            do { file = try MappedFile(path: absolute) } catch { throw SpendError.usage("cannot read \(path): \(error)") }
            return file.withBytes { bytes in
                var pattern = needle
                return pattern.withUTF8 { p in
                    let n = min(size, bytes.count)
                    guard n > 0, let base = bytes.baseAddress else { return false }
                    return Self.find(p, in: UnsafeRawBufferPointer(start: base, count: n))
                }
            }
        }
    }

    /// Opens the file at `relative` (under `root`) for appending, creating
    /// it and its directories with `create`, without following a symbolic
    /// link at any step below `root` (`openat` with `O_NOFOLLOW`) and without
    /// opening anything but a regular file (a FIFO or device is refused
    /// before it is opened). Nil when it does not exist and `create` is false.
    static func openShard(root: String, relative: String, create: Bool) throws(SpendError) -> Int32? {
        func failure(_ what: String) -> SpendError {
            SpendError.usage("cannot open \(what): \(String(cString: strerror(errno)))")
        }
        let parts = relative.split(separator: "/").map(String.init)
        var directory = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directory >= 0 else { throw failure(root) }
        defer { close(directory) }
        /// The problem with `name` in `directory` when it is a symlink or of another type than `expected`.
        func wrongType(_ name: String, _ walked: String, expected: mode_t) -> SpendError? {
            var info = stat()
            guard fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return nil }
            let type = info.st_mode & S_IFMT
            if type == S_IFLNK { return SpendError.input([WorkingTreeFiles.symlinkProblem(root + "/" + walked, walked)]) }
            if type != expected {
                return SpendError.input([
                    WorkingTreeFiles.specialProblem(walked, type, expected: expected == S_IFDIR ? "directory" : "shard file")
                ])
            }
            return nil
        }
        var walked = ""
        for part in parts.dropLast() {
            walked += (walked.isEmpty ? "" : "/") + part
            if let problem = wrongType(part, walked, expected: S_IFDIR) { throw problem }
            var next = openat(directory, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if next < 0 && errno == ENOENT {
                if !create { return nil }
                if mkdirat(directory, part, 0o755) != 0 && errno != EEXIST { throw failure(walked) }
                next = openat(directory, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            }
            if next < 0 {
                if let problem = wrongType(part, walked, expected: S_IFDIR) { throw problem }
                throw failure(walked)
            }
            close(directory)
            directory = next
        }
        let name = parts.last ?? ""
        if let problem = wrongType(name, relative, expected: S_IFREG) { throw problem }
        var fd: Int32
        repeat {
            fd = openat(directory, name, O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | (create ? O_CREAT : 0), 0o644)
        } while fd < 0 && errno == EINTR
        if fd < 0 && errno == ENOENT && !create { return nil }
        if fd < 0 {
            if let problem = wrongType(name, relative, expected: S_IFREG) { throw problem }
            throw failure(relative)
        }
        var info = stat()
        if fstat(fd, &info) != 0 || info.st_mode & S_IFMT != S_IFREG {
            close(fd)  // replaced by something else between the check and the open
            throw SpendError.input([WorkingTreeFiles.specialProblem(relative, info.st_mode & S_IFMT, expected: "shard file")])
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        return fd
    }

    /// Writes `events` (already validated). Throws with nothing written when a
    /// target shard is torn or an id is already anywhere in the ledger or
    /// earlier in the batch (unless `skipDuplicates`). With `dryRun`, checks
    /// everything and writes nothing.
    /// With a `session`, the append is one part of the session's batch: it
    /// adds to the session's journal record and leaves it for the session's
    /// `commit()` or `rollBack()` (a failed part is cut back, the record kept).
    public func append(
        _ events: [PreparedEvent], skipDuplicates: Bool, dryRun: Bool = false, session: LedgerWriteSession? = nil
    ) throws(SpendError) -> AppendOutcome {
        var outcome = AppendOutcome()
        var problems: [Diagnostic] = []
        // Duplicates inside the batch (an open-addressing table of id hashes,
        // ids compared on a hash match); events grouped by shard (as indices).
        let hashes = events.map { IdIndex.hash($0.id) }
        var capacity = 16
        while capacity < events.count * 2 { capacity <<= 1 }
        var slots = [Int32](repeating: -1, count: capacity)
        func earlierIndex(_ i: Int) -> Int? {
            var slot = Int(truncatingIfNeeded: hashes[i]) & (capacity - 1)
            while slots[slot] >= 0 {
                let j = Int(slots[slot])
                if hashes[j] == hashes[i] && events[j].id == events[i].id { return j }
                slot = (slot + 1) & (capacity - 1)
            }
            slots[slot] = Int32(i)
            return nil
        }
        var byShard: [String: [Int]] = [:]
        var lastShard = ""
        var lastIndices: [Int] = []
        for i in events.indices {
            if let earlier = earlierIndex(i) {
                if skipDuplicates {
                    outcome.skipped.append(events[i])
                } else {
                    let at = events[earlier].origin.line.map { "line \($0)" } ?? "an earlier event"
                    problems.append(
                        events[i].origin.diagnostic(
                            rule: .duplicateId, message: "duplicate id \(JSONString.quoted(events[i].id)) (also at \(at) of this batch)"))
                }
                continue
            }
            if events[i].shard != lastShard {
                if !lastIndices.isEmpty { byShard[lastShard, default: []] += lastIndices }
                lastShard = events[i].shard
                lastIndices = []
            }
            lastIndices.append(i)
        }
        if !lastIndices.isEmpty { byShard[lastShard, default: []] += lastIndices }
        slots = []
        if !problems.isEmpty { throw SpendError.input(Array(problems.prefix(50)), omitted: max(0, problems.count - 50)) }

        // The journal's lock first (rolling back what a writer that died
        // left), then every shard of the ledger in path order: the targets to
        // write them, the others so that ids are unique in the whole ledger.
        // A dry run creates nothing: it only rolls back a dead writer's record, like a reader.
        var journal = session?.journal
        if journal == nil && !dryRun { journal = try LedgerJournal(root: root, cacheDirectory: cacheDirectory, sync: sync, notice: notice) }
        func record(_ entries: [LedgerJournal.Entry]) throws(SpendError) {
            if let session { try session.record(entries) } else { try journal?.record(entries) }
        }
        if dryRun { try LedgerJournal.recover(root: root, notice: notice) }
        let listing = WorkingTreeFiles(root: root, listingCards: false)
        try listing.check()
        var open: [String: OpenShard] = [:]
        for path in Set(listing.shards).union(byShard.keys).sorted() {
            if let shard = try OpenShard(path: path, root: root, create: false) { open[path] = shard }
        }
        for (path, indices) in byShard { open[path]?.events = indices }
        for shard in open.values.sorted(by: { $0.path < $1.path }) where !shard.events.isEmpty && shard.isTorn {
            problems.append(shard.tornDiagnostic())
        }
        if !problems.isEmpty { throw SpendError.input(problems) }
        for shard in open.values { shard.openIndex(cacheDirectory: cacheDirectory) }

        // Ids already in the ledger.
        let others = open.values.sorted { $0.path < $1.path }
        var keptByShard: [String: [Int]] = [:]
        for (path, indices) in byShard {
            var kept: [Int] = []
            kept.reserveCapacity(indices.count)
            let own = open[path]
            for i in indices {
                let id = events[i].id
                let hash = hashes[i]
                var holder: OpenShard?
                if let own, try own.contains(id, hash: hash) { holder = own }
                if holder == nil {
                    for shard in others where shard.path != path {
                        if try shard.contains(id, hash: hash) {
                            holder = shard
                            break
                        }
                    }
                }
                if let holder {
                    if skipDuplicates {
                        outcome.skipped.append(events[i])
                    } else if problems.count < 50 {
                        problems.append(
                            events[i].origin.diagnostic(
                                rule: .duplicateId, message: "duplicate id \(JSONString.quoted(id)): already in \(holder.path)"))
                    }
                    continue
                }
                kept.append(i)
            }
            keptByShard[path] = kept
        }
        if !problems.isEmpty { throw SpendError.input(problems) }

        // Record each target's size before touching any (a shard the batch
        // starts as "new"); shards the batch starts are created only now.
        var recorded: [LedgerJournal.Entry] = []
        for path in keptByShard.keys.sorted() where !(keptByShard[path]!.isEmpty) {
            recorded.append(LedgerJournal.Entry(path: path, size: open[path]?.size ?? 0, created: open[path] == nil))
        }
        if !dryRun { try record(recorded) }
        var targets: [OpenShard] = []
        // Any failure from here on cuts every target back and clears the record.
        var finished = dryRun
        defer {
            if !finished {
                for shard in targets { _ = ftruncate(shard.fd, off_t(shard.size)) }
                if session == nil { try? journal?.clear() }
            }
        }
        for path in keptByShard.keys.sorted() where !(keptByShard[path]!.isEmpty) {
            if let shard = open[path] {
                shard.events = keptByShard[path]!
                targets.append(shard)
                continue
            }
            if dryRun {
                outcome.shards.append((path, keptByShard[path]!))
                continue
            }
            guard let shard = try OpenShard(path: path, root: root, create: true) else { continue }
            shard.events = keptByShard[path]!
            if shard.size > 0 {
                // Another writer created it meanwhile: check it like the others.
                if shard.isTorn { throw SpendError.input([shard.tornDiagnostic()]) }
                shard.openIndex(cacheDirectory: cacheDirectory)
                for i in shard.events {
                    if try shard.contains(events[i].id, hash: IdIndex.hash(events[i].id)) {
                        throw SpendError.input([
                            events[i].origin.diagnostic(
                                rule: .duplicateId, message: "duplicate id \(JSONString.quoted(events[i].id)): already in \(shard.path)")
                        ])
                    }
                }
            }
            targets.append(shard)
        }
        if dryRun {
            outcome.batch = events
            outcome.shards = (outcome.shards + targets.map { ($0.path, $0.events) }).sorted { $0.shard < $1.shard }
            return outcome
        }

        // Another tool created a "new" shard meanwhile: record its real size.
        let actual = targets.map { LedgerJournal.Entry(path: $0.path, size: $0.size, created: $0.created) }
        if actual != recorded { try record(actual) }

        // Write: one write per shard; any failure cuts every shard back.
        probe.note("writing")
        var written: [OpenShard] = []
        for shard in targets {
            written.append(shard)
            let lines = shard.events.map { events[$0].line }
            if let failure = probe.slice.map({ probe.writeSliced(shard.fd, lines, slice: $0) }) ?? Self.writeAll(shard.fd, lines) {
                throw SpendError.usage("cannot write \(shard.path): \(failure); nothing was appended")
            }
        }
        if sync {
            for shard in written {
                if fsync(shard.fd) != 0 {
                    throw SpendError.usage("fsync \(shard.path) failed: \(String(cString: strerror(errno)))")
                }
                if shard.created { Self.syncDirectory(of: shard.absolute) }
            }
        }
        // Bring the id indexes up to date while still holding the locks.
        for shard in written {
            let newSize = shard.events.reduce(shard.size) { $0 + events[$1].line.count }
            if shard.index == nil && shard.size == 0 {
                // A shard this batch started: its ids are the batch's.
                shard.openIndex(cacheDirectory: cacheDirectory, size: 0, empty: true)
            }
            shard.extendIdTable(events, hashes: hashes, newSize: newSize)
            guard let index = shard.index else { continue }
            for i in shard.events { try? index.insert(hashes[i]) }
            index.markCovered(newSize, shardFD: shard.fd)
        }
        probe.note("written")
        // The batch is in once its record is cleared (a session's, at its commit).
        if session == nil { try journal?.clear() }
        finished = true
        outcome.batch = events
        outcome.shards = written.map { ($0.path, $0.events) }
        return outcome
    }

    /// Writes the lines in order with `writev` (no joined copy), up to 1,024
    /// lines per call, retrying short writes; returns an error description on
    /// failure. The caller holds the shard's lock, so no other writer
    /// interleaves.
    static func writeAll(_ fd: Int32, _ lines: [[UInt8]]) -> String? {
        var first = 0
        while first < lines.count {
            let last = min(lines.count, first + 1024)
            var vectors: [iovec] = []
            vectors.reserveCapacity(last - first)
            var total = 0
            var written = 0
            let result: String? = withExtendedLifetime(lines) {
                for k in first..<last {
                    lines[k].withUnsafeBytes { vectors.append(iovec(iov_base: UnsafeMutableRawPointer(mutating: $0.baseAddress), iov_len: $0.count)) }
                    total += lines[k].count
                }
                let n = vectors.withUnsafeBufferPointer { writev(fd, $0.baseAddress, Int32($0.count)) }
                if n < 0 { return errno == EINTR ? nil : String(cString: strerror(errno)) }
                written = n
                return nil
            }
            if let result { return result }
            if written < total {
                // A short write: finish this group byte by byte from where it stopped.
                var joined: [UInt8] = []
                for k in first..<last { joined += lines[k] }
                if let failure = writeAll(fd, Array(joined[written...])) { return failure }
            }
            first = last
        }
        return nil
    }

    /// Writes every byte (retrying short writes); returns an error description on failure.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> String? {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                return String(cString: strerror(errno))
            }
            if n == 0 { return "no progress" }
            offset += n
        }
        return nil
    }

    static func syncDirectory(of path: String) {
        let directory = String(path[..<path.lastIndex(of: "/")!])
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }
}
