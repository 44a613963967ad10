import AWS
import Agent
import Testing

/// `SSMSettings`: the parameters stacksets/ferry-silo.yaml writes under `/ferry/agent/`
/// stand for the `FERRY_*` variables of their names.
@Suite struct SSMSettingsTests {
    @Test func eachParameterStandsForTheVariableOfItsName() {
        let parameters = [
            SSM.Parameter(name: "/ferry/agent/bucket", value: "acme-ferry"),
            SSM.Parameter(name: "/ferry/agent/prefix", value: "ferry"),
            SSM.Parameter(name: "/ferry/agent/pipelines", value: "dropzone,ingest"),
            SSM.Parameter(name: "/ferry/agent/stack-prefix", value: "dl-"),
            SSM.Parameter(name: "/ferry/agent/cloudformation-role-arn", value: "arn:aws:iam::1:role/x"),
            SSM.Parameter(name: "/ferry/agent/artifact-bucket", value: "ferry-artifacts-1-{region}"),
            SSM.Parameter(name: "/ferry/agent/trust/builder", value: "ferry-ed25519 AAAA"),
            SSM.Parameter(name: "/ferry/agent/colour", value: "blue"),
            SSM.Parameter(name: "/other/bucket", value: "not-ours"),
        ]
        let (variables, unknown) = SSMSettings.variables(parameters, path: "/ferry/agent")
        #expect(variables == [
            "FERRY_BUCKET": "acme-ferry", "FERRY_PREFIX": "ferry", "FERRY_PIPELINES": "dropzone,ingest",
            "FERRY_STACK_PREFIX": "dl-", "FERRY_CLOUDFORMATION_ROLE_ARN": "arn:aws:iam::1:role/x",
            "FERRY_ARTIFACT_BUCKET": "ferry-artifacts-1-{region}", "FERRY_TRUST_BUILDER": "ferry-ed25519 AAAA",
        ])
        #expect(unknown == ["colour"])
    }
}
