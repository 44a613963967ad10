import AWS
import Foundation
import HTTP
import TestSupport
import Testing

/// ECS container credentials and EC2 instance metadata (IMDSv2). moto serves neither on a
/// local port, so the test proxy's origin stands in for both (Tests/Support/fault_proxy.py:
/// IMDS refuses a GET without the session token from the PUT; ECS checks the token).
@Suite struct MetadataCredentialTests {
    let standIn: FaultProxy
    let dir: TemporaryDirectory
    init() throws {
        standIn = try FaultProxy()
        dir = try TemporaryDirectory()
    }

    var base: [String: String] { ["HOME": dir.path, "AWS_REGION": "us-east-1"] }

    @Test func containerCredentialsUseTheAuthorizationToken() throws {
        var env = base
        env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = standIn.endpoint + "/ecs/credentials"
        env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "ecs-auth-token"
        let config = try AWSConfig.resolve(environment: env, http: HTTPClient())
        #expect(config.credentials.source == "ecs container")
        let credentials = try config.credentials.credentials()
        #expect(credentials.accessKeyId == "ASIAECSEXAMPLE" && credentials.sessionToken == "ASIAECSEXAMPLE-token")
        #expect(credentials.expiration.map { $0 > Date() } == true)

        // The token file wins over the variable, and is read at each fetch.
        env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = try dir.write("token", "wrong-token\n")
        let refused = #expect(throws: AWSError.self) {
            try AWSConfig.resolve(environment: env, http: HTTPClient()).credentials.credentials()
        }
        #expect(refused?.code == .missingCredentials && refused?.status == 401)
        try dir.write("token", "ecs-auth-token\n")
        #expect(try AWSConfig.resolve(environment: env, http: HTTPClient()).credentials.credentials().accessKeyId == "ASIAECSEXAMPLE")
    }

    @Test func instanceMetadataUsesASessionToken() throws {
        var env = base
        env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = standIn.endpoint
        let http = HTTPClient()
        let config = try AWSConfig.resolve(environment: env, http: http)
        #expect(config.credentials.source == "ec2 instance metadata")
        let credentials = try config.credentials.credentials()
        #expect(credentials.accessKeyId == "ASIAIMDSEXAMPLE" && credentials.secretAccessKey == "imds-secret")
        #expect(try standIn.log().map { "\($0.method) \($0.path)" } == [
            "PUT /latest/api/token",
            "GET /latest/meta-data/iam/security-credentials/",
            "GET /latest/meta-data/iam/security-credentials/ferry-instance-role",
        ])
        // Cached until five minutes before expiry: no second fetch.
        _ = try config.credentials.credentials()
        #expect(http.requestCounts.total == 3)
    }

    @Test func noInstanceMetadataMeansAListOfWhatWasTried() throws {
        var env = base
        env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = "http://127.0.0.1:9"
        let config = try AWSConfig.resolve(environment: env, http: HTTPClient())
        let error = #expect(throws: AWSError.self) { try config.credentials.credentials() }
        #expect(error?.code == .missingCredentials)
        #expect(error?.message.contains("environment variables") == true)
        #expect(error?.message.contains("EC2 instance metadata at http://127.0.0.1:9") == true)
    }
}
