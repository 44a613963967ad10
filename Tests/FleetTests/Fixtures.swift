import Basics
import Fleet
import Foundation
import Manifest

/// Fixed instants and documents for the pure tests: no network, no clock.
enum Fixture {
    /// 2027-01-15T08:00:00Z.
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let key = try! SigningKey(seed: Data(repeating: 9, count: 32))

    static func v(_ text: String) -> SemVer { try! SemVer(text) }

    /// A silo's report written `age` seconds before `now`.
    static func report(_ silo: String, channel: String = "canary", state: StatusReport.State = .inSync,
                       target: String? = "1.2.0", applied: String? = "1.2.0", age: Double = 10,
                       interval: Int = 30, pinned: Bool = false, serial: Int? = nil,
                       error: StatusReport.Failure? = nil, heartbeat: Int? = nil) -> StatusReport {
        let failure = error ?? ((state == .failed || state == .refused)
            ? StatusReport.Failure(code: "UPDATE_ROLLBACK_COMPLETE", message: "stack ingest failed", resource: "ingest")
            : nil)
        return StatusReport(pipeline: "webapp", silo: silo, channel: channel, pinned: pinned,
                            target: target.map(v), applied: applied.map(v), state: state, error: failure,
                            reportedAt: Timestamp.format(now.addingTimeInterval(-age)), intervalSeconds: interval,
                            targetSerial: serial, heartbeatSeconds: heartbeat)
    }

    /// A digest that names `text`.
    static func digest(_ text: String) -> String { sha256Hex(Data(text.utf8)) }

    static func pointer(_ channel: String = "stable", serial: Int, version: String, reason: String = "publish",
                        manifest: String? = nil, expiresAt: String? = nil) -> Pointer {
        Pointer(pipeline: "webapp", scope: .channel(channel), serial: serial,
                release: PointedRelease(version: v(version), manifestSha256: digest("m" + (manifest ?? version)),
                                        bundleSha256: digest("b" + version)),
                issuedAt: "2027-01-0\(min(serial, 9))T00:00:00Z", expiresAt: expiresAt, reason: reason, issuedBy: key.id)
    }

    static func move(_ channel: String = "stable", serial: Int, version: String, manifest: String? = nil) -> PointerMove {
        PointerMove(pointer(channel, serial: serial, version: version, manifest: manifest),
                    objectVersionId: "v\(serial)")!
    }
}
