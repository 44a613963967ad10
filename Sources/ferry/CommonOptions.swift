import AWS
import ArgumentParser
import Bucket
import Foundation
import Manifest

/// The shared bucket every command that reads or writes releases names: `--bucket`,
/// `--prefix`, and the AWS options to reach it.
struct BucketOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The shared release bucket. Default: FERRY_BUCKET.", valueName: "name"))
    var bucket: String?

    @Option(help: ArgumentHelp("The key prefix in the bucket. Default: FERRY_PREFIX, else ferry/.", valueName: "prefix"))
    var prefix: String?

    @OptionGroup var aws: AWSOptions

    /// The bucket name from `--bucket` or `FERRY_BUCKET`.
    func bucketName() throws -> String {
        if let bucket, !bucket.isEmpty { return bucket }
        if let bucket = ProcessInfo.processInfo.environment["FERRY_BUCKET"], !bucket.isEmpty { return bucket }
        throw ValidationError("no bucket: pass --bucket NAME or set FERRY_BUCKET")
    }

    /// The layout under `--prefix`, `FERRY_PREFIX` or `ferry/`.
    var layout: BucketLayout {
        BucketLayout(prefix: prefix ?? ProcessInfo.processInfo.environment["FERRY_PREFIX"] ?? "ferry/")
    }

    /// The shared bucket, reached with the resolved AWS settings, checked with one
    /// request for what the command needs (`SharedBucket.check`): a wrong name says "no
    /// such bucket", an unversioned bucket is refused by the commands that need history.
    func open(_ need: SharedBucket.Need) throws -> SharedBucket {
        let bucket = try unchecked()
        if let warning = try bucket.check(need) { Output.note("warning: " + warning) }
        return bucket
    }

    /// The shared bucket, not checked yet: the caller runs `check` itself (beside other work).
    func unchecked() throws -> SharedBucket {
        SharedBucket(s3: S3(config: try aws.config()), name: try bucketName(), layout: layout)
    }
}

/// Key files on disk: the signing key a command signs with, the public keys an agent or
/// `ferry verify` trusts. The Manifest module does no I/O; this is its file side.
enum KeyFiles {
    /// The private key in `path` (`ferry keys generate` wrote it). The message never
    /// shows the file's contents.
    static func signingKey(_ path: String) throws -> SigningKey {
        try checkPrivate(path)
        do {
            return try SigningKey(fileContents: try KeyFileIO.read(path))
        } catch let error as ManifestError {
            throw KeyFileError(description: "\(path): \(error.message)")
        }
    }

    /// Refuses a private key file that group or others may read (as ssh does): whoever
    /// can read it can sign releases or move channels.
    static func checkPrivate(_ path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else { return }  // reading it says why
        let mode = info.st_mode & 0o777
        guard mode & 0o077 != 0 else { return }
        throw KeyFileError(description: "\(path) is readable by group or others (mode "
            + String(format: "%04o", Int(mode)) + "): a private key must be readable by its owner only. "
            + "Fix it with: chmod 600 \(path)")
    }

    /// A trust store from `FILE.pub=ROLE[,ROLE]` arguments. Every key must name its
    /// roles: a key trusted for everything by omission is how a builder key ends up
    /// signing pointers.
    static func trust(_ arguments: [String]) throws -> TrustStore {
        var keys: [(key: PublicKey, roles: Set<Role>)] = []
        for argument in arguments {
            let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
            let path = parts[0]
            guard parts.count == 2, !parts[1].isEmpty else {
                throw ValidationError("--trust \(argument) names no role: write --trust \(path)=ROLE[,ROLE], the roles "
                    + "being " + Role.allCases.map(\.rawValue).joined(separator: ", ")
                    + " (e.g. --trust \(path)=release,oncall)")
            }
            var roles = Set<Role>()
            for name in parts[1].split(separator: ",") {
                guard let role = Role(rawValue: String(name)) else {
                    throw ValidationError("--trust \(argument): unknown role '\(name)'; roles are "
                        + Role.allCases.map(\.rawValue).joined(separator: ", "))
                }
                roles.insert(role)
            }
            do {
                keys.append((try PublicKey(fileContents: try KeyFileIO.read(path)), roles))
            } catch let error as ManifestError {
                throw KeyFileError(description: "\(path): \(error.message)")
            }
        }
        return TrustStore(keys)
    }
}

/// What every command that writes a pointer needs besides its key: the fleet's trust set
/// (the same `--trust FILE.pub=ROLES` list the agents get, or `FERRY_TRUST`), checked
/// before anything is written, and how long what it signs stays valid.
struct WriterOptions: ParsableArguments {
    @Option(name: .customLong("trust"), help: ArgumentHelp(
        "A public key the agents trust, with its roles: FILE.pub=ROLE[,ROLE] (repeat). Default: FERRY_TRUST "
            + "(space-separated).", valueName: "file.pub=roles"))
    var trust: [String] = []

    @Option(name: .customLong("expires-in"), help: ArgumentHelp(
        "Days until what this signs expires (agents refuse it then; ferry refresh re-signs). Default: 30.",
        valueName: "days"))
    var expiresIn: Int?

    func validate() throws {
        if let expiresIn, !(1...3650).contains(expiresIn) {
            throw ValidationError("--expires-in \(expiresIn): give 1 to 3650 days")
        }
    }

    /// The trust set from `--trust` or `FERRY_TRUST`; at least one key.
    func trustStore() throws -> TrustStore {
        var arguments = trust
        if arguments.isEmpty {
            arguments = (ProcessInfo.processInfo.environment["FERRY_TRUST"] ?? "")
                .split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
        }
        guard !arguments.isEmpty else {
            throw ValidationError("no trusted keys: give the agents' --trust FILE.pub=ROLES list (or set FERRY_TRUST); "
                + "ferry checks the signing key and the current pointer against it before writing")
        }
        return try KeyFiles.trust(arguments)
    }

    /// The writer for `key`, with the lifetime `--expires-in` (or `defaultDays`) sets.
    /// `signs: false` (a publish without a channel writes no pointer) needs no trust list.
    func signer(_ key: SigningKey, defaultDays: Int? = nil, signs: Bool = true) throws -> PointerSigner {
        let days = expiresIn ?? defaultDays
        let store = !signs && trust.isEmpty && ProcessInfo.processInfo.environment["FERRY_TRUST"] == nil
            ? TrustStore([]) : try trustStore()
        return PointerSigner(key: key, trust: store,
                             lifetime: days.map { TimeInterval($0) * 86_400 } ?? Pointer.defaultLifetime)
    }
}
