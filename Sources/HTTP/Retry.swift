import Foundation

/// When to try again: exponential backoff with full jitter and a bounded number of
/// attempts, honouring a server's `Retry-After`. A pure value: the random number and the
/// attempt number come in, a delay comes out.
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts in all, the first included (1 means never retry).
    public var maxAttempts: Int
    /// The backoff ceiling of the first retry; it doubles with each attempt...
    public var baseDelay: Duration
    /// ...up to this.
    public var maxDelay: Duration
    /// A server's `Retry-After` is honoured up to this.
    public var maxRetryAfter: Duration

    public init(maxAttempts: Int = 5, baseDelay: Duration = .milliseconds(200),
                maxDelay: Duration = .seconds(20), maxRetryAfter: Duration = .seconds(60)) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxRetryAfter = maxRetryAfter
    }

    /// Never retry.
    public static let none = RetryPolicy(maxAttempts: 1)

    /// The wait before the next attempt after attempt number `attempt` (1-based) failed,
    /// or nil when no attempt is left. `random` is uniform in 0..<1: the delay is
    /// `random * min(maxDelay, baseDelay * 2^(attempt-1))` ("full jitter"), but never
    /// less than the server's `retryAfter` (capped at `maxRetryAfter`).
    public func delay(afterAttempt attempt: Int, retryAfter: Duration? = nil, random: Double) -> Duration? {
        guard attempt < maxAttempts else { return nil }
        let exponent = min(attempt - 1, 30)
        let ceiling = min(maxDelay, baseDelay * (1 << exponent))
        let jittered = ceiling * min(max(random, 0), 1)
        guard let retryAfter else { return jittered }
        return max(jittered, min(retryAfter, maxRetryAfter))
    }

    /// A `Retry-After` value: delay-seconds, or an HTTP-date relative to `now`.
    public static func parseRetryAfter(_ value: String, now: Date = Date()) -> Duration? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Int(trimmed) { return seconds >= 0 ? .seconds(seconds) : nil }
        guard let date = HTTPDate.parse(trimmed) else { return nil }
        return .milliseconds(max(0, Int(date.timeIntervalSince(now) * 1000)))
    }
}

/// What the caller of `Retrier.run` says about a failed attempt.
public enum RetryVerdict: Sendable, Equatable {
    /// Give up: the failure will not go away by trying again.
    case fail
    /// Try again, waiting at least `retryAfter` if the server asked for it.
    case retry(retryAfter: Duration?)
}

/// A failed attempt that is about to be tried again: what `Retrier.onRetry` is told.
public struct RetryNotice: Sendable, CustomStringConvertible {
    /// The attempt that failed (1-based).
    public var attempt: Int
    /// Attempts in all (`RetryPolicy.maxAttempts`).
    public var maxAttempts: Int
    /// The wait before the next attempt.
    public var delay: Duration
    /// Why the attempt failed (the error's description: never a secret).
    public var error: String

    public init(attempt: Int, maxAttempts: Int, delay: Duration, error: String) {
        self.attempt = attempt
        self.maxAttempts = maxAttempts
        self.delay = delay
        self.error = error
    }

    /// `attempt 1 of 5 failed: ...; trying again in 0.2 s`.
    public var description: String {
        "attempt \(attempt) of \(maxAttempts) failed: \(error); trying again in "
            + String(format: "%.1f", delay.seconds) + " s"
    }
}

/// Runs an operation under a `RetryPolicy`, with the random source and the sleeper
/// injected so that tests run without waiting.
public struct Retrier: Sendable {
    public var policy: RetryPolicy
    /// Uniform in 0..<1.
    public var random: @Sendable () -> Double
    /// Blocks the calling thread.
    public var sleep: @Sendable (Duration) -> Void
    /// Told about every failed attempt that will be tried again, before the wait, so a
    /// caller can say so at once (the agent logs a warning) instead of going quiet for
    /// the whole backoff. Not called for the last attempt: its error is what the caller gets.
    public var onRetry: @Sendable (RetryNotice) -> Void

    public init(policy: RetryPolicy = RetryPolicy(),
                random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
                sleep: @escaping @Sendable (Duration) -> Void = { Thread.sleep(forTimeInterval: $0.seconds) },
                onRetry: @escaping @Sendable (RetryNotice) -> Void = { _ in }) {
        self.policy = policy
        self.random = random
        self.sleep = sleep
        self.onRetry = onRetry
    }

    /// Calls `operation` with the attempt number (1-based) until it returns, `classify`
    /// says `.fail`, or the policy has no attempt left; then rethrows the last error.
    public func run<T, E: Error>(
        _ operation: (_ attempt: Int) throws(E) -> T,
        classify: (E) -> RetryVerdict
    ) throws(E) -> T {
        var attempt = 1
        while true {
            do throws(E) {
                return try operation(attempt)
            } catch {
                guard case .retry(let retryAfter) = classify(error),
                      let wait = policy.delay(afterAttempt: attempt, retryAfter: retryAfter, random: random())
                else { throw error }
                onRetry(RetryNotice(attempt: attempt, maxAttempts: policy.maxAttempts, delay: wait,
                                    error: String(describing: error)))
                sleep(wait)
                attempt += 1
            }
        }
    }
}

extension Duration {
    /// Seconds as a floating-point number.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

extension HTTPClient {
    /// Sends `request`, retrying connection failures (`HTTPError.isTransient`) and the
    /// statuses 429, 500, 502, 503 and 504 under `retrier`, honouring `Retry-After`.
    /// For callers without an error protocol of their own (credential endpoints, plain
    /// downloads). Out of attempts, the last response or error is what the caller gets.
    public func send(_ request: HTTPRequest, retrier: Retrier) throws(HTTPError) -> HTTPResponse {
        var attempt = 1
        while true {
            let wait: Duration?
            let failure: String
            do throws(HTTPError) {
                let response = try send(request)
                guard Self.retryableStatuses.contains(response.status) else { return response }
                let retryAfter = response.headers["Retry-After"].flatMap { RetryPolicy.parseRetryAfter($0) }
                wait = retrier.policy.delay(afterAttempt: attempt, retryAfter: retryAfter, random: retrier.random())
                guard wait != nil else { return response }
                failure = "HTTP \(response.status) from \(request.redactedURL)"
            } catch {
                wait = error.isTransient
                    ? retrier.policy.delay(afterAttempt: attempt, random: retrier.random()) : nil
                guard wait != nil else { throw error }
                failure = String(describing: error)
            }
            retrier.onRetry(RetryNotice(attempt: attempt, maxAttempts: retrier.policy.maxAttempts, delay: wait!,
                                        error: failure))
            retrier.sleep(wait!)
            attempt += 1
        }
    }

    /// Statuses worth another attempt.
    public static let retryableStatuses: Set<Int> = [429, 500, 502, 503, 504]
}
