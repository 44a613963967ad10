import Foundation
import HTTP

/// A stand-in for CloudFormation drift detection (Tests/Support/cloudformation_drift_standin.py),
/// in front of moto, started by a test and stopped when released. moto 5.2.1 answers
/// DetectStackDrift, DescribeStackDriftDetectionStatus and DescribeStackResourceDrifts with
/// HTTP 500 (docs/testing.md); this proxy answers them in AWS's shapes from drift the test
/// sets (`setDrift`), and answers a drift-aware change set (`DeploymentMode: REVERT_DRIFT`)
/// of a drifted stack as AWS documents it: it modifies the drifted resources though the
/// template is unchanged, and executing it clears the drift. Everything else goes to moto.
public final class CloudFormationDriftStandIn: Sendable {
    /// `http://localhost:PORT`: use it as the endpoint of every AWS call.
    public let endpoint: String
    private let process: TestProcess
    private let control = HTTPClient()

    public init(upstream: String? = nil) throws {
        let script = TestEnvironment.packageRoot + "/Tests/Support/cloudformation_drift_standin.py"
        process = try TestProcess(python: [script, "--upstream", try upstream ?? TestEnvironment.motoEndpoint()])
        endpoint = "http://localhost:\(process.firstLine)"
    }

    /// One drifted resource, as DescribeStackResourceDrifts will list it.
    public struct Resource: Encodable, Sendable {
        public struct Difference: Encodable, Sendable {
            public var path: String
            /// `ADD`, `REMOVE`, `NOT_EQUAL`.
            public var type: String
            public var expected: String
            public var actual: String

            public init(path: String, type: String = "NOT_EQUAL", expected: String, actual: String) {
                self.path = path
                self.type = type
                self.expected = expected
                self.actual = actual
            }
        }

        public var logical: String
        public var type: String
        /// `MODIFIED` or `DELETED`.
        public var status: String
        public var differences: [Difference]

        public init(logical: String, type: String, status: String = "MODIFIED", differences: [Difference] = []) {
            self.logical = logical
            self.type = type
            self.status = status
            self.differences = differences
        }
    }

    /// From now on, detections of `stack` find `resources` drifted (none: in sync).
    public func setDrift(stack: String, _ resources: [Resource]) throws {
        struct Body: Encodable { var stack: String; var resources: [Resource] }
        let body = try JSONEncoder().encode(Body(stack: stack, resources: resources))
        let response = try control.send(HTTPRequest(method: .post, url: endpoint + "/__drift__",
                                                    headers: ["Content-Type": "application/json"], body: .bytes(body)))
        guard response.status == 200 else {
            throw TestHelperNotReady(what: "the drift stand-in (POST /__drift__ answered \(response.status))", stderr: "")
        }
    }

    /// One CloudFormation call the stand-in saw.
    public struct Call: Decodable, Sendable, Equatable {
        public let action: String
        public let stack: String
        public let changeSet: String
        /// False when the stand-in answered itself.
        public let forwarded: Bool
        /// CreateChangeSet's `DeploymentMode` (`REVERT_DRIFT`), when given.
        public let deploymentMode: String?
    }

    /// Every CloudFormation call so far, in order.
    public func calls() throws -> [Call] {
        let response = try control.send(HTTPRequest(method: .get, url: endpoint + "/__log__"))
        return try JSONDecoder().decode([Call].self, from: response.body)
    }
}
