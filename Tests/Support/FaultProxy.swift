import Foundation
import HTTP

/// A fault-injecting HTTP proxy on 127.0.0.1 (Tests/Support/fault_proxy.py), started by
/// a test and stopped when released. In front of moto it stands in for a bad network and
/// an overloaded service: injected 503 SlowDown or throttling answers, connection resets,
/// delays and truncated bodies. Without an upstream it answers from a small built-in
/// origin (`/bytes/N`, `/echo`, `/status/N`, `/headers`, `/slow/N`) for HTTP tests.
public final class FaultProxy: Sendable {
    /// `http://localhost:PORT`.
    public let endpoint: String
    private let process: TestProcess
    private let control = HTTPClient()

    public init(upstream: String? = nil) throws {
        let script = TestEnvironment.packageRoot + "/Tests/Support/fault_proxy.py"
        process = try TestProcess(python: [script] + (upstream.map { ["--upstream", $0] } ?? []))
        endpoint = "http://localhost:\(process.firstLine)"
    }

    /// Queues faults; each applies once, to the next request matching its `match`.
    public func inject(_ faults: [Fault]) throws {
        let body = try JSONEncoder().encode(faults)
        _ = try control.send(HTTPRequest(method: .post, url: endpoint + "/__faults__", body: .bytes(body)))
    }

    /// Every request the proxy saw (control requests aside), in order.
    public func log() throws -> [Entry] {
        let response = try control.send(HTTPRequest(method: .get, url: endpoint + "/__log__"))
        return try JSONDecoder().decode([Entry].self, from: response.body)
    }

    /// One request the proxy saw.
    public struct Entry: Decodable, Sendable {
        public let method: String
        public let path: String
        /// The client's port: equal ports mean one kept-alive connection.
        public let port: Int
        /// The fault applied to it, if any.
        public let fault: String?
    }
}

/// One injected fault.
public struct Fault: Encodable, Sendable {
    public var kind: String
    /// Applies to the first request whose "METHOD /path?query" contains this.
    public var match: String?
    public var status: Int?
    public var code: String?
    public var retryAfter: Int?
    public var ms: Int?
    public var style: String?

    /// An error answer without forwarding: S3-style XML `<Error><Code>code</Code>`, or
    /// Query-API-style `<ErrorResponse>` (CloudFormation, STS) when `queryStyle`.
    public static func status(_ status: Int = 503, code: String = "SlowDown", retryAfter: Int? = nil,
                              queryStyle: Bool = false, match: String? = nil) -> Fault {
        Fault(kind: "status", match: match, status: status, code: code, retryAfter: retryAfter,
              style: queryStyle ? "query" : nil)
    }
    /// Reads the headers (and half of any body), then resets the connection (TCP RST).
    public static func reset(match: String? = nil) -> Fault { Fault(kind: "reset", match: match) }
    /// Waits before forwarding.
    public static func delay(ms: Int, match: String? = nil) -> Fault { Fault(kind: "delay", match: match, ms: ms) }
    /// Forwards, then sends the full Content-Length but only half the body and closes.
    public static func truncate(match: String? = nil) -> Fault { Fault(kind: "truncate", match: match) }
}
