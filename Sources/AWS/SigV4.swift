import Crypto
import Foundation
import HTTP

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

        var canonical: [String: [String]] = [:]
        for (name, value) in headers where !Self.unsigned.contains(name.lowercased()) {
            canonical[name.lowercased(), default: []].append(Self.trimmed(value))
        }
        let names = canonical.keys.sorted()
        let signedHeaders = names.joined(separator: ";")
        let headerBlock = names.map { "\($0):\(canonical[$0]!.joined(separator: ","))\n" }.joined()
        let canonicalPath = isS3 ? path : AWSEncoding.uriEncode(path, keepSlash: true)
        let canonicalRequest = [
            method.rawValue, canonicalPath.isEmpty ? "/" : canonicalPath,
            AWSEncoding.canonicalQuery(query), headerBlock, signedHeaders, payloadHash,
        ].joined(separator: "\n")

        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = ["AWS4-HMAC-SHA256", stamp, scope,
                            AWSEncoding.sha256Hex(Data(canonicalRequest.utf8))].joined(separator: "\n")
        let signature = Self.hmac(signingKey(day: day), stringToSign).hex
        let authorization = "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyId)/\(scope), "
            + "SignedHeaders=\(signedHeaders), Signature=\(signature)"
        return Signature(canonicalRequest: canonicalRequest, stringToSign: stringToSign,
                         signedHeaders: signedHeaders, signature: signature, authorization: authorization)
    }

    /// `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, day), region), service), "aws4_request")`.
    public func signingKey(day: String) -> SymmetricKey {
        var key = SymmetricKey(data: Data(("AWS4" + credentials.secretAccessKey).utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Self.hmac(key, part))
        }
        return key
    }

    private static func hmac(_ key: SymmetricKey, _ text: String) -> Data {
        Data(HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: key))
    }

    /// Trims a header value and folds runs of spaces into one, as SigV4 asks.
    private static func trimmed(_ value: String) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            .trimmingCharacters(in: .whitespaces)
    }

    /// `yyyyMMdd'T'HHmmss'Z'` in UTC.
    public static func timestamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ value: Int?) -> String { value.map { $0 < 10 ? "0\($0)" : "\($0)" } ?? "00" }
        return "\(c.year!)\(two(c.month))\(two(c.day))T\(two(c.hour))\(two(c.minute))\(two(c.second))Z"
    }
}
