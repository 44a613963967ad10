import Fleet
import Foundation
import Manifest
import Testing

/// `pin --wait` and `unpin --wait`: a silo answers only once its report says it read the
/// pin (or the ended pin), not when its channel happens to name the same version.
struct ConvergencePinTests {
    @Test func aPinIsMetOnlyByAPinnedReport() {
        let goal = ConvergenceGoal(.silo("s1"), version: Fixture.v("1.2.0"), serial: 1, pinned: true)
        let following = Fixture.report("s1", target: "1.2.0", applied: "1.2.0", serial: 5)
        #expect(Convergence.evaluate(goal, reports: [following]).silos.map(\.stage) == [.waiting])
        #expect(Convergence.evaluate(goal, reports: [following]).silos.first?.line
            == "s1: waiting for its agent to read the pin (its agent reads pins every few minutes; still following its channel)")
        let pinned = Fixture.report("s1", target: "1.2.0", applied: "1.2.0", pinned: true, serial: 1)
        #expect(Convergence.evaluate(goal, reports: [pinned]).silos.map(\.stage) == [.done])
    }

    @Test func anUnpinIsMetWhenTheSiloFollowsItsChannelAgainInSync() {
        let goal = ConvergenceGoal(.silo("s1"), version: Fixture.v("1.0.0"), serial: 4, pinned: false)
        let stillPinned = Fixture.report("s1", target: "1.1.0", applied: "1.1.0", pinned: true, serial: 2)
        #expect(Convergence.evaluate(goal, reports: [stillPinned]).silos.map(\.stage) == [.waiting])
        let deploying = Fixture.report("s1", state: .deploying, target: "1.0.0", applied: "1.1.0", serial: 4)
        #expect(Convergence.evaluate(goal, reports: [deploying]).silos.map(\.stage) == [.deploying])
        let back = Fixture.report("s1", target: "1.0.0", applied: "1.0.0", serial: 4)
        #expect(Convergence.evaluate(goal, reports: [back]).silos.map(\.stage) == [.done])
    }
}
