import Basics
import Bucket
import Foundation
import Manifest

/// The on-call's view of and hands on the shared bucket: status, history, rollback,
/// promote, pins. Everything goes through `SharedBucket`; the decisions are the pure
/// types beside this one (`FleetStatus`, `PointerHistory`, `PromoteGate`, `Convergence`).
public struct OnCall: Sendable {
    public let bucket: SharedBucket
    /// How many reads run at once.
    public let width: Int

    public init(bucket: SharedBucket, width: Int = 32) {
        self.bucket = bucket
        self.width = width
    }

    // MARK: Status

    /// Every channel's pointer and every silo's report of `pipeline`, judged at `now`.
    /// Reports are read `width` at a time; one that cannot be read is listed, not dropped.
    public func status(pipeline: String, now: Date) throws(FleetError) -> FleetStatus {
        let pointers = try channelPointers(pipeline: pipeline)
        let reports = try statuses(pipeline: pipeline)
        return FleetStatus(pipeline: pipeline, now: now, pointers: pointers, reports: reports.reports,
                           unreadable: reports.problems.map(\.message))
    }

    /// Every silo's last report and the reports that could not be read.
    public func statuses(pipeline: String) throws(FleetError) -> (reports: [StatusReport], problems: [BucketError]) {
        do {
            return try bucket.statuses(pipeline: pipeline, width: width)
        } catch {
            throw FleetError(error, doing: "reading the status reports of \(pipeline)")
        }
    }

    /// The channels of `pipeline` that have a pointer.
    public func channels(pipeline: String) throws(FleetError) -> [String] {
        let prefix = try channelsPrefix(pipeline: pipeline)
        do {
            return try bucket.list(prefix: prefix).map(\.key)
                .filter { $0.hasSuffix(".json") && !$0.dropFirst(prefix.count).contains("/") }
                .map { String($0.dropFirst(prefix.count).dropLast(5)) }
        } catch {
            throw FleetError(error, doing: "listing the channels of \(pipeline)")
        }
    }

    /// The current pointer of every channel of `pipeline` (signatures not checked: a view).
    public func channelPointers(pipeline: String) throws(FleetError) -> [Pointer] {
        let names = try channels(pipeline: pipeline)
        let onCall = self
        let pointers = try parallelMap(names, width: width) { (channel) throws(FleetError) -> Pointer? in
            try onCall.pointer(pipeline: pipeline, channel: channel)?.0
        }
        return pointers.compactMap { $0 }
    }

    /// The current pointer of `channel` and its ETag, or nil when it was never set.
    /// Signature not checked: for reading the serial and showing where a channel is.
    public func pointer(pipeline: String, channel: String) throws(FleetError) -> (Pointer, etag: String)? {
        do {
            return try bucket.currentPointer(pipeline: pipeline, scope: .channel(channel))
        } catch {
            throw FleetError(error, doing: "reading channel \(channel) of \(pipeline)")
        }
    }

    /// `PREFIX/channels/<pipeline>/`, from the layout.
    func channelsPrefix(pipeline: String) throws(FleetError) -> String {
        let key = try layoutKey { () throws(ManifestError) in try bucket.layout.channel(pipeline: pipeline, channel: "x") }
        return String(key.dropLast("x.json".count))
    }

    /// The key of `channel`'s pointer.
    func channelKey(pipeline: String, channel: String) throws(FleetError) -> String {
        try layoutKey { () throws(ManifestError) in try bucket.layout.channel(pipeline: pipeline, channel: channel) }
    }

    func layoutKey(_ make: () throws(ManifestError) -> String) throws(FleetError) -> String {
        do {
            return try make()
        } catch {
            throw FleetError(.invalidInput, error.message)
        }
    }
}
