import ArgumentParser
import Foundation
import SpendCore

/// `spend init`: turn a git repository into a cost repository.
public struct InitCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Turn a git repository (or a new one) into a cost repository.",
        discussion: """
            Makes DIRECTORY (relative to -C DIR; by default the current directory; created when missing) \
            a cost repository: ledger/, ratecards/ seeded with the bundled rate cards, a commented spend.toml \
            with the default tagging policy, .gitattributes with `ledger/**/*.jsonl merge=union` (appends \
            on two branches merge without conflicts) and the pre-commit hook that runs `spend lint --staged`. \
            A directory in no git repository gets `git init` first; inside a working tree, the cost \
            repository may be a subdirectory. Idempotent: files that exist are never overwritten \
            (a changed rate card or spend.toml is kept and reported), .gitattributes only gets the \
            line appended, and a foreign pre-commit hook is kept as pre-commit.local and runs first.
            """)

    @OptionGroup public var repository: RepositoryOptions

    @Flag(name: .customLong("no-hook"), help: "Do not install the pre-commit hook.")
    public var noHook = false

    @Argument(help: ArgumentHelp("The directory to make a cost repository, relative to -C (default: -C's, or the current one).", valueName: "directory"))
    public var target: String?

    public init() {}

    public func run() throws {
        let cwd = Invocation.current.directory
        var directory = repository.directory ?? "."
        if let target {
            directory = target.hasPrefix("/") ? target : (directory == "." ? target : directory + "/" + target)
        }
        let report = try CostRepositoryInitializer(directory: directory, relativeTo: cwd, installHook: !noHook).run()
        for step in report.steps { Console.out(Self.line(step)) }
        for warning in report.warnings { Console.err("spend: warning: \(warning)") }
        guard report.changed else {
            Console.out("nothing changed: \(report.root) is already a cost repository")
            return
        }
        var next: [String] = []
        let here = URL(fileURLWithPath: cwd).resolvingSymlinksInPath().path
        if report.root != here {
            let shown = report.root.hasPrefix(here + "/") ? String(report.root.dropFirst(here.count + 1)) : report.root
            next.append("cd \(Self.shellQuoted(shown))")
        }
        next.append("spend append --provider openai --model gpt-4o --input 1200 --output 300 --tag team=growth --tag feature=chat --tag env=dev")
        next.append("spend report")
        next.append("git add . && git commit -m \"Start the cost ledger\"")
        Console.out("")
        Console.out("next steps:")
        for line in next { Console.out("  " + line) }
        if !noHook, !Self.spendOnPath() {
            let me = Self.executablePath()
            Console.out(
                "the pre-commit hook runs `spend lint --staged`: put spend on PATH, or export SPEND=\(Self.shellQuoted(me)) before committing")
        }
    }

    /// True when the hook will find spend (`$SPEND`, or `spend` on PATH).
    static func spendOnPath() -> Bool {
        let env = Invocation.current.environment
        if let spend = env["SPEND"], !spend.isEmpty { return true }
        for dir in (env["PATH"] ?? "").split(separator: ":") where FileManager.default.isExecutableFile(atPath: dir + "/spend") {
            return true
        }
        return false
    }

    /// The absolute path of the running `spend`: as invoked when that was a
    /// path (`.build/release/spend`), else the resolved executable.
    static func executablePath() -> String {
        let argument = CommandLine.arguments.first ?? ""
        if argument.contains("/") {
            return URL(fileURLWithPath: argument).standardizedFileURL.path
        }
        return (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? argument
    }

    static func shellQuoted(_ s: String) -> String {
        let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:@+,")
        if !s.isEmpty && s.allSatisfy({ safe.contains($0) }) { return s }
        return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

extension InitCommand: RejectsInput {
    /// Printed after the errors when the directory holds what init must not write through.
    public static let rejectionNote = "nothing was changed"

    /// A step as init prints it: the library's line, except the hook step
    /// `--no-hook` turned off, which names the flag.
    static func line(_ step: InitStep) -> String {
        step.kind == .notRequested ? "skipped the pre-commit hook (--no-hook; `spend hooks install` adds it)" : step.line
    }
}
