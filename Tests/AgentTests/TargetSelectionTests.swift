import Agent
import Basics
import Foundation
import Manifest
import Testing

/// Target selection as a table: the journal's last accepted documents, this poll's
/// observations, and what the agent must do.
@Suite struct TargetSelectionTests {
    static let now = Timestamp.parse("2024-05-01T12:00:00Z")!
    static let keyID = try! KeyID(hex: String(repeating: "c", count: 64))

    static func pointer(_ serial: Int, _ version: String, channel: String = "stable", pipeline: String = "webapp",
                        expiresAt: String? = nil) -> Pointer {
        Pointer(pipeline: pipeline, scope: .channel(channel), serial: serial, release: release(version),
                issuedAt: "2024-04-01T00:00:00Z", expiresAt: expiresAt, reason: "test", issuedBy: keyID)
    }

    static func pin(_ serial: Int, _ version: String?, silo: String = "silo-1", expiresAt: String? = nil) -> Pointer {
        Pointer(pipeline: "webapp", scope: .silo(silo), serial: serial, release: version.map(release),
                issuedAt: "2024-04-01T00:00:00Z", expiresAt: expiresAt, reason: "test", issuedBy: keyID)
    }

    static func release(_ version: String) -> PointedRelease {
        PointedRelease(version: try! SemVer(version), manifestSha256: digest("manifest \(version)"),
                       bundleSha256: digest("bundle \(version)"))
    }

    static func digest(_ text: String) -> String { sha256Hex(Data(text.utf8)) }

    /// The digest that stands in for a document's envelope bytes.
    static func bytes(_ document: Pointer, _ bytes: String?) -> String {
        switch document.scope {
        case .channel: digest(bytes ?? "pointer \(document.serial)")
        case .silo: digest("pin \(document.serial)")
        }
    }

    /// What the journal keeps of an accepted pointer or pin.
    static func accepted(_ document: Pointer, bytes: String? = nil, removed: Bool = false) -> AcceptedDocument {
        let isPin = document.scope == .silo(document.scope.name)
        let named = document.release ?? release("0.0.0")
        return AcceptedDocument(kind: isPin ? .pin : .channel, name: document.scope.name, serial: document.serial,
                                sha256: Self.bytes(document, bytes),
                                etag: isPin ? "\"p\(document.serial)\"" : "\"e\(document.serial)\"",
                                version: named.version, manifestSha256: named.manifestSha256,
                                bundleSha256: named.bundleSha256, expiresAt: document.expiresAt,
                                removed: removed || document.isEnded, acceptedAt: "2024-04-01T00:00:00Z")
    }

    static func fetched(_ document: Pointer, bytes: String? = nil) -> Observation<Pointer> {
        let isPin = document.scope == .silo(document.scope.name)
        return .fetched(document, sha256: Self.bytes(document, bytes),
                        etag: isPin ? "\"p\(document.serial)\"" : "\"e\(document.serial)\"")
    }

    static func target(_ document: Pointer) -> Target { accepted(document).target }

    struct Case: CustomStringConvertible, Sendable {
        var description: String
        var lastPointer: AcceptedDocument? = nil
        var lastPin: AcceptedDocument? = nil
        var pointer: Observation<Pointer> = .notModified
        var pin: Observation<Pointer> = .absent
        var failed: Set<TargetKey> = []
        var applied: Target? = nil
        var verdict: Selection.Verdict
        var refusal: AgentError.Code? = nil
        var pinned = false
    }

    static let cases: [Case] = [
        Case(description: "first pointer is accepted and deployed",
             pointer: fetched(pointer(1, "1.0.0")), verdict: .deploy(target(pointer(1, "1.0.0")))),
        Case(description: "nothing known yet", verdict: .nothing),
        Case(description: "idle tick: 304 and the applied target",
             lastPointer: accepted(pointer(4, "1.2.0")), applied: target(pointer(4, "1.2.0")),
             verdict: .unchanged(target(pointer(4, "1.2.0")))),
        Case(description: "a newer serial deploys",
             lastPointer: accepted(pointer(4, "1.2.0")), pointer: fetched(pointer(5, "1.3.0")),
             applied: target(pointer(4, "1.2.0")), verdict: .deploy(target(pointer(5, "1.3.0")))),
        Case(description: "replay: a lower serial is refused, what runs keeps running",
             lastPointer: accepted(pointer(4, "1.2.0")), pointer: fetched(pointer(3, "1.3.0")),
             applied: target(pointer(4, "1.2.0")), verdict: .unchanged(target(pointer(4, "1.2.0"))), refusal: .replay),
        Case(description: "same serial, same bytes: unchanged",
             lastPointer: accepted(pointer(4, "1.2.0")), pointer: fetched(pointer(4, "1.2.0")),
             applied: target(pointer(4, "1.2.0")), verdict: .unchanged(target(pointer(4, "1.2.0")))),
        Case(description: "same serial, other bytes: refused",
             lastPointer: accepted(pointer(4, "1.2.0")), pointer: fetched(pointer(4, "9.9.9"), bytes: "forged"),
             applied: target(pointer(4, "1.2.0")), verdict: .unchanged(target(pointer(4, "1.2.0"))),
             refusal: .serialReused),
        Case(description: "expired new pointer is refused",
             lastPointer: accepted(pointer(4, "1.2.0")),
             pointer: fetched(pointer(5, "1.3.0", expiresAt: "2024-05-01T11:00:00Z")),
             applied: target(pointer(4, "1.2.0")), verdict: .unchanged(target(pointer(4, "1.2.0"))), refusal: .expired),
        Case(description: "the accepted pointer expired meanwhile: refused, nothing to deploy",
             lastPointer: accepted(pointer(4, "1.2.0", expiresAt: "2024-05-01T12:00:00Z")),
             applied: target(pointer(4, "1.2.0", expiresAt: "2024-05-01T12:00:00Z")), verdict: .nothing,
             refusal: .expired),
        Case(description: "bad signature: refused, what runs keeps running",
             lastPointer: accepted(pointer(4, "1.2.0")),
             pointer: .refused(ManifestError(.badSignature, "the signature does not match")),
             applied: target(pointer(4, "1.2.0")), verdict: .unchanged(target(pointer(4, "1.2.0"))), refusal: .refused),
        Case(description: "a pointer of another channel is refused",
             lastPointer: accepted(pointer(4, "1.2.0")), pointer: fetched(pointer(9, "2.0.0", channel: "canary")),
             applied: target(pointer(4, "1.2.0")), verdict: .unchanged(target(pointer(4, "1.2.0"))),
             refusal: .wrongDocument),
        Case(description: "a pin wins over the channel",
             lastPointer: accepted(pointer(4, "1.2.0")), pointer: fetched(pointer(5, "1.3.0")),
             pin: fetched(pin(1, "1.1.0")), applied: target(pointer(4, "1.2.0")),
             verdict: .deploy(target(pin(1, "1.1.0"))), pinned: true),
        Case(description: "an accepted pin keeps winning (304)",
             lastPointer: accepted(pointer(5, "1.3.0")), lastPin: accepted(pin(1, "1.1.0")), pin: .notModified,
             applied: target(pin(1, "1.1.0")), verdict: .unchanged(target(pin(1, "1.1.0"))), pinned: true),
        Case(description: "a pin deleted without a signed unpin stays in force, and is reported",
             lastPointer: accepted(pointer(5, "1.3.0")), lastPin: accepted(pin(1, "1.1.0")), pin: .absent,
             applied: target(pin(1, "1.1.0")), verdict: .unchanged(target(pin(1, "1.1.0"))), refusal: .pinMissing,
             pinned: true),
        Case(description: "no pin ever, none in the bucket: the channel",
             lastPointer: accepted(pointer(5, "1.3.0")), pin: .absent,
             applied: target(pointer(4, "1.2.0")), verdict: .deploy(target(pointer(5, "1.3.0")))),
        Case(description: "a removed pin restored later is a replay",
             lastPointer: accepted(pointer(5, "1.3.0")), lastPin: accepted(pin(1, "1.1.0"), removed: true),
             pin: fetched(pin(1, "1.1.0")), applied: target(pointer(5, "1.3.0")),
             verdict: .unchanged(target(pointer(5, "1.3.0"))), refusal: .replay),
        Case(description: "a signed ended pin: the silo follows its channel",
             lastPointer: accepted(pointer(5, "1.3.0")), lastPin: accepted(pin(1, "1.1.0")),
             pin: fetched(pin(2, nil)), applied: target(pin(1, "1.1.0")), verdict: .deploy(target(pointer(5, "1.3.0")))),
        Case(description: "an ended pin read again is still no pin, not a replay",
             lastPointer: accepted(pointer(5, "1.3.0")), lastPin: accepted(pin(2, nil)),
             pin: fetched(pin(2, nil)), applied: target(pointer(5, "1.3.0")),
             verdict: .unchanged(target(pointer(5, "1.3.0")))),
        Case(description: "the pin an ended pin replaced, replayed, is refused",
             lastPointer: accepted(pointer(5, "1.3.0")), lastPin: accepted(pin(2, nil)),
             pin: fetched(pin(1, "1.1.0")), applied: target(pointer(5, "1.3.0")),
             verdict: .unchanged(target(pointer(5, "1.3.0"))), refusal: .replay),
        Case(description: "an expired pin falls back to the channel",
             lastPointer: accepted(pointer(5, "1.3.0")),
             lastPin: accepted(pin(2, "1.1.0", expiresAt: "2024-05-01T00:00:00Z")), pin: .notModified,
             applied: target(pin(2, "1.1.0", expiresAt: "2024-05-01T00:00:00Z")),
             verdict: .deploy(target(pointer(5, "1.3.0")))),
        Case(description: "a serial that failed here is not retried",
             lastPointer: accepted(pointer(5, "1.3.0")), failed: [target(pointer(5, "1.3.0")).key],
             applied: target(pointer(4, "1.2.0")), verdict: .alreadyFailed(target(pointer(5, "1.3.0")))),
        Case(description: "the same release under a new serial is a new attempt",
             lastPointer: accepted(pointer(5, "1.3.0")), pointer: fetched(pointer(6, "1.3.0")),
             failed: [target(pointer(5, "1.3.0")).key], applied: target(pointer(4, "1.2.0")),
             verdict: .deploy(target(pointer(6, "1.3.0")))),
        Case(description: "rollback: a higher serial to a lower version is accepted",
             lastPointer: accepted(pointer(6, "1.3.0")), pointer: fetched(pointer(7, "1.2.0")),
             applied: target(pointer(6, "1.3.0")), verdict: .deploy(target(pointer(7, "1.2.0")))),
    ]

    @Test(arguments: cases)
    func selection(_ row: Case) {
        let selection = selectTarget(SelectionInput(
            pipeline: "webapp", channel: "stable", silo: "silo-1", lastPointer: row.lastPointer, lastPin: row.lastPin,
            pointer: row.pointer, pin: row.pin, now: Self.now, failed: row.failed, applied: row.applied))
        #expect(selection.verdict == row.verdict)
        #expect(selection.refusals.map(\.code) == (row.refusal.map { [$0] } ?? []))
        #expect(selection.refusals.allSatisfy { $0.next == .needsPerson })
        #expect(selection.pinned == row.pinned)
    }

    @Test func recordsWhatToRemember() {
        let new = Self.pointer(5, "1.3.0")
        let accepting = selectTarget(SelectionInput(
            pipeline: "webapp", channel: "stable", silo: "silo-1", lastPointer: Self.accepted(Self.pointer(4, "1.2.0")),
            lastPin: Self.accepted(Self.pin(1, "1.1.0")), pointer: Self.fetched(new), pin: .absent, now: Self.now,
            failed: [], applied: nil))
        // The channel's new pointer is remembered; a pin that vanished is not recorded as removed.
        #expect(accepting.record.count == 1)
        #expect(accepting.record.contains { $0.kind == .channel && $0.serial == 5 && $0.etag == "\"e5\"" && !$0.removed })
        #expect(accepting.refusals.map(\.code) == [.pinMissing])

        let refusing = selectTarget(SelectionInput(
            pipeline: "webapp", channel: "stable", silo: "silo-1", lastPointer: Self.accepted(Self.pointer(4, "1.2.0")),
            lastPin: nil, pointer: Self.fetched(Self.pointer(3, "1.0.0")), pin: .absent, now: Self.now, failed: [],
            applied: nil))
        #expect(refusing.record.isEmpty)  // a refused document is never remembered
    }
}
