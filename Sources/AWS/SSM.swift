import Foundation

extension AWSService {
    /// AWS Systems Manager (the agent's settings in Parameter Store).
    public static let ssm = AWSService(signingName: "ssm", endpointName: "SSM")
}

/// SSM Parameter Store (JSON 1.1 protocol: a POST with `X-Amz-Target`): the agent's
/// settings, as `stacksets/ferry-silo.yaml` writes them under `/ferry/agent/`.
public struct SSM: Sendable {
    private let transport: AWSTransport

    public init(config: AWSConfig) {
        transport = AWSTransport(config: config, service: .ssm)
    }

    /// One parameter: its full name and value (a `StringList` is its comma-separated text).
    public struct Parameter: Sendable, Equatable, Decodable {
        public let name: String
        public let value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }

        enum CodingKeys: String, CodingKey { case name = "Name", value = "Value" }
    }

    /// `GetParametersByPath`, recursive, decrypted, every page: the parameters under `path`.
    public func parameters(under path: String) throws(AWSError) -> [Parameter] {
        struct Out: Decodable { let Parameters: [Parameter]; let NextToken: String? }
        var found: [Parameter] = []
        var token: String?
        repeat {
            var input: [String: Any] = ["Path": path, "Recursive": true, "WithDecryption": true]
            if let token { input["NextToken"] = token }
            let page = try call("GetParametersByPath", input, as: Out.self)
            found += page.Parameters
            token = page.NextToken
        } while token != nil
        return found
    }

    /// `PutParameter` of a `String` (overwriting): how tests and scripts set a setting.
    public func putParameter(name: String, value: String) throws(AWSError) {
        struct Out: Decodable {}
        _ = try call("PutParameter", ["Name": name, "Value": value, "Type": "String", "Overwrite": true], as: Out.self)
    }

    private func call<Output: Decodable>(_ action: String, _ input: [String: Any], as: Output.Type) throws(AWSError) -> Output {
        var request = AWSRequest(operation: "SSM.\(action)", method: .post)
        request.headers = ["Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AmazonSSM.\(action)"]
        let body = (try? JSONSerialization.data(withJSONObject: input, options: [.sortedKeys])) ?? Data("{}".utf8)
        request.body = .bytes(body)
        let response = try transport.send(request)
        let data = response.body.isEmpty ? Data("{}".utf8) : response.body
        guard let output = try? JSONDecoder().decode(Output.self, from: data) else {
            throw AWSError(code: .invalidResponse, message: "\(action) answered JSON of an unexpected shape",
                           status: response.status, operation: request.operation)
        }
        return output
    }
}
