import Foundation

/// Reads a provider's batch results file (JSON Lines, one request a line)
/// into draft events: each succeeded line is one batch event whose
/// `trace_id` is the line's `custom_id`; a failed, canceled or expired line
/// is an error at its line number (nothing of the file is recorded then).
public enum BatchResults {
    /// Which provider's batch file a caller says it is.
    public enum Kind: Sendable {
        /// The OpenAI Batch API output file: `{"custom_id", "response": {"status_code", "body"}, "error"}`.
        case openAIBatchOutput
        /// Anthropic Message Batches results: `{"custom_id", "result": {"type", "message" | "error"}}`.
        case anthropicBatchResults

        /// The ledger `provider` of the events this kind makes.
        public var provider: String { self == .openAIBatchOutput ? "openai" : "anthropic" }

        var shape: ResponseShape { self == .openAIBatchOutput ? .openAIBatchLine : .anthropicBatchLine }
    }

    /// At most this many line errors are reported (the rest are counted).
    public static let errorLimit = 50

    /// The drafts of every line of `body`; `path` names the file in messages.
    /// Throws every bad line's diagnostic (up to `errorLimit`).
    public static func drafts(_ kind: Kind, body: [UInt8], path: String) throws(DiagnosticsError) -> [EventDraft] {
        // One response body (not JSON Lines) given as a batch file.
        if let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any], let shape = ResponseShape.detect(object),
            shape != kind.shape
        {
            let origin = EventOrigin(path: path)
            throw DiagnosticsError([origin.diagnostic(rule: .response, message: "this looks like \(shape.description), not \(kind.shape.description)")])
        }
        var drafts: [EventDraft] = []
        var errors: [Diagnostic] = []
        var omitted = 0
        var number = 0
        for line in body.split(separator: 10, omittingEmptySubsequences: false) {
            number += 1
            if line.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { continue }
            do {
                drafts.append(try draft(kind, line: Array(line), number: number, path: path))
            } catch {
                for d in error.diagnostics {
                    if errors.count < errorLimit { errors.append(d) } else { omitted += 1 }
                }
            }
        }
        if !errors.isEmpty {
            var error = DiagnosticsError(errors)
            error.omitted = omitted
            throw error
        }
        return drafts
    }

    /// One line of a batch file.
    static func draft(_ kind: Kind, line: [UInt8], number: Int, path: String) throws(DiagnosticsError) -> EventDraft {
        let origin = EventOrigin(path: path, line: number)
        func fail(_ message: String) -> DiagnosticsError {
            DiagnosticsError([origin.diagnostic(rule: .response, message: message)])
        }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any] else {
            throw fail("line \(number) is not a JSON object")
        }
        if let problem = line.withUnsafeBytes({ LedgerScanner.validateDocument($0) }) {
            let at = line.withUnsafeBytes { SourcePosition.locate(offset: problem.offset, in: $0) }
            throw DiagnosticsError([
                Diagnostic(
                    path: path, line: number, column: at.column, rule: problem.rule, message: problem.message, sourceLine: at.lineText)
            ])
        }
        let shape = ResponseShape.detect(object)
        guard shape == kind.shape else {
            let what = kind == .openAIBatchOutput ? "an OpenAI Batch API output line" : "an Anthropic Message Batches results line"
            throw fail(shape.map { "this looks like \($0.description), not \(what)" } ?? "line \(number) is not \(what): it has no custom_id")
        }
        guard let customId = object["custom_id"] as? String, !customId.isEmpty else {
            throw fail("custom_id must be a non-empty string")
        }
        var draft: EventDraft
        switch kind {
        case .openAIBatchOutput:
            if let error = object["error"] as? [String: Any] {
                throw fail("request \"\(customId)\" failed (\(error["code"] as? String ?? "error"): \(error["message"] as? String ?? "no message")): it has no usage to record")
            }
            guard let response = object["response"] as? [String: Any], let body = response["body"] as? [String: Any] else {
                throw fail("request \"\(customId)\" has no response.body")
            }
            if let status = response["status_code"] as? NSNumber, status.intValue != 200 {
                let message = (body["error"] as? [String: Any])?["message"] as? String ?? "no message"
                throw fail("request \"\(customId)\" failed with status \(status) (\(message)): it has no usage to record")
            }
            draft = try ProviderResponse.draft(.openai, object: body, origin: origin)
        case .anthropicBatchResults:
            guard let result = object["result"] as? [String: Any] else { throw fail("request \"\(customId)\" has no result object") }
            switch result["type"] as? String {
            case "succeeded":
                guard let message = result["message"] as? [String: Any] else { throw fail("request \"\(customId)\" has no result.message") }
                draft = try ProviderResponse.draft(.anthropic, object: message, origin: origin)
            case "errored":
                let inner = (result["error"] as? [String: Any])?["error"] as? [String: Any] ?? result["error"] as? [String: Any]
                let message = inner?["message"] as? String ?? "no message"
                throw fail("request \"\(customId)\" errored (\(message)): it has no usage to record")
            case let type?:
                throw fail("request \"\(customId)\" was \(type), not succeeded: it has no usage to record")
            case nil:
                throw fail("request \"\(customId)\" has no result.type")
            }
        }
        draft.event.batch = true
        draft.event.serviceTier = nil
        draft.event.traceId = customId
        return draft
    }
}
