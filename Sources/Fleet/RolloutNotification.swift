import Foundation
import Manifest

/// What `ferry rollout` tells an SNS topic when it halts a rollout (`--notify-topic-arn`):
/// the channel, the release that halted and what it was rolled back to, why, and the
/// silos that failed it, each with the resource at fault. Pure; the command publishes it.
public struct RolloutNotification: Sendable, Equatable, Codable {
    /// A silo that failed the halted release.
    public struct FailedSilo: Sendable, Equatable, Codable {
        public var silo: String
        public var wave: Int?
        public var code: String?
        public var resource: String?
        public var reason: String?
    }

    /// Always `rollout-halted`.
    public var trigger: String
    public var pipeline: String
    public var channel: String
    /// The release whose rollout halted.
    public var from: SemVer?
    /// What the channel points at now: the release rolled back to, or the halted one.
    public var to: SemVer?
    /// The serial of the halted pointer.
    public var serial: Int
    public var reason: String
    public var quarantined: SemVer?
    public var failedSilos: [FailedSilo]
    /// RFC 3339 UTC.
    public var time: String

    /// The notification of a tick that halted (`.halt` with the pointer it wrote); nil
    /// for any other tick. `before` is the channel's pointer before the tick, `reports`
    /// its silos' reports.
    public static func of(_ tick: RolloutController.Tick, pipeline: String, channel: String, before: Pointer?,
                          reports: [StatusReport], now: Date) -> RolloutNotification? {
        guard case .halt(let why, _, let quarantine) = tick.step, let written = tick.written else { return nil }
        let halted = before?.release?.version
        // Failed on the release, or unhealthy on it (a counted alarm during its bake: code
        // `unhealthy`, the alarms as the resource).
        let failed = reports.filter { report in
            report.channel == channel && (report.target == halted || halted == nil)
                && (report.state == .failed || (report.health?.state == .unhealthy && report.health?.version == halted))
        }
            .sorted { $0.silo < $1.silo }
            .map { report in
                if report.state != .failed, let health = report.health {
                    return FailedSilo(silo: report.silo, wave: report.wave, code: "unhealthy",
                                      resource: health.alarms.joined(separator: ", "), reason: health.reason)
                }
                return FailedSilo(silo: report.silo, wave: report.wave, code: report.error?.code,
                                  resource: report.error?.resource, reason: report.error?.message)
            }
        return RolloutNotification(trigger: "rollout-halted", pipeline: pipeline, channel: channel, from: halted,
                                   to: written.release?.version, serial: written.serial,
                                   reason: written.reason.isEmpty ? why : written.reason, quarantined: quarantine,
                                   failedSilos: failed, time: Timestamp.format(now))
    }

    /// `ferry: webapp rollout-halted on channel stable (1.2.0 -> 1.1.0)`.
    public var subject: String {
        "ferry: \(pipeline) \(trigger) on channel \(channel) (\(from?.description ?? "none") -> \(to?.description ?? "none"))"
    }

    /// The message: one JSON object, sorted keys.
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }
}
