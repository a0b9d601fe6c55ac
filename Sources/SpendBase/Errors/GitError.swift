/// A libgit2 failure, with libgit2's own message (made by SpendGit; here so
/// that `SpendError.git` can carry it).
public struct GitError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public var description: String { message }

    package init(message: String) { self.message = message }
}
