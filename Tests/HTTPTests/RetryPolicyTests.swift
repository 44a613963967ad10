import Foundation
import HTTP
import Synchronization
import Testing

@Suite struct RetryPolicyTests {
    let policy = RetryPolicy(maxAttempts: 4, baseDelay: .milliseconds(100), maxDelay: .milliseconds(350),
                             maxRetryAfter: .seconds(5))

    @Test func fullJitterDoublesUpToTheCeiling() {
        // random 1 shows each attempt's ceiling: 100, 200, then 350 (capped), then none left.
        #expect(policy.delay(afterAttempt: 1, random: 1) == .milliseconds(100))
        #expect(policy.delay(afterAttempt: 2, random: 1) == .milliseconds(200))
        #expect(policy.delay(afterAttempt: 3, random: 1) == .milliseconds(350))
        #expect(policy.delay(afterAttempt: 4, random: 1) == nil)
        // Full jitter: anywhere from zero to the ceiling.
        #expect(policy.delay(afterAttempt: 2, random: 0) == .zero)
        #expect(policy.delay(afterAttempt: 2, random: 0.25) == .milliseconds(50))
    }

    @Test func retryAfterIsAFloorCappedByTheMaximum() {
        #expect(policy.delay(afterAttempt: 1, retryAfter: .seconds(2), random: 0.5) == .seconds(2))
        #expect(policy.delay(afterAttempt: 1, retryAfter: .seconds(60), random: 0.5) == .seconds(5))
        #expect(policy.delay(afterAttempt: 3, retryAfter: .milliseconds(10), random: 1) == .milliseconds(350))
        // No attempt left: Retry-After does not buy one.
        #expect(policy.delay(afterAttempt: 4, retryAfter: .seconds(1), random: 0) == nil)
    }

    @Test func noneNeverRetries() {
        #expect(RetryPolicy.none.delay(afterAttempt: 1, random: 0.5) == nil)
    }

    @Test func parsesRetryAfterSecondsAndDates() {
        let now = Date(timeIntervalSince1970: 1_700_000_000)  // Tue, 14 Nov 2023 22:13:20 GMT
        #expect(RetryPolicy.parseRetryAfter("3", now: now) == .seconds(3))
        #expect(RetryPolicy.parseRetryAfter(" 0 ", now: now) == .zero)
        #expect(RetryPolicy.parseRetryAfter("Tue, 14 Nov 2023 22:13:30 GMT", now: now) == .seconds(10))
        #expect(RetryPolicy.parseRetryAfter("-1", now: now) == nil)
        #expect(RetryPolicy.parseRetryAfter("soon", now: now) == nil)
    }

    @Test func retrierSleepsTheScheduleWithAnInjectedClock() throws {
        let slept = Mutex<[Duration]>([])
        let retrier = Retrier(policy: policy, random: { 0.5 }, sleep: { wait in slept.withLock { $0.append(wait) } })
        var attempts: [Int] = []
        let value = try retrier.run({ (attempt: Int) throws(Flaky) -> String in
            attempts.append(attempt)
            if attempt < 3 { throw Flaky(retryAfter: attempt == 2 ? .seconds(1) : nil) }
            return "done"
        }, classify: { .retry(retryAfter: $0.retryAfter) })
        #expect(value == "done")
        #expect(attempts == [1, 2, 3])
        #expect(slept.withLock { $0 } == [.milliseconds(50), .seconds(1)])
    }

    @Test func retrierGivesUpAfterMaxAttemptsAndOnPermanentErrors() {
        let slept = Mutex(0)
        let retrier = Retrier(policy: policy, random: { 0 }, sleep: { _ in slept.withLock { $0 += 1 } })
        var calls = 0
        #expect(throws: Flaky.self) {
            try retrier.run({ (_: Int) throws(Flaky) -> Int in
                calls += 1
                throw Flaky(retryAfter: nil)
            }, classify: { _ in .retry(retryAfter: nil) })
        }
        #expect(calls == 4)
        #expect(slept.withLock { $0 } == 3)

        calls = 0
        #expect(throws: Flaky.self) {
            try retrier.run({ (_: Int) throws(Flaky) -> Int in
                calls += 1
                throw Flaky(retryAfter: nil)
            }, classify: { _ in .fail })
        }
        #expect(calls == 1)
    }
}

extension RetryPolicyTests {
    /// The first failed attempt is told at once, before its wait (the agent logs it then,
    /// instead of being silent through the whole backoff); the last one is not: its error
    /// is what the caller gets.
    @Test func onRetryTellsEveryFailedAttemptThatWillBeTriedAgainBeforeItsWait() {
        let events = Mutex<[String]>([])
        let retrier = Retrier(policy: policy, random: { 1 },
                              sleep: { wait in events.withLock { $0.append("sleep \(wait)") } },
                              onRetry: { notice in events.withLock { $0.append(notice.description) } })
        #expect(throws: Flaky.self) {
            try retrier.run({ (_: Int) throws(Flaky) -> Int in throw Flaky(retryAfter: nil) },
                            classify: { _ in .retry(retryAfter: nil) })
        }
        #expect(events.withLock { $0 } == [
            "attempt 1 of 4 failed: Flaky(retryAfter: nil); trying again in 0.1 s", "sleep 0.1 seconds",
            "attempt 2 of 4 failed: Flaky(retryAfter: nil); trying again in 0.2 s", "sleep 0.2 seconds",
            "attempt 3 of 4 failed: Flaky(retryAfter: nil); trying again in 0.3 s", "sleep 0.35 seconds",
        ])

        // A failure that is not retried is not told.
        events.withLock { $0 = [] }
        #expect(throws: Flaky.self) {
            try retrier.run({ (_: Int) throws(Flaky) -> Int in throw Flaky(retryAfter: nil) }, classify: { _ in .fail })
        }
        #expect(events.withLock { $0 }.isEmpty)
    }
}

struct Flaky: Error {
    let retryAfter: Duration?
}
