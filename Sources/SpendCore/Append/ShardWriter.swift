#if canImport(Glibc)
    import Glibc
#endif

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

    public init(root: String, cacheDirectory: String?, sync: Bool) {
        self.root = root
        self.cacheDirectory = cacheDirectory
        self.sync = sync
    }

    /// One locked shard.
    final class OpenShard {
        let path: String
        let absolute: String
        let fd: Int32
        let size: Int
        let created: Bool
        /// Indices (into the batch) of the events bound for this shard.
        var events: [Int] = []
        var index: IdIndex?
        private var ids: Set<String>?

        init(path: String, absolute: String) throws(SpendError) {
            self.path = path
            self.absolute = absolute
            let directory = String(absolute[..<absolute.lastIndex(of: "/")!])
            do { try FileSystem.makeDirectories(directory) } catch { throw SpendError.usage("cannot create \(directory): \(error)") }
            var existed = access(absolute, F_OK) == 0
            var fd: Int32
            repeat {
                fd = open(absolute, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
            } while fd < 0 && errno == EINTR
            guard fd >= 0 else { throw SpendError.usage("cannot open \(path): \(String(cString: strerror(errno)))") }
            while flock(fd, LOCK_EX) != 0 {
                if errno != EINTR {
                    close(fd)
                    throw SpendError.usage("cannot lock \(path): \(String(cString: strerror(errno)))")
                }
            }
            var info = stat()
            fstat(fd, &info)
            if !existed && info.st_size > 0 { existed = true }
            self.fd = fd
            self.size = Int(info.st_size)
            self.created = !existed
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

        func lastByte() -> UInt8? {
            guard size > 0 else { return nil }
            var b: UInt8 = 0
            return pread(fd, &b, 1, off_t(size - 1)) == 1 ? b : nil
        }

        /// True when the shard already holds an event with this id.
        func contains(_ id: String) throws(SpendError) -> Bool {
            if let index, !index.contains(IdIndex.hash(id)) { return false }
            // A hash hit (or no index): confirm against the shard text.
            if ids == nil { ids = try scanIds() }
            return ids!.contains(id)
        }

        private func scanIds() throws(SpendError) -> Set<String> {
            let file: MappedFile
            do { file = try MappedFile(path: absolute) } catch { throw SpendError.usage("cannot read \(path): \(error)") }
            return withExtendedLifetime(file) {
                var set = Set<String>()
                var scanner = LedgerScanner(buffer: UnsafeRawBufferPointer(rebasing: file.bytes[0..<min(size, file.bytes.count)]))
                var record = EventRecord()
                while true {
                    do throws(LedgerScanError) {
                        guard try scanner.next(into: &record) else { break }
                        if let id = scanner.string(record.id) { set.insert(id) }
                    } catch {
                        scanner.skipLine()
                    }
                }
                return set
            }
        }
    }

    /// Writes `events` (already validated). Throws with nothing written when a
    /// shard is torn or an id is a duplicate (unless `skipDuplicates`).
    public func append(_ events: [PreparedEvent], skipDuplicates: Bool) throws(SpendError) -> AppendOutcome {
        var outcome = AppendOutcome()
        var problems: [Diagnostic] = []
        // Duplicates inside the batch; events grouped by shard (as indices).
        var firstSeen: [String: Int] = [:]
        firstSeen.reserveCapacity(events.count)
        var byShard: [String: [Int]] = [:]
        for (i, event) in events.enumerated() {
            if let earlier = firstSeen[event.id] {
                if skipDuplicates {
                    outcome.skipped.append(event)
                } else {
                    let at = events[earlier].origin.line.map { "line \($0)" } ?? "an earlier event"
                    problems.append(
                        event.origin.diagnostic(rule: "duplicate-id", message: "duplicate id \"\(event.id)\" (also at \(at) of this batch)"))
                }
                continue
            }
            firstSeen[event.id] = i
            byShard[event.shard, default: []].append(i)
        }
        firstSeen = [:]
        if !problems.isEmpty { throw SpendError.input(Array(problems.prefix(50)), omitted: max(0, problems.count - 50)) }

        // Open and lock every shard, in path order.
        var shards: [OpenShard] = []
        for path in byShard.keys.sorted() {
            let shard = try OpenShard(path: path, absolute: root + "/" + path)
            shard.events = byShard[path]!
            shards.append(shard)
        }

        // Torn shards.
        for shard in shards where shard.size > 0 && shard.lastByte() != 10 {
            let keep = shard.completeLength()
            problems.append(
                Diagnostic(
                    path: shard.path, line: nil, rule: "torn-shard",
                    message: """
                        the last line is incomplete (no newline after byte \(shard.size)): a writer was interrupted \
                        mid-line. Nothing was appended. Look at it with `tail -c 300 \(shard.path)`; if the partial \
                        line is garbage, cut it with `truncate -s \(keep) \(shard.path)`, or complete it and end it \
                        with a newline; then run `spend lint`.
                        """))
        }
        if !problems.isEmpty { throw SpendError.input(problems) }

        // Duplicates against the ledger.
        for shard in shards {
            if let cacheDirectory {
                let key = String(IdIndex.hash(shard.absolute), radix: 16)
                let name = shard.path.split(separator: "/").last.map(String.init) ?? "shard"
                shard.index = try? IdIndex(path: "\(cacheDirectory)/\(key)-\(name).idx", shardFD: shard.fd, shardSize: shard.size)
            }
            var kept: [Int] = []
            kept.reserveCapacity(shard.events.count)
            for i in shard.events {
                let event = events[i]
                if shard.size > 0, try shard.contains(event.id) {
                    if skipDuplicates {
                        outcome.skipped.append(event)
                    } else if problems.count < 50 {
                        problems.append(
                            event.origin.diagnostic(rule: "duplicate-id", message: "duplicate id \"\(event.id)\": already in \(shard.path)"))
                    }
                    continue
                }
                kept.append(i)
            }
            shard.events = kept
        }
        if !problems.isEmpty { throw SpendError.input(problems) }

        // Write: one write per shard; any failure cuts every shard back.
        var written: [OpenShard] = []
        for shard in shards where !shard.events.isEmpty {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(shard.events.reduce(0) { $0 + events[$1].line.count })
            for i in shard.events { bytes += events[i].line }
            written.append(shard)
            if let failure = Self.writeAll(shard.fd, bytes) {
                for s in written { _ = ftruncate(s.fd, off_t(s.size)) }
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
            guard let index = shard.index else { continue }
            var newSize = shard.size
            for i in shard.events {
                try? index.insert(IdIndex.hash(events[i].id))
                newSize += events[i].line.count
            }
            index.markCovered(newSize, shardFD: shard.fd)
        }
        outcome.written = written.map { shard in (shard.path, shard.events.map { events[$0] }) }
        return outcome
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
