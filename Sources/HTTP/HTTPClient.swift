import Foundation
import Synchronization

/// A blocking HTTP/1.1 and HTTP/2 client over libcurl, safe to call from several threads
/// at once. It keeps a pool of libcurl easy handles: a thread takes one for a request and
/// returns it after, so one thread's consecutive requests reuse the same kept-alive
/// connection; all handles share DNS lookups and TLS sessions.
///
/// The client never retries by itself (see `Retrier`) and never treats an HTTP status as
/// an error: a 503 is a response. It does refuse a body shorter than its
/// `Content-Length` and one larger than the destination's limit.
public final class HTTPClient: Sendable {
    /// Defaults for every request.
    public struct Configuration: Sendable {
        public var timeouts: HTTPTimeouts
        /// Idle handles (each with its kept-alive connections) the pool keeps.
        public var maxIdleHandles: Int
        public var userAgent: String

        public init(timeouts: HTTPTimeouts = HTTPTimeouts(), maxIdleHandles: Int = 16, userAgent: String = "ferry/0.1") {
            self.timeouts = timeouts
            self.maxIdleHandles = maxIdleHandles
            self.userAgent = userAgent
        }
    }

    public let configuration: Configuration
    private let share: CurlShare?
    private let idle = Mutex<[EasyHandle]>([])
    private let counts = Mutex(RequestCounts())

    /// One client for a whole process (handles and connections are pooled inside).
    public static let shared = HTTPClient()

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        share = CurlShare()
    }

    /// Sends one request and waits for the whole response (`curl_easy_perform`).
    /// Every call counts in `requestCounts`. Throws `HTTPError` when no complete response
    /// arrived; an HTTP error status is returned as a response.
    public func send(_ request: HTTPRequest) throws(HTTPError) -> HTTPResponse {
        counts.withLock { counts in
            counts.total += 1
            counts.byMethod[request.method, default: 0] += 1
        }
        let handle = try checkOut(for: request)
        defer { checkIn(handle) }
        return try handle.perform(request, timeouts: request.timeouts ?? configuration.timeouts,
                                  userAgent: configuration.userAgent)
    }

    /// Requests sent so far, retries included.
    public var requestCounts: RequestCounts { counts.withLock { $0 } }

    /// Starts counting from zero.
    public func resetRequestCounts() { counts.withLock { $0 = RequestCounts() } }

    private func checkOut(for request: HTTPRequest) throws(HTTPError) -> EasyHandle {
        if let handle = idle.withLock({ $0.popLast() }) { return handle }
        guard let share, let handle = EasyHandle(share: share) else {
            throw HTTPError(code: .protocolError, message: "libcurl could not start (out of memory?)",
                            cause: "curl_easy_init returned NULL", method: request.method, url: request.redactedURL)
        }
        return handle
    }

    private func checkIn(_ handle: EasyHandle) {
        let limit = configuration.maxIdleHandles
        idle.withLock { handles in
            if handles.count < limit { handles.append(handle) }
        }
    }
}
