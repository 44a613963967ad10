import AWS
import Foundation
import TestSupport
import Testing

/// Plain http only to this machine unless `--allow-http`; container credentials only
/// from this machine or the ECS/EKS link-local addresses (issue 12).
@Suite struct PlainHTTPTests {
    let dir: TemporaryDirectory
    init() throws { dir = try TemporaryDirectory() }

    var env: [String: String] {
        ["HOME": dir.path, "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "A", "AWS_SECRET_ACCESS_KEY": "s"]
    }

    @Test(arguments: ["http://moto.internal:5000", "http://10.0.0.5", "http://127.example.com", "http://localhost.evil.com"])
    func plainHTTPToAnotherMachineIsRefused(_ url: String) throws {
        let error = #expect(throws: AWSError.self) { try AWSConfig.resolve(endpointURL: url, environment: env) }
        #expect(error?.code == .invalidConfiguration && error?.message.contains("--allow-http") == true)
        var variables = env
        variables["AWS_ENDPOINT_URL_S3"] = url
        let perService = #expect(throws: AWSError.self) { try AWSConfig.resolve(environment: variables) }
        #expect(perService?.code == .invalidConfiguration)
        // Allowed when asked for.
        let config = try AWSConfig.resolve(endpointURL: url, environment: env, allowHTTP: true)
        #expect(try config.endpoint(for: .s3).scheme == "http")
    }

    @Test(arguments: ["http://localhost:5000", "http://127.0.0.1:5000", "http://127.1.2.3", "http://[::1]:5000",
                      "https://s3.internal.example.com"])
    func loopbackOrHTTPSIsAllowed(_ url: String) throws {
        let config = try AWSConfig.resolve(endpointURL: url, environment: env)
        #expect(try config.endpoint(for: .cloudFormation).isCustom)
    }

    @Test(arguments: ["http://evil.example.com/creds", "https://evil.example.com/creds", "http://169.254.169.254/creds",
                      "http://10.0.0.1/creds"])
    func containerCredentialsFromAnotherHostAreRefused(_ url: String) throws {
        let variables = ["HOME": dir.path, "AWS_REGION": "us-east-1", "AWS_CONTAINER_CREDENTIALS_FULL_URI": url]
        let error = #expect(throws: AWSError.self) { try AWSConfig.resolve(environment: variables) }
        #expect(error?.code == .invalidConfiguration && error?.message.contains("AWS_CONTAINER_CREDENTIALS_FULL_URI") == true)
    }

    @Test(arguments: ["http://169.254.170.2/v2/credentials", "http://169.254.170.23/v1/credentials",
                      "http://127.0.0.1:8080/creds", "http://localhost/creds"])
    func containerCredentialsFromTheDocumentedAddressesAreAccepted(_ url: String) throws {
        let variables = ["HOME": dir.path, "AWS_REGION": "us-east-1", "AWS_CONTAINER_CREDENTIALS_FULL_URI": url]
        #expect(try AWSConfig.resolve(environment: variables).credentials.source == "ecs container")
    }
}
