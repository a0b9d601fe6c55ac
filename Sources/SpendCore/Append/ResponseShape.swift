import Foundation

/// What a provider body looks like, told from its keys, so that a body given
/// as the wrong kind is named ("this looks like an OpenAI Chat Completions
/// body") instead of failing on a missing field.
public enum ResponseShape: Sendable, Equatable {
    case openAIChatCompletion, openAIResponse, openAIEmbeddings, anthropicMessage, geminiResponse
    /// One line of an OpenAI Batch API output file.
    case openAIBatchLine
    /// One line of an Anthropic Message Batches results file.
    case anthropicBatchLine

    /// The input a body of this shape belongs to.
    public enum Input: Sendable, Equatable {
        case response(ProviderResponse.Kind)
        case openAIBatchOutput, anthropicBatchResults
    }

    /// Where this shape is read.
    public var input: Input {
        switch self {
        case .openAIChatCompletion, .openAIResponse, .openAIEmbeddings: .response(.openai)
        case .anthropicMessage: .response(.anthropic)
        case .geminiResponse: .response(.gemini)
        case .openAIBatchLine: .openAIBatchOutput
        case .anthropicBatchLine: .anthropicBatchResults
        }
    }

    /// The kind of body, e.g. "an OpenAI Chat Completions body".
    public var description: String {
        switch self {
        case .openAIChatCompletion: "an OpenAI Chat Completions body"
        case .openAIResponse: "an OpenAI Responses API body"
        case .openAIEmbeddings: "an OpenAI embeddings body"
        case .anthropicMessage: "an Anthropic Messages body"
        case .geminiResponse: "a Gemini generateContent body"
        case .openAIBatchLine: "an OpenAI Batch API output file"
        case .anthropicBatchLine: "an Anthropic Message Batches results file"
        }
    }

    /// The shape of a parsed body, or nil when its keys do not say.
    public static func detect(_ object: [String: Any]) -> ResponseShape? {
        if object["custom_id"] != nil {
            if object["result"] != nil { return .anthropicBatchLine }
            if object["response"] != nil || object["error"] != nil { return .openAIBatchLine }
        }
        if object["usageMetadata"] != nil || object["candidates"] != nil { return .geminiResponse }
        let usage = object["usage"] as? [String: Any] ?? [:]
        if (object["type"] as? String) == "message" || usage["cache_creation_input_tokens"] != nil
            || usage["cache_read_input_tokens"] != nil || usage["server_tool_use"] != nil
        {
            return .anthropicMessage
        }
        switch object["object"] as? String {
        case "chat.completion": return .openAIChatCompletion
        case "response": return .openAIResponse
        case "list" where usage["prompt_tokens"] != nil: return .openAIEmbeddings
        default: break
        }
        if usage["completion_tokens"] != nil || usage["prompt_tokens_details"] != nil { return .openAIChatCompletion }
        if usage["input_tokens_details"] != nil || usage["output_tokens_details"] != nil { return .openAIResponse }
        return nil
    }

    /// The shape of a body: one JSON object, or a JSON Lines batch file told
    /// from its first line.
    public static func detect(body: [UInt8]) -> ResponseShape? {
        if let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] { return detect(object) }
        let first = body.split(separator: 10, omittingEmptySubsequences: true).first { line in
            !line.allSatisfy { $0 == 32 || $0 == 9 || $0 == 13 }
        }
        guard let first, let object = try? JSONSerialization.jsonObject(with: Data(first)) as? [String: Any] else { return nil }
        return detect(object)
    }
}

extension ProviderResponse.Kind {
    /// What this kind of input expects, for "… not an Anthropic Messages body".
    var expected: String {
        switch self {
        case .openai: "an OpenAI Chat Completions, Responses or embeddings body"
        case .anthropic: "an Anthropic Messages body"
        case .gemini: "a Gemini generateContent body"
        }
    }

    /// True when `shape` is read by this kind.
    func reads(_ shape: ResponseShape) -> Bool { shape.input == .response(self) }
}
