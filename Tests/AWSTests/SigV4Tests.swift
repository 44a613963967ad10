@testable import AWS
import Foundation
import HTTP
import Testing

/// The signer against AWS's published vectors: the Signature Version 4 test suite
/// (credentials AKIDEXAMPLE, 2015-08-30T12:36:00Z, us-east-1, service "service") and the
/// S3 "Examples: Signature Calculations" (AKIAIOSFODNN7EXAMPLE, 2013-05-24).
@Suite struct SigV4Tests {
    static let suiteDate = Date(timeIntervalSince1970: 1_440_938_160)  // 20150830T123600Z
    static let suiteSigner = SigV4Signer(
        credentials: AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
        region: "us-east-1", service: "service")

    struct Vector: Sendable, CustomTestStringConvertible {
        let name: String
        var method: HTTPMethod = .get
        var path = "/"
        var query: [(name: String, value: String)] = []
        var headers: [(String, String)] = []
        var body = ""
        let signedHeaders: String
        let signature: String
        var testDescription: String { name }
    }

    static let suite: [Vector] = [
        Vector(name: "get-vanilla", signedHeaders: "host;x-amz-date",
               signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        Vector(name: "get-vanilla-query-order-key-case", query: [("Param2", "value2"), ("Param1", "value1")],
               signedHeaders: "host;x-amz-date", signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
        Vector(name: "get-vanilla-utf8-query", query: [("ሴ", "bar")], signedHeaders: "host;x-amz-date",
               signature: "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"),
        Vector(name: "get-utf8", path: "/ሴ", signedHeaders: "host;x-amz-date",
               signature: "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"),
        Vector(name: "get-unreserved", path: "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
               signedHeaders: "host;x-amz-date", signature: "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"),
        Vector(name: "get-header-key-duplicate",
               headers: [("My-Header1", "value2"), ("My-Header1", "value2"), ("My-Header1", "value1")],
               signedHeaders: "host;my-header1;x-amz-date",
               signature: "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"),
        Vector(name: "get-header-value-trim", headers: [("My-Header1", " value1"), ("My-Header2", " \"a   b   c\"")],
               signedHeaders: "host;my-header1;my-header2;x-amz-date",
               signature: "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"),
        Vector(name: "post-vanilla", method: .post, signedHeaders: "host;x-amz-date",
               signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
        Vector(name: "post-vanilla-query", method: .post, query: [("Param1", "value1")], signedHeaders: "host;x-amz-date",
               signature: "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"),
        Vector(name: "post-vanilla-query-nonunreserved", method: .post,
               query: [("@#$%^", ""), ("+", "/,?><`\";:\\|][{}")], signedHeaders: "host;x-amz-date",
               signature: "66c82657c86e26fb25238d0e69f011edc4c6df5ae71119d7cb98ed9b87393c1e"),
        Vector(name: "post-header-key-sort", method: .post, headers: [("My-Header1", "value1")],
               signedHeaders: "host;my-header1;x-amz-date",
               signature: "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"),
        Vector(name: "post-header-value-case", method: .post, headers: [("My-Header1", "VALUE1")],
               signedHeaders: "host;my-header1;x-amz-date",
               signature: "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"),
        Vector(name: "post-x-www-form-urlencoded", method: .post,
               headers: [("Content-Type", "application/x-www-form-urlencoded")], body: "Param1=value1",
               signedHeaders: "content-type;host;x-amz-date",
               signature: "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"),
    ]

    @Test(arguments: suite)
    func signatureVersion4TestSuite(_ vector: Vector) {
        var headers: HTTPHeaders = ["Host": "example.amazonaws.com"]
        for (name, value) in vector.headers { headers.add(name, value) }
        let signed = Self.suiteSigner.sign(method: vector.method, path: vector.path, query: vector.query, headers: headers,
                                           payloadHash: AWSEncoding.sha256Hex(Data(vector.body.utf8)), date: Self.suiteDate)
        #expect(signed["Authorization"] == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            + "SignedHeaders=\(vector.signedHeaders), Signature=\(vector.signature)")
        #expect(signed["X-Amz-Date"] == "20150830T123600Z")
        #expect(signed["X-Amz-Content-Sha256"] == nil)  // only S3 sends the payload hash
    }

    @Test func postStsHeaderBeforeSignsTheSessionToken() {
        let token = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="
        let signer = SigV4Signer(
            credentials: AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                        sessionToken: token),
            region: "us-east-1", service: "service")
        let signed = signer.sign(method: .post, path: "/", headers: ["Host": "example.amazonaws.com"],
                                 payloadHash: AWSEncoding.emptySHA256, date: Self.suiteDate)
        #expect(signed["X-Amz-Security-Token"] == token)
        #expect(signed["Authorization"] == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            + "SignedHeaders=host;x-amz-date;x-amz-security-token, "
            + "Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead")
    }

    // S3's examples. The S3 documentation prints the header with "," between parts;
    // Ferry writes ", " as botocore does. Both forms are accepted by S3.
    static let s3Date = Date(timeIntervalSince1970: 1_369_353_600)  // 20130524T000000Z
    static let s3Signer = SigV4Signer(
        credentials: AWSCredentials(accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        region: "us-east-1", service: "s3")
    static func s3Authorization(_ signedHeaders: String, _ signature: String) -> String {
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            + "SignedHeaders=\(signedHeaders), Signature=\(signature)"
    }

    @Test func s3GetObjectWithRange() {
        let signed = Self.s3Signer.sign(method: .get, path: "/test.txt",
                                        headers: ["Host": "examplebucket.s3.amazonaws.com", "Range": "bytes=0-9"],
                                        payloadHash: AWSEncoding.emptySHA256, date: Self.s3Date)
        #expect(signed["x-amz-content-sha256"] == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(signed["Authorization"] == Self.s3Authorization(
            "host;range;x-amz-content-sha256;x-amz-date", "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"))
    }

    @Test func s3PutObject() {
        let body = Data("Welcome to Amazon S3.".utf8)
        #expect(AWSEncoding.sha256Hex(body) == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
        let path = "/" + AWSEncoding.uriEncode("test$file.text", keepSlash: true)
        #expect(path == "/test%24file.text")
        let signed = Self.s3Signer.sign(
            method: .put, path: path,
            headers: ["Host": "examplebucket.s3.amazonaws.com", "Date": "Fri, 24 May 2013 00:00:00 GMT",
                      "x-amz-storage-class": "REDUCED_REDUNDANCY"],
            payloadHash: AWSEncoding.sha256Hex(body), date: Self.s3Date)
        #expect(signed["Authorization"] == Self.s3Authorization(
            "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"))
    }

    @Test func s3GetBucketLifecycle() {
        let signed = Self.s3Signer.sign(method: .get, path: "/", query: [("lifecycle", "")],
                                        headers: ["Host": "examplebucket.s3.amazonaws.com"],
                                        payloadHash: AWSEncoding.emptySHA256, date: Self.s3Date)
        #expect(signed["Authorization"] == Self.s3Authorization(
            "host;x-amz-content-sha256;x-amz-date", "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"))
    }

    @Test func s3ListObjects() {
        let signed = Self.s3Signer.sign(method: .get, path: "/", query: [("prefix", "J"), ("max-keys", "2")],
                                        headers: ["Host": "examplebucket.s3.amazonaws.com"],
                                        payloadHash: AWSEncoding.emptySHA256, date: Self.s3Date)
        #expect(signed["Authorization"] == Self.s3Authorization(
            "host;x-amz-content-sha256;x-amz-date", "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"))
    }

    @Test func signingKeyMatchesTheDocumentedExample() {
        // "Deriving the signing key" in the AWS General Reference.
        let signer = SigV4Signer(
            credentials: AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            region: "us-east-1", service: "iam")
        let key = signer.signingKey(day: "20150830").withUnsafeBytes { Data($0) }
        #expect(key.map { String(format: "%02x", $0) }.joined()
            == "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9")
    }

    @Test func encodesKeysAndQueriesOnceAndCanonically() {
        #expect(AWSEncoding.uriEncode("releases/1.2.0+build.7/a b/ü~", keepSlash: true)
            == "releases/1.2.0%2Bbuild.7/a%20b/%C3%BC~")
        #expect(AWSEncoding.uriEncode("a/b") == "a%2Fb")
        #expect(AWSEncoding.canonicalQuery([("prefix", "ferry/x y"), ("a", "2"), ("a", "1"), ("versions", "")])
            == "a=1&a=2&prefix=ferry%2Fx%20y&versions=")
        // An S3 path is signed exactly as sent: "%2B" is not encoded again.
        var headers: HTTPHeaders = ["Host": "b.s3.amazonaws.com"]
        let parts = Self.s3Signer.signature(method: .get, path: "/1.2.0%2Bbuild.7", headers: &headers,
                                            payloadHash: AWSEncoding.emptySHA256, date: Self.s3Date)
        #expect(parts.canonicalRequest.hasPrefix("GET\n/1.2.0%2Bbuild.7\n"))
        // Other services encode the sent path once more.
        var other: HTTPHeaders = ["Host": "example.amazonaws.com"]
        let doubled = Self.suiteSigner.signature(method: .get, path: "/a%20b", headers: &other,
                                                 payloadHash: AWSEncoding.emptySHA256, date: Self.suiteDate)
        #expect(doubled.canonicalRequest.hasPrefix("GET\n/a%2520b\n"))
    }

    @Test(arguments: [
        ("value", "value"), (" value1", "value1"), ("\t a   b  c \t", "a b c"), ("\"a   b   c\"", "\"a b c\""),
        ("   ", ""), ("", ""), ("a\tb", "a\tb"), ("ü  ü", "ü ü"), ("x ", "x"),
    ])
    func headerValuesAreTrimmedAndSpacesFolded(value: String, expected: String) {
        #expect(SigV4Signer.trimmed(value) == expected)
    }

    @Test(arguments: [
        (0.0, "19700101T000000Z"), (951_868_799.0, "20000229T235959Z"), (1_440_938_160.9, "20150830T123600Z"),
        (1_709_251_199.0, "20240229T235959Z"), (4_102_444_800.0, "21000101T000000Z"),
    ])
    func timestampsAreUTC(seconds: Double, expected: String) {
        #expect(SigV4Signer.timestamp(Date(timeIntervalSince1970: seconds)) == expected)
    }

    @Test func aDerivedKeyIsKeptPerSecretDayRegionAndService() {
        func key(_ secret: String, _ day: String, _ region: String = "eu-west-1", _ service: String = "s3") -> Data {
            SigV4Signer(credentials: AWSCredentials(accessKeyId: "AKID", secretAccessKey: secret), region: region,
                        service: service).signingKey(day: day).withUnsafeBytes { Data($0) }
        }
        let secret = "cache-test-\(UUID().uuidString)"
        let first = key(secret, "20240101")
        let scope = KeyCache.Scope(secret: secret, day: "20240101", region: "eu-west-1", service: "s3")
        #expect(KeyCache.shared.key(for: scope)?.withUnsafeBytes { Data($0) } == first)
        #expect(key(secret, "20240101") == first)
        let others = [key(secret + "x", "20240101"), key(secret, "20240102"), key(secret, "20240101", "us-east-1"),
                      key(secret, "20240101", "eu-west-1", "sts")]
        #expect(Set(others + [first]).count == 5)
        // The cache is bounded.
        let fresh = KeyCache()
        #expect(fresh.key(for: scope) == nil)
        let anyKey = SigV4Signer(credentials: AWSCredentials(accessKeyId: "AKID", secretAccessKey: secret), region: "r",
                                 service: "x").signingKey(day: "d")
        for index in 0..<KeyCache.limit + 3 {
            fresh.keep(anyKey, for: KeyCache.Scope(secret: "s\(index)", day: "d", region: "r", service: "x"))
        }
        #expect(fresh.count <= KeyCache.limit)
    }
}
