import Foundation

extension S3 {
    /// A bucket's versioning state, as `GetBucketVersioning` answers it.
    public enum Versioning: String, Sendable, Equatable {
        case enabled = "Enabled"
        /// Was on, now off: new writes replace the `null` version.
        case suspended = "Suspended"
        /// Never turned on (S3 answers no `Status` at all).
        case neverEnabled = "NeverEnabled"
    }

    /// `GetBucketVersioning`: whether the bucket keeps object versions. A missing bucket
    /// throws `NoSuchBucket` (404).
    public func bucketVersioning(bucket: String) throws(AWSError) -> Versioning {
        var request = objectRequest("GetBucketVersioning", .get, bucket: bucket, key: nil)
        request.query = [("versioning", "")]
        let body = try transport.send(request).body
        let document: XMLElement
        do throws(XMLError) {
            document = try XMLReader.parse(body)
        } catch {
            throw AWSError(code: .invalidResponse, message: "unreadable versioning configuration: \(error)",
                           operation: "S3.GetBucketVersioning")
        }
        return document.value("Status").flatMap(Versioning.init(rawValue:)) ?? .neverEnabled
    }
}
