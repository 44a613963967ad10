import Foundation
import HTTP

/// A stand-in for CloudFormation's failure sequences (Tests/Support/cloudformation_failure_standin.py),
/// in front of moto, started by a test and stopped when released. moto never fails a
/// stack (MOTO.md); for a change set whose template carries
/// `Metadata: {FerryTestFailure: {resource: X, reason: "..."}}` this proxy plays what
/// CloudFormation documents instead of executing it: `UPDATE_IN_PROGRESS` →
/// `UPDATE_ROLLBACK_IN_PROGRESS` → `UPDATE_ROLLBACK_COMPLETE` (`ROLLBACK_COMPLETE` for a
/// first creation), with the resource's `*_FAILED` event and reason; the stack in moto
/// keeps its previous template. Everything else goes to moto unchanged.
public final class CloudFormationFailureStandIn: Sendable {
    /// `http://localhost:PORT`: use it as the endpoint of every AWS call.
    public let endpoint: String
    private let process: TestProcess
    private let control = HTTPClient()

    public init(upstream: String? = nil) throws {
        let script = TestEnvironment.packageRoot + "/Tests/Support/cloudformation_failure_standin.py"
        process = try TestProcess(python: [script, "--upstream", try upstream ?? TestEnvironment.motoEndpoint()])
        endpoint = "http://localhost:\(process.firstLine)"
    }

    /// The marker that makes a template's change set fail on `resource` with `reason`
    /// (put it under the template's top-level `Metadata:`).
    public static func marker(resource: String, reason: String) -> String {
        "FerryTestFailure: {resource: \(resource), reason: \"\(reason)\"}"
    }

    /// One CloudFormation call the stand-in saw.
    public struct Call: Decodable, Sendable, Equatable {
        public let action: String
        public let stack: String
        public let changeSet: String
        /// False when the stand-in answered itself (a failing ExecuteChangeSet).
        public let forwarded: Bool
    }

    /// Every CloudFormation call so far, in order.
    public func calls() throws -> [Call] {
        let response = try control.send(HTTPRequest(method: .get, url: endpoint + "/__log__"))
        return try JSONDecoder().decode([Call].self, from: response.body)
    }

    /// ExecuteChangeSet calls per change set name, of stacks whose name starts with `prefix`.
    public func executions(stackPrefix prefix: String = "") throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for call in try calls() where call.action == "ExecuteChangeSet" && call.stack.hasPrefix(prefix) {
            counts[call.changeSet, default: 0] += 1
        }
        return counts
    }
}
