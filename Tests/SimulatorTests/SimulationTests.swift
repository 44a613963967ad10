import Foundation
import Simulator
import XCTest

/// The fleet simulator, bounded (200 silos): every silo applies each release, the
/// journals and reports agree, and an idle tick costs exactly its conditional GETs.
final class SimulationTests: XCTestCase {
    private var root = ""

    override func setUp() {
        root = NSTemporaryDirectory() + "/ferry-sim-test-\(UUID().uuidString)"
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: root)
    }

    /// The pin is read every tick (`pinInterval` 0), so an idle tick is two GETs: the
    /// pin (absent: 404) and the channel pointer (304), and nothing else.
    func testTwoHundredSilosApplyBothReleasesAndIdleOnTwoGETsATick() throws {
        let silos = 200
        let ticks = 5
        let simulation = try Simulation(options: SimulationOptions(
            silos: silos, idleTicks: ticks, seed: 7, pinInterval: 0, threads: 2, root: root))
        let result = try simulation.run()
        XCTAssertEqual(result.phases.map(\.name), ["first release", "idle", "update"])
        for phase in result.phases {
            XCTAssertEqual(phase.problems, [], phase.name)
            XCTAssertEqual(phase.other.count, 0, "\(phase.name): ticks neither idle nor applying")
        }
        let (first, idle, update) = (result.phases[0], result.phases[1], result.phases[2])
        XCTAssertEqual(first.deploy.count, silos)
        XCTAssertEqual(update.deploy.count, silos)
        // Every silo ticks within one interval of a publication, then CloudFormation's 3 s
        // change set and 30 s creation (20 s update) run on the silo's clock.
        XCTAssertGreaterThan(first.syncSeconds ?? 0, 33)
        XCTAssertLessThan(first.syncSeconds ?? .infinity, 90)
        XCTAssertGreaterThan(update.syncSeconds ?? 0, 23)
        XCTAssertLessThan(update.syncSeconds ?? .infinity, 80)

        XCTAssertEqual(idle.deploy.count, 0)
        XCTAssertGreaterThanOrEqual(idle.idle.count, silos * (ticks - 1))
        XCTAssertLessThanOrEqual(idle.idle.count, silos * (ticks + 1))
        XCTAssertEqual(idle.s3Requests.filter { $0.value != 0 }, ["GET": 2 * idle.idle.count])
        XCTAssertEqual(idle.stackRequests, [:])

        XCTAssertEqual(try simulation.outOfSync(), [])
        let states = try simulation.siloStates()
        XCTAssertEqual(states.count, silos)
        XCTAssertEqual(Set(states.map(\.silo)).count, silos)
        XCTAssertTrue(states.allSatisfy { $0.journalApplied?.description == "1.1.0" && $0.reportApplied?.description == "1.1.0" })
        XCTAssertTrue(states.allSatisfy { $0.releaseFolders.count == 1 && $0.releaseFolders[0].hasPrefix("1.1.0-") })
    }

    /// The same seed gives the same simulated times, whatever the threads did.
    func testTheSameSeedGivesTheSameSimulatedTimes() throws {
        func run(threads: Int) throws -> [Double?] {
            let simulation = try Simulation(options: SimulationOptions(
                silos: 20, idleTicks: 2, seed: 11, threads: threads, root: root + "/\(threads)"))
            return try simulation.run().phases.map(\.syncSeconds)
        }
        let one = try run(threads: 1)
        XCTAssertEqual(one.count, 3)
        XCTAssertNotNil(one[0])
        XCTAssertEqual(try run(threads: 2), one)
    }

    /// A release not in sync within the limit fails the run, naming how many silos lag.
    func testAReleaseNotInSyncInTimeFailsTheRun() throws {
        let simulation = try Simulation(options: SimulationOptions(
            silos: 10, idleTicks: 1, seed: 3, threads: 2, root: root, syncLimit: 20))
        XCTAssertThrowsError(try simulation.run()) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("of 10 silos did not apply 1.0.0 within 20 simulated seconds"), message)
        }
    }
}

/// Rollouts with brakes over seeded random schedules (issue 14), bounded: 40 silos x 12
/// schedules with the real controller over the bucket (about half under a health gate). The full 1,000 x 1,000 is
/// `scripts/simulate --rollout --silos 1000 --schedules 1000` (docs/benchmarks.md);
/// FERRY_ROLLOUT_SILOS and FERRY_ROLLOUT_SCHEDULES size this test instead.
final class RolloutSimulationTests: XCTestCase {
    func testNoScheduleBreaksTheBrakes() throws {
        let environment = ProcessInfo.processInfo.environment
        let silos = environment["FERRY_ROLLOUT_SILOS"].flatMap(Int.init) ?? 40
        let schedules = environment["FERRY_ROLLOUT_SCHEDULES"].flatMap(Int.init) ?? 12
        let result = try RolloutSimulation(silos: silos, schedules: schedules, seed: 14, threads: 2).run()
        print(RolloutSimulation.summary(result, silos: silos))
        XCTAssertEqual(result.schedules, schedules)
        XCTAssertEqual(result.violations, [])
        // Both outcomes happen: bad releases halt, good ones complete; the controller
        // restarted, and a rival controller won some races.
        XCTAssertGreaterThan(result.halted, 0)
        XCTAssertGreaterThan(result.completed, 0)
        XCTAssertEqual(result.halts, result.halted)
        XCTAssertEqual(result.halted + result.completed + result.held, schedules)
        XCTAssertGreaterThan(result.restarts, 0)
        XCTAssertGreaterThan(result.races, 0)
        XCTAssertGreaterThan(result.checks, schedules * silos)
        // Some schedules ran under a health gate, and an alarm in a silo's bake halted one.
        XCTAssertGreaterThan(result.gated, 0)
        XCTAssertGreaterThan(result.unhealthy, 0)
        XCTAssertGreaterThan(result.healthHalts, 0)
    }

    /// Health gates, in memory mode over more schedules: silos whose alarm fires during
    /// their bake go unhealthy and halt rollouts, old agents that never report health hold
    /// theirs, and no wave opens past a silo that bakes or reports no health.
    func testHealthGatesHaltOnAlarmsAndWaitForOldAgents() throws {
        let result = try RolloutSimulation(silos: 40, schedules: 40, seed: 14, threads: 2, mode: .memory).run()
        XCTAssertEqual(result.violations, [])
        XCTAssertGreaterThan(result.gated, 0)
        XCTAssertLessThan(result.gated, result.schedules)
        XCTAssertGreaterThan(result.unhealthy, 0)
        XCTAssertGreaterThan(result.healthHalts, 0)
        XCTAssertLessThanOrEqual(result.healthHalts, result.halted)
        XCTAssertGreaterThan(result.oldAgents, 0)
        XCTAssertGreaterThan(result.held, 0)
    }

    /// The memory mode (`RolloutDecision` on the pointer and the reports in memory) takes
    /// the same steps as the real controller over the bucket: same halts, same
    /// completions at the same simulated times, same controller ticks.
    func testTheMemoryModeTakesTheRealControllersSteps() throws {
        let bucket = try RolloutSimulation(silos: 30, schedules: 6, seed: 5, threads: 2).run()
        let memory = try RolloutSimulation(silos: 30, schedules: 6, seed: 5, threads: 2, mode: .memory).run()
        XCTAssertEqual(bucket.violations, [])
        XCTAssertEqual(memory.violations, [])
        XCTAssertEqual(memory.halted, bucket.halted)
        XCTAssertEqual(memory.completed, bucket.completed)
        XCTAssertEqual(memory.held, bucket.held)
        XCTAssertEqual(memory.completedSeconds, bucket.completedSeconds)
        XCTAssertEqual(memory.controllerTicks, bucket.controllerTicks)
        XCTAssertEqual(memory.unhealthy, bucket.unhealthy)
        XCTAssertEqual(memory.healthHalts, bucket.healthHalts)
        XCTAssertEqual(memory.races, 0)
        XCTAssertGreaterThan(bucket.halted + bucket.completed, 0)
        XCTAssertGreaterThan(bucket.gated, 0)
    }

    /// The same seed gives the same result, whatever the threads.
    func testTheSameSeedGivesTheSameResult() throws {
        let one = try RolloutSimulation(silos: 20, schedules: 4, seed: 3, threads: 1).run()
        XCTAssertEqual(try RolloutSimulation(silos: 20, schedules: 4, seed: 3, threads: 2).run(), one)
        XCTAssertEqual(one.schedules, 4)
    }
}
