import Foundation

/// Lines a test's log handler wrote (e.g. the agent's `LogLineHandler` with `output:`).
public final class LogCapture: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String] = []

    public init() {}

    public func append(_ line: String) { lock.withLock { storage.append(line) } }

    public var lines: [String] { lock.withLock { storage } }
}
