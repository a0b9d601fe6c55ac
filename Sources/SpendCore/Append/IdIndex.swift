/// A persistent set of the ids in one ledger shard: a memory-mapped
/// open-addressing table of 64-bit id hashes, kept in the cache directory
/// (inside `.git/`) and brought up to date incrementally, so checking a new
/// event's id against a million-line shard costs microseconds.
///
/// Only touched while the shard's exclusive lock is held. The index records
/// how many shard bytes it covers plus fingerprints of the covered bytes; a
/// shard that shrank or changed under it (checkout, merge) is re-indexed,
/// lines appended since (by git or another tool) are indexed from the tail.
/// A hash hit is only a candidate: callers confirm it against the shard text.
final class IdIndex {
    private static let magic: UInt64 = 0x3258_4449_444E_5053  // "SPNDIDX2"
    private static let headerWords = 9
    private let path: String
    private var fd: Int32 = -1
    private var base: UnsafeMutablePointer<UInt64>?
    private var mappedBytes = 0

    private var capacity: Int { Int(base![3]) }
    var count: Int { Int(base![2]) }
    /// True when some indexed id was written with JSON escapes (so its text
    /// in the shard may differ from the id: a text search cannot rule it out).
    var hasEscapedIds: Bool { base![8] != 0 }
    var covered: Int { Int(base![1]) }

    /// Opens (creating or rebuilding as needed) the index of the shard open
    /// as `shardFD`, whose current size is `shardSize`.
    init(path: String, shardFD: Int32, shardSize: Int) throws(IOError) {
        self.path = path
        if !openExisting(shardFD: shardFD) {
            try rebuild(shardFD: shardFD, shardSize: shardSize)
            return
        }
        if covered > shardSize || !fingerprintsMatch(shardFD: shardFD) || !sameFile(shardFD: shardFD, size: shardSize) {
            close()
            try rebuild(shardFD: shardFD, shardSize: shardSize)
        } else if covered < shardSize {
            try indexTail(shardFD: shardFD, from: covered, to: shardSize)
        }
    }

    deinit { close() }

    /// Where the index of the shard at `shardAbsolute` lives in `cacheDirectory`.
    static func path(cacheDirectory: String, shardAbsolute: String) -> String {
        let key = String(hash(shardAbsolute), radix: 16)
        let name = shardAbsolute.split(separator: "/").last.map(String.init) ?? "shard"
        return "\(cacheDirectory)/\(key)-\(name).idx"
    }

    private func close() {
        if let base { munmap(base, mappedBytes) }
        base = nil
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    private func openExisting(shardFD: Int32) -> Bool {
        fd = open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return false }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_size >= Self.headerWords * 8 else { return false }
        guard map(size: Int(info.st_size)) else { return false }
        guard base![0] == Self.magic, capacity > 0, capacity & (capacity - 1) == 0,
            (Self.headerWords + capacity) * 8 == mappedBytes
        else { return false }
        return true
    }

    private func map(size: Int) -> Bool {
        guard let p = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), p != MAP_FAILED else { return false }
        base = p.assumingMemoryBound(to: UInt64.self)
        mappedBytes = size
        return true
    }

    // MARK: Content

    static func hash(_ p: UnsafeRawPointer, _ n: Int) -> UInt64 {
        let h = StringInterner.hash(p, n)
        return h == 0 ? 1 : h
    }

    func contains(_ h: UInt64) -> Bool {
        let table = base! + Self.headerWords
        let mask = capacity - 1
        var slot = Int(truncatingIfNeeded: h) & mask
        while table[slot] != 0 {
            if table[slot] == h { return true }
            slot = (slot + 1) & mask
        }
        return false
    }

    func insert(_ h: UInt64) throws(IOError) {
        if (count + 1) * 2 > capacity { try resize(capacity * 2) }
        let table = base! + Self.headerWords
        let mask = capacity - 1
        var slot = Int(truncatingIfNeeded: h) & mask
        while table[slot] != 0 {
            if table[slot] == h { return }
            slot = (slot + 1) & mask
        }
        table[slot] = h
        base![2] += 1
    }

    /// Records that the shard's first `length` bytes are indexed, with the
    /// shard's inode and modification time.
    func markCovered(_ length: Int, shardFD: Int32) {
        base![1] = UInt64(length)
        let (head, tail) = Self.fingerprints(shardFD: shardFD, length: length)
        base![4] = head
        base![5] = tail
        let (inode, modified) = Self.identity(shardFD)
        base![6] = inode
        base![7] = modified
    }

    /// The shard's inode and modification time (ns).
    static func identity(_ fd: Int32) -> (UInt64, UInt64) {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return (0, 0) }
        return (UInt64(info.st_ino), UInt64(bitPattern: Int64(info.st_mtim.tv_sec) &* 1_000_000_000 &+ Int64(info.st_mtim.tv_nsec)))
    }

    /// False when the shard was replaced (another inode: `sed -i`, checkout) or
    /// rewritten in place at the same length since it was indexed. (A rewrite
    /// that also grew the file is indexed from the old end: `spend lint`'s
    /// append-only rule is the backstop for edits in the middle.)
    private func sameFile(shardFD: Int32, size: Int) -> Bool {
        let (inode, modified) = Self.identity(shardFD)
        if base![6] != inode { return false }
        if size == covered && base![7] != modified { return false }
        return true
    }

    private func fingerprintsMatch(shardFD: Int32) -> Bool {
        let (head, tail) = Self.fingerprints(shardFD: shardFD, length: covered)
        return base![4] == head && base![5] == tail
    }

    /// Hashes of the first and the last 4 KiB of the first `length` bytes.
    static func fingerprints(shardFD: Int32, length: Int) -> (UInt64, UInt64) {
        var buffer = [UInt8](repeating: 0, count: 4096)
        func hashAt(_ offset: Int) -> UInt64 {
            let n = min(4096, length - offset)
            guard n > 0 else { return 0 }
            let got = buffer.withUnsafeMutableBytes { pread(shardFD, $0.baseAddress, n, off_t(offset)) }
            return buffer.withUnsafeBytes { StringInterner.hash($0.baseAddress!, max(0, got)) }
        }
        return (hashAt(0), hashAt(max(0, length - 4096)))
    }

    // MARK: Building

    private func rebuild(shardFD: Int32, shardSize: Int) throws(IOError) {
        close()
        let directory = String(path[..<path.lastIndex(of: "/")!])
        try FileSystem.makeDirectories(directory)
        let temp = path + ".tmp.\(getpid())"
        fd = open(temp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw IOError(path: temp, errno: errno) }
        try allocate(capacity: 1024)
        try indexTail(shardFD: shardFD, from: 0, to: shardSize)
        guard rename(temp, path) == 0 else { throw IOError(path: path, errno: errno) }
    }

    private func allocate(capacity: Int) throws(IOError) {
        let size = (Self.headerWords + capacity) * 8
        guard ftruncate(fd, off_t(size)) == 0, map(size: size) else { throw IOError(path: path, errno: errno) }
        base![0] = Self.magic
        base![3] = UInt64(capacity)
    }

    private func resize(_ newCapacity: Int) throws(IOError) {
        let old = Array(UnsafeBufferPointer(start: base! + Self.headerWords, count: capacity))
        let header = Array(UnsafeBufferPointer(start: base!, count: Self.headerWords))
        munmap(base, mappedBytes)
        base = nil
        let size = (Self.headerWords + newCapacity) * 8
        guard ftruncate(fd, 0) == 0, ftruncate(fd, off_t(size)) == 0, map(size: size) else {
            throw IOError(path: path, errno: errno)
        }
        for i in 0..<Self.headerWords { base![i] = header[i] }
        base![2] = 0
        base![3] = UInt64(newCapacity)
        for h in old where h != 0 { try insert(h) }
    }

    /// Indexes the ids of the shard's bytes `[from, to)` (whole lines; bad lines are skipped).
    private func indexTail(shardFD: Int32, from: Int, to: Int) throws(IOError) {
        if to > from {
            let length = to - from
            var bytes = [UInt8](repeating: 0, count: length)
            var done = 0
            while done < length {
                let n = bytes.withUnsafeMutableBytes { pread(shardFD, $0.baseAddress! + done, length - done, off_t(from + done)) }
                if n <= 0 { break }
                done += n
            }
            var hashes: [UInt64] = []
            var escaped = false
            bytes.withUnsafeBytes { buffer in
                var scanner = LedgerScanner(buffer: UnsafeRawBufferPointer(rebasing: buffer[0..<done]))
                var record = EventRecord()
                while true {
                    do {
                        guard try scanner.next(into: &record) else { break }
                        hashes.append(Self.hash(record.id, scanner))
                        if record.id.escaped { escaped = true }
                    } catch {
                        scanner.skipLine()
                    }
                }
            }
            for h in hashes { try insert(h) }
            if escaped { base![8] = 1 }
        }
        markCovered(to, shardFD: shardFD)
    }

    /// The hash of a scanned id (decoded when escaped).
    static func hash(_ span: ByteSpan, _ scanner: LedgerScanner) -> UInt64 {
        if span.escaped {
            let bytes = Array((scanner.string(span) ?? "").utf8)
            return bytes.withUnsafeBytes { hash($0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, bytes.count) }
        }
        return hash(scanner.base + span.start, span.count)
    }

    /// The hash of an id string.
    static func hash(_ id: String) -> UInt64 {
        var copy = id
        return copy.withUTF8 { hash(UnsafeRawPointer($0.baseAddress ?? UnsafePointer(bitPattern: 1)!), $0.count) }
    }
}
