import Foundation
import HTTP

/// The JSON that the ECS container endpoint and EC2 instance metadata answer with.
private struct CredentialDocument: Decodable {
    let AccessKeyId: String
    let SecretAccessKey: String
    let Token: String?
    let Expiration: String?
}

private let metadataTimeouts = HTTPTimeouts(connect: .seconds(1), total: .seconds(3))
private let metadataRetrier = Retrier(policy: RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(100), maxDelay: .seconds(1)))

private func decode(_ response: HTTPResponse, from what: String) throws(AWSError) -> AWSCredentials {
    guard response.isSuccess else {
        throw AWSError(code: .missingCredentials, message: "\(what) answered HTTP \(response.status): check the role "
            + "attached to this container or instance (and AWS_CONTAINER_AUTHORIZATION_TOKEN for a full URI)",
                       status: response.status)
    }
    guard let document = try? JSONDecoder().decode(CredentialDocument.self, from: response.body) else {
        throw AWSError(code: .invalidResponse, message: "\(what) answered something other than a credentials document")
    }
    return AWSCredentials(accessKeyId: document.AccessKeyId, secretAccessKey: document.SecretAccessKey,
                          sessionToken: document.Token, expiration: document.Expiration.flatMap(ISO8601.parse))
}

private func network(_ error: HTTPError, _ what: String) -> AWSError {
    AWSError(code: .missingCredentials, message: "no answer from \(what): \(error.message); outside AWS, give "
        + "credentials another way (AWS_ACCESS_KEY_ID, --profile)", cause: error)
}

/// ECS (and EKS Pod Identity) container credentials: GET the endpoint, with the
/// authorization token when one is configured.
enum ContainerCredentials {
    static func fetch(url: String, authorization: String?, http: HTTPClient) throws(AWSError) -> AWSCredentials {
        var headers: HTTPHeaders = ["Accept": "application/json"]
        if let authorization { headers["Authorization"] = authorization }
        let response: HTTPResponse
        do throws(HTTPError) {
            response = try http.send(HTTPRequest(method: .get, url: url, headers: headers,
                                                 destination: .memory(limit: 64 << 10), timeouts: metadataTimeouts),
                                     retrier: metadataRetrier)
        } catch {
            throw network(error, "the container credentials endpoint")
        }
        return try decode(response, from: "the container credentials endpoint")
    }
}

/// EC2 instance metadata, IMDSv2: PUT a session token, then GET the role name and its
/// credentials with that token.
enum InstanceMetadata {
    static func fetch(endpoint: String, http: HTTPClient) throws(AWSError) -> AWSCredentials {
        let base = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        func send(_ method: HTTPMethod, _ path: String, _ headers: HTTPHeaders) throws(AWSError) -> HTTPResponse {
            let response: HTTPResponse
            do throws(HTTPError) {
                response = try http.send(HTTPRequest(method: method, url: base + path, headers: headers,
                                                     destination: .memory(limit: 64 << 10), timeouts: metadataTimeouts),
                                         retrier: metadataRetrier)
            } catch {
                throw network(error, "instance metadata")
            }
            guard response.isSuccess else {
                throw AWSError(code: .missingCredentials, message: "instance metadata \(path) answered HTTP \(response.status)",
                               status: response.status)
            }
            return response
        }
        let token = try send(.put, "/latest/api/token", ["X-aws-ec2-metadata-token-ttl-seconds": "21600"]).text
        let auth: HTTPHeaders = ["X-aws-ec2-metadata-token": token.trimmingCharacters(in: .whitespacesAndNewlines)]
        let roles = try send(.get, "/latest/meta-data/iam/security-credentials/", auth).text
        guard let role = roles.split(whereSeparator: \.isNewline).first.map(String.init), !role.isEmpty else {
            throw AWSError(code: .missingCredentials, message: "this instance has no IAM role: attach an instance profile "
                + "with the role to use, or give credentials another way (AWS_ACCESS_KEY_ID, --profile)")
        }
        let response = try send(.get, "/latest/meta-data/iam/security-credentials/" + AWSEncoding.uriEncode(role), auth)
        return try decode(response, from: "instance metadata")
    }
}

/// ISO 8601 timestamps as AWS writes them, with or without fractional seconds.
enum ISO8601 {
    static func parse(_ text: String) -> Date? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if let date = try? Date(trimmed, strategy: .iso8601) { return date }
        return try? Date(trimmed, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
