import ArgumentParser
import SpendCore

/// Standard output and error, and the process's exit-code contract:
/// 0 ok, 1 findings, 2 usage or input error.
///
/// `out` and `err` are for people: they show every control character but the
/// line break, and every bidi override, escaped (``TerminalText``), whatever
/// the text interpolated. `data` writes CSV, JSON and ledger lines verbatim.
public enum Console {
    /// Human-readable text on standard output (terminal-safe; its own newlines kept).
    public static func out(_ text: String) {
        data(TerminalText.escapedKeepingNewlines(text))
    }

    /// Machine-readable output (CSV, JSON, JSON Lines), byte for byte.
    public static func data(_ text: String) {
        var t = text
        if !t.hasSuffix("\n") { t += "\n" }
        write(all: t, to: STDOUT_FILENO)
    }

    /// Human-readable text on standard error (terminal-safe; its own newlines kept).
    public static func err(_ text: String) {
        var t = TerminalText.escapedKeepingNewlines(text)
        if !t.hasSuffix("\n") { t += "\n" }
        write(all: t, to: STDERR_FILENO)
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

    /// Writes every byte (retrying short writes), ignoring a closed pipe.
    static func write(all text: String, to fd: Int32) {
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
    }

    /// Parses the arguments for `Command`, runs it, and exits with spend's codes.
    public static func main<Command: ParsableCommand>(_ command: Command.Type, arguments: [String]? = nil) -> Never {
        let code: Int32
        var note = "nothing was reported"
        // `spend -C DIR verb …` like `git -C DIR …`: run as if started in DIR
        // (repeatable; a relative DIR is taken from the previous one).
        var arguments = arguments ?? Array(CommandLine.arguments.dropFirst())
        while arguments.count >= 2 && arguments[0] == "-C" {
            if chdir(arguments[1]) != 0 {
                Console.error("cannot change to '\(arguments[1])': \(String(cString: strerror(errno)))")
                exit(2)
            }
            arguments.removeFirst(2)
        }
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
        exit(code)
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
