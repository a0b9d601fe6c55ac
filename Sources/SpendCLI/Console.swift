import ArgumentParser
import SpendCore

/// Standard output and error, and the exit-code contract:
/// 0 ok, 1 findings, 2 usage or input error.
///
/// `out` and `err` are for people: they show every control character but the
/// line break, and every bidi override, escaped (``TerminalText``), whatever
/// the text interpolated. `data` writes CSV, JSON and ledger lines verbatim.
/// All of them write to the streams of ``Invocation/current``: the process's
/// descriptors under ``main(_:arguments:)``, the invocation's own (a test's
/// buffers) under ``run(_:_:)``.
public enum Console {
    /// Human-readable text on standard output (terminal-safe; its own newlines kept).
    public static func out(_ text: String) {
        data(TerminalText.escapedKeepingNewlines(text))
    }

    /// Machine-readable output (CSV, JSON, JSON Lines), byte for byte.
    public static func data(_ text: String) {
        var t = text
        if !t.hasSuffix("\n") { t += "\n" }
        Invocation.current.standardOutput.write(t)
    }

    /// Human-readable text on standard error (terminal-safe; its own newlines kept).
    public static func err(_ text: String) {
        Invocation.current.standardError.write(terminalLines(text))
    }

    /// `text` as ``out(_:)`` and ``err(_:)`` write it: terminal-safe, ending in a newline.
    static func terminalLines(_ text: String) -> String {
        var t = TerminalText.escapedKeepingNewlines(text)
        if !t.hasSuffix("\n") { t += "\n" }
        return t
    }

    /// `spend: error: MESSAGE` on one line: a newline in the message (a path,
    /// a revision, a value quoted back) shows as `\n` and cannot forge a line.
    public static func error(_ message: String) {
        Invocation.current.standardError.write(ErrorMessages.errorLine(message))
    }

    /// Output in `format`: tables through ``out(_:)``, CSV and JSON through ``data(_:)``.
    static func show(_ text: String, as format: FormatArgument) {
        if format == .table { out(text) } else { data(text) }
    }

    /// Runs `Command` for the process (its arguments, working directory,
    /// environment and descriptors) and exits with spend's code.
    public static func main<Command: ParsableCommand>(_ command: Command.Type, arguments: [String]? = nil) -> Never {
        var invocation = Invocation.process()
        if let arguments { invocation.arguments = arguments }
        exit(run(command, invocation))
    }

    /// Parses the invocation's arguments for `Command`, runs it with
    /// ``Invocation/current`` bound to `invocation`, and returns spend's exit
    /// code (0 ok, 1 findings, 2 usage or input error). Never exits, never
    /// changes the process's working directory: it can run any number of
    /// times in one process (the tests do).
    public static func run<Command: ParsableCommand>(_ command: Command.Type, _ invocation: Invocation) -> Int32 {
        var invocation = invocation
        invocation.directory = resolvedDirectory(invocation.directory) ?? invocation.directory
        if invocation.originalDirectory == nil { invocation.originalDirectory = invocation.directory }
        // `spend -C DIR verb …` like `git -C DIR …`: run as if started in DIR
        // (repeatable; a relative DIR is taken from the previous one).
        var arguments = invocation.arguments
        while arguments.count >= 2 && arguments[0] == "-C" {
            let target = invocation.resolve(arguments[1])
            guard let resolved = resolvedDirectory(target) else {
                let reason = String(cString: strerror(errno))
                return Invocation.$current.withValue(invocation) {
                    Console.error("cannot change to '\(arguments[1])': \(reason)")
                    return 2
                }
            }
            invocation.directory = resolved
            arguments.removeFirst(2)
        }
        let verbExecutable = ObjectIdentifier(command) != ObjectIdentifier(SpendCommand.self)
        return Invocation.$current.withValue(invocation) {
            $runsVerbExecutable.withValue(verbExecutable) { execute(command, arguments) }
        }
    }

    /// True while a verb runs as the root command (the `spend-lint`
    /// executable), false under `spend` (`spend lint`).
    @TaskLocal static var runsVerbExecutable = false

    /// A verb's configuration as its usage and help show it: named
    /// `spend-lint` when it runs as its own executable, `lint` as a
    /// subcommand of `spend`.
    static func named(_ configuration: CommandConfiguration) -> CommandConfiguration {
        guard runsVerbExecutable, let verb = configuration.commandName else { return configuration }
        var named = configuration
        named.commandName = "spend-" + verb
        return named
    }

    /// The directory `path` names with every symbolic link resolved (what
    /// `chdir` then `getcwd` gives), or nil with `errno` set as `chdir` would.
    static func resolvedDirectory(_ path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            errno = ENOTDIR
            return nil
        }
        guard access(path, X_OK) == 0, let real = realpath(path, nil) else { return nil }
        defer { free(real) }
        return String(cString: real)
    }

    /// Parses `arguments` for `Command` and runs it, in ``Invocation/current``.
    static func execute<Command: ParsableCommand>(_ command: Command.Type, _ arguments: [String]) -> Int32 {
        let code: Int32
        var note = "nothing was reported"
        do {
            var parsed = try Command.parseAsRoot(arguments)
            note = (type(of: parsed) as? any RejectsInput.Type)?.rejectionNote ?? note
            try parsed.run()
            code = 0
        } catch {
            let message = ErrorMessages.message(for: error, command: Command.self, rejectionNote: note)
            if !message.text.isEmpty {
                let invocation = Invocation.current
                (message.stream == .standardOutput ? invocation.standardOutput : invocation.standardError).write(message.text)
            }
            code = message.exitCode
        }
        return code
    }
}

/// A command whose rejected input means something specific ("nothing was written").
public protocol RejectsInput {
    /// Printed after the error count when input is rejected.
    static var rejectionNote: String { get }
}
