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
