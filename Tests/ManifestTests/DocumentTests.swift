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
        #expect(try ChannelPointer.decode(Fixture.pointer().canonicalBytes()) == Fixture.pointer())
        #expect(try Pin.decode(Fixture.pin().canonicalBytes()) == Fixture.pin())
    }

    @Test func unknownSchemaMajorIsRefusedWithUpgradeAdvice() throws {
        let bytes = try manifestBytes { $0["schema"] = .string("ferry.manifest/v2") }
        let error = refusal { () throws(ManifestError) in try Manifest.decode(bytes) }
        #expect(error?.code == .unsupportedSchema)
        #expect(error?.message == "the manifest is ferry.manifest/v2; this agent understands v1; upgrade ferry")
    }

    @Test func schemaIsCheckedBeforeFields() throws {
        // A v2 document may lack v1's fields: the reader must say "upgrade", not "missing".
        let bytes = Fixture.data(#"{"schema":"ferry.pointer/v2","somethingNew":1}"#)
        #expect(refusal { () throws(ManifestError) in try ChannelPointer.decode(bytes) }?.code == .unsupportedSchema)
    }

    @Test(arguments: ["ferry.manifest", "ferry.manifest/1", "ferry.manifest/v", "ferry.manifest/v01",
                      "ferry.manifest/v1.", "ferry.manifest/v1.2.3", "other.manifest/v1", "FERRY.manifest/v1", ""])
    func malformedSchemaIsRefused(_ schema: String) throws {
        let bytes = try manifestBytes { $0["schema"] = .string(schema) }
        #expect(refusal { () throws(ManifestError) in try Manifest.decode(bytes) }?.code == .unsupportedSchema)
    }

    @Test func anotherKindOfDocumentIsRefused() throws {
        let pin = try Fixture.pin().canonicalBytes()
        let error = refusal { () throws(ManifestError) in try ChannelPointer.decode(pin) }
        #expect(error?.code == .wrongDocument)
        #expect(error?.message.contains("found a ferry.pin/v1 document") == true)
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
        let bytes = try ChannelPointer.decode(Fixture.pointer().canonicalBytes()).canonicalBytes()
        let text = String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: #""serial":42"#, with: #""serial":"42""#)
        let error = refusal { () throws(ManifestError) in try ChannelPointer.decode(Fixture.data(text)) }
        #expect(error?.code == .wrongType)
        #expect(error?.field == "serial")
        #expect(error?.message == "in the channel pointer, the field `serial` must be an integer")
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
        #expect(try ChannelPointer.decode(Fixture.data(absent)) == Fixture.pointer())
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
        #expect(StatusReport.State.allCases.map(\.rawValue) == ["in-sync", "deploying", "failed", "refused", "waiting",
                                                                "misconfigured", "stopping", "stopped"])
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
