import AWS
import Bucket
import Foundation
import Manifest

extension SiloArtifacts {
    /// The agent's: artifacts fetched from `bucket` (the shared bucket), copied into the
    /// bucket `settings.artifactBucket` names (`{region}` replaced by the stack's region)
    /// with the identity of `config`.
    static func live(settings: AgentSettings, bucket: SharedBucket, config: AWSConfig) -> SiloArtifacts {
        SiloArtifacts(
            sharedBucket: bucket.name, scratch: settings.stateDirectory + "/releases/.artifacts",
            fetch: fetching(from: bucket),
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
                return SiloBucket(name: name, urlBase: base, layout: bucket.layout, store: S3(config: regional))
            })
    }

    /// Fetches an artifact from the shared `bucket`, at most its signed size, with its
    /// signed SHA-256 checked as it streams: other bytes (or none) refuse the release.
    public static func fetching(from bucket: SharedBucket) -> Fetch {
        { key, sha256, size, path throws(AgentError) in
            do throws(BucketError) {
                _ = try bucket.download(key: key, to: path, limit: Int64(size), sha256: sha256)
            } catch {
                switch error.code {
                case .notFound, .tooLarge, .digestMismatch, .invalidDocument:
                    throw AgentError(.refused, "the artifact \(key) is not the one the manifest signed: "
                        + "\(error.message)", next: .needsPerson, cause: error)
                case .storage, .releaseExists, .channelMoved, .untrustedSigner, .noSuchBucket, .unversioned,
                     .quarantined:
                    throw AgentError.bucket(error, "reading the artifact \(key)")
                }
            }
        }
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
