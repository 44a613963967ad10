import Foundation
import TestSupport
import Testing
@testable import Builder

@Suite struct BuildFolderWriteTests {
    @Test(arguments: [true, false])
    func writesTheWholeFileUnderItsNameAndLeavesNoPartial(durable: Bool) throws {
        let folder = try TemporaryDirectory()
        let path = folder.url("manifest.json")
        try Data("old".utf8).write(to: URL(fileURLWithPath: path))
        let data = Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try BuildFolder.writeAtomically(data, to: path, durable: durable)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == data)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["manifest.json"])
    }

    @Test(arguments: [true, false])
    func anUnwritableFolderIsAClearErrorAndLeavesNothing(durable: Bool) throws {
        let folder = try TemporaryDirectory()
        let missing = folder.url("gone/manifest.json")
        let error = try #require(throws: BuildError.self) {
            try BuildFolder.writeAtomically(Data("x".utf8), to: missing, durable: durable)
        }
        #expect(error.code == .bundle && error.message.contains("check the folder's permissions"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }
}
