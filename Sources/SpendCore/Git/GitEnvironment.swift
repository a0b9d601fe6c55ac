/// What git tells the programs it runs through environment variables: a
/// hook's temporary index (`git commit -a` / `git commit PATH` run the
/// pre-commit hook against `GIT_INDEX_FILE`) and a pre-receive hook's
/// quarantined objects (`GIT_OBJECT_DIRECTORY`,
/// `GIT_ALTERNATE_OBJECT_DIRECTORIES`).
///
/// The library never reads the process's environment: the CLI builds this
/// from its invocation's and hands it to ``CostRepository`` and
/// ``GitRepository``.
public struct GitEnvironment: Sendable, Hashable {
    /// The index file the next commit is made from (absolute), when git names one.
    public var indexFile: String?
    /// Object directories to read besides the repository's own.
    public var objectDirectories: [String]

    public init(indexFile: String? = nil, objectDirectories: [String] = []) {
        self.indexFile = indexFile
        self.objectDirectories = objectDirectories
    }

    /// Nothing named: the repository's own index and objects.
    public static let none = GitEnvironment()

    /// From environment variables, a relative `GIT_INDEX_FILE` taken from
    /// `directory` (as git resolves it, against the working directory).
    public init(environment: [String: String], directory: String) {
        if let value = environment["GIT_INDEX_FILE"], !value.isEmpty {
            indexFile = value.hasPrefix("/") ? value : directory + "/" + value
        }
        var directories: [String] = []
        if let d = environment["GIT_OBJECT_DIRECTORY"], !d.isEmpty { directories.append(d) }
        if let list = environment["GIT_ALTERNATE_OBJECT_DIRECTORIES"] {
            directories += list.split(separator: ":").map(String.init).filter { !$0.isEmpty }
        }
        objectDirectories = directories
    }
}
