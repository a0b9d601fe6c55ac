import Foundation

/// The event ids of one shard version: 64-bit hashes of the ids, sorted,
/// each with the 1-based line it is on.
public struct IdSet: Sendable {
    /// Pairs `(hash, line)` sorted by hash.
    public var entries: [(hash: UInt64, line: UInt64)]

    public init(entries: [(hash: UInt64, line: UInt64)]) {
        self.entries = entries.sorted { $0.hash < $1.hash }
    }

    init(sorted: [(hash: UInt64, line: UInt64)]) { entries = sorted }

    /// The line of an id hash, or nil.
    public func line(of hash: UInt64) -> Int? {
        var lo = 0
        var hi = entries.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if entries[mid].hash < hash { lo = mid + 1 } else { hi = mid }
        }
        return lo < entries.count && entries[lo].hash == hash ? Int(entries[lo].line) : nil
    }

    /// This set plus more entries.
    public func adding(_ more: [(hash: UInt64, line: UInt64)]) -> IdSet {
        if more.isEmpty { return self }
        let extra = more.sorted { $0.hash < $1.hash }
        var merged: [(hash: UInt64, line: UInt64)] = []
        merged.reserveCapacity(entries.count + extra.count)
        var i = 0
        var j = 0
        while i < entries.count || j < extra.count {
            if j == extra.count || (i < entries.count && entries[i].hash <= extra[j].hash) {
                merged.append(entries[i])
                i += 1
            } else {
                merged.append(extra[j])
                j += 1
            }
        }
        return IdSet(sorted: merged)
    }

    /// The hash lint and the id index use for an id's bytes.
    @inline(__always)
    public static func hash(_ p: UnsafeRawPointer, _ n: Int) -> UInt64 {
        let h = StringInterner.hash(p, n)
        return h == 0 ? 1 : h
    }

    /// The hash of a scanned id (decoded when escaped).
    @inline(__always)
    public static func hash(_ span: ByteSpan, _ scanner: LedgerScanner) -> UInt64 {
        if span.escaped {
            let bytes = Array((scanner.string(span) ?? "").utf8)
            return bytes.withUnsafeBytes { hash($0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, bytes.count) }
        }
        return hash(scanner.base + span.start, span.count)
    }
}

/// Id sets of shard blobs, kept under the git directory
/// (`spend/lint-ids/<blob id>`). A blob id names its content, so an entry
/// never goes stale: `--staged` and `--commits` read the ids of unchanged
/// shards from here instead of parsing them again. The newest 64 entries
/// (and at most 512 MB) are kept.
public struct IdSetCache {
    public let directory: String
    static let magic: UInt64 = 0x3153_4449_544E_4C53  // "SLNTIDS1"
    public static let maxEntries = 64
    public static let maxBytes = 512 << 20

    public init(gitCommonDirectory: String) {
        directory = (gitCommonDirectory.hasSuffix("/") ? gitCommonDirectory : gitCommonDirectory + "/") + "spend/lint-ids"
    }

    func path(_ blob: ObjectID) -> String { directory + "/" + blob.hex }

    /// The cached set of a blob, or nil.
    public func load(_ blob: ObjectID) -> IdSet? {
        let fd = open(path(blob), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_size >= 16, info.st_size % 16 == 0 else { return nil }
        let words = Int(info.st_size) / 8
        var raw = [UInt64](repeating: 0, count: words)
        let want = Int(info.st_size)
        var done = 0
        while done < want {
            let n = raw.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, want - done, off_t(done)) }
            if n <= 0 { return nil }
            done += n
        }
        guard raw[0] == Self.magic, Int(raw[1]) == (words - 2) / 2 else { return nil }
        let count = Int(raw[1])
        var entries: [(hash: UInt64, line: UInt64)] = []
        entries.reserveCapacity(count)
        for k in 0..<count { entries.append((raw[2 + 2 * k], raw[3 + 2 * k])) }
        // Touch it: the most recently used entries are kept.
        utimes(path(blob), nil)
        return IdSet(sorted: entries)
    }

    /// True when a well-formed entry exists for the blob.
    func isValid(_ blob: ObjectID) -> Bool {
        let fd = open(path(blob), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var header = [UInt64](repeating: 0, count: 2)
        var info = stat()
        guard fstat(fd, &info) == 0, header.withUnsafeMutableBytes({ pread(fd, $0.baseAddress, 16, 0) }) == 16 else { return false }
        return header[0] == Self.magic && Int(info.st_size) == 16 + 16 * Int(header[1])
    }

    /// Stores a blob's set (best effort: an unwritable cache is only slower).
    public func store(_ set: IdSet, for blob: ObjectID) {
        if isValid(blob) { return }
        guard (try? FileSystem.makeDirectories(directory)) != nil else { return }
        var raw = [UInt64](repeating: 0, count: 2 + 2 * set.entries.count)
        raw[0] = Self.magic
        raw[1] = UInt64(set.entries.count)
        for (k, e) in set.entries.enumerated() {
            raw[2 + 2 * k] = e.hash
            raw[3 + 2 * k] = e.line
        }
        let temp = path(blob) + ".tmp.\(getpid())"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        let want = raw.count * 8
        var done = 0
        while done < want {
            let n = raw.withUnsafeBytes { write(fd, $0.baseAddress! + done, want - done) }
            if n <= 0 { break }
            done += n
        }
        close(fd)
        if done == want { rename(temp, path(blob)) } else { unlink(temp) }
    }

    /// Drops the least recently used entries beyond the limits.
    public func prune() {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: directory) else { return }
        var files: [(name: String, time: Int, size: Int)] = []
        for name in names {
            var info = stat()
            guard stat(directory + "/" + name, &info) == 0 else { continue }
            files.append((name, Int(info.st_mtim.tv_sec) * 1_000_000_000 + Int(info.st_mtim.tv_nsec), Int(info.st_size)))
        }
        files.sort { $0.time > $1.time }
        var total = 0
        for (k, file) in files.enumerated() {
            total += file.size
            if file.name.contains(".tmp.") {
                // A leftover of an interrupted run (or one in progress: keep the recent ones).
                if file.time < (Int(time(nil)) - 3600) * 1_000_000_000 { unlink(directory + "/" + file.name) }
                continue
            }
            if k >= Self.maxEntries || total > Self.maxBytes {
                unlink(directory + "/" + file.name)
            }
        }
    }
}
