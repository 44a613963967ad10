import Basics
import Foundation
import HTTP

extension S3 {
    /// Uploads a file in parts of `config.s3.partSize` bytes, `multipartConcurrency` at
    /// a time, each read straight from the file; aborts the upload on any failure so no
    /// parts are left behind. The write condition applies on completion.
    func multipartUpload(bucket: String, key: String, file path: String, size: Int64,
                         options: PutOptions) throws(AWSError) -> PutResult {
        var create = objectRequest("CreateMultipartUpload", .post, bucket: bucket, key: key)
        create.query = [("uploads", "")]
        var createOptions = options
        createOptions.condition = .always
        S3.apply(createOptions, to: &create.headers)
        let created = try transport.send(create)
        guard let uploadId = try? XMLReader.parse(created.body).value("UploadId") else {
            throw AWSError(code: .invalidResponse, message: "CreateMultipartUpload answered without an UploadId",
                           operation: "S3.CreateMultipartUpload")
        }
        do throws(AWSError) {
            let partSize = max(config.s3.partSize, 1)
            let count = Int((size + partSize - 1) / partSize)
            let transport = self.transport
            let base = objectRequest("UploadPart", .put, bucket: bucket, key: key)
            let etags = try parallelMap(Array(1...max(count, 1)), width: config.s3.multipartConcurrency) {
                (number: Int) throws(AWSError) -> String in
                let offset = Int64(number - 1) * partSize
                var request = base
                request.query = [("partNumber", String(number)), ("uploadId", uploadId)]
                request.body = .file(path: path, offset: offset, length: min(partSize, size - offset))
                guard let etag = try transport.send(request).headers["ETag"] else {
                    throw AWSError(code: .invalidResponse, message: "UploadPart \(number) answered without an ETag",
                                   operation: "S3.UploadPart")
                }
                return etag
            }
            var complete = objectRequest("CompleteMultipartUpload", .post, bucket: bucket, key: key)
            complete.query = [("uploadId", uploadId)]
            S3.apply(PutOptions(condition: options.condition), to: &complete.headers)
            let parts = etags.enumerated().map { index, etag in
                "<Part><PartNumber>\(index + 1)</PartNumber><ETag>\(Self.escape(etag))</ETag></Part>"
            }.joined()
            complete.body = .bytes(Data(("<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                + parts + "</CompleteMultipartUpload>").utf8))
            let response = try transport.send(complete)
            // S3 may answer 200 and still report an error in the body.
            let root = try? XMLReader.parse(response.body)
            if let root, root.name == "Error" {
                let failed = HTTPResponse(status: 500, headers: response.headers, body: response.body)
                throw AWSErrorParser.error(from: failed, operation: "S3.CompleteMultipartUpload")
            }
            return PutResult(etag: root?.value("ETag") ?? response.headers["ETag"],
                             versionId: response.headers["x-amz-version-id"])
        } catch {
            var abort = objectRequest("AbortMultipartUpload", .delete, bucket: bucket, key: key)
            abort.query = [("uploadId", uploadId)]
            _ = try? transport.send(abort)
            throw error
        }
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
