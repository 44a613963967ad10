#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// An exclusive lock on the agent's state folder (`flock` on `<state-dir>/lock`), held
/// for the agent's life: two agents must never share a journal. The lock file holds the
/// holder's pid, so a second agent can say who has it. Released when this object goes
/// (the descriptor is closed in `deinit`; the kernel also releases it if the process dies).
public final class StateLock {
    /// The lock file's name inside the state folder.
    public static let fileName = "lock"

    private let descriptor: Int32
    /// The lock file.
    public let path: String

    /// Creates the state folder if needed and takes the lock without waiting.
    /// Throws `.locked` naming the holder's pid when another agent has it.
    /// The corresponding C functions are `open`, `flock` and `ftruncate`.
    public init(stateDirectory: String) throws(AgentError) {
        path = stateDirectory + "/" + Self.fileName
        do {
            try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        } catch {
            throw Self.unusable(stateDirectory, why: Self.reason(creating: stateDirectory))
        }
        let opened = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard opened >= 0 else {
            throw Self.unusable(stateDirectory, why: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(opened, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno
            let holder = Self.readHolder(opened)
            close(opened)
            if reason == EWOULDBLOCK {
                let who = holder.map { "the agent with pid \($0)" } ?? "another agent"
                throw AgentError(.locked, "\(who) holds the state folder \(stateDirectory) (\(path)); stop it, or "
                    + "give this agent another state folder", next: .needsPerson)
            }
            throw AgentError(.locked, "cannot lock \(path): \(String(cString: strerror(reason))) (flock)",
                             next: .needsPerson)
        }
        descriptor = opened
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(opened, 0)
        _ = pid.withUnsafeBytes { pwrite(opened, $0.baseAddress, $0.count, 0) }
    }

    deinit { close(descriptor) }

    /// One message for any state folder the agent cannot use: what failed and what to do.
    static func unusable(_ folder: String, why: String) -> AgentError {
        AgentError(.locked, "cannot use the state folder \(folder): \(why); pass --state-dir DIR (or FERRY_STATE_DIR, "
            + "`state-dir:` in the config file) naming a folder this user (uid \(getuid())) may write, or create "
            + "\(folder) for it", next: .needsPerson)
    }

    /// Why `folder` cannot be created: the nearest existing folder above it is not
    /// writable, or is not a folder. The corresponding C function is `access`.
    static func reason(creating folder: String) -> String {
        var parent = (folder as NSString).deletingLastPathComponent
        while !parent.isEmpty, parent != "/", !FileManager.default.fileExists(atPath: parent) {
            parent = (parent as NSString).deletingLastPathComponent
        }
        if parent.isEmpty { parent = "." }
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), !isFolder.boolValue {
            return "it is a file, not a folder"
        }
        guard FileManager.default.fileExists(atPath: parent, isDirectory: &isFolder), isFolder.boolValue else {
            return "\(parent) is not a folder"
        }
        if access(parent, W_OK) != 0 { return "\(parent) is not writable by this user (\(String(cString: strerror(errno))))" }
        return "it could not be created"
    }

    private static func readHolder(_ descriptor: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return Int32(text)
    }
}
