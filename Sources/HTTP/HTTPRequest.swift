import Foundation

/// An HTTP method. A struct rather than an enum so that any token can be sent, with
/// constants for the ones Ferry uses.
public struct HTTPMethod: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue.uppercased() }
    public var description: String { rawValue }

    public static let get = HTTPMethod(rawValue: "GET")
    public static let head = HTTPMethod(rawValue: "HEAD")
    public static let put = HTTPMethod(rawValue: "PUT")
    public static let post = HTTPMethod(rawValue: "POST")
    public static let delete = HTTPMethod(rawValue: "DELETE")
}

/// Header fields in the order they were added; names compare case-insensitively.
public struct HTTPHeaders: Sendable, Sequence, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    public private(set) var fields: [(name: String, value: String)] = []

    public init() {}
    public init(dictionaryLiteral elements: (String, String)...) {
        for (name, value) in elements { add(name, value) }
    }

    /// The first value of `name`; setting replaces every field of that name (nil removes).
    public subscript(name: String) -> String? {
        get { fields.first { $0.name.caseInsensitiveEquals(name) }?.value }
        set {
            fields.removeAll { $0.name.caseInsensitiveEquals(name) }
            if let newValue { fields.append((name, newValue)) }
        }
    }

    /// Appends a field, keeping any earlier one of the same name.
    public mutating func add(_ name: String, _ value: String) { fields.append((name, value)) }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> {
        fields.makeIterator()
    }

    /// Names only: header values may carry credentials (`Authorization`, security tokens).
    public var description: String { "[" + fields.map(\.name).joined(separator: ", ") + "]" }
}

extension String {
    /// ASCII case-insensitive equality (header names are ASCII).
    func caseInsensitiveEquals(_ other: String) -> Bool {
        utf8.count == other.utf8.count && zip(utf8, other.utf8).allSatisfy { a, b in
            a == b || (a | 0x20 == b | 0x20 && (a | 0x20) >= 0x61 && (a | 0x20) <= 0x7A)
        }
    }
}

/// What a request sends as its body.
public enum HTTPBody: Sendable {
    /// No body (GET, HEAD, DELETE; an empty POST or PUT sends `Content-Length: 0`).
    case none
    /// Bytes held in memory.
    case bytes(Data)
    /// `length` bytes of a file from `offset` (nil: to the end of the file). The file is
    /// opened afresh for every attempt, so a retried upload re-reads it from the start.
    case file(path: String, offset: Int64 = 0, length: Int64? = nil)
}

/// Where a response body goes.
public enum ResponseDestination: Sendable {
    /// Into `HTTPResponse.body`, failing with `.tooLarge` past `limit` bytes.
    case memory(limit: Int)
    /// Into a file (created or truncated), hashed with SHA-256 as it arrives, failing with
    /// `.tooLarge` past `limit` bytes. Only a 2xx body is written there; any other status
    /// keeps its (small) body in memory for the error. The file is removed on any failure.
    case file(path: String, limit: Int64)

    /// The default: 16 MiB in memory.
    public static let defaultMemory = ResponseDestination.memory(limit: 16 << 20)
}

/// Time limits of one attempt. Transfers slower than `lowSpeedLimit` bytes per second
/// for `lowSpeedTime` fail as timed out, so big transfers need no total limit.
public struct HTTPTimeouts: Sendable, Equatable {
    public var connect: Duration
    /// The whole attempt, or nil for no limit.
    public var total: Duration?
    public var lowSpeedLimit: Int
    public var lowSpeedTime: Duration

    public init(
        connect: Duration = .seconds(10), total: Duration? = nil,
        lowSpeedLimit: Int = 1024, lowSpeedTime: Duration = .seconds(30)
    ) {
        self.connect = connect
        self.total = total
        self.lowSpeedLimit = lowSpeedLimit
        self.lowSpeedTime = lowSpeedTime
    }
}

/// One HTTP request: the URL must already be percent-encoded.
public struct HTTPRequest: Sendable {
    public var method: HTTPMethod
    public var url: String
    public var headers: HTTPHeaders
    public var body: HTTPBody
    public var destination: ResponseDestination
    /// nil: the client's defaults.
    public var timeouts: HTTPTimeouts?

    public init(
        method: HTTPMethod, url: String, headers: HTTPHeaders = [:], body: HTTPBody = .none,
        destination: ResponseDestination = .defaultMemory, timeouts: HTTPTimeouts? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.destination = destination
        self.timeouts = timeouts
    }
}

extension HTTPRequest {
    /// The URL without its query string, for messages (a query may carry a signature).
    public var redactedURL: String {
        guard let mark = url.firstIndex(of: "?") else { return url }
        return String(url[..<mark]) + "?…"
    }
}
