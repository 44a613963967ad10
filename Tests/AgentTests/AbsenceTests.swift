import Agent
import Foundation
import Manifest
import Testing

/// Issue 13: a mistyped bucket or pipeline, a channel nobody has published to and a
/// bucket that vanished all looked like an idle agent (`dropzone: idle`, exit 0, no
/// report). `judgeAbsence` tells them apart from what listing the bucket showed.
@Suite struct AbsenceTests {
    func facts(pipelines: Listing = .names(["dropzone", "ingest"]), channels: Listing = .names(["canary"]),
               pipeline: String = "dropzone", channel: String = "stable", followedBefore: Bool = false) -> AbsenceFacts {
        AbsenceFacts(bucket: "acme-releases", prefix: "ferry/", pipeline: pipeline, channel: channel,
                     pipelines: pipelines, channels: channels, followedBefore: followedBefore)
    }

    @Test func aBucketThatDoesNotExistIsMisconfiguredAndSaysWhichFlag() {
        for verdict in [judgeAbsence(facts(pipelines: .noBucket)), judgeAbsence(facts(channels: .noBucket)),
                        judgeAbsence(facts(pipelines: .noBucket, followedBefore: true))] {
            guard case .misconfigured(let error) = verdict else {
                Issue.record("\(verdict)")
                continue
            }
            #expect(error.code == .noSuchBucket && error.next == .needsPerson)
            #expect(error.message == "the bucket acme-releases does not exist (S3 NoSuchBucket): check --bucket "
                + "(FERRY_BUCKET, `bucket:` in the config file) and the region; the agent tries again every tick")
        }
    }

    @Test func aListingDeniedIsMisconfiguredNeverNothingToDo() {
        guard case .misconfigured(let error) = judgeAbsence(facts(channels: .denied("Access Denied"))) else {
            Issue.record("not misconfigured")
            return
        }
        #expect(error.code == .accessDenied)
        #expect(error.message.hasPrefix("listing s3://acme-releases/ferry/ was denied (S3 AccessDenied: Access Denied): "
            + "let this silo's role read and list the bucket"))
    }

    @Test func aMistypedPipelineNamesThePipelinesTheBucketHas() {
        guard case .misconfigured(let error) = judgeAbsence(facts(pipeline: "dropzon")) else {
            Issue.record("not misconfigured")
            return
        }
        #expect(error.code == .noSuchPipeline)
        #expect(error.message == "no release of the pipeline dropzon is in s3://acme-releases/ferry/ (nothing under "
            + "releases/dropzon/): check --pipeline (FERRY_PIPELINES, `pipelines:`); the bucket has releases of "
            + "dropzone, ingest")
        guard case .misconfigured(let empty) = judgeAbsence(facts(pipelines: .names([]))) else {
            Issue.record("not misconfigured")
            return
        }
        #expect(empty.message.hasSuffix("there is no release under s3://acme-releases/ferry/ at all: check --bucket "
            + "and --prefix"))
    }

    @Test func aChannelNobodyPublishedToIsWaitingAndNamesTheOthers() {
        let verdict = judgeAbsence(facts())
        #expect(verdict.note?.code == .noPointer)
        #expect(verdict.note?.message == "nothing has been published to the channel stable of dropzone yet (channels of "
            + "dropzone with a release: canary); the agent applies the first release promoted or released to stable: "
            + "check --channel if that is not the one this silo should follow")
        #expect(judgeAbsence(facts(channels: .names([]))).note?.message
            .contains("(no channel of dropzone has a release yet)") == true)
    }

    @Test func aPointerThisSiloFollowedThatVanishedKeepsWhatRuns() {
        guard case .pointerGone(let error) = judgeAbsence(facts(channels: .names(["canary"]), followedBefore: true)) else {
            Issue.record("not pointerGone")
            return
        }
        #expect(error.code == .noPointer)
        #expect(error.message.contains("the release that runs keeps running"))
    }
}

/// The report states of issue 13, by precedence, from the pure builder.
@Suite struct StatusStateTests {
    static let now = Timestamp.parse("2024-05-01T12:00:00Z")!

    func facts(misconfiguration: AgentError? = nil, waiting: AgentError? = nil, stop: StatusReport.State? = nil,
               refusals: [AgentError] = []) -> StatusFacts {
        StatusFacts(pipeline: "webapp", silo: "silo-1", channel: "stable", intervalSeconds: 30, heartbeatSeconds: 1800,
                    now: Self.now, pinned: false, applied: nil, latest: nil, inFlight: nil, refusals: refusals,
                    misconfiguration: misconfiguration, waiting: waiting, stop: stop)
    }

    @Test func nothingAppliedIsWaitingNotInSync() throws {
        let plain = StatusBuilder.report(facts())
        #expect(plain.state == .waiting && plain.error == nil && plain.applied == nil)
        let note = AgentError(.noPointer, "nothing has been published to stable", next: .waitAndRetry(after: 0))
        let waiting = StatusBuilder.report(facts(waiting: note))
        #expect(waiting.state == .waiting && waiting.error?.code == "noPointer")
        _ = try waiting.canonicalBytes()
    }

    @Test func misconfiguredWinsAndADeniedReadIsMisconfigured() throws {
        let problem = AgentError(.noSuchPipeline, "no release of dropzon", next: .needsPerson)
        let report = StatusBuilder.report(facts(misconfiguration: problem))
        #expect(report.state == .misconfigured && report.error?.code == "noSuchPipeline")
        _ = try report.canonicalBytes()
        let denied = AgentError(.accessDenied, "reading the channel pointer was denied (HTTP 403)", next: .needsPerson)
        #expect(StatusBuilder.report(facts(refusals: [denied])).state == .misconfigured)
        let replay = AgentError(.replay, "serial 1, not above 2", next: .needsPerson)
        #expect(StatusBuilder.report(facts(refusals: [replay])).state == .refused)
    }

    /// Issue 12: an expired pointer is reported as `expired` (the freeze defence at work),
    /// not as one more refusal; the code says so too, and the report is valid.
    @Test func anExpiredPointerIsReportedExpired() throws {
        let expired = AgentError(.expired, "the channel pointer of webapp/stable (serial 4) expired", next: .needsPerson)
        let report = StatusBuilder.report(facts(refusals: [expired]))
        #expect(report.state == .expired && report.error?.code == "expired")
        _ = try report.canonicalBytes()
    }

    @Test func aStopOverridesTheStateAndKeepsTheRest() throws {
        let note = AgentError(.noPointer, "nothing yet", next: .waitAndRetry(after: 0))
        let stopped = StatusBuilder.report(facts(waiting: note, stop: .stopped))
        #expect(stopped.state == .stopped && stopped.error?.code == "noPointer")
        #expect(StatusBuilder.report(facts(stop: .stopping)).state == .stopping)
        _ = try stopped.canonicalBytes()
    }
}
