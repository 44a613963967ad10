import Agent
import Archive
import Foundation
import Manifest
import Testing
import TestSupport

/// A full disk is the silo's trouble, never a refusal of the release (issue 12).
@Suite struct ReleaseStoreDiskTests {
    /// Mounts a 1 MiB tmpfs (root only; the test is skipped where mounting is not allowed).
    final class TinyDisk {
        let path: String
        init?() {
            path = NSTemporaryDirectory() + "ferry-tiny-\(UUID().uuidString.prefix(8))"
            try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            guard geteuid() == 0, TinyDisk.run(["/bin/mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", path]) else {
                try? FileManager.default.removeItem(atPath: path)
                return nil
            }
        }
        deinit {
            _ = TinyDisk.run(["/bin/umount", path])
            try? FileManager.default.removeItem(atPath: path)
        }
        static func run(_ arguments: [String]) -> Bool {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: arguments[0])
            process.arguments = Array(arguments.dropFirst())
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { return false }
            process.waitUntilExit()
            return process.terminationStatus == 0
        }
        static var available: Bool { TinyDisk() != nil }
    }

    @Test(.enabled(if: TinyDisk.available, "needs root to mount a tmpfs"))
    func aFullDiskWhileUnpackingIsTransientNotARefusal() throws {
        let scratch = try TemporaryDirectory("ferry-disk")
        let big = "# " + String(repeating: "x", count: 3 << 20) + "\n"
        let built = try ReleaseFixture.build(pipeline: "webapp", version: "1.0.0",
                                             stacks: [.init(name: "app", template: big)], in: scratch.path)
        let disk = try #require(TinyDisk())
        let folder = disk.path + "/staging"
        do {
            _ = try ReleaseStore.unpack(bundle: built.bundlePath, into: folder, manifest: built.manifest,
                                        manifestBytes: built.manifestBytes, limits: ExtractLimits(maxRatio: 100_000),
                                        name: "webapp 1.0.0")
            Issue.record("3 MiB unpacked onto a 1 MiB disk")
        } catch {
            #expect(error.code == .service && error.next == .transient, "\(error)")
            #expect(error.code != .refused && error.message.contains("disk"))
        }
        #expect(!FileManager.default.fileExists(atPath: folder), "a half-unpacked folder was left behind")
    }

    @Test func onlyTheMachinesErrorsAreLocal() {
        let full = ArchiveError(.io, "write failed", function: "write", cause: String(cString: strerror(ENOSPC)))
        let tooLong = ArchiveError(.io, "openat failed", function: "openat", cause: String(cString: strerror(ENAMETOOLONG)))
        #expect(ReleaseStore.isLocalFailure(full))
        #expect(!ReleaseStore.isLocalFailure(tooLong))
        #expect(!ReleaseStore.isLocalFailure(ArchiveError(.compressionRatio, "bomb")))
    }
}
