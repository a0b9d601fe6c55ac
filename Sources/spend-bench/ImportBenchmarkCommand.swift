import ArgumentParser
import Foundation
import SpendCLI
import SpendCore

/// `spend-bench import otel|litellm`: generate an OTLP/JSON trace file or a
/// LiteLLM spend-log list of N records and time `spend import` on it (into
/// an empty ledger, then again when every record is already present), with
/// the peak memory of the import process.
public struct ImportBenchmarkCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Time `spend import otel|litellm` over a generated file of N records.")

    @Argument(help: "otel or litellm.")
    public var source: String

    @Option(help: "Records in the generated file.")
    public var records: Int = 1_000_000

    @Option(help: "Timed imports into an empty ledger (the median is reported).")
    public var runs: Int = 3

    @Option(help: "Where to build the benchmark repository (the generated file is kept between runs).")
    public var dir: String = "/tmp/spend-bench-import"

    @OptionGroup public var target: BenchmarkTarget

    public init() {}

    public func validate() throws {
        guard source == "otel" || source == "litellm" else { throw ValidationError("the source is otel or litellm") }
    }

    public func run() throws {
        let fm = FileManager.default
        let spendPath = target.spendPath
        let sourceRoot = try target.sourceRoot()
        if !fm.fileExists(atPath: dir + "/.git") {
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
            _ = try GitRepository.initialize(at: dir)
        }
        try? fm.removeItem(atPath: dir + "/ratecards")
        try fm.copyItem(atPath: sourceRoot + "/ratecards", toPath: dir + "/ratecards")
        let file = "\(dir)/\(source)-\(records).\(source == "otel" ? "jsonl" : "json")"
        if !fm.fileExists(atPath: file) {
            if source == "otel" { try Self.writeOtel(file, records: records) } else { try Self.writeLiteLLM(file, records: records) }
        }
        let size = (try fm.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
        Console.out(
            "\(source): \(records) records, \(String(format: "%.1f", Double(size) / 1e6)) MB; \(ProcessInfo.processInfo.activeProcessorCount) cores")
        let arguments = ["import", "-C", dir, "-q", source, file]
        var times: [Double] = []
        for _ in 0..<runs {
            try? fm.removeItem(atPath: dir + "/ledger")
            times.append(try AppendBenchmarkCommand.timed(spendPath, arguments))
        }
        times.sort()
        let median = times[times.count / 2]
        let again = try AppendBenchmarkCommand.timed(spendPath, arguments)
        var usage = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &usage)
        Console.out(
            String(
                format: "spend import %@ (%d records, into an empty ledger): median %.2f s of %d (min %.2f) — %.0f records/s",
                source, records, median, runs, times.first!, Double(records) / median))
        Console.out(
            String(format: "spend import %@ again (all %d already present): %.2f s — %.0f records/s", source, records, again, Double(records) / again))
        Console.out(String(format: "peak memory of an import process: %.0f MB", Double(usage.ru_maxrss) / 1024))
    }

    /// Writes text in ~8 MB pieces (the file is never held whole).
    struct Writer {
        let handle: FileHandle
        var buffer: [UInt8] = []

        init(_ path: String) throws {
            FileManager.default.createFile(atPath: path, contents: nil)
            guard let handle = FileHandle(forWritingAtPath: path) else { throw ValidationError("cannot write \(path)") }
            self.handle = handle
            buffer.reserveCapacity(9 << 20)
        }

        mutating func add(_ text: String) {
            buffer.append(contentsOf: text.utf8)
            if buffer.count > 8 << 20 { flush() }
        }

        mutating func flush() {
            handle.write(Data(buffer))
            buffer.removeAll(keepingCapacity: true)
        }

        mutating func close() {
            flush()
            try? handle.close()
        }
    }

    /// A model, its provider, and whether it reports cache reads/writes.
    static let models: [(provider: String, model: String, cache: Bool)] = [
        ("openai", "gpt-4o-2024-08-06", false), ("openai", "gpt-4o-mini", false), ("anthropic", "claude-sonnet-4-5", true),
        ("openai", "gpt-4.1-mini", false),
    ]

    /// Deterministic counts for record `i`.
    static func counts(_ i: Int) -> (input: Int, cached: Int, write: Int, output: Int) {
        let input = 200 + (i * 7919) % 6000
        let cached = (i % 3 == 0) ? input / 2 : 0
        let write = (i % 5 == 0) ? input / 10 : 0
        return (input, cached, write, 20 + (i * 104_729) % 900)
    }

    /// November 2026, one record every ~2.5 s.
    static func nanos(_ i: Int) -> Int64 { 1_793_491_200_000_000_000 + Int64(i) * 2_500_000_000 }

    /// OTLP/JSON, 20 spans per line (a Collector batch), one resource per line.
    static func writeOtel(_ path: String, records: Int) throws {
        var w = try Writer(path)
        let teams = ["checkout", "search", "support", "growth"]
        var i = 0
        while i < records {
            let n = min(20, records - i)
            var line =
                "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":\"\(teams[(i / 20) % 4])\"}},"
                + "{\"key\":\"deployment.environment.name\",\"value\":{\"stringValue\":\"prod\"}}]},\"scopeSpans\":[{\"scope\":{\"name\":\"opentelemetry.instrumentation.openai_v2\"},\"spans\":["
            for k in 0..<n {
                let r = i + k
                let m = models[r % models.count]
                let c = counts(r)
                let start = nanos(r)
                if k > 0 { line += "," }
                line += "{\"traceId\":\"\(String(format: "%032x", r / 4))\",\"spanId\":\"\(String(format: "%016x", r))\",\"name\":\"chat \(m.model)\",\"kind\":3,"
                line += "\"startTimeUnixNano\":\"\(start)\",\"endTimeUnixNano\":\"\(start + 812_000_000)\",\"attributes\":["
                line += "{\"key\":\"gen_ai.operation.name\",\"value\":{\"stringValue\":\"chat\"}},"
                line += "{\"key\":\"gen_ai.provider.name\",\"value\":{\"stringValue\":\"\(m.provider)\"}},"
                line += "{\"key\":\"gen_ai.request.model\",\"value\":{\"stringValue\":\"\(m.model)\"}},"
                line += "{\"key\":\"gen_ai.response.model\",\"value\":{\"stringValue\":\"\(m.model)\"}},"
                line += "{\"key\":\"gen_ai.response.id\",\"value\":{\"stringValue\":\"resp-\(r)\"}},"
                line += "{\"key\":\"gen_ai.usage.input_tokens\",\"value\":{\"intValue\":\"\(c.input)\"}},"
                if m.cache {
                    line += "{\"key\":\"gen_ai.usage.cache_read.input_tokens\",\"value\":{\"intValue\":\"\(c.cached)\"}},"
                    line += "{\"key\":\"gen_ai.usage.cache_creation.input_tokens\",\"value\":{\"intValue\":\"\(c.write)\"}},"
                }
                line += "{\"key\":\"gen_ai.usage.output_tokens\",\"value\":{\"intValue\":\"\(c.output)\"}},"
                line += "{\"key\":\"gen_ai.response.finish_reasons\",\"value\":{\"arrayValue\":{\"values\":[{\"stringValue\":\"stop\"}]}}}],\"status\":{}}"
            }
            line += "]}]}]}\n"
            w.add(line)
            i += n
        }
        w.close()
    }

    /// A LiteLLM `/spend/logs` list, one compact row per line.
    static func writeLiteLLM(_ path: String, records: Int) throws {
        var w = try Writer(path)
        w.add("[\n")
        let teams = ["checkout", "search", "support", "growth"]
        for r in 0..<records {
            let m = models[r % models.count]
            let c = counts(r)
            let prompt = c.input + (m.cache ? c.cached + c.write : 0)
            let start = Timestamp.format(millis: nanos(r) / 1_000_000)
            let end = Timestamp.format(millis: nanos(r) / 1_000_000 + 812)
            var usage = "{\"prompt_tokens\":\(prompt),\"completion_tokens\":\(c.output),\"total_tokens\":\(prompt + c.output)"
            if m.cache { usage += ",\"cache_read_input_tokens\":\(c.cached),\"cache_creation_input_tokens\":\(c.write)" }
            usage += "}"
            var row = r == 0 ? "" : ",\n"
            row += "{\"request_id\":\"req-\(r)\",\"call_type\":\"acompletion\",\"api_key\":\"88dc28d0f030c55ed4ab77ed8faf0981\",\"spend\":0.00123,"
            row += "\"total_tokens\":\(prompt + c.output),\"prompt_tokens\":\(prompt),\"completion_tokens\":\(c.output),"
            row += "\"startTime\":\"\(start)\",\"endTime\":\"\(end)\",\"model\":\"\(m.model)\",\"model_group\":\"\(m.model)\","
            row += "\"custom_llm_provider\":\"\(m.provider)\",\"api_base\":\"\",\"user\":\"\",\"metadata\":{\"user_api_key_team_alias\":\"\(teams[r % 4])\","
            row += "\"status\":\"success\",\"usage_object\":\(usage)},\"cache_hit\":\"False\",\"cache_key\":\"\",\"request_tags\":[\"feature:chat\"],"
            row += "\"team_id\":\"team-\(r % 4)\",\"end_user\":\"\",\"requester_ip_address\":\"\",\"status\":\"success\",\"session_id\":\"\"}"
            w.add(row)
        }
        w.add("\n]\n")
        w.close()
    }
}
