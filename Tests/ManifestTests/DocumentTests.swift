import Foundation
import Testing
@testable import Manifest

/// Decoding documents: schema versions, required fields, types, field checks.
@Suite struct DocumentTests {
    /// The golden manifest's JSON with `change` applied to its parsed tree.
    private func manifestBytes(_ change: (inout [String: JSONValue]) -> Void) throws -> Data {
        guard case .object(var members) = try CanonicalJSON.tree(of: Fixture.manifest) else {
            Issue.record("the manifest is not an object")
            return Data()
        }
        change(&members)
        return JSONValue.object(members).canonicalBytes
    }

    @Test func roundTripsThroughCanonicalBytes() throws {
        #expect(try Manifest.decode(Fixture.manifest.canonicalBytes()) == Fixture.manifest)
        #expect(try Pointer.decode(Fixture.pointer().canonicalBytes()) == Fixture.pointer())
        #expect(try Pointer.decode(Fixture.pin().canonicalBytes()) == Fixture.pin())
        #expect(try Pointer.decode(Fixture.pin(ended: true).canonicalBytes()) == Fixture.pin(ended: true))
    }

    @Test func unknownSchemaMajorIsRefusedWithUpgradeAdvice() throws {
        let bytes = try manifestBytes { $0["schema"] = .string("ferry.manifest/v2") }
        let error = refusal { () throws(ManifestError) in try Manifest.decode(bytes) }
        #expect(error?.code == .unsupportedSchema)
        #expect(error?.message == "the manifest is ferry.manifest/v2; this agent understands v1; upgrade ferry")
    }

    @Test func schemaIsCheckedBeforeFields() throws {
        // A v2 document may lack v1's fields: the reader must say "upgrade", not "missing".
        let bytes = Fixture.data(#"{"schema":"ferry.pointer/v3","somethingNew":1}"#)
        #expect(refusal { () throws(ManifestError) in try Pointer.decode(bytes) }?.code == .unsupportedSchema)
    }

    @Test(arguments: ["ferry.manifest", "ferry.manifest/1", "ferry.manifest/v", "ferry.manifest/v01",
                      "ferry.manifest/v1.", "ferry.manifest/v1.2.3", "other.manifest/v1", "FERRY.manifest/v1", ""])
    func malformedSchemaIsRefused(_ schema: String) throws {
        let bytes = try manifestBytes { $0["schema"] = .string(schema) }
        #expect(refusal { () throws(ManifestError) in try Manifest.decode(bytes) }?.code == .unsupportedSchema)
    }

    @Test func anotherKindOfDocumentIsRefused() throws {
        let manifest = try Fixture.manifest.canonicalBytes()
        let error = refusal { () throws(ManifestError) in try Pointer.decode(manifest) }
        #expect(error?.code == .wrongDocument)
        #expect(error?.message.contains("found a ferry.manifest/v1 document") == true)
    }

    @Test func pointerV1IsRefusedWithUpgradeAdvice() throws {
        let bytes = Fixture.data(#"{"schema":"ferry.pointer/v1","pipeline":"webapp","channel":"stable"}"#)
        let error = refusal { () throws(ManifestError) in try Pointer.decode(bytes) }
        #expect(error?.code == .unsupportedSchema)
        #expect(error?.message.contains("understands v2") == true)
    }

    @Test func oneDocumentTypeForChannelsAndPinsWithOneSchema() throws {
        #expect(Pointer.currentSchema == "ferry.pointer/v2")
        let pin = String(decoding: try Fixture.pin().canonicalBytes(), as: UTF8.self)
        let pointer = String(decoding: try Fixture.pointer().canonicalBytes(), as: UTF8.self)
        #expect(pin.contains(#""scope":"silo""#) && pin.contains(#""name":"silo-eu-1""#))
        #expect(pointer.contains(#""scope":"channel""#) && pointer.contains(#""name":"stable""#))
        #expect(pointer.contains(#""schema":"ferry.pointer/v2""#) && pin.contains(#""schema":"ferry.pointer/v2""#))
    }

    @Test func anEndedPinIsSignedAndReadsBackWithNoRelease() throws {
        let ended = Fixture.pin(ended: true)
        let bytes = try ended.canonicalBytes()
        #expect(String(decoding: bytes, as: UTF8.self).contains(#""release":null"#))
        let read = try Pointer.decode(bytes)
        #expect(read.isEnded && read == ended)
        let opened = try openPointer(bytes: try sealPointer(ended, with: Fixture.key),
                                     trust: Fixture.trust([.oncall]), now: Date(timeIntervalSince1970: 0))
        #expect(opened.isEnded)
    }

    @Test func aChannelPointerThatNamesNoReleaseIsRefused() throws {
        var pointer = Fixture.pointer()
        pointer.release = nil
        let error = refusal { () throws(ManifestError) in try pointer.canonicalBytes() }
        #expect(error?.code == .missingField)
        #expect(error?.field == "release")
    }

    @Test func oneUnchangedRuleSameReleaseAndSameSigner() throws {
        let current = Fixture.pointer()
        let other = try SigningKey(seed: Data(repeating: 9, count: 32))
        #expect(Pointer.isUnchanged(current, release: current.release, signer: current.issuedBy))
        // A key rotation re-signs: the same release under another key is a new serial.
        #expect(!Pointer.isUnchanged(current, release: current.release, signer: other.id))
        var later = current.release!
        later.version = try SemVer("1.4.2")
        #expect(!Pointer.isUnchanged(current, release: later, signer: current.issuedBy))
        #expect(!Pointer.isUnchanged(nil, release: current.release, signer: current.issuedBy))
        // An ended pin ended again by the same key: unchanged.
        #expect(Pointer.isUnchanged(Fixture.pin(ended: true), release: nil, signer: Fixture.key.id))
    }

    @Test func nextSerialIsAboveTheHighestInTheHistory() throws {
        #expect(try Pointer.nextSerial(after: []) == 1)
        // A lowered pointer (7 after 12) and a deleted one: the next is above all of them.
        #expect(try Pointer.nextSerial(after: [7, 12, 3]) == 13)
        #expect(refusal { () throws(ManifestError) in try Pointer.nextSerial(after: [Int.max]) }?.code == .invalidValue)
    }

    @Test func inForcePrefersALivePinThenALiveChannel() throws {
        let now = Timestamp.parse("2024-05-02T10:00:00Z")!
        let channel = Fixture.pointer(), pin = Fixture.pin()
        #expect(Pointer.inForce(pin: pin, channel: channel, now: now) == pin)
        #expect(Pointer.inForce(pin: Fixture.pin(ended: true), channel: channel, now: now) == channel)
        #expect(Pointer.inForce(pin: Fixture.pin(expiresAt: "2024-05-02T09:00:01Z"), channel: channel, now: now) == channel)
        #expect(Pointer.inForce(pin: nil, channel: Fixture.pointer(expiresAt: "2024-05-01T00:00:00Z"), now: now) == nil)
    }

    @Test func aSignedManifestWhoseSizesSumPastInt64MaxIsRefusedNotATrap() throws {
        // 1,100 files of 2^53 - 1 bytes each: every number is valid JSON, the sum is not.
        var manifest = Fixture.manifest
        manifest.files = (0..<1_100).map { .init(path: "templates/f\($0).yaml", size: 9_007_199_254_740_991, sha256: Fixture.a64) }
        manifest.files[0].path = "templates/storage.yaml"
        guard case .object(var members) = try CanonicalJSON.tree(of: manifest) else { Issue.record("not an object"); return }
        members["schema"] = .string(Manifest.currentSchema)
        let bytes = JSONValue.object(members).canonicalBytes
        let error = refusal { () throws(ManifestError) in try Manifest.decode(bytes) }
        #expect(error?.code == .invalidValue)
        #expect(error?.message.contains("add up past the largest size ferry can count") == true)
        let signature = try signManifest(Fixture.manifest, with: Fixture.key).signature  // over other bytes: checked first
        #expect(refusal { () throws(ManifestError) in
            try verifyManifest(bytes: bytes, signature: signature, trust: Fixture.trust([.builder]))
        } != nil)
    }

    @Test func sizesThatSumPastInt64MaxAreAClearErrorNotATrap() throws {
        var manifest = Fixture.manifest
        manifest.files = [.init(path: "templates/storage.yaml", size: Int.max - 10, sha256: Fixture.a64),
                          .init(path: "templates/other.yaml", size: Int.max - 10, sha256: Fixture.a64)]
        let error = refusal { () throws(ManifestError) in try manifest.validate() }
        #expect(error?.code == .invalidValue)
        #expect(error?.message.contains("add up past") == true)
        // The limit itself saturates instead of trapping.
        #expect(manifest.bundleSizeLimit(manifestBytes: 100) == Int64.max)
        var single = Fixture.manifest
        single.files = [.init(path: "templates/storage.yaml", size: Int.max, sha256: Fixture.a64)]
        #expect(refusal { () throws(ManifestError) in try single.validate() }?.code == .invalidValue)
        var artifacts = Fixture.manifest
        artifacts.artifacts = [.init(key: "a", size: Int.max, sha256: Fixture.b64), .init(key: "b", size: 1, sha256: Fixture.b64)]
        #expect(refusal { () throws(ManifestError) in try artifacts.validate() }?.code == .invalidValue)
    }

    /// The compatibility rule: a v1.<minor> document with fields this reader does not
    /// know is read, the unknown fields ignored.
    @Test func newerMinorWithUnknownFieldsIsRead() throws {
        let bytes = try manifestBytes {
            $0["schema"] = .string("ferry.manifest/v1.3")
            $0["provenance"] = .object(["slsa": .integer(3)])
        }
        let manifest = try Manifest.decode(bytes)
        #expect(manifest.schema == "ferry.manifest/v1.3")
        #expect(manifest.stacks == Fixture.manifest.stacks)
    }

    @Test func missingRequiredFieldIsNamed() throws {
        let bytes = try manifestBytes {
            guard case .array(var stacks) = $0["stacks"], case .object(var stack) = stacks[0] else { return }
            stack["template"] = nil
            stacks[0] = .object(stack)
            $0["stacks"] = .array(stacks)
        }
        let error = refusal { () throws(ManifestError) in try Manifest.decode(bytes) }
        #expect(error?.code == .missingField)
        #expect(error?.field == "stacks[0].template")
        #expect(error?.message == "the manifest lacks the required field `stacks[0].template`")
    }

    @Test func missingSchemaIsNamed() throws {
        let bytes = try manifestBytes { $0["schema"] = nil }
        let error = refusal { () throws(ManifestError) in try Manifest.decode(bytes) }
        #expect(error?.code == .missingField)
        #expect(error?.field == "schema")
    }

    @Test func wrongTypeIsNamed() throws {
        let bytes = try Pointer.decode(Fixture.pointer().canonicalBytes()).canonicalBytes()
        let text = String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: #""serial":42"#, with: #""serial":"42""#)
        let error = refusal { () throws(ManifestError) in try Pointer.decode(Fixture.data(text)) }
        #expect(error?.code == .wrongType)
        #expect(error?.field == "serial")
        #expect(error?.message == "in the pointer, the field `serial` must be an integer")
    }

    @Test func nullForARequiredFieldIsAWrongType() throws {
        let bytes = try manifestBytes { $0["pipeline"] = .null }
        #expect(refusal { () throws(ManifestError) in try Manifest.decode(bytes) }?.code == .wrongType)
    }

    @Test func badVersionInADocumentIsNamed() throws {
        let bytes = try manifestBytes { $0["version"] = .string("v1.4") }
        let error = refusal { () throws(ManifestError) in try Manifest.decode(bytes) }
        #expect(error?.code == .invalidValue)
        #expect(error?.field == "version")
    }

    @Test func expiresAtIsWrittenAsNullAndReadAbsentOrNull() throws {
        let bytes = try Fixture.pointer().canonicalBytes()
        #expect(String(decoding: bytes, as: UTF8.self).contains(#""expiresAt":null"#))
        let absent = String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: #""expiresAt":null,"#, with: "")
        #expect(try Pointer.decode(Fixture.data(absent)) == Fixture.pointer())
    }

    @Test func statusReportRoundTripsAndOmitsAbsentFields() throws {
        let report = StatusReport(
            pipeline: "webapp", silo: "silo-eu-1", channel: "stable", target: try SemVer("1.4.2"),
            applied: try SemVer("1.4.1"), state: .failed,
            error: .init(code: "UPDATE_ROLLBACK_COMPLETE", message: "stack storage rolled back", resource: "storage"),
            reportedAt: "2024-05-02T08:31:10Z", startedAt: "2024-05-02T08:30:05Z", intervalSeconds: 30,
            events: [.init(time: "2024-05-02T08:30:40.125Z", stack: "storage", resource: "Bucket",
                           status: "UPDATE_FAILED", reason: "Access Denied")],
            targetSerial: 43)
        let bytes = try report.canonicalBytes()
        #expect(try StatusReport.decode(bytes) == report)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains(#""state":"failed""#))
        #expect(!text.contains("finishedAt"))
    }

    @Test func statusStatesAreSpelledAsInTheSpec() {
        #expect(StatusReport.State.allCases.map(\.rawValue) == ["in-sync", "deploying", "failed", "refused", "expired",
                                                                "waiting", "misconfigured", "stopping", "stopped"])
    }

    @Test func misconfiguredStatusWithoutErrorIsRefused() {
        let report = StatusReport(pipeline: "webapp", silo: "s1", channel: "stable", state: .misconfigured,
                                  reportedAt: "2024-05-02T08:31:10Z", intervalSeconds: 30)
        #expect(refusal { () throws(ManifestError) in try report.canonicalBytes() }?.field == "error")
        // Waiting and stopped need no error.
        for state in [StatusReport.State.waiting, .stopped, .stopping] {
            let quiet = StatusReport(pipeline: "webapp", silo: "s1", channel: "stable", state: state,
                                     reportedAt: "2024-05-02T08:31:10Z", intervalSeconds: 30)
            #expect((try? quiet.canonicalBytes()) != nil)
        }
    }

    @Test func failedStatusWithoutErrorIsRefused() {
        let report = StatusReport(pipeline: "webapp", silo: "s1", channel: "stable", state: .refused,
                                  reportedAt: "2024-05-02T08:31:10Z", intervalSeconds: 30)
        #expect(refusal { () throws(ManifestError) in try report.canonicalBytes() }?.field == "error")
    }

    @Test func unknownStateIsRefused() throws {
        let report = StatusReport(pipeline: "webapp", silo: "s1", channel: "stable", state: .inSync,
                                  reportedAt: "2024-05-02T08:31:10Z", intervalSeconds: 30)
        let text = String(decoding: try report.canonicalBytes(), as: UTF8.self)
            .replacingOccurrences(of: "in-sync", with: "sleeping")
        let error = refusal { () throws(ManifestError) in try StatusReport.decode(Fixture.data(text)) }
        #expect(error?.code == .invalidValue)
        #expect(error?.field == "state")
    }

    @Test func statusOverItsSizeCapIsRefused() throws {
        let report = StatusReport(pipeline: "webapp", silo: "s1", channel: "stable", state: .inSync,
                                  reportedAt: "2024-05-02T08:31:10Z", intervalSeconds: 30,
                                  events: Array(repeating: .init(time: "2024-05-02T08:31:10Z", stack: "s",
                                                                 status: String(repeating: "X", count: 1000)),
                                                count: 300))
        let bytes = try report.canonicalBytes()
        #expect(bytes.count > SizeCap.status)
        #expect(refusal { () throws(ManifestError) in try StatusReport.decode(bytes) }?.code == .tooLarge)
    }
}
