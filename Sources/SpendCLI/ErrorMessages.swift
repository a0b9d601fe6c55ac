import ArgumentParser
import SpendCore

/// How a failed command is shown: its text, the stream it goes to, and the
/// exit code (swift-argument-parser's `MessageInfo` is the model).
public struct ErrorMessage: Sendable, Equatable {
    /// Where ``text`` is written.
    public enum Stream: Sendable, Equatable {
        case standardOutput, standardError
    }

    /// Terminal-safe text, every line ending in a newline; empty when nothing is shown.
    public var text: String
    public var stream: Stream
    /// spend's exit code: 0 ok (e.g. `--help`), 1 findings, 2 usage or input error.
    public var exitCode: Int32

    public init(text: String, stream: Stream, exitCode: Int32) {
        self.text = text
        self.stream = stream
        self.exitCode = exitCode
    }
}

/// The one place where an error becomes a message and an exit code, and
/// where the library's structured request problems are worded with the CLI's
/// flags (the library never names a flag).
public enum ErrorMessages {
    /// The message and exit code of any error `Command` can throw: spend's
    /// errors (usage, request, input diagnostics, I/O, git) exit 2; an
    /// `ExitCode` exits with its code and says nothing; the argument parser's
    /// errors (help, version, validation) keep its own text.
    ///
    /// - Parameter rejectionNote: what rejected input means for the command
    ///   ("nothing was written"), printed after the error count.
    public static func message<Command: ParsableCommand>(
        for error: any Error, command: Command.Type, rejectionNote: String = "nothing was reported"
    ) -> ErrorMessage {
        switch error {
        case let error as SpendError:
            return ErrorMessage(text: text(for: error, rejectionNote: rejectionNote), stream: .standardError, exitCode: 2)
        case let error as GitError:
            return message(for: SpendError.git(error), command: command, rejectionNote: rejectionNote)
        case let error as IOError:
            return message(for: SpendError.io(error), command: command, rejectionNote: rejectionNote)
        case let error as ExitCode:
            return ErrorMessage(text: "", stream: .standardError, exitCode: error.rawValue)
        default:
            return parserMessage(for: error, command: command)
        }
    }

    /// The lines spend prints for one of its own errors (all on standard error).
    static func text(for error: SpendError, rejectionNote: String) -> String {
        switch error {
        case .usage, .request, .io, .git:
            return errorLine(sentence(for: error))
        case .input(let diagnostics, let omitted):
            let errors = diagnostics.filter { $0.severity == .error }.count + omitted
            var text = ""
            for d in diagnostics { text += Console.terminalLines(d.renderedWithSource) }
            if omitted > 0 { text += Console.terminalLines("spend: \(omitted) more error\(omitted == 1 ? "" : "s") not shown") }
            text += Console.terminalLines("spend: \(errors) error\(errors == 1 ? "" : "s"); \(rejectionNote)")
            return text
        }
    }

    /// The invalid lines a report, diff or release list left out (not an
    /// error: the output is shown, exit 1): the first `shown` diagnostics,
    /// how many more, and what happened to them.
    static func excludedLines(_ diagnostics: [Diagnostic], omitted: Int, shown: Int) -> String {
        var text = ""
        for d in diagnostics.prefix(shown) { text += Console.terminalLines(d.renderedWithSource) }
        let more = max(diagnostics.count - shown, 0) + omitted
        if more > 0 { text += Console.terminalLines("spend: \(more) more not shown") }
        let n = diagnostics.count + omitted
        text += Console.terminalLines(
            "spend: \(n) invalid line\(n == 1 ? "" : "s") excluded from the output above (spend lint lists them; --strict stops at them)")
        return text
    }

    /// One of spend's errors as one sentence, without the `spend: error:` prefix.
    public static func sentence(for error: SpendError) -> String {
        switch error {
        case .request(let problem): return text(for: problem)
        case .usage, .input, .io, .git: return error.description
        }
    }

    /// A request problem in the CLI's words: the flag (or environment variable) that set the part.
    public static func text(for problem: RequestProblem) -> String {
        switch problem {
        case .emptyGroupingName(let example):
            return "--by expects a comma list of names, e.g. --by \(example)"
        case .tooManyGroupingNames(let max, let inDiff):
            return "--by takes at most \(max) names\(inDiff ? " in spend diff" : "")"
        case .repeatedPeriod(let first, let second):
            return "--by takes at most one of day, week, month, quarter, year (got '\(first)' and '\(second)')"
        case .unknownGroupingName(let name):
            return "unknown --by name '\(name)': expected day, week, month, quarter, year, an event field (provider, model, priced_model, …) or a tag"
        case .badFilter(let text):
            return "--where expects KEY=VALUE or KEY!=VALUE, got '\(text)'"
        case .badTag(let text):
            return "--tag expects KEY=VALUE, got '\(text)'"
        case .badTagList(let item):
            return "SPEND_TAGS expects KEY=VALUE pairs separated by commas, got '\(item)'"
        case .releasePairNeeded:
            return "--releases needs two release tags: spend diff --releases R1 R2 (or R1..R2)"
        case .referencePrices:
            // The library's wording starts with the path; the CLI says which flag named it.
            return "--litellm \(problem.description)"
        case .needsGitRepository(let root, let mode):
            let flag = switch mode {
            case .staged: "--staged"
            case .revision: "--rev"
            case .commits: "--commits"
            }
            return "\(root) is not inside a git repository (needed for \(flag))"
        case .bareRepository(let root):
            return "\(root) is a bare repository: use --rev or --commits"
        }
    }

    /// The argument parser's own message (help, version, a bad option): help
    /// and version on standard output with exit 0, anything else on standard
    /// error with exit 2 and the value the parser quotes back shown on one line.
    static func parserMessage<Command: ParsableCommand>(for error: any Error, command: Command.Type) -> ErrorMessage {
        let message = Command.fullMessage(for: error)
        if Command.exitCode(for: error) == .success {
            return ErrorMessage(text: message.isEmpty ? "" : Console.terminalLines(message), stream: .standardOutput, exitCode: 0)
        }
        var text = message
        let short = Command.message(for: error)
        if !short.isEmpty, let range = text.range(of: short) {
            text.replaceSubrange(range, with: TerminalText.escaped(short))
        }
        return ErrorMessage(text: Console.terminalLines(text), stream: .standardError, exitCode: 2)
    }

    /// `spend: error: MESSAGE` on one line: a newline in the message (a path,
    /// a revision, a value quoted back) shows as `\n` and cannot forge a line.
    static func errorLine(_ message: String) -> String {
        Console.terminalLines("spend: error: " + TerminalText.escaped(message))
    }
}

extension ValidationError {
    /// A library error found while validating options, in the CLI's words
    /// (shown by the argument parser with the command's usage).
    init(_ error: SpendError) {
        self.init(ErrorMessages.sentence(for: error))
    }
}
