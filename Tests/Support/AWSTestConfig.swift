import AWS
import Foundation
import HTTP

/// AWS configs for tests: fixed keys, us-east-1, an explicit endpoint (path-style S3).
public enum AWSTestConfig {
    /// A config for `endpoint` (default: the shared moto server) with its own HTTP client,
    /// so a test can count its requests.
    public static func make(endpoint: String? = nil, accessKeyId: String = "testing", secretAccessKey: String = "testing",
                            http: HTTPClient = HTTPClient(), retrier: Retrier = Retrier(),
                            s3: S3Settings = S3Settings()) throws -> AWSConfig {
        let url = try endpoint ?? TestEnvironment.motoEndpoint()
        return AWSConfig(
            region: "us-east-1",
            credentials: StaticCredentialProvider(AWSCredentials(accessKeyId: accessKeyId, secretAccessKey: secretAccessKey),
                                                  source: "test"),
            endpoints: EndpointSettings(explicit: url), http: http, retrier: retrier, s3: s3)
    }

    /// A fresh 12-digit account id for tests that assume a role into "another account".
    public static func uniqueAccountId() -> String {
        String(format: "%012llu", UInt64.random(in: 100_000_000_000...999_999_999_999))
    }
}
