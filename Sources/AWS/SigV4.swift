import Basics
import Crypto
import Foundation
import HTTP
import Synchronization

/// AWS Signature Version 4 over headers, as a pure function of the request, the
/// credentials and the date (no clock, no I/O). S3 flavour: the path is signed as sent
/// (never encoded twice) and the payload hash is sent as `x-amz-content-sha256`; every
/// other service signs the path encoded once more.
public struct SigV4Signer: Sendable {
    public let credentials: AWSCredentials
    public let region: String
    /// The signing name: `s3`, `cloudformation`, `sts`, `organizations`...
    public let service: String

    public init(credentials: AWSCredentials, region: String, service: String) {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    private var isS3: Bool { service == "s3" }

    /// Headers never signed: proxies and libcurl may change them.
    private static let unsigned: Set<String> = ["authorization", "user-agent", "expect", "x-amzn-trace-id", "content-length"]

    /// The signature's parts, for tests and for debugging a `SignatureDoesNotMatch`.
    public struct Signature: Sendable {
        public let canonicalRequest: String
        public let stringToSign: String
        public let signedHeaders: String
        public let signature: String
        public let authorization: String
    }

    /// Signs a request and returns its headers with `X-Amz-Date`, `X-Amz-Security-Token`
    /// (temporary credentials), `X-Amz-Content-Sha256` (S3) and `Authorization` added.
    /// `path` is the URL path exactly as sent (percent-encoded); `query` holds unencoded
    /// names and values (send them as `AWSEncoding.canonicalQuery(query)`); `headers`
    /// must include `Host`.
    public func sign(method: HTTPMethod, path: String, query: [(name: String, value: String)] = [],
                     headers: HTTPHeaders, payloadHash: String, date: Date) -> HTTPHeaders {
        var headers = headers
        let parts = signature(method: method, path: path, query: query, headers: &headers,
                              payloadHash: payloadHash, date: date)
        headers["Authorization"] = parts.authorization
        return headers
    }

    /// The signature without the final header (see `sign`); adds the `X-Amz-*` headers.
    public func signature(method: HTTPMethod, path: String, query: [(name: String, value: String)] = [],
                          headers: inout HTTPHeaders, payloadHash: String, date: Date) -> Signature {
        let stamp = Self.timestamp(date)
        let day = String(stamp.prefix(8))
        headers["X-Amz-Date"] = stamp
        if let token = credentials.sessionToken { headers["X-Amz-Security-Token"] = token }
        if isS3 { headers["X-Amz-Content-Sha256"] = payloadHash }

        // Lowercased names, sorted; values of one name joined with commas in their order.
        var fields: [(name: String, value: String)] = []
        fields.reserveCapacity(headers.fields.count)
        for (name, value) in headers {
            let lower = name.lowercased()
            if !Self.unsigned.contains(lower) { fields.append((lower, Self.trimmed(value))) }
        }
        var names: [String] = []
        var headerBlock = ""
        for (name, value) in fields.enumerated().sorted(by: { ($0.element.name, $0.offset) < ($1.element.name, $1.offset) })
            .map(\.element) {
            if names.last == name {
                headerBlock.removeLast()
                headerBlock += "," + value + "\n"
            } else {
                names.append(name)
                headerBlock += name + ":" + value + "\n"
            }
        }
        let signedHeaders = names.joined(separator: ";")
        let canonicalPath = isS3 ? path : AWSEncoding.uriEncode(path, keepSlash: true)
        let canonicalRequest = [
            method.rawValue, canonicalPath.isEmpty ? "/" : canonicalPath,
            AWSEncoding.canonicalQuery(query), headerBlock, signedHeaders, payloadHash,
        ].joined(separator: "\n")

        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = ["AWS4-HMAC-SHA256", stamp, scope,
                            AWSEncoding.sha256Hex(Data(canonicalRequest.utf8))].joined(separator: "\n")
        let signature = Hex.encode(Self.hmac(signingKey(day: day), stringToSign))
        let authorization = "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyId)/\(scope), "
            + "SignedHeaders=\(signedHeaders), Signature=\(signature)"
        return Signature(canonicalRequest: canonicalRequest, stringToSign: stringToSign,
                         signedHeaders: signedHeaders, signature: signature, authorization: authorization)
    }

    /// `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, day), region), service), "aws4_request")`,
    /// derived once per (secret, day, region, service) in the process and kept (`KeyCache`).
    public func signingKey(day: String) -> SymmetricKey {
        let scope = KeyCache.Scope(secret: credentials.secretAccessKey, day: day, region: region, service: service)
        if let key = KeyCache.shared.key(for: scope) { return key }
        var key = SymmetricKey(data: Data(("AWS4" + credentials.secretAccessKey).utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Self.hmac(key, part))
        }
        KeyCache.shared.keep(key, for: scope)
        return key
    }

    private static func hmac(_ key: SymmetricKey, _ text: String) -> Data {
        Data(HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: key))
    }

    /// Trims spaces and tabs off a header value and folds runs of spaces into one, as
    /// SigV4 asks. Bytes, not Foundation: this runs for every header of every request.
    static func trimmed(_ value: String) -> String {
        let bytes = value.utf8
        func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard let first = bytes.firstIndex(where: { !isBlank($0) }) else { return "" }
        let last = bytes.lastIndex(where: { !isBlank($0) })!
        let core = bytes[first...last]
        var previous: UInt8 = 0
        let folds = core.contains { byte in
            defer { previous = byte }
            return byte == UInt8(ascii: " ") && previous == UInt8(ascii: " ")
        }
        guard folds || first != bytes.startIndex || last != bytes.index(before: bytes.endIndex) else { return value }
        var out: [UInt8] = []
        out.reserveCapacity(core.count)
        for byte in core where !(byte == UInt8(ascii: " ") && out.last == UInt8(ascii: " ")) { out.append(byte) }
        return String(decoding: out, as: UTF8.self)
    }

    /// `yyyyMMdd'T'HHmmss'Z'` in UTC (`gmtime_r`: no calendar or time zone objects).
    public static func timestamp(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var fields = tm()
        gmtime_r(&seconds, &fields)
        var out: [UInt8] = []
        out.reserveCapacity(16)
        func digits(_ value: Int32, _ count: Int) {
            var divisor: Int32 = 1
            for _ in 1..<count { divisor *= 10 }
            while divisor > 0 {
                out.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
                divisor /= 10
            }
        }
        digits(fields.tm_year + 1900, 4)
        digits(fields.tm_mon + 1, 2)
        digits(fields.tm_mday, 2)
        out.append(UInt8(ascii: "T"))
        digits(fields.tm_hour, 2)
        digits(fields.tm_min, 2)
        digits(fields.tm_sec, 2)
        out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }
}

/// Derived SigV4 signing keys, kept for the process: a key depends only on the secret,
/// the day, the region and the service, and deriving it takes four HMACs. Bounded:
/// emptied when it holds `limit` keys (temporary credentials rotate, days pass).
final class KeyCache: Sendable {
    struct Scope: Hashable, Sendable {
        let secret: String
        let day: String
        let region: String
        let service: String
    }

    static let shared = KeyCache()
    static let limit = 64
    private let keys = Mutex<[Scope: SymmetricKey]>([:])

    func key(for scope: Scope) -> SymmetricKey? { keys.withLock { $0[scope] } }

    /// How many keys are kept now.
    var count: Int { keys.withLock { $0.count } }

    func keep(_ key: SymmetricKey, for scope: Scope) {
        keys.withLock { keys in
            if keys.count >= Self.limit { keys.removeAll() }
            keys[scope] = key
        }
    }
}
