import Foundation
import Synchronization

/// Ferry's one worker pool: up to `width` plain threads (never the Swift concurrency
/// pool, whose 2 threads here must not block in `curl_easy_perform`, and never a GCD
/// thread parked on a semaphore). Threads start when work arrives and end when the
/// queue is empty. Submit jobs as they come, then `wait()` for all of them.
public final class WorkerPool: Sendable {
    public typealias Job = @Sendable () -> Void

    private struct Queue {
        var jobs: [Job?] = []
        var next = 0
        var threads = 0
    }

    private let width: Int
    private let queue = Mutex(Queue())
    private let group = DispatchGroup()

    public init(width: Int) {
        self.width = max(width, 1)
    }

    /// Queues `job`; it runs on one of the pool's threads.
    public func submit(_ job: @escaping Job) {
        group.enter()
        let startThread = queue.withLock { queue in
            queue.jobs.append(job)
            guard queue.threads < width else { return false }
            queue.threads += 1
            return true
        }
        if startThread { Thread { [self] in drain() }.start() }
    }

    /// Returns when every job submitted so far has run.
    public func wait() {
        group.wait()
    }

    private func drain() {
        while let job = take() {
            job()
            group.leave()
        }
    }

    /// The next job, or nil (and this thread leaves the pool) when there is none.
    private func take() -> Job? {
        queue.withLock { queue in
            guard queue.next < queue.jobs.count else {
                queue.threads -= 1
                queue.jobs.removeAll(keepingCapacity: true)
                queue.next = 0
                return nil
            }
            defer { queue.next += 1 }
            let job = queue.jobs[queue.next]
            queue.jobs[queue.next] = nil
            return job
        }
    }
}

/// Runs `body` for every item on up to `width` threads of a `WorkerPool` and returns
/// when all are done. One item, or a width of 1, runs on the calling thread.
public func forEachConcurrently<T: Sendable>(
    _ items: [T], width: Int, _ body: @escaping @Sendable (T) -> Void
) {
    guard min(width, items.count) > 1 else {
        items.forEach(body)
        return
    }
    let pool = WorkerPool(width: width)
    for item in items { pool.submit { body(item) } }
    pool.wait()
}

/// `map` on up to `width` threads; the results keep the order of `items`. When calls
/// fail, the error of the first failing item (in order) is thrown after all ran.
public func parallelMap<T: Sendable, R: Sendable, E: Error>(
    _ items: [T], width: Int, _ transform: @escaping @Sendable (T) throws(E) -> R
) throws(E) -> [R] {
    let results = Shared<[Result<R, E>?]>(Array(repeating: nil, count: items.count))
    forEachConcurrently(Array(items.enumerated()), width: width) { pair in
        let result = Result<R, E> { () throws(E) -> R in try transform(pair.element) }
        results.value.withLock { $0[pair.offset] = result }
    }
    return try results.value.withLock { $0 }.map { (result) throws(E) -> R in try result!.get() }
}

/// A mutex-guarded value that escaping closures can share.
private final class Shared<Value: Sendable>: Sendable {
    let value: Mutex<Value>
    init(_ initial: Value) { value = Mutex(initial) }
}

/// A value computed on a thread of its own while the caller goes on (a request beside
/// local work); `value()` waits for it and returns it, or throws its error.
public final class Pending<R: Sendable, E: Error>: Sendable {
    private let pool = WorkerPool(width: 1)
    private let result = Shared<Result<R, E>?>(nil)

    public init(_ work: @escaping @Sendable () throws(E) -> R) {
        pool.submit { [result] in
            let outcome = Result<R, E> { () throws(E) -> R in try work() }
            result.value.withLock { $0 = outcome }
        }
    }

    public func value() throws(E) -> R {
        pool.wait()
        return try result.value.withLock { $0 }!.get()
    }
}
