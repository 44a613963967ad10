import AWS
import Agent
import Archive
import Basics
import Foundation
import Logging
import Manifest
import TestSupport
import Testing

/// The small pieces around the agent's core, without a network: the log handler, the
/// stop signal, the kill-point hook, how AWS errors are sorted, the unpack checks.
@Suite struct AgentIOTests {
    @Test func jsonLogLinesAreOneParsableObjectWithSortedKeys() throws {
        let lines = LogCapture()
        let date = Date(timeIntervalSince1970: 1_714_564_800.25)
        var logger = Logger(label: "t") { _ in
            LogLineHandler(format: .json, now: { date }, output: { lines.append($0) })
        }
        logger[metadataKey: "silo"] = "111111111111-us-east-1"
        logger.info("applied \"webapp\"\n1.0.0\t\u{01}", metadata: ["pipeline": "webapp", "n": .stringConvertible(3),
                                                                   "list": ["a", "b"]])
        logger.debug("not at info")
        #expect(lines.lines == [
            #"{"level":"info","list":["a","b"],"message":"applied \"webapp\"\n1.0.0\t\u0001","n":"3","#
                + #""pipeline":"webapp","silo":"111111111111-us-east-1","time":"2024-05-01T12:00:00.250Z"}"#,
        ])
        let object = try JSONSerialization.jsonObject(with: Data(lines.lines[0].utf8)) as? [String: Any]
        #expect(object?["message"] as? String == "applied \"webapp\"\n1.0.0\t\u{01}")
    }

    @Test func textLogLinesQuoteValuesWithSpaces() {
        let lines = LogCapture()
        let logger = Logger(label: "t") { _ in
            LogLineHandler(format: .text, now: { Date(timeIntervalSince1970: 0) }, output: { lines.append($0) })
        }
        logger.warning("the deployment waits", metadata: ["reason": "stack busy", "stack": "app"])
        #expect(lines.lines == [#"1970-01-01T00:00:00.000Z warning the deployment waits reason="stack busy" stack=app"#])
    }

    @Test func aStopWakesASleeperAtOnce() {
        let stop = StopSignal()
        let started = Date()
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.1) { stop.request(because: "test") }
        stop.sleep(seconds: 30)
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(stop.isRequested && stop.requestedBy == "test")
        stop.sleep(seconds: 30)  // already asked: returns at once
        #expect(Date().timeIntervalSince(started) < 5)
    }

    #if FERRY_TEST_HOOKS
    @Test func theKillPointCountsOccurrences() throws {
        var point = try #require(KillPoint("execute-change-set:begin#2"))
        let answers = ["execute-change-set:end", "execute-change-set:begin", "execute-change-set:begin",
                       "execute-change-set:begin"].map { point.reached($0) }
        #expect(answers == [false, false, true, false])
        #expect(KillPoint("downloaded")?.occurrence == 1)
        #expect(KillPoint("") == nil && KillPoint("x#0") == nil && KillPoint("x#two") == nil)
    }
    #endif

    @Test(arguments: [
        (AWSError(code: .validationError, message: "Template format error", status: 400), "rejected", "needs-person"),
        (AWSError(code: .init("InsufficientCapabilitiesException"), message: "Requires CAPABILITY_IAM", status: 400),
         "rejected", "needs-person"),
        (AWSError(code: .init("Throttling"), message: "Rate exceeded", status: 400), "service", "transient"),
        (AWSError(code: .internalError, message: "oops", status: 500), "service", "transient"),
        (AWSError(code: .init("ServiceUnavailable"), message: "", status: 503), "service", "transient"),
        (AWSError(code: .accessDenied, message: "not allowed", status: 403), "service", "needs-person"),
        (AWSError(code: .init("AlreadyExistsException"), message: "exists", status: 400), "service", "needs-person"),
    ])
    func awsFailuresAreSortedByWhatToDoNext(error: AWSError, code: String, next: String) {
        let sorted = FailureRecord(CloudFormationStacks.sorting(error, doing: "CreateChangeSet x"))
        #expect(sorted.code.description == code)
        #expect(sorted.next.rawValue == next)
        #expect(sorted.message.contains("CreateChangeSet x"))
    }

    // MARK: Unpack checks

    struct Bundle {
        var manifest: Manifest
        var manifestBytes: Data
        var zip: String
    }

    /// A bundle whose manifest lists `files`; `zipped` (default: the same) is what the zip holds.
    func bundle(in directory: TemporaryDirectory, files: [String: String], zipped: [String: String]? = nil,
                zippedManifest: Data? = nil) throws -> Bundle {
        let manifest = Manifest(
            pipeline: "webapp", version: try SemVer("1.0.0"), createdAt: "2024-05-01T12:00:00Z",
            source: .init(repository: "r", commit: String(repeating: "a", count: 40), author: "A <a@example.com>",
                          subject: "s"),
            stacks: [.init(name: "app", template: "templates/app.yaml")],
            files: files.keys.sorted().map { Manifest.File(path: $0, size: files[$0]!.utf8.count,
                                                           sha256: sha256Hex(Data(files[$0]!.utf8))) })
        let bytes = try manifest.canonicalBytes()
        var entries = (zipped ?? files).map { ZipEntry(name: $0.key, source: .bytes(Data($0.value.utf8))) }
        entries.append(ZipEntry(name: BundleLayout.manifest, source: .bytes(zippedManifest ?? bytes)))
        let zip = directory.url("bundle-\(UUID().uuidString).zip")
        _ = try writeZip(entries: entries, to: zip, mtime: Date(timeIntervalSince1970: 0))
        return Bundle(manifest: manifest, manifestBytes: bytes, zip: zip)
    }

    @Test func anHonestBundleUnpacksWithEveryFileChecked() throws {
        let directory = try TemporaryDirectory()
        let files = ["templates/app.yaml": "Resources: {}\n", "tests.log": "ok\n"]
        let made = try bundle(in: directory, files: files)
        let unpacked = try ReleaseStore.unpack(bundle: made.zip, into: directory.url("out"), manifest: made.manifest,
                                               manifestBytes: made.manifestBytes, limits: ExtractLimits(), name: "r")
        #expect(unpacked.map(\.path) == ["manifest.json", "templates/app.yaml", "tests.log"])
        #expect(try String(contentsOfFile: directory.url("out/templates/app.yaml"), encoding: .utf8) == "Resources: {}\n")
    }

    @Test(arguments: [
        ("altered", "templates/app.yaml in the bundle of r is not the file the manifest signed"),
        ("extra", "holds templates/extra.yaml, which the signed manifest does not list"),
        ("missing", "lacks tests.log, which the signed manifest lists"),
        ("manifest", "carries a manifest.json other than the signed one"),
    ])
    func aBundleThatDisagreesWithItsManifestIsRefused(kind: String, expected: String) throws {
        let directory = try TemporaryDirectory()
        let files = ["templates/app.yaml": "Resources: {}\n", "tests.log": "ok\n"]
        var zipped = files
        var zippedManifest: Data?
        switch kind {
        case "altered": zipped["templates/app.yaml"] = "Resources: {Evil: {}}\n"
        case "extra": zipped["templates/extra.yaml"] = "x"
        case "missing": zipped["tests.log"] = nil
        default: zippedManifest = Data("{}".utf8)
        }
        let made = try bundle(in: directory, files: files, zipped: zipped, zippedManifest: zippedManifest)
        let error = #expect(throws: AgentError.self) {
            try ReleaseStore.unpack(bundle: made.zip, into: directory.url("out"), manifest: made.manifest,
                                    manifestBytes: made.manifestBytes, limits: ExtractLimits(), name: "r")
        }
        #expect(error?.code == .refused)
        #expect(error?.message.contains(expected) == true, "\(error?.message ?? "")")
    }

    @Test func aByteChangedInTheZipIsRefusedByTheManifestWithoutACRCCheck() throws {
        // The agent skips libarchive's CRC-32: the signed SHA-256 of every file catches
        // what a CRC would (the CRC is left as it was, so only the digest can tell).
        let directory = try TemporaryDirectory()
        let files = ["templates/app.yaml": "Resources: {}\n", "tests.log": "ok\n"]
        let made = try bundle(in: directory, files: files)
        let entries = try listEntries(zip: made.zip)
        #expect(!entries.isEmpty)
        // Rewrite the zip with the template stored (so its bytes are findable), then flip one.
        let stored = directory.url("stored.zip")
        _ = try writeZip(entries: files.map { ZipEntry(name: $0.key, source: .bytes(Data($0.value.utf8)), compression: .store) }
            + [ZipEntry(name: BundleLayout.manifest, source: .bytes(made.manifestBytes), compression: .store)],
                         to: stored, mtime: Date(timeIntervalSince1970: 0))
        var bytes = try Data(contentsOf: URL(fileURLWithPath: stored))
        let at = try #require(bytes.firstRange(of: Data("Resources: {}".utf8))).lowerBound
        bytes[at] = UInt8(ascii: "r")
        try bytes.write(to: URL(fileURLWithPath: stored))
        let error = #expect(throws: AgentError.self) {
            try ReleaseStore.unpack(bundle: stored, into: directory.url("out"), manifest: made.manifest,
                                    manifestBytes: made.manifestBytes, limits: ExtractLimits(), name: "r")
        }
        #expect(error?.code == .refused)
        #expect(error?.message.contains("templates/app.yaml in the bundle of r is not the file the manifest signed") == true,
                "\(error?.message ?? "")")
    }

    @Test func theUnpackLimitsApply() throws {
        let directory = try TemporaryDirectory()
        let files = ["templates/app.yaml": "Resources: {}\n", "tests.log": "ok\n"]
        let made = try bundle(in: directory, files: files)
        let error = #expect(throws: AgentError.self) {
            try ReleaseStore.unpack(bundle: made.zip, into: directory.url("out"), manifest: made.manifest,
                                    manifestBytes: made.manifestBytes, limits: ExtractLimits(maxEntries: 2), name: "r")
        }
        #expect(error?.message.contains("more than 2 entries") == true, "\(error?.message ?? "")")
        #expect(!FileManager.default.fileExists(atPath: directory.url("out")))
    }
}

