import Foundation

extension AWSService {
    /// Amazon CloudWatch (`AWS_ENDPOINT_URL_CLOUDWATCH`; host `monitoring.<region>`).
    public static let cloudWatch = AWSService(signingName: "monitoring", endpointName: "CLOUDWATCH")
}

/// Amazon CloudWatch, only `DescribeAlarms` (Query API, version 2010-08-01): the alarms a
/// rollout's health gate watches in a silo's own account.
public struct CloudWatch: Sendable {
    private let query: QueryProtocol

    /// CloudWatch's limit on `AlarmNames` in one `DescribeAlarms` call.
    public static let namesPerCall = 100

    public init(config: AWSConfig) {
        query = QueryProtocol(config: config, service: .cloudWatch, version: "2010-08-01", serviceName: "CloudWatch")
    }

    /// An alarm's state value.
    public enum AlarmState: Hashable, Sendable, CustomStringConvertible {
        case ok, alarm, insufficientData
        /// A value added later: kept, never mistaken for `OK`.
        case other(String)

        public init(_ raw: String) {
            switch raw {
            case "OK": self = .ok
            case "ALARM": self = .alarm
            case "INSUFFICIENT_DATA": self = .insufficientData
            default: self = .other(raw)
            }
        }

        public var rawValue: String {
            switch self {
            case .ok: "OK"
            case .alarm: "ALARM"
            case .insufficientData: "INSUFFICIENT_DATA"
            case .other(let raw): raw
            }
        }

        public var description: String { rawValue }
    }

    /// A metric alarm or a composite alarm, as `DescribeAlarms` shows it.
    public struct Alarm: Sendable, Equatable {
        public enum Kind: String, Sendable { case metric = "MetricAlarm", composite = "CompositeAlarm" }

        public var name: String
        public var arn: String
        public var kind: Kind
        public var state: AlarmState
        public var stateReason: String?
        public var stateUpdated: Date?

        public init(name: String, arn: String, kind: Kind, state: AlarmState, stateReason: String? = nil,
                    stateUpdated: Date? = nil) {
            self.name = name
            self.arn = arn
            self.kind = kind
            self.state = state
            self.stateReason = stateReason
            self.stateUpdated = stateUpdated
        }
    }

    /// `DescribeAlarms` by exact names, metric and composite alarms, every page; names
    /// that match no alarm are simply absent from the answer (as CloudWatch does). More
    /// than 100 names go in several calls.
    public func describeAlarms(names: [String]) throws(AWSError) -> [Alarm] {
        var alarms: [Alarm] = []
        var start = 0
        while start < names.count {
            let chunk = Array(names[start..<min(start + Self.namesPerCall, names.count)])
            var parameters = QueryParameters()
            parameters.list("AlarmNames", chunk)
            alarms += try describe(parameters)
            start += Self.namesPerCall
        }
        return alarms
    }

    /// `DescribeAlarms` with `AlarmNamePrefix`, metric and composite alarms, every page.
    public func describeAlarms(prefix: String) throws(AWSError) -> [Alarm] {
        var parameters = QueryParameters()
        parameters.add("AlarmNamePrefix", prefix)
        return try describe(parameters)
    }

    private func describe(_ base: QueryParameters) throws(AWSError) -> [Alarm] {
        var parameters = base
        // Without AlarmTypes, CloudWatch answers with metric alarms only.
        parameters.list("AlarmTypes", [Alarm.Kind.metric.rawValue, Alarm.Kind.composite.rawValue])
        var alarms: [Alarm] = []
        try query.pages("DescribeAlarms", parameters.items) { page in
            alarms += Self.alarms(in: page)
            return true
        }
        return alarms
    }

    /// The alarms of one `<DescribeAlarmsResult>`: metric alarms first, then composite ones.
    public static func alarms(in result: XMLElement) -> [Alarm] {
        func read(_ member: XMLElement, _ kind: Alarm.Kind) -> Alarm? {
            guard let name = member.value("AlarmName") else { return nil }
            return Alarm(name: name, arn: member.value("AlarmArn") ?? "", kind: kind,
                         state: AlarmState(member.value("StateValue") ?? ""), stateReason: member.value("StateReason"),
                         stateUpdated: member.value("StateUpdatedTimestamp").flatMap(ISO8601.parse))
        }
        return result.members("MetricAlarms").compactMap { read($0, .metric) }
            + result.members("CompositeAlarms").compactMap { read($0, .composite) }
    }
}
