import Foundation
import HTTP

/// A stand-in of the Lambda Runtime API (Tests/Support/lambda_runtime_standin.py) on
/// 127.0.0.1, started by a test and killed by its pid when released. The test queues
/// invocations and reads their answers; `ferry agent lambda` processes pointed at it
/// (`AWS_LAMBDA_RUNTIME_API`) take them as Lambda's runtime would.
public final class LambdaRuntimeStandIn: Sendable {
    /// `127.0.0.1:PORT`: the value of `AWS_LAMBDA_RUNTIME_API`.
    public let api: String
    private let process: TestProcess
    private let control = HTTPClient()

    public init() throws {
        let script = TestEnvironment.packageRoot + "/Tests/Support/lambda_runtime_standin.py"
        process = try TestProcess(python: [script])
        api = "127.0.0.1:\(process.firstLine)"
    }

    /// What became of an invocation.
    public struct Result: Sendable {
        /// `response`, `error`, or `pending` (not answered yet).
        public let kind: String
        /// The outcomes of a response, `pipeline: outcome`.
        public let outcomes: [String: String]
        /// The response's `lock`: `acquired`, `busy`, or `none` (idle: no lock was needed).
        public let lock: String?
        /// The response's `state`: what the journal sync did (`absent`, `downloaded`, `unchanged`).
        public let state: String?
        /// The response's `millis`: how long the invocation took inside the runtime.
        public let millis: Int?
        /// The stand-in's `billedMillis`: from its answer to `next` to the answer's POST, as
        /// Lambda bills an invocation.
        public let billedMillis: Double?
        /// An error's `errorType` header and `errorMessage`.
        public let errorType: String?
        public let errorMessage: String?
        /// Whether a runtime took the invocation.
        public let handedOut: Bool

        init(_ object: [String: Any]) {
            kind = object["kind"] as? String ?? ""
            let body = object["body"] as? [String: Any]
            var outcomes: [String: String] = [:]
            for item in body?["outcomes"] as? [[String: String]] ?? [] {
                if let pipeline = item["pipeline"] { outcomes[pipeline] = item["outcome"] }
            }
            self.outcomes = outcomes
            lock = body?["lock"] as? String
            state = body?["state"] as? String
            millis = body?["millis"] as? Int
            billedMillis = object["billedMillis"] as? Double
            errorType = object["errorType"] as? String
            errorMessage = body?["errorMessage"] as? String
            handedOut = object["handedOut"] as? Bool ?? false
        }
    }

    /// Queues one invocation that may run `timeout` seconds after it is handed out; returns its id.
    public func invoke(timeout: Double = 120) throws -> String {
        let response = try control.send(HTTPRequest(method: .post, url: "http://\(api)/__invoke__?timeout=\(timeout)"))
        let object = try JSONSerialization.jsonObject(with: response.body) as? [String: Any]
        guard let id = object?["id"] as? String else { throw StandInAnswer(text: response.text) }
        return id
    }

    /// The answer to invocation `id`, waiting up to `wait` seconds for it.
    public func result(_ id: String, wait: Double = 180) throws -> Result {
        let response = try control.send(HTTPRequest(method: .get, url: "http://\(api)/__result__/\(id)?wait=\(wait)",
                                                    timeouts: HTTPTimeouts(total: .seconds(Int64(wait) + 30), lowSpeedLimit: 0)))
        guard let object = try JSONSerialization.jsonObject(with: response.body) as? [String: Any] else {
            throw StandInAnswer(text: response.text)
        }
        return Result(object)
    }

    /// The init errors runtimes posted.
    public func initErrors() throws -> [[String: String]] {
        let response = try control.send(HTTPRequest(method: .get, url: "http://\(api)/__init_errors__"))
        return try JSONSerialization.jsonObject(with: response.body) as? [[String: String]] ?? []
    }
}

/// The stand-in answered something a test cannot read.
public struct StandInAnswer: Error, CustomStringConvertible {
    public let text: String
    public init(text: String) { self.text = text }
    public var description: String { "the Runtime API stand-in answered: \(text.prefix(300))" }
}
