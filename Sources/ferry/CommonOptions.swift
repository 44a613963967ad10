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

    /// The shared bucket, reached with the resolved AWS settings.
    func open() throws -> SharedBucket {
        SharedBucket(s3: S3(config: try aws.config()), name: try bucketName(), layout: layout)
    }
}

/// Key files on disk: the signing key a command signs with, the public keys an agent or
/// `ferry verify` trusts. The Manifest module does no I/O; this is its file side.
enum KeyFiles {
    /// The private key in `path` (`ferry keys generate` wrote it). The message never
    /// shows the file's contents.
    static func signingKey(_ path: String) throws -> SigningKey {
        do {
            return try SigningKey(fileContents: try KeyFileIO.read(path))
        } catch let error as ManifestError {
            throw KeyFileError(description: "\(path): \(error.message)")
        }
    }

    /// A trust store from `FILE.pub[=ROLE,ROLE]` arguments; a key with no roles named
    /// is trusted in every role (builder, release, oncall).
    static func trust(_ arguments: [String]) throws -> TrustStore {
        var keys: [(key: PublicKey, roles: Set<Role>)] = []
        for argument in arguments {
            let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
            let path = parts[0]
            var roles = Set(Role.allCases)
            if parts.count == 2 {
                roles = []
                for name in parts[1].split(separator: ",") {
                    guard let role = Role(rawValue: String(name)) else {
                        throw ValidationError("--trust \(argument): unknown role '\(name)'; roles are "
                            + Role.allCases.map(\.rawValue).joined(separator: ", "))
                    }
                    roles.insert(role)
                }
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
