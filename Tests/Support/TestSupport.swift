import Basics
import Foundation
import Manifest

/// Where the tests find what `scripts/test` set up for them. A test that needs one of
/// these and does not find it fails with a message saying to run `scripts/test`;
/// it is never skipped silently.
public enum TestEnvironment {
    /// The local moto server, `http://localhost:PORT` (see ../shared/MOTO.md: nested
    /// stacks need the host `localhost`).
    public static func motoEndpoint() throws -> String {
        try required("FERRY_TEST_ENDPOINT", what: "the local moto server")
    }

    /// The built `ferry` binary, for tests that run it as a process.
    public static func ferryBinary() throws -> String {
        if let path = ProcessInfo.processInfo.environment["FERRY_BIN"] { return path }
        let guess = packageRoot + "/.build/debug/ferry"
        if FileManager.default.isExecutableFile(atPath: guess) { return guess }
        throw MissingEnvironment(variable: "FERRY_BIN", what: "the ferry binary")
    }

    /// The Python that has moto, awscli and cfn-lint (scripts/setup installs them).
    public static func python() -> String {
        ProcessInfo.processInfo.environment["FERRY_PYTHON"] ?? "/usr/bin/env python3"
    }

    /// The package's root folder (this file is Tests/Support/TestSupport.swift).
    public static let packageRoot: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
    }()

    static func required(_ variable: String, what: String) throws -> String {
        guard let value = ProcessInfo.processInfo.environment[variable], !value.isEmpty else {
            throw MissingEnvironment(variable: variable, what: what)
        }
        return value
    }
}

/// A test needs something that only `scripts/test` provides.
public struct MissingEnvironment: Error, CustomStringConvertible {
    public let variable: String
    public let what: String
    public var description: String {
        "\(variable) is not set, so this test cannot find \(what). Run the tests with scripts/test, "
            + "which starts moto and sets it (or export it yourself: eval \"$(scripts/moto env)\")."
    }
}

/// A fresh folder under the system's temporary folder, removed when released.
public final class TemporaryDirectory {
    public let path: String

    public init(_ label: String = "ferry-test") throws {
        var template = Array((NSTemporaryDirectory() + "/\(label)-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw CocoaError(.fileWriteUnknown)
        }
        path = String(cString: made)
    }

    /// A path inside the folder.
    public func url(_ relative: String) -> String { path + "/" + relative }

    /// Writes `contents` to `relative`, creating folders on the way. A `.key` file (a
    /// private key) gets mode 0600, as `ferry keys generate` writes it: ferry refuses a
    /// private key others can read.
    @discardableResult
    public func write(_ relative: String, _ contents: String) throws -> String {
        let file = url(relative)
        try FileManager.default.createDirectory(
            atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try contents.write(toFile: file, atomically: false, encoding: .utf8)
        if relative.hasSuffix(".key") {
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
        }
        return file
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// A name no other test run uses: for buckets, stacks and account-scoped things on
/// the shared moto server (tests run in parallel).
public func uniqueName(_ prefix: String) -> String {
    let suffix = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
    return "\(prefix)-\(suffix)"
}

/// SHA-256 of bytes as 64 lowercase hex digits, for the tests' expected values.
public enum TestDigest {
    public static func sha256(_ data: Data) -> String { sha256Hex(data) }
}
