import ArgumentParser
import Foundation
import SpendCore
import SpendRender

/// `spend import SOURCE FILE…`: idempotent importers (usage exports, OTLP
/// traces, gateway logs). The pipeline is `ImportPipeline`; the sources are
/// `ImportSources`.
public struct ImportCommand: ParsableCommand, RejectsInput {
    public static let rejectionNote = "nothing was written"
    public static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import usage from files you already have (provider usage exports, OpenTelemetry traces, LiteLLM spend logs, CSV): priced, deduplicated, appended.",
        discussion: """
            Sources: \(ImportSources.names.joined(separator: ", ")). Each record becomes an event with an id derived from \
            the record, so importing a file twice (or overlapping files) adds nothing the second time. Events are checked \
            and priced like `spend append` and written through its locked append path. Any invalid record refuses the import \
            (exit 2, nothing written) unless --reject-file FILE is given: then the valid events are written, the invalid \
            records go to FILE, and the exit status is 1. Settings per source: [import.SOURCE] in spend.toml (docs/import.md).
            """,
        version: SpendVersion.string)

    @OptionGroup public var repository: RepositoryOptions

    @Argument(help: ArgumentHelp("The source: \(ImportSources.names.joined(separator: ", ")).", valueName: "source"))
    public var source: String

    @Argument(help: ArgumentHelp("The files to import.", valueName: "file"))
    public var files: [String] = []

    @Flag(help: "Check and price everything, print the summary with the cost; write nothing.")
    public var dryRun = false

    @Option(
        help: ArgumentHelp(
            "Write the valid events, and each invalid record to FILE as {\"path\",\"line\",\"error\",\"rule\",\"input\"}; exit 1 when any.",
            valueName: "file"))
    public var rejectFile: String?

    @Option(help: ArgumentHelp("csv: the column mapping, FIELD=COLUMN,… (repeatable; docs/import.md).", valueName: "mapping"))
    public var map: [String] = []

    @Flag(help: "Show progress on standard error even when it is not a terminal.")
    public var progress = false

    @Flag(name: .shortAndLong, help: "Print nothing on success.")
    public var quiet = false

    public init() {}

    public func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one file to import") }
        if !map.isEmpty && source != "csv" { throw ValidationError("--map is for the csv source") }
    }

    public func run() throws {
        let costRepository = try repository.repository()
        let appender = try LedgerAppender(repository: costRepository)
        var options = ImportOptions()
        options.map = map
        let now = Timestamp.now()
        let importer = try ImportSources.make(source, policy: appender.policy, options: options, now: now)
        var request = ImportRequest(files: files.map { (Invocation.current.resolve($0), $0) })
        request.keepValid = rejectFile != nil
        request.dryRun = dryRun
        let started = Timestamp.monotonicSeconds()
        let showProgress = !quiet && (progress || Self.standardErrorIsTerminal())
        var shown = false
        let outcome = try ImportPipeline(appender: appender, source: importer).run(
            request, settings: ImportPipeline.settings(now: now)
        ) { p in
            // Only for work that takes more than a few seconds (or always with --progress).
            guard showProgress, progress || Timestamp.monotonicSeconds() - started > 2 else { return }
            Invocation.current.standardError.write("\r" + ImportSummary.progress(p))
            shown = true
        }
        if shown { Invocation.current.standardError.write("\n") }
        let diagnostics = outcome.rejected.flatMap(\.diagnostics)
        for d in diagnostics.prefix(50) { Console.err(d.renderedWithSource) }
        if diagnostics.count > 50 { Console.err("spend: \(diagnostics.count - 50) more errors not shown") }
        for w in outcome.warnings.prefix(50) { Console.err(w.renderedWithSource) }
        if outcome.warnings.count > 50 { Console.err("spend: \(outcome.warnings.count - 50) more warnings not shown") }
        if let rejectFile, !dryRun { try RejectFile.write(outcome.rejected, to: Invocation.current.resolve(rejectFile)) }
        if !quiet || !outcome.rejected.isEmpty { Console.out(ImportSummary.summary(outcome)) }
        if !outcome.rejected.isEmpty {
            let n = outcome.rejected.count
            let fate = dryRun ? "dry run: \(rejectFile ?? "") not written" : "written to \(rejectFile ?? "")"
            Console.err("spend: rejected \(n) record\(n == 1 ? "" : "s") (\(fate))")
            throw ExitCode(1)
        }
    }

    /// True when the invocation's standard error is a terminal.
    static func standardErrorIsTerminal() -> Bool {
        if case .fileDescriptor(let fd) = Invocation.current.standardError { return isatty(fd) == 1 }
        return false
    }
}
