import CLibGit2

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension GitRepository {
    /// Whether blob `id` holds a prefix of `bytes`, read as a stream (no copy
    /// of the blob in memory), and the blob's size. nil when the blob is not
    /// a loose object (packed objects): read it whole instead. Throws when
    /// the loose object is damaged (truncated…). Streams with
    /// `LooseObjectInflater`, not libgit2, whose loose stream spins forever
    /// on a truncated file.
    public func blobIsPrefix(_ id: ObjectID, of bytes: UnsafeRawBufferPointer) throws(GitError) -> (isPrefix: Bool, size: Int)? {
        let objects = String(cString: git_repository_commondir(pointer)) + "objects/"
        let path = LooseObjectInflater.path(of: id, in: objects)
        guard let file = try? MappedFile(path: path), file.withBytes(LooseObjectInflater.isZlibStream) else { return nil }
        do throws(LooseObjectError) {
            let reader = try LooseObjectInflater(file: file)
            guard reader.type == GIT_OBJECT_BLOB else { return nil }
            let length = reader.size
            if length > bytes.count { return (false, length) }
            let size = 1 << 20
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 1)
            defer { buffer.deallocate() }
            var offset = 0
            while offset < length {
                let n = try reader.read(into: buffer, count: min(size, length - offset))
                if memcmp(bytes.baseAddress! + offset, buffer, n) != 0 { return (false, length) }
                offset += n
            }
            return (true, length)
        } catch {
            throw GitError(message: LooseObjectBackend.corruptionMessage(id, path: path, error))
        }
    }

    /// The size of an object without reading its content (cheap for packed objects too).
    public func objectSize(_ id: ObjectID) -> Int? {
        var oid = git_oid()
        guard git_oid_fromstr(&oid, id.hex) == 0 else { return nil }
        var odb: OpaquePointer?
        guard git_repository_odb(&odb, pointer) == 0, let odb else { return nil }
        defer { git_odb_free(odb) }
        var length = 0
        var type = GIT_OBJECT_ANY
        guard git_odb_read_header(&length, &type, odb, &oid) == 0, type == GIT_OBJECT_BLOB else { return nil }
        return length
    }

    /// Whether blob `id` holds a prefix of `bytes`, decided without reading
    /// the blob: its size from the object header, then the blob id of that
    /// many bytes of `bytes` (git's own content hash). nil when unsure.
    public func blobIsPrefixByHash(_ id: ObjectID, of bytes: UnsafeRawBufferPointer) -> (isPrefix: Bool, size: Int)? {
        guard let size = objectSize(id) else { return nil }
        if size > bytes.count { return (false, size) }
        let prefix = UnsafeRawBufferPointer(rebasing: bytes[0..<size])
        return (ObjectID.blob(of: prefix) == id, size)
    }
}
