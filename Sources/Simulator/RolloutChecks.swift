import Agent
import Bucket
import Fleet
import Foundation
import Manifest
import Synchronization

/// The controller's step and the invariants of issue 14, checked on every step.
extension RolloutSchedule {
    /// One controller tick: a new `RolloutController` (a restarted process remembers
    /// nothing), reading the pointer and the reports from the bucket. On a race, the rival
    /// runs its whole tick between this one's read and its compare-and-swap.
    mutating func controllerStep(race: Bool) throws {
        let before = pointer
        if mode == .memory { return decisionStep() }
        let crossed = before.rollout.map { !$0.halted && toleranceCrossed($0) } ?? false
        let frozen = policy.freeze(at: now) != nil
        let controller = RolloutController(bucket: bucket, writer: writers[0], width: 1)
        let rivalTick = Mutex<Result<RolloutController.Tick, FleetError>?>(nil)
        if race {
            let rival = RolloutController(bucket: bucket, writer: writers[1], width: 1)
            let (policy, now) = (policy, now)
            racing.arm {
                let result = Result { () throws(FleetError) in
                    try rival.tick(pipeline: Self.pipeline, channel: Self.channel, policy: policy, now: now)
                }
                rivalTick.withLock { $0 = result }
            }
        }
        let tick = try controller.tick(pipeline: Self.pipeline, channel: Self.channel, policy: policy, now: now)
        _ = racing.disarm()
        let rival = try rivalTick.withLock { $0 }?.get()
        stats.controllerTicks += 1
        pointer = try Self.current(bucket)
        let writes = (tick.written == nil ? 0 : 1) + (rival?.written == nil ? 0 : 1)
        if rival?.written != nil { stats.races += 1 }
        afterStep(before: before, crossed: crossed, frozen: frozen, writes: writes, step: "\(tick.step)")
    }

    /// `.memory`: one tick of the controller's judgement on the reports as the silos wrote
    /// them, carried out on the schedule's pointer as `RolloutController` writes it.
    mutating func decisionStep() {
        let before = pointer
        let crossed = before.rollout.map { !$0.halted && toleranceCrossed($0) } ?? false
        let frozen = policy.freeze(at: now) != nil
        let step = RolloutDecision(policy: policy, pointer: before, reports: silos.compactMap(\.written), now: now).decide()
        stats.controllerTicks += 1
        if let block = before.rollout {
            // Every block the controller writes carries the policy's health gate.
            var after = block.after(step)
            after.health = HealthGate(policy: policy)
            switch step {
            case .open(_, let why):
                pointer = next(release: before.release, rollout: after, reason: why)
            case .halt(let why, let rollback, _):
                pointer = next(release: rollback ?? before.release, rollout: after, reason: why)
            case .wait, .done, .stopped:
                break
            }
        }
        afterStep(before: before, crossed: crossed, frozen: frozen, writes: nil, step: "\(step)")
    }

    /// The checks after a controller step, and the counts.
    /// `writes`: how many pointers the controllers wrote (nil: `.memory`, one at most by construction).
    mutating func afterStep(before: Pointer, crossed: Bool, frozen: Bool, writes: Int?, step: String) {
        if pointer.serial != before.serial { lastPointerChange = now }
        if pointer.release?.version == bad.version { openForBad = pointer.rollout?.open ?? Self.waves.count }
        // Two controllers at once write one pointer, never two: the loser's swap fails.
        if let writes {
            stats.checks += 1
            if writes > 1 || pointer.serial != before.serial + writes {
                fail("controller step wrote \(writes) pointers: serial \(before.serial) -> \(pointer.serial)")
            }
        }
        // The halt comes on the first tick at which the tolerance is crossed.
        stats.checks += 1
        if crossed, pointer.rollout?.halted != true {
            fail("tolerance crossed, but the controller chose \(step) and the pointer is not halted")
        }
        if before.rollout?.halted != true, pointer.rollout?.halted == true {
            stats.halts += 1
            if silos.contains(where: { $0.written.map { isUnhealthy($0, on: bad.version) } == true }) { stats.healthHalts += 1 }
        }
        // Under a health gate, no wave opens past a silo of the open waves in sync at the
        // release that has not reported itself healthy on it: still baking, or no health
        // at all (an old agent). An unhealthy one is a failure: the tolerance's business.
        stats.checks += 1
        if let block = before.rollout, block.health != nil, let version = before.release?.version,
           pointer.rollout?.halted != true, (pointer.rollout?.open ?? 0) > block.open,
           let silo = silos.first(where: { silo in
               guard silo.wave < block.open, let report = silo.written, report.state == .inSync,
                     report.applied == version, !isUnhealthy(report, on: version) else { return false }
               // `unreported: skipAfter` leaves out a silo that is silent (in truth, as the
               // schedule made it) and has not reported for the limit.
               if case .skipAfter(let limit) = policy.unreported, silo.isSilent(at: now),
                  let written = Timestamp.parse(report.reportedAt), now.timeIntervalSince(written) >= Double(limit) {
                   return false
               }
               return report.health?.version != version || report.health?.state != .healthy
           }) {
            let health = silo.written?.health.flatMap { $0.version == version ? $0.state.rawValue : nil } ?? "no health"
            fail("wave \(block.open + 1) opened while \(silo.facts.name) of wave \(silo.wave + 1) reports \(health) "
                + "on \(version) under the health gate")
        }
        // No wave opens inside a change freeze (a halt's rollback opens every wave).
        stats.checks += 1
        if frozen, pointer.rollout?.halted != true, (pointer.rollout?.open ?? 0) > (before.rollout?.open ?? 0) {
            fail("a wave opened inside the freeze: \(before.rollout?.open ?? 0) -> \(pointer.rollout?.open ?? 0)")
        }
    }

    /// A silo that starts an update: its wave is open in the block it accepted and in the
    /// pointer in the bucket, it moves to what the channel names, and never to a
    /// quarantined version.
    mutating func checkStart(_ silo: RolloutSilo, target: Target, accepted: Rollout?) {
        stats.checks += 3
        if let accepted, silo.wave >= accepted.open {
            fail("\(silo.facts.name) of wave \(silo.wave) applies \(target.version) with \(accepted.open) waves open")
        }
        if target.version != pointer.release?.version || silo.wave >= (pointer.rollout?.open ?? Self.waves.count) {
            fail("\(silo.facts.name) of wave \(silo.wave) applies \(target.version); the channel names "
                + "\(pointer.release?.version.description ?? "nothing") with \(pointer.rollout?.open ?? 0) waves open")
        }
        if pointer.rollout?.isQuarantined(target.version) == true || accepted?.isQuarantined(target.version) == true {
            fail("\(silo.facts.name) applies the quarantined \(target.version)")
        }
    }

    /// Never more silos moving to the new release than its open waves hold.
    mutating func checkMoving() {
        stats.checks += 1
        let (version, open) = (bad.version, openForBad)
        let moving = silos.reduce(0) { $0 + ($1.deploying?.version == version ? 1 : 0) }
        let room = silos.reduce(0) { $0 + ($1.wave < open ? 1 : 0) }
        if moving > room {
            fail("\(moving) silos move to \(version) with room for \(room) in \(open) open waves")
        }
    }

    /// The tolerance rule written out again from the policy, over the reports as the silos
    /// wrote them to the bucket: failures of the release (failed, refused, or unhealthy on
    /// it) per open wave, and over every silo that reported.
    func toleranceCrossed(_ block: Rollout) -> Bool {
        guard let version = pointer.release?.version else { return false }
        var seen = [Int](repeating: 0, count: block.waves.count)
        var failures = [Int](repeating: 0, count: block.waves.count)
        var reported = 0
        for silo in silos {
            guard let report = silo.written else { continue }
            reported += 1
            let wave = min(report.wave ?? 0, block.waves.count - 1)
            seen[wave] += 1
            if (report.state == .failed || report.state == .refused) && report.target == version
                || isUnhealthy(report, on: version) { failures[wave] += 1 }
        }
        for wave in 0..<block.open where failures[wave] > 0 {
            if policy.maxFailures.wave.isExceeded(failures: failures[wave], of: seen[wave]) { return true }
        }
        let total = failures.reduce(0, +)
        return total > 0 && policy.maxFailures.total.isExceeded(failures: total, of: reported)
    }

    /// The silo reported itself unhealthy on `version` (a counted alarm during its bake).
    func isUnhealthy(_ report: StatusReport, on version: SemVer) -> Bool {
        report.health.map { $0.state == .unhealthy && $0.version == version } ?? false
    }

    mutating func fail(_ message: String) {
        stats.violations.append("\(Timestamp.format(now)): \(message)")
    }
}
