import Foundation
import SpendTestSupport
import XCTest

@testable import SpendCore

/// The pieces of `spend append`: `DraftReader`, `ProviderResponse`,
/// `EventIdentifier`, `LedgerAppender.prepare`, `ShardWriter` and `IdIndex`.
final class AppendCoreTests: XCTestCase {
    static let responses = TestSupport.packageRoot + "/Tests/Fixtures/responses/"

    // MARK: Helpers

    func read(_ text: String, path: String = "<stdin>", numbered: Bool = true) -> Result<[EventDraft], DiagnosticsError> {
        Array(text.utf8).withUnsafeBytes { DraftReader.read($0, path: path, numbered: numbered) }
    }

    func drafts(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> [EventDraft] {
        switch read(text) {
        case .success(let d): return d
        case .failure(let e):
            XCTFail("unexpected: \(e)", file: file, line: line)
            return []
        }
    }

    func problems(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> [Diagnostic] {
        switch read(text) {
        case .success(let d):
            XCTFail("expected errors, got \(d.count) drafts", file: file, line: line)
            return []
        case .failure(let e): return e.diagnostics
        }
    }

    func response(_ kind: ProviderResponse.Kind, _ json: String, path: String = "r.json") -> Result<EventDraft, DiagnosticsError> {
        do throws(DiagnosticsError) {
            return .success(try ProviderResponse.draft(kind, body: Array(json.utf8), path: path))
        } catch {
            return .failure(error)
        }
    }

    func fixture(_ name: String) throws -> String {
        try String(contentsOfFile: Self.responses + name, encoding: .utf8)
    }

    /// The single `response` diagnostic of a rejected body.
    func responseError(_ kind: ProviderResponse.Kind, _ json: String, file: StaticString = #filePath, line: UInt = #line) -> Diagnostic? {
        switch response(kind, json) {
        case .success(let d):
            XCTFail("expected a rejection, got \(d.event.jsonLine)", file: file, line: line)
            return nil
        case .failure(let e):
            XCTAssertEqual(e.diagnostics.count, 1, file: file, line: line)
            XCTAssertEqual(e.diagnostics.first?.rule, "response", file: file, line: line)
            return e.diagnostics.first
        }
    }

    /// A temporary cost repository with the bundled rate cards and an optional spend.toml.
    func costRepository(policy: String? = nil) throws -> CostRepository {
        let dir = try TestSupport.temporaryDirectory()
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/ratecards", withIntermediateDirectories: true)
        for name in TestSupport.bundledCardNames {
            try FileManager.default.copyItem(atPath: TestSupport.packageRoot + "/ratecards/" + name, toPath: dir + "/ratecards/" + name)
        }
        if let policy { try policy.write(toFile: dir + "/spend.toml", atomically: true, encoding: .utf8) }
        return try CostRepository(directory: dir)
    }

    /// `git hash-object FILE`, computed by git itself.
    func gitBlobID(_ path: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "hash-object", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// One provider's events read only its card; a card file named after the
    /// provider that declares another provider, or no such file, reads every card.
    func testAnAppenderForOneProviderReadsOnlyItsCard() throws {
        let repository = try costRepository()
        XCTAssertEqual(try LedgerAppender(repository: repository, provider: "openai").book.cards.map(\.provider), ["openai"])
        XCTAssertEqual(try LedgerAppender(repository: repository, provider: "mistral").book.cards.count, TestSupport.bundledCardNames.count)
        let openai = try String(contentsOfFile: repository.root + "/ratecards/openai.toml", encoding: .utf8)
        try FileManager.default.moveItem(atPath: repository.root + "/ratecards/openai.toml", toPath: repository.root + "/ratecards/renamed.toml")
        try openai.replacingOccurrences(of: "provider = \"openai\"", with: "provider = \"acme\"")
            .write(toFile: repository.root + "/ratecards/openai.toml", atomically: true, encoding: .utf8)
        let appender = try LedgerAppender(repository: repository, provider: "openai")
        XCTAssertEqual(appender.book.cards.count, TestSupport.bundledCardNames.count + 1)
        XCTAssertNotNil(appender.book.card(provider: "openai"))
    }

    func prepare(_ appender: LedgerAppender, _ drafts: [EventDraft], _ settings: AppendSettings) -> Result<(events: [PreparedEvent], warnings: [Diagnostic]), SpendError> {
        do throws(SpendError) {
            return .success(try appender.prepare(drafts, settings: settings))
        } catch {
            return .failure(error)
        }
    }

    func inputDiagnostics(_ error: SpendError, file: StaticString = #filePath, line: UInt = #line) -> [Diagnostic] {
        guard case .input(let d, _) = error else {
            XCTFail("expected input diagnostics, got \(error)", file: file, line: line)
            return []
        }
        return d
    }

    static let settings = AppendSettings(now: TestSupport.ms("2026-11-20T08:00:00.250Z"), code: CodeVersion(commit: "c1", release: "v1"))

    static let policy = """
        [policy]
        required_tags = ["team"]

        [policy.tags.env]
        allowed = ["prod", "dev"]

        [policy.limits]
        max_input_tokens = 1000

        """

    // MARK: DraftReader

    func testDraftReaderLeavesTsIdAndTagsToTheAppender() throws {
        let d = try drafts(
            """
            {"provider":"openai","model":"gpt-4o","input_tokens":10,"output_tokens":2}

            {"ts":"2026-11-03T14:22:05.123+01:00","id":"x1","provider":"anthropic","model":"claude-sonnet-4-0","input_tokens":1,"output_tokens":0,"tags":{"team":"a"},"cost":"0.5"}
            """)
        XCTAssertEqual(d.count, 2)
        XCTAssertFalse(d[0].hasTimestamp)
        XCTAssertFalse(d[0].hasId)
        XCTAssertEqual(d[0].event.ts, 0)
        XCTAssertEqual(d[0].event.tags, [:])
        XCTAssertEqual(d[0].origin, EventOrigin(path: "<stdin>", line: 1))
        XCTAssertTrue(d[1].hasTimestamp)
        XCTAssertTrue(d[1].hasId)
        XCTAssertEqual(d[1].event.ts, TestSupport.ms("2026-11-03T13:22:05.123Z"))
        XCTAssertEqual(d[1].event.id, "x1")
        XCTAssertEqual(d[1].event.cost, .d("0.5"))
        XCTAssertEqual(d[1].event.tags, ["team": "a"])
        XCTAssertEqual(d[1].origin.line, 3, "blank lines count")
        // Not numbered (a single --json object): no line.
        guard case .success(let one) = read(#"{"provider":"openai","model":"gpt-4o","input_tokens":10,"output_tokens":2}"#, path: "<json>", numbered: false) else {
            return XCTFail()
        }
        XCTAssertNil(one[0].origin.line)
        XCTAssertEqual(one[0].origin.path, "<json>")
    }

    func testDraftReaderReportsEveryBadLineWithLineAndColumn() throws {
        let text = """
            {"provider":"openai","model":"gpt-4o","input_tokens":10,"output_tokens":2}
            {"provider":"openai","model":"gpt-4o","input_tokens":-1,"output_tokens":2}
            {"provider":"openai","model":"gpt-4o","input_tokens":1 "output_tokens":2}
            {"provider":"openai","model":"gpt-4o","input_tokens":1,"output_tokens":2,"colour":"red"}
            {"provider":"openai","input_tokens":1,"output_tokens":2}
            {"provider":"openai","model":"gpt-4o","input_tokens":10,"output_tokens":2}
            """
        let p = problems(text)
        XCTAssertEqual(p.map(\.rule), ["schema", "json", "schema", "schema"])
        XCTAssertEqual(p.map(\.line), [2, 3, 4, 5])
        XCTAssertEqual(p[0].column, 54)
        XCTAssertEqual(p[0].message, "input_tokens must be a non-negative integer")
        XCTAssertEqual(p[1].column, 56)
        XCTAssertEqual(p[1].message, "expected ',' or '}'")
        XCTAssertEqual(p[1].sourceLine, #"{"provider":"openai","model":"gpt-4o","input_tokens":1 "output_tokens":2}"#)
        XCTAssertEqual(p[2].column, 74)
        XCTAssertTrue(p[2].message.hasPrefix("unknown key \"colour\""), p[2].message)
        XCTAssertTrue(p[3].message.contains("model"), p[3].message)
        XCTAssertTrue(p.allSatisfy { $0.path == "<stdin>" })
    }

    func testDraftReaderRejectsWhatALedgerLineMayNotHold() {
        let cases: [(String, String)] = [
            (#"{"provider":"openai","model":"gpt-4o","input_tokens":1,"output_tokens":2,"model":"x"}"#, "json"),
            (#"{"provider":"openai","model":"gpt-4o","input_tokens":1.5,"output_tokens":2}"#, "schema"),
            (#"{"provider":"openai","model":"gpt-4o","input_tokens":1,"output_tokens":2,"tags":{"team":1}}"#, "schema"),
            (#"{"provider":"openai","model":"gpt-4o","input_tokens":1,"output_tokens":2,"cost":0.5}"#, "schema"),
            (#"{"ts":"2026-13-01","provider":"openai","model":"gpt-4o","input_tokens":1,"output_tokens":2}"#, "timestamp"),
            (#"{"provider":"openai","model":"gpt-4o","input_tokens":1,"output_tokens":2} x"#, "json"),
            (#"[1,2]"#, "json"),
            (#"{"provider":"open\ud800","model":"gpt-4o","input_tokens":1,"output_tokens":2}"#, "json"),
        ]
        for (line, rule) in cases {
            let p = problems(line)
            XCTAssertEqual(p.first?.rule.id, rule, "\(line): \(p)")
        }
    }

    // MARK: ProviderResponse

    func testOpenAIChatCompletionIsNormalizedToDisjointCounts() throws {
        guard case .success(let d) = response(.openai, try fixture("openai-chat-completion.json")) else { return XCTFail() }
        XCTAssertEqual(d.event.id, "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG")
        XCTAssertTrue(d.hasId)
        XCTAssertEqual(d.event.provider, "openai")
        XCTAssertEqual(d.event.model, "gpt-4o-2024-08-06")
        XCTAssertEqual(d.event.inputTokens, 2006 - 1920)
        XCTAssertEqual(d.event.cachedInputTokens, 1920)
        XCTAssertNil(d.event.cacheWriteTokens)
        XCTAssertEqual(d.event.outputTokens, 300)
        XCTAssertNil(d.event.serviceTier)
        XCTAssertTrue(d.hasTimestamp)
        XCTAssertEqual(d.event.ts, 1_764_064_800_000)
        XCTAssertEqual(d.origin, EventOrigin(path: "r.json"))
    }

    func testOpenAIResponsesAPI() throws {
        guard case .success(let d) = response(.openai, try fixture("openai-responses.json")) else { return XCTFail() }
        XCTAssertEqual(d.event.id, "resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b")
        XCTAssertEqual(d.event.model, "o3-2025-04-16")
        XCTAssertEqual(d.event.inputTokens, 6000)
        XCTAssertEqual(d.event.cachedInputTokens, 4000)
        XCTAssertEqual(d.event.outputTokens, 2500, "reasoning is part of output")
        XCTAssertEqual(d.event.serviceTier, "flex")
        XCTAssertEqual(d.event.ts, 1_764_068_400_000)
        XCTAssertNil(d.event.status)
        XCTAssertNil(d.event.toolCalls)

        // Hosted web searches are priced calls; a failed response is an error event.
        let body = """
            {"id":"resp_1","object":"response","created_at":1764068400,"status":"failed","model":"gpt-4.1",
             "output":[{"type":"web_search_call","id":"ws_1"},{"type":"web_search_call","id":"ws_2"},{"type":"message"}],
             "usage":{"input_tokens":0,"output_tokens":0,"input_tokens_details":{"cached_tokens":0}}}
            """
        guard case .success(let f) = response(.openai, body) else { return XCTFail() }
        XCTAssertEqual(f.event.toolCalls, ["web_search": 2])
        XCTAssertEqual(f.event.status, "error")
        XCTAssertEqual(f.event.inputTokens, 0)
        XCTAssertNil(f.event.cachedInputTokens)
    }

    func testAnthropicMessage() throws {
        guard case .success(let d) = response(.anthropic, try fixture("anthropic-message.json")) else { return XCTFail() }
        XCTAssertEqual(d.event.id, "msg_01XFDUDYJgAACzvnptvVoYEL")
        XCTAssertEqual(d.event.provider, "anthropic")
        XCTAssertEqual(d.event.model, "claude-sonnet-4-20250514")
        XCTAssertEqual(d.event.inputTokens, 2095)
        XCTAssertEqual(d.event.cachedInputTokens, 48000)
        XCTAssertEqual(d.event.cacheWriteTokens, 12000)
        XCTAssertEqual(d.event.outputTokens, 503)
        XCTAssertEqual(d.event.toolCalls, ["web_search": 2])
        XCTAssertNil(d.event.serviceTier)
        XCTAssertNil(d.event.batch)
        XCTAssertFalse(d.hasTimestamp, "a Messages body has no time")

        // Batch results, null cache fields, no server tools.
        let batch = #"{"id":"msg_b","model":"claude-sonnet-4-0","usage":{"input_tokens":10,"output_tokens":1,"cache_creation_input_tokens":null,"cache_read_input_tokens":0,"service_tier":"batch"}}"#
        guard case .success(let b) = response(.anthropic, batch) else { return XCTFail() }
        XCTAssertEqual(b.event.batch, true)
        XCTAssertNil(b.event.serviceTier)
        XCTAssertNil(b.event.cachedInputTokens)
        XCTAssertNil(b.event.cacheWriteTokens)
        XCTAssertNil(b.event.toolCalls)
        let priority = #"{"id":"msg_p","model":"claude-sonnet-4-0","usage":{"input_tokens":10,"output_tokens":1,"service_tier":"priority"}}"#
        guard case .success(let p) = response(.anthropic, priority) else { return XCTFail() }
        XCTAssertEqual(p.event.serviceTier, "priority")
    }

    func testOpenAIEmbeddingsHaveNoOutput() throws {
        guard case .success(let d) = response(.openai, try fixture("openai-embeddings.json")) else { return XCTFail() }
        XCTAssertEqual(d.event.model, "text-embedding-3-small")
        XCTAssertEqual(d.event.inputTokens, 12000)
        XCTAssertEqual(d.event.outputTokens, 0)
        XCTAssertNil(d.event.cachedInputTokens)
        XCTAssertFalse(d.hasId, "an embeddings body has no id")
        XCTAssertFalse(d.hasTimestamp, "nor a time")
        // A chat body without completion_tokens is still incomplete.
        XCTAssertEqual(responseError(.openai, #"{"object":"chat.completion","model":"gpt-4o","usage":{"prompt_tokens":1}}"#)?.message, "usage.completion_tokens is missing")
    }

    func testOpenAIResponsesHostedToolCallsAndReasoning() throws {
        guard case .success(let d) = response(.openai, try fixture("openai-responses-tools.json")) else { return XCTFail() }
        XCTAssertEqual(d.event.toolCalls, ["web_search": 2], "function calls bill only their tokens")
        XCTAssertEqual(d.event.inputTokens, 12000)
        XCTAssertEqual(d.event.cachedInputTokens, 8000)
        XCTAssertEqual(d.event.outputTokens, 1500, "1,024 reasoning tokens are inside the output count")
        XCTAssertNil(d.event.serviceTier, "\"default\" is the standard tier")

        let kinds = """
            {"object":"response","model":"gpt-5","output":[{"type":"file_search_call"},{"type":"code_interpreter_call"},
             {"type":"image_generation_call"},{"type":"file_search_call"},{"type":"computer_call"},{"type":"mcp_call"}],
             "usage":{"input_tokens":1,"output_tokens":1}}
            """
        guard case .success(let k) = response(.openai, kinds) else { return XCTFail() }
        XCTAssertEqual(k.event.toolCalls, ["file_search": 2, "code_interpreter": 1, "image_generation": 1])

        let tooMuchReasoning = #"{"object":"response","model":"o3","usage":{"input_tokens":1,"output_tokens":10,"output_tokens_details":{"reasoning_tokens":11}}}"#
        XCTAssertEqual(responseError(.openai, tooMuchReasoning)?.message, "usage.output_tokens_details.reasoning_tokens (11) exceeds usage.output_tokens (10)")
    }

    func testOpenAIAudioTokensAreRefusedUntilPriced() throws {
        XCTAssertEqual(
            responseError(.openai, try fixture("openai-chat-audio.json"))?.message,
            "usage.prompt_tokens_details.audio_tokens is 480: audio tokens bill at audio rates, which rate cards do not price yet; "
                + "this call cannot be recorded from its body")
        let output = #"{"model":"gpt-4o-audio-preview","usage":{"prompt_tokens":5,"completion_tokens":9,"prompt_tokens_details":{"audio_tokens":0},"completion_tokens_details":{"audio_tokens":9}}}"#
        XCTAssertTrue(responseError(.openai, output)?.message.hasPrefix("usage.completion_tokens_details.audio_tokens is 9: audio tokens") ?? false)
        // Zero audio tokens are an ordinary text call.
        let zero = #"{"model":"gpt-4o","usage":{"prompt_tokens":5,"completion_tokens":9,"prompt_tokens_details":{"audio_tokens":0},"completion_tokens_details":{"audio_tokens":0}}}"#
        guard case .success = response(.openai, zero) else { return XCTFail() }
    }

    func testGeminiGenerateContent() throws {
        guard case .success(let d) = response(.gemini, try fixture("gemini-generate-content.json")) else { return XCTFail() }
        XCTAssertEqual(d.event.provider, "google")
        XCTAssertEqual(d.event.model, "gemini-2.5-flash")
        XCTAssertEqual(d.event.id, "mPcxaJ3rEpWJ1MkP6pK8qAQ")
        XCTAssertEqual(d.event.inputTokens, 12000 - 8000 + 400, "cached content is inside the prompt count; tool-use prompt tokens are input")
        XCTAssertEqual(d.event.cachedInputTokens, 8000)
        XCTAssertEqual(d.event.outputTokens, 600 + 900, "thoughts bill as output")
        XCTAssertFalse(d.hasTimestamp, "the Gemini API body has no time")

        guard case .success(let v) = response(.gemini, try fixture("vertex-generate-content.json")) else { return XCTFail() }
        XCTAssertEqual(v.event.model, "gemini-2.5-pro")
        XCTAssertEqual(v.event.inputTokens, 250000)
        XCTAssertNil(v.event.cachedInputTokens)
        XCTAssertEqual(v.event.outputTokens, 3000)
        XCTAssertTrue(v.hasTimestamp)
        XCTAssertEqual(v.event.ts, 1_764_064_800_123, "Vertex's createTime")

        XCTAssertEqual(responseError(.gemini, #"{"modelVersion":"gemini-2.5-flash","candidates":[]}"#)?.message, "the gemini response has no \"usageMetadata\" object")
        XCTAssertEqual(responseError(.gemini, #"{"usageMetadata":{"promptTokenCount":1}}"#)?.message, "the gemini response has no \"modelVersion\"")
        XCTAssertEqual(
            responseError(.gemini, #"{"modelVersion":"gemini-2.5-flash","usageMetadata":{"promptTokenCount":1,"cachedContentTokenCount":2}}"#)?.message,
            "usageMetadata.cachedContentTokenCount (2) exceeds usageMetadata.promptTokenCount (1)")
        XCTAssertEqual(
            responseError(.gemini, #"{"modelVersion":"gemini-2.5-flash","usageMetadata":{"promptTokenCount":"1"}}"#)?.message,
            #"usageMetadata.promptTokenCount must be a non-negative integer, not "1""#)
        let audio = #"{"modelVersion":"gemini-2.5-flash","usageMetadata":{"promptTokenCount":30,"promptTokensDetails":[{"modality":"TEXT","tokenCount":10},{"modality":"AUDIO","tokenCount":20}]}}"#
        XCTAssertTrue(responseError(.gemini, audio)?.message.hasPrefix("usageMetadata.promptTokensDetails has 20 AUDIO tokens: audio input bills") ?? false)
        XCTAssertEqual(
            responseError(.gemini, #"{"modelVersion":"gemini-2.5-flash","createTime":"yesterday","usageMetadata":{"promptTokenCount":1}}"#)?.message,
            #"createTime ("yesterday") is not an RFC 3339 time within years 0001–9999"#)
        let error = #"{"error":{"code":429,"message":"Resource has been exhausted","status":"RESOURCE_EXHAUSTED"}}"#
        XCTAssertEqual(responseError(.gemini, error)?.message, "the gemini response is an error, not a completion (Resource has been exhausted): it has no usage to record")
    }

    /// A body of another kind is named instead of failing on a missing field.
    func testABodyOfAnotherKindIsNamed() throws {
        let expectations: [(ProviderResponse.Kind, String, String)] = [
            (.anthropic, "openai-chat-completion.json", "this looks like an OpenAI Chat Completions body, not an Anthropic Messages body"),
            (.gemini, "openai-responses.json", "this looks like an OpenAI Responses API body, not a Gemini generateContent body"),
            (.anthropic, "openai-embeddings.json", "this looks like an OpenAI embeddings body, not an Anthropic Messages body"),
            (.openai, "anthropic-message.json", "this looks like an Anthropic Messages body, not an OpenAI Chat Completions, Responses or embeddings body"),
            (.openai, "gemini-generate-content.json", "this looks like a Gemini generateContent body, not an OpenAI Chat Completions, Responses or embeddings body"),
            (.anthropic, "vertex-generate-content.json", "this looks like a Gemini generateContent body, not an Anthropic Messages body"),
        ]
        for (kind, file, message) in expectations {
            XCTAssertEqual(responseError(kind, try fixture(file))?.message, message, file)
        }
        // Batch files (JSON Lines) given as one body.
        let openAIBatch = #"{"id":"batch_req_1","custom_id":"r1","response":{"status_code":200,"body":{}},"error":null}"# + "\n" + #"{"id":"batch_req_2","custom_id":"r2","response":null,"error":null}"#
        XCTAssertEqual(responseError(.openai, openAIBatch)?.message, "this looks like an OpenAI Batch API output file, not an OpenAI Chat Completions, Responses or embeddings body")
        let anthropicBatch = #"{"custom_id":"r1","result":{"type":"succeeded"}}"#
        XCTAssertEqual(responseError(.anthropic, anthropicBatch)?.message, "this looks like an Anthropic Message Batches results file, not an Anthropic Messages body")
        // A body whose keys do not say keeps the field error.
        XCTAssertEqual(responseError(.anthropic, #"{"model":"m","usage":{"output_tokens":1}}"#)?.message, "usage.input_tokens is missing")
    }

    func testAnthropicCacheWritesSplitByTimeToLive() throws {
        guard case .success(let d) = response(.anthropic, try fixture("anthropic-message-cache-1h.json")) else { return XCTFail() }
        XCTAssertEqual(d.event.model, "claude-sonnet-4-5-20250929")
        XCTAssertEqual(d.event.cacheWriteTokens, 10000)
        XCTAssertEqual(d.event.cacheWrite1hTokens, 20000)
        XCTAssertNil(d.event.cachedInputTokens)
        XCTAssertEqual(d.event.inputTokens, 1200)
        // Only 1-hour writes: no cache_write_tokens.
        let only = #"{"type":"message","model":"m","usage":{"input_tokens":1,"output_tokens":1,"cache_creation_input_tokens":7,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":7}}}"#
        guard case .success(let o) = response(.anthropic, only) else { return XCTFail() }
        XCTAssertNil(o.event.cacheWriteTokens)
        XCTAssertEqual(o.event.cacheWrite1hTokens, 7)
        // Without the split object every write is a 5-minute write (the API before 1-hour caching).
        let plain = #"{"type":"message","model":"m","usage":{"input_tokens":1,"output_tokens":1,"cache_creation_input_tokens":7}}"#
        guard case .success(let p) = response(.anthropic, plain) else { return XCTFail() }
        XCTAssertEqual(p.event.cacheWriteTokens, 7)
        XCTAssertNil(p.event.cacheWrite1hTokens)
    }

    /// Counts of 0 and 1 are integers (on Linux an NSNumber 0 or 1 also casts to Bool).
    func testZeroAndOneAreCountsButBooleansAreNot() throws {
        for (input, output) in [(0, 0), (1, 1), (0, 1), (1, 0)] {
            let body = #"{"id":"m","model":"claude-sonnet-4-0","usage":{"input_tokens":\#(input),"output_tokens":\#(output),"cache_creation":{"ephemeral_1h_input_tokens":0},"server_tool_use":{"web_search_requests":1}}}"#
            guard case .success(let d) = response(.anthropic, body) else { return XCTFail(body) }
            XCTAssertEqual(d.event.inputTokens, Int64(input))
            XCTAssertEqual(d.event.outputTokens, Int64(output))
            XCTAssertEqual(d.event.toolCalls, ["web_search": 1])
            let chat = #"{"model":"gpt-4o","usage":{"prompt_tokens":\#(input),"completion_tokens":\#(output),"prompt_tokens_details":{"cached_tokens":\#(input)}}}"#
            guard case .success(let c) = response(.openai, chat) else { return XCTFail(chat) }
            XCTAssertEqual(c.event.inputTokens, 0)
            XCTAssertEqual(c.event.cachedInputTokens, input == 0 ? nil : 1)
            XCTAssertEqual(c.event.outputTokens, Int64(output))
            XCTAssertFalse(c.hasId)
        }
        let bool = responseError(.anthropic, #"{"model":"claude-sonnet-4-0","usage":{"input_tokens":true,"output_tokens":1}}"#)
        XCTAssertEqual(bool?.message, "usage.input_tokens must be a non-negative integer, not true")
        let string = responseError(.anthropic, #"{"model":"claude-sonnet-4-0","usage":{"input_tokens":"3","output_tokens":1}}"#)
        XCTAssertEqual(string?.message, #"usage.input_tokens must be a non-negative integer, not "3""#)
        let fraction = responseError(.openai, #"{"model":"gpt-4o","usage":{"prompt_tokens":1.5,"completion_tokens":1}}"#)
        XCTAssertEqual(fraction?.message, "usage.prompt_tokens must be a non-negative integer, not 1.5")
        let negative = responseError(.openai, #"{"model":"gpt-4o","usage":{"prompt_tokens":1,"completion_tokens":-1}}"#)
        XCTAssertEqual(negative?.message, "usage.completion_tokens must be a non-negative integer, not -1")
    }

    func testResponsesThatCannotBeRecorded() throws {
        let overloaded = responseError(.anthropic, try fixture("anthropic-error.json"))
        XCTAssertEqual(overloaded?.message, "the anthropic response is an error, not a completion (Overloaded): it has no usage to record")
        XCTAssertEqual(overloaded?.path, "r.json")
        XCTAssertNil(overloaded?.line)

        let message = try fixture("anthropic-message.json")
        let hour = message.replacingOccurrences(of: #""ephemeral_1h_input_tokens": 0"#, with: #""ephemeral_1h_input_tokens": 3000"#)
        XCTAssertNotEqual(hour, message)
        XCTAssertEqual(
            responseError(.anthropic, hour)?.message,
            "usage.cache_creation splits 12000 + 3000 cache write tokens, but usage.cache_creation_input_tokens is 12000")

        XCTAssertEqual(
            responseError(.openai, #"{"model":"gpt-4o","usage":{"prompt_tokens":10,"completion_tokens":1,"prompt_tokens_details":{"cached_tokens":11}}}"#)?.message,
            "usage.prompt_tokens_details.cached_tokens (11) exceeds usage.prompt_tokens (10)")
        XCTAssertEqual(responseError(.openai, #"{"model":"gpt-4o"}"#)?.message, "the openai response has no \"usage\" object")
        XCTAssertEqual(responseError(.anthropic, #"{"usage":{"input_tokens":1,"output_tokens":1}}"#)?.message, "the anthropic response has no \"model\"")
        XCTAssertEqual(responseError(.openai, #"{"model":"gpt-4o","usage":{"prompt_tokens":1}}"#)?.message, "usage.completion_tokens is missing")
        XCTAssertEqual(responseError(.openai, "[1]")?.message, "the openai response is not a JSON object")
        XCTAssertTrue(responseError(.openai, #"{"model":"#)?.message.hasPrefix("the openai response is not valid JSON") ?? false)
        let openAIError = #"{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}"#
        XCTAssertEqual(responseError(.openai, openAIError)?.message, "the openai response is an error, not a completion (Rate limit reached): it has no usage to record")
    }

    // MARK: EventIdentifier

    static let crockford = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")

    func decode(_ id: String) -> (millis: Int64, random: [Int])? {
        var digits: [Int] = []
        for c in id {
            guard let d = Self.crockford.firstIndex(of: c) else { return nil }
            digits.append(d)
        }
        guard digits.count == 26 else { return nil }
        let millis = digits.prefix(10).reduce(Int64(0)) { $0 * 32 + Int64($1) }
        return (millis, Array(digits.suffix(16)))
    }

    func testIdsAreULIDsOfTheirMillisecond() {
        var generator = EventIdentifier()
        let samples: [Int64] = [0, 1, TestSupport.ms("2026-11-20T08:00:00.250Z"), (1 << 48) - 1]
        for millis in samples {
            let id = generator.next(millis: millis)
            XCTAssertEqual(id.count, 26)
            XCTAssertEqual(decode(id)?.millis, millis, id)
            XCTAssertTrue(id.first! <= "7", "the first character holds 3 bits: \(id)")
        }
        // Known encoding: the time part of 1469918176385 ms is 01ARYZ6S41 (the ULID spec's example).
        XCTAssertTrue(generator.next(millis: 1_469_918_176_385).hasPrefix("01ARYZ6S41"))
    }

    func testIdsIncreaseWithinAndAcrossMilliseconds() {
        var generator = EventIdentifier()
        let t = TestSupport.ms("2026-11-20T08:00:00Z")
        var ids: [String] = []
        for i in 0..<3000 { ids.append(generator.next(millis: t + Int64(i / 1000))) }
        XCTAssertEqual(ids, ids.sorted(), "strictly increasing")
        XCTAssertEqual(Set(ids).count, ids.count)
        // Within a millisecond only the random part moves, by one.
        XCTAssertEqual(decode(ids[0])?.millis, decode(ids[999])?.millis)
        XCTAssertNotEqual(decode(ids[999])?.millis, decode(ids[1000])?.millis)
        // Two generators (two processes) in the same millisecond do not collide.
        var other = EventIdentifier()
        var one = EventIdentifier()
        XCTAssertNotEqual(one.next(millis: t), other.next(millis: t))
    }

    // MARK: LedgerAppender.prepare

    func testPrepareStampsPricesAndCanonicalizes() throws {
        let repository = try costRepository(policy: Self.policy)
        let appender = try LedgerAppender(repository: repository)
        var settings = Self.settings
        settings.defaultTags = ["team": "platform", "env": "dev"]
        let d = try drafts(
            """
            {"provider":"openai","model":"gpt-4o","input_tokens":800,"output_tokens":50,"tags":{"team":"growth"}}
            {"ts":"2026-10-31T23:30:00-02:00","id":"given","provider":"openai","model":"gpt-4o","input_tokens":800,"output_tokens":50,"commit":"own","cost":"9.99"}
            """)
        guard case .success(let (events, warnings)) = prepare(appender, d, settings) else { return XCTFail() }
        XCTAssertEqual(warnings, [])
        XCTAssertEqual(events.count, 2)
        let blob = try gitBlobID(repository.root + "/ratecards/openai.toml")
        XCTAssertEqual(blob.count, 40)

        let first = events[0]
        XCTAssertEqual(first.shard, "ledger/2026/2026-11.jsonl")
        XCTAssertEqual(first.id.count, 26)
        XCTAssertEqual(decode(first.id)?.millis, settings.now)
        // 800 × 2.50 + 50 × 10.00 = 2,000 + 500 per 1M = 0.0025
        XCTAssertEqual(first.cost, .d("0.0025"))
        XCTAssertEqual(first.origin.line, 1)
        XCTAssertEqual(
            String(decoding: first.line, as: UTF8.self),
            #"{"ts":"2026-11-20T08:00:00.250Z","id":"\#(first.id)","provider":"openai","model":"gpt-4o","input_tokens":800,"output_tokens":50,"tags":{"env":"dev","team":"growth"},"release":"v1","commit":"c1","cost":"0.0025","priced_with":"openai/gpt-4o@2025-08-07 ratecards/openai.toml@\#(blob)"}"# + "\n")

        // Given ts (converted to UTC, so November), id, commit and cost are kept; no priced_with for a given cost.
        let second = events[1]
        XCTAssertEqual(second.shard, "ledger/2026/2026-11.jsonl")
        XCTAssertEqual(second.cost, .d("9.99"))
        XCTAssertEqual(
            String(decoding: second.line, as: UTF8.self),
            #"{"ts":"2026-11-01T01:30:00.000Z","id":"given","provider":"openai","model":"gpt-4o","input_tokens":800,"output_tokens":50,"tags":{"env":"dev","team":"platform"},"release":"v1","commit":"own","cost":"9.99"}"# + "\n")

        // Every written line is a valid ledger event.
        for e in events { XCTAssertNoThrow(try LedgerEvent.parse(line: String(decoding: e.line.dropLast(), as: UTF8.self))) }
    }

    func testPrepareWithoutPricingOrCode() throws {
        let appender = try LedgerAppender(repository: try costRepository())
        var settings = AppendSettings(now: TestSupport.ms("2026-11-20T08:00:00Z"), code: CodeVersion(commit: nil, release: nil))
        settings.price = false
        let d = try drafts(#"{"provider":"anthropic","model":"claude-sonnet-4-0","input_tokens":8000,"output_tokens":1200}"#)
        guard case .success(let (events, _)) = prepare(appender, d, settings) else { return XCTFail() }
        XCTAssertNil(events[0].cost)
        let line = String(decoding: events[0].line, as: UTF8.self)
        XCTAssertFalse(line.contains("cost") || line.contains("priced_with") || line.contains("commit") || line.contains("release"), line)
        // Priced: Claude Sonnet 4 8,000 / 1,200 = 0.024 + 0.018 = 0.042 (FORMAT.md's worked example).
        settings.price = true
        guard case .success(let (priced, _)) = prepare(appender, d, settings) else { return XCTFail() }
        XCTAssertEqual(priced[0].cost, .d("0.042"))
    }

    func testPrepareRejectsTheWholeBatchWithEveryProblem() throws {
        let appender = try LedgerAppender(repository: try costRepository(policy: Self.policy))
        let d = try drafts(
            """
            {"provider":"openai","model":"gpt-4o","input_tokens":1,"output_tokens":1,"tags":{"team":"a"}}
            {"provider":"openai","model":"gpt-4o","input_tokens":1,"output_tokens":1}
            {"provider":"openai","model":"gpt-9","input_tokens":1,"output_tokens":1,"tags":{"team":"a"}}
            {"ts":"2019-01-01T00:00:00Z","provider":"openai","model":"gpt-4o","input_tokens":1,"output_tokens":1,"tags":{"team":"a"}}
            {"provider":"openai","model":"gpt-4o","input_tokens":1,"output_tokens":1,"tags":{"team":"a","env":"qa"}}
            {"provider":"openai","model":"gpt-4o","input_tokens":1,"cache_write_tokens":5,"output_tokens":1,"tags":{"team":"a"}}
            """)
        guard case .failure(let error) = prepare(appender, d, Self.settings) else { return XCTFail("accepted") }
        let p = inputDiagnostics(error)
        XCTAssertEqual(p.map(\.rule), ["tag-required", "unknown-model", "no-price", "tag-allowed", "no-price"])
        XCTAssertEqual(p.map(\.line), [2, 3, 4, 5, 6])
        XCTAssertEqual(p[0].description, "<stdin>:2: error[tag-required]: missing tag \"team\"")
        XCTAssertEqual(p[1].description, "<stdin>:3: error[unknown-model]: model \"gpt-9\" matches no price or alias in ratecards/openai.toml; did you mean gpt-4 or gpt-5?")
        XCTAssertTrue(p[2].message.hasPrefix("no price for openai/gpt-4o in effect at 2019-01-01T00:00:00.000Z"), p[2].message)
    }

    func testPrepareWarnsAboutTheInputLimitWithoutRejecting() throws {
        let appender = try LedgerAppender(repository: try costRepository(policy: Self.policy))
        let d = try drafts(#"{"provider":"openai","model":"gpt-4o","input_tokens":1500,"output_tokens":1,"tags":{"team":"a"}}"#)
        guard case .success(let (events, warnings)) = prepare(appender, d, Self.settings) else { return XCTFail() }
        XCTAssertEqual(events.count, 1)
        XCTAssertEqual(warnings.map(\.rule), ["input-limit"])
        XCTAssertEqual(warnings.first?.severity, .warning)
    }

    // MARK: ShardWriter

    /// A prepared event in November 2026 with this id.
    func prepared(_ id: String, shard: String = "ledger/2026/2026-11.jsonl", line: Int? = nil) -> PreparedEvent {
        let ts = shard.contains("2026-12") ? "2026-12-01T00:00:00.000Z" : "2026-11-01T00:00:00.000Z"
        let text = #"{"ts":"\#(ts)","id":"\#(id)","provider":"openai","model":"gpt-4o","input_tokens":1,"output_tokens":1,"tags":{}}"# + "\n"
        return PreparedEvent(id: id, shard: shard, line: Array(text.utf8), cost: nil, origin: EventOrigin(path: "<stdin>", line: line))
    }

    func write(_ writer: ShardWriter, _ events: [PreparedEvent], skip: Bool = false) -> Result<AppendOutcome, SpendError> {
        do throws(SpendError) {
            return .success(try writer.append(events, skipDuplicates: skip))
        } catch {
            return .failure(error)
        }
    }

    func contents(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }

    func ids(_ path: String) -> [String] {
        (contents(path) ?? "").split(separator: "\n").compactMap { try? LedgerEvent.parse(line: String($0)).id }
    }

    func testShardWriterCreatesShardsAndAppendsInOrder() throws {
        let root = try TestSupport.temporaryDirectory()
        addTeardownBlock { try? FileManager.default.removeItem(atPath: root) }
        for cache in [nil, root + "/.cache/ids"] {
            try? FileManager.default.removeItem(atPath: root + "/ledger")
            let writer = ShardWriter(root: root, cacheDirectory: cache, sync: true)
            guard case .success(let outcome) = write(writer, [prepared("a"), prepared("d", shard: "ledger/2026/2026-12.jsonl"), prepared("b")]) else {
                return XCTFail()
            }
            XCTAssertEqual(outcome.count, 3)
            XCTAssertEqual(outcome.written.map(\.shard), ["ledger/2026/2026-11.jsonl", "ledger/2026/2026-12.jsonl"])
            XCTAssertEqual(outcome.written.map { $0.events.map(\.id) }, [["a", "b"], ["d"]])
            XCTAssertEqual(ids(root + "/ledger/2026/2026-11.jsonl"), ["a", "b"])
            XCTAssertEqual(ids(root + "/ledger/2026/2026-12.jsonl"), ["d"])
            guard case .success = write(writer, [prepared("c")]) else { return XCTFail() }
            XCTAssertEqual(ids(root + "/ledger/2026/2026-11.jsonl"), ["a", "b", "c"])
            XCTAssertEqual(contents(root + "/ledger/2026/2026-11.jsonl")?.last, "\n")
            if let cache {
                let files = try FileManager.default.contentsOfDirectory(atPath: cache).sorted()
                XCTAssertEqual(files.count, 2, "\(files)")
                XCTAssertTrue(files.allSatisfy { $0.hasSuffix(".jsonl.idx") }, "\(files)")
            }
        }
    }

    func testShardWriterRefusesDuplicates() throws {
        let root = try TestSupport.temporaryDirectory()
        addTeardownBlock { try? FileManager.default.removeItem(atPath: root) }
        for cache in [nil, root + "/.cache/ids"] {
            try? FileManager.default.removeItem(atPath: root + "/ledger")
            let writer = ShardWriter(root: root, cacheDirectory: cache, sync: false)
            let shard = root + "/ledger/2026/2026-11.jsonl"
            guard case .success = write(writer, [prepared("a"), prepared("b")]) else { return XCTFail() }
            let before = contents(shard)

            // Against the shard.
            guard case .failure(let e1) = write(writer, [prepared("c", line: 1), prepared("a", line: 2)]) else { return XCTFail() }
            XCTAssertEqual(inputDiagnostics(e1).map(\.description), [#"<stdin>:2: error[duplicate-id]: duplicate id "a": already in ledger/2026/2026-11.jsonl"#])
            XCTAssertEqual(contents(shard), before)
            // Within the batch, whichever shard.
            guard case .failure(let e2) = write(writer, [prepared("x", line: 1), prepared("x", shard: "ledger/2026/2026-12.jsonl", line: 2)]) else {
                return XCTFail()
            }
            XCTAssertEqual(inputDiagnostics(e2).map(\.description), [#"<stdin>:2: error[duplicate-id]: duplicate id "x" (also at line 1 of this batch)"#])
            XCTAssertEqual(contents(shard), before)
            XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/ledger/2026/2026-12.jsonl"))

            // Skipped.
            guard case .success(let outcome) = write(writer, [prepared("a"), prepared("c"), prepared("c"), prepared("b")], skip: true) else {
                return XCTFail()
            }
            XCTAssertEqual(outcome.skipped.map(\.id).sorted(), ["a", "b", "c"])
            XCTAssertEqual(outcome.written.flatMap { $0.events.map(\.id) }, ["c"])
            XCTAssertEqual(ids(shard), ["a", "b", "c"])

            // Lines added behind the writer's back are found.
            let handle = try XCTUnwrap(FileHandle(forWritingAtPath: shard))
            handle.seekToEndOfFile()
            handle.write(Data(prepared("outside").line))
            handle.closeFile()
            guard case .failure = write(writer, [prepared("outside")]) else { return XCTFail("duplicate of an external line accepted") }
            XCTAssertEqual(ids(shard), ["a", "b", "c", "outside"])
        }
    }

    /// The id index's quick check looks for the id as the ledger writes it: raw
    /// bidi overrides and DEL, not the `\u202e` of terminal-safe JSON output.
    func testShardWriterRefusesADuplicateIdWithABidiOverride() throws {
        let root = try TestSupport.temporaryDirectory()
        addTeardownBlock { try? FileManager.default.removeItem(atPath: root) }
        for (id, shown) in [("a\u{202e}b", #"a\u202eb"#), ("a\u{7f}b", #"a\u007fb"#)] {
            for cache in [nil, root + "/.cache/ids"] {
                try? FileManager.default.removeItem(atPath: root + "/ledger")
                try? FileManager.default.removeItem(atPath: root + "/.cache")
                let writer = ShardWriter(root: root, cacheDirectory: cache, sync: false)
                guard case .success = write(writer, [prepared(id)]) else { return XCTFail() }
                guard case .failure(let error) = write(writer, [prepared(id, line: 1)]) else {
                    return XCTFail("duplicate id \(shown) accepted (cache: \(cache ?? "none"))")
                }
                XCTAssertEqual(
                    inputDiagnostics(error).map(\.description),
                    ["<stdin>:1: error[duplicate-id]: duplicate id \"\(shown)\": already in ledger/2026/2026-11.jsonl"])
            }
        }
    }

    func testShardWriterRefusesATornShard() throws {
        let root = try TestSupport.temporaryDirectory()
        addTeardownBlock { try? FileManager.default.removeItem(atPath: root) }
        let writer = ShardWriter(root: root, cacheDirectory: root + "/.cache", sync: false)
        let shard = root + "/ledger/2026/2026-11.jsonl"
        try FileManager.default.createDirectory(atPath: root + "/ledger/2026", withIntermediateDirectories: true)
        let whole = String(decoding: prepared("a").line, as: UTF8.self)
        let torn = whole + #"{"ts":"2026-11-01"#
        try torn.write(toFile: shard, atomically: false, encoding: .utf8)
        guard case .failure(let error) = write(writer, [prepared("b")]) else { return XCTFail() }
        let p = inputDiagnostics(error)
        XCTAssertEqual(p.map(\.rule), ["torn-shard"])
        XCTAssertEqual(p.first?.path, "ledger/2026/2026-11.jsonl")
        XCTAssertTrue(p.first?.message.contains("no newline after byte \(torn.utf8.count)") ?? false, p.first?.message ?? "")
        XCTAssertTrue(p.first?.message.contains("`truncate -s \(whole.utf8.count) ledger/2026/2026-11.jsonl`") ?? false, p.first?.message ?? "")
        XCTAssertEqual(contents(shard), torn)

        // A torn tail longer than one 4 KiB read still finds the last newline.
        let long = whole + #"{"ts":""# + String(repeating: "x", count: 10_000)
        try long.write(toFile: shard, atomically: false, encoding: .utf8)
        guard case .failure(let e2) = write(writer, [prepared("b")]) else { return XCTFail() }
        XCTAssertTrue(inputDiagnostics(e2).first?.message.contains("`truncate -s \(whole.utf8.count) ") ?? false)
        XCTAssertEqual(contents(shard), long)
    }

    // MARK: IdIndex

    func testIdIndexFollowsTheShard() throws {
        let dir = try TestSupport.temporaryDirectory()
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        let shard = dir + "/s.jsonl"
        func setShard(_ ids: [String]) throws {
            try ids.map { String(decoding: prepared($0).line, as: UTF8.self) }.joined().write(toFile: shard, atomically: false, encoding: .utf8)
        }
        func index() throws -> IdIndex {
            let fd = open(shard, O_RDONLY)
            defer { close(fd) }
            var info = stat()
            fstat(fd, &info)
            return try IdIndex(path: dir + "/ids/s.idx", shardFD: fd, shardSize: Int(info.st_size))
        }
        func has(_ i: IdIndex, _ id: String) -> Bool { i.contains(IdIndex.hash(id)) }

        // Many ids: the table grows.
        let many = (0..<3000).map { "id-\($0)" }
        try setShard(many)
        var i = try index()
        XCTAssertEqual(i.count, 3000)
        XCTAssertTrue(many.allSatisfy { has(i, $0) })
        XCTAssertFalse(has(i, "id-3000"))
        // Appended behind its back: indexed from the tail.
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: shard))
        handle.seekToEndOfFile()
        handle.write(Data(prepared("tail-1").line))
        handle.closeFile()
        i = try index()
        XCTAssertTrue(has(i, "tail-1"))
        XCTAssertEqual(i.count, 3001)
        // Shrunk (an older version checked out): rebuilt.
        try setShard(["old-1", "old-2"])
        i = try index()
        XCTAssertEqual(i.count, 2)
        XCTAssertFalse(has(i, "id-1"))
        XCTAssertTrue(has(i, "old-2"))
        // Same length, different bytes: rebuilt.
        try setShard(["old-1", "new-2"])
        i = try index()
        XCTAssertTrue(has(i, "new-2"))
        XCTAssertFalse(has(i, "old-2"))
        // Escaped ids hash as their decoded text.
        try (#"{"ts":"2026-11-01T00:00:00Z","id":"caf\u00e9","provider":"openai","model":"gpt-4o","input_tokens":1,"output_tokens":1,"tags":{}}"# + "\n")
            .write(toFile: shard, atomically: false, encoding: .utf8)
        i = try index()
        XCTAssertTrue(has(i, "café"))
        // A corrupt index file is rebuilt.
        try Data(repeating: 0xAB, count: 100).write(to: URL(fileURLWithPath: dir + "/ids/s.idx"))
        i = try index()
        XCTAssertTrue(has(i, "café"))
    }
}

/// The `--stdin` fast path (`CanonicalLine`, bytes copied from the input)
/// must write exactly what the slow path (`LedgerEvent.encodeLine`) writes.
final class CanonicalLineTests: XCTestCase {
    func testFastPathMatchesTheSlowPathByteForByte() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("spend-canon-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root + "/ratecards", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let cards = TestSupport.packageRoot + "/ratecards"
        for name in try FileManager.default.contentsOfDirectory(atPath: cards) {
            try FileManager.default.copyItem(atPath: cards + "/" + name, toPath: root + "/ratecards/" + name)
        }
        let appender = try LedgerAppender(repository: CostRepository(directory: root))
        var settings = AppendSettings(now: 1_790_000_000_000, code: CodeVersion(commit: "abc123", release: "v9"), defaultTags: ["env": "dev", "zone": "eu"])
        settings.price = true
        var lines: [String] = []
        SyntheticLedger(startYear: 2026, startMonth: 9, months: 1, eventsPerMonth: 500, seed: 3).generate(month: 0) { event in
            var e = event
            e.cost = nil
            e.pricedWith = nil
            if e.id.hasSuffix("0") { e.release = nil; e.commit = nil }  // stamped
            lines.append(e.jsonLine)
        }
        // Keys out of order and spaces: still canonical output.
        lines.append(#"{ "output_tokens": 7, "tags": {"team":"a", "env":"prod"}, "model": "gpt-4o", "provider": "openai", "input_tokens": 3, "id": "x-1", "ts": "2026-09-03T10:00:00+02:00" }"#)
        // Declined by the fast path (escaped tag key, tool calls; a repeated tag is refused by the scanner).
        lines.append(#"{"ts":"2026-09-03T10:00:00Z","id":"x-2","provider":"openai","model":"gpt-4o","input_tokens":3,"output_tokens":1,"tags":{"te\u0061m":"a","b":"1"}}"#)
        lines.append(#"{"ts":"2026-09-03T10:00:00Z","id":"x-3","provider":"anthropic","model":"claude-sonnet-4-0","input_tokens":3,"output_tokens":1,"tool_calls":{"web_search":2},"tags":{}}"#)
        let input = Array((lines.joined(separator: "\n") + "\n").utf8)
        let fast = try input.withUnsafeBytes { try appender.prepare(jsonLines: $0, path: "<stdin>", settings: settings) }.events
        let drafts = try XCTUnwrap(input.withUnsafeBytes { try? DraftReader.read($0, path: "<stdin>", numbered: true).get() })
        let slow = try appender.prepare(drafts, settings: settings).events
        XCTAssertEqual(fast.count, lines.count)
        XCTAssertEqual(fast.count, slow.count)
        for (a, b) in zip(fast, slow) {
            XCTAssertEqual(String(decoding: a.line, as: UTF8.self), String(decoding: b.line, as: UTF8.self))
            XCTAssertEqual(a.id, b.id)
            XCTAssertEqual(a.shard, b.shard)
        }
        let x1 = try XCTUnwrap(fast.first { $0.id == "x-1" })
        XCTAssertTrue(String(decoding: x1.line, as: UTF8.self).hasPrefix(#"{"ts":"2026-09-03T08:00:00.000Z","id":"x-1","provider":"openai","model":"gpt-4o","input_tokens":3,"output_tokens":7,"tags":{"env":"prod","team":"a","zone":"eu"},"release":"v9","commit":"abc123","cost":"#))
    }
}

/// The text search that confirms an id-hash hit before the shard is parsed.
final class ShardTextSearchTests: XCTestCase {
    func found(_ needle: String, _ haystack: String) -> Bool {
        var n = needle
        let h = Array(haystack.utf8)
        return n.withUTF8 { p in h.withUnsafeBytes { ShardWriter.OpenShard.find(p, in: $0) } }
    }

    func testFindsAtEveryPositionAndNotElsewhere() {
        XCTAssertTrue(found("\"ab\"", "\"ab\""))
        XCTAssertTrue(found("\"ab\"", "{\"id\":\"ab\"}"))
        XCTAssertTrue(found("\"ab\"", "xx\"ab\""))
        XCTAssertFalse(found("\"ab\"", "\"abc\""))
        XCTAssertFalse(found("\"ab\"", "\"a\"b\""))
        XCTAssertFalse(found("\"ab\"", "\"ab"))
        XCTAssertFalse(found("\"ab\"", ""))
    }

    /// An id written with escapes in the shard is still found (the index
    /// knows the shard has escaped ids and the shard is parsed).
    func testEscapedIdInTheShardIsStillADuplicate() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("spend-esc-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root + "/ledger/2026", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let line = #"{"ts":"2026-11-01T00:00:00Z","id":"\u0061bc","provider":"openai","model":"gpt-4o","input_tokens":1,"output_tokens":1,"tags":{}}"#
        try (line + "\n").write(toFile: root + "/ledger/2026/2026-11.jsonl", atomically: false, encoding: .utf8)
        let writer = ShardWriter(root: root, cacheDirectory: root + "/cache", sync: false)
        let event = PreparedEvent(
            id: "abc", shard: "ledger/2026/2026-11.jsonl", line: Array((line.replacingOccurrences(of: #"\u0061bc"#, with: "abc") + "\n").utf8),
            cost: nil, origin: EventOrigin(path: "<flags>"))
        XCTAssertThrowsError(try writer.append([event], skipDuplicates: false)) { error in
            XCTAssertTrue("\(error)".contains("duplicate id \"abc\""), "\(error)")
        }
    }
}
