import Foundation
import Manifest
import TestSupport
import Testing

/// `ferry keys generate` and `ferry keys id` as a user runs them: files, modes, key ids,
/// and the refusals that must leave the old key untouched.
@Suite struct KeysCLITests {
    static func mode(_ path: String) throws -> Int {
        try (FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as! NSNumber).intValue
    }

    @Test func generateCreatesItsFolderAPrivateKeyOnlyItsOwnerReadsAndAMatchingPublicKey() throws {
        let directory = try TemporaryDirectory("ferry-keys")
        let folder = directory.url("nested/keys")
        let run = try FerryProcess.run(["keys", "generate", "--out", folder, "--name", "release"], umask: "022").check()
        let id = run.lastLine
        #expect(id.count == 64 && id.allSatisfy(\.isHexDigit), "\(run.stdout)")
        #expect(try Self.mode(folder) == 0o700)
        #expect(try Self.mode(folder + "/release.key") == 0o600)
        #expect(try Self.mode(folder + "/release.pub") == 0o644)

        let privateKey = try SigningKey(fileContents: String(contentsOfFile: folder + "/release.key", encoding: .utf8))
        let publicKey = try PublicKey(fileContents: String(contentsOfFile: folder + "/release.pub", encoding: .utf8))
        #expect(privateKey.publicKey == publicKey)
        #expect(publicKey.id.hex == id)
        #expect(!run.stdout.contains(privateKey.fileContents) && !run.stderr.contains(privateKey.fileContents),
                "the private key was printed")

        let shown = try FerryProcess.run(["keys", "id", folder + "/release.pub"]).check()
        #expect(shown.lastLine == id)
        let json = try FerryProcess.run(["keys", "id", folder + "/release.pub", "--json"]).check()
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: String]
        #expect(object?["id"] == id)
    }

    @Test func generateNeverOverwritesAnExistingKey() throws {
        let directory = try TemporaryDirectory("ferry-keys")
        let first = try FerryProcess.run(["keys", "generate", "--out", directory.path]).check()
        let before = try String(contentsOfFile: directory.url("ferry.key"), encoding: .utf8)

        let again = try FerryProcess.run(["keys", "generate", "--out", directory.path])
        #expect(again.status != 0)
        #expect(again.stderr.contains("already exists"), "\(again.stderr)")
        #expect(try String(contentsOfFile: directory.url("ferry.key"), encoding: .utf8) == before)
        #expect(try FerryProcess.run(["keys", "id", directory.url("ferry.pub")]).check().lastLine == first.lastLine)

        // Only the public half there: refused too, and no private key is left beside it.
        let other = try TemporaryDirectory("ferry-keys")
        let pub = try other.write("ferry.pub", try String(contentsOfFile: directory.url("ferry.pub"), encoding: .utf8))
        let refused = try FerryProcess.run(["keys", "generate", "--out", other.path])
        #expect(refused.status != 0)
        #expect(!FileManager.default.fileExists(atPath: other.url("ferry.key")), "a private key was left behind")
        #expect(try FerryProcess.run(["keys", "id", pub]).check().lastLine == first.lastLine)
    }

    @Test func badInputIsRefusedWithAClearMessage() throws {
        let directory = try TemporaryDirectory("ferry-keys")
        let badName = try FerryProcess.run(["keys", "generate", "--out", directory.path, "--name", "../escape"])
        #expect(badName.status != 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: directory.url("../escape.key")))

        let notAKey = try directory.write("notakey.pub", "hello\n")
        let refused = try FerryProcess.run(["keys", "id", notAKey])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains(notAKey), "\(refused.stderr)")
        let missing = try FerryProcess.run(["keys", "id", directory.url("absent.pub")])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("absent.pub"), "\(missing.stderr)")
    }
}
