import AWS
import Testing
@testable import Builder

/// Nested templates' URLs follow the S3 endpoint the build is configured with.
@Suite struct ArtifactURLTests {
    static func config(endpoint: String?) -> AWSConfig {
        AWSConfig(region: "eu-west-1",
                  credentials: StaticCredentialProvider(AWSCredentials(accessKeyId: "a", secretAccessKey: "b"), source: "test"),
                  endpoints: EndpointSettings(explicit: endpoint))
    }

    @Test func awsGivesTheRegionalPathStyleEndpointAndACustomEndpointIsKept() throws {
        #expect(try ArtifactLocation.urlBase(for: Self.config(endpoint: nil)) == "https://s3.eu-west-1.amazonaws.com")
        #expect(try ArtifactLocation.urlBase(for: Self.config(endpoint: "http://localhost:5000/")) == "http://localhost:5000")
        let location = ArtifactLocation(bucket: "releases", key: "ferry/artifacts/sha256/abc", sha256: "abc", size: 1)
        #expect(location.url(base: "http://localhost:5000") == "http://localhost:5000/releases/ferry/artifacts/sha256/abc")
    }
}
