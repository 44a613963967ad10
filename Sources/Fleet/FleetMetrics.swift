import Basics
import Foundation
import Manifest

/// `ferry status --format openmetrics`: fleet-level gauges for a scrape from CI (a
/// Pushgateway, or node_exporter's textfile collector). Pure. Names: docs/agent.md, "Metrics".
public enum FleetMetrics {
    /// The OpenMetrics text of `statuses` (ends with `# EOF`).
    public static func render(_ statuses: [FleetStatus]) -> String {
        var text = OpenMetricsText()
        text.family("ferry_fleet_silos", type: "gauge", help: "Silos by the condition ferry status shows (stale wins)")
        for status in statuses {
            for condition in SiloCondition.allCases {
                text.sample("ferry_fleet_silos", ["pipeline": status.pipeline, "state": condition.rawValue],
                            Double(status.silos.count { $0.condition == condition }))
            }
        }
        text.family("ferry_fleet_unreadable_reports", type: "gauge", help: "Status reports that could not be read")
        for status in statuses {
            text.sample("ferry_fleet_unreadable_reports", ["pipeline": status.pipeline], Double(status.unreadable.count))
        }
        text.family("ferry_fleet_channel", type: "info", help: "The release each channel points at")
        text.family("ferry_fleet_channel_serial", type: "gauge", help: "The serial of each channel's pointer")
        text.family("ferry_fleet_channel_expiry_timestamp_seconds", type: "gauge",
                    help: "When each channel's pointer expires (Unix time); agents refuse it after", unit: "seconds")
        text.family("ferry_fleet_silo", type: "info", help: "Each silo's channel, versions and condition")
        text.family("ferry_fleet_silo_report_age_seconds", type: "gauge", help: "Age of each silo's last report",
                    unit: "seconds")
        text.family("ferry_fleet_silo_stale", type: "gauge", help: "1 when the silo's report is overdue")
        text.family("ferry_fleet_silo_drifted_resources", type: "gauge",
                    help: "Resources the silo's last drift detection found drifted and not reverted (silos that detect drift)")
        for status in statuses {
            for head in status.channels {
                let labels = ["pipeline": status.pipeline, "channel": head.channel]
                text.sample("ferry_fleet_channel_info", labels.merging(["version": head.version.description]) { a, _ in a }, 1,
                            in: "ferry_fleet_channel")
                text.sample("ferry_fleet_channel_serial", labels, Double(head.serial), in: "ferry_fleet_channel_serial")
                if let expiry = head.expiresAt.flatMap(Timestamp.parse) {
                    text.sample("ferry_fleet_channel_expiry_timestamp_seconds", labels, expiry.timeIntervalSince1970,
                                in: "ferry_fleet_channel_expiry_timestamp_seconds")
                }
            }
            for row in status.silos {
                let labels = ["pipeline": status.pipeline, "silo": row.silo]
                text.sample("ferry_fleet_silo_info", labels.merging([
                    "channel": row.channel, "state": row.condition.rawValue, "pinned": row.pinned ? "true" : "false",
                    "target": row.target?.description ?? "", "applied": row.applied?.description ?? ""]) { a, _ in a }, 1, in: "ferry_fleet_silo")
                text.sample("ferry_fleet_silo_report_age_seconds", labels, Double(row.ageSeconds),
                            in: "ferry_fleet_silo_report_age_seconds")
                text.sample("ferry_fleet_silo_stale", labels, row.stale ? 1 : 0, in: "ferry_fleet_silo_stale")
                if let drift = row.drift {
                    text.sample("ferry_fleet_silo_drifted_resources", labels, Double(drift.isDrifted ? drift.resources.count : 0),
                                in: "ferry_fleet_silo_drifted_resources")
                }
            }
        }
        return text.finish()
    }
}
