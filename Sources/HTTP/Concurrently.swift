import Foundation
import Synchronization

/// Runs `body` for every item on up to `width` plain threads (never on the Swift
/// concurrency pool: `curl_easy_perform` blocks) and returns when all are done.
public func forEachConcurrently<T: Sendable>(
    _ items: [T], width: Int, _ body: @escaping @Sendable (T) -> Void
) {
    let threads = min(max(width, 1), items.count)
    guard threads > 1 else {
        items.forEach(body)
        return
    }
    let next = Shared(0)
    let done = DispatchGroup()
    for _ in 0..<threads {
        done.enter()
        let thread = Thread {
            while true {
                let index = next.value.withLock { index in
                    defer { index += 1 }
                    return index
                }
                guard index < items.count else { break }
                body(items[index])
            }
            done.leave()
        }
        thread.start()
    }
    done.wait()
}

/// `map` on up to `width` plain threads; the results keep the order of `items`. When
/// calls fail, the error of the first failing item (in order) is thrown after all ran.
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
