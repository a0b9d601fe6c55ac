import XCTest

@testable import SpendCore

/// `spend import openai-usage` and `anthropic-usage`: usage-report pages to
/// roll-up drafts (Tests/Fixtures/import/, written from the APIs' documented
/// response schemas).
final class UsageImportTests: XCTestCase {
    typealias S = ImportTestSupport

    static let openAIToml = """
        [import.openai.projects.proj_search]
        team = "search"

        [import.openai.projects.proj_support]
        team = "support"
        feature = "helpdesk"

        [import.openai.api_keys.key_search_prod]
        env = "prod"
        """

    static let anthropicToml = """
        [import.anthropic.workspaces.wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ]
        team = "research"

        [import.anthropic.api_keys.apikey_01MhQk7sPnzR2cD9eF4gH6jK]
        team = "evals"
        env = "batch"
        """

    func openAI(now: Int64? = nil) throws -> OpenAIUsageSource {
        try OpenAIUsageSource.make(settings: try S.settings("openai", Self.openAIToml), now: now)
    }

    func anthropic(now: Int64? = nil) throws -> AnthropicUsageSource {
        try AnthropicUsageSource.make(settings: try S.settings("anthropic", Self.anthropicToml), now: now)
    }

    // MARK: openai-usage

    func testOpenAIPageMapsEachResultToOneRollUpEvent() throws {
        let out = S.convert(try openAI(), try S.fixture("openai-usage-page.json"), path: "usage.json")
        XCTAssertEqual(out.records, 4)
        XCTAssertEqual(out.rejected.map(\.message), [])
        XCTAssertEqual(
            out.drafts.map(\.event.jsonLine),
            [
                #"{"ts":"2026-10-01T00:00:00.000Z","id":"openai-usage:e2649c41a5f6d5f188dd835336387789","provider":"openai","model":"gpt-4.1-2025-04-14","requests":340,"input_tokens":1000000,"cached_input_tokens":200000,"output_tokens":150000,"tags":{"env":"prod","openai_api_key":"key_search_prod","openai_project":"proj_search","team":"search"}}"#,
                #"{"ts":"2026-10-01T00:00:00.000Z","id":"openai-usage:b10b30b51cba6b5c8ab2c9d919e7aa94","provider":"openai","model":"gpt-4o-mini-2024-07-18","batch":true,"requests":1200,"input_tokens":4000000,"output_tokens":500000,"tags":{"feature":"helpdesk","openai_api_key":"key_support","openai_project":"proj_support","team":"support"}}"#,
                #"{"ts":"2026-10-01T00:00:00.000Z","id":"openai-usage:9e9c792682b89c9c166fca1d7e51b602","provider":"openai","model":"gpt-4.1-2025-04-14","service_tier":"priority","requests":12,"input_tokens":100000,"output_tokens":10000,"tags":{"env":"prod","openai_api_key":"key_search_prod","openai_project":"proj_search","team":"search"}}"#,
            ])
        XCTAssertEqual(out.drafts.map(\.hasId), [true, true, true])
        XCTAssertEqual(out.drafts.map(\.hasTimestamp), [true, true, true])
        XCTAssertEqual(out.drafts.map(\.origin.line), [9, 24, 39], "each result's own line in the pretty-printed page")
        XCTAssertEqual(out.drafts.map(\.origin.path), ["usage.json", "usage.json", "usage.json"])
        // The record text: the result as a one-bucket page on one line.
        XCTAssertEqual(
            out.drafts[2].origin.sourceLine,
            #"{"data":[{"object":"bucket","start_time":1790812800,"end_time":1790899200,"results":[{"object":"organization.usage.completions.result","input_tokens":100000,"output_tokens":10000,"input_cached_tokens":0,"input_audio_tokens":0,"output_audio_tokens":0,"num_model_requests":12,"project_id":"proj_search","user_id":null,"api_key_id":"key_search_prod","model":"gpt-4.1-2025-04-14","batch":false,"service_tier":"priority"}]}]}"#)
    }

    func testOpenAIDraftsPriceExactlyWithTheBundledCards() throws {
        let out = S.convert(try openAI(), try S.fixture("openai-usage-page.json"), path: "usage.json")
        // gpt-4.1: 1,000,000 × 2.00 + 200,000 × 0.50 + 150,000 × 8.00 per 1M = 3.30
        // gpt-4o-mini batch: (4,000,000 × 0.15 + 500,000 × 0.60) × 0.5 per 1M = 0.45
        // gpt-4.1 priority: 100,000 × 3.50 + 10,000 × 14.00 per 1M = 0.49
        XCTAssertEqual(S.costs(out.drafts), [.d("3.3"), .d("0.45"), .d("0.49")])
    }

    func testOpenAIIdsAreDeterministicAndOverlappingPagesGiveTheSameIds() throws {
        let source = try openAI()
        let page = try S.fixture("openai-usage-page.json")
        let first = S.convert(source, page, path: "a.json").drafts.map(\.event.id)
        XCTAssertEqual(S.convert(source, page, path: "b.json").drafts.map(\.event.id), first, "same file → same ids")
        XCTAssertEqual(Set(first).count, 3)
        // Another export, cut differently: the 2026-10-01 bucket again (two of
        // its results, in another order) and the next day.
        let pages = S.convert(source, try S.fixture("openai-usage-pages.jsonl"), path: "pages.jsonl")
        XCTAssertEqual(pages.rejected.map(\.message), [])
        XCTAssertEqual(pages.drafts.map(\.event.id).prefix(2).sorted(), first.prefix(2).sorted())
        XCTAssertFalse(first.contains(pages.drafts[2].event.id))
        XCTAssertEqual(pages.drafts.map(\.origin.line), [1, 1, 2])
        // An unmapped project keeps its id as a tag and gets no ownership tags.
        XCTAssertEqual(pages.drafts[2].event.tags, ["openai_project": "proj_labs"])
        XCTAssertEqual(pages.drafts[2].event.inputTokens, 8000)
        XCTAssertEqual(pages.drafts[2].event.cachedInputTokens, 2000)
        XCTAssertNil(pages.drafts[2].event.requests, "one request: no requests key")
        XCTAssertEqual(S.costs([pages.drafts[2]]), [.d("0.00195")])
        // The id is a pure function of the bucket and the grouping values.
        XCTAssertEqual(
            pages.drafts[2].event.id,
            ImportID.hashed(
                "openai-usage",
                ["start=1790899200", "end=1790985600", "api_key_id=", "batch=false", "model=gpt-4o-mini-2024-07-18",
                 "project_id=proj_labs", "service_tier=default"].filter { !$0.hasSuffix("=") }))
    }

    func testTheSameFileGivesTheSameLedgerLines() throws {
        for (source, file) in [(try openAI() as any ImportSource, "openai-usage-pages.jsonl"), (try anthropic(), "anthropic-usage-pages.jsonl")] {
            let bytes = try S.fixture(file)
            let first = S.lines(S.convert(source, bytes, path: file).drafts)
            XCTAssertEqual(first.count, 3 - (file.hasPrefix("anthropic") ? 1 : 0))
            XCTAssertEqual(S.lines(S.convert(source, bytes, path: file).drafts), first, file)
        }
    }

    func testOpenAIResultWithoutModelIsRejectedWithTheFetchToUse() throws {
        let out = S.convert(try openAI(), try S.fixture("openai-usage-ungrouped.json"), path: "u.json")
        XCTAssertEqual(out.drafts.count, 0)
        XCTAssertEqual(out.records, 1)
        XCTAssertEqual(out.rejected.map(\.message), ["result has no model (the usage was not grouped by model): fetch it with group_by=model"])
        XCTAssertEqual(out.rejected.map(\.rule), ["import"])
        XCTAssertEqual(out.rejected.map(\.origin.line), [9])
    }

    func testOpenAIMalformedPageIsOneLocatedRejectionAndNothingOfItIsConverted() throws {
        let out = S.convert(try openAI(), try S.fixture("openai-usage-malformed.jsonl"), path: "m.jsonl")
        XCTAssertEqual(out.drafts.map(\.origin.line), [1], "the valid page converts; nothing of the bad one")
        XCTAssertEqual(out.rejected.count, 1)
        let rejection = try XCTUnwrap(out.rejected.first)
        XCTAssertEqual(rejection.rule, "json")
        XCTAssertEqual(rejection.origin.line, 2)
        XCTAssertTrue(rejection.message.hasPrefix("not a valid usage page: duplicate key \"model\""), rejection.message)
        XCTAssertTrue(rejection.message.hasSuffix("(column 250)"), rejection.message)
    }

    func testOpenAITruncatedFileIsRejectedAtItsEnd() throws {
        let page = try S.fixture("openai-usage-page.json")
        let out = S.convert(try openAI(), Array(page.prefix(900)), path: "t.json")
        XCTAssertEqual(out.drafts.count, 0)
        XCTAssertEqual(out.rejected.map(\.rule), ["json"])
        XCTAssertEqual(out.rejected.first?.origin.line, 30, "the line of the last byte")
    }

    func testOpenAIOpenBucketAudioAndCachedAboveInputAreRejected() throws {
        var text = String(decoding: try S.fixture("openai-usage-page.json"), as: UTF8.self)
        // Ends 2026-10-02T00:00Z: still open at noon on 2026-10-01.
        let open = S.convert(try openAI(now: TestSupport.ms("2026-10-01T12:00:00Z")), Array(text.utf8), path: "p.json")
        XCTAssertEqual(open.drafts.count, 0)
        XCTAssertEqual(
            open.rejected.first?.message,
            "the bucket 2026-10-01T00:00:00.000Z – 2026-10-02T00:00:00.000Z has not ended: its totals can still grow; import it once it has ended (fetch with an end time in the past)")
        XCTAssertEqual(S.convert(try openAI(now: TestSupport.ms("2026-10-02")), Array(text.utf8), path: "p.json").drafts.count, 3)
        text = text.replacingOccurrences(of: "\"input_audio_tokens\": 0,\n          \"output_audio_tokens\": 0,\n          \"num_model_requests\": 12,", with: "\"input_audio_tokens\": 0,\n          \"output_audio_tokens\": 700,\n          \"num_model_requests\": 12,")
        text = text.replacingOccurrences(of: "\"input_cached_tokens\": 200000", with: "\"input_cached_tokens\": 2000000")
        let out = S.convert(try openAI(), Array(text.utf8), path: "p.json")
        XCTAssertEqual(out.drafts.count, 1)
        XCTAssertEqual(
            out.rejected.map(\.message),
            [
                "result.input_cached_tokens (2000000) exceeds result.input_tokens (1200000)",
                "result.output_audio_tokens is 700: audio tokens bill at audio rates, which rate cards do not price yet; fetch audio models apart (models=…) and leave them out",
            ])
        XCTAssertEqual(out.rejected.map(\.origin.line), [9, 39])
    }

    func testAnAPIErrorOrAnotherDocumentIsNotAUsagePage() throws {
        let text = #"{"error":{"message":"Invalid value for 'group_by'.","type":"invalid_request_error"}}"# + "\n" + #"{"object":"list","data":"x"}"#
        let out = S.convert(try openAI(), Array(text.utf8), path: "e.jsonl")
        XCTAssertEqual(out.drafts.count, 0)
        XCTAssertEqual(out.records, 2)
        XCTAssertEqual(
            out.rejected.map { "\($0.origin.line!): \($0.rule): \($0.message)" },
            [
                "1: import: the page is an API error, not usage (Invalid value for 'group_by'.): it has no usage to record",
                "2: import: not a usage page: it has no \"data\" array of buckets",
            ])
    }

    func testOpenAIResultOfAnotherUsageEndpointIsRejected() throws {
        let text = String(decoding: try S.fixture("openai-usage-ungrouped.json"), as: UTF8.self)
            .replacingOccurrences(of: "organization.usage.completions.result", with: "organization.usage.embeddings.result")
        let out = S.convert(try openAI(), Array(text.utf8), path: "e.json")
        XCTAssertEqual(
            out.rejected.map(\.message),
            ["result is organization.usage.embeddings.result, not organization.usage.completions.result: only completions usage (/v1/organization/usage/completions) is read"])
    }

    func testOpenAISettingsErrorsAreLocatedPolicyErrors() throws {
        let toml = """
            [import.openai]
            project = 1

            [import.openai.projects.proj_search]
            team = 7
            """
        XCTAssertThrowsError(try OpenAIUsageSource.make(settings: try S.settings("openai", toml), now: nil)) { error in
            guard case .input(let diagnostics, _) = error as? SpendError else { return XCTFail("\(error)") }
            XCTAssertEqual(
                diagnostics.map(\.description),
                [
                    "spend.toml:2: error[policy]: unknown key \"project\" in [import.openai] (expected: api_keys, projects)",
                    "spend.toml:5: error[policy]: team in [import.openai.projects.proj_search] must be a non-empty string",
                ])
        }
    }

    func testSettingsErrorsInInlineTablesAreLocatedAtTheirLine() throws {
        let toml = """
            [policy]
            required_tags = ["team"]

            [import.anthropic.workspaces]
            wrkspc_a = { team = "research" }
            wrkspc_b = { team = "" }
            """
        XCTAssertThrowsError(try AnthropicUsageSource.make(settings: try S.settings("anthropic", toml), now: nil)) { error in
            guard case .input(let diagnostics, _) = error as? SpendError else { return XCTFail("\(error)") }
            XCTAssertEqual(
                diagnostics.map(\.description),
                ["spend.toml:6: error[policy]: team in [import.anthropic.workspaces.wrkspc_b] must be a non-empty string"])
        }
    }

    // MARK: anthropic-usage

    func testAnthropicPageMapsEachResultToOneRollUpEvent() throws {
        let out = S.convert(try anthropic(), try S.fixture("anthropic-usage-page.json"), path: "report.json")
        XCTAssertEqual(out.records, 3)
        XCTAssertEqual(out.rejected.map(\.message), [])
        XCTAssertEqual(
            out.drafts.map(\.event.jsonLine),
            [
                #"{"ts":"2026-10-01T00:00:00.000Z","id":"anthropic-usage:f5be7a97f0669317d11f59fbe270758f","provider":"anthropic","model":"claude-sonnet-4-5-20250929","requests":16,"input_tokens":900000,"cached_input_tokens":2000000,"cache_write_tokens":100000,"cache_write_1h_tokens":50000,"output_tokens":120000,"tool_calls":{"web_search":30},"tags":{"anthropic_api_key":"apikey_01Rj2N8SVvo6BePZj99NhmiT","anthropic_workspace":"wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ","team":"research"}}"#,
                #"{"ts":"2026-10-01T00:00:00.000Z","id":"anthropic-usage:2444f43f6464e51fd25bead0aa0d2c57","provider":"anthropic","model":"claude-sonnet-4-5-20250929","input_tokens":600000,"output_tokens":20000,"tags":{"anthropic_api_key":"apikey_01Rj2N8SVvo6BePZj99NhmiT","anthropic_workspace":"wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ","team":"research"}}"#,
                #"{"ts":"2026-10-01T00:00:00.000Z","id":"anthropic-usage:320a2e062d3d4a91962f94cc24d0221a","provider":"anthropic","model":"claude-haiku-4-5-20251001","batch":true,"requests":5,"input_tokens":1000000,"output_tokens":200000,"tags":{"anthropic_api_key":"apikey_01MhQk7sPnzR2cD9eF4gH6jK","env":"batch","team":"evals"}}"#,
            ])
        XCTAssertEqual(out.drafts.map(\.origin.line), [7, 24, 41])
    }

    func testAnthropicDraftsPriceExactlyIncludingTheLongContextTier() throws {
        let out = S.convert(try anthropic(), try S.fixture("anthropic-usage-page.json"), path: "report.json")
        // Sonnet 4.5, 0-200k, 16 requests of ≤ 200K: 900,000 × 3 + 2,000,000 × 0.30 + 100,000 × 3.75
        //   + 50,000 × 6 + 120,000 × 15 per 1M + 30 searches × $10 / 1,000 = 6.075
        // Sonnet 4.5, 200k-1M (the >200K tier): 600,000 × 6 + 20,000 × 22.50 per 1M = 4.05
        // Haiku 4.5 batch: (1,000,000 × 1 + 200,000 × 5) × 0.5 per 1M = 1
        XCTAssertEqual(S.costs(out.drafts), [.d("6.075"), .d("4.05"), .d("1")])
    }

    func testAnthropicIdsAreDeterministicAndOverlappingPagesGiveTheSameIds() throws {
        let source = try anthropic()
        let first = S.convert(source, try S.fixture("anthropic-usage-page.json"), path: "a.json").drafts.map(\.event.id)
        XCTAssertEqual(S.convert(source, try S.fixture("anthropic-usage-page.json"), path: "b.json").drafts.map(\.event.id), first)
        let pages = S.convert(source, try S.fixture("anthropic-usage-pages.jsonl"), path: "p.jsonl")
        XCTAssertEqual(pages.rejected.map(\.message), [])
        XCTAssertEqual(pages.drafts.first?.event.id, first[0], "the same bucket result in another export")
        XCTAssertFalse(first.contains(pages.drafts[1].event.id))
        XCTAssertEqual(pages.drafts[1].event.tags, ["anthropic_api_key": "apikey_01Rj2N8SVvo6BePZj99NhmiT", "anthropic_workspace": "wrkspc_01LabsX9pQ2rS5tU8vW1yZ3a"])
    }

    func testAnthropicResultWithoutModelOrContextWindowIsRejected() throws {
        let text = String(decoding: try S.fixture("anthropic-usage-ungrouped.json"), as: UTF8.self)
        let out = S.convert(try anthropic(), Array(text.utf8), path: "u.json")
        XCTAssertEqual(out.drafts.count, 0)
        XCTAssertEqual(out.rejected.map(\.message), ["result has no model (the usage was not grouped by model): fetch it with group_by[]=model"])
        let withModel = text.replacingOccurrences(of: "\"model\": null", with: "\"model\": \"claude-sonnet-4-5-20250929\"")
        XCTAssertEqual(
            S.convert(try anthropic(), Array(withModel.utf8), path: "u.json").rejected.map(\.message),
            ["result has no context_window, which spend needs to count requests (the report has none) and price long-context calls: fetch it with group_by[]=context_window"])
    }

    func testAnthropicBadTimeAndBadCountAreLocated() throws {
        var text = String(decoding: try S.fixture("anthropic-usage-page.json"), as: UTF8.self)
        text = text.replacingOccurrences(of: "\"uncached_input_tokens\": 600000", with: "\"uncached_input_tokens\": -600000")
        let out = S.convert(try anthropic(), Array(text.utf8), path: "r.json")
        XCTAssertEqual(out.drafts.count, 2)
        XCTAssertEqual(out.rejected.map(\.message), ["result.uncached_input_tokens must be a non-negative integer, not -600000"])
        XCTAssertEqual(out.rejected.map(\.rule), ["schema"])
        XCTAssertEqual(out.rejected.map(\.origin.line), [24])
        let badTime = text.replacingOccurrences(of: "\"starting_at\": \"2026-10-01T00:00:00Z\"", with: "\"starting_at\": \"2026-10-01\"")
        let timeOut = S.convert(try anthropic(), Array(badTime.utf8), path: "r.json")
        XCTAssertEqual(timeOut.drafts.count, 0)
        XCTAssertEqual(Set(timeOut.rejected.map(\.message)), ["bucket.starting_at \"2026-10-01\" is not an RFC 3339 time within years 0001–9999"])
    }

    func testAnArrayOfPagesAndBackToBackPagesAreRead() throws {
        let page = String(decoding: try S.fixture("anthropic-usage-page.json"), as: UTF8.self)
        let array = "[" + page + ",\n" + page + "]"
        XCTAssertEqual(S.convert(try anthropic(), Array(array.utf8), path: "a.json").drafts.count, 6)
        let stream = page + page
        let out = S.convert(try anthropic(), Array(stream.utf8), path: "s.json")
        XCTAssertEqual(out.drafts.count, 6)
        XCTAssertEqual(out.drafts.map(\.origin.line), [7, 24, 41, 70, 87, 104], "the second page starts on line 64")
    }

    func testAPageThatIsNotJSONIsLocatedAndTheNextPageIsStillRead() throws {
        let lines = String(decoding: try S.fixture("openai-usage-pages.jsonl"), as: UTF8.self).split(separator: "\n")
        // The first page cut short: the second page, on its own line, is still read.
        let text = lines[0].prefix(120) + "\n" + lines[1] + "\n"
        let out = S.convert(try openAI(), Array(text.utf8), path: "p.jsonl")
        XCTAssertEqual(out.drafts.map(\.origin.line), [2])
        XCTAssertEqual(out.rejected.map(\.rule), ["json"])
        XCTAssertEqual(out.rejected.map(\.origin.line), [1])
        XCTAssertTrue(out.rejected[0].message.hasPrefix("not a valid usage page: "), out.rejected[0].message)
    }
}
