import AWS
import Agent
import Archive
import ArgumentParser
import Basics
import Bucket
import Foundation
import Manifest

// The agent benchmarks of scripts/bench-agent.

/// `ferry-bench unpack`: the agent's unpack and verify step on its own, so its
/// throughput can be compared with `openssl dgst` and `unzip` on the same bytes.
struct AgentUnpackBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unpack",
        abstract: "Unpack and verify a bundle against its manifest, as the agent does, and print the time.")

    @Argument(help: "The bundle zip.")
    var bundle: String

    @Option(help: ArgumentHelp("Write a test bundle of about this many MiB at BUNDLE (and BUNDLE.manifest.json) instead.",
                               valueName: "mib"))
    var create: Int?

    @Option(name: .customLong("text-percent"), help: "With --create: the share of text files (the rest is incompressible).")
    var textPercent = 25

    func run() throws {
        if let create {
            try Self.write(bundle: bundle, mebibytes: create, textPercent: textPercent)
            return
        }
        let manifestBytes = try Data(contentsOf: URL(fileURLWithPath: bundle + ".manifest.json"))
        let manifest = try Manifest.decode(manifestBytes)
        let folder = NSTemporaryDirectory() + "/ferry-unpack-bench-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let start = Date()
        let files = try ReleaseStore.unpack(bundle: bundle, into: folder, manifest: manifest,
                                            manifestBytes: manifestBytes, limits: ExtractLimits(),
                                            name: "the benchmark bundle")
        let seconds = Date().timeIntervalSince(start)
        let bytes = files.reduce(Int64(0)) { $0 + $1.size }
        print("{\"files\":\(files.count),\"bytes\":\(bytes),\"seconds\":\(String(format: "%.4f", seconds))}")
    }

    /// A bundle of 4 MiB files of pseudo-random bytes (like zipped code) and, for
    /// `textPercent` of them, random lower-case text (compresses about 1.6x), deflated,
    /// with a manifest listing them.
    static func write(bundle: String, mebibytes: Int, textPercent: Int) throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var entries: [ZipEntry] = []
        var files: [Manifest.File] = []
        let template = Data("AWSTemplateFormatVersion: '2010-09-09'\nResources: {}\n".utf8)
        func add(_ path: String, _ data: Data) {
            entries.append(ZipEntry(name: path, source: .bytes(data)))
            files.append(Manifest.File(path: path, size: data.count, sha256: sha256Hex(data)))
        }
        add(BundleLayout.template(stack: "bench", ext: "yaml"), template)
        for index in 0..<max(mebibytes / 4, 1) {
            var words = [UInt64](repeating: 0, count: (4 << 20) / 8)
            for slot in words.indices {
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                words[slot] = state
            }
            var data = words.withUnsafeBytes { Data($0) }
            if (index % 20) * 5 < textPercent {
                let letters = Array("abcdefghijklmnopqrstuvwxyz \n".utf8)
                data = Data(data.map { letters[Int($0) % letters.count] })
                add(String(format: "code/text-%03d.txt", index), data)
            } else {
                add(String(format: "code/blob-%03d.bin", index), data)
            }
        }
        let manifest = Manifest(
            pipeline: "bench", version: try SemVer("1.0.0"), createdAt: "2026-01-01T00:00:00Z",
            source: .init(repository: "bench", commit: String(repeating: "b", count: 40),
                          author: "Bench <bench@example.com>", subject: "unpack benchmark"),
            stacks: [.init(name: "bench", template: BundleLayout.template(stack: "bench", ext: "yaml"))],
            files: files.sorted { $0.path < $1.path })
        let manifestBytes = try manifest.canonicalBytes()
        entries.append(ZipEntry(name: BundleLayout.manifest, source: .bytes(manifestBytes)))
        try? FileManager.default.removeItem(atPath: bundle)
        _ = try writeZip(entries: entries, to: bundle, mtime: Date(timeIntervalSince1970: 1_700_000_000))
        try manifestBytes.write(to: URL(fileURLWithPath: bundle + ".manifest.json"))
    }
}

/// `ferry-bench fixture`: publishes a signed release of `--stacks` one-queue stacks
/// and a `--payload-mib` file (like the code zips a real bundle carries) and moves the
/// channel to it, signed with one key for every role — what scripts/bench-agent deploys.
struct AgentBenchFixtureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fixture", abstract: "Publish a benchmark release.")

    @Option(help: "The shared bucket (reached with the AWS_* environment).") var bucket: String
    @Option var pipeline = "bench"
    @Option var version: String
    @Option var channel = "canary"
    @Option var stacks = 4
    @Option(name: .customLong("payload-mib")) var payloadMiB = 0
    @Option(help: "The signing key file (ferry keys generate); trust its .pub for every role.")
    var key: String
    @Option(help: "A scratch folder for the bundle.")
    var work: String

    func run() throws {
        let signer = try SigningKey(fileContents: try String(contentsOfFile: key, encoding: .utf8))
        var files: [String: Data] = [BundleLayout.testsLog: Data("bench: no tests\n".utf8)]
        for index in 1...max(stacks, 1) {
            files[BundleLayout.template(stack: "s\(index)", ext: "yaml")] = Data("""
                AWSTemplateFormatVersion: '2010-09-09'
                Description: ferry bench stack \(index) of \(version)
                Resources:
                  Queue:
                    Type: AWS::SQS::Queue

                """.utf8)
        }
        if payloadMiB > 0 {
            var state: UInt64 = 0x2545_F491_4F6C_DD1D
            var words = [UInt64](repeating: 0, count: payloadMiB << 17)
            for slot in words.indices {
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                words[slot] = state
            }
            files["payload/code.bin"] = words.withUnsafeBytes { Data($0) }
        }
        let semver = try SemVer(version)
        let manifest = Manifest(
            pipeline: pipeline, version: semver, createdAt: "2026-01-01T00:00:00Z",
            source: .init(repository: "bench", commit: String(repeating: "c", count: 40),
                          author: "Bench <bench@example.com>", subject: "bench \(version)"),
            stacks: (1...max(stacks, 1)).map {
                .init(name: "s\($0)", template: BundleLayout.template(stack: "s\($0)", ext: "yaml"))
            },
            files: files.keys.sorted().map { Manifest.File(path: $0, size: files[$0]!.count, sha256: sha256Hex(files[$0]!)) })
        let (manifestBytes, signature) = try signManifest(manifest, with: signer)
        let entries = files.map { ZipEntry(name: $0.key, source: .bytes($0.value)) }
            + [ZipEntry(name: BundleLayout.manifest, source: .bytes(manifestBytes))]
        let zip = work + "/bundle-\(version).zip"
        _ = try writeZip(entries: entries, to: zip, mtime: Date(timeIntervalSince1970: 1_700_000_000))
        let bundleSha256 = sha256Hex(try Data(contentsOf: URL(fileURLWithPath: zip)))
        let shared = SharedBucket(s3: S3(config: try AWSConfig.resolve(profile: nil, region: nil, endpointURL: nil)),
                                  name: bucket)
        _ = try shared.writeOnce(key: try shared.layout.bundle(pipeline: pipeline, version: semver), file: zip,
                                 sha256: bundleSha256)
        _ = try shared.writeOnce(key: try shared.layout.manifest(pipeline: pipeline, version: semver), data: manifestBytes)
        _ = try shared.writeOnce(key: try shared.layout.signature(pipeline: pipeline, version: semver), data: signature)
        let release = ReleaseRef(pipeline: pipeline, version: semver, manifestSha256: sha256Hex(manifestBytes),
                                 bundleSha256: bundleSha256)
        // The bench key is trusted in every role by the bench agents.
        let writer = PointerSigner(key: signer, trust: TrustStore([(signer.publicKey, Set(Role.allCases))]))
        let plan = try shared.planMove(pipeline: pipeline, scope: .channel(channel), to: .release(release.pointed),
                                       reason: "bench", by: writer)
        _ = try shared.commit(plan, by: writer, now: Date())
        print(zip)
    }
}
