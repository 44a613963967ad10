import AWS
import Bucket
import Foundation
import Manifest

/// A silo's artifact bucket over S3 (the agent's own identity writes it).
public struct S3SiloObjects: SiloObjectStore {
    public let s3: S3
    public let bucket: String

    public init(s3: S3, bucket: String) {
        self.s3 = s3
        self.bucket = bucket
    }

    public func size(of key: String) throws(AgentError) -> Int64? {
        do {
            return try s3.headObject(bucket: bucket, key: key)?.size
        } catch {
            throw Self.sorting(error, doing: "checking s3://\(bucket)/\(key)")
        }
    }

    public func put(key: String, data: Data) throws(AgentError) {
        do {
            _ = try s3.putObject(bucket: bucket, key: key, data: data)
        } catch {
            throw Self.sorting(error, doing: "writing s3://\(bucket)/\(key)")
        }
    }

    public func put(key: String, file path: String) throws(AgentError) {
        do {
            _ = try s3.putObject(bucket: bucket, key: key, file: path)
        } catch {
            throw Self.sorting(error, doing: "writing s3://\(bucket)/\(key)")
        }
    }

    static func sorting(_ error: AWSError, doing what: String) -> AgentError {
        if error.isRetryable {
            return AgentError(.service, "\(what) failed: \(error); the agent retries", next: .transient, cause: error)
        }
        return AgentError(.service, "\(what) failed: \(error); the silo's artifact bucket must exist in this "
            + "account and region (stacksets/ferry-silo.yaml creates it) and the agent's role must be allowed to "
            + "read and write it", next: .needsPerson, cause: error)
    }
}

extension SiloArtifacts {
    /// The agent's: artifacts fetched from `bucket` (the shared bucket), copied into the
    /// bucket `settings.artifactBucket` names (`{region}` replaced by the stack's region)
    /// with the identity of `config`.
    static func live(settings: AgentSettings, bucket: SharedBucket, config: AWSConfig) -> SiloArtifacts {
        SiloArtifacts(
            sharedBucket: bucket.name, scratch: settings.stateDirectory + "/releases/.artifacts",
            fetch: { key, sha256, size, path throws(AgentError) in
                do throws(BucketError) {
                    _ = try bucket.download(key: key, to: path, limit: Int64(size), sha256: sha256)
                } catch {
                    switch error.code {
                    case .notFound, .tooLarge, .digestMismatch, .invalidDocument:
                        throw AgentError(.refused, "the artifact \(key) is not the one the manifest signed: "
                            + "\(error.message)", next: .needsPerson, cause: error)
                    case .storage, .releaseExists, .channelMoved:
                        throw AgentError.bucket(error, "reading the artifact \(key)")
                    }
                }
            },
            destination: { region throws(AgentError) in
                guard let template = settings.artifactBucket else { return nil }
                var regional = config
                regional.region = region ?? config.region
                let name = template.replacingOccurrences(of: "{region}", with: regional.region)
                let base: String
                do {
                    base = "\(try regional.endpoint(for: .s3))"
                } catch {
                    throw AgentError(.configuration, "no S3 endpoint for \(regional.region): \(error)",
                                     next: .needsPerson, cause: error)
                }
                return SiloBucket(name: name, urlBase: base, layout: bucket.layout,
                                  objects: S3SiloObjects(s3: S3(config: regional), bucket: name))
            })
    }

    /// The URL CloudFormation reads the stored template with this SHA-256 from.
    func templateURL(sha256: String, region: String?) throws(AgentError) -> String {
        guard let silo = try destination(region) else {
            throw AgentError(.configuration, "a template above CloudFormation's \(ChangeSetRequest.bodyLimit)-byte "
                + "body limit needs the silo's artifact bucket; " + Self.missingBucketAdvice, next: .needsPerson)
        }
        return silo.url(key: try silo.templateKey(sha256: sha256))
    }
}
