import XCTest

@testable import SpendCore

/// `BatchResults`: provider batch files (JSON Lines) to draft events.
final class BatchResultsTests: XCTestCase {
    static let responses = TestSupport.packageRoot + "/Tests/Fixtures/responses/"

    func fixture(_ name: String) throws -> [UInt8] { Array(try String(contentsOfFile: Self.responses + name, encoding: .utf8).utf8) }

    func errors(_ kind: BatchResults.Kind, _ body: [UInt8]) -> DiagnosticsError? {
        do {
            _ = try BatchResults.drafts(kind, body: body, path: "b.jsonl")
            return nil
        } catch {
            return error
        }
    }

    func testOpenAIBatchOutput() throws {
        let drafts = try BatchResults.drafts(.openAIBatchOutput, body: try fixture("openai-batch-output.jsonl"), path: "b.jsonl")
        XCTAssertEqual(drafts.count, 2)
        let chat = drafts[0].event
        XCTAssertEqual(chat.id, "chatcmpl-AbT7xQ2mN4pL8kR1vW9yZ3cD5eF6g")
        XCTAssertEqual(chat.model, "gpt-4o-mini-2024-07-18")
        XCTAssertEqual(chat.batch, true)
        XCTAssertEqual(chat.traceId, "ticket-4812")
        XCTAssertEqual(chat.inputTokens, 1000)
        XCTAssertEqual(chat.outputTokens, 200)
        XCTAssertNil(chat.serviceTier)
        XCTAssertEqual(drafts[0].origin, EventOrigin(path: "b.jsonl", line: 1))
        XCTAssertTrue(drafts[0].hasTimestamp)
        let embedding = drafts[1].event
        XCTAssertEqual(embedding.model, "text-embedding-3-small")
        XCTAssertEqual(embedding.inputTokens, 5000)
        XCTAssertEqual(embedding.outputTokens, 0)
        XCTAssertEqual(embedding.traceId, "doc-77-embed")
        XCTAssertFalse(drafts[1].hasId, "an embeddings body has no id: one is stamped")
    }

    func testOpenAIBatchLinesThatFailAreErrorsAtTheirLine() throws {
        let error = try XCTUnwrap(errors(.openAIBatchOutput, try fixture("openai-batch-output-errors.jsonl")))
        XCTAssertEqual(error.diagnostics.map(\.line), [2, 3])
        XCTAssertEqual(
            error.diagnostics.map(\.message),
            [
                "request \"ticket-4813\" failed (batch_expired: This request could not be executed before the completion window expired.): it has no usage to record",
                "request \"ticket-4814\" failed with status 400 (Invalid 'messages[0].content': string too long.): it has no usage to record",
            ])
        XCTAssertEqual(error.diagnostics.first?.rule, "response")
        XCTAssertEqual(error.diagnostics.first?.path, "b.jsonl")
    }

    func testAnthropicBatchResults() throws {
        let drafts = try BatchResults.drafts(.anthropicBatchResults, body: try fixture("anthropic-batch-results.jsonl"), path: "r.jsonl")
        XCTAssertEqual(drafts.map(\.event.id), ["msg_014VwiXbi91y3JMjcpyGBHX5", "msg_01FqfsLoHwgeFbguDgpz48m7"])
        XCTAssertEqual(drafts.map(\.event.traceId), ["review-pr-1182", "summarize-incident-77"])
        XCTAssertEqual(drafts.map(\.event.batch), [true, true])
        XCTAssertEqual(drafts.map(\.event.inputTokens), [2000, 10000])
        XCTAssertEqual(drafts.map(\.origin.line), [1, 2])
    }

    func testAnthropicLinesThatDidNotSucceedAreErrorsAtTheirLine() throws {
        let error = try XCTUnwrap(errors(.anthropicBatchResults, try fixture("anthropic-batch-results-errors.jsonl")))
        XCTAssertEqual(error.diagnostics.map(\.line), [2, 3, 4])
        XCTAssertEqual(
            error.diagnostics.map(\.message),
            [
                "request \"review-pr-1183\" errored (max_tokens: Field required): it has no usage to record",
                "request \"review-pr-1184\" was expired, not succeeded: it has no usage to record",
                "request \"review-pr-1185\" was canceled, not succeeded: it has no usage to record",
            ])
    }

    func testMalformedLinesAndOtherShapes() throws {
        let bad = Array("\n{\"custom_id\":\"a\",\"result\":\n\n[1]\n{\"custom_id\":\"a\",\"custom_id\":\"b\",\"result\":{}}\n".utf8)
        let error = try XCTUnwrap(errors(.anthropicBatchResults, bad))
        XCTAssertEqual(error.diagnostics.map(\.line), [2, 4, 5])
        XCTAssertEqual(error.diagnostics[0].message, "line 2 is not a JSON object")
        XCTAssertEqual(error.diagnostics[1].message, "line 4 is not a JSON object")
        XCTAssertEqual(error.diagnostics[2].rule, "json")
        XCTAssertEqual(error.diagnostics[2].message, "duplicate key \"custom_id\"")

        // The other provider's batch file, line by line; a single response body, once.
        let openAI = try XCTUnwrap(errors(.anthropicBatchResults, try fixture("openai-batch-output.jsonl")))
        XCTAssertEqual(openAI.diagnostics.count, 2)
        XCTAssertEqual(openAI.diagnostics[0].message, "this looks like an OpenAI Batch API output file, not an Anthropic Message Batches results line")
        let body = Array(try String(contentsOfFile: Self.responses + "openai-chat-completion.json", encoding: .utf8).utf8)
        let single = try XCTUnwrap(errors(.openAIBatchOutput, body))
        XCTAssertEqual(single.diagnostics.map(\.message), ["this looks like an OpenAI Chat Completions body, not an OpenAI Batch API output file"])
        XCTAssertNil(single.diagnostics[0].line)

        // Many bad lines: the first 50 are shown, the rest counted.
        let many = Array(String(repeating: "{\"custom_id\":\"x\",\"result\":{\"type\":\"expired\"}}\n", count: 60).utf8)
        let capped = try XCTUnwrap(errors(.anthropicBatchResults, many))
        XCTAssertEqual(capped.diagnostics.count, 50)
        XCTAssertEqual(capped.omitted, 10)
        XCTAssertTrue(try BatchResults.drafts(.anthropicBatchResults, body: [], path: "e").isEmpty)
    }
}
