@testable import AWS
import Foundation
import HTTP
import TestSupport
import Testing

/// `DescribeAlarms` answers read offline, in the shape of the CloudWatch API reference.
@Suite struct CloudWatchTests {
    static let page = """
        <DescribeAlarmsResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/">
          <DescribeAlarmsResult>
            <CompositeAlarms>
              <member>
                <AlarmName>webapp-health</AlarmName>
                <AlarmArn>arn:aws:cloudwatch:eu-west-1:111122223333:alarm:webapp-health</AlarmArn>
                <AlarmRule>ALARM(webapp-errors) OR ALARM(webapp-latency)</AlarmRule>
                <StateValue>ALARM</StateValue>
                <StateReason>arn:aws:cloudwatch:eu-west-1:111122223333:alarm:webapp-errors transitioned to ALARM</StateReason>
                <StateUpdatedTimestamp>2026-12-05T03:10:00.123Z</StateUpdatedTimestamp>
              </member>
            </CompositeAlarms>
            <MetricAlarms>
              <member>
                <AlarmName>webapp-errors</AlarmName>
                <AlarmArn>arn:aws:cloudwatch:eu-west-1:111122223333:alarm:webapp-errors</AlarmArn>
                <StateValue>OK</StateValue>
                <StateUpdatedTimestamp>2026-12-05T03:00:00Z</StateUpdatedTimestamp>
                <MetricName>Errors</MetricName>
              </member>
              <member>
                <AlarmName>webapp-latency &amp; p99</AlarmName>
                <AlarmArn>arn:aws:cloudwatch:eu-west-1:111122223333:alarm:webapp-latency &amp; p99</AlarmArn>
                <StateValue>INSUFFICIENT_DATA</StateValue>
              </member>
              <member><AlarmArn>arn:without:name</AlarmArn><StateValue>OK</StateValue></member>
            </MetricAlarms>
            <NextToken>token-2</NextToken>
          </DescribeAlarmsResult>
          <ResponseMetadata><RequestId>f1c2</RequestId></ResponseMetadata>
        </DescribeAlarmsResponse>
        """

    @Test func readsMetricAndCompositeAlarmsOfOnePage() throws {
        let result = try #require(try XMLReader.parse(Self.page).child("DescribeAlarmsResult"))
        let alarms = CloudWatch.alarms(in: result)
        #expect(alarms.map(\.name) == ["webapp-errors", "webapp-latency & p99", "webapp-health"])
        #expect(alarms.map(\.kind) == [.metric, .metric, .composite])
        #expect(alarms.map(\.state) == [.ok, .insufficientData, .alarm])
        #expect(alarms[2].arn == "arn:aws:cloudwatch:eu-west-1:111122223333:alarm:webapp-health")
        #expect(alarms[2].stateReason?.hasSuffix("transitioned to ALARM") == true)
        #expect(alarms[0].stateUpdated == Date(timeIntervalSince1970: 1_796_439_600))
        #expect(alarms[1].stateUpdated == nil)
        // The token that asks for the next page (QueryProtocol.pages follows it).
        #expect(result.value("NextToken") == "token-2")
    }

    @Test func anEmptyAnswerHasNoAlarms() throws {
        let xml = "<DescribeAlarmsResponse><DescribeAlarmsResult><CompositeAlarms/><MetricAlarms/></DescribeAlarmsResult></DescribeAlarmsResponse>"
        let result = try #require(try XMLReader.parse(xml).child("DescribeAlarmsResult"))
        #expect(CloudWatch.alarms(in: result).isEmpty)
        #expect(result.value("NextToken") == nil)
    }

    @Test(arguments: [("OK", CloudWatch.AlarmState.ok), ("ALARM", .alarm), ("INSUFFICIENT_DATA", .insufficientData),
                      ("PENDING", .other("PENDING")), ("", .other(""))])
    func statesKeepUnknownValues(raw: String, state: CloudWatch.AlarmState) {
        #expect(CloudWatch.AlarmState(raw) == state)
        #expect(state.rawValue == raw)
    }

    @Test func theEndpointIsMonitoring() throws {
        let config = AWSConfig(region: "eu-west-1", credentials: StaticCredentialProvider(
            AWSCredentials(accessKeyId: "AKID", secretAccessKey: "secret"), source: "test"))
        #expect(try config.endpoint(for: .cloudWatch).origin == "https://monitoring.eu-west-1.amazonaws.com")
        let custom = try AWSConfig.resolve(environment: [
            "AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b",
            "AWS_ENDPOINT_URL_CLOUDWATCH": "http://127.0.0.1:4566", "HOME": "/nonexistent",
        ], readFile: { _ in nil })
        #expect(try custom.endpoint(for: .cloudWatch).origin == "http://127.0.0.1:4566")
    }
}

/// CreateChangeSet's `RollbackConfiguration` in the Query form of the CloudFormation API reference.
@Suite struct RollbackConfigurationTests {
    @Test func triggersAndMonitoringTimeAreQueryParameters() {
        let request = CloudFormation.ChangeSetRequest(
            stackName: "app", changeSetName: "ferry-1", template: .body("{}"), type: .update,
            rollbackAlarmArns: ["arn:aws:cloudwatch:eu-west-1:111122223333:alarm:a",
                                "arn:aws:cloudwatch:eu-west-1:111122223333:alarm:b"],
            monitoringTimeInMinutes: 11)
        let items = CloudFormation.parameters(of: request).filter { $0.name.hasPrefix("RollbackConfiguration") }
        #expect(items.map { "\($0.name)=\($0.value)" } == [
            "RollbackConfiguration.RollbackTriggers.member.1.Arn=arn:aws:cloudwatch:eu-west-1:111122223333:alarm:a",
            "RollbackConfiguration.RollbackTriggers.member.1.Type=AWS::CloudWatch::Alarm",
            "RollbackConfiguration.RollbackTriggers.member.2.Arn=arn:aws:cloudwatch:eu-west-1:111122223333:alarm:b",
            "RollbackConfiguration.RollbackTriggers.member.2.Type=AWS::CloudWatch::Alarm",
            "RollbackConfiguration.MonitoringTimeInMinutes=11",
        ])
        let none = CloudFormation.ChangeSetRequest(stackName: "app", changeSetName: "ferry-1", template: .body("{}"),
                                                   type: .update)
        #expect(!CloudFormation.parameters(of: none).contains { $0.name.hasPrefix("RollbackConfiguration") })
    }
}

/// `DescribeAlarms` follows `NextToken` to the last page and asks for both alarm types, over
/// HTTP against the test stand-in (Tests/Support/fault_proxy.py: moto answers in one page).
@Suite struct CloudWatchPagingTests {
    @Test func everyPageIsReadAndBothTypesAreAskedFor() throws {
        let standIn = try FaultProxy()
        let dir = try TemporaryDirectory()
        let config = try AWSConfig.resolve(
            endpointURL: standIn.endpoint + "/cloudwatch",
            environment: ["HOME": dir.path, "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "A", "AWS_SECRET_ACCESS_KEY": "s"],
            http: HTTPClient())
        let alarms = try CloudWatch(config: config).describeAlarms(prefix: "a-")
        #expect(alarms.map(\.name) == ["a-1", "a-composite", "a-2"])
        #expect(alarms.map(\.state) == [.ok, .alarm, .insufficientData])
        #expect(alarms.map(\.kind) == [.metric, .composite, .metric])
        #expect(try standIn.log().filter { $0.method == "POST" }.count == 2)
    }
}
