import Agent
import Archive
import ArgumentParser
import Foundation
import Manifest

/// `ferry agent unpack-bench` (hidden, for scripts/bench-agent): the agent's unpack and
/// verify step on its own, so its throughput can be compared with `openssl dgst` and
/// `unzip` on the same bytes.
struct AgentUnpackBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unpack-bench",
        abstract: "Unpack and verify a bundle against its manifest, as the agent does, and print the time.",
        shouldDisplay: false)

    @Argument(help: "The bundle zip.")
    var bundle: String

    @Option(help: ArgumentHelp("Write a test bundle of about this many MiB at BUNDLE (and BUNDLE.manifest.json) instead.",
                               valueName: "mib"))
    var create: Int?

    func run() throws {
        if let create {
            try Self.write(bundle: bundle, mebibytes: create)
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

    /// A bundle of 4 MiB files: three of pseudo-random bytes (like zipped code) to one of
    /// text, deflated, with a manifest listing them.
    static func write(bundle: String, mebibytes: Int) throws {
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
            if index % 4 == 3 {
                let line = Array("ferry unpack benchmark line, compressible like source code and logs\n".utf8)
                let bytes = (0..<(4 << 20)).map { line[$0 % line.count] }
                add(String(format: "code/text-%03d.txt", index), Data(bytes))
                continue
            }
            for slot in words.indices {
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                words[slot] = state
            }
            add(String(format: "code/blob-%03d.bin", index), words.withUnsafeBytes { Data($0) })
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
