import CLibGit2

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An object database backend, put in front of libgit2's own, that reads
/// loose objects with `LooseObjectInflater`: a truncated or damaged loose
/// object (a commit met by a history walk, a blob…) is then an error naming
/// the object and its file, where libgit2 1.5 would spin at 100% CPU forever.
/// Objects that are not loose (packed) or not in git's zlib format are passed
/// on to libgit2's backends.
enum LooseObjectBackend {
    /// Above libgit2's packed (2) and loose (1) backends.
    static let priority: Int32 = 3

    /// Adds the backend to the object database of `repository`.
    static func install(in repository: OpaquePointer) throws(GitError) {
        var odb: OpaquePointer?
        var code = git_repository_odb(&odb, repository)
        guard code == 0, let odb else { throw GitError.last("opening the object database", code: code) }
        defer { git_odb_free(odb) }
        let backend = UnsafeMutablePointer<spend_loose_reader_backend>.allocate(capacity: 1)
        backend.initialize(to: spend_loose_reader_backend())
        git_odb_init_backend(&backend.pointee.parent, UInt32(GIT_ODB_BACKEND_VERSION))
        backend.pointee.objects_directory = strdup(String(cString: git_repository_commondir(repository)) + "objects/")
        backend.pointee.parent.read = { data, length, type, parent, oid in
            guard let data, let length, let type, let parent, let oid else { return GIT_PASSTHROUGH.rawValue }
            return LooseObjectBackend.read(data, length, type, parent, oid)
        }
        backend.pointee.parent.free = { parent in
            guard let parent else { return }
            let backend = UnsafeMutableRawPointer(parent).assumingMemoryBound(to: spend_loose_reader_backend.self)
            free(backend.pointee.objects_directory)
            backend.deallocate()
        }
        code = git_odb_add_backend(odb, &backend.pointee.parent, priority)
        guard code == 0 else {
            backend.pointee.parent.free(&backend.pointee.parent)
            throw GitError.last("opening the object database", code: code)
        }
    }

    /// The backend's `read`: the object's content in a buffer libgit2 owns,
    /// GIT_PASSTHROUGH when it is not a loose object, or an error.
    private static func read(
        _ data: UnsafeMutablePointer<UnsafeMutableRawPointer?>, _ length: UnsafeMutablePointer<Int>,
        _ type: UnsafeMutablePointer<git_object_t>, _ parent: UnsafeMutablePointer<git_odb_backend>,
        _ oid: UnsafePointer<git_oid>
    ) -> Int32 {
        let backend = UnsafeMutableRawPointer(parent).assumingMemoryBound(to: spend_loose_reader_backend.self)
        let id = ObjectID(oid)
        let path = LooseObjectInflater.path(of: id, in: String(cString: backend.pointee.objects_directory))
        guard let file = try? MappedFile(path: path) else { return GIT_PASSTHROUGH.rawValue }
        do throws(LooseObjectError) {
            if file.count < 2 { throw LooseObjectError(reason: "the file is empty (truncated)") }
            guard file.withBytes(LooseObjectInflater.isZlibStream) else { return GIT_PASSTHROUGH.rawValue }
            let reader = try LooseObjectInflater(file: file)
            // One byte more, zeroed, as libgit2's own readers allocate.
            guard let buffer = git_odb_backend_data_alloc(parent, reader.size + 1) else { return GIT_ERROR.rawValue }
            do throws(LooseObjectError) {
                try reader.readAll(into: buffer)
            } catch {
                git_odb_backend_data_free(parent, buffer)
                throw error
            }
            buffer.storeBytes(of: 0, toByteOffset: reader.size, as: UInt8.self)
            data.pointee = buffer
            length.pointee = reader.size
            type.pointee = reader.type
            return 0
        } catch {
            git_error_set_str(Int32(GIT_ERROR_ODB.rawValue), corruptionMessage(id, path: path, error))
            return GIT_ERROR.rawValue
        }
    }

    /// "corrupt object <id> (<file>): <reason>; …" — what every verb reports.
    static func corruptionMessage(_ id: ObjectID, path: String, _ error: LooseObjectError) -> String {
        "corrupt object \(id.hex) (\(path)): \(error.reason); run `git fsck` to list damaged objects"
    }
}
