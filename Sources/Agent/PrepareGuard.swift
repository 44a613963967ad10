import Foundation

/// Breaks a crash loop on one release (issue 12): a release whose fetching, checking,
/// unpacking or relocating kills the agent (a trap, the OOM killer) would otherwise be
/// read again at every start, because its pointer is journalled first. Before preparing,
/// the agent writes which target it prepares and how many times it began to; the mark is
/// removed when preparing ends, however it ends. A mark found at the next start means the
/// process died there; after `maxAttempts` such deaths the target is refused (a new
/// serial, e.g. a publish or a rollback, is tried afresh).
public struct PrepareGuard: Sendable {
    public let path: String
    public static let maxAttempts = 3

    public init(path: String) { self.path = path }

    /// Marks `target` as being prepared; throws `.refused` when the agent already died
    /// `maxAttempts` times preparing it.
    public func begin(_ target: String) throws(AgentError) {
        var attempts = 0
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            if lines.count >= 2, lines[0] == target, let count = Int(lines[1]) { attempts = count }
        }
        guard attempts < Self.maxAttempts else {
            end()
            throw AgentError(.refused, "the agent stopped \(attempts) times while preparing \(target) (killed, or a "
                + "crash): refused, so that it does not crash in a loop; publish or roll back to a new serial to try "
                + "again, and send the agent's log to the Ferry maintainers", next: .needsPerson)
        }
        do {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try "\(target)\n\(attempts + 1)\n".write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw AgentError(.service, "cannot write \(path): \(error); check the state folder's disk",
                             next: .transient, cause: error)
        }
    }

    /// Preparing ended (applied, refused or failed): the mark goes.
    public func end() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
