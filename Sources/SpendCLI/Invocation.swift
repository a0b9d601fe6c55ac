import Foundation
import SpendCore

/// One run of spend: what a process gets from its parent (arguments, working
/// directory, environment, standard input, output and error), as a value.
///
/// ``Console/run(_:_:)`` runs a command for an invocation and returns its exit
/// code; ``Console/main(_:arguments:)`` builds the process's own invocation and
/// exits with that code. Commands reach the invocation they run in through
/// ``current`` (a task-local value bound by `run` for the duration of the run),
/// so several invocations can run one after the other, or at once on different
/// tasks, in one process: nothing spend does for an invocation changes the
/// process (no `chdir`, no `setenv`, no write to the process's own descriptors
/// unless the invocation names them).
///
/// The rule for commands: a relative path from the command line is resolved
/// with ``resolve(_:)``; the environment is ``environment`` (never
/// `ProcessInfo`/`getenv`); text goes through ``Console``; standard input is
/// ``standardInput``.
public struct Invocation: Sendable {
    /// The arguments after the program name.
    public var arguments: [String]
    /// The absolute working directory: relative paths are taken from here.
    public var directory: String
    /// The directory the command was started in, before a leading
    /// `spend -C DIR` moved ``directory`` (nil: ``directory``). `append`
    /// stamps the code of this directory, not of the cost repository.
    public var originalDirectory: String?
    /// The environment variables the command sees.
    public var environment: [String: String]
    /// Where `--stdin` and `--openai -` read from.
    public var standardInput: Input
    /// Where ``Console/out(_:)`` and ``Console/data(_:)`` write.
    public var standardOutput: Output
    /// Where ``Console/err(_:)`` and ``Console/error(_:)`` write.
    public var standardError: Output

    public init(
        arguments: [String], directory: String, environment: [String: String] = [:], standardInput: Input = .bytes([]),
        standardOutput: Output, standardError: Output
    ) {
        self.arguments = arguments
        self.directory = directory
        self.environment = environment
        self.standardInput = standardInput
        self.standardOutput = standardOutput
        self.standardError = standardError
    }

    /// The running process's own invocation: its arguments, working directory,
    /// environment and standard descriptors 0, 1 and 2.
    public static func process() -> Invocation {
        Invocation(
            arguments: Array(CommandLine.arguments.dropFirst()), directory: FileManager.default.currentDirectoryPath,
            environment: ProcessInfo.processInfo.environment, standardInput: .fileDescriptor(STDIN_FILENO),
            standardOutput: .fileDescriptor(STDOUT_FILENO), standardError: .fileDescriptor(STDERR_FILENO))
    }

    /// The invocation the current command runs in (the process's own outside ``Console/run(_:_:)``).
    @TaskLocal public static var current: Invocation = .process()

    /// The directory the command was started in (see ``originalDirectory``).
    public var startDirectory: String { originalDirectory ?? directory }

    /// What git named in ``environment`` (a hook's index, a pre-receive hook's objects).
    public var gitEnvironment: GitEnvironment {
        GitEnvironment(environment: environment, directory: directory)
    }

    /// `path` as an absolute path: a relative one is taken from ``directory``.
    public func resolve(_ path: String) -> String {
        WorkingDirectory.absolute(path, from: directory)
    }

    /// Standard input: a descriptor to read, or the bytes themselves.
    public enum Input: Sendable {
        case fileDescriptor(Int32)
        case bytes([UInt8])
    }

    /// An output stream: a descriptor to write, or a buffer that keeps the bytes.
    public enum Output: Sendable {
        case fileDescriptor(Int32)
        case buffer(OutputBuffer)

        /// Writes every byte (retrying short writes to a descriptor, ignoring a closed pipe).
        func write(_ text: String) {
            switch self {
            case .fileDescriptor(let fd):
                var bytes = Array(text.utf8)
                var offset = 0
                while offset < bytes.count {
                    let n = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
                    if n <= 0 {
                        if n < 0 && errno == EINTR { continue }
                        return
                    }
                    offset += n
                }
                bytes.removeAll()
            case .buffer(let buffer):
                buffer.append(text)
            }
        }
    }
}

/// Bytes written to an ``Invocation/Output/buffer(_:)`` (what a test reads back).
///
/// `@unchecked Sendable`: the only state, `storage`, is read and written only
/// while `lock` is held.
public final class OutputBuffer: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [UInt8] = []

    public init() {}

    /// Everything written so far.
    public var bytes: [UInt8] { lock.withLock { storage } }

    /// Everything written so far, as UTF-8 text.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    func append(_ text: String) {
        lock.withLock { storage.append(contentsOf: text.utf8) }
    }
}
