#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A read-only memory map of a whole file, as it was when opened (unmapped on deinit).
///
/// **Lifetime.** The bytes exist only while the `MappedFile` does: read them
/// inside ``withBytes(_:)``, which keeps the map alive for the closure, and
/// never let the buffer escape it. (`unsafeBytes`, package-internal, is for
/// the types that hold a `MappedFile` in a stored property for as long as
/// they read it: `ShardBuffer`, `LooseObjectInflater`.)
///
/// **Truncation.** The map covers the size the file had at `init`. Bytes
/// appended later are not seen. If the file is *truncated* while mapped,
/// reading a page that lies wholly past the new end raises SIGBUS and the
/// process dies (the rest of a page past the end reads as zeros); `MAP_PRIVATE`
/// does not prevent it. spend accepts that rather than copying every shard:
/// ledger shards only grow (`ShardWriter` appends, and only rolls back the
/// bytes of its own failed batch, which `spend append`'s lock keeps from
/// other appends but not from a concurrent reader), git replaces files by
/// writing a new file (the mapped inode is untouched), and a reader writes
/// nothing before its scan ends, so a SIGBUS loses no data: the command is
/// rerun. Files that are truncated in place as a matter of course (the id
/// index, the journal) are not read through `MappedFile`.
public final class MappedFile {
    /// The mapped bytes; valid only while this object is alive. Package
    /// code that stores the `MappedFile` beside the pointer may read it;
    /// everything else uses ``withBytes(_:)``.
    package let unsafeBytes: UnsafeRawBufferPointer
    private let mapped: Bool

    /// Maps the file at `path` (an empty file maps to an empty buffer).
    public init(path: String) throws(IOError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw IOError(path: path, errno: errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw IOError(path: path, errno: errno) }
        let size = Int(info.st_size)
        if size == 0 {
            unsafeBytes = UnsafeRawBufferPointer(start: nil, count: 0)
            mapped = false
            return
        }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw IOError(path: path, errno: errno)
        }
        madvise(p, size, MADV_SEQUENTIAL)
        unsafeBytes = UnsafeRawBufferPointer(start: p, count: size)
        mapped = true
    }

    /// The file's size in bytes when it was mapped.
    public var count: Int { unsafeBytes.count }

    /// Calls `body` with the file's bytes. The buffer is valid only inside
    /// `body`: do not store it or return it. See the type's note on truncation.
    public func withBytes<Result, Failure: Error>(
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        defer { withExtendedLifetime(self) {} }
        return try body(unsafeBytes)
    }

    deinit {
        if mapped, let base = unsafeBytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), unsafeBytes.count) }
    }
}

/// A failed system call on a file.
public struct IOError: Error, Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var code: Int32

    public init(path: String, errno: Int32) {
        self.path = path
        self.code = errno
    }

    public var description: String { "\(path): \(String(cString: strerror(code)))" }
}
