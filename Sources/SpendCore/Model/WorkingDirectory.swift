/// Relative paths taken from an explicit working directory instead of the
/// process's (the library never relies on, or changes, the process's current
/// directory when it is given one: the CLI runs many invocations in one test
/// process, each with its own directory).
public enum WorkingDirectory {
    /// `path` made absolute against `base` (an absolute directory); with no
    /// `base`, `path` as it is (the process's working directory applies).
    public static func absolute(_ path: String, from base: String?) -> String {
        guard let base, !path.hasPrefix("/") else { return path }
        if path.isEmpty || path == "." { return base }
        return base == "/" ? "/" + path : base + "/" + path
    }
}
