import Foundation
import HTTP

/// A dedicated moto server on 127.0.0.1 for one test, stopped when released — for what
/// must not touch the shared server (switching request authentication on).
public final class MotoServer: Sendable {
    /// `http://localhost:PORT`.
    public let endpoint: String
    private let process: TestProcess

    public init(environment: [String: String] = [:]) throws {
        let start = """
            import socket, sys
            s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
            print(port, flush=True)
            from moto.server import main
            main(["-H", "127.0.0.1", "-p", str(port)])
            """
        process = try TestProcess(python: ["-c", start], environment: environment)
        endpoint = "http://localhost:\(process.firstLine)"
        let client = HTTPClient()
        for _ in 0..<200 {
            if let response = try? client.send(HTTPRequest(method: .get, url: endpoint + "/moto-api/data.json")),
               response.status == 200 { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw TestHelperNotReady(what: "moto at \(endpoint) did not answer GET /moto-api/data.json within 10 s",
                                 stderr: process.stderrSoFar)
    }

    /// Creates an IAM user with an access key and an allow-everything policy, and a role
    /// with the same policy, then switches signature checking on
    /// (`POST /moto-api/reset-auth`). Returns the user's key and the role's ARN.
    public func enableAuthentication() throws -> (accessKeyId: String, secretAccessKey: String, roleArn: String) {
        let script = TestEnvironment.packageRoot + "/Tests/Support/moto_auth.py"
        let helper = try TestProcess(python: [script, endpoint])
        let parts = helper.firstLine.split(separator: " ").map(String.init)
        guard parts.count == 3 else {
            throw TestHelperNotReady(what: "\(script) printed '\(helper.firstLine)', not 'KEY SECRET ROLE_ARN'",
                                     stderr: helper.stderrSoFar)
        }
        return (parts[0], parts[1], parts[2])
    }
}
