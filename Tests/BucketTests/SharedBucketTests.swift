import AWS
import Basics
import Bucket
import Foundation
import Manifest
import TestSupport
import Testing

/// The shared bucket's protocol, the same tests over the in-memory store (BucketTests,
/// offline) and over moto (IntegrationTests links this file; each target's
/// `makeBucket` gives the store): write-once release objects, pointer compare-and-swap, pins
/// whose serial survives removal, status reads.
struct SharedBucketTests {
    let bucket: SharedBucket
    let key = try! SigningKey(seed: Data(repeating: 7, count: 32))

    init() throws {
        bucket = try Self.makeBucket()
    }

    func release(_ version: String, manifest: String = "m", bundle: String = "b") throws -> ReleaseRef {
        ReleaseRef(pipeline: "webapp", version: try SemVer(version), manifestSha256: sha256Hex(Data(manifest.utf8)),
                   bundleSha256: sha256Hex(Data(bundle.utf8)))
    }

    @Test func releaseObjectsAreWrittenOnce() throws {
        let key = "ferry/releases/webapp/1.0.0/bundle.zip"
        #expect(try bucket.writeOnce(key: key, data: Data("one".utf8)) == .written)
        #expect(try bucket.writeOnce(key: key, data: Data("one".utf8)) == .alreadyThere)
        let error = #expect(throws: BucketError.self) { try bucket.writeOnce(key: key, data: Data("two".utf8)) }
        #expect(error?.code == .releaseExists)
        #expect(error?.message.contains("publish a new version") == true)
        // The first bytes are still there.
        #expect(try bucket.require(key: key, cap: 100, what: "bundle") == Data("one".utf8))
        #expect(try bucket.digest(of: key) == sha256Hex(Data("one".utf8)))
    }

    var trust: TrustStore { TrustStore([(key.publicKey, [.release, .oncall])]) }
    var writer: PointerSigner { PointerSigner(key: key, trust: trust) }

    /// Plans and commits one move, as every command does.
    @discardableResult
    func move(_ scope: PointerScope, to target: MoveTarget, reason: String = "r", by writer: PointerSigner? = nil,
              now: Date = Date()) throws -> MoveResult {
        let writer = writer ?? self.writer
        let plan = try bucket.planMove(pipeline: "webapp", scope: scope, to: target, reason: reason, by: writer)
        return try bucket.commit(plan, by: writer, now: now)
    }

    @Test func aChannelMovesWithTheNextSerialAndNotAgainForTheSameRelease() throws {
        let first = try move(.channel("canary"), to: .release(release("1.0.0").pointed), reason: "publish",
                             now: Date(timeIntervalSince1970: 1_700_000_000))
        guard case .moved(nil, let pointer1) = first else { Issue.record("expected a move"); return }
        #expect(pointer1.serial == 1)
        #expect(pointer1.expiresAt == "2023-12-14T22:13:20Z")  // 30 days after it was issued
        let again = try move(.channel("canary"), to: .release(release("1.0.0").pointed), reason: "publish")
        #expect(again == .unchanged(pointer1))
        let back = try move(.channel("canary"), to: .release(release("0.9.0", manifest: "old").pointed), reason: "rollback")
        #expect(back.pointer.serial == 2)
        let older = try SemVer("0.9.0")
        #expect(back.pointer.release?.version == older)
        // What is in the bucket is signed and opens with the key trusted as release.
        let data = try bucket.require(key: "ferry/channels/webapp/canary.json", cap: SizeCap.pointer, what: "pointer")
        #expect(try openPointer(bytes: data, trust: TrustStore([(key.publicKey, [.release])]), now: Date()).serial == 2)
    }

    @Test func twoMovesFromTheSameStateCannotBothWin() throws {
        try move(.channel("stable"), to: .release(release("1.0.0").pointed), reason: "a")
        let plan = try bucket.planMove(pipeline: "webapp", scope: .channel("stable"), to: .release(release("1.2.0").pointed),
                                       reason: "late", by: writer)
        // Another publisher moves the channel after we read it...
        try move(.channel("stable"), to: .release(release("1.1.0").pointed), reason: "b")
        // ...so our compare-and-swap with the old ETag must fail and write nothing.
        let error = #expect(throws: BucketError.self) { try bucket.commit(plan, by: writer, now: Date()) }
        #expect(error?.code == .channelMoved)
        let (now, _) = try #require(try bucket.currentPointer(pipeline: "webapp", scope: .channel("stable")))
        let expected = try SemVer("1.1.0")
        #expect(now.serial == 2 && now.release?.version == expected)
        // Creating a pointer that already exists is refused the same way.
        let create = #expect(throws: BucketError.self) {
            try bucket.swap(key: "ferry/channels/webapp/stable.json", data: Data("{}".utf8), expecting: nil)
        }
        #expect(create?.code == .channelMoved)
    }

    @Test func endingAPinIsASignedDocumentAndTheSerialContinues() throws {
        let silo = PointerScope.silo("111111111111-us-east-1")
        #expect(try move(silo, to: .release(release("1.0.0").pointed), reason: "hold").pointer.serial == 1)
        let ended = try move(silo, to: .end, reason: "audit over")
        #expect(ended.pointer.serial == 2 && ended.pointer.isEnded)
        // Nothing is deleted: the object holds a signed ended pin an agent can verify.
        let key = try bucket.pointerKey(pipeline: "webapp", scope: silo)
        #expect(try bucket.versions(of: key).allSatisfy { !$0.isDeleteMarker })
        let data = try bucket.require(key: key, cap: SizeCap.pointer, what: "pin")
        #expect(try openPointer(bytes: data, trust: TrustStore([(self.key.publicKey, [.oncall])]), now: Date()).isEnded)
        #expect(try move(silo, to: .end, reason: "again") == .unchanged(ended.pointer))
        #expect(try move(silo, to: .release(release("1.1.0").pointed), reason: "hold again").pointer.serial == 3)
        // A channel cannot end.
        #expect(throws: BucketError.self) { try move(.channel("stable"), to: .end) }
    }

    @Test func theNextSerialIsAboveTheHistoryAfterADeletedOrLoweredPointer() throws {
        let channel = PointerScope.channel("stable")
        let key = try bucket.pointerKey(pipeline: "webapp", scope: channel)
        try move(channel, to: .release(release("1.0.0").pointed))
        let replay = try bucket.require(key: key, cap: SizeCap.pointer, what: "pointer")
        for version in ["1.1.0", "1.2.0"] { try move(channel, to: .release(release(version).pointed)) }
        // Someone with bucket access deletes the pointer: the next write is serial 4, not 1.
        try bucket.delete(key: key)
        #expect(try move(channel, to: .release(release("1.0.0").pointed)).pointer.serial == 4)
        // Someone writes back a signed but lowered pointer (serial 1, an old version replayed).
        try bucket.put(key: key, data: replay)
        let next = try move(channel, to: .release(release("1.3.0").pointed))
        #expect(next.pointer.serial == 5)
    }

    @Test func aWritersMarkSparesTheHistoryOnlyWhileThePointersLatestVersionIsTheOneItNames() throws {
        let channel = PointerScope.channel("stable")
        let key = try bucket.pointerKey(pipeline: "webapp", scope: channel)
        func plan(_ version: String, known: SerialMark?) throws -> MovePlan {
            try bucket.planMove(pipeline: "webapp", scope: channel, to: .release(release(version).pointed), reason: "r",
                                by: writer, known: known)
        }
        let first = try bucket.commitMarked(try plan("1.0.0", known: nil), by: writer, now: Date())
        let mark = try #require(first.mark)
        // The mark names the version written and its serial.
        let latest = try #require(try bucket.store.headObject(bucket: bucket.name, key: key, versionId: nil))
        #expect(mark == SerialMark(versionId: try #require(latest.versionId), highestSerial: 1))
        #expect(try plan("1.1.0", known: nil).mark == mark)

        // While the latest version is the marked one, the mark stands for the history (not
        // listed: a mark claiming serial 41 gives 42).
        let claimed = SerialMark(versionId: mark.versionId, highestSerial: 41)
        #expect(try plan("1.1.0", known: claimed).serial == 42)
        // Another write, then the old document written back: the latest version is no
        // longer the marked one, so the whole history is read (serial 3 above 2).
        let replay = try bucket.require(key: key, cap: SizeCap.pointer, what: "pointer")
        try move(channel, to: .release(release("1.2.0").pointed))
        try bucket.put(key: key, data: replay)
        let after = try plan("1.3.0", known: mark)
        #expect(after.serial == 3)
        #expect(after.mark?.highestSerial == 2 && after.mark?.versionId != mark.versionId)
        // Deleted: no latest version, the history decides.
        try bucket.delete(key: key)
        #expect(try plan("1.3.0", known: after.mark).serial == 3)
        // Nothing written (the same release): the plan's mark is returned.
        let again = try bucket.commitMarked(try plan("1.3.0", known: nil), by: writer, now: Date())
        let same = try bucket.commitMarked(try plan("1.3.0", known: again.mark), by: writer, now: Date())
        #expect(same.result == .unchanged(again.result.pointer) && same.mark == again.mark)
    }

    @Test func aKeyTheAgentsRefuseIsRefusedBeforeAnythingIsWritten() throws {
        let channel = PointerScope.channel("stable")
        let builderOnly = PointerSigner(key: key, trust: TrustStore([(key.publicKey, [.builder])]))
        let wrongRole = #expect(throws: BucketError.self) {
            try bucket.planMove(pipeline: "webapp", scope: channel, to: .release(release("1.0.0").pointed),
                                reason: "r", by: builderOnly)
        }
        #expect(wrongRole?.code == .untrustedSigner)
        #expect(wrongRole?.message.contains("trusted only as builder") == true)
        // A release key may move a channel but not pin a silo.
        let releaseOnly = PointerSigner(key: key, trust: TrustStore([(key.publicKey, [.release])]))
        let pin = #expect(throws: BucketError.self) {
            try bucket.planMove(pipeline: "webapp", scope: .silo("s-1"), to: .release(release("1.0.0").pointed),
                                reason: "r", by: releaseOnly)
        }
        #expect(pin?.code == .untrustedSigner)
        let unknown = PointerSigner(key: key, trust: TrustStore([]))
        #expect(throws: BucketError.self) {
            try bucket.planMove(pipeline: "webapp", scope: channel, to: .release(release("1.0.0").pointed),
                                reason: "r", by: unknown)
        }
        #expect(try bucket.list(prefix: "").isEmpty)
    }

    @Test func aCurrentPointerThatDoesNotVerifyIsNotBuiltOn() throws {
        let channel = PointerScope.channel("stable")
        try move(channel, to: .release(release("1.0.0").pointed))
        // A writer without a key puts a pointer signed by a key the fleet does not trust.
        let stranger = try SigningKey(seed: Data(repeating: 5, count: 32))
        let forged = Pointer(pipeline: "webapp", scope: channel, serial: 9, release: try release("6.6.6").pointed,
                             issuedAt: "2026-01-01T00:00:00Z", expiresAt: nil, reason: "forged", issuedBy: stranger.id)
        try bucket.put(key: try bucket.pointerKey(pipeline: "webapp", scope: channel),
                       data: try sealPointer(forged, with: stranger))
        let plan = try bucket.planMove(pipeline: "webapp", scope: channel, to: .release(release("1.0.0").pointed),
                                       reason: "r", by: writer)
        #expect(plan.current == nil)
        #expect(plan.currentProblem?.contains("does not verify") == true)
        #expect(plan.serial == 10)  // above every serial in the history, the forged one included
        #expect(!plan.changesNothing)
        // Refresh needs a genuine current pointer.
        let refresh = #expect(throws: BucketError.self) {
            try bucket.planMove(pipeline: "webapp", scope: channel, to: .refresh, reason: "r", by: writer)
        }
        #expect(refresh?.code == .notFound)
    }

    @Test func refreshReSignsTheSameReleaseWithTheNextSerialAndANewExpiry() throws {
        let channel = PointerScope.channel("stable")
        let issued = Date(timeIntervalSince1970: 1_700_000_000)
        let first = try move(channel, to: .release(release("1.0.0").pointed), now: issued).pointer
        let refreshed = try move(channel, to: .refresh, reason: "weekly refresh", now: issued.addingTimeInterval(86_400))
        guard case .moved(let from?, let to) = refreshed else { Issue.record("refresh wrote nothing"); return }
        #expect(from == first && to.serial == 2 && to.release == first.release && to.reason == "weekly refresh")
        #expect(to.expiresAt == "2023-12-15T22:13:20Z")
    }

    @Test func statusReportsAreReadTogetherAndABadOneIsReportedNotDropped() throws {
        for silo in ["a-1", "b-2", "c-3"] {
            try bucket.putStatus(StatusReport(pipeline: "webapp", silo: silo, channel: "canary", state: .inSync,
                                              reportedAt: "2026-11-28T00:00:00Z", intervalSeconds: 30))
        }
        try bucket.put(key: "ferry/status/webapp/broken.json", data: Data("{not json".utf8))
        let (reports, problems) = try bucket.statuses(pipeline: "webapp")
        #expect(reports.map(\.silo) == ["a-1", "b-2", "c-3"])
        #expect(problems.count == 1)
        #expect(problems.first?.code == .invalidDocument)
    }

    @Test func aDownloadWithTheWrongDigestLeavesNoFile() throws {
        try bucket.put(key: "ferry/releases/webapp/2.0.0/bundle.zip", data: Data(repeating: 1, count: 1000))
        let dir = try TemporaryDirectory()
        let path = dir.url("bundle.zip")
        let error = #expect(throws: BucketError.self) {
            try bucket.download(key: "ferry/releases/webapp/2.0.0/bundle.zip", to: path, limit: 10_000,
                                sha256: String(repeating: "0", count: 64))
        }
        #expect(error?.code == .digestMismatch)
        #expect(!FileManager.default.fileExists(atPath: path))
        let tooBig = #expect(throws: BucketError.self) {
            try bucket.download(key: "ferry/releases/webapp/2.0.0/bundle.zip", to: path, limit: 999,
                                sha256: sha256Hex(Data(repeating: 1, count: 1000)))
        }
        #expect(tooBig?.code == .tooLarge)
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}

/// The test fixture that agent and on-call tests publish with writes what the agent
/// will verify: a signed manifest whose files match the bundle, and a signed pointer.
struct ReleaseFixtureTests {
    @Test func aFixtureReleaseVerifiesEndToEnd() throws {
        let bucket = ReleaseFixture.makeBucket()
        let dir = try TemporaryDirectory()
        let ref = try ReleaseFixture.publish(
            to: bucket, pipeline: "webapp", version: "1.0.0",
            stacks: [.init(name: "queue", template: "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n")], in: dir.path)
        let pointer = try openPointer(
            bytes: try bucket.require(key: "ferry/channels/webapp/canary.json", cap: SizeCap.pointer, what: "pointer"),
            trust: ReleaseFixture.trust, now: Date())
        #expect(pointer.release?.version == ref.version && pointer.serial == 1)
        let manifestBytes = try bucket.require(key: "ferry/releases/webapp/1.0.0/manifest.json", cap: SizeCap.manifest,
                                               what: "manifest")
        let manifest = try verifyManifest(
            bytes: manifestBytes,
            signature: try bucket.require(key: "ferry/releases/webapp/1.0.0/manifest.sig", cap: SizeCap.signature,
                                          what: "signature"),
            trust: ReleaseFixture.trust)
        #expect(sha256Hex(manifestBytes) == pointer.release?.manifestSha256)
        let limit = manifest.bundleSizeLimit(manifestBytes: manifestBytes.count)
        let file = try bucket.download(key: "ferry/releases/webapp/1.0.0/bundle.zip", to: dir.url("b.zip"),
                                       limit: limit, sha256: pointer.release!.bundleSha256)
        #expect(file.byteCount <= limit)
        #expect(try bucket.release(pipeline: "webapp", version: SemVer("1.0.0")) == ref)
        #expect(try bucket.releases(pipeline: "webapp") == [SemVer("1.0.0")])
    }
}
