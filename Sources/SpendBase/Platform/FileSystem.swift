/// Small file-system helpers over the C library.
public enum FileSystem {
    /// `mkdir -p`.
    public static func makeDirectories(_ path: String) throws(IOError) {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, 0o755) != 0 && errno != EEXIST { throw IOError(path: current, errno: errno) }
        }
    }
}
