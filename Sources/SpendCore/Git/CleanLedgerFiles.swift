/// The ledger files of a working tree that certainly hold what the index
/// says they hold (git's stat check: same size and modification time as
/// when staged, and modified before the index was written), both ways:
/// a clean file's blob id without hashing it, and a blob's content from a
/// clean file by mapping it instead of inflating the blob from the object
/// database (several times faster on a shard of hundreds of MB).
struct CleanLedgerFiles {
    private let repo: GitRepository
    private let indexMTime: Int64?
    /// Staged entries by path relative to the cost repository.
    private let byPath: [String: StagedFile]
    /// Cost-repository-relative path of a staged entry, by its blob id.
    private let pathByBlob: [ObjectID: String]
    private let root: String

    /// The index around `repository`; nil outside git or with no readable index.
    init?(_ repository: CostRepository) {
        guard let (repo, prefix) = try? repository.git(), let staged = try? repo.stagedFiles(under: [prefix + "ledger/"]) else {
            return nil
        }
        self.repo = repo
        indexMTime = repo.indexFileMTime
        root = repository.root
        var byPath: [String: StagedFile] = [:]
        var pathByBlob: [ObjectID: String] = [:]
        for file in staged.files {
            let path = String(file.path.dropFirst(prefix.count))
            byPath[path] = file
            pathByBlob[file.blob] = path
        }
        self.byPath = byPath
        self.pathByBlob = pathByBlob
    }

    /// The blob id of the working-tree file at `path` (relative to the cost
    /// repository, absolute at `absolutePath`) when it is clean.
    func blob(path: String, absolutePath: String) -> ObjectID? {
        guard let entry = byPath[path], repo.workingFileMatches(entry, absolutePath: absolutePath, indexMTime: indexMTime) else {
            return nil
        }
        return entry.blob
    }

    /// A clean working-tree file holding blob `id`, mapped; nil when there is
    /// none (or it changed since the check: its size no longer matches).
    func mapped(blob id: ObjectID) -> MappedFile? {
        guard let path = pathByBlob[id], let entry = byPath[path] else { return nil }
        let absolute = root + "/" + path
        guard repo.workingFileMatches(entry, absolutePath: absolute, indexMTime: indexMTime),
            let file = try? MappedFile(path: absolute), UInt64(file.count) & 0xFFFF_FFFF == UInt64(entry.size)
        else { return nil }
        return file
    }
}
