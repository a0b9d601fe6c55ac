import ArgumentParser
import Foundation
import SpendCore
import SpendRender

/// The fields of one event given as flags.
///
/// The counts take their value unconditionally (`--input -5` is the value
/// -5, which the event checks reject as negative, not a missing value
/// followed by an unknown flag `-5`).
public struct EventFlags: ParsableArguments {
    @Option(help: "Provider: openai, anthropic, google, …")
    public var provider: String?
    @Option(help: "The model that served the call (aliases resolve through the rate card).")
    public var model: String?
    @Option(help: ArgumentHelp("What the caller asked for, when a router or fallback changed it.", valueName: "model"))
    public var modelRequested: String?
    @Option(name: .customLong("input"), parsing: .unconditional, help: ArgumentHelp("Uncached input tokens.", valueName: "n"))
    public var inputTokens: Int64?
    @Option(name: .customLong("output"), parsing: .unconditional, help: ArgumentHelp("Output tokens (reasoning included).", valueName: "n"))
    public var outputTokens: Int64?
    @Option(name: .customLong("cached-input"), parsing: .unconditional, help: ArgumentHelp("Input tokens read from the prompt cache.", valueName: "n"))
    public var cachedInputTokens: Int64?
    @Option(name: .customLong("cache-write"), parsing: .unconditional, help: ArgumentHelp("Input tokens written to the prompt cache.", valueName: "n"))
    public var cacheWriteTokens: Int64?
    @Option(name: .customLong("cache-write-1h"), parsing: .unconditional, help: ArgumentHelp("Input tokens written to the prompt cache for 1 hour.", valueName: "n"))
    public var cacheWrite1hTokens: Int64?
    @Flag(help: "The call went through the batch API.")
    public var batch = false
    @Option(help: ArgumentHelp("Service tier: flex, priority, … (default standard).", valueName: "tier"))
    public var serviceTier: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("Calls this line rolls up (token counts are totals).", valueName: "n"))
    public var requests: Int64?
    @Option(name: .customLong("tool-call"), help: ArgumentHelp("Priced tool calls, NAME=COUNT; repeatable.", valueName: "name=n"))
    public var toolCalls: [String] = []
    @Option(help: "ok, error, timeout or cancelled.")
    public var status: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("1 for a first try, more for a retry.", valueName: "n"))
    public var attempt: Int64?
    @Option(parsing: .unconditional, help: ArgumentHelp("Latency in milliseconds.", valueName: "ms"))
    public var latencyMs: Int64?
    @Option(help: ArgumentHelp("Ties the calls of one user action or agent run.", valueName: "id"))
    public var traceId: String?

    public init() {}

    /// True when any per-event field was given.
    var any: Bool {
        provider != nil || model != nil || modelRequested != nil || inputTokens != nil || outputTokens != nil
            || cachedInputTokens != nil || cacheWriteTokens != nil || cacheWrite1hTokens != nil || batch || serviceTier != nil || requests != nil
            || !toolCalls.isEmpty || status != nil || attempt != nil || latencyMs != nil || traceId != nil
    }

    func event() throws -> LedgerEvent {
        guard let provider, let model, let inputTokens, let outputTokens else {
            let missing = [("--provider", provider == nil), ("--model", model == nil), ("--input", inputTokens == nil), ("--output", outputTokens == nil)]
                .filter(\.1).map(\.0)
            throw ValidationError("an event needs \(missing.joined(separator: ", ")) (or give --json, --stdin or a provider response)")
        }
        var event = LedgerEvent(ts: 0, id: "", provider: provider, model: model, inputTokens: inputTokens, outputTokens: outputTokens, tags: [:])
        event.modelRequested = modelRequested
        event.cachedInputTokens = cachedInputTokens
        event.cacheWriteTokens = cacheWriteTokens
        event.cacheWrite1hTokens = cacheWrite1hTokens
        event.batch = batch ? true : nil
        event.serviceTier = serviceTier
        event.requests = requests
        event.status = status
        event.attempt = attempt
        event.latencyMs = latencyMs
        event.traceId = traceId
        if !toolCalls.isEmpty {
            var calls: [String: Int64] = [:]
            for text in toolCalls {
                guard let eq = text.firstIndex(of: "="), eq != text.startIndex else {
                    throw ValidationError("--tool-call expects NAME=N, got '\(text)'")
                }
                let (name, value) = (String(text[..<eq]), String(text[text.index(after: eq)...]))
                guard let n = Int64(value) else { throw ValidationError("--tool-call expects NAME=N, got '\(text)'") }
                let (sum, overflow) = (calls[name] ?? 0).addingReportingOverflow(n)
                if overflow { throw ValidationError("--tool-call: the sum of tool_calls \"\(name)\" exceeds \(Int64.max)") }
                calls[name] = sum
            }
            event.toolCalls = calls
        }
        return event
    }
}

/// `spend append`: validate, price, stamp and append events to the ledger.
public struct AppendCommand: ParsableCommand, RejectsInput {
    public static let rejectionNote = "nothing was written"
    public static var configuration: CommandConfiguration { Console.named(baseConfiguration) }
    static let baseConfiguration = CommandConfiguration(
        commandName: "append",
        abstract: "Append cost events to the ledger: validated, priced, stamped, written atomically.",
        discussion: """
            Input is one of: event flags (--provider --model --input --output …), --json '{…}', --stdin \
            (JSON Lines, one batch; with --reject-file FILE the valid lines are written and the invalid ones go to FILE, \
            exit 1), --openai-response FILE|-, --anthropic-response FILE|-, \
            --gemini-response FILE|-, --openai-batch-output FILE|- or --anthropic-batch-results FILE|-. Events are \
            checked with the same rules as `spend lint` (schema, spend.toml policy, priceability); any \
            failure exits 2 and writes nothing. Missing ts, id, commit, release, cost and priced_with are \
            stamped. Tags: the event's own, then --tag, then SPEND_TAGS="k=v,k=v".
            """,
        version: SpendVersion.string)

    @OptionGroup public var repository: RepositoryOptions
    @OptionGroup(title: "Event") public var fields: EventFlags

    @Option(name: .customLong("tag"), help: ArgumentHelp("A tag KEY=VALUE; repeatable. Wins over SPEND_TAGS.", valueName: "key=value"))
    public var tags: [String] = []
    @Option(help: ArgumentHelp("Event id (default: a new time-sortable id).", valueName: "id"))
    public var id: String?
    @Option(help: ArgumentHelp("When the call was made, RFC 3339 (default: now).", valueName: "time"))
    public var ts: String?

    @Option(help: ArgumentHelp("One event as a JSON object.", valueName: "json"))
    public var json: String?
    @Flag(help: "Read events as JSON Lines from standard input (all-or-nothing).")
    public var stdin = false
    @Option(help: ArgumentHelp("An OpenAI Chat Completions, Responses API or embeddings body (FILE, or - for stdin).", valueName: "file"))
    public var openaiResponse: String?
    @Option(help: ArgumentHelp("An Anthropic Messages API body (FILE, or - for stdin).", valueName: "file"))
    public var anthropicResponse: String?
    @Option(help: ArgumentHelp("A Gemini API or Vertex AI generateContent body (FILE, or - for stdin).", valueName: "file"))
    public var geminiResponse: String?
    @Option(help: ArgumentHelp("An OpenAI Batch API output file: one batch event per line (FILE, or - for stdin).", valueName: "file"))
    public var openaiBatchOutput: String?
    @Option(help: ArgumentHelp("An Anthropic Message Batches results file: one batch event per line (FILE, or - for stdin).", valueName: "file"))
    public var anthropicBatchResults: String?

    @Option(
        help: ArgumentHelp(
            "With --stdin: write the valid events, and each invalid line to FILE as {\"line\":N,\"error\":…,\"rule\":…,\"input\":…}; exit 1 when any.",
            valueName: "file"))
    public var rejectFile: String?

    @Flag(help: "Do not stamp cost and priced_with (events are still checked as priceable).")
    public var noPrice = false
    @Flag(help: "fsync the shard before returning.")
    public var sync = false
    @Flag(help: "Skip events whose id is already in the ledger instead of failing (idempotent imports).")
    public var skipDuplicates = false
    @Flag(help: "Check and print the lines that would be written; write nothing.")
    public var dryRun = false
    @Flag(name: .shortAndLong, help: "Print nothing on success.")
    public var quiet = false

    public init() {}

    enum Source {
        case flags, json, stdin, response(ProviderResponse.Kind, String), batch(BatchResults.Kind, String)

        /// The provider a response body or batch file is from.
        var provider: String? {
            switch self {
            case .response(let kind, _): kind.provider
            case .batch(let kind, _): kind.provider
            case .flags, .json, .stdin: nil
            }
        }
    }

    var source: Source {
        if json != nil { return .json }
        if stdin { return .stdin }
        if let openaiResponse { return .response(.openai, openaiResponse) }
        if let anthropicResponse { return .response(.anthropic, anthropicResponse) }
        if let geminiResponse { return .response(.gemini, geminiResponse) }
        if let openaiBatchOutput { return .batch(.openAIBatchOutput, openaiBatchOutput) }
        if let anthropicBatchResults { return .batch(.anthropicBatchResults, anthropicBatchResults) }
        return .flags
    }

    public func validate() throws {
        let batchFiles = [openaiBatchOutput != nil, anthropicBatchResults != nil].filter { $0 }.count
        let modes = [json != nil, stdin, openaiResponse != nil, anthropicResponse != nil, geminiResponse != nil].filter { $0 }.count + batchFiles
        if modes > 1 {
            throw ValidationError(
                "give one input: --json, --stdin, --openai-response, --anthropic-response, --gemini-response, --openai-batch-output "
                    + "or --anthropic-batch-results")
        }
        if batchFiles > 0 && (id != nil || ts != nil) {
            throw ValidationError("--id and --ts name one event; a batch file's events take theirs from each line")
        }
        if modes == 1 && fields.any {
            throw ValidationError("event flags (--provider, --model, --input, …) describe one event; with --json, --stdin or a response the input carries the event")
        }
        if rejectFile != nil && !stdin {
            throw ValidationError("--reject-file works with --stdin (one event per line); other inputs are all-or-nothing")
        }
        if stdin && (id != nil || ts != nil) { throw ValidationError("--id and --ts name one event; with --stdin put them in each line") }
        if modes == 0 { _ = try fields.event() }
        if let ts, Timestamp.parseDateOrTimestamp(ts) == nil {
            throw ValidationError("--ts expects an RFC 3339 timestamp like 2026-11-03T14:22:05.123Z, got '\(ts)'")
        }
        for tag in tags {
            do { _ = try DefaultTags.parsePair(tag) } catch { throw ValidationError(error) }
        }
    }

    public func run() throws {
        let environment = Invocation.current.environment
        let costRepository = try repository.repository()
        // One event from flags or a response: its provider is known before the cards are read.
        let appender =
            if let provider = fields.provider ?? source.provider {
                try LedgerAppender(repository: costRepository, provider: provider)
            } else {
                try LedgerAppender(repository: costRepository)
            }
        var settings = AppendSettings(
            now: Timestamp.now(),
            // The code the command was started from, even under `spend -C COST-REPO append`.
            code: CodeVersion.detect(directory: Invocation.current.startDirectory, environment: environment),
            defaultTags: try DefaultTags.parse(list: environment["SPEND_TAGS"], pairs: tags))
        settings.price = !noPrice
        settings.sync = sync
        settings.skipDuplicates = skipDuplicates
        settings.writePhaseProbe = WritePhaseProbe(environment: environment)

        if stdin, let rejectFile {
            let bytes = try Self.readStandardInput()
            let (events, warnings, rejected) = try bytes.withUnsafeBytes { buffer throws(SpendError) in
                try appender.prepareKeepingValid(jsonLines: buffer, path: "<stdin>", settings: settings)
            }
            try finishKeepingValid(appender, events, warnings, rejected, settings, rejectFile: rejectFile)
            return
        }
        if stdin {
            let bytes = try Self.readStandardInput()
            let (events, warnings) = try bytes.withUnsafeBytes { buffer throws(SpendError) in
                try appender.prepare(jsonLines: buffer, path: "<stdin>", settings: settings)
            }
            if events.isEmpty {
                if !quiet { Console.err("spend: nothing to append (no events on standard input)") }
                return
            }
            try finish(appender, events, warnings, settings)
            return
        }
        var drafts = try readDrafts()
        if drafts.isEmpty {
            if !quiet { Console.err("spend: nothing to append (the batch file has no lines)") }
            return
        }
        if let id { drafts[0].event.id = id; drafts[0].hasId = true }
        if let ts, let ms = Timestamp.parseDateOrTimestamp(ts) { drafts[0].event.ts = ms; drafts[0].hasTimestamp = true }
        let (events, warnings) = try appender.prepare(drafts, settings: settings)
        try finish(appender, events, warnings, settings)
    }

    /// Prints warnings, then writes (or with --dry-run prints) the events.
    func finish(_ appender: LedgerAppender, _ events: [PreparedEvent], _ warnings: [Diagnostic], _ settings: AppendSettings) throws {
        for w in warnings.prefix(50) { Console.err(w.renderedWithSource) }
        if warnings.count > 50 { Console.err("spend: \(warnings.count - 50) more warnings not shown") }
        let outcome = try appender.write(events, settings: settings, dryRun: dryRun)
        if dryRun {
            var text = ""
            for event in outcome.events { text += String(decoding: event.line, as: UTF8.self) }
            if !text.isEmpty { Console.data(text) }
            if !quiet {
                Console.err(AppendSummary.dryRunNote(outcome))
            }
            return
        }
        if !quiet { Console.out(AppendSummary.summary(outcome)) }
    }

    /// `--reject-file`: prints the rejected lines' errors, writes the valid
    /// events, then (only once they are written) the reject file; exit 1
    /// when a line was rejected.
    func finishKeepingValid(
        _ appender: LedgerAppender, _ events: [PreparedEvent], _ warnings: [Diagnostic], _ rejected: [RejectedRecord],
        _ settings: AppendSettings, rejectFile: String
    ) throws {
        let diagnostics = rejected.flatMap(\.diagnostics)
        for d in diagnostics.prefix(50) { Console.err(d.renderedWithSource) }
        if diagnostics.count > 50 { Console.err("spend: \(diagnostics.count - 50) more errors not shown") }
        if !events.isEmpty {
            try finish(appender, events, warnings, settings)
        } else {
            for w in warnings.prefix(50) { Console.err(w.renderedWithSource) }
        }
        let path = Invocation.current.resolve(rejectFile)
        if !dryRun { try RejectFile.write(rejected, to: path) }
        if !rejected.isEmpty {
            let n = rejected.count
            let fate = dryRun ? "dry run: \(rejectFile) not written" : "written to \(rejectFile)"
            Console.err(TerminalText.escaped("spend: rejected \(n) line\(n == 1 ? "" : "s") (\(fate))"))
            throw ExitCode(1)
        }
    }

    func readDrafts() throws -> [EventDraft] {
        switch source {
        case .flags:
            return [EventDraft(event: try fields.event(), hasTimestamp: false, hasId: false, origin: EventOrigin(path: "<flags>"))]
        case .json:
            let bytes = Array(json!.utf8)
            if bytes.contains(10) && bytes.split(separator: 10).filter({ !$0.allSatisfy { $0 == 32 || $0 == 9 || $0 == 13 } }).count > 1 {
                throw SpendError.usage("--json takes one event on one line; use --stdin for JSON Lines")
            }
            let drafts = try Self.parse(bytes, path: "<json>", numbered: true)
            guard !drafts.isEmpty else { throw SpendError.usage("--json is empty") }
            return drafts
        case .stdin:
            preconditionFailure("--stdin is prepared in parallel by run()")
        case .response(let kind, let file):
            let body = file == "-" ? try Self.readStandardInput() : try Self.readFile(file)
            do {
                return [try ProviderResponse.draft(kind, body: body, path: file == "-" ? "<stdin>" : file)]
            } catch {
                throw SpendError.input(Self.namingTheFlag(error.diagnostics, body: body))
            }
        case .batch(let kind, let file):
            let body = file == "-" ? try Self.readStandardInput() : try Self.readFile(file)
            do {
                return try BatchResults.drafts(kind, body: body, path: file == "-" ? "<stdin>" : file)
            } catch {
                throw SpendError.input(Self.namingTheFlag(error.diagnostics, body: body), omitted: error.omitted)
            }
        }
    }

    /// The input flag that reads a body of `shape`.
    static func flag(for input: ResponseShape.Input) -> String {
        switch input {
        case .response(.openai): "--openai-response"
        case .response(.anthropic): "--anthropic-response"
        case .response(.gemini): "--gemini-response"
        case .openAIBatchOutput: "--openai-batch-output"
        case .anthropicBatchResults: "--anthropic-batch-results"
        }
    }

    /// A body given to the wrong flag: the library's "this looks like …"
    /// gets the flag that reads it.
    static func namingTheFlag(_ diagnostics: [Diagnostic], body: [UInt8]) -> [Diagnostic] {
        guard diagnostics.contains(where: { $0.message.hasPrefix("this looks like ") }), let shape = ResponseShape.detect(body: body)
        else { return diagnostics }
        return diagnostics.map { d in
            var named = d
            if d.message.hasPrefix("this looks like ") { named.message += ": use \(flag(for: shape.input))" }
            return named
        }
    }

    static func parse(_ bytes: [UInt8], path: String, numbered: Bool) throws -> [EventDraft] {
        let result = bytes.withUnsafeBytes { DraftReader.read($0, path: path, numbered: numbered) }
        switch result {
        case .success(let drafts): return drafts
        case .failure(let error): throw SpendError.input(error.diagnostics, omitted: error.omitted)
        }
    }

    /// The invocation's standard input, whole (a leading UTF-8 byte-order mark skipped).
    static func readStandardInput() throws -> [UInt8] {
        switch Invocation.current.standardInput {
        case .bytes(let bytes): return ByteOrderMark.removingLeading(bytes)
        case .fileDescriptor(let fd): return ByteOrderMark.removingLeading(try readAll(fd: fd, name: "standard input"))
        }
    }

    static func readAll(fd: Int32, name: String) throws -> [UInt8] {
        var bytes: [UInt8] = []
        var info = stat()
        if fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG { bytes.reserveCapacity(Int(info.st_size) + 1) }
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SpendError.usage("cannot read \(name): \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            bytes += chunk[0..<n]
        }
        return bytes
    }

    /// A file, whole (a leading UTF-8 byte-order mark skipped).
    static func readFile(_ path: String) throws -> [UInt8] {
        do {
            let file = try MappedFile(path: Invocation.current.resolve(path))
            return file.withBytes { ByteOrderMark.starts($0) ? Array($0.dropFirst(ByteOrderMark.bytes.count)) : Array($0) }
        } catch {
            throw SpendError.usage("cannot read \(path): \(error)")
        }
    }
}
