@testable import AWS
import Foundation
import HTTP
import Testing

/// Error answers as S3 sends them, read into an AWSError that says what to do.
@Suite struct ErrorParserTests {
    /// S3 answers a request signed for the wrong region with the bucket's region in
    /// `x-amz-bucket-region` (S3 API reference, "Error responses"): the message says
    /// which region to pass, for a GET's XML body and a HEAD's bare status alike.
    @Test(arguments: [
        (301, "<Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to access must be "
            + "addressed using the specified endpoint.</Message></Error>", "PermanentRedirect"),
        (400, "<Error><Code>AuthorizationHeaderMalformed</Code><Message>The authorization header is malformed; "
            + "the region 'us-east-1' is wrong; expecting 'eu-west-1'</Message></Error>", "AuthorizationHeaderMalformed"),
        (301, "", "HTTP301"),
    ])
    func aWrongRegionNamesTheBucketsRegion(status: Int, body: String, code: String) {
        let response = HTTPResponse(status: status, headers: ["x-amz-bucket-region": "eu-west-1"], body: Data(body.utf8))
        let error = AWSErrorParser.error(from: response, operation: "S3.GetObject")
        #expect(error.code.rawValue == code)
        #expect(error.message.hasSuffix("(the bucket is in eu-west-1: pass --region eu-west-1 or set AWS_REGION=eu-west-1)"),
                "\(error.message)")
    }

    @Test func otherErrorsSayNothingOfRegions() {
        let response = HTTPResponse(status: 403, headers: ["x-amz-bucket-region": "eu-west-1"],
                                    body: Data("<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>".utf8))
        let error = AWSErrorParser.error(from: response, operation: "S3.GetObject")
        #expect(error.code == .accessDenied)
        #expect(error.message == "Access Denied")
    }
}
