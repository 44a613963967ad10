import Bucket
import Fleet
import Foundation
import Manifest
import MemoryStore
import Testing

/// Names are checked against what exists before anything is written: a typo fails with
/// "did you mean" (issue 13: `--channel canery`, `ferry status dropzon`, a silo id
/// missing a digit).
struct NameCheckTests {
    /// A bucket with pipeline webapp (channels canary, stable; silos 111111111111 and
    /// 222222222222; a pin of 333333333333) and pipeline ingest (a release only).
    static func onCall() throws -> OnCall {
        let store = MemoryStore()
        store.createBucket("releases")
        let bucket = SharedBucket(store: store, name: "releases")
        for key in ["channels/webapp/canary.json", "channels/webapp/stable.json", "status/webapp/111111111111.json",
                    "status/webapp/222222222222.json", "pins/webapp/333333333333.json",
                    "releases/webapp/1.0.0/manifest.json", "releases/ingest/2.0.0/manifest.json"] {
            try bucket.put(key: "ferry/" + key, data: Data("{}".utf8))
        }
        return OnCall(bucket: bucket)
    }

    @Test func suggestionsAreCloseNamesOnly() {
        #expect(Suggestion.closest(to: "canery", among: ["canary", "stable"]) == "canary")
        #expect(Suggestion.closest(to: "stabel", among: ["canary", "stable"]) == "stable")
        #expect(Suggestion.closest(to: "prod", among: ["canary", "stable"]) == nil)
        #expect(Suggestion.phrase(for: "dropzon", among: ["dropzone"]) == " (did you mean 'dropzone'?)")
    }

    @Test func anUnknownPipelineFailsNamingThoseThatExist() throws {
        let onCall = try Self.onCall()
        #expect(try onCall.pipelines() == ["ingest", "webapp"])
        #expect(throws: Never.self) { try onCall.checkPipeline("ingest") }
        let error = #expect(throws: FleetError.self) { try onCall.checkPipeline("webap") }
        #expect(error?.code == .notFound)
        #expect(error?.message == "no pipeline webap in s3://releases (did you mean 'webapp'?): its pipelines are "
            + "ingest, webapp")
    }

    @Test func aSiloThatNeverReportedFailsUnlessNew() throws {
        let onCall = try Self.onCall()
        #expect(try onCall.knownSilos(pipeline: "webapp") == ["111111111111", "222222222222", "333333333333"])
        let error = #expect(throws: FleetError.self) {
            try onCall.checkSilo("11111111111", pipeline: "webapp", allowNew: false)
        }
        #expect(error?.message.hasPrefix("silo 11111111111 has never reported for webapp (did you mean '111111111111'?)")
            == true)
        #expect(error?.message.hasSuffix("add --new-silo") == true)
        #expect(throws: Never.self) { try onCall.checkSilo("11111111111", pipeline: "webapp", allowNew: true) }
        #expect(throws: Never.self) { try onCall.checkSilo("333333333333", pipeline: "webapp", allowNew: false) }
    }

    @Test func aChannelOutsideTheDefinitionFailsUnlessNew() throws {
        let onCall = try Self.onCall()
        let error = #expect(throws: FleetError.self) {
            try onCall.checkChannel("canery", pipeline: "webapp", declared: ["canary", "stable"], allowNew: false,
                                    creating: "--new-channel")
        }
        #expect(error?.message == "channel canery is not a channel of webapp (did you mean 'canary'?): the pipeline "
            + "definition declares canary, stable; the bucket has canary, stable. Nothing was written. To create a new "
            + "channel, add it to channels: in pipelines/webapp.yaml or pass --new-channel")
        #expect(throws: Never.self) {
            try onCall.checkChannel("canery", pipeline: "webapp", declared: ["canary"], allowNew: true)
        }
        // Declared but never published to: allowed (the first publish creates it).
        #expect(throws: Never.self) {
            try onCall.checkChannel("prod", pipeline: "ingest", declared: ["prod"], allowNew: false)
        }
        // Without a definition (promote, publish from a folder), the bucket's channels decide.
        let promote = #expect(throws: FleetError.self) { try onCall.checkChannel("stabel", pipeline: "webapp") }
        #expect(promote?.message == "channel stabel is not a channel of webapp (did you mean 'stable'?): the bucket "
            + "has canary, stable. Nothing was written")
    }
}
