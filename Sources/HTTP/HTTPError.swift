/// Why an HTTP request did not produce a response. An HTTP status, even 500, is a
/// response, not an `HTTPError`: callers decide what a status means.
public struct HTTPError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure, sorted by what a caller can do about it.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String { case dns, connect, tls, timeout, connectionReset, truncatedBody, tooLarge, fileIO, invalidRequest, protocolError }
        private let value: Value
        private init(_ value: Value) { self.value = value }
        public var description: String { value.rawValue }

        /// The host name did not resolve.
        public static let dns = Code(.dns)
        /// No connection could be made (refused, unreachable).
        public static let connect = Code(.connect)
        /// The TLS handshake or certificate check failed.
        public static let tls = Code(.tls)
        /// The connect, total or low-speed limit was reached.
        public static let timeout = Code(.timeout)
        /// The connection broke while sending or receiving, or the server sent nothing.
        public static let connectionReset = Code(.connectionReset)
        /// Fewer body bytes arrived than `Content-Length` announced.
        public static let truncatedBody = Code(.truncatedBody)
        /// The body is larger than the destination's limit.
        public static let tooLarge = Code(.tooLarge)
        /// A local file (upload source or download target) could not be read or written.
        public static let fileIO = Code(.fileIO)
        /// The request itself is malformed (bad URL, unsupported scheme).
        public static let invalidRequest = Code(.invalidRequest)
        /// Anything else libcurl reports (bad HTTP framing, internal errors).
        public static let protocolError = Code(.protocolError)
    }

    public let code: Code
    /// What happened and what to do next.
    public let message: String
    /// The underlying cause: the C function, libcurl's code and its message, or errno.
    public let cause: String?
    public let method: HTTPMethod
    /// The URL without its query string.
    public let url: String

    public init(code: Code, message: String, cause: String? = nil, method: HTTPMethod, url: String) {
        self.code = code
        self.message = message
        self.cause = cause
        self.method = method
        self.url = url
    }

    /// Worth retrying the same request: the network may do better next time.
    public var isTransient: Bool {
        [.connect, .timeout, .connectionReset, .truncatedBody, .protocolError].contains(code)
    }

    public var description: String {
        var text = "\(method) \(url): \(message)"
        if let cause, !message.contains(cause) { text += " (cause: \(cause))" }
        return text
    }
}
