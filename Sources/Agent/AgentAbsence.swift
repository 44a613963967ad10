import Bucket
import Foundation
import Logging
import Manifest

extension Agent {
    /// Explains a channel pointer that is not there (`404`) by listing the bucket
    /// (`judgeAbsence`): no such bucket, no such pipeline, a read denied, a pointer gone,
    /// or nothing published yet. The verdict is kept for the report (`StatusReporter.absence`)
    /// and logged when it changes. A `waiting` verdict is listed again only every
    /// heartbeat (two LISTs a tick would cost more than the idle agent itself); a
    /// misconfiguration is looked at again on every tick, until it is fixed.
    func explainAbsence(_ pipeline: String, followedBefore: Bool, now: Date) throws(AgentError) -> AbsenceVerdict {
        let previous = reporter.absence[pipeline]
        if let previous, let judged = absenceJudgedAt[pipeline], now.timeIntervalSince(judged) < settings.heartbeat {
            switch previous {
            case .waiting where !followedBefore, .pointerGone where followedBefore: return previous
            case .waiting, .pointerGone, .misconfigured: break
            }
        }
        // `agent once` (cron) starts afresh each time: a `waiting` report younger than the
        // heartbeat, from the journal, stands for the listings.
        if previous == nil, !followedBefore, let last = try reporter.lastReport(pipeline), last.state == .waiting,
           last.channel == settings.channel, let error = last.error, error.code == AgentError.Code.noPointer.description,
           let written = Timestamp.parse(last.reportedAt), now.timeIntervalSince(written) < settings.heartbeat {
            let verdict = AbsenceVerdict.waiting(AgentError(.noPointer, error.message, next: .waitAndRetry(after: 0)))
            reporter.absence[pipeline] = verdict
            absenceJudgedAt[pipeline] = written
            return verdict
        }
        let layout = bucket.layout
        let channels: String
        do {
            let key = try layout.channel(pipeline: pipeline, channel: settings.channel)
            channels = String(key[...key.lastIndex(of: "/")!])
        } catch {
            throw AgentError(.configuration, error.message, next: .needsPerson)
        }
        let pipelines = try listing("\(layout.prefix)releases/") { (prefix) throws(BucketError) in
            try bucket.folders(under: prefix)
        }
        let named = try listing(channels) { (prefix) throws(BucketError) in
            try bucket.list(prefix: prefix).map(\.key).filter { $0.hasSuffix(".json") }
                .map { String($0.dropFirst(prefix.count).dropLast(5)) }
        }
        let verdict = judgeAbsence(AbsenceFacts(
            bucket: bucket.name, prefix: layout.prefix, pipeline: pipeline, channel: settings.channel,
            pipelines: pipelines, channels: named, followedBefore: followedBefore))
        absenceJudgedAt[pipeline] = now
        reporter.absence[pipeline] = verdict
        let metadata: Logger.Metadata = ["pipeline": "\(pipeline)", "channel": "\(settings.channel)"]
        switch verdict {
        case .misconfigured(let error):
            logger.error("\(error.message)", metadata: metadata.merging(["code": "\(error.code)"]) { $1 })
        case .waiting(let note) where verdict != previous:
            logger.notice("waiting: \(note.message)", metadata: metadata)
        case .pointerGone(let warning) where verdict != previous:
            logger.warning("\(warning.message)", metadata: metadata)
        case .waiting, .pointerGone:
            break
        }
        return verdict
    }

    /// The channel pointer is there (or unchanged): whatever explained its absence is over.
    func forgetAbsence(_ pipeline: String) {
        reporter.absence[pipeline] = nil
        absenceJudgedAt[pipeline] = nil
    }

    /// Lists `prefix`: names, or what S3's refusal means; other failures are the tick's.
    private func listing(_ prefix: String, _ list: (String) throws(BucketError) -> [String])
        throws(AgentError) -> Listing {
        do {
            return .names(try list(prefix))
        } catch where error.code == .notFound || error.cause?.code == .noSuchBucket {
            return .noBucket
        } catch where error.cause?.status == 403 {
            return .denied(error.cause?.message ?? error.message)
        } catch {
            throw AgentError.bucket(error, "listing s3://\(bucket.name)/\(prefix)")
        }
    }
}
