import Foundation
@testable import HTTP
import TestSupport
import Testing

/// The download writer hashes and writes on its own thread: the file and digest must be
/// exactly the bytes appended, in order, and a failed write must stop it and be reported.
@Suite struct DownloadWriterTests {
    @Test func writesAndHashesEveryPieceInOrder() throws {
        let dir = try TemporaryDirectory()
        let path = dir.url("out.bin")
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        #expect(fd >= 0)
        let writer = DownloadWriter(fd: fd, pieceBytes: 1000, maxQueuedPieces: 2)
        var expected = Data()
        for size in [1, 999, 1, 4096, 0, 333, 70_000, 7] {
            let piece = Data((0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ size) })
            expected.append(piece)
            let failure = piece.withUnsafeBytes { writer.append($0) }
            #expect(failure == nil)
        }
        let digest = try writer.finish().get()
        close(fd)
        #expect(digest == TestDigest.sha256(expected))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == expected)
    }

    @Test func aFailedWriteIsReportedAndStopsTheWriting() throws {
        let fd = open("/dev/full", O_WRONLY)  // every write fails with ENOSPC
        #expect(fd >= 0)
        defer { close(fd) }
        let writer = DownloadWriter(fd: fd, pieceBytes: 10, maxQueuedPieces: 1)
        let piece = Data(repeating: 7, count: 25)
        _ = piece.withUnsafeBytes { writer.append($0) }
        // With one piece in flight at most, the next append waits for the failed one.
        let reported = piece.withUnsafeBytes { writer.append($0) }
        #expect(reported?.code == ENOSPC)
        guard case .failure(let failure) = writer.finish() else {
            Issue.record("a write to /dev/full succeeded")
            return
        }
        #expect(failure.call == "write" && failure.code == ENOSPC)
    }
}
