import Foundation

extension ProviderResponse {
    /// Gemini API and Vertex AI `generateContent` bodies: `usageMetadata`
    /// (`promptTokenCount` includes `cachedContentTokenCount`, which is
    /// subtracted; `toolUsePromptTokenCount` bills as input;
    /// `thoughtsTokenCount` bills as output next to `candidatesTokenCount`),
    /// the model from `modelVersion`, the id from `responseId` and, on
    /// Vertex, the time from `createTime`. Counts of zero may be omitted.
    static func gemini(
        _ object: [String: Any], origin: EventOrigin, fail: (String) -> DiagnosticsError
    ) throws(DiagnosticsError) -> EventDraft {
        guard let usage = object["usageMetadata"] as? [String: Any] else {
            throw fail("the gemini response has no \"usageMetadata\" object")
        }
        guard let model = object["modelVersion"] as? String, !model.isEmpty else {
            throw fail("the gemini response has no \"modelVersion\"")
        }
        func optional(_ key: String) throws(DiagnosticsError) -> Int64 {
            usage[key] == nil || usage[key] is NSNull ? 0 : try count(usage, key, "usageMetadata", fail)
        }
        let prompt = try count(usage, "promptTokenCount", "usageMetadata", fail)
        let cached = try optional("cachedContentTokenCount")
        let candidates = try optional("candidatesTokenCount")
        let thoughts = try optional("thoughtsTokenCount")
        let toolUse = try optional("toolUsePromptTokenCount")
        guard cached <= prompt else {
            throw fail("usageMetadata.cachedContentTokenCount (\(cached)) exceeds usageMetadata.promptTokenCount (\(prompt))")
        }
        // Audio input bills at its own rate, which the cards do not hold yet.
        for key in ["promptTokensDetails", "toolUsePromptTokensDetails"] {
            for detail in usage[key] as? [[String: Any]] ?? [] where (detail["modality"] as? String) == "AUDIO" {
                let audio = detail["tokenCount"] == nil ? 0 : try count(detail, "tokenCount", "usageMetadata.\(key)[AUDIO]", fail)
                if audio > 0 {
                    throw fail(
                        "usageMetadata.\(key) has \(audio) AUDIO tokens: audio input bills at audio rates, which rate cards "
                            + "do not price yet; this call cannot be recorded from its body")
                }
            }
        }
        let (input, inputOverflow) = (prompt - cached).addingReportingOverflow(toolUse)
        let (output, outputOverflow) = candidates.addingReportingOverflow(thoughts)
        if inputOverflow || outputOverflow {
            throw fail("the gemini token counts add up to more than \(Int64.max)")
        }
        var event = LedgerEvent(
            ts: 0, id: object["responseId"] as? String ?? "", provider: "google", model: model, inputTokens: input,
            outputTokens: output, tags: [:])
        if cached > 0 { event.cachedInputTokens = cached }
        var ts: Int64?
        if let created = object["createTime"] as? String {
            guard let ms = Timestamp.parse(created) else {
                throw fail("createTime (\"\(created)\") is not an RFC 3339 time within years 0001–9999")
            }
            ts = ms
        }
        if let ts { event.ts = ts }
        return EventDraft(event: event, hasTimestamp: ts != nil, hasId: !event.id.isEmpty, origin: origin)
    }
}
