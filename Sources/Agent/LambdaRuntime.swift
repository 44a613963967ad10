import Foundation
import HTTP

/// One invocation handed out by the Lambda Runtime API.
public struct LambdaInvocation: Sendable, Equatable {
    /// `Lambda-Runtime-Aws-Request-Id`.
    public var requestId: String
    /// `Lambda-Runtime-Deadline-Ms`: when Lambda ends the invocation.
    public var deadline: Date
    /// The event (EventBridge's scheduled event, ignored by the agent).
    public var event: Data

    public init(requestId: String, deadline: Date, event: Data) {
        self.requestId = requestId
        self.deadline = deadline
        self.event = event
    }
}

/// The Lambda Runtime API (2018-06-01) over Ferry's HTTP client: next invocation, then
/// its response or error; an init error before the first. `AWS_LAMBDA_RUNTIME_API` gives
/// `host:port` (Lambda serves it on the loopback of the execution environment).
public struct LambdaRuntimeClient: Sendable {
    public let base: String
    private let http: HTTPClient
    /// `next` waits as long as Lambda keeps the environment frozen: no total limit and no
    /// low-speed limit (a frozen wait sends nothing).
    private static let waiting = HTTPTimeouts(connect: .seconds(10), total: nil, lowSpeedLimit: 0,
                                              lowSpeedTime: .seconds(1))
    private static let posting = HTTPTimeouts(connect: .seconds(10), total: .seconds(30))

    /// `api` is `AWS_LAMBDA_RUNTIME_API` (`127.0.0.1:9001`).
    public init(api: String, http: HTTPClient = .shared) {
        base = "http://\(api)/2018-06-01/runtime"
        self.http = http
    }

    /// `GET /runtime/invocation/next`: blocks until Lambda hands out an invocation.
    public func next() throws(AgentError) -> LambdaInvocation {
        let response = try send(HTTPRequest(method: .get, url: base + "/invocation/next", timeouts: Self.waiting),
                                doing: "asking for the next invocation")
        guard response.status == 200, let id = response.headers["Lambda-Runtime-Aws-Request-Id"], !id.isEmpty else {
            throw Self.failure("the Runtime API answered \(response.status) without a request id to "
                + "invocation/next: \(response.text.prefix(200))")
        }
        let millis = response.headers["Lambda-Runtime-Deadline-Ms"].flatMap { Double($0) }
        // Without a deadline the invocation gets Lambda's maximum (15 minutes).
        let deadline = millis.map { Date(timeIntervalSince1970: $0 / 1000) } ?? Date().addingTimeInterval(900)
        return LambdaInvocation(requestId: id, deadline: deadline, event: response.body)
    }

    /// `POST /runtime/invocation/{id}/response`.
    public func respond(_ invocation: LambdaInvocation, body: Data) throws(AgentError) {
        try post("/invocation/\(Self.escape(invocation.requestId))/response", body: body, errorType: nil)
    }

    /// `POST /runtime/invocation/{id}/error`: the invocation failed (Lambda counts an error).
    public func fail(_ invocation: LambdaInvocation, type: String, message: String) throws(AgentError) {
        try post("/invocation/\(Self.escape(invocation.requestId))/error", body: Self.errorBody(type, message),
                 errorType: type)
    }

    /// `POST /runtime/init/error`: the function cannot start (bad settings); Lambda ends
    /// the environment.
    public func initFailed(type: String, message: String) throws(AgentError) {
        try post("/init/error", body: Self.errorBody(type, message), errorType: type)
    }

    private func post(_ path: String, body: Data, errorType: String?) throws(AgentError) {
        var headers: HTTPHeaders = ["Content-Type": "application/json"]
        if let errorType { headers["Lambda-Runtime-Function-Error-Type"] = errorType }
        let response = try send(HTTPRequest(method: .post, url: base + path, headers: headers, body: .bytes(body),
                                            timeouts: Self.posting), doing: "POST \(path)")
        guard (200..<300).contains(response.status) else {
            throw Self.failure("the Runtime API answered \(response.status) to POST \(path): \(response.text.prefix(200))")
        }
    }

    private func send(_ request: HTTPRequest, doing what: String) throws(AgentError) -> HTTPResponse {
        do {
            return try http.send(request)
        } catch {
            throw AgentError(.service, "the Lambda Runtime API at \(base) failed while \(what): \(error)",
                             next: .transient, cause: error)
        }
    }

    static func errorBody(_ type: String, _ message: String) -> Data {
        let object = ["errorType": type, "errorMessage": message]
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
    }

    private static func escape(_ id: String) -> String {
        id.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? id
    }

    private static func failure(_ message: String) -> AgentError {
        AgentError(.service, message + "; the function ends and Lambda starts it again", next: .transient)
    }
}
