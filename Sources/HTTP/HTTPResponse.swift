import Foundation

/// A response that arrived whole: its status, headers and body.
public struct HTTPResponse: Sendable {
    public let status: Int
    public let headers: HTTPHeaders
    /// The body for a memory destination, or a non-2xx body for a file destination.
    public let body: Data
    /// For a file destination and a 2xx status: what was written.
    public let file: DownloadedFile?
    /// Connections libcurl opened for this attempt: 0 when a kept-alive one was reused
    /// (CURLINFO_NUM_CONNECTS).
    public let newConnections: Int

    public init(status: Int, headers: HTTPHeaders, body: Data, file: DownloadedFile? = nil, newConnections: Int = 0) {
        self.status = status
        self.headers = headers
        self.body = body
        self.file = file
        self.newConnections = newConnections
    }

    /// 200 to 299.
    public var isSuccess: Bool { (200..<300).contains(status) }

    /// The body as UTF-8 text (invalid bytes replaced).
    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// A body streamed to a file, with its size and SHA-256 computed as it arrived.
public struct DownloadedFile: Sendable, Equatable {
    public let path: String
    public let byteCount: Int64
    /// Lowercase hex.
    public let sha256: String

    public init(path: String, byteCount: Int64, sha256: String) {
        self.path = path
        self.byteCount = byteCount
        self.sha256 = sha256
    }
}

/// How many requests a client has sent (every attempt counts, retries included).
public struct RequestCounts: Sendable, Equatable {
    public var total = 0
    public var byMethod: [HTTPMethod: Int] = [:]

    public init(total: Int = 0, byMethod: [HTTPMethod: Int] = [:]) {
        self.total = total
        self.byMethod = byMethod
    }

    public subscript(method: HTTPMethod) -> Int { byMethod[method] ?? 0 }
}
