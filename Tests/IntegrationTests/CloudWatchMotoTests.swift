import AWS
import Foundation
import TestSupport
import Testing

/// `DescribeAlarms` against moto's CloudWatch, in a silo account of its own (alarms made
/// and set with boto3: Tests/Support/cloudwatch_alarms.py). moto has no composite alarms
/// and answers every alarm in one page (it ignores MaxRecords): CloudWatchTests reads
/// both offline. moto starts a new alarm at OK where AWS starts it at INSUFFICIENT_DATA.
struct CloudWatchMotoTests {
    static func alarms(_ arguments: [String]) throws {
        let script = TestEnvironment.packageRoot + "/Tests/Support/cloudwatch_alarms.py"
        try FerryProcess.runPython([script] + arguments).check()
    }

    @Test func describesAlarmsByNameAndByPrefixInTheSilosOwnAccount() throws {
        let endpoint = try TestEnvironment.motoEndpoint()
        let account = AWSTestConfig.uniqueAccountId(), other = AWSTestConfig.uniqueAccountId()
        try Self.alarms(["put", endpoint, account, "webapp-errors", "webapp-latency", "billing-spend"])
        try Self.alarms(["put", endpoint, other, "webapp-elsewhere"])
        try Self.alarms(["set", endpoint, account, "webapp-errors", "ALARM"])
        try Self.alarms(["set", endpoint, account, "webapp-latency", "OK"])
        // moto starts a new alarm at OK, AWS at INSUFFICIENT_DATA (MemoryAlarms plays AWS):
        // set it, so the test holds for both.
        try Self.alarms(["set", endpoint, account, "billing-spend", "INSUFFICIENT_DATA"])
        let base = try AWSTestConfig.make()
        let cloudWatch = CloudWatch(config: base.assumingRole(arn: "arn:aws:iam::\(account):role/ferry-agent"))

        let byPrefix = try cloudWatch.describeAlarms(prefix: "webapp-")
        #expect(byPrefix.map(\.name).sorted() == ["webapp-errors", "webapp-latency"])
        let errors = try #require(byPrefix.first { $0.name == "webapp-errors" })
        #expect(errors.state == .alarm)
        #expect(errors.kind == .metric)
        #expect(errors.arn == "arn:aws:cloudwatch:us-east-1:\(account):alarm:webapp-errors")

        let byName = try cloudWatch.describeAlarms(names: ["webapp-latency", "billing-spend", "no-such-alarm"])
        #expect(byName.map(\.name).sorted() == ["billing-spend", "webapp-latency"])
        #expect(byName.first { $0.name == "billing-spend" }?.state == .insufficientData)
        #expect(byName.first { $0.name == "webapp-latency" }?.state == .ok)
        // The other account's alarm is not seen from this one.
        #expect(try cloudWatch.describeAlarms(names: ["webapp-elsewhere"]).isEmpty)
    }

    @Test func moreThanOneHundredNamesGoInSeveralCalls() throws {
        let endpoint = try TestEnvironment.motoEndpoint()
        let account = AWSTestConfig.uniqueAccountId()
        try Self.alarms(["put", endpoint, account, "first", "last"])
        let cloudWatch = CloudWatch(config: try AWSTestConfig.make().assumingRole(arn: "arn:aws:iam::\(account):role/ferry-agent"))
        let names = ["first"] + (1...150).map { "missing-\($0)" } + ["last"]
        #expect(try cloudWatch.describeAlarms(names: names).map(\.name).sorted() == ["first", "last"])
    }
}
