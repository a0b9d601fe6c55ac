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
        write(all: terminalLines(text), to: STDERR_FILENO)
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
        write(all: ErrorMessages.errorLine(message), to: STDERR_FILENO)
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
        } catch {
            let message = ErrorMessages.message(for: error, command: Command.self, rejectionNote: note)
            if !message.text.isEmpty {
                write(all: message.text, to: message.stream == .standardOutput ? STDOUT_FILENO : STDERR_FILENO)
            }
            code = message.exitCode
        }
        exit(code)
    }
}

/// A command whose rejected input means something specific ("nothing was written").
public protocol RejectsInput {
    /// Printed after the error count when input is rejected.
    static var rejectionNote: String { get }
}
