import Bucket
import Foundation
import Manifest

/// `ferry rollout`: reads a channel's pointer and its silos' reports, decides one step
/// (`RolloutDecision`), and carries it out as one signed move with the next serial,
/// by compare-and-swap: of two controllers running at once, one writes and the other
/// reads again on its next tick. Every step is a pointer version: `ferry history` lists it.
public struct RolloutController: Sendable {
    public let bucket: SharedBucket
    public let writer: PointerSigner
    public let width: Int

    public init(bucket: SharedBucket, writer: PointerSigner, width: Int = 32) {
        self.bucket = bucket
        self.writer = writer
        self.width = width
    }

    /// What one tick did.
    public struct Tick: Equatable, Sendable {
        public var step: RolloutStep
        /// The pointer written, when the step wrote one.
        public var written: Pointer?
        /// The pointer as it stands after the tick.
        public var pointer: Pointer

        public init(step: RolloutStep, written: Pointer?, pointer: Pointer) {
            self.step = step
            self.written = written
            self.pointer = pointer
        }
    }

    /// One tick for `channel` of `pipeline`. A channel without a rollout block adopts
    /// the policy's waves, all open (what runs is everywhere already), so the next
    /// release starts at wave 0.
    public func tick(pipeline: String, channel: String, policy: RolloutPolicy, now: Date, force: Bool = false,
                     reason: String? = nil) throws(FleetError) -> Tick {
        let (read, current) = try readChannel(pipeline: pipeline, channel: channel)
        guard let block = current.rollout else {
            let adopted = Rollout(waves: policy.waves, open: policy.waves.count, health: HealthGate(policy: policy))
            let step = RolloutStep.wait("channel \(channel) adopts its rollout policy: \(policy.waves.count) waves")
            return try write(read, current: current, release: current.release, block: adopted,
                             reason: "rollout: channel \(channel) adopts \(policy.waves.count) waves", step: step, now: now)
        }
        let reports = try statuses(pipeline: pipeline)
        let step = RolloutDecision(policy: policy, pointer: current, reports: reports, now: now, force: force).decide()
        // Every block the controller writes carries the policy's health gate, so the silos
        // of the wave it opens judge their health by the policy as it is now.
        var next = block.after(step)
        next.health = HealthGate(policy: policy)
        switch step {
        case .open(_, let why):
            return try write(read, current: current, release: current.release, block: next,
                             reason: reason.map { "\(why); \($0)" } ?? why, step: step, now: now)
        case .halt(let why, let rollback, _):
            var text = why
            if let rollback { text += "; rolled back to \(rollback.version)" }
            if case .halt(_, _, let bad?) = step { text += "; \(bad) quarantined" }
            return try write(read, current: current, release: rollback ?? current.release, block: next,
                             reason: text, step: step, now: now)
        case .wait, .done, .stopped:
            return Tick(step: step, written: nil, pointer: current)
        }
    }

    /// `ferry rollout pause | resume | abort`: a signed pointer that halts (pause), lifts
    /// the halt (resume), or halts and moves every wave back to the previous release (abort).
    public enum Command: String, Sendable { case pause, resume, abort }

    public func run(_ command: Command, pipeline: String, channel: String, reason: String,
                    now: Date) throws(FleetError) -> Pointer {
        let (read, current) = try readChannel(pipeline: pipeline, channel: channel)
        guard var block = current.rollout else {
            throw FleetError(.invalidInput, "channel \(channel) of \(pipeline) has no rollout to \(command.rawValue): "
                + "run `ferry rollout \(pipeline) --channel \(channel)` once to adopt the policy")
        }
        var release = current.release
        switch command {
        case .pause: block.halted = true
        case .resume: block.halted = false
        case .abort:
            guard let previous = block.previous else {
                throw FleetError(.invalidInput, "the rollout of channel \(channel) has no previous release to go back to; "
                    + "use `ferry rollback` to name one")
            }
            block.halted = true
            block.open = block.waves.count
            block.previous = nil
            release = previous
        }
        let tick = try write(read, current: current, release: release, block: block,
                             reason: "rollout \(command.rawValue): \(reason)", step: .wait(command.rawValue), now: now)
        return tick.pointer
    }

    // MARK: Reading and writing

    private func readChannel(pipeline: String, channel: String) throws(FleetError) -> (MovePlan, Pointer) {
        let read: MovePlan
        do {
            read = try bucket.planMove(pipeline: pipeline, scope: .channel(channel), to: .refresh, reason: "read",
                                       by: writer)
        } catch {
            throw FleetError(error, doing: "reading channel \(channel) of \(pipeline)")
        }
        guard let current = read.current else {
            throw FleetError(.notFound, "channel \(channel) of \(pipeline) does not verify against the trusted keys; "
                + "publish or promote a release to it first")
        }
        return (read, current)
    }

    private func statuses(pipeline: String) throws(FleetError) -> [StatusReport] {
        do {
            return try bucket.statuses(pipeline: pipeline, width: width).reports
        } catch {
            throw FleetError(error, doing: "reading the status reports of \(pipeline)")
        }
    }

    /// One signed move from the state read: the next serial, compare-and-swap on the ETag.
    /// Another writer in between: nothing is written, and the tick says so.
    private func write(_ read: MovePlan, current: Pointer, release: PointedRelease?, block: Rollout, reason: String,
                       step: RolloutStep, now: Date) throws(FleetError) -> Tick {
        let plan = MovePlan(pipeline: read.pipeline, scope: read.scope, objectKey: read.objectKey, current: current,
                            etag: read.etag, serial: read.serial, release: release, reason: reason, signer: read.signer,
                            lifetime: writer.lifetime, rewrite: true, rollout: block)
        do {
            let result = try bucket.commit(plan, by: writer, now: now)
            return Tick(step: step, written: result.pointer, pointer: result.pointer)
        } catch where error.code == .channelMoved {
            return Tick(step: .wait("another writer moved channel \(read.scope.name) first; the next tick reads it again"),
                        written: nil, pointer: current)
        } catch {
            throw FleetError(error, doing: "writing channel \(read.scope.name) of \(read.pipeline)")
        }
    }
}
