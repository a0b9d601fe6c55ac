import ArgumentParser
import SpendCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

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
        var t = TerminalText.escapedKeepingNewlines(text)
        if !t.hasSuffix("\n") { t += "\n" }
        Invocation.current.standardError.write(t)
    }

    /// `spend: error: MESSAGE` on one line: a newline in the message (a path,
    /// a revision, a value quoted back) shows as `\n` and cannot forge a line.
    public static func error(_ message: String) {
        err("spend: error: " + TerminalText.escaped(message))
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
        return Invocation.$current.withValue(invocation) { execute(command, arguments) }
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
        } catch let error as SpendError {
            code = report(error, note: note)
        } catch let failure as GitError {
            Console.error(failure.message)
            code = 2
        } catch let failure as IOError {
            Console.error("\(failure)")
            code = 2
        } catch let error as ExitCode {
            code = error.rawValue
        } catch {
            let exit = Command.exitCode(for: error)
            let message = Command.fullMessage(for: error)
            if exit == .success {
                if !message.isEmpty { out(message) }
                code = 0
            } else {
                // The parser quotes values back ("got 'x'"): its message line shows on one line.
                var text = message
                let short = Command.message(for: error)
                if !short.isEmpty, let range = text.range(of: short) {
                    text.replaceSubrange(range, with: TerminalText.escaped(short))
                }
                err(text)
                code = 2
            }
        }
        return code
    }

    static func report(_ error: SpendError, note: String) -> Int32 {
        switch error {
        case .usage(let message):
            Console.error(message)
        case .input(let diagnostics, let omitted):
            let errors = diagnostics.filter { $0.severity == .error }.count + omitted
            for d in diagnostics { err(d.renderedWithSource) }
            if omitted > 0 { err("spend: \(omitted) more error\(omitted == 1 ? "" : "s") not shown") }
            err("spend: \(errors) error\(errors == 1 ? "" : "s"); \(note)")
        }
        return 2
    }
}

/// A command whose rejected input means something specific ("nothing was written").
public protocol RejectsInput {
    /// Printed after the error count when input is rejected.
    static var rejectionNote: String { get }
}
