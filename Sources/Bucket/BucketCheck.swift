import AWS
import Foundation

extension SharedBucket {
    /// What a command needs of the bucket before it reads or writes anything.
    public enum Need: Sendable {
        /// The bucket exists (reads: status).
        case exists
        /// It exists and keeps object versions: publish, rollback, pin, history, whose
        /// audit trail and `--previous` are the pointers' object versions.
        case versioning
    }

    /// Checks the bucket with one `GetBucketVersioning`, so a wrong `--bucket` says "no
    /// such bucket" (not "channel canary has never been set"), and an unversioned bucket
    /// is refused with the command that fixes it. A caller not allowed to ask
    /// (AccessDenied) gets a warning back, not a refusal: the policy may grant only
    /// object calls.
    @discardableResult
    public func check(_ need: Need) throws(BucketError) -> String? {
        let versioning: S3.Versioning
        do {
            versioning = try store.bucketVersioning(bucket: name)
        } catch where error.code == .noSuchBucket {
            throw BucketError(.noSuchBucket, "no such bucket: s3://\(name) does not exist (NoSuchBucket); check "
                + "--bucket or FERRY_BUCKET, and the account, region and endpoint the AWS options name", cause: error)
        } catch where error.code == .accessDenied {
            return "cannot check that s3://\(name) is versioned (GetBucketVersioning: AccessDenied); going on"
        } catch {
            throw BucketError(error, doing: "checking s3://\(name)")
        }
        guard need == .versioning, versioning != .enabled else { return nil }
        let state = versioning == .suspended ? "suspended" : "never enabled"
        throw BucketError(.unversioned, "s3://\(name) keeps no object versions (versioning \(state)): Ferry's history, "
            + "rollback --previous and audit trail are the pointers' object versions. Turn versioning on, then run "
            + "this again: aws s3api put-bucket-versioning --bucket \(name) --versioning-configuration Status=Enabled")
    }
}
