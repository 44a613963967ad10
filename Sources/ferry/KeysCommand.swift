import ArgumentParser
import Foundation
import Manifest

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `ferry keys`: make Ed25519 signing keys and show key ids. Key file formats and roles
/// are in docs/manifest.md ("Keys").
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Make Ed25519 signing keys and show their key ids.",
        subcommands: [Generate.self, ShowID.self]
    )

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "generate",
            abstract: "Write a new key pair: NAME.key (private, mode 0600) and NAME.pub.",
            discussion: """
            Never overwrites: if either file exists, nothing is written. Prints the key id.

            Examples:
              ferry keys generate --out ~/keys --name oncall
              ferry keys generate --out ~/keys --name release --json
            """
        )

        @Option(help: "The folder to write the key files into (created, mode 0700, when missing).")
        var out: String

        @Option(help: "The key files' name, without extension.")
        var name = "ferry"

        @Flag(help: "Print the result as JSON.")
        var json = false

        func validate() throws {
            do {
                try Name.validate(name, as: "key")
            } catch {
                throw ValidationError(error.message)
            }
        }

        func run() throws {
            let key = SigningKey.generate()
            let folder = out.hasSuffix("/") ? String(out.dropLast()) : out
            let privatePath = "\(folder)/\(name).key"
            let publicPath = "\(folder)/\(name).pub"
            if !FileManager.default.fileExists(atPath: folder) {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
            }
            try KeyFileIO.create(privatePath, contents: key.fileContents, mode: 0o600)
            do {
                // The name goes into the public key file, to label the key id in status and history.
                try KeyFileIO.create(publicPath, contents: key.publicKey.named(name).fileContents, mode: 0o644)
            } catch {
                unlink(privatePath)  // leave nothing behind
                throw error
            }
            Output.note("wrote \(privatePath) (private, mode 0600: keep it secret) and \(publicPath)")
            if json {
                try Output.printJSON(["id": key.id.hex, "privateKey": privatePath, "publicKey": publicPath])
            } else {
                print(key.id.hex)
            }
        }
    }

    struct ShowID: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "id",
            abstract: "Print the key id (sha256 of the raw public key) of a public key file.",
            discussion: """
            Example:
              ferry keys id ~/keys/oncall.pub
            """
        )

        @Argument(help: "A public key file (NAME.pub).")
        var file: String

        @Flag(help: "Print the result as JSON.")
        var json = false

        func run() throws {
            let text = try KeyFileIO.read(file)
            let key: PublicKey
            do {
                key = try PublicKey(fileContents: text)
            } catch {
                throw KeyFileError(description: "\(file): \(error.message)")
            }
            if json {
                try Output.printJSON(["id": key.id.hex, "file": file])
            } else {
                print(key.id.hex)
            }
        }
    }
}

/// A key file could not be written or read.
struct KeyFileError: Error, CustomStringConvertible {
    let description: String
}

/// The file I/O of `ferry keys` (the Manifest module does none).
enum KeyFileIO {
    /// A key file is one short line; anything larger is not one.
    static let readCap = 4096

    /// Creates `path` with `mode`, refusing to replace an existing file (`open` with
    /// `O_CREAT | O_EXCL`), and writes `contents`. A partial file is removed.
    static func create(_ path: String, contents: String, mode: mode_t) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else {
            let code = errno
            switch code {
            case EEXIST:
                throw KeyFileError(description: "\(path) already exists; ferry keys generate never overwrites a key. "
                    + "Choose another --name or --out, or move the old key away first")
            case ENOENT:
                throw KeyFileError(description: "cannot create \(path): the folder does not exist; create it first")
            default:
                throw KeyFileError(description: "cannot create \(path): \(String(cString: strerror(code))) (open)")
            }
        }
        defer { close(fd) }
        // The umask may have narrowed `mode`; a private key must be exactly 0600.
        var failure = fchmod(fd, mode) == 0 ? nil : "fchmod"
        var bytes = Array(contents.utf8)[...]
        while failure == nil, !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno != EINTR { failure = "write" }
            } else {
                bytes = bytes.dropFirst(written)
            }
        }
        if failure == nil, fsync(fd) != 0 { failure = "fsync" }
        if let failure {
            let message = String(cString: strerror(errno))
            unlink(path)
            throw KeyFileError(description: "cannot write \(path): \(message) (\(failure))")
        }
    }

    /// The text of a key file, at most `readCap` bytes.
    static func read(_ path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw KeyFileError(description: "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: readCap + 1)) ?? Data()
        guard data.count <= readCap else {
            throw KeyFileError(description: "\(path) is larger than any key file; give the NAME.pub that "
                + "ferry keys generate wrote")
        }
        return String(decoding: data, as: UTF8.self)
    }

}
